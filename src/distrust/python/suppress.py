"""Inline suppressions: `# distrust: ignore[SQL001, XSS001] reason` on a finding's line.
Codes are required; a bare `# distrust: ignore` suppresses nothing."""

from __future__ import annotations

import io
import re
import tokenize

_MARK = "distrust:"
_COMMENT = re.compile(r"#\s*distrust:\s*ignore\[([A-Za-z0-9_,\s]+)\]\s*(.*)$")

Suppressions = dict[int, dict[str, str]]


def collect(text: str) -> Suppressions:
    """Line → {code: justification}, read from real comments only (not from strings)."""
    if _MARK not in text:
        return {}
    out: Suppressions = {}
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return _collect_by_line(text)
    for tok in tokens:
        if tok.type != tokenize.COMMENT:
            continue
        _add(out, tok.start[0], tok.string)
    return out


def _collect_by_line(text: str) -> Suppressions:
    out: Suppressions = {}
    for number, line in enumerate(text.splitlines(), start=1):
        pos = line.find("#")
        if pos >= 0 and _MARK in line:
            _add(out, number, line[pos:])
    return out


def _add(out: Suppressions, line: int, comment: str) -> None:
    match = _COMMENT.search(comment)
    if match is None:
        return
    reason = match.group(2).strip()
    codes = [c.strip().upper() for c in match.group(1).split(",") if c.strip()]
    entry = out.setdefault(line, {})
    for code in codes:
        entry[code] = reason


def lookup(sup: Suppressions, code: str, first_line: int, last_line: int) -> str | None:
    """The justification when `code` is suppressed on the finding's first or last line."""
    for line in (first_line, last_line):
        entry = sup.get(line)
        if entry is not None and code in entry:
            return entry[code]
    return None
