"""The JSON report: a documented, versioned schema (docs/output.md, docs/json-schema-v1.json).

Version 1. Adding a field changes the schema file in the same commit; removing a field or
changing its meaning raises `version`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

from distrust.model import Finding, Fix, Location, RunInfo, ScanResult
from distrust.report.escape import escape_data
from distrust.report.options import RenderOptions

if TYPE_CHECKING:  # the rule catalogue is slow to import and only typed here
    from distrust.rules.rule import Rule

SCHEMA_VERSION = 1
TOOL_NAME = "distrust"

JsonValue = None | bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"]


def clean(value: JsonValue) -> JsonValue:
    """Every string of a JSON document passed through `escape_data` (bidi controls visible, no
    lone surrogates), so that the text encodes as UTF-8 and shows what it is."""
    if isinstance(value, str):
        return escape_data(value)
    if isinstance(value, list):
        return [clean(item) for item in value]
    if isinstance(value, dict):
        return {escape_data(key): clean(item) for key, item in value.items()}
    return value


def _span(location: Location) -> dict[str, JsonValue]:
    return {
        "path": location.path,
        "line": location.line,
        "column": location.column,
        "end_line": location.end_line,
        "end_column": location.end_column,
    }


def _fix(fix: Fix | None) -> JsonValue:
    if fix is None:
        return None
    return {
        "description": fix.description,
        "edits": [
            {
                "path": edit.path,
                "line": edit.line,
                "column": edit.column,
                "end_line": edit.end_line,
                "end_column": edit.end_column,
                "text": edit.text,
            }
            for edit in fix.edits
        ],
    }


def finding_json(finding: Finding, rules: Mapping[str, Rule]) -> dict[str, JsonValue]:
    cwe = finding.cwe
    if cwe is None:
        rule = rules.get(finding.rule)
        cwe = rule.cwe if rule is not None else None
    return {
        "rule": finding.rule,
        "name": finding.name,
        "cwe": cwe,
        "severity": finding.severity.label,
        "confidence": finding.confidence.label,
        **_span(finding.location),
        "message": finding.message,
        "snippet": finding.snippet,
        "steps": [{**_span(step.location), "note": step.note} for step in finding.steps],
        "fingerprint": finding.fingerprint,
        "suppressed": finding.suppressed,
        "justification": finding.justification,
        "fix": _fix(finding.fix),
        "ai_authored": finding.ai_authored,
    }


def document(result: ScanResult, rules: Mapping[str, Rule], run: RunInfo) -> dict[str, JsonValue]:
    """The report as JSON values, before encoding."""
    tool: dict[str, JsonValue] = {
        "name": TOOL_NAME,
        "version": run.version,
        "started_at": run.started_at,
        "commit": run.commit,
        "base": run.base,
        "rules_digest": run.rules_digest,
    }
    doc: dict[str, JsonValue] = {
        "version": SCHEMA_VERSION,
        "tool": tool,
        "findings": [finding_json(finding, rules) for finding in result.findings],
        "skipped": [{"path": item.path, "reason": item.reason} for item in result.skipped],
        "files_scanned": result.files_scanned,
        "notices": [{"message": notice.message} for notice in result.notices],
    }
    cleaned = clean(doc)
    assert isinstance(cleaned, dict)
    return cleaned


def render(
    result: ScanResult, rules: Mapping[str, Rule], run: RunInfo, options: RenderOptions
) -> str:
    del options
    return json.dumps(document(result, rules, run), indent=2, ensure_ascii=False) + "\n"
