"""Parse Python source of a newer syntax than the running interpreter's into its `ast`.

`source.parse` tries `ast.parse` first; when that fails, this module parses the text with
tree-sitter's Python grammar and translates the concrete tree into the node types of the running
interpreter, with the positions `ast` would give (1-based lines, 0-based UTF-8 byte columns).

Syntax covered: everything Python 3.11 knows, PEP 701 f-strings (nested quotes, backslashes and
comments inside replacement fields), PEP 695 type parameters and `type` statements, PEP 696
type parameter defaults, PEP 758 `except A, B:` and PEP 750 t-strings.

Why tree-sitter: it is already a dependency, it is fast, it never recurses in Python, and the
installed grammar (tree-sitter-python 0.25) reads every form above but one; we checked each, and
the tests do too. libcst's native parser (which claims 3.0-3.14) was the alternative; it would have
added a second large native dependency and a second, slower tree to translate. The grammar's gaps
are handled here instead:

- PEP 696 defaults (`[T = int]`) have no rule: when the first error lies in a type parameter
  list, the defaults are blanked out (same length, so positions hold), the text is read again,
  and each default is parsed on its own where it stood;
- `type(x).y = v` is read as a `type` statement and `print >>f, x` as a Python 2 print
  statement: the keyword is respelt (same length) and the text read again, then the name is
  restored;
- `^` and `&` have swapped precedence in the grammar: binary operator chains are rebuilt with
  Python's precedence; `*a.b()` is read as `(*a.b)()`: the star is moved out again;
- the closing quote of a raw string is found from the string's end, not from its end token.

Where the running interpreter has no node for a construct, the closest node that keeps the data
flow visible is produced:

- `type X[T] = v` becomes `X = v` (an `ast.Assign`) before Python 3.12;
- type parameters of functions and classes are dropped before Python 3.12, defaults before 3.13;
- a t-string becomes an `ast.JoinedStr` with the same interpolations before Python 3.14.

Checked by the tests: for the standard library's files, the tree (positions included) dumps
exactly like `ast.parse`'s, on 3.11 and on 3.13. Known difference: a line inside brackets that
is dedented below its block (`(a.\n  b)` at a lower indentation) makes the grammar fail, so such
a file is a `SyntaxError` here.

The translation walks the tree with an explicit stack, so deep input cannot exhaust the Python
stack. Constructs that the grammar accepts but no Python 3 does (Python 2 `print` and `exec`
statements, `<>`, `10L`, assignments to literals) raise `SyntaxError`, as `ast.parse` would.
"""

from __future__ import annotations

import ast
import re
import sys
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar, cast

import tree_sitter
import tree_sitter_python

__all__ = ["parse"]

_PRE_701 = sys.version_info < (3, 12)  # f-string nodes carry the old (3.11) positions
_TYPE_PARAMS = sys.version_info >= (3, 12)
_TYPE_DEFAULTS = sys.version_info >= (3, 13)
_TEMPLATES = hasattr(ast, "TemplateStr")

_N = TypeVar("_N", bound=ast.AST)
Pos = tuple[int, int, int, int]  # lineno, col_offset, end_lineno, end_col_offset
Kid = tuple[str, str | None, Any, Any]  # node type, field name, translated value, tree-sitter node

_LOAD = ast.Load()
_STORE = ast.Store()
_DEL = ast.Del()

# Nodes whose children the walk never visits: the builder reads the node's text instead.
_LEAVES = frozenset(
    {
        "identifier",
        "integer",
        "float",
        "true",
        "false",
        "none",
        "ellipsis",
        "string_start",
        "string_content",
        "string_end",
        "type_conversion",
        "keyword_separator",
        "positional_separator",
        "import_prefix",
        "wildcard_import",
        "escape_sequence",
        "escape_interpolation",
    }
)
_EXTRAS = frozenset({"comment", "line_continuation"})
# Nodes that open a bracket. Like CPython's tokenizer, refuse more than 200 nested ones: the
# tree stays as deep as one `ast.parse` could give, for the recursive walkers downstream.
_MAX_BRACKETS = 200
_BRACKETED = frozenset(
    {
        "parenthesized_expression",
        "tuple",
        "list",
        "set",
        "dictionary",
        "argument_list",
        "subscript",
        "list_comprehension",
        "set_comprehension",
        "dictionary_comprehension",
        "generator_expression",
        "parameters",
        "type_parameter",
        "interpolation",
        "format_expression",
        "list_pattern",
        "tuple_pattern",
        "dict_pattern",
        "class_pattern",
    }
)


@cache
def _language() -> tree_sitter.Language:
    return tree_sitter.Language(tree_sitter_python.language())


_PER_THREAD = threading.local()


def _parser() -> tree_sitter.Parser:
    """A parser is not safe to share between threads: one per thread."""
    parser: tree_sitter.Parser | None = getattr(_PER_THREAD, "parser", None)
    if parser is None:
        parser = _PER_THREAD.parser = tree_sitter.Parser(_language())
    return parser


