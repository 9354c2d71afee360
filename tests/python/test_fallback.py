"""The fallback parser gives the same `ast` as the running interpreter, and reads newer syntax.

The corpus test is the measure that matters: for real files that `ast.parse` accepts, the
fallback's tree, positions included, must dump exactly like `ast.parse`'s.
"""

from __future__ import annotations

import ast
import os
import random
import sys
import sysconfig
import textwrap
import warnings
from pathlib import Path

import pytest

from distrust.python import fallback, source

STDLIB = Path(sysconfig.get_paths()["stdlib"])
NATIVE_312 = sys.version_info >= (3, 12)
NATIVE_313 = sys.version_info >= (3, 13)

# Test modules full of grammar corner cases, read whole in addition to the sample.
GRAMMAR_TESTS = (
    "test/test_grammar.py",
    "test/test_fstring.py",
    "test/test_patma.py",
    "test/test_unparse.py",
    "test/test_syntax.py",
    "test/test_positional_only_arg.py",
    "test/test_keywordonlyarg.py",
    "test/test_unpack_ex.py",
    "test/test_genexps.py",
    "test/test_typing.py",
    "test/test_type_params.py",
    "test/test_type_aliases.py",
    "test/test_compile.py",
    "test/test_except_star.py",
    "lib2to3/tests/data/py3_test_grammar.py",
)
# Files whose trees differ, each with the reason. tree-sitter's scanner rejects a line that is
# dedented below its block inside brackets (`(bar.\n    baz)` at a lower indentation).
KNOWN_DIFFERENCES = {"test/test_compile.py": "dedented continuation line inside brackets"}
CHUNKS = 8


def _corpus() -> list[str]:
    """Every second non-test module of the standard library (sorted, so the sample is stable),
    plus the grammar tests above."""
    modules: list[str] = []
    for directory, dirs, files in os.walk(STDLIB):
        dirs[:] = sorted(
            d for d in dirs if d not in ("site-packages", "test", "tests", "idle_test")
        )
        rel = Path(directory).relative_to(STDLIB)
        modules.extend((rel / f).as_posix() for f in sorted(files) if f.endswith(".py"))
    sample = sorted(modules)[::2]
    sample.extend(t for t in GRAMMAR_TESTS if (STDLIB / t).is_file())
    return sample


def _dump(tree: ast.AST) -> str:
    return ast.dump(tree, include_attributes=True)


def _compare(paths: list[str]) -> tuple[int, dict[str, str]]:
    agreed = 0
    differ: dict[str, str] = {}
    for rel in paths:
        try:
            text = (STDLIB / rel).read_text(encoding="utf-8")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                expected = _dump(ast.parse(text))
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue  # not a file the interpreter reads
        try:
            got = _dump(fallback.parse(text, rel))
        except SyntaxError as err:
            differ[rel] = f"SyntaxError: {err}"
            continue
        if got == expected:
            agreed += 1
        else:
            at = next(i for i, (a, b) in enumerate(zip(got, expected, strict=False)) if a != b)
            differ[rel] = f"differs at: {expected[max(0, at - 80) : at + 80]}"
    return agreed, differ


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_stdlib_corpus_agrees_with_ast(chunk: int) -> None:
    paths = _corpus()[chunk::CHUNKS]
    agreed, differ = _compare(paths)
    total = agreed + len(differ)
    print(f"chunk {chunk}: {agreed}/{total} files agree")
    assert total > 40
    unexpected = {p: why for p, why in differ.items() if p not in KNOWN_DIFFERENCES}
    assert unexpected == {}
    known = {p for p in KNOWN_DIFFERENCES if p in paths and (STDLIB / p).is_file()}
    assert set(differ) == known  # a known difference that went away must leave the list


def test_corpus_is_in_the_hundreds() -> None:
    assert len(_corpus()) >= 300


# -- helpers --------------------------------------------------------------------------------


def _parse(code: str) -> ast.Module:
    return fallback.parse(textwrap.dedent(code), "example.py")


def _native(code: str) -> ast.Module:
    return ast.parse(textwrap.dedent(code))


