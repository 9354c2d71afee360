"""Finding the line of a declaration in a manifest's text, for formats whose parser does not
report positions (TOML, JSON)."""

from __future__ import annotations

from distrust.deps.types import Span


class LineFinder:
    """Searches a file's lines for needles, front to back from a cursor, so that entries that
    appear in file order (lock file packages) map to successive lines."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def find(self, needle: str, start: int = 0, *, fold: bool = False) -> Span | None:
        """The first line at or after index `start` (0-based) containing `needle`."""
        wanted = needle.lower() if fold else needle
        for index in range(max(start, 0), len(self.lines)):
            line = self.lines[index].lower() if fold else self.lines[index]
            col = line.find(wanted)
            if col >= 0:
                return Span(index + 1, col + 1, col + 1 + len(needle))
        return None

    def section(self, header: str, start: int = 0) -> int:
        """The 0-based index of the line after a TOML table header such as `[project]`, or
        `start` when the header is not there."""
        for index in range(max(start, 0), len(self.lines)):
            if self.lines[index].strip().replace(" ", "") == header:
                return index + 1
        return start

    def whole_line(self, line: int) -> Span:
        text = self.lines[line - 1] if 1 <= line <= len(self.lines) else ""
        stripped = len(text) - len(text.lstrip())
        return Span(line, stripped + 1, max(len(text.rstrip()) + 1, stripped + 2))

    def text_of(self, span: Span) -> str:
        if 1 <= span.line <= len(self.lines):
            return self.lines[span.line - 1].strip()
        return ""

    def locate(self, needles: list[str], start: int = 0) -> Span:
        """The first needle found from `start`, then anywhere, then line 1."""
        for needle in needles:
            found = self.find(needle, start)
            if found is not None:
                return found
        for needle in needles:
            found = self.find(needle, 0, fold=True)
            if found is not None:
                return found
        return Span(1, 1, 2)
