"""Reading SQL text and names out of code, shared by the rules that look at queries."""

from __future__ import annotations

import ast

from distrust.python import nodes

Function = ast.FunctionDef | ast.AsyncFunctionDef


def last_name(expr: ast.AST) -> str:
    """`login_required` for `@login_required`, `@auth.login_required`, `@login_required()`."""
    if isinstance(expr, ast.Call):
        expr = expr.func
    if isinstance(expr, ast.Attribute):
        return expr.attr
    if isinstance(expr, ast.Name):
        return expr.id
    return ""


def string(node: ast.AST | None) -> str | None:
    """A string constant, also through `sqlalchemy.text("...")`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Call) and node.args and last_name(node.func) == "text":
        return string(node.args[0])
    return None


def constants(func: Function) -> dict[str, str]:
    """Locals bound once to a string: `sql = "SELECT ..."; cur.execute(sql, (id,))`."""
    seen: dict[str, int] = {}
    out: dict[str, str] = {}
    for node in nodes.scope(func):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    seen[target.id] = seen.get(target.id, 0) + 1
                    text = string(node.value)
                    if text is not None:
                        out[target.id] = text
    return {name: text for name, text in out.items() if seen[name] == 1}


def argument(node: ast.AST, consts: dict[str, str]) -> str | None:
    """The SQL text an argument carries: a literal, `text(...)`, or a local bound to one."""
    if isinstance(node, ast.Call) and node.args and last_name(node.func) == "text":
        node = node.args[0]
    if isinstance(node, ast.Name):
        return consts.get(node.id)
    return string(node)
