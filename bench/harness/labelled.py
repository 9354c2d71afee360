"""File-level scoring on labelled sets of AI-generated code (one file = one case).

A set is a folder with the files and a ``labels.csv`` (file, vulnerable, cwe). Two readings:
"CWE" counts a file as flagged when a finding in it carries exactly the labelled CWE (as the
OWASP scorecards do); "any" counts a file as flagged when the tool reported anything in it.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from harness.tools import ToolFinding


@dataclass(frozen=True)
class Label:
    file: str
    vulnerable: bool
    cwe: int


@dataclass(frozen=True)
class SetScore:
    positives: int
    negatives: int
    tp_cwe: int
    fp_cwe: int
    tp_any: int
    fp_any: int

    @staticmethod
    def _rate(hits: int, total: int) -> float | None:
        return hits / total if total else None

    @property
    def tpr_cwe(self) -> float | None:
        return self._rate(self.tp_cwe, self.positives)

    @property
    def fpr_cwe(self) -> float | None:
        return self._rate(self.fp_cwe, self.negatives)

    @property
    def tpr_any(self) -> float | None:
        return self._rate(self.tp_any, self.positives)

    @property
    def fpr_any(self) -> float | None:
        return self._rate(self.fp_any, self.negatives)


def read_labels(folder: Path) -> list[Label]:
    with (folder / "labels.csv").open(newline="", encoding="utf-8") as handle:
        return [
            Label(row["file"], row["vulnerable"].strip().lower() == "true", int(row["cwe"]))
            for row in csv.DictReader(handle)
        ]


def score_set(labels: list[Label], findings: list[ToolFinding]) -> SetScore:
    by_file: dict[str, set[int | None]] = {}
    for finding in findings:
        by_file.setdefault(finding.filename, set()).add(finding.cwe)
    tp_cwe = fp_cwe = tp_any = fp_any = 0
    for label in labels:
        cwes = by_file.get(label.file, set())
        exact = label.cwe in cwes
        anything = bool(cwes)
        if label.vulnerable:
            tp_cwe += exact
            tp_any += anything
        else:
            fp_cwe += exact
            fp_any += anything
    positives = sum(1 for label in labels if label.vulnerable)
    return SetScore(positives, len(labels) - positives, tp_cwe, fp_cwe, tp_any, fp_any)
