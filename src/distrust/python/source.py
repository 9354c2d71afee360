"""A parsed Python module: its text, its `ast`, and the names its imports bring in."""

from __future__ import annotations

import ast
import builtins
import re
import sys
from dataclasses import dataclass
from functools import cached_property

from distrust.python import nodes

BUILTINS = frozenset(dir(builtins))
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class ParseFailure:
    message: str
    line: int
    column: int


def parse(text: str, filename: str) -> ast.Module | ParseFailure:
    """Parse with the running interpreter's `ast`; code written for a newer Python goes through
    the fallback parser, which yields the same node types. Never executes anything."""
    try:
        return ast.parse(text, filename=filename, type_comments=False)
    except SyntaxError as err:
        first = err
    except (RecursionError, MemoryError):
        first = SyntaxError("too deeply nested for the parser", (filename, 1, 1, ""))
    except ValueError as err:  # source contains NUL bytes on some versions
        return ParseFailure(str(err), 1, 1)
    from distrust.python import fallback

    try:
        return fallback.parse(text, filename)
    except SyntaxError:
        pass
    except RecursionError:
        return ParseFailure("too deeply nested for the parser", 1, 1)
    return ParseFailure(first.msg or "invalid syntax", first.lineno or 1, first.offset or 1)


class Module:
    """One Python file of the scan. `path` is POSIX, relative to the scan root; `name` is the
    dotted module name within the project (`pkg.sub.mod`, `pkg` for `pkg/__init__.py`).

    Without a `tree`, the text is parsed the first time the tree (or a name the imports
    bring in) is asked for: code that only needs the text, or the outline of a module an
    earlier scan kept, parses nothing. Such a text must be one that parsed before."""

    def __init__(self, path: str, name: str, text: str, tree: ast.Module | None = None,
                 is_package: bool = False, aliases: tuple[str, ...] = ()) -> None:
        self.path = path
        self.name = name
        self.text = text
        self.is_package = is_package
        self.aliases = aliases
        self._tree = tree

    def __repr__(self) -> str:
        return f"Module({self.path!r}, {self.name!r})"

    @property
    def tree(self) -> ast.Module:
        if self._tree is None:
            parsed = parse(self.text, self.path)
            self._tree = parsed if isinstance(parsed, ast.Module) else \
                ast.Module(body=[], type_ignores=[])
        return self._tree

    @property
    def parsed(self) -> bool:
        """Whether the tree is there already."""
        return self._tree is not None

    @cached_property
    def _names(self) -> tuple[dict[str, str], dict[str, ast.AST]]:
        return _collect_names(self.tree, self.name, self.is_package)

    @property
    def imports(self) -> dict[str, str]:
        """Local name → the dotted name an import binds it to."""
        return self._names[0]

    @property
    def definitions(self) -> dict[str, ast.AST]:
        """Top-level functions and classes by name."""
        return self._names[1]

    @cached_property
    def lines(self) -> list[str]:
        # Only the line breaks `ast` counts: form feeds and other Unicode breaks stay inside.
        return _LINE_BREAK.split(self.text)

    def line_text(self, line: int) -> str:
        if 1 <= line <= len(self.lines):
            return self.lines[line - 1]
        return ""

    def column(self, line: int, byte_offset: int) -> int:
        """Convert an `ast` column (a UTF-8 byte offset, 0-based) into a 1-based column in
        code points."""
        text = self.line_text(line)
        if text.isascii():
            return byte_offset + 1
        return len(text.encode("utf-8")[:byte_offset].decode("utf-8", "replace")) + 1

    def qualname(self, node: ast.AST) -> str | None:
        """The dotted name an expression refers to, resolved through imports: `req.args` after
        `from flask import request as req` is `flask.request.args`. Calls in the chain are kept
        as `()` (`sqlite3.connect().cursor`)."""
        parts: list[str] = []
        current: ast.AST = node
        while True:
            if isinstance(current, ast.Attribute):
                parts.append(current.attr)
                current = current.value
            elif isinstance(current, ast.Call):
                parts.append("()")
                current = current.func
            elif isinstance(current, ast.Name):
                base = self.resolve(current.id)
                if base is None:
                    return None
                parts.append(base)
                break
            else:
                return None
        parts.reverse()
        out = parts[0]
        for part in parts[1:]:
            out = out + part if part == "()" else f"{out}.{part}"
        return out

    def resolve(self, name: str) -> str | None:
        imports, definitions = self._names
        found = imports.get(name)
        if found is not None:
            return found
        if name in definitions:
            return f"{self.name}.{name}" if self.name else name
        if name in BUILTINS:
            return name
        return None


def _collect_names(
    tree: ast.Module, module: str, is_package: bool
) -> tuple[dict[str, str], dict[str, ast.AST]]:
    imports: dict[str, str] = {}
    definitions: dict[str, ast.AST] = {}
    package = module if is_package else module.rpartition(".")[0]
    top_ids = {id(stmt) for stmt in _top_statements(tree)}

    def top_level(node: ast.AST) -> bool:
        return id(node) in top_ids

    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    imports[alias.asname] = alias.name
                else:
                    top = alias.name.partition(".")[0]
                    imports[top] = top
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node.module or "", node.level, package)
            for alias in node.names:
                if alias.name == "*":
                    continue
                imports[alias.asname or alias.name] = f"{base}.{alias.name}" if base else alias.name
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if top_level(node):
                definitions.setdefault(node.name, node)
            # Imports inside functions and classes bind the same names: follow them too.
            stack.extend(node.body)
        elif isinstance(node, ast.ExceptHandler):
            stack.extend(node.body)
        elif isinstance(node, _SIMPLE_STATEMENTS):
            continue  # no statement inside
        elif isinstance(node, ast.stmt):
            for child in nodes.children(node):
                if isinstance(child, ast.stmt | ast.ExceptHandler):
                    stack.append(child)
                elif isinstance(child, ast.match_case):
                    stack.extend(child.body)
    return imports, definitions


# Statements that hold expressions only, never another statement.
_SIMPLE_STATEMENTS = (
    ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr, ast.Return, ast.Pass, ast.Raise,
    ast.Delete, ast.Assert, ast.Global, ast.Nonlocal, ast.Break, ast.Continue,
)


def _top_statements(tree: ast.Module) -> list[ast.stmt]:
    """Module-level statements, including those nested in `if`/`try`/`with` blocks."""
    out: list[ast.stmt] = []
    stack: list[ast.stmt] = list(tree.body)
    while stack:
        node = stack.pop()
        out.append(node)
        if isinstance(node, ast.If | ast.Try | ast.With):
            for child in nodes.children(node):
                if isinstance(child, ast.stmt):
                    stack.append(child)
                elif isinstance(child, ast.ExceptHandler):
                    stack.extend(child.body)
    return out


def _absolute(module: str, level: int, package: str) -> str:
    if level == 0:
        return module
    parts = package.split(".") if package else []
    if level > 1:
        parts = parts[: len(parts) - (level - 1)] if level - 1 <= len(parts) else []
    if module:
        parts.append(module)
    return ".".join(parts)


def stdlib_modules() -> frozenset[str]:
    return frozenset(sys.stdlib_module_names)
