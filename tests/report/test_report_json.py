"""The JSON report: validates against docs/json-schema-v1.json and carries every field."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import jsonschema
import pytest
from report_cases import BIDI_MESSAGE, REPO, SPACE_PATH, SQL_SPAN, taint_finding

from distrust.model import RunInfo, ScanResult
from distrust.report import RenderOptions
from distrust.report.jsonfmt import render
from distrust.rules.rule import Rule

SCHEMA_PATH = REPO / "docs" / "json-schema-v1.json"

FINDING_FIELDS = {
    "rule",
    "name",
    "cwe",
    "severity",
    "confidence",
    "path",
    "line",
    "column",
    "end_line",
    "end_column",
    "message",
    "snippet",
    "steps",
    "fingerprint",
    "suppressed",
    "justification",
    "fix",
    "ai_authored",
}


def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _report(result: ScanResult, rules: dict[str, Rule], run: RunInfo) -> dict[str, Any]:
    text = render(result, rules, run, RenderOptions())
    text.encode("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def test_output_validates_against_the_schema(
    result: ScanResult, rules: dict[str, Rule], run: RunInfo
) -> None:
    _validator().validate(_report(result, rules, run))
    _validator().validate(_report(ScanResult((), (), 0), rules, run))


def test_schema_rejects_drift(result: ScanResult, rules: dict[str, Rule], run: RunInfo) -> None:
    """The schema is strict enough to notice a missing, extra or mistyped field."""
    validator = _validator()
    report = _report(result, rules, run)
    broken: list[dict[str, Any]] = []
    for change in ("drop", "extra", "type"):
        copy = json.loads(json.dumps(report))
        finding = copy["findings"][0]
        if change == "drop":
            del finding["fingerprint"]
        elif change == "extra":
            finding["line_number"] = 3
        else:
            finding["severity"] = "severe"
        broken.append(copy)
    for doc in broken:
        with pytest.raises(jsonschema.ValidationError):
            validator.validate(doc)


def test_top_level_and_tool(result: ScanResult, rules: dict[str, Rule], run: RunInfo) -> None:
    report = _report(result, rules, run)
    assert report["version"] == 1
    assert report["tool"] == {
        "name": "distrust",
        "version": run.version,
        "started_at": run.started_at,
        "commit": run.commit,
        "base": None,
        "rules_digest": run.rules_digest,
    }
    assert report["files_scanned"] == result.files_scanned
    assert [item["path"] for item in report["skipped"]] == [
        "broken.py",
        "weird\\xfe\x1b[0m.py",
        "huge.py",
    ]
    assert report["notices"] == [{"message": "registry unreachable <U+202E>[x](0)"}]


def test_finding_fields(result: ScanResult, rules: dict[str, Rule], run: RunInfo) -> None:
    report = _report(result, rules, run)
    assert len(report["findings"]) == len(result.findings)
    for item in report["findings"]:
        assert set(item) == FINDING_FIELDS
    first = report["findings"][0]
    finding = taint_finding()
    assert first["path"] == "app/db.py"
    assert (first["line"], first["column"], first["end_line"], first["end_column"]) == SQL_SPAN
    assert first["rule"] == "TST001" and first["name"] == "sql-injection"
    assert first["cwe"] == 89
    assert (first["severity"], first["confidence"]) == ("high", "high")
    assert first["fingerprint"] == finding.fingerprint
    assert first["snippet"] == finding.snippet
    assert first["ai_authored"] is True
    assert first["suppressed"] is False
    assert first["steps"] == [
        {
            "path": step.location.path,
            "line": step.location.line,
            "column": step.location.column,
            "end_line": step.location.end_line,
            "end_column": step.location.end_column,
            "note": step.note,
        }
        for step in finding.steps
    ]
    assert finding.fix is not None
    assert first["fix"]["description"] == finding.fix.description
    assert first["fix"]["edits"][0]["text"] == finding.fix.edits[0].text


def test_cwe_falls_back_to_the_rule(rules: dict[str, Rule], run: RunInfo) -> None:
    finding = taint_finding()
    without = ScanResult((dataclasses.replace(finding, cwe=None),), (), 1)
    assert _report(without, rules, run)["findings"][0]["cwe"] == 89


def test_hostile_text_is_escaped_in_data(
    result: ScanResult, rules: dict[str, Rule], run: RunInfo
) -> None:
    report = _report(result, rules, run)
    by_path = {item["path"]: item for item in report["findings"]}
    hostile = by_path[SPACE_PATH]
    assert hostile["message"] == BIDI_MESSAGE.replace("\u202e", "<U+202E>").replace(
        "\u202c", "<U+202C>"
    )
    assert "\u202e" not in json.dumps(report, ensure_ascii=False)
    assert "\x1b[2J" in hostile["snippet"]  # JSON keeps the code; json.dumps escapes ESC
    assert "odd\nname.py" in by_path
    surrogate = by_path["bad\\xffname.py"]
    assert surrogate["message"] == "MD5 of bytes \\xff\\xfe"
    suppressed = by_path["odd\nname.py"]
    assert suppressed["suppressed"] is True
    assert suppressed["justification"] == "legacy [click](1) <U+202E>ok"