def _names(tree: ast.AST) -> list[tuple[str, int, int]]:
    return [
        (n.id, n.lineno, n.col_offset)
        for n in ast.walk(tree)
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
    ]


def _calls(tree: ast.AST) -> list[str]:
    return sorted(ast.unparse(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call))


# -- PEP 701 f-strings ----------------------------------------------------------------------

PEP701 = """\
items = ["a", "b"]
a = f"{", ".join(items)}"
b = f"{'\\n'.join(items)}"
c = f"{items[0]  # first item
}"
d = f"{f"{f"{items}"}"}"
e = f"{items!r:>{len(items)}}"
"""


def test_pep701_fstrings_keep_their_expressions() -> None:
    tree = _parse(PEP701)
    assert _calls(tree) == ["', '.join", "'\\n'.join", "len"]
    loads = _names(tree)
    assert ("items", 2, 17) in loads  # inside the nested same-quote string
    assert ("items", 3, 17) in loads  # after a backslash escape
    assert ("items", 4, 7) in loads  # before a comment
    assert ("items", 6, 13) in loads  # three f-strings deep
    assert ("items", 7, 7) in loads and ("items", 7, 21) in loads  # value and format spec
    joined = tree.body[1].value  # type: ignore[attr-defined]
    assert isinstance(joined, ast.JoinedStr)
    assert isinstance(joined.values[0], ast.FormattedValue)
    spec = tree.body[5].value.values[0]  # type: ignore[attr-defined]
    assert spec.conversion == ord("r")
    assert isinstance(spec.format_spec, ast.JoinedStr)


@pytest.mark.skipif(not NATIVE_312, reason="compares with an interpreter that reads PEP 701 itself")
def test_pep701_fstrings_match_native_ast() -> None:
    assert _dump(_parse(PEP701)) == _dump(_native(PEP701))


# -- PEP 695 type parameters and `type` statements ------------------------------------------

PEP695 = """\
type Pair[T] = tuple[T, T]
type Alias = int | None
def first[T: (int, str), *Ts, **P](items: list[T], *rest: *Ts) -> T:
    return items[0]
class Box[T: Sized = int](Base, metaclass=Meta):
    def get(self) -> T:
        return self.value
"""
PEP695_NO_DEFAULTS = PEP695.replace(": Sized = int", ": Sized")


def test_pep695_keeps_aliases_functions_and_classes() -> None:
    tree = _parse(PEP695)
    alias, other, func, cls = tree.body
    assert isinstance(func, ast.FunctionDef) and func.name == "first"
    assert [a.arg for a in func.args.args] == ["items"]
    assert func.args.vararg is not None and func.args.vararg.arg == "rest"
    assert isinstance(cls, ast.ClassDef) and [ast.unparse(b) for b in cls.bases] == ["Base"]
    assert [k.arg for k in cls.keywords] == ["metaclass"]
    assert (func.lineno, func.col_offset, func.end_lineno, func.end_col_offset) == (3, 0, 4, 19)
    if NATIVE_312:
        assert type(alias).__name__ == "TypeAlias"
        assert [type(p).__name__ for p in func.type_params] == [  # type: ignore[attr-defined,unused-ignore]
            "TypeVar",
            "TypeVarTuple",
            "ParamSpec",
        ]
    else:
        # Before 3.12 an alias is an assignment of its value: the data flow stays visible.
        assert isinstance(alias, ast.Assign)
        assert ast.unparse(alias) == "Pair = tuple[T, T]"
        assert isinstance(other, ast.Assign) and ast.unparse(other) == "Alias = int | None"
        assert alias.targets[0].col_offset == 5
        target = alias.targets[0]
        assert isinstance(target, ast.Name) and isinstance(target.ctx, ast.Store)


@pytest.mark.skipif(not NATIVE_312, reason="compares with an interpreter that reads PEP 695 itself")
def test_pep695_matches_native_ast() -> None:
    code = PEP695 if NATIVE_313 else PEP695_NO_DEFAULTS  # PEP 696 defaults came in 3.13
    assert _dump(_parse(code)) == _dump(_native(code))


PEP696 = """\
def f[T: int = str, *Ts = *tuple[int, "a=b"], **P = [int]](x: T) -> T:
    return x
class C[T = dict[str,
                 int]]: ...
"""


