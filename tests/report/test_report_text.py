"""The text report: layout, caret, taint steps, fixes, summary; hostile text never reaches the
terminal raw; colour only when asked."""

from __future__ import annotations

import re

from report_cases import (
    ESC_SNIPPET,
    SKIPPED_HOSTILE,
    SPACE_PATH,
    SQL_LINE,
    loc,
    make_finding,
    taint_finding,
)

from distrust.model import Notice, RunInfo, ScanResult, Severity, Skipped
from distrust.report import FORMATS, RenderOptions
from distrust.report.escape import BIDI_CONTROLS, display_width
from distrust.report.text import render, summary
from distrust.rules.rule import Rule

SGR = re.compile(r"\x1b\[[0-9;]*m")


def _text(result: ScanResult, rules: dict[str, Rule], run: RunInfo, **options: bool) -> str:
    return render(result, rules, run, RenderOptions(**options))


def _block(output: str, header_start: str) -> list[str]:
    """The lines of the finding whose header starts with `header_start`."""
    for block in output.split("\n\n"):
        if block.startswith(header_start):
            return block.split("\n")
    raise AssertionError(f"no finding starts with {header_start!r} in:\n{output}")


def test_formats_catalogue(result: ScanResult, rules: dict[str, Rule], run: RunInfo) -> None:
    assert set(FORMATS) == {"text", "json", "sarif"}
    assert FORMATS["text"] is render
    for name, renderer in FORMATS.items():
        output = renderer(result, rules, run, RenderOptions())
        assert isinstance(output, str) and output.endswith("\n"), name
        output.encode("utf-8")  # strict: no lone surrogate in any format


def test_taint_finding_layout(result: ScanResult, rules: dict[str, Rule], run: RunInfo) -> None:
    lines = _block(_text(result, rules, run), "app/db.py:")
    finding = taint_finding()
    assert lines[0] == (
        f"app/db.py:12:5: TST001 sql-injection [high/high] {finding.message} (AI-authored)"
    )
    assert lines[1] == f"  12 | {SQL_LINE}"
    caret = lines[2]
    assert caret.startswith("     | ")
    code, marks = lines[1][len("  12 | ") :], caret[len("     | ") :]
    start = marks.index("^")
    assert set(marks[start:]) == {"^"}
    loc_ = finding.location
    assert code[start : len(marks)] == SQL_LINE[loc_.column - 1 : loc_.end_column - 1]
    assert lines[3:6] == [
        "  ↳ app/views.py:7:12 source: flask.request.args",
        "  ↳ app/views.py:8:5 argument `name` of `find_user`",
        "  ↳ app/db.py:12:5 sink: sqlite3.Cursor.execute",
    ]
    assert lines[6] == "  fix: Pass the value as a query parameter"
    assert lines[7].startswith("    app/db.py:12:17-12:61 replace with: ")


def test_caret_counts_code_points_and_wide_characters(rules: dict[str, Rule], run: RunInfo) -> None:
    line = "名前 = '\t' + eval(x)"
    column = line.index("eval") + 1
    finding = make_finding(
        "TST002", "command-injection", loc("w.py", 1, column, 1, column + 7), line
    )
    output = _text(ScanResult((finding,), (), 1), rules, run)
    shown, caret = _block(output, "w.py:")[1:3]
    # Each of the two wide characters takes two terminal cells.
    assert caret.index("^") == display_width(shown[: shown.index("eval")])
    assert caret.index("^") == shown.index("eval") + 2
    assert caret.count("^") == len("eval(x)")


def test_multi_line_span_is_underlined_line_by_line(
    result: ScanResult, rules: dict[str, Rule], run: RunInfo
) -> None:
    lines = _block(_text(result, rules, run), "multi.py:")
    assert lines[1:] == [
        "  4 |     x = call(",
        "    |         ^^^^^",
        "  5 |         arg,",
        "    |         ^^^^",
        "  6 |     )",
        "    |     ^",
    ]


