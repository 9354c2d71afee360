"""Building fixes: edits that replace a node's text, and an edit that adds an import."""

from __future__ import annotations

import ast

from distrust.model import Edit
from distrust.python.source import Module


def replace(module: Module, node: ast.AST, text: str) -> Edit | None:
    """An edit replacing exactly the source span of `node` with `text`."""
    line = getattr(node, "lineno", None)
    end_line = getattr(node, "end_lineno", None)
    col = getattr(node, "col_offset", None)
    end_col = getattr(node, "end_col_offset", None)
    if line is None or end_line is None or col is None or end_col is None:
        return None
    return Edit(module.path, line, module.column(line, col), end_line,
                module.column(end_line, end_col), text)


def source(module: Module, node: ast.AST) -> str | None:
    try:
        return ast.get_source_segment(module.text, node)
    except (ValueError, IndexError, TypeError):
        return None


def imported_as(module: Module, target: str) -> str | None:
    """The local name under which the module `target` is imported at the top level."""
    for local, qual in module.imports.items():
        if qual == target:
            return local
    return None


def add_import(module: Module, name: str) -> Edit | None:
    """An edit adding `import name` after the module's leading imports (after the docstring
    and `from __future__` imports when there are no others). None when the file's head is
    unusual (an import sharing its line with other statements, a continuation)."""
    body = getattr(module.tree, "body", [])
    anchor: ast.stmt | None = None
    for index, stmt in enumerate(body):
        docstring = (index == 0 and isinstance(stmt, ast.Expr)
                     and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str))
        if isinstance(stmt, ast.Import | ast.ImportFrom) or docstring:
            anchor = stmt
        else:
            break
    newline = "\r\n" if "\r\n" in module.text else "\n"
    if anchor is None:
        return Edit(module.path, 1, 1, 1, 1, f"import {name}{newline}")
    end = anchor.end_lineno or anchor.lineno
    text = module.line_text(end)
    end_col = module.column(end, anchor.end_col_offset or 0)
    if text[end_col - 1:].strip() not in ("", ";") or text.rstrip().endswith("\\"):
        return None
    if end >= len(module.lines):
        column = len(text) + 1
        return Edit(module.path, end, column, end, column, f"{newline}import {name}")
    return Edit(module.path, end + 1, 1, end + 1, 1, f"import {name}{newline}")


def module_ref(module: Module, name: str) -> tuple[str, tuple[Edit, ...]] | None:
    """How to refer to the standard module `name` here: its local alias when it is imported
    at the top level, else `name` together with an edit importing it."""
    alias = imported_as(module, name)
    if alias is not None:
        return alias, ()
    if name in module.imports or name in module.definitions or any(
            isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store)
            for n in ast.walk(module.tree)):
        return None
    edit = add_import(module, name)
    if edit is None:
        return None
    return name, (edit,)