def test_pep696_defaults_are_read() -> None:
    tree = _parse(PEP696)
    func, cls = tree.body
    assert isinstance(func, ast.FunctionDef) and [a.arg for a in func.args.args] == ["x"]
    assert isinstance(cls, ast.ClassDef) and cls.end_lineno == 4
    if NATIVE_313:
        assert _dump(tree) == _dump(_native(PEP696))
        defaults = [p.default_value for p in func.type_params]  # type: ignore[attr-defined,unused-ignore]
        assert [ast.unparse(d) for d in defaults] == ["str", "*tuple[int, 'a=b']", "[int]"]


def test_type_as_a_name_is_not_an_alias() -> None:
    code = "type(self).saved = value\ntype = 3\nprint(type)\n"
    assert _dump(_parse(code)) == _dump(_native(code))


# -- PEP 758 `except A, B:` -----------------------------------------------------------------

PEP758 = """\
try:
    connect()
except TimeoutError, ConnectionError:
    retry()
try:
    run()
except* ValueError, TypeError:
    pass
"""


def test_pep758_except_without_parentheses_is_a_tuple() -> None:
    tree = _parse(PEP758)
    first, second = tree.body
    assert isinstance(first, ast.Try) and isinstance(second, ast.TryStar)
    for stmt, names in (
        (first, ["TimeoutError", "ConnectionError"]),
        (second, ["ValueError", "TypeError"]),
    ):
        handler = stmt.handlers[0]
        assert isinstance(handler.type, ast.Tuple)
        assert [ast.unparse(e) for e in handler.type.elts] == names
        assert handler.name is None
    same = PEP758.replace("TimeoutError, ConnectionError", "(TimeoutError, ConnectionError)")
    same = same.replace("ValueError, TypeError", "(ValueError, TypeError)")
    # Apart from the parentheses' columns, the tree is the one of the parenthesized form.
    expected = _native(same)
    got_handler = first.handlers[0]
    want_handler = expected.body[0].handlers[0]  # type: ignore[attr-defined]
    assert (got_handler.lineno, got_handler.col_offset) == (3, 0)
    assert got_handler.type is not None
    assert (got_handler.type.col_offset, got_handler.type.end_col_offset) == (7, 36)
    assert ast.unparse(got_handler) == ast.unparse(want_handler)
    assert _calls(tree) == ["connect", "retry", "run"]


# -- PEP 750 t-strings ----------------------------------------------------------------------

PEP750 = 'html = t"<p>{user.name!r:>{width}}</p>"\n'


def test_pep750_template_keeps_its_interpolations() -> None:
    tree = _parse(PEP750)
    value = tree.body[0].value  # type: ignore[attr-defined]
    parts = value.values
    if hasattr(ast, "TemplateStr"):  # pragma: no cover - Python 3.14+
        assert type(value).__name__ == "TemplateStr"
    else:
        assert isinstance(value, ast.JoinedStr)
    assert [type(p).__name__ for p in parts][::2] == ["Constant", "Constant"]
    assert [p.value for p in parts[::2]] == ["<p>", "</p>"]
    interp = parts[1]
    assert ast.unparse(interp.value) == "user.name"
    assert interp.conversion == ord("r")
    spec = interp.format_spec.values
    assert [type(v).__name__ for v in spec] == ["Constant", "FormattedValue"]
    assert spec[0].value == ">" and ast.unparse(spec[1].value) == "width"
    assert ("user", 1, 13) in _names(tree) and ("width", 1, 27) in _names(tree)


def test_fstring_equivalent_of_a_template_matches_native() -> None:
    as_f = PEP750.replace('t"', 'f"')
    got = _parse(PEP750).body[0].value  # type: ignore[attr-defined]
    want = _native(as_f).body[0].value  # type: ignore[attr-defined]
    if not hasattr(ast, "TemplateStr"):
        assert _dump(got) == _dump(want)


# -- errors and hostile input ---------------------------------------------------------------