def parse(text: str, filename: str = "<unknown>") -> ast.Module:
    """Parse `text` into an `ast.Module` of the running interpreter. Raises `SyntaxError` with
    the position of the first error when the grammar rejects the text."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\0" in text:
        raise SyntaxError("source code cannot contain null bytes", (filename, 1, 1, ""))
    try:
        src = text.encode("utf-8")
    except UnicodeEncodeError as err:
        raise SyntaxError("source is not valid UTF-8", (filename, 1, 1, "")) from err
    original = src
    renamed: dict[tuple[int, int], str] = {}
    defaults: list[_Default] = []
    for _ in range(_MAX_REREADS):
        # The tree comes from the text as amended below (never longer or shorter), the text of
        # names, strings and numbers from the original.
        root = _parser().parse(src).root_node
        translator = _Translator(original, filename)
        if root.has_error:
            bad = _first_error(root)
            blanked = _blank_type_defaults(src, bad)
            if blanked is not None:
                src = blanked[0]
                defaults.extend(blanked[1])
                continue
            fill = _format_spec_fill(src, bad)
            if fill is not None:
                src = fill
                continue
            message = "invalid syntax"
            for (line, _col), word in renamed.items():
                if line == bad.start_point[0] + 1 and word != "type":
                    message = f"Missing parentheses in call to '{word}'"
            translator.fail(message, bad, "missing token" if bad.is_missing else None)
        try:
            module = translator.run(root)
        except (IndexError, KeyError, ValueError, TypeError, AttributeError, StopIteration) as err:
            # A tree the grammar accepted but that no Python reads: hostile input must not crash.
            raise SyntaxError(
                f"invalid syntax ({type(err).__name__} in the fallback parser)",
                (filename, 1, 1, ""),
            ) from err
        except _Reread as again:
            # The grammar read a name as a Python 2 keyword or as the soft keyword `type`:
            # read the text again with that one name spelt differently.
            word = again.node.type
            start = again.node.start_byte
            src = src[:start] + _RESPELT[word] + src[start + len(word) :]
            point = again.node.start_point
            renamed[(point[0] + 1, point[1])] = word
            continue
        if defaults and _TYPE_DEFAULTS:
            _attach_defaults(module, defaults, filename)
        return module  # type: ignore[no-any-return]
    raise SyntaxError("too many ambiguous statements", (filename, 1, 1, ""))


_MAX_REREADS = 64
# Same length, not a keyword of the grammar: positions stay as they were.
_RESPELT = {"print": b"prinT", "exec": b"exeC", "type": b"tYpe"}


class _Reread(Exception):
    def __init__(self, node: Any) -> None:
        super().__init__(node.type)
        self.node = node


def _format_spec_fill(src: bytes, bad: Any) -> bytes | None:
    """`f"{x:=^10}"` (fill `=`, centred) is read by the grammar as a broken `x := ...`. Put
    another fill character in its place so that the grammar sees a format spec; the spec's
    text is then taken from the original."""
    node = bad
    while node is not None:
        parent = node.parent
        if (
            node.type == "named_expression"
            and parent is not None
            and parent.type in ("interpolation", "format_expression")
        ):
            name = node.child_by_field_name("name")
            at = src.find(b":=", name.end_byte, node.end_byte) if name is not None else -1
            if at < 0:
                return None
            return src[: at + 1] + b"_" + src[at + 2 :]
        node = parent
    return None


def _first_error(root: Any) -> Any:
    node = root
    while True:
        if node.is_error or node.is_missing:
            return node
        for child in node.children:
            if child.has_error or child.is_missing:
                node = child
                break
        else:
            return node


def _pos(node: Any) -> Pos:
    start = node.start_point
    end = node.end_point
    return (start[0] + 1, start[1], end[0] + 1, end[1])


def _npos(node: ast.AST) -> Pos:
    return (node.lineno, node.col_offset, node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]


def _span(first: Pos, last: Pos) -> Pos:
    return (first[0], first[1], last[2], last[3])


def _at(node: _N, pos: Pos) -> _N:
    target: Any = node
    target.lineno, target.col_offset, target.end_lineno, target.end_col_offset = pos
    return node


# -- intermediate values -------------------------------------------------------------------


@dataclass
class _Assign:
    targets: list[ast.expr]
    value: ast.expr | None
    annotation: ast.expr | None = None
    simple: int = 0


@dataclass
class _Splat2:  # `**x` in a call, a dict, a parameter list or a type parameter list
    value: ast.expr
    pos: Pos


@dataclass
class _Constrained:  # `T: bound` in a type parameter list
    name: ast.expr
    bound: ast.expr
    pos: Pos


@dataclass
class _As:  # `x as y` in with items, except clauses and patterns
    kid: Kid
    target: Any
    pos: Pos


@dataclass
class _Items:  # the inside of brackets: values and whether a comma separated them
    values: list[Kid]
    comma: bool
    last_end: tuple[int, int]
    pos: Pos


@dataclass
class _Interp:
    value: ast.expr
    conversion: int
    spec: _Spec | None
    debug: str | None
    debug_end: tuple[int, int]
    text: str
    pos: Pos


@dataclass
class _Spec:
    pieces: list[_Lit | _Interp]
    pos: Pos


@dataclass
class _Lit:
    raw: str
    pos: Pos


@dataclass
class _StrPart:
    prefix: str
    token_text: str
    pieces: list[_Lit | _Interp]
    pos: Pos
    formatted: bool = False
    template: bool = False
    raw: bool = False
    is_bytes: bool = False
    plain: str = ""  # the text between the quotes of a string that is not an f-string


@dataclass
class _KeywordPattern:
    name: str
    pattern: ast.pattern


_BINOPS: dict[str, type[ast.operator]] = {
    "+": ast.Add,
    "-": ast.Sub,
    "*": ast.Mult,
    "@": ast.MatMult,
    "/": ast.Div,
    "%": ast.Mod,
    "**": ast.Pow,
    "<<": ast.LShift,
    ">>": ast.RShift,
    "|": ast.BitOr,
    "^": ast.BitXor,
    "&": ast.BitAnd,
    "//": ast.FloorDiv,
}
_CMPOPS: dict[str, type[ast.cmpop]] = {
    "==": ast.Eq,
    "!=": ast.NotEq,
    "<": ast.Lt,
    "<=": ast.LtE,
    ">": ast.Gt,
    ">=": ast.GtE,
    "is": ast.Is,
    "is not": ast.IsNot,
    "in": ast.In,
    "not in": ast.NotIn,
}
_UNARY: dict[str, type[ast.unaryop]] = {"-": ast.USub, "+": ast.UAdd, "~": ast.Invert}
_STR_ESCAPE = re.compile(
    r"\\(N\{[^}]*\}|x[0-9a-fA-F]{0,2}|u[0-9a-fA-F]{0,4}|U[0-9a-fA-F]{0,8}|[0-7]{1,3}|\n|.)",
    re.DOTALL,
)
_BYTES_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{0,2}|[0-7]{1,3}|\n|.)", re.DOTALL)
_SIMPLE_ESCAPES = {
    "\n": "",
    "\\": "\\",
    "'": "'",
    '"': '"',
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
}


class _Translator:
    def __init__(self, src: bytes, filename: str) -> None:
        self.src = src
        self.filename = filename
        self.builders: dict[str, Callable[[Any, list[Kid]], Any]] = {
            kind: getattr(self, "b_" + kind) for kind in _NODE_TYPES
        }

    # -- errors -----------------------------------------------------------------------------

    def fail(self, message: str, node: Any, detail: str | None = None) -> Any:
        point = node.start_point
        self.fail_at(message if detail is None else f"{message} ({detail})", point[0], point[1])

    def fail_at(self, message: str, row: int, byte_col: int) -> Any:
        lines = self.src.split(b"\n")
        line = lines[row] if row < len(lines) else b""
        col = len(line[:byte_col].decode("utf-8", "replace")) + 1
        text = line.decode("utf-8", "replace")
        raise SyntaxError(message, (self.filename, row + 1, col, text))

    def text(self, node: Any) -> str:
        return self.src[node.start_byte : node.end_byte].decode("utf-8")

    # -- the walk ---------------------------------------------------------------------------

    def run(self, root: Any) -> Any:
        builders = self.builders
        cursor = root.walk()
        frames: list[tuple[Any, str | None, list[Kid]]] = [(root, None, [])]
        brackets = 0  # open brackets around the cursor: CPython allows at most 200
        if not cursor.goto_first_child():
            return builders["module"](root, [])
        while True:
            node = cursor.node
            kind = node.type
            if kind in _EXTRAS:
                pass
            elif not node.is_named:
                frames[-1][2].append((kind, cursor.field_name, None, node))
            elif kind in _LEAVES:
                builder = builders.get(kind)
                value = builder(node, []) if builder else kind
                frames[-1][2].append((kind, cursor.field_name, value, node))
            else:
                fname = cursor.field_name
                if cursor.goto_first_child():
                    frames.append((node, fname, []))
                    if kind in _BRACKETED:
                        brackets += 1
                        if brackets > _MAX_BRACKETS:
                            self.fail("too many nested parentheses", node)
                    continue
                frames[-1][2].append((kind, fname, self.build(node, [], frames), node))
            while not cursor.goto_next_sibling():
                cursor.goto_parent()
                done, fname, kids = frames.pop()
                if done.type in _BRACKETED:
                    brackets -= 1
                if not frames:
                    return self.build(done, kids, frames)
                frames[-1][2].append((done.type, fname, self.build(done, kids, frames), done))

    def build(self, node: Any, kids: list[Kid], frames: list[Any]) -> Any:
        kind = node.type
        builder = self.builders.get(kind)
        if builder is None:
            return self.fail(f"unsupported syntax: {kind}", node)
        value = builder(node, kids)
        if kind == "string" and (not frames or frames[-1][0].type != "concatenated_string"):
            value = self.strings([value], _pos(node))
        return value

    # -- helpers ----------------------------------------------------------------------------

    def store(self, target: ast.expr, ctx: ast.expr_context, node: Any) -> ast.expr:
        stack: list[ast.expr] = [target]
        while stack:
            item = stack.pop()
            if isinstance(item, ast.Name | ast.Attribute | ast.Subscript):
                item.ctx = ctx
            elif isinstance(item, ast.Tuple | ast.List):
                item.ctx = ctx
                stack.extend(item.elts)
            elif isinstance(item, ast.Starred) and ctx is not _DEL:
                item.ctx = ctx
                stack.append(item.value)
            else:
                what = type(item).__name__.lower()
                verb = "delete" if ctx is _DEL else "assign to"
                self.fail_at(f"cannot {verb} {what}", item.lineno - 1, item.col_offset)
        return target

    def expr(self, kid: Kid) -> ast.expr:
        value = kid[2]
        if isinstance(value, ast.expr):
            return value
        if isinstance(value, _Generic):
            items = value.items
            single = len(items.values) == 1 and not items.comma
            if single and not isinstance(items.values[0][2], ast.Starred):
                index = self.expr(items.values[0])
            else:
                first = _pos(items.values[0][3])
                index = self.tuple_of(items.values, (first[0], first[1], *items.last_end))
            subscript = ast.Subscript(value=self.expr(value.base), slice=index, ctx=_LOAD)
            return _at(subscript, value.pos)
        return self.fail("expected an expression", kid[3])  # type: ignore[no-any-return]

    def exprs(self, kids: list[Kid]) -> list[ast.expr]:
        return [self.expr(k) for k in kids if k[2] is not None]

    def tuple_of(self, kids: list[Kid], pos: Pos) -> ast.expr:
        return _at(ast.Tuple(elts=self.exprs(kids), ctx=_LOAD), pos)

    def name(self, kid: Kid) -> str:
        value = kid[2]
        if isinstance(value, ast.Name):
            return value.id
        return self.fail("expected a name", kid[3])  # type: ignore[no-any-return]

    # -- strings ----------------------------------------------------------------------------

    def strings(self, parts: list[_StrPart], whole: Pos) -> ast.expr:
        kinds = {p.is_bytes for p in parts}
        if len(kinds) > 1:
            self.fail_at("cannot mix bytes and nonbytes literals", whole[0] - 1, whole[1])
        if _TEMPLATES and any(p.template for p in parts):
            return self.template(parts, whole)
        if _PRE_701:
            return self.strings_311(parts, whole)
        return self.strings_312(parts, whole)

    def literal(self, part: _StrPart, raw: str, in_fstring: bool) -> str | bytes:
        if part.is_bytes:
            if not raw.isascii():
                self.fail_at(
                    "bytes can only contain ASCII literal characters", part.pos[0] - 1, part.pos[1]
                )
            if part.raw or "\\" not in raw:
                return raw.encode("ascii")
            return _decode_escapes(raw, _BYTES_ESCAPE, False).encode("latin-1")
        if in_fstring:
            raw = raw.replace("{{", "{").replace("}}", "}")
        if part.raw or "\\" not in raw:
            return raw
        try:
            return _decode_escapes(raw, _STR_ESCAPE, True)
        except (KeyError, ValueError):
            return self.fail_at(  # type: ignore[no-any-return]
                "(unicode error) cannot decode an escape sequence", part.pos[0] - 1, part.pos[1]
            )

    def fvalue(self, interp: _Interp, spec: ast.expr | None, pos: Pos) -> ast.expr:
        return _at(
            ast.FormattedValue(value=interp.value, conversion=interp.conversion, format_spec=spec),
            pos,
        )

    def strings_312(self, parts: list[_StrPart], whole: Pos) -> ast.expr:
        elems: list[ast.expr] = []
        formatted = False
        for part in parts:
            if not (part.formatted or part.template):
                kind = "u" if part.token_text[:1] == "u" else None
                value = self.literal(part, part.plain, False)
                elems.append(_at(ast.Constant(value=value, kind=kind), part.pos))
                continue
            formatted = True
            for piece in part.pieces:
                if isinstance(piece, _Lit):
                    value = self.literal(part, piece.raw, True)
                    if value:
                        elems.append(_at(ast.Constant(value=value, kind=None), piece.pos))
                    continue
                if piece.debug is not None:
                    elems.append(self.debug_text(part, piece))
                elems.append(self.fvalue(piece, self.spec_312(part, piece.spec), piece.pos))
        if parts[0].is_bytes or not formatted:
            kind = elems[0].kind if isinstance(elems[0], ast.Constant) else None
            if len(elems) == 1:
                return elems[0]
            joined: Any = b"" if parts[0].is_bytes else ""
            for elem in elems:
                joined += elem.value  # type: ignore[attr-defined]
            return _at(ast.Constant(value=joined, kind=kind), whole)
        return _at(ast.JoinedStr(values=_fold(elems)), whole)

    def spec_312(self, part: _StrPart, spec: _Spec | None) -> ast.expr | None:
        if spec is None:
            return None
        values: list[ast.expr] = []
        for piece in spec.pieces:
            if isinstance(piece, _Lit):
                value = self.literal(part, piece.raw, True)
                if value:
                    values.append(_at(ast.Constant(value=value, kind=None), piece.pos))
            else:
                if piece.debug is not None:
                    values.append(self.debug_text(part, piece))
                values.append(self.fvalue(piece, self.spec_312(part, piece.spec), piece.pos))
        return _at(ast.JoinedStr(values=_fold(values)), spec.pos)

    def debug_text(self, part: _StrPart, piece: _Interp) -> ast.expr:
        debug = str(piece.debug)
        text = debug if part.raw else str(self.literal(part, debug, False))
        pos = (piece.pos[0], piece.pos[1] + 1, *piece.debug_end)
        return _at(ast.Constant(value=text, kind=None), pos)

    def strings_311(self, parts: list[_StrPart], whole: Pos) -> ast.expr:
        first = parts[0]
        kind = "u" if first.token_text[:1] == "u" else None
        if first.is_bytes:
            joined = b"".join(cast(bytes, self.literal(p, p.plain, False)) for p in parts)
            return _at(ast.Constant(value=joined, kind=None), whole)
        values: list[ast.expr] = []
        pending: list[str] = []
        formatted = False
        for part in parts:
            if not (part.formatted or part.template):
                pending.append(str(self.literal(part, part.plain, False)))
                continue
            formatted = True
            for piece in part.pieces:
                if isinstance(piece, _Lit):
                    pending.append(str(self.literal(part, piece.raw, True)))
                    continue
                if piece.debug is not None:
                    pending.append(piece.debug)
                if "".join(pending):
                    values.append(_at(ast.Constant(value="".join(pending), kind=kind), whole))
                pending = []
                spec = self.spec_311(part, piece.spec, whole, kind)
                values.append(self.fvalue(piece, spec, whole))
        text = "".join(pending)
        if not formatted:
            return _at(ast.Constant(value=text, kind=kind), whole)
        if text:
            values.append(_at(ast.Constant(value=text, kind=kind), whole))
        return _at(ast.JoinedStr(values=values), whole)

    def spec_311(
        self, part: _StrPart, spec: _Spec | None, whole: Pos, kind: str | None
    ) -> ast.expr | None:
        if spec is None:
            return None
        values: list[ast.expr] = []
        pending: list[str] = []
        for piece in spec.pieces:
            if isinstance(piece, _Lit):
                pending.append(str(self.literal(part, piece.raw, True)))
                continue
            if piece.debug is not None:
                pending.append(piece.debug)
            if "".join(pending):
                values.append(_at(ast.Constant(value="".join(pending), kind=kind), whole))
            pending = []
            inner = self.spec_311(part, piece.spec, whole, kind)
            values.append(self.fvalue(piece, inner, whole))
        text = "".join(pending)
        own_kind = "u" if part.token_text[:1] == "u" else None
        if text:
            values.append(_at(ast.Constant(value=text, kind=own_kind), part.pos))
        return _at(ast.JoinedStr(values=values), part.pos)

    def template(self, parts: list[_StrPart], whole: Pos) -> ast.expr:  # pragma: no cover
        # Python 3.14+: only reached for files of a still newer syntax.
        values: list[ast.expr] = []
        for part in parts:
            if not part.template:
                message = "cannot mix t-string literals with other literals"
                self.fail_at(message, part.pos[0] - 1, part.pos[1])
            for piece in part.pieces:
                if isinstance(piece, _Lit):
                    value = self.literal(part, piece.raw, True)
                    if value:
                        values.append(_at(ast.Constant(value=value, kind=None), piece.pos))
                    continue
                if piece.debug is not None:
                    values.append(self.debug_text(part, piece))
                spec = self.spec_312(part, piece.spec)
                interp = ast.Interpolation(  # type: ignore[attr-defined,unused-ignore]
                    value=piece.value,
                    str=piece.text,
                    conversion=piece.conversion,
                    format_spec=spec,
                )
                values.append(_at(interp, piece.pos))
        node = ast.TemplateStr(values=_fold(values))  # type: ignore[attr-defined,unused-ignore]
        return _at(node, whole)  # type: ignore[no-any-return]

    # -- builders: one per tree-sitter node type, called with the translated children -------

    def b_module(self, node: Any, kids: list[Kid]) -> Any:
        return ast.Module(body=_values(kids), type_ignores=[])

    def b_block(self, node: Any, kids: list[Kid]) -> Any:
        body = _Body(_values(kids))
        if not body:
            return self.fail("expected an indented block", node)
        for kid in reversed(kids):
            if kid[0] == ";":
                end = kid[3].end_point
                body.end = (0, 0, end[0] + 1, end[1])
                break
            if isinstance(kid[2], ast.stmt):
                body.end = _npos(kid[2])
                break
        return body

    # atoms

    def b_identifier(self, node: Any, kids: list[Kid]) -> Any:
        return _at(ast.Name(id=_identifier(self.text(node)), ctx=_LOAD), _pos(node))

    def b_integer(self, node: Any, kids: list[Kid]) -> Any:
        try:
            value = _number(self.text(node))
        except ValueError:
            return self.fail("invalid number literal", node)
        return _at(ast.Constant(value=value, kind=None), _pos(node))

    b_float = b_integer

    def b_true(self, node: Any, kids: list[Kid]) -> Any:
        return _at(ast.Constant(value=True, kind=None), _pos(node))

    def b_false(self, node: Any, kids: list[Kid]) -> Any:
        return _at(ast.Constant(value=False, kind=None), _pos(node))

    def b_none(self, node: Any, kids: list[Kid]) -> Any:
        return _at(ast.Constant(value=None, kind=None), _pos(node))

    def b_ellipsis(self, node: Any, kids: list[Kid]) -> Any:
        return _at(ast.Constant(value=..., kind=None), _pos(node))

    def b_parenthesized_expression(self, node: Any, kids: list[Kid]) -> Any:
        inner = [k for k in kids if k[2] is not None]
        if len(inner) != 1:
            return self.fail("invalid parenthesized expression", node)
        return inner[0][2]

    def b_type(self, node: Any, kids: list[Kid]) -> Any:
        inner = [k for k in kids if k[2] is not None]
        if len(inner) != 1:
            return self.fail("invalid annotation", node)
        return inner[0][2]

    def b_attribute(self, node: Any, kids: list[Kid]) -> Any:
        value = self.expr(_field(kids, "object"))
        attr = self.name(_field(kids, "attribute"))
        if isinstance(value, ast.Starred):
            inner = ast.Attribute(value=value.value, attr=attr, ctx=_LOAD)
            _at(inner, _span(_npos(value.value), _pos(node)))
            return _at(ast.Starred(value=inner, ctx=_LOAD), _pos(node))
        return _at(ast.Attribute(value=value, attr=attr, ctx=_LOAD), _pos(node))

    b_member_type = b_attribute

    def b_subscript(self, node: Any, kids: list[Kid]) -> Any:
        value = self.expr(_field(kids, "value"))
        subs = [k for k in kids if k[1] == "subscript"]
        comma = any(k[0] == "," for k in kids)
        if len(subs) == 1 and not comma and not isinstance(subs[0][2], ast.Starred):
            index = self.expr(subs[0])
        else:
            last = kids[-2] if kids[-1][0] == "]" else kids[-1]
            pos = _span(_pos(subs[0][3]), _pos(last[3]))
            index = self.tuple_of(subs, pos)
        if isinstance(value, ast.Starred):
            inner = ast.Subscript(value=value.value, slice=index, ctx=_LOAD)
            _at(inner, _span(_npos(value.value), _pos(node)))
            return _at(ast.Starred(value=inner, ctx=_LOAD), _pos(node))
        return _at(ast.Subscript(value=value, slice=index, ctx=_LOAD), _pos(node))

    def b_slice(self, node: Any, kids: list[Kid]) -> Any:
        parts: list[ast.expr | None] = [None, None, None]
        at = 0
        for kid in kids:
            if kid[0] == ":":
                at += 1
            elif kid[2] is not None:
                parts[at] = self.expr(kid)
        return _at(ast.Slice(lower=parts[0], upper=parts[1], step=parts[2]), _pos(node))

    def b_call(self, node: Any, kids: list[Kid]) -> Any:
        func = self.expr(_field(kids, "function"))
        arguments = _field(kids, "arguments")
        if arguments[0] == "generator_expression":
            args, keywords = [arguments[2]], []
        else:
            args, keywords = arguments[2]
        if isinstance(func, ast.Starred):
            inner = ast.Call(func=func.value, args=args, keywords=keywords)
            _at(inner, _span(_npos(func.value), _pos(node)))
            return _at(ast.Starred(value=inner, ctx=_LOAD), _pos(node))
        return _at(ast.Call(func=func, args=args, keywords=keywords), _pos(node))

    def b_argument_list(self, node: Any, kids: list[Kid]) -> Any:
        args: list[ast.expr] = []
        keywords: list[ast.keyword] = []
        for kid in kids:
            value = kid[2]
            if value is None:
                continue
            if isinstance(value, ast.keyword):
                keywords.append(value)
            elif isinstance(value, _Splat2):
                keywords.append(_at(ast.keyword(arg=None, value=value.value), value.pos))
            else:
                args.append(self.expr(kid))
        return args, keywords

    def b_keyword_argument(self, node: Any, kids: list[Kid]) -> Any:
        name = self.name(_field(kids, "name"))
        value = self.expr(_field(kids, "value"))
        return _at(ast.keyword(arg=name, value=value), _pos(node))

    def b_dictionary_splat(self, node: Any, kids: list[Kid]) -> Any:
        return _Splat2(self.exprs(kids)[0], _pos(node))

    def b_list_splat(self, node: Any, kids: list[Kid]) -> Any:
        return _at(ast.Starred(value=self.exprs(kids)[0], ctx=_LOAD), _pos(node))

    def b_binary_operator(self, node: Any, kids: list[Kid]) -> Any:
        operands: list[tuple[ast.expr, Pos]] = []
        ops: list[str] = []
        for kid in kids:
            if kid[1] == "operator" or kid[0] == "|":
                ops.append(kid[0])
            elif isinstance(kid[2], _Chain):
                operands.extend(kid[2].operands)
                ops.extend(kid[2].ops)
            elif kid[2] is not None:
                operands.append((self.expr(kid), _pos(kid[3])))
        parent = node.parent
        if parent is not None and parent.type == "type":
            parent = parent.parent
        if parent is not None and parent.type in ("binary_operator", "union_type"):
            return _Chain(operands, ops)
        return _precedence(operands, ops)

    b_union_type = b_binary_operator

    def b_unary_operator(self, node: Any, kids: list[Kid]) -> Any:
        op = _UNARY[_field(kids, "operator")[0]]()
        operand = self.expr(_field(kids, "argument"))
        return _at(ast.UnaryOp(op=op, operand=operand), _pos(node))

    def b_not_operator(self, node: Any, kids: list[Kid]) -> Any:
        operand = self.expr(_field(kids, "argument"))
        return _at(ast.UnaryOp(op=ast.Not(), operand=operand), _pos(node))

    def b_boolean_operator(self, node: Any, kids: list[Kid]) -> Any:
        left_kid = _field(kids, "left")
        op_kind = ast.And if _field(kids, "operator")[0] == "and" else ast.Or
        left = self.expr(left_kid)
        right = self.expr(_field(kids, "right"))
        if (
            left_kid[0] == "boolean_operator"
            and isinstance(left, ast.BoolOp)
            and isinstance(left.op, op_kind)
        ):
            values = [*left.values, right]
        else:
            values = [left, right]
        return _at(ast.BoolOp(op=op_kind(), values=values), _pos(node))

    def b_comparison_operator(self, node: Any, kids: list[Kid]) -> Any:
        operands: list[ast.expr] = []
        ops: list[ast.cmpop] = []
        for kid in kids:
            if kid[1] == "operators":
                op = _CMPOPS.get(kid[0])
                if op is None:
                    return self.fail(f"invalid comparison operator {kid[0]!r}", kid[3])
                ops.append(op())
            elif kid[2] is not None:
                operands.append(self.expr(kid))
        node_ = ast.Compare(left=operands[0], ops=ops, comparators=operands[1:])
        return _at(node_, _pos(node))

    def b_conditional_expression(self, node: Any, kids: list[Kid]) -> Any:
        body, test, orelse = self.exprs(kids)
        return _at(ast.IfExp(test=test, body=body, orelse=orelse), _pos(node))

    def b_named_expression(self, node: Any, kids: list[Kid]) -> Any:
        target = self.store(self.expr(_field(kids, "name")), _STORE, node)
        if not isinstance(target, ast.Name):
            return self.fail("cannot use assignment expressions with this target", node)
        value = self.expr(_field(kids, "value"))
        return _at(ast.NamedExpr(target=target, value=value), _pos(node))

    def b_lambda(self, node: Any, kids: list[Kid]) -> Any:
        params = _field(kids, "parameters", None)
        args = params[2] if params is not None else _empty_arguments()
        body = self.expr(_field(kids, "body"))
        return _at(ast.Lambda(args=args, body=body), _pos(node))

    def b_await(self, node: Any, kids: list[Kid]) -> Any:
        return _at(ast.Await(value=self.exprs(kids)[0]), _pos(node))

    def b_yield(self, node: Any, kids: list[Kid]) -> Any:
        values = self.exprs(kids)
        value = values[0] if values else None
        if any(k[0] == "from" for k in kids):
            if value is None:
                return self.fail("invalid syntax", node)
            return _at(ast.YieldFrom(value=value), _pos(node))
        return _at(ast.Yield(value=value), _pos(node))

    def b_list(self, node: Any, kids: list[Kid]) -> Any:
        return _at(ast.List(elts=self.exprs(kids), ctx=_LOAD), _pos(node))

    def b_tuple(self, node: Any, kids: list[Kid]) -> Any:
        return _at(ast.Tuple(elts=self.exprs(kids), ctx=_LOAD), _pos(node))

    b_expression_list = b_tuple
    b_pattern_list = b_tuple

    def b_set(self, node: Any, kids: list[Kid]) -> Any:
        return _at(ast.Set(elts=self.exprs(kids)), _pos(node))

    def b_pair(self, node: Any, kids: list[Kid]) -> Any:
        return self.expr(_field(kids, "key")), self.expr(_field(kids, "value"))

    def b_dictionary(self, node: Any, kids: list[Kid]) -> Any:
        keys: list[ast.expr | None] = []
        values: list[ast.expr] = []
        for kid in kids:
            item = kid[2]
            if isinstance(item, _Splat2):
                keys.append(None)
                values.append(item.value)
            elif isinstance(item, tuple):
                keys.append(item[0])
                values.append(item[1])
        return _at(ast.Dict(keys=keys, values=values), _pos(node))

    def b_for_in_clause(self, node: Any, kids: list[Kid]) -> Any:
        lefts = [k for k in kids if k[1] == "left"]
        rights = [k for k in kids if k[1] == "right"]
        if len(lefts) != 1 or len(rights) != 1:
            return self.fail("invalid comprehension", node)
        target = self.store(self.expr(lefts[0]), _STORE, node)
        is_async = int(any(k[0] == "async" for k in kids))
        return ast.comprehension(
            target=target, iter=self.expr(rights[0]), ifs=[], is_async=is_async
        )

    def b_if_clause(self, node: Any, kids: list[Kid]) -> Any:
        return self.exprs(kids)[0]

    def generators(self, kids: list[Kid], node: Any) -> list[ast.comprehension]:
        out: list[ast.comprehension] = []
        for kid in kids:
            if kid[0] == "for_in_clause":
                out.append(kid[2])
            elif kid[0] == "if_clause":
                if not out:
                    return self.fail("invalid comprehension", node)  # type: ignore[no-any-return]
                out[-1].ifs.append(kid[2])
        return out

    def b_list_comprehension(self, node: Any, kids: list[Kid]) -> Any:
        elt = self.expr(_field(kids, "body"))
        return _at(ast.ListComp(elt=elt, generators=self.generators(kids, node)), _pos(node))

    def b_set_comprehension(self, node: Any, kids: list[Kid]) -> Any:
        elt = self.expr(_field(kids, "body"))
        return _at(ast.SetComp(elt=elt, generators=self.generators(kids, node)), _pos(node))

    def b_generator_expression(self, node: Any, kids: list[Kid]) -> Any:
        elt = self.expr(_field(kids, "body"))
        gens = self.generators(kids, node)
        return _at(ast.GeneratorExp(elt=elt, generators=gens), _pos(node))

    def b_dictionary_comprehension(self, node: Any, kids: list[Kid]) -> Any:
        body = _field(kids, "body")
        if not isinstance(body[2], tuple):
            return self.fail("invalid dict comprehension", node)
        key, value = body[2]
        gens = self.generators(kids, node)
        return _at(ast.DictComp(key=key, value=value, generators=gens), _pos(node))

    # annotations and type parameters

    def b_generic_type(self, node: Any, kids: list[Kid]) -> Any:
        base = next(k for k in kids if k[2] is not None)
        items = next(k for k in kids if k[0] == "type_parameter")
        return _Generic(base, items[2], _pos(node))

    def b_type_parameter(self, node: Any, kids: list[Kid]) -> Any:
        values = [k for k in kids if k[2] is not None]
        comma = any(k[0] == "," for k in kids)
        last = kids[-2] if kids[-1][0] == "]" and len(kids) > 1 else kids[-1]
        end = last[3].end_point
        return _Items(values, comma, (end[0] + 1, end[1]), _pos(node))

    def b_constrained_type(self, node: Any, kids: list[Kid]) -> Any:
        values = [k for k in kids if k[2] is not None]
        return _Constrained(self.expr(values[0]), self.expr(values[1]), _pos(node))

    def b_splat_type(self, node: Any, kids: list[Kid]) -> Any:
        value = self.exprs(kids)[0]
        if any(k[0] == "**" for k in kids):
            return _Splat2(value, _pos(node))
        return _at(ast.Starred(value=value, ctx=_LOAD), _pos(node))

    def type_params(self, items: _Items | None) -> list[Any]:
        if items is None:
            return []
        out: list[Any] = []
        for kid in items.values:
            value = kid[2]
            extra: dict[str, Any] = {"default_value": None} if _TYPE_DEFAULTS else {}
            if isinstance(value, _Constrained):
                param: Any = ast.TypeVar(  # type: ignore[attr-defined,unused-ignore]
                    name=self.name(("identifier", None, value.name, kid[3])),
                    bound=value.bound,
                    **extra,
                )
                out.append(_at(param, value.pos))
            elif isinstance(value, ast.Name):
                param = ast.TypeVar(name=value.id, bound=None, **extra)  # type: ignore[attr-defined,unused-ignore]
                out.append(_at(param, _npos(value)))
            elif isinstance(value, ast.Starred) and isinstance(value.value, ast.Name):
                param = ast.TypeVarTuple(name=value.value.id, **extra)  # type: ignore[attr-defined,unused-ignore]
                out.append(_at(param, _npos(value)))
            elif isinstance(value, _Splat2) and isinstance(value.value, ast.Name):
                param = ast.ParamSpec(name=value.value.id, **extra)  # type: ignore[attr-defined,unused-ignore]
                out.append(_at(param, value.pos))
            else:
                self.fail("invalid type parameter", kid[3])
        return out

    # strings

    def b_string(self, node: Any, kids: list[Kid]) -> Any:
        start = kids[0][3]
        token = self.text(start)
        prefix = token.rstrip("'\"").lower()
        quote = len(token) - len(prefix)
        part = _StrPart(
            prefix=prefix,
            token_text=token,
            pieces=[],
            pos=_pos(node),
            formatted="f" in prefix,
            template="t" in prefix,
            raw="r" in prefix,
            is_bytes="b" in prefix,
        )
        # The grammar may fold trailing backslashes of a raw string into its end token, so
        # the closing quote is found from the end of the whole string.
        end_byte = node.end_byte - quote
        end_point = (node.end_point[0], node.end_point[1] - quote)
        if not (part.formatted or part.template):
            part.plain = self.src[start.end_byte : end_byte].decode("utf-8")
            return part
        at_byte, at_point = start.end_byte, start.end_point
        for kid in kids:
            if kid[0] != "interpolation":
                continue
            self.gap(part, at_byte, at_point, kid[3].start_byte, kid[3].start_point)
            part.pieces.append(kid[2])
            at_byte, at_point = kid[3].end_byte, kid[3].end_point
        self.gap(part, at_byte, at_point, end_byte, end_point)
        return part

    def gap(self, part: _StrPart | _Spec, a_byte: int, a: Any, b_byte: int, b: Any) -> None:
        if a_byte >= b_byte:
            return
        raw = self.src[a_byte:b_byte].decode("utf-8")
        part.pieces.append(_Lit(raw, (a[0] + 1, a[1], b[0] + 1, b[1])))

    def b_concatenated_string(self, node: Any, kids: list[Kid]) -> Any:
        parts = [k[2] for k in kids if isinstance(k[2], _StrPart)]
        return self.strings(parts, _pos(node))

    def b_interpolation(self, node: Any, kids: list[Kid]) -> Any:
        exprs = [k for k in kids if k[1] == "expression"]
        if not exprs:
            return self.fail("f-string: empty expression not allowed", node)
        if len(exprs) == 1:
            value = self.expr(exprs[0])
        else:
            value = self.tuple_of(exprs, _span(_pos(exprs[0][3]), _pos(exprs[-1][3])))
        conv_kid = _field(kids, "type_conversion", None)
        spec_kid = _field(kids, "format_specifier", None)
        spec: _Spec | None = spec_kid[2] if spec_kid is not None else None
        brace, closing = kids[0][3], kids[-1][3]
        # Where the expression's text stops: at `!`, `:` or `}`.
        stop_kid = (conv_kid or spec_kid or kids[-1])[3]
        stop_byte, stop = (
            stop_kid.start_byte,
            (stop_kid.start_point[0] + 1, stop_kid.start_point[1]),
        )
        if (
            len(exprs) == 1
            and isinstance(value, ast.NamedExpr)
            and exprs[0][0] == "named_expression"
        ):
            # `f"{x:=10}"`: at the top of a replacement field `:` starts the format spec.
            value = value.target
            value.ctx = _LOAD
            name = exprs[0][3].child_by_field_name("name")
            stop_byte = name.end_byte + self.src[name.end_byte : closing.start_byte].index(b":")
            stop = _point_at(self.src, name, stop_byte)
            end = (closing.start_point[0] + 1, closing.start_point[1])
            raw = self.src[stop_byte + 1 : closing.start_byte].decode("utf-8")
            spec = _Spec([_Lit(raw, (stop[0], stop[1] + 1, *end))], (*stop, *end))
        conversion = -1
        if conv_kid is not None:
            letter = self.text(conv_kid[3])[1:]
            if letter not in ("s", "r", "a"):
                return self.fail("f-string: invalid conversion character", conv_kid[3])
            conversion = ord(letter)
        debug = None
        equals = next((k[3] for k in kids if k[0] == "="), None)
        if equals is not None:
            text_bytes = self.src[brace.end_byte : stop_byte]
            for child in reversed(node.children):  # Python 3.12+ leaves comments out
                if child.type == "comment" and child.end_byte <= stop_byte:
                    a, b = child.start_byte - brace.end_byte, child.end_byte - brace.end_byte
                    text_bytes = text_bytes[:a] + text_bytes[b:]
            debug = text_bytes.decode("utf-8")
            if conv_kid is None and spec is None:
                conversion = ord("r")
        if _PRE_701 and isinstance(value, ast.Tuple) and exprs[0][0] != "tuple":
            # Python 3.11 parses the expression as `(text)`: a bare tuple spans the brackets.
            close = (equals.start_point[0] + 1, equals.start_point[1]) if equals else stop
            start = brace.start_point
            _at(value, (start[0] + 1, start[1], close[0], close[1] + 1))
        text = self.src[exprs[0][3].start_byte : exprs[-1][3].end_byte].decode("utf-8")
        return _Interp(value, conversion, spec, debug, stop, text, _pos(node))

    b_format_expression = b_interpolation

    def b_format_specifier(self, node: Any, kids: list[Kid]) -> Any:
        spec = _Spec([], _pos(node))
        at_byte, at_point = kids[0][3].end_byte, kids[0][3].end_point
        for kid in kids[1:]:
            if kid[0] == "format_expression":
                self.gap(spec, at_byte, at_point, kid[3].start_byte, kid[3].start_point)
                spec.pieces.append(kid[2])
                at_byte, at_point = kid[3].end_byte, kid[3].end_point
        self.gap(spec, at_byte, at_point, node.end_byte, node.end_point)
        return spec

    # statements

    def b_expression_statement(self, node: Any, kids: list[Kid]) -> Any:
        values = [k for k in kids if k[2] is not None]
        pos = _pos(node)
        if len(values) == 1 and not any(k[0] == "," for k in kids):
            value = values[0][2]
            if isinstance(value, _Assign):
                return self.assign_statement(value, values[0][3], pos)
            if isinstance(value, ast.stmt):
                return value
            return _at(ast.Expr(value=self.expr(values[0])), pos)
        return _at(ast.Expr(value=self.tuple_of(values, pos)), pos)

    def assign_statement(self, info: _Assign, node: Any, pos: Pos) -> ast.stmt:
        if info.annotation is not None:
            stmt: ast.stmt = ast.AnnAssign(
                target=cast(ast.Name | ast.Attribute | ast.Subscript, info.targets[0]),
                annotation=info.annotation,
                value=info.value,
                simple=info.simple,
            )
            return _at(stmt, pos)
        if info.value is None:
            return self.fail("invalid assignment", node)  # type: ignore[no-any-return]
        return _at(ast.Assign(targets=info.targets, value=info.value, type_comment=None), pos)

    def b_assignment(self, node: Any, kids: list[Kid]) -> Any:
        left = _field(kids, "left")
        annotation = _field(kids, "type", None)
        right = _field(kids, "right", None)
        target = self.store(self.expr(left), _STORE, node)
        if annotation is not None:
            if not isinstance(target, ast.Name | ast.Attribute | ast.Subscript):
                return self.fail("only single target can be annotated", node)
            value = self.expr(right) if right is not None else None
            simple = int(left[0] == "identifier")
            return _Assign([target], value, self.expr(annotation), simple)
        if right is None:
            return self.fail("invalid assignment", node)
        chained = right[2]
        if isinstance(chained, _Assign):
            if chained.annotation is not None:
                return self.fail("invalid assignment", node)
            return _Assign([target, *chained.targets], chained.value)
        return _Assign([target], self.expr(right))

    def b_augmented_assignment(self, node: Any, kids: list[Kid]) -> Any:
        target = self.expr(_field(kids, "left"))
        if not isinstance(target, ast.Name | ast.Attribute | ast.Subscript):
            return self.fail("illegal expression for augmented assignment", node)
        self.store(target, _STORE, node)
        op = _BINOPS[_field(kids, "operator")[0][:-1]]()
        value = self.expr(_field(kids, "right"))
        return _at(ast.AugAssign(target=target, op=op, value=value), _pos(node))

    def b_return_statement(self, node: Any, kids: list[Kid]) -> Any:
        values = self.exprs(kids)
        return _at(ast.Return(value=values[0] if values else None), _pos(node))

    def b_delete_statement(self, node: Any, kids: list[Kid]) -> Any:
        target = next(k for k in kids if k[2] is not None)
        value = self.expr(target)
        if target[0] == "expression_list" and isinstance(value, ast.Tuple):
            targets = value.elts
        else:
            targets = [value]
        for item in targets:
            self.store(item, _DEL, node)
        return _at(ast.Delete(targets=targets), _pos(node))

    def b_pass_statement(self, node: Any, kids: list[Kid]) -> Any:
        return _at(ast.Pass(), _pos(node))

    def b_break_statement(self, node: Any, kids: list[Kid]) -> Any:
        return _at(ast.Break(), _pos(node))

    def b_continue_statement(self, node: Any, kids: list[Kid]) -> Any:
        return _at(ast.Continue(), _pos(node))

    def b_raise_statement(self, node: Any, kids: list[Kid]) -> Any:
        exc = None
        cause = None
        for kid in kids:
            if kid[2] is None:
                continue
            if kid[0] == "expression_list":
                return self.fail("invalid syntax (Python 2 raise)", kid[3])
            if kid[1] == "cause":
                cause = self.expr(kid)
            else:
                exc = self.expr(kid)
        return _at(ast.Raise(exc=exc, cause=cause), _pos(node))

    def b_assert_statement(self, node: Any, kids: list[Kid]) -> Any:
        values = self.exprs(kids)
        msg = values[1] if len(values) > 1 else None
        return _at(ast.Assert(test=values[0], msg=msg), _pos(node))

    def b_global_statement(self, node: Any, kids: list[Kid]) -> Any:
        names = [self.name(k) for k in kids if k[2] is not None]
        return _at(ast.Global(names=names), _pos(node))

    def b_nonlocal_statement(self, node: Any, kids: list[Kid]) -> Any:
        names = [self.name(k) for k in kids if k[2] is not None]
        return _at(ast.Nonlocal(names=names), _pos(node))

    def b_print_statement(self, node: Any, kids: list[Kid]) -> Any:
        # Python 3 reads `print >>f, x` as a tuple; `print x` then fails to parse, as it should.
        raise _Reread(kids[0][3])

    b_exec_statement = b_print_statement

    def b_chevron(self, node: Any, kids: list[Kid]) -> Any:
        return "chevron"

    # imports

    def b_dotted_name(self, node: Any, kids: list[Kid]) -> Any:
        return [k[2] for k in kids if isinstance(k[2], ast.Name)]

    def alias(self, kid: Kid) -> ast.alias:
        value = kid[2]
        if isinstance(value, ast.alias):
            return value
        if isinstance(value, list):
            name = ".".join(n.id for n in value)
            return _at(ast.alias(name=name, asname=None), _pos(kid[3]))
        return self.fail("invalid import", kid[3])  # type: ignore[no-any-return]

    def b_aliased_import(self, node: Any, kids: list[Kid]) -> Any:
        name = self.alias(_field(kids, "name")).name
        asname = self.name(_field(kids, "alias"))
        return _at(ast.alias(name=name, asname=asname), _pos(node))

    def b_import_statement(self, node: Any, kids: list[Kid]) -> Any:
        names = [self.alias(k) for k in kids if k[1] == "name"]
        return _at(ast.Import(names=names), _pos(node))

    def b_relative_import(self, node: Any, kids: list[Kid]) -> Any:
        level = 0
        module = None
        for kid in kids:
            if kid[0] == "import_prefix":
                level = len(self.text(kid[3]).replace(" ", ""))
            elif kid[0] == "dotted_name":
                module = ".".join(n.id for n in kid[2])
        return level, module

    def b_import_from_statement(self, node: Any, kids: list[Kid]) -> Any:
        source = _field(kids, "module_name")
        if source[0] == "relative_import":
            level, module = source[2]
        else:
            level, module = 0, ".".join(n.id for n in source[2])
        names: list[ast.alias] = []
        for kid in kids:
            if kid[1] == "name":
                names.append(self.alias(kid))
            elif kid[0] == "wildcard_import":
                names.append(_at(ast.alias(name="*", asname=None), _pos(kid[3])))
        return _at(ast.ImportFrom(module=module, names=names, level=level), _pos(node))

    def b_future_import_statement(self, node: Any, kids: list[Kid]) -> Any:
        names = [self.alias(k) for k in kids if k[1] == "name"]
        return _at(ast.ImportFrom(module="__future__", names=names, level=0), _pos(node))

    # compound statements

    def b_else_clause(self, node: Any, kids: list[Kid]) -> Any:
        return _field(kids, "body")[2]

    def b_finally_clause(self, node: Any, kids: list[Kid]) -> Any:
        return next(k[2] for k in kids if k[0] == "block")

    def b_elif_clause(self, node: Any, kids: list[Kid]) -> Any:
        test = self.expr(_field(kids, "condition"))
        return test, _field(kids, "consequence")[2], _pos(node)

    def b_if_statement(self, node: Any, kids: list[Kid]) -> Any:
        test = self.expr(_field(kids, "condition"))
        body = _field(kids, "consequence")[2]
        orelse: list[ast.stmt] = []
        for alt in reversed([k for k in kids if k[1] == "alternative"]):
            if alt[0] == "else_clause":
                orelse = alt[2]
            else:
                elif_test, elif_body, pos = alt[2]
                branch = ast.If(test=elif_test, body=elif_body, orelse=orelse)
                orelse = [_at(branch, _span(pos, _end(orelse or elif_body)))]
        end = _end(orelse or body)
        return _at(ast.If(test=test, body=body, orelse=orelse), _span(_pos(node), end))

    def b_while_statement(self, node: Any, kids: list[Kid]) -> Any:
        test = self.expr(_field(kids, "condition"))
        body = _field(kids, "body")[2]
        alt = _field(kids, "alternative", None)
        orelse = alt[2] if alt is not None else []
        end = _end(orelse or body)
        return _at(ast.While(test=test, body=body, orelse=orelse), _span(_pos(node), end))

    def b_for_statement(self, node: Any, kids: list[Kid]) -> Any:
        target = self.store(self.expr(_field(kids, "left")), _STORE, node)
        iterable = self.expr(_field(kids, "right"))
        body = _field(kids, "body")[2]
        alt = _field(kids, "alternative", None)
        orelse = alt[2] if alt is not None else []
        cls = ast.AsyncFor if any(k[0] == "async" for k in kids) else ast.For
        stmt = cls(target=target, iter=iterable, body=body, orelse=orelse, type_comment=None)
        return _at(stmt, _span(_pos(node), _end(orelse or body)))

    def b_except_clause(self, node: Any, kids: list[Kid]) -> Any:
        values = [k for k in kids if k[1] == "value"]
        body = next(k[2] for k in kids if k[0] == "block")
        star = any(k[0] in ("*", "except*") for k in kids)
        exc_type: ast.expr | None = None
        name = None
        if len(values) == 1 and isinstance(values[0][2], _As):
            bound = values[0][2]
            exc_type = self.expr(bound.kid)
            name = self.name(("identifier", None, bound.target, values[0][3]))
        elif len(values) == 1:
            exc_type = self.expr(values[0])
        elif values:
            if any(isinstance(k[2], _As) for k in values):
                return self.fail("multiple exception types must be parenthesized", node)
            exc_type = self.tuple_of(values, _span(_pos(values[0][3]), _pos(values[-1][3])))
        handler = ast.ExceptHandler(type=exc_type, name=name, body=body)
        return star, _at(handler, _span(_pos(node), _end(body)))

    def b_try_statement(self, node: Any, kids: list[Kid]) -> Any:
        body = _field(kids, "body")[2]
        handlers: list[ast.ExceptHandler] = []
        star = False
        orelse: list[ast.stmt] = []
        final: list[ast.stmt] = []
        for kid in kids:
            if kid[0] == "except_clause":
                star = star or kid[2][0]
                handlers.append(kid[2][1])
            elif kid[0] == "else_clause":
                orelse = kid[2]
            elif kid[0] == "finally_clause":
                final = kid[2]
        last = _end(final or orelse or handlers or body)
        cls = ast.TryStar if star else ast.Try
        stmt = cls(body=body, handlers=handlers, orelse=orelse, finalbody=final)
        return _at(stmt, _span(_pos(node), last))

    def b_as_pattern_target(self, node: Any, kids: list[Kid]) -> Any:
        return next(k for k in kids if k[2] is not None)[2]

    def b_as_pattern(self, node: Any, kids: list[Kid]) -> Any:
        values = [k for k in kids if k[2] is not None]
        if values[0][0] == "case_pattern":
            name = self.name(values[-1])
            inner = values[0][2]
            if isinstance(inner, _KeywordPattern):  # `k=p as x` is `k=(p as x)`
                pos = _span(_npos(inner.pattern), _pos(node))
                return _KeywordPattern(
                    inner.name, _at(ast.MatchAs(pattern=inner.pattern, name=name), pos)
                )
            return _at(ast.MatchAs(pattern=inner, name=name), _pos(node))
        return _As(values[0], values[-1][2], _pos(node))

    def b_with_item(self, node: Any, kids: list[Kid]) -> Any:
        value = _field(kids, "value")
        if isinstance(value[2], _As):
            target = self.store(value[2].target, _STORE, node)
            return ast.withitem(context_expr=self.expr(value[2].kid), optional_vars=target)
        return ast.withitem(context_expr=self.expr(value), optional_vars=None)

    def b_with_clause(self, node: Any, kids: list[Kid]) -> Any:
        items = [k for k in kids if k[0] == "with_item"]
        if len(items) == 1 and not any(k[0] == "(" for k in kids):
            item: ast.withitem = items[0][2]
            inner = item.context_expr
            value_kid = [k for k in items[0][3].children if k.type not in _EXTRAS]
            if (
                item.optional_vars is None
                and isinstance(inner, ast.Tuple)
                and value_kid
                and value_kid[0].type == "tuple"
                and inner.elts
            ):
                return [ast.withitem(context_expr=e, optional_vars=None) for e in inner.elts]
        return [k[2] for k in items]

    def b_with_statement(self, node: Any, kids: list[Kid]) -> Any:
        items = next(k[2] for k in kids if k[0] == "with_clause")
        body = _field(kids, "body")[2]
        cls = ast.AsyncWith if any(k[0] == "async" for k in kids) else ast.With
        stmt = cls(items=items, body=body, type_comment=None)
        return _at(stmt, _span(_pos(node), _end(body)))

    def b_decorator(self, node: Any, kids: list[Kid]) -> Any:
        return self.exprs(kids)[0]

    def b_decorated_definition(self, node: Any, kids: list[Kid]) -> Any:
        definition = _field(kids, "definition")[2]
        definition.decorator_list = [k[2] for k in kids if k[0] == "decorator"]
        return definition

    def b_function_definition(self, node: Any, kids: list[Kid]) -> Any:
        name = self.name(_field(kids, "name"))
        args = _field(kids, "parameters")[2]
        returns_kid = _field(kids, "return_type", None)
        returns = self.expr(returns_kid) if returns_kid is not None else None
        body = _field(kids, "body")[2]
        extra: dict[str, Any] = {}
        if _TYPE_PARAMS:
            params = _field(kids, "type_parameters", None)
            extra["type_params"] = self.type_params(params[2] if params else None)
        cls = ast.AsyncFunctionDef if any(k[0] == "async" for k in kids) else ast.FunctionDef
        stmt = cls(
            name=name,
            args=args,
            body=body,
            decorator_list=[],
            returns=returns,
            type_comment=None,
            **extra,
        )
        return _at(stmt, _span(_pos(node), _end(body)))

    def b_class_definition(self, node: Any, kids: list[Kid]) -> Any:
        name = self.name(_field(kids, "name"))
        supers = _field(kids, "superclasses", None)
        bases, keywords = supers[2] if supers is not None else ([], [])
        body = _field(kids, "body")[2]
        extra: dict[str, Any] = {}
        if _TYPE_PARAMS:
            params = _field(kids, "type_parameters", None)
            extra["type_params"] = self.type_params(params[2] if params else None)
        stmt = ast.ClassDef(
            name=name, bases=bases, keywords=keywords, body=body, decorator_list=[], **extra
        )
        return _at(stmt, _span(_pos(node), _end(body)))

    def b_type_alias_statement(self, node: Any, kids: list[Kid]) -> Any:
        left = _field(kids, "left")
        value = self.expr(_field(kids, "right"))
        params: _Items | None = None
        if isinstance(left[2], _Generic):
            params = left[2].items
            target = self.expr(left[2].base)
        else:
            target = self.expr(left)
        if not isinstance(target, ast.Name):
            raise _Reread(kids[0][3])  # `type(x).y = z` is an assignment
        target.ctx = _STORE
        if _TYPE_PARAMS:
            alias = ast.TypeAlias(  # type: ignore[attr-defined,unused-ignore]
                name=target, type_params=self.type_params(params), value=value
            )
            return _at(alias, _pos(node))
        return _at(ast.Assign(targets=[target], value=value, type_comment=None), _pos(node))

    # parameters

    def b_parameters(self, node: Any, kids: list[Kid]) -> Any:
        posonly: list[ast.arg] = []
        args: list[ast.arg] = []
        defaults: list[ast.expr] = []
        kwonly: list[ast.arg] = []
        kw_defaults: list[ast.expr | None] = []
        vararg = kwarg = None
        keyword_only = False
        for kid in kids:
            kind, value = kid[0], kid[2]
            if value is None:
                continue
            if kind == "positional_separator":
                posonly, args = posonly + args, []
                continue
            if kind == "keyword_separator":
                keyword_only = True
                continue
            param = self.param(kid)
            if param[0] == "*":
                vararg = param[1]
                keyword_only = True
            elif param[0] == "**":
                kwarg = param[1]
            elif keyword_only:
                kwonly.append(param[1])
                kw_defaults.append(param[2])
            else:
                args.append(param[1])
                if param[2] is not None:
                    defaults.append(param[2])
                elif defaults:
                    return self.fail("non-default argument follows default argument", kid[3])
        return ast.arguments(
            posonlyargs=posonly,
            args=args,
            vararg=vararg,
            kwonlyargs=kwonly,
            kw_defaults=kw_defaults,
            kwarg=kwarg,
            defaults=defaults,
        )

    b_lambda_parameters = b_parameters

    def param(self, kid: Kid) -> tuple[str, ast.arg, ast.expr | None]:
        kind, value, node = kid[0], kid[2], kid[3]
        if isinstance(value, tuple) and len(value) == 3 and isinstance(value[1], ast.arg):
            return value
        if kind == "identifier":
            return "", self.arg(value, None), None
        if kind == "list_splat_pattern" and isinstance(value, ast.Starred):
            return "*", self.arg(value.value, None), None
        if kind == "dictionary_splat_pattern" and isinstance(value, _Splat2):
            return "**", self.arg(value.value, None), None
        return self.fail("invalid parameter", node)  # type: ignore[no-any-return]

    def arg(self, name: Any, annotation: ast.expr | None, annotation_node: Any = None) -> ast.arg:
        if not isinstance(name, ast.Name):
            return self.fail_at("invalid parameter", name.lineno - 1, name.col_offset)  # type: ignore[no-any-return]
        pos = _npos(name)
        if annotation_node is not None:
            pos = _span(pos, _pos(annotation_node))
        return _at(ast.arg(arg=name.id, annotation=annotation, type_comment=None), pos)

    def b_default_parameter(self, node: Any, kids: list[Kid]) -> Any:
        name = _field(kids, "name")[2]
        return "", self.arg(name, None), self.expr(_field(kids, "value"))

    def b_typed_parameter(self, node: Any, kids: list[Kid]) -> Any:
        type_kid = _field(kids, "type")
        annotation = self.expr(type_kid)
        target = next(k for k in kids if k[2] is not None)
        kind, arg, _ = self.param(target)
        return kind, self.arg(_name_of(arg), annotation, type_kid[3]), None

    def b_typed_default_parameter(self, node: Any, kids: list[Kid]) -> Any:
        name = _field(kids, "name")[2]
        type_kid = _field(kids, "type")
        annotation = self.expr(type_kid)
        value = self.expr(_field(kids, "value"))
        return "", self.arg(name, annotation, type_kid[3]), value

    def b_list_splat_pattern(self, node: Any, kids: list[Kid]) -> Any:
        return _at(ast.Starred(value=self.exprs(kids)[0], ctx=_LOAD), _pos(node))

    def b_dictionary_splat_pattern(self, node: Any, kids: list[Kid]) -> Any:
        return _Splat2(self.exprs(kids)[0], _pos(node))

    # match statements

    def b_match_statement(self, node: Any, kids: list[Kid]) -> Any:
        subjects = [k for k in kids if k[1] == "subject"]
        if len(subjects) == 1 and not any(k[0] == "," for k in kids):
            subject = self.expr(subjects[0])
        else:
            last = subjects[-1][3]
            for kid in kids:
                if kid[0] == "," and kid[3].start_byte >= last.end_byte:
                    last = kid[3]
                    break
            subject = self.tuple_of(subjects, _span(_pos(subjects[0][3]), _pos(last)))
        block = _field(kids, "body")[2]
        cases = [c for c in block if isinstance(c, ast.match_case)]
        if not cases:
            return self.fail("invalid match statement", node)
        end = _end(cases[-1].body)
        return _at(ast.Match(subject=subject, cases=cases), _span(_pos(node), end))

    def b_case_clause(self, node: Any, kids: list[Kid]) -> Any:
        patterns = [k for k in kids if k[0] == "case_pattern"]
        commas = [k for k in kids if k[0] == ","]
        if len(patterns) == 1 and not commas:
            pattern = patterns[0][2]
        else:
            last = patterns[-1][3]
            if commas and commas[-1][3].start_byte > last.start_byte:
                last = commas[-1][3]
            seq = ast.MatchSequence(patterns=[k[2] for k in patterns])
            pattern = _at(seq, _span(_pos(patterns[0][3]), _pos(last)))
        guard_kid = _field(kids, "guard", None)
        guard = guard_kid[2] if guard_kid is not None else None
        body = _field(kids, "consequence")[2]
        return ast.match_case(pattern=pattern, guard=guard, body=body)

    def patterns(self, kids: list[Kid]) -> list[Any]:
        out: list[Any] = []
        minus = None
        for kid in kids:
            if kid[0] == "-":
                minus = kid[3]
                continue
            if kid[2] is None:
                continue
            out.append(self.pattern(kid, minus))
            minus = None
        return out

    def pattern(self, kid: Kid, minus: Any = None) -> Any:
        kind, value, node = kid[0], kid[2], kid[3]
        if isinstance(value, ast.pattern | _KeywordPattern):
            return value
        if kind in ("integer", "float"):
            if minus is not None:
                pos = _span(_pos(minus), _npos(value))
                value = _at(ast.UnaryOp(op=ast.USub(), operand=value), pos)
            return _at(ast.MatchValue(value=value), _npos(value))
        if kind in ("string", "concatenated_string", "complex_pattern"):
            return _at(ast.MatchValue(value=value), _npos(value))
        if kind in ("none", "true", "false"):
            return _at(ast.MatchSingleton(value=value.value), _npos(value))
        if kind == "dotted_name":
            if len(value) == 1:
                name = value[0].id
                return _at(
                    ast.MatchAs(pattern=None, name=None if name == "_" else name), _pos(node)
                )
            return _at(ast.MatchValue(value=_attribute_chain(value)), _pos(node))
        return self.fail("invalid pattern", node)

    def b_case_pattern(self, node: Any, kids: list[Kid]) -> Any:
        found = self.patterns(kids)
        if not found:
            return _at(ast.MatchAs(pattern=None, name=None), _pos(node))
        return found[0]

    def b_union_pattern(self, node: Any, kids: list[Kid]) -> Any:
        alternatives: list[ast.pattern] = []
        for item, kid in zip(
            self.patterns(kids), [k for k in kids if k[2] is not None], strict=True
        ):
            if kid[0] == "union_pattern" and isinstance(item, ast.MatchOr):
                alternatives.extend(item.patterns)
            else:
                alternatives.append(item)
        return _at(ast.MatchOr(patterns=alternatives), _pos(node))

    def b_list_pattern(self, node: Any, kids: list[Kid]) -> Any:
        if not _in_match(node, kids):
            return self.b_list(node, kids)
        return _at(ast.MatchSequence(patterns=self.patterns(kids)), _pos(node))

    def b_tuple_pattern(self, node: Any, kids: list[Kid]) -> Any:
        if not _in_match(node, kids):
            values = [k for k in kids if k[2] is not None]
            if len(values) == 1 and not any(k[0] == "," for k in kids):
                return values[0][2]
            return self.b_tuple(node, kids)
        found = self.patterns(kids)
        if len(found) == 1 and not any(k[0] == "," for k in kids):
            return found[0]
        return _at(ast.MatchSequence(patterns=found), _pos(node))

    def b_splat_pattern(self, node: Any, kids: list[Kid]) -> Any:
        names = [k for k in kids if k[2] is not None]
        name = self.name(names[0]) if names else None
        return _at(ast.MatchStar(name=None if name == "_" else name), _pos(node))

    def b_dict_pattern(self, node: Any, kids: list[Kid]) -> Any:
        keys: list[ast.expr] = []
        patterns: list[ast.pattern] = []
        rest = None
        minus = None
        for kid in kids:
            if kid[0] == "-":
                minus = kid[3]
            elif kid[1] == "key":
                key = self.pattern(kid, minus)
                minus = None
                if isinstance(key, ast.MatchValue):
                    keys.append(key.value)
                elif isinstance(key, ast.MatchSingleton):
                    keys.append(_at(ast.Constant(value=key.value, kind=None), _npos(key)))
                else:
                    return self.fail("invalid mapping key", kid[3])
            elif kid[1] == "value":
                patterns.append(self.pattern(kid, minus))
                minus = None
            elif kid[0] == "splat_pattern":
                rest = kid[2].name
        node_ = ast.MatchMapping(keys=keys, patterns=patterns, rest=rest)
        return _at(node_, _pos(node))

    def b_keyword_pattern(self, node: Any, kids: list[Kid]) -> Any:
        values = [k for k in kids if k[2] is not None]
        name = self.name(values[0])
        found = self.patterns(kids[1:])
        return _KeywordPattern(name, found[0])

    def b_class_pattern(self, node: Any, kids: list[Kid]) -> Any:
        cls = _attribute_chain(_field_type(kids, "dotted_name")[2])
        patterns: list[ast.pattern] = []
        names: list[str] = []
        keyword_patterns: list[ast.pattern] = []
        for kid in kids:
            if kid[0] != "case_pattern":
                continue
            if isinstance(kid[2], _KeywordPattern):
                names.append(kid[2].name)
                keyword_patterns.append(kid[2].pattern)
            else:
                patterns.append(kid[2])
        node_ = ast.MatchClass(
            cls=cls, patterns=patterns, kwd_attrs=names, kwd_patterns=keyword_patterns
        )
        return _at(node_, _pos(node))

    def b_complex_pattern(self, node: Any, kids: list[Kid]) -> Any:
        numbers = [k for k in kids if k[2] is not None]
        left = numbers[0][2]
        if kids[0][0] == "-":
            left = _at(
                ast.UnaryOp(op=ast.USub(), operand=left), _span(_pos(kids[0][3]), _npos(left))
            )
        sign = next(
            k[0] for k in kids if k[0] in "+-" and k[3].start_byte > numbers[0][3].start_byte
        )
        op = ast.Add() if sign == "+" else ast.Sub()
        return _at(ast.BinOp(left=left, op=op, right=numbers[1][2]), _pos(node))


def _fold(elems: list[ast.expr]) -> list[ast.expr]:
    """Merge adjacent string constants as CPython 3.12+ does; drop empty ones."""
    out: list[ast.expr] = []
    for elem in elems:
        if (
            isinstance(elem, ast.Constant)
            and out
            and isinstance(out[-1], ast.Constant)
            and isinstance(out[-1].value, str)
        ):
            prev = out[-1]
            merged = ast.Constant(
                value=cast(str, prev.value) + cast(str, elem.value), kind=prev.kind
            )
            out[-1] = _at(merged, _span(_npos(prev), _npos(elem)))
        else:
            out.append(elem)
    return [e for e in out if not (isinstance(e, ast.Constant) and e.value == "")]


def _decode_escapes(raw: str, pattern: re.Pattern[str], unicode: bool) -> str:
    def one(match: re.Match[str]) -> str:
        body = match.group(1)
        head = body[0]
        simple = _SIMPLE_ESCAPES.get(head)
        if simple is not None and len(body) == 1:
            return simple
        if head in "01234567":
            return chr(int(body, 8))
        if head == "x":
            if len(body) != 3:
                raise ValueError("truncated \\xXX escape")
            return chr(int(body[1:], 16))
        if unicode and head == "u":
            if len(body) != 5:
                raise ValueError("truncated \\uXXXX escape")
            return chr(int(body[1:], 16))
        if unicode and head == "U":
            if len(body) != 9:
                raise ValueError("truncated \\UXXXXXXXX escape")
            return chr(int(body[1:], 16))
        if unicode and head == "N":
            if len(body) < 3:
                raise ValueError("malformed \\N character escape")
            return unicodedata.lookup(body[2:-1])
        return match.group(0)

    return pattern.sub(one, raw)


def _number(text: str) -> int | float | complex:
    if text[-1] in "jJ":
        return complex(0, float(text[:-1]))
    lowered = text.lower()
    if lowered.startswith(("0x", "0o", "0b")) or not any(c in lowered for c in ".e"):
        return int(text, 0)
    return float(text)


def _identifier(text: str) -> str:
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


_NODE_TYPES = (
    "module",
    "block",
    "identifier",
    "integer",
    "float",
    "true",
    "false",
    "none",
    "ellipsis",
    "parenthesized_expression",
    "type",
    "attribute",
    "member_type",
    "subscript",
    "slice",
    "call",
    "argument_list",
    "keyword_argument",
    "dictionary_splat",
    "list_splat",
    "binary_operator",
    "union_type",
    "unary_operator",
    "not_operator",
    "boolean_operator",
    "comparison_operator",
    "conditional_expression",
    "named_expression",
    "lambda",
    "await",
    "yield",
    "list",
    "tuple",
    "expression_list",
    "pattern_list",
    "set",
    "pair",
    "dictionary",
    "for_in_clause",
    "if_clause",
    "list_comprehension",
    "set_comprehension",
    "generator_expression",
    "dictionary_comprehension",
    "generic_type",
    "type_parameter",
    "constrained_type",
    "splat_type",
    "string",
    "concatenated_string",
    "interpolation",
    "format_expression",
    "format_specifier",
    "expression_statement",
    "assignment",
    "augmented_assignment",
    "return_statement",
    "delete_statement",
    "pass_statement",
    "break_statement",
    "continue_statement",
    "raise_statement",
    "assert_statement",
    "global_statement",
    "nonlocal_statement",
    "print_statement",
    "exec_statement",
    "chevron",
    "dotted_name",
    "aliased_import",
    "import_statement",
    "relative_import",
    "import_from_statement",
    "future_import_statement",
    "else_clause",
    "finally_clause",
    "elif_clause",
    "if_statement",
    "while_statement",
    "for_statement",
    "except_clause",
    "try_statement",
    "as_pattern_target",
    "as_pattern",
    "with_item",
    "with_clause",
    "with_statement",
    "decorator",
    "decorated_definition",
    "function_definition",
    "class_definition",
    "type_alias_statement",
    "parameters",
    "lambda_parameters",
    "default_parameter",
    "typed_parameter",
    "typed_default_parameter",
    "list_splat_pattern",
    "dictionary_splat_pattern",
    "match_statement",
    "case_clause",
    "case_pattern",
    "union_pattern",
    "list_pattern",
    "tuple_pattern",
    "splat_pattern",
    "dict_pattern",
    "keyword_pattern",
    "class_pattern",
    "complex_pattern",
)


@dataclass
class _Generic:  # `name[...]` in an annotation or a type alias head
    base: Kid
    items: _Items
    pos: Pos


def _field(kids: list[Kid], name: str, default: Any = ...) -> Any:
    for kid in kids:
        if kid[1] == name:
            return kid
    if default is ...:
        raise SyntaxError(f"missing {name}")
    return default


def _field_type(kids: list[Kid], kind: str) -> Kid:
    return next(k for k in kids if k[0] == kind)


def _values(kids: list[Kid]) -> list[Any]:
    return [k[2] for k in kids if k[2] is not None]


def _empty_arguments() -> ast.arguments:
    return ast.arguments(
        posonlyargs=[], args=[], vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[]
    )


def _name_of(arg: ast.arg) -> ast.Name:
    return _at(ast.Name(id=arg.arg, ctx=_LOAD), _npos(arg))


def _attribute_chain(names: list[ast.Name]) -> ast.expr:
    node: ast.expr = names[0]
    for name in names[1:]:
        node = _at(
            ast.Attribute(value=node, attr=name.id, ctx=_LOAD), _span(_npos(names[0]), _npos(name))
        )
    return node


_PATTERN_PARENTS = frozenset(
    {
        "case_pattern",
        "union_pattern",
        "as_pattern",
        "case_clause",
        "keyword_pattern",
        "list_pattern",
        "tuple_pattern",
        "dict_pattern",
        "class_pattern",
    }
)


def _in_match(node: Any, kids: list[Kid]) -> bool:
    """`list_pattern` and `tuple_pattern` serve both match statements and assignment targets."""
    if any(k[0] == "case_pattern" for k in kids):
        return True
    if any(k[2] is not None for k in kids):
        return False
    parent = node.parent
    return parent is not None and parent.type in _PATTERN_PARENTS


class _Body(list[Any]):
    """The statements of a block, and where the block's last token ends."""

    end: Pos | None = None


