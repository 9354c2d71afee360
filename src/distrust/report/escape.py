"""Making hostile text safe to show. Scanned code chooses its own file names, strings and
comments: an ANSI escape in a snippet can rewrite the terminal, a bidi override can make the
code shown differ from the code that runs (Trojan Source), and a path from a non-UTF-8 file
name carries lone surrogates that no encoder accepts. Every piece of such text passes through
one of these functions before it is shown.

- `escape_terminal`: for the terminal; every control, format, separator, private-use,
  unassigned and surrogate code point becomes visible text (`\\x1b`, `\\n`, `<U+202E>`).
- `snippet_display`: the same for a source line, with tabs expanded and the display column of
  every code point, so that a caret can be put under a span.
- `escape_data`: for JSON and SARIF, which `json.dumps` already keeps well-formed; bidi
  controls become visible and lone surrogates become `\\xNN` (the byte they stand for).
- `escape_html`: `html.escape` plus the visible controls of `escape_terminal`.
"""

from __future__ import annotations

import unicodedata

# Bidirectional embeddings, overrides and isolates, and the invisible direction marks.
BIDI_CONTROLS = frozenset(
    chr(code) for code in (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
)

# General categories that never belong on screen as they are: controls, format characters
# (bidi controls, zero-width characters, BOM), surrogates, private use, unassigned, and the
# line and paragraph separators.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})

_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}

# surrogateescape turns an undecodable byte 0xNN into U+DCNN.
_ESCAPED_BYTE_FIRST = 0xDC80
_ESCAPED_BYTE_LAST = 0xDCFF


def _visible(char: str) -> str:
    """The visible stand-in for one hidden code point."""
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if _ESCAPED_BYTE_FIRST <= code <= _ESCAPED_BYTE_LAST:
        return f"\\x{code - 0xDC00:02x}"
    return f"<U+{code:04X}>"


def is_hidden(char: str) -> bool:
    """Whether a code point must not reach a screen as it is."""
    return char in BIDI_CONTROLS or unicodedata.category(char) in _HIDDEN_CATEGORIES


def escape_terminal(text: str, keep: str = "") -> str:
    """`text` with every hidden code point (see `is_hidden`) replaced by visible text; the
    characters in `keep` (for example `"\\n"`) are left as they are."""
    if text.isascii() and text.isprintable():
        return text
    return "".join(
        _visible(char) if char not in keep and is_hidden(char) else char for char in text
    )


def _width(char: str) -> int:
    """Terminal cells a visible code point takes: 2 for wide East Asian characters, 0 for
    combining marks, else 1."""
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def snippet_display(line: str, tab_size: int = 4) -> tuple[str, list[int]]:
    """A source line made safe for the terminal, and for each code point index `i` of `line`
    (and `len(line)`) the display column where that code point starts, 0-based. Tabs expand to
    the next multiple of `tab_size`; hidden code points become visible text as in
    `escape_terminal`."""
    parts: list[str] = []
    offsets: list[int] = []
    column = 0
    for char in line:
        offsets.append(column)
        if char == "\t":
            shown = " " * (tab_size - column % tab_size)
            column += len(shown)
        elif is_hidden(char):
            shown = _visible(char)
            column += len(shown)
        else:
            shown = char
            column += _width(char)
        parts.append(shown)
    offsets.append(column)
    return "".join(parts), offsets


def display_width(text: str) -> int:
    """Terminal cells that already-escaped text takes."""
    return sum(_width(char) for char in text)


def escape_data(text: str) -> str:
    """Text for JSON and SARIF: bidi controls become `<U+XXXX>`, lone surrogates become
    `\\xNN` (surrogate-escaped bytes) or `<U+XXXX>`. Everything else is left to the JSON
    encoder, which escapes controls itself."""
    if text.isascii():
        return text
    return "".join(
        _visible(char) if char in BIDI_CONTROLS or 0xD800 <= ord(char) <= 0xDFFF else char
        for char in text
    )


def escape_html(text: str, multiline: bool = False) -> str:
    """Text for HTML: hidden code points made visible as in `escape_terminal` (newlines and
    tabs kept when `multiline`, for `<pre>` blocks), then `html.escape` with quotes."""
    import html

    keep = "\n\t" if multiline else ""
    return html.escape(escape_terminal(text, keep=keep), quote=True)
