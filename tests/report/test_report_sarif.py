"""The SARIF report: valid against the SARIF 2.1.0 schema, accepted by Microsoft's SARIF
Multitool with the SARIF and GitHub ingestion rules, and carrying what code scanning reads."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from report_cases import DOCS, REPO, SHARED, SPACE_PATH, SQL_SPAN, taint_finding

from distrust.model import RunInfo, ScanResult
from distrust.report import RenderOptions
from distrust.report.sarif import path_uri, render, root_uri
from distrust.rules.rule import Rule

SARIF_SCHEMA = SHARED / "schemas" / "sarif-schema-2.1.0.json"

_PLATFORMS = {"linux": "linux", "darwin": "darwin", "win32": "win32"}


def _multitool() -> Path:
    """The Sarif.Multitool binary that `npm install` at the repository root puts in
    node_modules (see package.json; .ci/run installs it). Missing is a failure, not a skip."""
    package = REPO / "node_modules" / "@microsoft" / f"sarif-multitool-{_PLATFORMS[sys.platform]}"
    binary = package / ("Sarif.Multitool.exe" if sys.platform == "win32" else "Sarif.Multitool")
    assert binary.is_file(), f"{binary} is missing: run `npm install` at the repository root"
    return binary


def _log(
    result: ScanResult, rules: dict[str, Rule], run: RunInfo, root: str | None = None
) -> dict[str, Any]:
    text = render(result, rules, run, RenderOptions(root=root))
    text.encode("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _schema_errors(log: dict[str, Any]) -> list[str]:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft4Validator(schema)
    return [f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(log)]


def _multitool_errors(log: dict[str, Any], tmp_path: Path) -> list[str]:
    """Error-level results of `Sarif.Multitool validate --rule-kind "Sarif;Gh"`."""
    source = tmp_path / "report.sarif"
    source.write_text(json.dumps(log, indent=2, ensure_ascii=False), encoding="utf-8")
    output = tmp_path / "validation.sarif"
    completed = subprocess.run(
        [
            str(_multitool()),
            "validate",
            "--rule-kind",
            "Sarif;Gh",
            "--output",
            str(output),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert output.is_file(), completed.stdout + completed.stderr
    validation = json.loads(output.read_text(encoding="utf-8-sig"))
    errors = []
    for run in validation["runs"]:
        for invocation in run.get("invocations", []):
            assert invocation.get("executionSuccessful", True), completed.stdout
            for note in invocation.get("toolExecutionNotifications", []):
                if note.get("level") == "error":
                    errors.append(f"tool: {note['message'].get('text')}")
        for item in run.get("results", []):
            if item.get("level", "warning") == "error":
                message = item["message"]
                errors.append(
                    f"{item['ruleId']}: {message.get('text') or message.get('arguments')}"
                )
    return errors


def test_validates_against_the_sarif_schema(
    result: ScanResult, rules: dict[str, Rule], run: RunInfo
) -> None:
    assert _schema_errors(_log(result, rules, run)) == []
    assert _schema_errors(_log(result, rules, run, root="/srv/my repo")) == []
    assert _schema_errors(_log(ScanResult((), (), 0), rules, run)) == []


def test_sarif_multitool_reports_no_error(
    result: ScanResult, rules: dict[str, Rule], run: RunInfo, tmp_path: Path
) -> None:
    log = _log(result, rules, run, root="/srv/my repo")
    assert _multitool_errors(log, tmp_path) == []


def test_sarif_multitool_catches_a_broken_log(
    result: ScanResult, rules: dict[str, Rule], run: RunInfo, tmp_path: Path
) -> None:
    """The check above can fail: a raw space in a URI and a region ending before it starts are
    errors to the Multitool (the schema alone accepts both)."""
    log = _log(result, rules, run)
    first = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    first["artifactLocation"]["uri"] = "dir with space/x.py"
    first["region"]["endColumn"] = first["region"]["startColumn"] - 1
    assert _schema_errors(log) == []
    errors = _multitool_errors(log, tmp_path)
    assert any(error.startswith("SARIF1002") for error in errors), errors
    assert any(error.startswith("SARIF1007") for error in errors), errors


def test_driver_rules(result: ScanResult, rules: dict[str, Rule], run: RunInfo) -> None:
    sarif_run = _log(result, rules, run)["runs"][0]
    driver = sarif_run["tool"]["driver"]
    assert driver["name"] == "distrust"
    assert driver["version"] == run.version
    assert driver["informationUri"].startswith("https://")
    ids = [descriptor["id"] for descriptor in driver["rules"]]
    assert ids == ["TST001", "TST002", "TST003", "UNKNOWN9"]
    sql = driver["rules"][0]
    assert sql["name"] == "sql-injection"
    assert sql["shortDescription"]["text"] == rules["TST001"].message
    assert sql["fullDescription"]["text"] == "Finds untrusted data in SQL text."
    assert sql["help"] == {"text": DOCS["TST001"], "markdown": DOCS["TST001"]}
    assert sql["defaultConfiguration"]["level"] == "error"
    assert sql["properties"]["tags"] == ["security", "CWE-89", "external/cwe/cwe-89"]
    assert sql["properties"]["precision"] == "high"
    scores = {d["id"]: float(d["properties"]["security-severity"]) for d in driver["rules"]}
    assert scores["TST002"] > 9.0  # critical
    assert 7.0 <= scores["TST001"] < 9.0  # high
    assert 4.0 <= scores["UNKNOWN9"] < 7.0  # medium
    assert 0.0 < scores["TST003"] < 4.0  # low
    assert driver["rules"][3]["properties"]["tags"] == ["security", "CWE-20", "external/cwe/cwe-20"]


def test_results(result: ScanResult, rules: dict[str, Rule], run: RunInfo) -> None:
    sarif_run = _log(result, rules, run)["runs"][0]
    assert sarif_run["columnKind"] == "unicodeCodePoints"
    assert "%SRCROOT%" in sarif_run["originalUriBaseIds"]
    driver_ids = [descriptor["id"] for descriptor in sarif_run["tool"]["driver"]["rules"]]
    results = sarif_run["results"]
    assert len(results) == len(result.findings)
    for item, finding in zip(results, result.findings, strict=True):
        assert item["ruleId"] == finding.rule
        assert driver_ids[item["ruleIndex"]] == finding.rule
        assert item["partialFingerprints"] == {"distrust/v1": finding.fingerprint}
        location = item["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        region = location["region"]
        assert (region["startLine"], region["startColumn"]) == (
            finding.location.line,
            finding.location.column,
        )
        assert (region["endLine"], region["endColumn"]) == (
            finding.location.end_line,
            finding.location.end_column,
        )
    first = results[0]
    assert first["level"] == "error"
    assert first["message"]["text"] == taint_finding().message
    assert first["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "app/db.py"
    region = first["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"], region["endLine"], region["endColumn"]) == (
        SQL_SPAN
    )
    assert (
        region["snippet"]["text"] == "cur.execute(f\"SELECT * FROM users WHERE name = '{name}'\")"
    )
    flow = first["codeFlows"][0]["threadFlows"][0]["locations"]
    assert [hop["location"]["message"]["text"] for hop in flow] == [
        step.note for step in taint_finding().steps
    ]
    assert flow[0]["location"]["physicalLocation"]["region"]["startColumn"] == 12
    assert first["properties"]["ai_authored"] is True
    fix = first["fixes"][0]
    replacement = fix["artifactChanges"][0]["replacements"][0]
    assert replacement["deletedRegion"] == {
        "startLine": 12,
        "startColumn": 17,
        "endLine": 12,
        "endColumn": 61,
    }
    assert replacement["insertedContent"]["text"] == '"SELECT * FROM users WHERE name = ?", (name,)'
    for item, finding in zip(results, result.findings, strict=True):
        assert ("codeFlows" in item) == bool(finding.steps)


def test_suppressions(result: ScanResult, rules: dict[str, Rule], run: RunInfo) -> None:
    results = _log(result, rules, run)["runs"][0]["results"]
    suppressed = [item for item in results if "suppressions" in item]
    assert len(suppressed) == sum(finding.suppressed for finding in result.findings) == 1
    assert suppressed[0]["suppressions"] == [
        {"kind": "inSource", "justification": "legacy [click](1) <U+202E>ok"}
    ]


def test_uris_are_percent_encoded(result: ScanResult, rules: dict[str, Rule], run: RunInfo) -> None:
    assert path_uri(SPACE_PATH) == "dir%20with%20space/%C3%BCn%C3%AF%20c%C3%B8d%C3%A9.py"
    assert path_uri("odd\nname.py") == "odd%0Aname.py"
    assert path_uri("bad\udcffname.py") == "bad%FFname.py"
    assert path_uri("a:b/100%/#?.py") == "a%3Ab/100%25/%23%3F.py"
    assert root_uri("/srv/my repo") == "file:///srv/my%20repo/"
    assert root_uri("/") == "file:///"
    sarif_run = _log(result, rules, run, root="/srv/my repo")["runs"][0]
    assert sarif_run["originalUriBaseIds"]["%SRCROOT%"] == {"uri": "file:///srv/my%20repo/"}
    uris = {
        item["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for item in sarif_run["results"]
    }
    assert uris == {
        "app/db.py",
        "bad%FFname.py",
        "dir%20with%20space/%C3%BCn%C3%AF%20c%C3%B8d%C3%A9.py",
        "multi.py",
        "odd%0Aname.py",
    }


def test_messages_are_safe(result: ScanResult, rules: dict[str, Rule], run: RunInfo) -> None:
    text = render(result, rules, run, RenderOptions())
    assert "\u202e" not in text and "\u202c" not in text and "\u2066" not in text
    sarif_run = json.loads(text)["runs"][0]
    messages = [item["message"]["text"] for item in sarif_run["results"]]
    assert "call quotes <U+202E>txt.exe<U+202C>" in messages
    assert "MD5 of bytes \\xff\\xfe" in messages
    notes = sarif_run["invocations"][0]["toolExecutionNotifications"]
    # Brackets are escaped so that scanned text cannot form an embedded link.
    assert notes[-1]["message"]["text"] == "registry unreachable <U+202E>\\[x\\](0)"


def test_skipped_files_and_notices_are_notifications(
    result: ScanResult, rules: dict[str, Rule], run: RunInfo
) -> None:
    invocation = _log(result, rules, run)["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is True
    assert invocation["startTimeUtc"] == "2026-11-25T15:30:00.000Z"
    notes = invocation["toolExecutionNotifications"]
    skipped = [note for note in notes if "locations" in note]
    assert [note["level"] for note in skipped] == ["warning"] * len(result.skipped)
    assert [
        note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for note in skipped
    ] == ["broken.py", "weird%FE%1B%5B0m.py", "huge.py"]
    assert skipped[0]["message"]["text"].endswith("syntax error: invalid syntax (line 3, column 7)")
    assert len(notes) == len(result.skipped) + len(result.notices)


@pytest.mark.parametrize("started_at", ["", "yesterday", "2026-11-25T15:30:00"])
def test_start_time_only_when_it_is_a_time_with_a_zone(
    rules: dict[str, Rule], started_at: str
) -> None:
    run = RunInfo(version="0.1.0.dev1", started_at=started_at)
    sarif_run = _log(ScanResult((), (), 0), rules, run)["runs"][0]
    assert "startTimeUtc" not in sarif_run["invocations"][0]
    assert "semanticVersion" not in sarif_run["tool"]["driver"]
    assert _schema_errors(_log(ScanResult((), (), 0), rules, run)) == []
