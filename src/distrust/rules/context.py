"""Context for pattern rules that need more than the node: parents, the enclosing function and
statement, names imported inside functions, and constants bound at module level.

The walk builds this once per module (the last module's tables are kept, so the rules of one
file share them) with an explicit stack."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from distrust.python import nodes
from distrust.python.source import Module
from distrust.rules import names

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass
class Tables:
    tree: ast.AST
    parents: dict[int, ast.AST] = field(default_factory=dict)
    local_imports: dict[int, dict[str, str]] = field(default_factory=dict)
    constants: dict[str, ast.expr] = field(default_factory=dict)


_last: list[Tables] = []
_LOCAL_IMPORT = re.compile(r"^[ \t]+(?:import|from)[ \t]", re.MULTILINE)
_local_flag: list[tuple[ast.AST, bool]] = []


def _has_local_imports(module: Module) -> bool:
    if _local_flag and _local_flag[0][0] is module.tree:
        return _local_flag[0][1]
    flag = _LOCAL_IMPORT.search(module.text) is not None
    _local_flag[:] = [(module.tree, flag)]
    return flag


def tables(module: Module) -> Tables:
    if _last and _last[0].tree is module.tree:
        return _last[0]
    built = _build(module)
    _last[:] = [built]
    return built


def _build(module: Module) -> Tables:
    out = Tables(module.tree)
    stack: list[tuple[ast.AST, FunctionNode | None]] = [(module.tree, None)]
    while stack:
        node, function = stack.pop()
        if isinstance(node, ast.Import | ast.ImportFrom) and function is not None:
            names = out.local_imports.setdefault(id(function), {})
            _bind_import(node, names, module)
        inner = node if isinstance(node, FunctionNode) else function
        for child in nodes.children(node):
            out.parents[id(child)] = node
            stack.append((child, inner))
    for stmt in getattr(module.tree, "body", []):
        if (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)):
            out.constants[stmt.targets[0].id] = stmt.value
        elif (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)
              and stmt.value is not None):
            out.constants[stmt.target.id] = stmt.value
    return out


def _bind_import(node: ast.Import | ast.ImportFrom, names: dict[str, str], module: Module
                 ) -> None:
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                names[alias.asname] = alias.name
            else:
                top = alias.name.partition(".")[0]
                names[top] = top
        return
    if node.level:
        return
    for alias in node.names:
        if alias.name != "*" and node.module:
            names[alias.asname or alias.name] = f"{node.module}.{alias.name}"


def parent(node: ast.AST, module: Module) -> ast.AST | None:
    return tables(module).parents.get(id(node))


def ancestors(node: ast.AST, module: Module) -> Iterator[ast.AST]:
    parents = tables(module).parents
    current = parents.get(id(node))
    while current is not None:
        yield current
        current = parents.get(id(current))


def enclosing_function(node: ast.AST, module: Module) -> FunctionNode | None:
    for up in ancestors(node, module):
        if isinstance(up, FunctionNode):
            return up
    return None


def enclosing_class(node: ast.AST, module: Module) -> ast.ClassDef | None:
    for up in ancestors(node, module):
        if isinstance(up, ast.ClassDef):
            return up
    return None


def enclosing_statement(node: ast.AST, module: Module) -> ast.stmt | None:
    if isinstance(node, ast.stmt):
        return node
    for up in ancestors(node, module):
        if isinstance(up, ast.stmt):
            return up
    return None


def qualname(module: Module, expr: ast.AST) -> str | None:
    """`module.qualname`, falling back to imports made inside the enclosing functions."""
    found = module.qualname(expr)
    if found is not None:
        return found
    base = expr
    while isinstance(base, ast.Attribute | ast.Call):
        base = base.value if isinstance(base, ast.Attribute) else base.func
    if not isinstance(base, ast.Name) or not _has_local_imports(module):
        return None
    if base.id not in module.imports:
        # `Module` collects the imports inside functions too: a name none of them binds has
        # no function-level import to resolve it (and the parent tables are not needed).
        return None
    local = tables(module).local_imports
    if not local:
        return None
    for up in ancestors(expr, module):
        if isinstance(up, FunctionNode):
            names = local.get(id(up))
            if names and base.id in names:
                return _requalify(expr, base.id, names[base.id])
    return None


def may_end_with(expr: ast.AST, module: Module, leaves: frozenset[str]) -> bool:
    """Whether `qualname(module, expr)` can end with one of `leaves`, told without resolving:
    a qualified attribute ends with the attribute; a name ends with itself unless an import
    binds it (`from hashlib import md5 as h`); anything else ends otherwise or has none."""
    if isinstance(expr, ast.Attribute):
        return expr.attr in leaves
    if isinstance(expr, ast.Name):
        return expr.id in leaves or expr.id in module.imports
    return False


def _requalify(expr: ast.AST, name: str, target: str) -> str | None:
    parts: list[str] = []
    current = expr
    while True:
        if isinstance(current, ast.Attribute):
            parts.append(current.attr)
            current = current.value
        elif isinstance(current, ast.Call):
            parts.append("()")
            current = current.func
        elif isinstance(current, ast.Name) and current.id == name:
            parts.append(target)
            break
        else:
            return None
    parts.reverse()
    out = parts[0]
    for part in parts[1:]:
        out = out + part if part == "()" else f"{out}.{part}"
    return out


def constant_value(expr: ast.AST, module: Module) -> ast.AST:
    """A module-level name bound once to a value stands for that value."""
    if isinstance(expr, ast.Name):
        bound = tables(module).constants.get(expr.id)
        if bound is not None:
            return bound
    return expr


def assigned_in(function: ast.AST, name: str) -> list[ast.expr]:
    """The values assigned to a plain name anywhere in a function body."""
    values: list[ast.expr] = []
    for node in nodes.walk(function):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id == name:
                    values.append(node.value)
        elif (isinstance(node, ast.AnnAssign | ast.NamedExpr) and isinstance(node.target, ast.Name)
              and node.target.id == name and node.value is not None):
            values.append(node.value)
    return values


def destination_words(node: ast.AST, module: Module) -> set[str]:
    """Where the value of `node` goes: the targets of the assignment, the keyword or dict key
    it is passed under."""
    found: set[str] = set()
    child: ast.AST = node
    for up in ancestors(node, module):
        if isinstance(up, ast.keyword) and up.arg:
            found.update(names.words(up.arg))
        elif isinstance(up, ast.Dict):
            for key, value in zip(up.keys, up.values, strict=True):
                if value is child and isinstance(key, ast.Constant) and isinstance(
                        key.value, str):
                    found.update(names.words(key.value))
        elif isinstance(up, ast.Assign):
            for target in up.targets:
                found |= names.target_words(target)
            break
        elif isinstance(up, ast.AnnAssign | ast.AugAssign):
            found |= names.target_words(up.target)
            break
        elif isinstance(up, ast.stmt):
            break
        child = up
    return found
