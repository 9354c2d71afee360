"""Hard-coded secrets in Python code (CWE-798).

SEC001: a string constant in a known credential format (the formats of `distrust.secrets`).
SEC002: a literal stored under a name that says secret — an assignment, a keyword argument, a
dict entry, a parameter default, a comparison, or the fallback of an environment lookup — when
the value looks like a real secret. The scan masks the value in every output."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from typing import Any

from distrust import secrets
from distrust.model import Confidence, Severity
from distrust.python import nodes
from distrust.python.source import Module
from distrust.rules.rule import A07, Hit, Rule

H, M = Confidence.HIGH, Confidence.MEDIUM

# Lookups that read a secret from the environment or a settings store; the second argument (or
# `default=`) is the value used when the variable is missing.
_LOOKUP_SUFFIXES = (".getenv", "environ.get", "environ.setdefault", "decouple.config")
_LOOKUP_LOCALS = frozenset({"env", "config", "getenv", "get_env", "env.str", "config.get"})


def _text(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, str):
            return node.value
        if isinstance(node.value, bytes):
            return node.value.decode("latin-1")
    return None


def _docstrings(tree: ast.Module) -> set[int]:
    out: set[int] = set()
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                out.add(id(body[0].value))
            stack.extend(node.body)
        elif isinstance(node, ast.If | ast.Try | ast.With | ast.For | ast.While):
            stack.extend(c for c in nodes.children(node) if isinstance(c, ast.stmt))
    return out


def _known_formats(node: ast.AST, module: Module) -> Iterator[Hit]:
    assert isinstance(node, ast.Module)
    if not secrets.find_formats(module.text):  # (its first step is `quick_check`)
        return  # nothing in the file's text: no need to look at its strings one by one
    docs = _docstrings(node)
    for child in ast.walk(node):
        if not isinstance(child, ast.Constant) or id(child) in docs:
            continue
        value = _text(child)
        if value is None or len(value) < 16:
            continue
        found = secrets.find_formats(value)
        if found:
            kinds = ", ".join(dict.fromkeys(f.kind for f in found))
            conf = M if all(f.kind == "JSON Web Token" for f in found) else H
            yield Hit(child, message=f"Hard-coded credential: {kinds}", confidence=conf)


def _target_name(target: ast.expr) -> str | None:
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, ast.Attribute):
        return target.attr
    if isinstance(target, ast.Subscript):
        return _text(target.slice)
    return None


def _named(name: str | None, value: ast.expr | None, where: str,
           confidence: Confidence | None = None) -> Iterator[Hit]:
    if name is None or value is None:
        return
    text = _text(value)
    if text is None:
        return
    kind = secrets.secret_name(name)
    if kind is None or not secrets.looks_secret(text, kind, name):
        return
    if secrets.find_formats(text):
        return  # SEC001 reports it, with the format
    what = {"signing-key": "signing key", "password": "password", "token": "secret"}[kind]
    conf = confidence or (H if kind == "signing-key" else None)
    yield Hit(value, message=f"Hard-coded {what} {where} `{name}`", confidence=conf)


def _lookup_default(node: ast.Call, module: Module) -> Iterator[Hit]:
    key = _text(node.args[0]) if node.args else None
    default: ast.expr | None = node.args[1] if len(node.args) > 1 else None
    for kw in node.keywords:
        if kw.arg == "default":
            default = kw.value
    if key is None or _text(default) is None:
        return  # (the cheap part of `_named`'s test first)
    name = (module.qualname(node.func) or "").replace("()", "")
    func = node.func
    local = func.id if isinstance(func, ast.Name) else (
        f"{func.value.id}.{func.attr}" if isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name) else "")
    if name not in ("os.getenv", "getenv") and not name.endswith(_LOOKUP_SUFFIXES) and \
            local not in _LOOKUP_LOCALS:
        return
    yield from _named(key, default, "as the fallback of the lookup of", M)


# The nodes that store a value under a name, and for each a cheap test that it can hold a
# literal `_named` looks at.
_STORES: tuple[tuple[type[ast.AST], Callable[[Any], bool]], ...] = (
    (ast.Assign, lambda n: _text(n.value) is not None),
    (ast.AnnAssign, lambda n: _text(n.value) is not None),
    (ast.Call, lambda n: bool(n.keywords) or len(n.args) > 1),
    (ast.Dict, lambda n: any(_text(v) is not None for v in n.values)),
    (ast.FunctionDef, lambda n: bool(n.args.defaults or n.args.kw_defaults)),
    (ast.AsyncFunctionDef, lambda n: bool(n.args.defaults or n.args.kw_defaults)),
    (ast.Compare, lambda n: len(n.ops) == 1),
)


def _hardcoded_secrets(node: ast.AST, module: Module) -> Iterator[Hit]:
    """SEC002 over the module's stores, from its index of nodes by class (each node's hits in
    order; no two stores share a value node)."""
    assert isinstance(node, ast.Module)
    for cls, may_hold in _STORES:
        for store in nodes.instances(node, cls):
            if may_hold(store):
                yield from _named_values(store, module)


def _named_values(node: ast.AST, module: Module) -> Iterator[Hit]:
    if isinstance(node, ast.Assign):
        if _text(node.value) is None:
            return  # (the cheap part of `_named`'s test first)
        for target in node.targets:
            yield from _named(_target_name(target), node.value, "assigned to")
    elif isinstance(node, ast.AnnAssign):
        yield from _named(_target_name(node.target), node.value, "assigned to")
    elif isinstance(node, ast.Call):
        for kw in node.keywords:
            if kw.arg is not None:
                yield from _named(kw.arg, kw.value, "passed as")
        yield from _lookup_default(node, module)
    elif isinstance(node, ast.Dict):
        for key, value in zip(node.keys, node.values, strict=True):
            yield from _named(_text(key), value, "stored under")
    elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        a = node.args
        positional = [*a.posonlyargs, *a.args]
        pairs = list(zip(positional[len(positional) - len(a.defaults):], a.defaults,
                         strict=True))
        pairs += [(p, d) for p, d in zip(a.kwonlyargs, a.kw_defaults, strict=True)
                  if d is not None]
        for param, default in pairs:
            yield from _named(param.arg, default, "as the default of")
    elif isinstance(node, ast.Compare) and len(node.ops) == 1 and \
            isinstance(node.ops[0], ast.Eq | ast.NotEq):
        left, right = node.left, node.comparators[0]
        if isinstance(left, ast.Constant):
            left, right = right, left
        if isinstance(left, ast.Subscript) and isinstance(left.value, ast.Subscript):
            return  # event["request"]["data"]["password"]: a nested record, read not checked
        yield from _named(_target_name(left), right, "compared with")


RULES: tuple[Rule, ...] = (
    Rule("SEC001", "hardcoded-credential", 798, A07, Severity.HIGH, H,
         "Hard-coded credential in a known format", node_types=(ast.Module,),
         check=_known_formats),
    Rule("SEC002", "hardcoded-secret", 798, A07, Severity.HIGH, M,
         "Hard-coded secret value", node_types=(ast.Module,), check=_hardcoded_secrets),
)
