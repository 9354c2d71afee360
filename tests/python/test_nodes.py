"""The fast walks give the nodes the `ast` helpers give (less the expression contexts), in the
same order, for trees of the running interpreter's parser and of the fallback parser (whose
bodies are list subclasses)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from distrust.python import fallback, nodes

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

SAMPLE = '''
import os
from a.b import c as d

@decorator(1, key=[x for x in range(3) if x])
async def handler(request, *args, flag: int = 2, **kw) -> None:
    """Doc."""
    value = request.args.get("q")
    async with lock as held, other:
        total: int = 0
        total += len(value or "")
    try:
        match value:
            case {"k": [1, *rest]} | None:
                pass
            case Point(x=0) as p if p:
                pass
    except (ValueError, KeyError) as err:
        raise RuntimeError(f"{err!r:>10}") from err
    finally:
        del value
    lam = lambda y, *, z=1: y + z
    class Inner(Base, metaclass=Meta):
        attr = {1: 2, **other}
        def method(self):
            return [i async for i in self]
    while (n := next(it, None)) is not None:
        yield n
    global g
    return lam(1)[::2], {*a}, (b, c), not d, a if b else c, await e
'''


def _old_scope(node: ast.AST) -> Iterator[ast.AST]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        for child in ast.iter_child_nodes(current):
            if not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
                              | ast.Lambda):
                stack.append(child)


def _old_below(scope: ast.AST) -> Iterator[ast.AST]:
    stack = list(ast.iter_child_nodes(scope))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def _same(a: list[ast.AST], b: list[ast.AST]) -> bool:
    """`a` holds the nodes of `b` that are not expression contexts, in the same order."""
    b = [n for n in b if not isinstance(n, ast.expr_context)]
    return len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))


def _trees() -> Iterator[ast.Module]:
    yield ast.parse(SAMPLE)
    yield fallback.parse(SAMPLE, "sample.py")
    # PEP 701 f-strings: only the fallback parser reads them on Python 3.11
    yield fallback.parse('def f(x):\n    return f"{x["k"]}"\n', "pep701.py")
    for path in sorted(FIXTURES.rglob("*.py"))[:60]:
        try:
            yield ast.parse(path.read_bytes())
        except SyntaxError:
            continue


@pytest.mark.parametrize("tree", list(_trees()))
def test_walks_match_the_ast_helpers(tree: ast.Module) -> None:
    everything = list(ast.walk(tree))
    assert _same(nodes.walk(tree), everything)
    assert _same(nodes.subtree(tree), everything)
    for node in everything:
        assert _same(nodes.children(node), list(ast.iter_child_nodes(node)))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.If
                      | ast.Module | ast.Call):
            assert _same(nodes.scope(node), list(_old_scope(node)))
            assert _same(nodes.subtree(node), list(ast.walk(node)))
            assert _same(nodes.below(node, (ast.FunctionDef, ast.AsyncFunctionDef)),
                         list(_old_below(node)))
    nodes.clear()


def test_expression_contexts_are_left_out() -> None:
    tree = ast.parse(SAMPLE)
    assert any(isinstance(n, ast.expr_context) for n in ast.walk(tree))
    assert not any(isinstance(n, ast.expr_context) for n in nodes.walk(tree))
    assign = ast.parse("x = y").body[0]
    assert isinstance(assign, ast.Assign)
    assert list(ast.iter_child_nodes(assign.value)) == [assign.value.ctx]
    assert nodes.children(assign.value) == []


def test_memo_answers_only_for_the_node_it_was_computed_for() -> None:
    calls: list[ast.AST] = []

    def compute(node: ast.AST) -> int:
        calls.append(node)
        return len(calls)

    a, b = ast.parse("x = 1"), ast.parse("y = 2")
    assert nodes.memo(a, "t", compute) == 1
    assert nodes.memo(a, "t", compute) == 1
    assert nodes.memo(b, "t", compute) == 2
    assert nodes.memo(a, "other", compute) == 3
    nodes.clear()
    assert nodes.memo(a, "t", compute) == 4
    nodes.clear()


@pytest.mark.parametrize("tree", list(_trees()))
def test_every_node_lies_within_the_span_of_its_function(tree: ast.Module) -> None:
    """What `lines_where` / `any_line_in` rely on to skip a function without walking it."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        lines = nodes.span(node)
        assert lines is not None
        for inner in ast.walk(node):
            line = getattr(inner, "lineno", None)
            if line is not None:
                assert lines[0] <= line <= lines[1], ast.dump(inner)[:80]
    nodes.clear()


def test_lines_where_and_any_line_in() -> None:
    tree = ast.parse("def f():\n    a()\n\n\n@b()\ndef g():\n    pass\n\n"
                     "class C(c.X):\n    x = 1\n")
    calls = nodes.lines_where(tree, "test.calls", (ast.Call,), lambda n: True)
    assert calls == [2, 5]
    f, g, cls = tree.body
    assert nodes.any_line_in(calls, f) and nodes.any_line_in(calls, g)
    assert not nodes.any_line_in(calls, cls)
    assert nodes.lines_where(tree, "test.none", (ast.Call,), lambda n: False) == []
    assert [n.name for n in nodes.instances(tree, ast.FunctionDef)] == ["f", "g"]
    nodes.clear()