def test_a_file_neither_parser_accepts_is_a_syntax_error_with_a_position() -> None:
    code = "x = 1\ndef broken(:\n    pass\n"
    with pytest.raises(SyntaxError):
        ast.parse(code)
    with pytest.raises(SyntaxError) as caught:
        fallback.parse(code, "broken.py")
    err = caught.value
    assert err.filename == "broken.py"
    assert err.lineno == 2
    assert err.offset is not None and 1 <= err.offset <= len("def broken(:") + 1
    assert err.text is not None and "broken" in err.text


@pytest.mark.parametrize(
    ("code", "line"),
    [
        ('print "hello"\n', 1),
        ("x = 1\nexec code in ns\n", 2),
        ("if a <> b:\n    pass\n", 1),
        ("n = 10L\n", 1),
        ("f() = 1\n", 1),
        ("x = t'{a}' + (\n", 1),
    ],
)
def test_python2_and_invalid_code_is_rejected(code: str, line: int) -> None:
    with pytest.raises(SyntaxError) as caught:
        fallback.parse(code, "old.py")
    assert caught.value.lineno is not None and caught.value.lineno >= line


def test_print_chevron_is_a_python3_expression() -> None:
    code = 'print >>sys.stderr, "x"\nprint("y")\n'
    assert _dump(_parse(code)) == _dump(_native(code))


def test_deep_nesting_does_not_exhaust_the_stack() -> None:
    depth = 5000
    code = "x = " + "(" * 200 + "y" + ")" * 200 + "\n"
    code += "z = " + " + ".join(["a"] * depth) + "\n"
    code += "w = " + "-" * depth + "1\n"
    code += "v = " + " if c else ".join(["a"] * depth) + "\n"
    tree = fallback.parse(code, "deep.py")
    chain = tree.body[1].value  # type: ignore[attr-defined]
    count = 0
    while isinstance(chain, ast.BinOp):
        chain = chain.left
        count += 1
    assert count == depth - 1
    assert isinstance(tree.body[0].value, ast.Name)  # type: ignore[attr-defined]


def test_more_than_200_nested_brackets_is_refused_like_cpython() -> None:
    code = "x = " + "[" * 201 + "]" * 201 + "\n"
    with pytest.raises(SyntaxError) as caught:
        ast.parse(code)
    assert caught.value.msg == "too many nested parentheses"
    with pytest.raises(SyntaxError) as caught:
        fallback.parse("x = " + "(" * 5000 + "y" + ")" * 5000 + "\n", "deep.py")
    assert caught.value.msg == "too many nested parentheses"
    assert caught.value.lineno == 1


def test_positions_are_utf8_byte_columns() -> None:
    code = 'name = "é"; other = f"ü{value}"\n'
    assert _dump(_parse(code)) == _dump(_native(code))


def test_source_parse_reads_newer_syntax_through_the_fallback() -> None:
    code = 'items = []\nlabel = f"{", ".join(items)}"\ntype Id = int\n'
    tree = source.parse(code, "new.py")
    assert isinstance(tree, ast.Module)
    assert _calls(tree) == ["', '.join"]


def test_match_statement_matches_native() -> None:
    code = """\
    match command.split():
        case [action, *rest] if rest:
            go(action)
        case {"x": 1 | -2, **kw}:
            pass
        case Point(x=0, y=y) as p:
            pass
        case (a, b):
            pass
        case 3 + 4j | None | x.y:
            pass
        case _:
            pass
    """
    assert _dump(_parse(code)) == _dump(_native(code))


def test_mutated_snippets_never_crash_and_agree_when_ast_accepts() -> None:
    """Hostile input: cut and spliced standard library text. The fallback returns a tree or
    raises `SyntaxError` (never an internal error); when `ast.parse` accepts the text, both
    trees are identical."""
    rng = random.Random(20251125)
    files = sorted(p for p in STDLIB.glob("*.py"))
    tokens = ["(", ")", "[", "]", "{", "}", ":", ",", "=", 'f"{', '"', "\\", "\n", "    "]
    tokens += ["lambda", "def", "*", "**", "match", "case", "type", "print", "@", "t'{x}'", "#"]
    agreed = 0
    for _ in range(400):
        lines = rng.choice(files).read_text(encoding="utf-8").split("\n")
        start = rng.randrange(len(lines))
        text = "\n".join(lines[start : start + rng.randrange(1, 30)])
        for _ in range(rng.randrange(1, 4)):
            at = rng.randrange(len(text) + 1)
            if rng.random() < 0.5:
                text = text[:at] + rng.choice(tokens) + text[at:]
            else:
                text = text[:at] + text[at + rng.randrange(1, 10) :]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                expected: str | None = _dump(ast.parse(text))
        except (SyntaxError, ValueError):
            expected = None
        try:
            got = _dump(fallback.parse(text, "mutant.py"))
        except SyntaxError as err:
            assert "in the fallback parser" not in str(err), text
            continue
        if expected is not None:
            assert got == expected, text
            agreed += 1
    assert agreed >= 10


