"""Imports without a declaration: a top-level module that no declared dependency, the
standard library, or the project itself provides. The scanned code is parsed, never
imported."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import metadata, resources

from distrust.deps.types import Ecosystem, normalise

MAX_PY_BYTES = 4 * 1024 * 1024
_AFFIXES = ("python-", "py-", "python3-", "django-", "flask-")


@dataclass(frozen=True)
class ImportUse:
    module: str  # the top-level name
    path: str
    line: int
    column: int
    end_column: int
    text: str


@cache
def import_map() -> dict[str, tuple[str, ...]]:
    text = resources.files("distrust.data").joinpath("import-names.txt").read_text("utf-8")
    out: dict[str, tuple[str, ...]] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#") or ":" not in line:
            continue
        name, _, dists = line.partition(":")
        out[name.strip()] = tuple(normalise(Ecosystem.PYPI, d) for d in dists.split())
    return out


@cache
def installed_top_levels() -> dict[str, tuple[str, ...]]:
    """Top-level names of the distributions installed beside distrust (their metadata only).
    A project checked from its own environment gets exact answers from it."""
    try:
        mapping = metadata.packages_distributions()
    except Exception:
        return {}
    return {k: tuple(normalise(Ecosystem.PYPI, d) for d in v) for k, v in mapping.items()}


def provides(dist: str, module: str) -> bool:
    """Whether a distribution name plausibly provides a top-level module, by name alone."""
    d = normalise(Ecosystem.PYPI, dist)
    m = normalise(Ecosystem.PYPI, module)
    if d == m or d.replace("-", "") == m.replace("-", ""):
        return True
    for affix in _AFFIXES:
        if d.startswith(affix) and d[len(affix) :] == m:
            return True
    return d.endswith(("-py", "-python")) and d.rsplit("-", 1)[0] == m


def project_modules(paths: Iterable[str]) -> set[str]:
    """Every folder name and module name of the project's Python files: the project
    provides these (lenient on purpose: scripts import their neighbours)."""
    out: set[str] = set()
    for rel in paths:
        parts = rel.split("/")
        out.update(parts[:-1])
        out.add(parts[-1].removesuffix(".py"))
    return out


def _guarded(node: ast.Try) -> bool:
    for handler in node.handlers:
        if handler.type is None:
            return True
        names = list(handler.type.elts) if isinstance(handler.type, ast.Tuple) else [handler.type]
        for name in names:
            if isinstance(name, ast.Name) and name.id in ("ImportError", "ModuleNotFoundError",
                                                          "Exception", "BaseException"):
                return True
    return False


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports_of(text: str, path: str) -> list[ImportUse] | str:
    """The absolute imports of a file that are not optional (inside `try: ... except
    ImportError` or `if TYPE_CHECKING`), or the reason the file could not be read."""
    try:
        tree = ast.parse(text, filename=path)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as err:
        return f"not parsable ({type(err).__name__}): not checked for undeclared imports"
    lines = text.splitlines()
    uses: list[ImportUse] = []
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Try) and _guarded(node):
            # The `try` body is optional; the handlers (the fallback) are not.
            stack.extend(node.handlers)
            stack.extend(node.orelse)
            stack.extend(node.finalbody)
            continue
        if isinstance(node, ast.If) and _type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                names = [node.module] if node.level == 0 and node.module else []
            line = lines[node.lineno - 1] if node.lineno <= len(lines) else ""
            prefix = line.encode("utf-8")[: node.col_offset].decode("utf-8", "replace")
            column = len(prefix) + 1
            for name in names:
                uses.append(ImportUse(name.partition(".")[0], path, node.lineno, column,
                                      max(len(line.rstrip()) + 1, column + 1), line.strip()))
            continue
        stack.extend(ast.iter_child_nodes(node))
    uses.sort(key=lambda u: (u.line, u.column))  # stable: names keep their statement order
    return uses


def undeclared(uses: Iterable[ImportUse], declared: Iterable[str], project: set[str],
               use_installed: bool = True) -> list[ImportUse]:
    """The uses whose module nothing declared, the standard library or the project
    provides."""
    declared_set = {normalise(Ecosystem.PYPI, d) for d in declared}
    mapping = import_map()
    installed = installed_top_levels() if use_installed else {}
    stdlib = set(sys.stdlib_module_names) | {"__future__", "__main__"}
    out = []
    verdicts: dict[str, bool] = {}
    for use in uses:
        module = use.module
        if module not in verdicts:
            ok = module in stdlib or module in project
            if not ok:
                candidates = set(mapping.get(module, ())) | set(installed.get(module, ()))
                ok = bool(candidates & declared_set) or any(
                    provides(d, module) for d in declared_set)
            verdicts[module] = ok
        if not verdicts[module]:
            out.append(use)
    return out
