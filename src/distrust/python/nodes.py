"""Fast, explicit-stack walks over `ast` trees, and per-scope node lists shared by the rules.

`ast.walk` and `ast.iter_child_nodes` are generators over `iter_fields`: every node costs
several generator frames and a `getattr` per field, scalar fields included. The walks here
read, per node class, only the fields that can hold nodes, and give the nodes the `ast`
helpers give in exactly their order, less the expression contexts (`Load`, `Store`, `Del`:
leaves that a third of a tree's nodes carry and that no rule looks at; a node's `ctx` is read
as an attribute).

The scope lists (every node of a function body, not entering nested functions, classes and
lambdas) are what several rules walk again and again for each function: they are computed once
per function and kept in a small memo that holds a reference to the node it describes (an
entry can never answer for another node that reuses a freed node's id). `clear()` drops the
memo; the pattern walk calls it after each module."""

from __future__ import annotations

import ast
import bisect
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

# Fields of `ast` node classes that hold a string, a number or an arbitrary constant, never a
# node, and `ctx` (an expression context): skipping them is what makes these walks cheaper
# than `ast.iter_child_nodes`.
_SCALAR_FIELDS = frozenset({
    "id", "attr", "arg", "module", "level", "kind", "conversion", "is_async",
    "type_comment", "asname", "tag", "ctx",
})
_LEAF_CLASSES: tuple[type[ast.AST], ...] = (ast.Constant,)
_NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.Module)
_FIELDS: dict[type, tuple[str, ...]] = {}
MEMO_LIMIT = 20_000


def node_fields(cls: type) -> tuple[str, ...]:
    """The fields of a node class that may hold nodes or lists of nodes, in `_fields` order."""
    found = _FIELDS.get(cls)
    if found is None:
        if issubclass(cls, _LEAF_CLASSES):
            found = ()
        else:
            found = tuple(f for f in getattr(cls, "_fields", ()) if f not in _SCALAR_FIELDS)
        _FIELDS[cls] = found
    return found


def children(node: ast.AST) -> list[ast.AST]:
    """The direct child nodes, in the order of `ast.iter_child_nodes` (less a context)."""
    out: list[ast.AST] = []
    fields = _FIELDS.get(type(node)) or node_fields(type(node))
    for name in fields:
        value = getattr(node, name, None)
        if value is None:
            continue
        if isinstance(value, list):
            for item in value:
                if isinstance(item, ast.AST):
                    out.append(item)
        elif isinstance(value, ast.AST):
            out.append(value)
    return out


def walk(node: ast.AST) -> list[ast.AST]:
    """`node` and every node below it, in the order of `ast.walk` (breadth first; no
    expression contexts)."""
    return _walk(node, None)


def _walk(node: ast.AST, by_type: dict[type, list[ast.AST]] | None) -> list[ast.AST]:
    """`walk`, also filling `by_type` (class → its nodes in walk order) when given."""
    out: list[ast.AST] = [node]
    append = out.append
    fields_of = _FIELDS
    is_node = ast.AST
    for current in out:  # a queue: the loop reaches the nodes appended while it runs
        cls = type(current)
        if by_type is not None:
            same = by_type.get(cls)
            if same is None:
                by_type[cls] = [current]
            else:
                same.append(current)
        fields = fields_of.get(cls)
        if fields is None:
            fields = node_fields(cls)
        for name in fields:
            value = getattr(current, name, None)
            if value is None:
                continue
            if isinstance(value, list):
                for item in value:
                    if isinstance(item, is_node):
                        append(item)
            elif isinstance(value, is_node):
                append(value)
    return out


def _scope_walk(node: ast.AST) -> list[ast.AST]:
    out: list[ast.AST] = []
    stack: list[ast.AST] = [node]
    fields_of = _FIELDS
    nested = _NESTED
    while stack:
        current = stack.pop()
        out.append(current)
        fields = fields_of.get(type(current))
        if fields is None:
            fields = node_fields(type(current))
        for name in fields:
            value = getattr(current, name, None)
            if value is None:
                continue
            if isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.AST) and not isinstance(item, nested):
                        stack.append(item)
            elif isinstance(value, ast.AST) and not isinstance(value, nested):
                stack.append(value)
    return out


