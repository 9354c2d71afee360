"""Applying the fixes that rules offer. A fix is kept only when the file still parses and a
re-scan no longer reports the finding; everything outside the edited spans (formatting, line
endings, encoding) stays byte for byte as it was."""

from __future__ import annotations

import difflib
import io
import itertools
import re
import tokenize
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from distrust.model import Edit, Finding
from distrust.python.source import ParseFailure, parse

_BREAK = re.compile(r"\r\n|\r|\n")


class FixConflict(ValueError):
    """Two edits overlap."""


@dataclass(frozen=True)
class FileFix:
    path: str
    original: str
    fixed: str
    findings: tuple[Finding, ...]

    def diff(self) -> str:
        lines = difflib.unified_diff(
            self.original.splitlines(keepends=True), self.fixed.splitlines(keepends=True),
            fromfile=f"a/{self.path}", tofile=f"b/{self.path}")
        out = "".join(line if line.endswith(("\n", "\r")) else line + "\n" for line in lines)
        return out


@dataclass(frozen=True)
class Rejected:
    finding: Finding
    reason: str


def load(path: Path) -> tuple[str, str] | None:
    """The text of a Python file and the encoding to write it back with (PEP 263; a BOM is
    kept), or None when it cannot be read or decoded."""
    try:
        data = path.read_bytes()
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data.decode(encoding), encoding
    except (OSError, SyntaxError, UnicodeDecodeError, LookupError):
        return None


def line_starts(text: str) -> list[int]:
    """Offsets where each line starts, counting only the breaks `ast` counts."""
    return [0, *(m.end() for m in _BREAK.finditer(text))]


def newline_of(text: str) -> str:
    match = _BREAK.search(text)
    return match.group() if match else "\n"


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """Apply edits given in 1-based lines and code-point columns (end exclusive)."""
    starts = line_starts(text)
    newline = newline_of(text)

    def offset(line: int, column: int) -> int:
        if not 1 <= line <= len(starts):
            raise FixConflict(f"line {line} is outside the file")
        start = starts[line - 1]
        end = starts[line] if line < len(starts) else len(text)
        if not 1 <= column <= end - start + 1:
            raise FixConflict(f"column {column} is outside line {line}")
        return start + column - 1

    # Identical edits (two fixes adding the same `import os`) are one change.
    spans = sorted({(offset(e.line, e.column), offset(e.end_line, e.end_column), e.text)
                    for e in edits}, key=lambda s: (s[0], s[1], s[2]))
    for (_, end, _), (start, _, _) in itertools.pairwise(spans):
        if start < end:
            raise FixConflict("edits overlap")
    out = text
    for start, end, replacement in reversed(spans):
        if end < start:
            raise FixConflict("an edit ends before it starts")
        out = out[:start] + replacement.replace("\n", newline) + out[end:]
    return out


def propose(findings: Sequence[Finding], texts: Mapping[str, str]
            ) -> tuple[dict[str, FileFix], list[Rejected]]:
    """Apply every fix to its file, in memory; a fix whose edits collide with an earlier one
    or that leaves the file unparsable is rejected."""
    by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        if finding.fix is not None and not finding.suppressed:
            by_path.setdefault(finding.location.path, []).append(finding)
    fixes: dict[str, FileFix] = {}
    rejected: list[Rejected] = []
    for path, group in sorted(by_path.items()):
        original = texts.get(path)
        if original is None:
            rejected.extend(Rejected(f, "the file could not be read again") for f in group)
            continue
        accepted: list[Finding] = []
        edits: list[Edit] = []
        for finding in group:
            assert finding.fix is not None
            candidate = [*edits, *finding.fix.edits]
            try:
                fixed = apply_edits(original, candidate)
            except FixConflict as err:
                rejected.append(Rejected(finding, str(err)))
                continue
            if isinstance(parse(fixed, path), ParseFailure):
                rejected.append(Rejected(finding, "the fixed file would not parse"))
                continue
            edits = candidate
            accepted.append(finding)
        if accepted:
            fixes[path] = FileFix(path, original, apply_edits(original, edits), tuple(accepted))
    return fixes, rejected


Rescan = Callable[[Mapping[str, str]], Sequence[Finding]]


def verify(fixes: dict[str, FileFix], before: Sequence[Finding], rescan: Rescan
           ) -> tuple[dict[str, FileFix], list[Rejected]]:
    """Keep the files whose fixes make their findings go away on a re-scan of the project with
    the fixed texts in place; count per file and rule, since fixing a line changes its
    fingerprint."""
    if not fixes:
        return fixes, []
    after = rescan({path: fix.fixed for path, fix in fixes.items()})

    def counts(findings: Sequence[Finding]) -> dict[tuple[str, str], int]:
        out: dict[tuple[str, str], int] = {}
        for f in findings:
            if not f.suppressed:
                key = (f.location.path, f.rule)
                out[key] = out.get(key, 0) + 1
        return out

    old, new = counts(before), counts(after)
    kept: dict[str, FileFix] = {}
    rejected: list[Rejected] = []
    for path, fix in fixes.items():
        ok = True
        for rule in {f.rule for f in fix.findings}:
            fixed_here = sum(1 for f in fix.findings if f.rule == rule)
            if new.get((path, rule), 0) > old.get((path, rule), 0) - fixed_here:
                ok = False
        if ok:
            kept[path] = fix
        else:
            rejected.extend(Rejected(f, "the finding is still reported after the fix")
                            for f in fix.findings)
    return kept, rejected
