"""Values that cross module boundaries: findings, locations, skipped inputs, results."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import IntEnum


class Severity(IntEnum):
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            choices = ", ".join(m.label for m in cls)
            raise ValueError(f"unknown severity {text!r} (choose from {choices})") from None


class Confidence(IntEnum):
    LOW = 1
    MEDIUM = 2
    HIGH = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Confidence:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            choices = ", ".join(m.label for m in cls)
            raise ValueError(f"unknown confidence {text!r} (choose from {choices})") from None


@dataclass(frozen=True, order=True)
class Location:
    """A span in a file. `path` is POSIX and relative to the scan root; lines and columns
    are 1-based, columns count Unicode code points; `end_column` is exclusive."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True)
class Step:
    """One hop of a taint trace."""

    location: Location
    note: str


@dataclass(frozen=True)
class Edit:
    """Replace the text between two (line, column) positions of one file (1-based, columns in
    code points, end exclusive) with `text`."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    text: str


@dataclass(frozen=True)
class Fix:
    description: str
    edits: tuple[Edit, ...]


@dataclass(frozen=True)
class Finding:
    rule: str
    name: str
    message: str
    severity: Severity
    confidence: Confidence
    location: Location
    snippet: str
    fingerprint: str
    steps: tuple[Step, ...] = ()
    cwe: int | None = None
    suppressed: bool = False
    justification: str = ""
    fix: Fix | None = None
    ai_authored: bool | None = None


@dataclass(frozen=True, order=True)
class Skipped:
    """An input that was not analysed, and why. Bad input is data, not an error."""

    path: str
    reason: str


@dataclass(frozen=True)
class Notice:
    """Something the user should know about a run that is neither a finding nor a skipped file
    (a registry that could not be reached, a cache entry that was rebuilt...)."""

    message: str


@dataclass(frozen=True)
class ScanResult:
    findings: tuple[Finding, ...]
    skipped: tuple[Skipped, ...]
    files_scanned: int
    notices: tuple[Notice, ...] = ()


@dataclass(frozen=True)
class RunInfo:
    version: str
    started_at: str
    commit: str | None = None
    base: str | None = None
    rules_digest: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def fingerprint(rule: str, path: str, context: str, occurrence: int = 0) -> str:
    """A stable identity for a finding: the rule, the file, and the normalised text that
    carries it (for example the sink line and its enclosing function), never line numbers, so
    that a finding keeps its identity when unrelated lines above it move. `occurrence`
    separates identical findings in one file."""
    normal = " ".join(context.split())
    data = f"{rule}\0{path}\0{normal}\0{occurrence}".encode("utf-8", "surrogateescape")
    digest = hashlib.sha256(data).hexdigest()
    return digest[:32]


def sort_key(finding: Finding) -> tuple[str, int, int, str, str]:
    loc = finding.location
    return (loc.path, loc.line, loc.column, finding.rule, finding.fingerprint)