def below(node: ast.AST, stop: tuple[type[ast.AST], ...]) -> list[ast.AST]:
    """The nodes below `node` (not `node` itself), neither giving nor entering nodes of the
    `stop` types, in the order of an explicit-stack walk seeded with `node`'s children (the
    last child comes first)."""
    out: list[ast.AST] = []
    stack: list[ast.AST] = children(node)
    fields_of = _FIELDS
    while stack:
        current = stack.pop()
        if isinstance(current, stop):
            continue
        out.append(current)
        fields = fields_of.get(type(current))
        if fields is None:
            fields = node_fields(type(current))
        for name in fields:
            value = getattr(current, name, None)
            if value is None:
                continue
            if isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.AST):
                        stack.append(item)
            elif isinstance(value, ast.AST):
                stack.append(value)
    return out


_memo: dict[tuple[int, str], tuple[ast.AST, object]] = {}


def memo(node: ast.AST, tag: str, compute: Callable[[ast.AST], T]) -> T:
    """`compute(node)`, computed once per node and tag until `clear()`."""
    key = (id(node), tag)
    hit = _memo.get(key)
    if hit is not None and hit[0] is node:
        return hit[1]  # type: ignore[return-value]
    value = compute(node)
    if len(_memo) >= MEMO_LIMIT:
        _memo.clear()
    _memo[key] = (node, value)
    return value


def scope(node: ast.AST) -> list[ast.AST]:
    """`node` and every node below it, not descending into nested functions, classes and
    lambdas, in the order of an explicit-stack walk that pushes `ast.iter_child_nodes` in
    order (so the last child comes first). Memoized for functions, classes, lambdas and
    modules: the caller must not change the list."""
    if isinstance(node, _SCOPES):
        return memo(node, "scope", _scope_walk)
    return _scope_walk(node)


def subtree(node: ast.AST) -> list[ast.AST]:
    """`node` and every node below it, in the order of `ast.walk`. Memoized for modules,
    functions, classes and lambdas: the caller must not change the list."""
    if isinstance(node, ast.Module):
        return _indexed(node)[0]
    if isinstance(node, _SCOPES):
        return memo(node, "walk", walk)
    return walk(node)


def _indexed(tree: ast.AST) -> tuple[list[ast.AST], dict[type, list[ast.AST]]]:
    """The walk of a module and its nodes by class, made in one pass (memoized)."""
    def both(root: ast.AST) -> tuple[list[ast.AST], dict[type, list[ast.AST]]]:
        by_type: dict[type, list[ast.AST]] = {}
        return _walk(root, by_type), by_type
    return memo(tree, "walk+index", both)


def span(node: ast.AST) -> tuple[int, int] | None:
    """The first and the last line of `node`, its decorators included; None without a
    position. Every node below `node` lies within these lines."""
    first = getattr(node, "lineno", None)
    last = getattr(node, "end_lineno", None)
    if first is None or last is None:
        return None
    for decorator in getattr(node, "decorator_list", ()):
        first = min(first, getattr(decorator, "lineno", 0))
    return first, last


def instances(tree: ast.AST, cls: type[T]) -> list[T]:
    """The nodes of `tree` that are instances of `cls`, in `subtree` order for each node class
    (computed once per tree and class until `clear()`, from the index the walk of a module
    makes; the caller must not change the list)."""
    def find(root: ast.AST) -> list[T]:
        if not isinstance(root, ast.Module):
            return [n for n in subtree(root) if isinstance(n, cls)]
        found = [same for node_type, same in _indexed(root)[1].items()
                 if issubclass(node_type, cls)]
        if len(found) == 1:
            return found[0]  # type: ignore[return-value]
        return [n for same in found for n in same]  # type: ignore[misc]
    return memo(tree, f"instances:{cls.__module__}.{cls.__qualname__}", find)


def lines_where(tree: ast.AST, tag: str, types: tuple[type[ast.AST], ...],
                test: Callable[[ast.AST], bool]) -> list[int]:
    """The sorted first lines of the nodes of `tree` of one of `types` that pass
    `test` (-1 for one without a line), computed once per tree and tag until `clear()`: a cheap
    index that tells a rule whether a function can hold anything it looks for
    (`any_line_in`)."""
    def find(root: ast.AST) -> list[int]:
        return sorted(getattr(n, "lineno", -1) for cls in types for n in instances(root, cls)
                      if test(n))
    return memo(tree, tag, find)


def any_line_in(lines: list[int], node: ast.AST) -> bool:
    """Whether one of the sorted `lines` lies within the lines of `node` (True when a line or
    the node's position is unknown)."""
    if not lines:
        return False
    lines_of = span(node)
    if lines_of is None or lines[0] < 0:
        return True
    index = bisect.bisect_left(lines, lines_of[0])
    return index < len(lines) and lines[index] <= lines_of[1]


def clear() -> None:
    _memo.clear()
