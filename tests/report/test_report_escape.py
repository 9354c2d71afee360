"""Hostile text made visible: terminal, snippet lines, JSON/SARIF data, HTML."""

from __future__ import annotations

import unicodedata

import pytest

from distrust.report.escape import (
    BIDI_CONTROLS,
    escape_data,
    escape_html,
    escape_terminal,
    is_hidden,
    snippet_display,
)


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain text", "plain text"),
        ("\x1b[2J", "\\x1b[2J"),
        ("a\x07b\x00c\x7f", "a\\x07b\\x00c\\x7f"),
        ("\x9b31m", "\\x9b31m"),  # C1 control sequence introducer
        ("tab\tnl\ncr\r", "tab\\tnl\\ncr\\r"),
        ("\u202eevil\u202c", "<U+202E>evil<U+202C>"),
        ("\u2066\u2067\u2068\u2069", "<U+2066><U+2067><U+2068><U+2069>"),
        ("\u200b\ufeff", "<U+200B><U+FEFF>"),
        ("line\u2028sep", "line<U+2028>sep"),
        ("bad\udcffname", "bad\\xffname"),
        ("lone\ud800", "lone<U+D800>"),
        ("ünïcødé 名前", "ünïcødé 名前"),
    ],
)
def test_escape_terminal(raw: str, shown: str) -> None:
    assert escape_terminal(raw) == shown


def test_escape_terminal_keeps_what_it_is_told() -> None:
    assert escape_terminal("a\nb\x1b", keep="\n") == "a\nb\\x1b"


def test_every_bidi_control_is_hidden() -> None:
    for code in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]:
        char = chr(code)
        assert char in BIDI_CONTROLS
        assert is_hidden(char)
        assert escape_terminal(char) == f"<U+{code:04X}>"


def test_no_control_or_format_character_survives() -> None:
    hostile = "".join(chr(code) for code in range(0x3000) if not 0xD800 <= code <= 0xDFFF)
    shown = escape_terminal(hostile)
    for char in shown:
        assert unicodedata.category(char) not in {"Cc", "Cf", "Zl", "Zp"}, repr(char)


def test_snippet_display_aligns_tabs_wide_characters_and_escapes() -> None:
    line = "\tx = '名前'\x1b[0m + y"
    text, offsets = snippet_display(line, tab_size=4)
    assert text == "    x = '名前'\\x1b[0m + y"
    assert len(offsets) == len(line) + 1
    assert offsets[1] == 4  # after the tab
    y = line.index("y")
    # Two wide characters take two cells each; the ESC shows as four characters.
    assert offsets[y] == len("    x = '") + 4 + len("'\\x1b[0m + ")
    assert text[-1] == "y"


def test_escape_data_only_touches_bidi_and_surrogates() -> None:
    assert escape_data("\x1b[31m\ttab") == "\x1b[31m\ttab"
    assert escape_data("a\u202eb") == "a<U+202E>b"
    assert escape_data("p\udc80q\udfff") == "p\\x80q<U+DFFF>"
    escape_data("é\udcff\u2066").encode("utf-8")  # no lone surrogate left


def test_escape_html() -> None:
    assert escape_html("<b>&\"'</b>") == "&lt;b&gt;&amp;&quot;&#x27;&lt;/b&gt;"
    assert escape_html("x\u202ey") == "x&lt;U+202E&gt;y"
    assert escape_html("a\nb\x1b") == "a\\nb\\x1b"
    assert escape_html("a\n\tb\x1b", multiline=True) == "a\n\tb\\x1b"