def _end(stmts: list[Any]) -> Pos:
    if isinstance(stmts, _Body) and stmts.end is not None:
        return stmts.end
    return _npos(stmts[-1])


@dataclass
class _Chain:  # operands and operators of a chain of binary operators, before precedence
    operands: list[tuple[ast.expr, Pos]]
    ops: list[str]


_PRECEDENCE = {
    "|": 1,
    "^": 2,
    "&": 3,
    "<<": 4,
    ">>": 4,
    "+": 5,
    "-": 5,
    "*": 6,
    "/": 6,
    "//": 6,
    "%": 6,
    "@": 6,
    "**": 7,
}


def _precedence(operands: list[tuple[ast.expr, Pos]], ops: list[str]) -> ast.expr:
    """Build `BinOp` nodes from a flat chain with Python's precedence and associativity; a
    node spans its operands' tokens, parentheses included."""
    values: list[tuple[ast.expr, Pos]] = [operands[0]]
    pending: list[str] = []

    def reduce() -> None:
        op = pending.pop()
        right = values.pop()
        left = values.pop()
        pos = _span(left[1], right[1])
        node = _at(ast.BinOp(left=left[0], op=_BINOPS[op](), right=right[0]), pos)
        values.append((node, pos))

    for op, operand in zip(ops, operands[1:], strict=True):
        level = _PRECEDENCE[op]
        while pending and (
            _PRECEDENCE[pending[-1]] > level or (_PRECEDENCE[pending[-1]] == level and op != "**")
        ):
            reduce()
        pending.append(op)
        values.append(operand)
    while pending:
        reduce()
    return values[0][0]


