"""The SARIF 2.1.0 report, for code scanning services (GitHub code scanning among them).

One run. The driver lists the rules with their docs as help, `security-severity`, CWE tags and
precision; each result carries its location relative to `%SRCROOT%` (columns in Unicode code
points), a partial fingerprint without line numbers, the taint path as a code flow, in-source
suppressions and fixes. Skipped files and notices are tool execution notifications."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import quote

from distrust.model import Confidence, Finding, Fix, Location, RunInfo, ScanResult, Severity
from distrust.report.jsonfmt import JsonValue, clean
from distrust.report.options import RenderOptions

if TYPE_CHECKING:  # the rule catalogue is slow to import and only typed here
    from distrust.rules.rule import Rule

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_NAME = "distrust"
INFORMATION_URI = "https://github.com/distrust-dev/distrust"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "distrust/v1"

LEVELS = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
}

# GitHub code scanning reads `security-severity` as a CVSS-like score: above 9.0 is critical,
# 7.0 to 8.9 high, 4.0 to 6.9 medium, below 4.0 low.
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
}

PRECISION = {
    Confidence.HIGH: "high",
    Confidence.MEDIUM: "medium",
    Confidence.LOW: "low",
}

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_SEMVER = re.compile(r"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")
_FIRST_SECTION = re.compile(r"^## What it does\s*\n(.*?)(?=^## |\Z)", re.MULTILINE | re.DOTALL)


def path_uri(path: str) -> str:
    """A relative POSIX path as a URI reference: every byte outside the unreserved set and `/`
    percent-encoded, including the UTF-8 of non-ASCII names and the original bytes of
    surrogate-escaped ones."""
    return quote(path.encode("utf-8", "surrogateescape"), safe="/")


def root_uri(root: str) -> str:
    """An absolute directory as a `file:` URI ending in `/`, as `originalUriBaseIds` needs."""
    absolute = os.path.abspath(root).replace(os.sep, "/")
    if not absolute.startswith("/"):  # a drive letter: file:///C:/...
        absolute = "/" + absolute
    uri = "file://" + quote(absolute.encode("utf-8", "surrogateescape"), safe="/:")
    return uri if uri.endswith("/") else uri + "/"


def message_text(text: str) -> str:
    """Message text with `[` and `]` escaped: SARIF reads `[text](id)` in a message as an
    embedded link, and scanned code must not be able to make one."""
    return text.replace("[", "\\[").replace("]", "\\]")


def _artifact(path: str) -> dict[str, JsonValue]:
    if PurePosixPath(path).is_absolute():
        return {"uri": "file://" + path_uri(path)}
    return {"uri": path_uri(path), "uriBaseId": SRCROOT}


def _bounds(location: Location) -> tuple[int, int, int, int]:
    """The location as a well-formed SARIF region: 1-based, end not before start."""
    line = max(1, location.line)
    column = max(1, location.column)
    end_line = max(line, location.end_line)
    end_column = max(1, location.end_column)
    if end_line == line:
        end_column = max(column, end_column)
    return line, column, end_line, end_column


def _region(location: Location) -> dict[str, JsonValue]:
    line, column, end_line, end_column = _bounds(location)
    return {"startLine": line, "startColumn": column, "endLine": end_line, "endColumn": end_column}


def _span_text(snippet: str, location: Location) -> str | None:
    """The text of the span, cut from the snippet (the whole source lines of the span), when
    the snippet covers it."""
    lines = _LINE_BREAK.split(snippet)
    count = location.end_line - location.line + 1
    if count < 1 or len(lines) < count:
        return None
    first, last = location.column - 1, location.end_column - 1
    if count == 1:
        text = lines[0][first:last]
    else:
        text = "\n".join([lines[0][first:], *lines[1 : count - 1], lines[count - 1][:last]])
    return text or None


def _physical(location: Location, snippet: str = "") -> dict[str, JsonValue]:
    region = _region(location)
    physical: dict[str, JsonValue] = {"artifactLocation": _artifact(location.path)}
    if snippet:
        span = _span_text(snippet, location)
        if span is not None:
            region["snippet"] = {"text": span}
        context_end = location.line + len(_LINE_BREAK.split(snippet.rstrip("\r\n"))) - 1
        physical["contextRegion"] = {
            "startLine": region["startLine"],
            "endLine": max(_bounds(location)[2], context_end),
            "snippet": {"text": snippet},
        }
    physical["region"] = region
    return {"physicalLocation": physical}


def _doc_summary(doc: str) -> str:
    match = _FIRST_SECTION.search(doc)
    if match is None:
        return ""
    return " ".join(match.group(1).split())


def _tags(cwe: int | None) -> list[JsonValue]:
    tags: list[JsonValue] = ["security"]
    if cwe is not None:
        tags += [f"CWE-{cwe}", f"external/cwe/cwe-{cwe}"]
    return tags


def rule_descriptor(rule: Rule) -> dict[str, JsonValue]:
    doc = rule.doc
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.message},
        "fullDescription": {"text": _doc_summary(doc) or rule.message},
        "help": {"text": doc, "markdown": doc},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {
            "tags": _tags(rule.cwe),
            "security-severity": SECURITY_SEVERITY[rule.severity],
            "precision": PRECISION[rule.confidence],
            "owasp": rule.owasp,
        },
    }


def _stand_in_descriptor(finding: Finding) -> dict[str, JsonValue]:
    """For a finding whose rule is not in the catalogue given (another engine's code)."""
    return {
        "id": finding.rule,
        "name": finding.name,
        "shortDescription": {"text": finding.message},
        "fullDescription": {"text": finding.message},
        "help": {"text": f"{finding.name}: {finding.message}"},
        "defaultConfiguration": {"level": LEVELS[finding.severity]},
        "properties": {
            "tags": _tags(finding.cwe),
            "security-severity": SECURITY_SEVERITY[finding.severity],
            "precision": PRECISION[finding.confidence],
        },
    }


def _fixes(fix: Fix) -> list[JsonValue]:
    changes: dict[str, list[JsonValue]] = {}
    for edit in fix.edits:
        span = Location(edit.path, edit.line, edit.column, edit.end_line, edit.end_column)
        changes.setdefault(edit.path, []).append(
            {"deletedRegion": _region(span), "insertedContent": {"text": edit.text}}
        )
    return [
        {
            "description": {"text": message_text(fix.description)},
            "artifactChanges": [
                {"artifactLocation": _artifact(path), "replacements": replacements}
                for path, replacements in changes.items()
            ],
        }
    ]


def _result(finding: Finding, index: int) -> dict[str, JsonValue]:
    result: dict[str, JsonValue] = {
        "ruleId": finding.rule,
        "ruleIndex": index,
        "level": LEVELS[finding.severity],
        "message": {"text": message_text(finding.message)},
        "locations": [_physical(finding.location, finding.snippet)],
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
    }
    if finding.steps:
        result["codeFlows"] = [
            {
                "threadFlows": [
                    {
                        "locations": [
                            {
                                "location": {
                                    **_physical(step.location),
                                    "message": {"text": message_text(step.note)},
                                }
                            }
                            for step in finding.steps
                        ]
                    }
                ]
            }
        ]
    if finding.suppressed:
        suppression: dict[str, JsonValue] = {"kind": "inSource"}
        if finding.justification:
            suppression["justification"] = finding.justification
        result["suppressions"] = [suppression]
    if finding.fix is not None and finding.fix.edits:
        result["fixes"] = _fixes(finding.fix)
    properties: dict[str, JsonValue] = {
        "severity": finding.severity.label,
        "confidence": finding.confidence.label,
    }
    if finding.ai_authored is not None:
        properties["ai_authored"] = finding.ai_authored
    result["properties"] = properties
    return result


def _notifications(result: ScanResult) -> list[JsonValue]:
    notes: list[JsonValue] = []
    for item in result.skipped:
        note: dict[str, JsonValue] = {
            "level": "warning",
            "message": {"text": message_text(f"Not analysed: {item.reason}")},
            "descriptor": {"id": "skipped"},
        }
        if item.path:
            note["locations"] = [{"physicalLocation": {"artifactLocation": _artifact(item.path)}}]
        notes.append(note)
    for notice in result.notices:
        notes.append(
            {
                "level": "note",
                "message": {"text": message_text(notice.message)},
                "descriptor": {"id": "notice"},
            }
        )
    return notes


def _start_time(started_at: str) -> str | None:
    """`started_at` as SARIF's UTC date-time, or None when it is not an ISO 8601 time."""
    try:
        moment = datetime.fromisoformat(started_at)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def document(
    result: ScanResult, rules: Mapping[str, Rule], run: RunInfo, options: RenderOptions
) -> dict[str, JsonValue]:
    """The SARIF log as JSON values, before encoding."""
    descriptors: list[JsonValue] = []
    index: dict[str, int] = {}
    for code in sorted(rules):
        index[code] = len(descriptors)
        descriptors.append(rule_descriptor(rules[code]))
    for finding in result.findings:
        if finding.rule not in index:
            index[finding.rule] = len(descriptors)
            descriptors.append(_stand_in_descriptor(finding))

    invocation: dict[str, JsonValue] = {
        "executionSuccessful": True,
        "toolExecutionNotifications": _notifications(result),
    }
    started = _start_time(run.started_at)
    if started is not None:
        invocation["startTimeUtc"] = started

    base: dict[str, JsonValue]
    if options.root is not None:
        base = {"uri": root_uri(options.root)}
    else:
        base = {"description": {"text": "The directory the scan ran in."}}

    properties: dict[str, JsonValue] = {"files_scanned": result.files_scanned}
    if run.commit:
        properties["commit"] = run.commit
    if run.base:
        properties["base"] = run.base
    if run.rules_digest:
        properties["rules_digest"] = run.rules_digest

    driver: dict[str, JsonValue] = {
        "name": TOOL_NAME,
        "version": run.version,
        "informationUri": INFORMATION_URI,
        "rules": descriptors,
    }
    if _SEMVER.match(run.version):
        driver["semanticVersion"] = run.version
    sarif_run: dict[str, JsonValue] = {
        "tool": {"driver": driver},
        "invocations": [invocation],
        "originalUriBaseIds": {SRCROOT: base},
        "columnKind": "unicodeCodePoints",
        "results": [_result(finding, index[finding.rule]) for finding in result.findings],
        "properties": properties,
    }
    log: dict[str, JsonValue] = {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [sarif_run],
    }
    cleaned = clean(log)
    assert isinstance(cleaned, dict)
    return cleaned


def render(
    result: ScanResult, rules: Mapping[str, Rule], run: RunInfo, options: RenderOptions
) -> str:
    return json.dumps(document(result, rules, run, options), indent=2, ensure_ascii=False) + "\n"
