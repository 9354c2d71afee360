"""SARIF of a real scan (every rule, taint paths, fixes, suppressions, skipped files) is valid
for the schema and for the SARIF Multitool with GitHub's ingestion rules."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from test_report_sarif import _multitool_errors, _schema_errors

from distrust.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "rules"


def test_sarif_of_a_real_scan_is_accepted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    project = tmp_path / "project"
    shutil.copytree(FIXTURES, project)
    (project / "broken.py").write_text("def f(:\n")
    (project / "SQL001" / "waived.py").write_text(
        "import sqlite3\nfrom flask import request\n\n\ndef v():\n"
        "    sqlite3.connect('x').execute('SELECT ' + request.args['c'])"
        "  # distrust: ignore[SQL001] test data\n")
    monkeypatch.chdir(project)
    code = main(["scan", "--format", "sarif", "--no-progress", "-o", "out.sarif"])
    capsys.readouterr()
    assert code == 1
    log: dict[str, Any] = json.loads((project / "out.sarif").read_text(encoding="utf-8"))
    results = log["runs"][0]["results"]
    assert {r["ruleId"] for r in results} >= {"SQL001", "CMD001", "XSS001"}
    assert any("codeFlows" in r for r in results)
    assert any("fixes" in r for r in results)
    assert any("suppressions" in r for r in results)
    notes = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert any("broken.py" in json.dumps(n) for n in notes)
    assert _schema_errors(log) == []
    assert _multitool_errors(log, tmp_path) == []