def _point_at(src: bytes, node: Any, offset: int) -> tuple[int, int]:
    """1-based line and byte column of `offset`, which lies after the end of `node`."""
    row, col = node.end_point
    between = src[node.end_byte : offset]
    if b"\n" in between:
        return row + 1 + between.count(b"\n"), len(between) - between.rindex(b"\n") - 1
    return row + 1, col + len(between)


@dataclass(frozen=True)
class _Default:
    """A PEP 696 type parameter default, blanked out of the text the grammar reads."""

    param: tuple[int, int]  # line and column where its type parameter starts
    at: tuple[int, int]  # line and column of the `=`
    text: str


def _blank_type_defaults(src: bytes, bad: Any) -> tuple[bytes, list[_Default]] | None:
    """The grammar has no rule for `[T = int]`: when the first error lies in a type parameter
    list, return the text with its defaults replaced by spaces (positions are kept)."""
    brackets = None
    node = bad
    while node is not None:
        if node.type == "type_parameter":
            brackets = node
        node = node.parent
    if brackets is None:
        return None
    base = brackets.start_byte
    text = src[base : brackets.end_byte]
    if not (text.startswith(b"[") and text.endswith(b"]")):
        return None
    out = bytearray(src)
    found: list[_Default] = []
    for lo, hi in _top_level_items(text):
        equals = _top_level_equals(text, lo, hi)
        if equals is None:
            continue
        first = lo + len(text[lo:hi]) - len(text[lo:hi].lstrip())
        default = text[equals + 1 : hi]
        for i in range(base + equals, base + hi):
            if out[i] != 0x0A:  # keep line breaks so that positions stay
                out[i] = 0x20
        found.append(
            _Default(
                _line_col(src, base + first),
                _line_col(src, base + equals),
                default.decode("utf-8"),
            )
        )
    if not found:
        return None
    return bytes(out), found