EDGE_CASES = [
    "with (open(a) as f, open(b) as g):\n    pass\nwith (a, b):\n    pass\n",
    "with (a, b) as c:\n    pass\nwith (a):\n    pass\n",
    "def f():\n    with (yield):\n        return *a, b\n",
    "del (a), [b], c.d, e[1]\nfor x in *a, *b:\n    pass\n",
    "a[b:c, ...]\na[()]\na[:]\na[::]\na[1:2:3]\na[*b]\n",
    "async def f():\n    [x async for x in y]\n    await z\n"
    "    async with a as b, c:\n        pass\n",
    "x = Rb'a' BR'b' rb'c'\ny = U'x'\nz = u'x' 'y'\nw = 'y' u'x'\nv = r'\\\\' r'a\\'b'\n",
    "f'{x!a}' f'{x:{y}{z}}' f'{x!r:^{w}.{p}}' f'{{}}{x}{{' f'a{{b}}c'\n",
    "f'''\n{x}\n  {y!r}\n'''\nx = f'{a}{b}' f''\nx = f'' ''\nx = '' f'{a}'\n",
    "x = f'{x=!s:>10}' f'{x = }' f'{ x = !r}' f'{x:=^10}' f'{x:=10}' rf'\\d{x}\\n'\n",
    "x = '\\x41\\101\\u0041\\U00000041\\N{LATIN SMALL LETTER A}\\q'\ny = b'\\x41\\101\\q\\u0041'\n",
    "class A(B, *c, d=1, **e):\n    pass\n@a.b[c](d)\ndef f(a, b=1, /, c=2, *, d, e=3, **f): ...\n",
    "x: int\ny: 'str' = 1\n(z): int = 2\na.b: int\nc[0]: int = 3\n",
    "import a.b.c as d, e\nfrom ... import f\nfrom .g.h import (i, j as k)\n",
    "x = not a and b or c and not d\nx = a if b else c if d else e\nx = -a ** -b\ny = ~a + +b\n",
    "x = a < b <= c != d is not e not in f\nx = 1 ^ 2 & 3 | 4 << 5 ^ 6 & 7\n",
    "x = 0o17 + 0b11 + 0xFf + 1_000 + 1.5e-3 + 3j + 1E5J + .5 + 5.\nx = 'a' \\\n    'b'\n",
    "if a:\n    x = 1; y = 2;\nelif b:\n    pass\nelse:\n    z = 3\n",
    "try:\n    pass\nexcept* (A, B) as e:\n    pass\nelse:\n    pass\nfinally:\n    pass\n",
    "match x:\n    case {1: _, 'a': [1, 2, *rest]}:\n        pass\n    case -1.5 | -2j | 1-2j:\n"
    "        pass\n    case A.B.C | str() as s:\n        pass\n"
    "    case K(a=str() as b):\n        pass\n",
    "def f(a: (int) = 1, *b: str, **c: (dict)) -> 'x': ...\n",
    "x = 'é' + f'ü{y}'\n# ünïcode comment\nz = [\n    1,  # one\n    2,\n]\n",
    "type(self).x = 1\nprint >>f, 'x'\nmatch = re.match(p, s)\ncase = 1\ntype = 2\n",
]


@pytest.mark.parametrize("code", EDGE_CASES)
def test_edge_cases_match_native(code: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = _dump(ast.parse(code))
    assert _dump(fallback.parse(code, "edge.py")) == expected
