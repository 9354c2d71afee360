"""OWASP Benchmark scoring, as the official scorecards count it.

The expected results file (``expectedresults-<version>.csv``) has one line per test case:
``BenchmarkTest00001,pathtraver,true,22`` (test name, category, real vulnerability, CWE), after a
header line starting with ``#``. A test case is one file, ``BenchmarkTest00001.py``. A tool "flags"
a test case when at least one of its findings in that file carries exactly the CWE expected for
the case; a finding with another CWE does not count, neither for nor against. Per category:
TPR = TP / (TP + FN) over the real vulnerabilities, FPR = FP / (FP + TN) over the false ones, and
the score is TPR - FPR. The overall figure is the unweighted average over categories.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from harness.tools import ToolFinding

CATEGORY_NAMES = {
    "cmdi": "Command Injection",
    "codeinj": "Code Injection",
    "deserialization": "Insecure Deserialization",
    "hash": "Weak Hashing Algorithm",
    "ldapi": "LDAP Injection",
    "pathtraver": "Path Traversal",
    "redirect": "Unchecked Redirect",
    "securecookie": "Insecure Cookie",
    "sqli": "SQL Injection",
    "trustbound": "Trust Boundary",
    "weakrand": "Weak Randomness",
    "xpathi": "XPath Injection",
    "xss": "Cross-Site Scripting",
    "xxe": "XML External Entity",
    "crypto": "Weak Encryption Algorithm",
}

_TEST_RE = re.compile(r"^(BenchmarkTest\d+)")


@dataclass(frozen=True)
class Case:
    name: str
    category: str
    vulnerable: bool
    cwe: int


@dataclass(frozen=True)
class CategoryScore:
    category: str
    cwe: int
    tp: int
    fn: int
    tn: int
    fp: int

    @property
    def tpr(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def fpr(self) -> float:
        return self.fp / (self.fp + self.tn) if self.fp + self.tn else 0.0

    @property
    def score(self) -> float:
        return self.tpr - self.fpr


def find_expected_results(checkout: Path) -> Path:
    found = sorted(checkout.glob("expectedresults-*.csv"))
    if not found:
        raise FileNotFoundError(f"no expectedresults-*.csv in {checkout}")
    return found[-1]


def read_expected(path: Path) -> tuple[str, list[Case]]:
    """Return (benchmark version, cases) from an expected results CSV."""
    version = path.stem.removeprefix("expectedresults-")
    cases = []
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.reader(handle):
            if not row or row[0].lstrip().startswith("#"):
                continue
            name, category, real, cwe = (cell.strip() for cell in row[:4])
            cases.append(Case(name, category, real.lower() == "true", int(cwe)))
    return version, cases


def test_case_of(finding: ToolFinding) -> str | None:
    match = _TEST_RE.match(finding.filename)
    return match.group(1) if match else None


def flagged_cases(cases: Iterable[Case], findings: Iterable[ToolFinding]) -> set[str]:
    """Names of the test cases with a finding of exactly the expected CWE."""
    expected = {case.name: case.cwe for case in cases}
    flagged = set()
    for finding in findings:
        name = test_case_of(finding)
        if name is not None and name in expected and finding.cwe == expected[name]:
            flagged.add(name)
    return flagged


def score(cases: list[Case], flagged: set[str]) -> list[CategoryScore]:
    counts: dict[str, list[int]] = {}
    cwes: dict[str, int] = {}
    for case in cases:
        tp_fn_tn_fp = counts.setdefault(case.category, [0, 0, 0, 0])
        cwes[case.category] = case.cwe
        hit = case.name in flagged
        if case.vulnerable:
            tp_fn_tn_fp[0 if hit else 1] += 1
        else:
            tp_fn_tn_fp[3 if hit else 2] += 1
    return [
        CategoryScore(category, cwes[category], *counts[category]) for category in sorted(counts)
    ]


def average(scores: list[CategoryScore]) -> tuple[float, float, float]:
    """Unweighted mean (TPR, FPR, score) over categories."""
    if not scores:
        return 0.0, 0.0, 0.0
    n = len(scores)
    return (
        sum(s.tpr for s in scores) / n,
        sum(s.fpr for s in scores) / n,
        sum(s.score for s in scores) / n,
    )