def test_hostile_text_never_reaches_the_terminal_raw(
    result: ScanResult, rules: dict[str, Rule], run: RunInfo
) -> None:
    for color in (False, True):
        output = _text(result, rules, run, color=color, show_suppressed=True)
        plain = SGR.sub("", output)
        assert "\x1b" not in plain
        assert "\x07" not in plain
        assert not BIDI_CONTROLS & set(output)
        output.encode("utf-8")
    output = _text(result, rules, run, show_suppressed=True)
    assert "\\x1b[2J\\x1b[31mpwned\\x1b[0m" in output
    assert "# <U+202E>evil<U+202C> <U+2066>x<U+2069>" in output
    assert "call quotes <U+202E>txt.exe<U+202C>" in output
    assert "↳ dir with space/ünï cødé.py:2:1 source: \\x1b]0;title\\x07 <U+202E>name" in output
    assert "odd\\nname.py:1:1: TST003" in output
    assert "bad\\xffname.py:2:5: TST003" in output
    assert "MD5 of bytes \\xff\\xfe" in output
    assert "  weird\\xfe\\x1b[0m.py: not valid UTF-8 <U+202E>" in output
    assert "  registry unreachable <U+202E>[x](0)" in output
    # The tab of the hostile snippet is expanded, not escaped: only source text is shown.
    assert ESC_SNIPPET.split("\t")[1] in output
    assert SPACE_PATH in output


def test_colour_only_when_asked(result: ScanResult, rules: dict[str, Rule], run: RunInfo) -> None:
    plain = _text(result, rules, run)
    coloured = _text(result, rules, run, color=True)
    assert "\x1b" not in plain
    assert SGR.search(coloured)
    assert SGR.sub("", coloured) == plain


def test_suppressed_findings_are_counted_and_shown_on_request(
    result: ScanResult, rules: dict[str, Rule], run: RunInfo
) -> None:
    hidden = _text(result, rules, run)
    assert "odd\\nname.py" not in hidden
    shown = _text(result, rules, run, show_suppressed=True)
    header = _block(shown, "odd\\nname.py:")[0]
    assert header.endswith("(suppressed: legacy [click](1) <U+202E>ok)")


def test_options_hide_parts(result: ScanResult, rules: dict[str, Rule], run: RunInfo) -> None:
    lines = _block(
        _text(result, rules, run, show_snippets=False, show_steps=False, show_fixes=False),
        "app/db.py:",
    )
    assert len(lines) == 1


def test_summary_skipped_and_notices(
    result: ScanResult, rules: dict[str, Rule], run: RunInfo
) -> None:
    tail = _text(result, rules, run).split("\n\n")[-1].splitlines()
    assert tail == [
        "4 findings (1 critical, 1 high, 1 medium, 1 low), 1 suppressed, "
        "12 files scanned, 3 skipped",
        "skipped:",
        "  broken.py: syntax error: invalid syntax (line 3, column 7)",
        "  weird\\xfe\\x1b[0m.py: not valid UTF-8 <U+202E>",
        "  huge.py: larger than 5 MB",
        "notices:",
        "  registry unreachable <U+202E>[x](0)",
    ]
    assert SKIPPED_HOSTILE not in _text(result, rules, run)


def test_summary_counts() -> None:
    empty = ScanResult((), (), 1)
    assert summary(empty) == "0 findings, 0 suppressed, 1 file scanned, 0 skipped"
    two = tuple(
        make_finding("TST001", "sql-injection", loc("a.py", n, 1, n, 2), "x", severity=s)
        for n, s in ((1, Severity.MEDIUM), (2, Severity.MEDIUM))
    )
    one_skip = ScanResult(two, (Skipped("b.py", "binary"),), 3, (Notice("n"),))
    assert summary(one_skip) == "2 findings (2 medium), 0 suppressed, 3 files scanned, 1 skipped"


def test_snippet_beyond_span_and_long_snippets(rules: dict[str, Rule], run: RunInfo) -> None:
    snippet = "\n".join(f"line{n}" for n in range(1, 9))
    finding = make_finding("TST001", "sql-injection", loc("long.py", 1, 1, 8, 6), snippet)
    lines = _block(_text(ScanResult((finding,), (), 1), rules, run), "long.py:")
    numbered = [line for line in lines if re.match(r"\s+\d+ \|", line)]
    assert len(numbered) == 5
    assert lines[-1].endswith("… 3 more lines")
    # A column past the end of the line still gives one caret, at the end.
    odd = make_finding("TST001", "sql-injection", loc("o.py", 1, 50, 1, 60), "short")
    caret = _block(_text(ScanResult((odd,), (), 1), rules, run), "o.py:")[2]
    assert caret == "    |      ^"