def _line_col(src: bytes, offset: int) -> tuple[int, int]:
    return src.count(b"\n", 0, offset) + 1, offset - (src.rfind(b"\n", 0, offset) + 1)


def _top_level_items(text: bytes) -> list[tuple[int, int]]:
    """Byte ranges of the comma-separated items inside `[...]`, nested brackets skipped."""
    items: list[tuple[int, int]] = []
    depth = 0
    start = 1
    quote = 0
    i = 1
    while i < len(text) - 1:
        c = text[i]
        if quote:
            if c == 0x5C:  # backslash
                i += 1
            elif c == quote:
                quote = 0
        elif c in b"'\"":
            quote = c
        elif c in b"([{":
            depth += 1
        elif c in b")]}":
            depth -= 1
        elif c == 0x2C and depth == 0:  # comma
            items.append((start, i))
            start = i + 1
        i += 1
    items.append((start, len(text) - 1))
    return items


def _top_level_equals(text: bytes, lo: int, hi: int) -> int | None:
    depth = 0
    quote = 0
    i = lo
    while i < hi:
        c = text[i]
        if quote:
            if c == 0x5C:
                i += 1
            elif c == quote:
                quote = 0
        elif c in b"'\"":
            quote = c
        elif c in b"([{":
            depth += 1
        elif c in b")]}":
            depth -= 1
        elif (
            c == 0x3D
            and depth == 0
            and text[i - 1 : i] not in (b"=", b"<", b">", b"!", b":")
            and text[i + 1 : i + 2] != b"="
        ):
            return i
        i += 1
    return None


def _attach_defaults(module: ast.Module, defaults: list[_Default], filename: str) -> None:
    """Parse each blanked default where it stood and give it back to its type parameter."""
    params: dict[tuple[int, int], Any] = {}
    for node in ast.walk(module):
        if type(node).__name__ in ("TypeVar", "ParamSpec", "TypeVarTuple"):
            params[(node.lineno, node.col_offset)] = node  # type: ignore[attr-defined]
    for default in defaults:
        param = params.get(default.param)
        if param is None:
            continue
        line, col = default.at
        padded = "\n" * (line - 1) + " " * col + "[" + default.text + "]\n"
        holder = parse(padded, filename).body[0]
        if not (isinstance(holder, ast.Expr) and isinstance(holder.value, ast.List)):
            raise SyntaxError("invalid type parameter default", (filename, line, col + 1, ""))
        value = holder.value.elts[0]
        param.default_value = value
        param.end_lineno, param.end_col_offset = value.end_lineno, value.end_col_offset
