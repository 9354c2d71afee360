"""The text report for people at a terminal: each finding with its source line, a caret under the
span, the taint path one hop a line and the fix; then a summary, the skipped files and notices.

Every piece of text that comes from the scanned tree (paths, snippets, notes, messages that
quote code, justifications, reasons) goes through `escape.py` first. Colour is ANSI and only
when `options.color`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from distrust.model import Finding, RunInfo, ScanResult, Severity, Step
from distrust.report.escape import escape_terminal, snippet_display
from distrust.report.options import RenderOptions

if TYPE_CHECKING:  # the rule catalogue is slow to import and only typed here
    from distrust.rules.rule import Rule

MAX_SNIPPET_LINES = 5

_RESET = "\x1b[0m"
_BOLD = "1"
_DIM = "2"
_RED = "31"
_GREEN = "32"
_YELLOW = "33"
_BLUE = "34"
_MAGENTA = "35"
_CYAN = "36"

_SEVERITY_STYLE = {
    Severity.CRITICAL: f"{_BOLD};{_MAGENTA}",
    Severity.HIGH: f"{_BOLD};{_RED}",
    Severity.MEDIUM: _YELLOW,
    Severity.LOW: _BLUE,
}

# The line breaks of Python source (not str.splitlines, which also breaks at \x0c, \x1c...).
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class _Paint:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, style: str, text: str) -> str:
        if not self.enabled or not text:
            return text
        return f"\x1b[{style}m{text}{_RESET}"


def _position(path: str, line: int, column: int) -> str:
    return f"{escape_terminal(path)}:{line}:{column}"


def _header(finding: Finding, paint: _Paint) -> str:
    loc = finding.location
    severity_style = _SEVERITY_STYLE[finding.severity]
    grade = f"[{finding.severity.label}/{finding.confidence.label}]"
    parts = [
        paint(_BOLD, _position(loc.path, loc.line, loc.column) + ":"),
        paint(severity_style, finding.rule),
        finding.name,
        paint(severity_style, grade),
        escape_terminal(finding.message),
    ]
    text = " ".join(part for part in parts if part)
    if finding.ai_authored:
        text += " " + paint(_CYAN, "(AI-authored)")
    if finding.suppressed:
        why = escape_terminal(finding.justification)
        text += " " + paint(_DIM, f"(suppressed: {why})" if why else "(suppressed)")
    return text


def _snippet(finding: Finding, paint: _Paint) -> list[str]:
    """The source lines of the finding with a caret line under the span of each."""
    loc = finding.location
    lines = _LINE_BREAK.split(finding.snippet.rstrip("\r\n"))
    shown = lines[:MAX_SNIPPET_LINES]
    last_number = loc.line + len(shown) - 1
    gutter = len(str(last_number))
    out: list[str] = []
    for index, raw in enumerate(shown):
        number = loc.line + index
        text, offsets = snippet_display(raw)
        out.append(f"  {paint(_DIM, str(number).rjust(gutter) + ' |')} {text}".rstrip())
        if number > loc.end_line:
            continue
        start = loc.column - 1 if number == loc.line else len(raw) - len(raw.lstrip())
        end = loc.end_column - 1 if number == loc.end_line else len(raw)
        start = max(0, min(start, len(raw)))
        end = max(start, min(end, len(raw)))
        width = max(1, offsets[end] - offsets[start])
        marks = paint(f"{_BOLD};{_RED}", "^" * width)
        out.append(f"  {paint(_DIM, ' ' * gutter + ' |')} {' ' * offsets[start]}{marks}")
    if len(lines) > MAX_SNIPPET_LINES:
        more = len(lines) - MAX_SNIPPET_LINES
        noun = "line" if more == 1 else "lines"
        out.append(f"  {paint(_DIM, ' ' * gutter + ' |')} {paint(_DIM, f'… {more} more {noun}')}")
    return out


def _step(step: Step, paint: _Paint) -> str:
    loc = step.location
    return f"  {paint(_CYAN, '↳')} {_position(loc.path, loc.line, loc.column)} " + escape_terminal(
        step.note
    )


def _fix(finding: Finding, paint: _Paint) -> list[str]:
    if finding.fix is None:
        return []
    out = [f"  {paint(_GREEN, 'fix:')} {escape_terminal(finding.fix.description)}"]
    for edit in finding.fix.edits:
        where = _position(edit.path, edit.line, edit.column)
        span = f"{where}-{edit.end_line}:{edit.end_column}"
        replacement = escape_terminal(edit.text)
        if not edit.text:
            action = "delete"
        elif (edit.line, edit.column) == (edit.end_line, edit.end_column):
            action = f"insert: {replacement}"
        else:
            action = f"replace with: {replacement}"
        out.append(f"    {paint(_DIM, span)} {action}")
    return out


def _finding(finding: Finding, options: RenderOptions, paint: _Paint) -> list[str]:
    out = [_header(finding, paint)]
    if options.show_snippets and finding.snippet:
        out.extend(_snippet(finding, paint))
    if options.show_steps:
        out.extend(_step(step, paint) for step in finding.steps)
    if options.show_fixes:
        out.extend(_fix(finding, paint))
    return out


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def summary(result: ScanResult) -> str:
    """`3 findings (1 critical, 2 high), 1 suppressed, 12 files scanned, 2 skipped`."""
    active = [f for f in result.findings if not f.suppressed]
    counts = {severity: 0 for severity in Severity}
    for finding in active:
        counts[finding.severity] += 1
    by_severity = ", ".join(
        f"{counts[severity]} {severity.label}"
        for severity in sorted(Severity, reverse=True)
        if counts[severity]
    )
    head = _plural(len(active), "finding") + (f" ({by_severity})" if by_severity else "")
    suppressed = len(result.findings) - len(active)
    return (
        f"{head}, {suppressed} suppressed, {_plural(result.files_scanned, 'file')} scanned, "
        f"{len(result.skipped)} skipped"
    )


def render(
    result: ScanResult, rules: Mapping[str, Rule], run: RunInfo, options: RenderOptions
) -> str:
    """The text report. `rules` and `run` are not needed here (findings carry their name and
    grades); the signature is the one every renderer has."""
    del rules, run
    paint = _Paint(options.color)
    blocks: list[str] = []
    for finding in result.findings:
        if finding.suppressed and not options.show_suppressed:
            continue
        blocks.append("\n".join(_finding(finding, options, paint)))
    tail = [paint(_BOLD, summary(result))]
    if result.skipped:
        tail.append("skipped:")
        tail.extend(
            f"  {escape_terminal(item.path)}: {escape_terminal(item.reason)}"
            for item in result.skipped
        )
    if result.notices:
        tail.append("notices:")
        tail.extend(f"  {escape_terminal(notice.message)}" for notice in result.notices)
    blocks.append("\n".join(tail))
    return "\n\n".join(blocks) + "\n"
