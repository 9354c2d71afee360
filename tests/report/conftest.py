"""Fixtures for the renderer tests: the rule catalogue with its docs, a result, a run."""

from __future__ import annotations

import pytest
from report_cases import DOCS, SKIPPED_HOSTILE, catalogue, hostile_findings, taint_finding

import distrust.rules.rule
from distrust.model import Notice, RunInfo, ScanResult, Skipped, sort_key
from distrust.rules.rule import Rule


@pytest.fixture
def rules(monkeypatch: pytest.MonkeyPatch) -> dict[str, Rule]:
    """The test catalogue; a code without a doc in `DOCS` still raises, as in the product."""
    monkeypatch.setattr(distrust.rules.rule, "rule_doc", lambda code: DOCS[code])
    return catalogue()


@pytest.fixture
def result() -> ScanResult:
    findings = sorted([taint_finding(), *hostile_findings()], key=sort_key)
    return ScanResult(
        findings=tuple(findings),
        skipped=(
            Skipped("broken.py", "syntax error: invalid syntax (line 3, column 7)"),
            Skipped(SKIPPED_HOSTILE, "not valid UTF-8 \u202e"),
            Skipped("huge.py", "larger than 5 MB"),
        ),
        files_scanned=12,
        notices=(Notice("registry unreachable \u202e[x](0)"),),
    )


@pytest.fixture
def run() -> RunInfo:
    return RunInfo(
        version="0.1.0",
        started_at="2026-11-25T15:30:00+00:00",
        commit="0123456789abcdef0123456789abcdef01234567",
        rules_digest="abc123",
    )
