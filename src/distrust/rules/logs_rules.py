"""Secrets written to logs or standard output (CWE-532).

A log call (the `logging` module, a logger object, `print`) whose message or arguments carry a
value named like a secret (`password`, `access_token`, `api_key`, an `Authorization` header),
all request headers, or the whole body of a request inside an authentication endpoint. A value
passed through a function first (`len(token)`, `mask(key)`, `hash(...)`) or sliced
(`token[:4]`) is not the secret any more and stays quiet, as do names that only mention one
(`password_changed`, `token_type`)."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator

from distrust import secrets
from distrust.model import Confidence, Severity
from distrust.python import nodes
from distrust.python.source import Module
from distrust.rules import context
from distrust.rules.mentions import mentions
from distrust.rules.rule import A09, Hit, Rule

H, M = Confidence.HIGH, Confidence.MEDIUM

LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "critical", "exception",
                         "log", "fatal", "trace", "success", "msg"})
PRINTERS = frozenset({"print", "pprint.pprint", "pprint.pp", "click.echo", "click.secho",
                      "rich.print", "typer.echo"})
_LOGGER_NAME = re.compile(r"(?i)^_*(?:log|logger|logging|.*_log|.*_logger|logger_.*|audit)$")
_AUTH_WORDS = frozenset({"login", "logon", "signin", "sign_in", "signup", "sign_up",
                         "register", "registration", "auth", "authenticate", "authorize",
                         "token", "tokens", "password", "passwords", "reset", "oauth",
                         "callback", "credentials", "session", "sessions", "otp", "mfa",
                         "2fa", "verify", "change_password", "api_key", "apikey"})
_BODY_ATTRS = frozenset({"form", "json", "data", "values", "body", "POST", "get_json",
                         "get_data", "stream", "text", "content", "FILES"})
_AMBIGUOUS = frozenset({"pwd", "pw", "pass", "key"})
_PARSER_HINTS = ("tokenize", "lexer", "Lexer", "TokenType", "parse_token", "next_token",
                 "tokens.append", "Token(")


_PRINT_LEAVES = frozenset({"print", "pprint", "pp", "echo", "secho"})


def _is_log_call(call: ast.Call, module: Module) -> bool:
    func = call.func
    leaf = func.attr if isinstance(func, ast.Attribute) else (
        func.id if isinstance(func, ast.Name) else "")
    if leaf not in LOG_METHODS and leaf not in _PRINT_LEAVES:
        return False
    name = (module.qualname(func) or "").replace("()", "")
    if name in PRINTERS or name.endswith(".rich.print"):
        return True
    if not isinstance(func, ast.Attribute) or func.attr not in LOG_METHODS:
        return False
    if name.startswith(("logging.", "loguru.logger.", "structlog.")):
        return True
    receiver = func.value
    if isinstance(receiver, ast.Call):  # logging.getLogger(__name__).info(...)
        inner = (module.qualname(receiver.func) or "").replace("()", "")
        return inner.endswith(("getLogger", "get_logger"))
    leaf = receiver.attr if isinstance(receiver, ast.Attribute) else (
        receiver.id if isinstance(receiver, ast.Name) else "")
    return bool(_LOGGER_NAME.match(leaf))


def _leaves(node: ast.expr) -> Iterator[ast.expr]:
    """The values a log argument shows as they are: through f-strings, `%`, `+`, `.format`,
    `str()`/`repr()`, tuples and dict displays; not into other calls."""
    stack = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, ast.JoinedStr):
            stack.extend(v.value for v in cur.values if isinstance(v, ast.FormattedValue))
        elif isinstance(cur, ast.FormattedValue):
            stack.append(cur.value)
        elif isinstance(cur, ast.BinOp) and isinstance(cur.op, ast.Add | ast.Mod):
            stack.extend((cur.left, cur.right))
        elif isinstance(cur, ast.Tuple | ast.List | ast.Set):
            stack.extend(cur.elts)
        elif isinstance(cur, ast.Dict):
            stack.extend(cur.values)
        elif isinstance(cur, ast.Call):
            func = cur.func
            if isinstance(func, ast.Attribute) and func.attr == "format":
                stack.append(func.value)
                stack.extend(cur.args)
                stack.extend(k.value for k in cur.keywords)
            elif isinstance(func, ast.Name) and func.id in ("str", "repr", "dict"):
                stack.extend(cur.args)
                stack.extend(k.value for k in cur.keywords)
            elif isinstance(func, ast.Attribute) and func.attr in ("get", "getlist", "to_dict",
                                                                   "dict", "items", "copy"):
                yield cur
        elif isinstance(cur, ast.Name | ast.Attribute | ast.Subscript):
            yield cur


def _leaf_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript):
        if isinstance(node.slice, ast.Slice):
            return None  # token[:4] shows a prefix only
        key = node.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            return key.value
        return None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
            node.func.attr in ("get", "getlist") and node.args:
        key = node.args[0]
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            return key.value
    return None


def _request_part(node: ast.expr, module: Module) -> str | None:
    """`request.form` / `request.get_json()` / `request.headers` ... → the attribute."""
    cur: ast.expr = node
    if isinstance(cur, ast.Call):
        if isinstance(cur.func, ast.Attribute) and cur.func.attr in ("to_dict", "dict", "copy",
                                                                     "items"):
            cur = cur.func.value
        if isinstance(cur, ast.Call):
            cur = cur.func
    if not isinstance(cur, ast.Attribute):
        return None
    base = cur.value
    qual = module.qualname(base) or ""
    is_request = qual.endswith("request") or (
        isinstance(base, ast.Name) and base.id in ("request", "req")) or (
        isinstance(base, ast.Attribute) and base.attr == "request")
    return cur.attr if is_request else None


def _secret_leaf(name: str, parserish: bool) -> str | None:
    words = secrets.name_words(name)
    if not words or (len(words) == 1 and words[0] in _AMBIGUOUS):
        return None
    if parserish and words[-1] in ("token", "tokens") and len(words) == 1:
        return None
    kind = secrets.secret_name(name)
    if kind is None:
        return None
    return {"signing-key": "a signing key", "password": "a password", "token": "a secret"}[kind]


def _auth_context(fn: ast.AST | None) -> bool:
    if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
        return False
    names = set(secrets.name_words(fn.name))
    for dec in fn.decorator_list:
        if isinstance(dec, ast.Call) and dec.args and isinstance(dec.args[0], ast.Constant) \
                and isinstance(dec.args[0].value, str):
            names.update(secrets.name_words(dec.args[0].value))
    joined = "_".join(secrets.name_words(fn.name))
    return bool(names & _AUTH_WORDS) or any(w in joined for w in ("login", "password"))


def _candidates(tree: ast.Module) -> Iterator[ast.Call]:
    """The calls of the module whose callee is named like a log or print function (the first
    test of `_is_log_call`)."""
    leaves = _LOG_LEAVES
    for call in nodes.instances(tree, ast.Call):
        func = call.func
        leaf = func.attr if isinstance(func, ast.Attribute) else (
            func.id if isinstance(func, ast.Name) else "")
        if leaf in leaves:
            yield call


_LOG_LEAVES = LOG_METHODS | _PRINT_LEAVES


def _check(node: ast.AST, module: Module) -> Iterator[Hit]:
    if not isinstance(node, ast.Module):
        return
    parserish: bool | None = None
    for call in _candidates(node):
        if not _is_log_call(call, module):
            continue
        if parserish is None:
            parserish = mentions(module, _PARSER_HINTS)
        hit = _log_hit(call, module, parserish, _auth_of(call, module))
        if hit is not None:
            yield hit


def _auth_of(call: ast.Call, module: Module) -> Callable[[], bool]:
    """Whether the function the call is in (its nearest enclosing `def`; its decorators and
    defaults count as in it) is an authentication endpoint, found only when asked."""
    return lambda: _auth_context(context.enclosing_function(call, module))


def _log_hit(call: ast.Call, module: Module, parserish: bool, auth: Callable[[], bool]
             ) -> Hit | None:
    args = [*call.args, *(k.value for k in call.keywords if k.arg not in
                          ("exc_info", "extra", "stack_info", "stacklevel", "file", "sep",
                           "end", "flush", "level", "fg", "err"))]
    for kw in call.keywords:  # structlog / loguru: logger.info("login", password=password)
        if kw.arg is not None and _secret_leaf(kw.arg, parserish) and \
                not isinstance(kw.value, ast.Constant):
            what = _secret_leaf(kw.arg, parserish)
            return Hit(call, message=f"Writes {what} (`{kw.arg}`) to the log")
    for arg in args:
        for leaf in _leaves(arg):
            part = _request_part(leaf, module)
            if part == "headers":
                return Hit(call, message="Writes all request headers (with the Authorization "
                                         "header and cookies) to the log", confidence=M)
            if part in _BODY_ATTRS and auth():
                return Hit(call, message=f"Writes the whole request body (`{part}`) of an "
                                         "authentication endpoint to the log")
            name = _leaf_name(leaf)
            if name is None:
                continue
            what = _secret_leaf(name, parserish)
            if what is not None:
                return Hit(call, message=f"Writes {what} (`{name}`) to the log")
    return None


RULES: tuple[Rule, ...] = (
    Rule("LOG002", "secret-in-log", 532, A09, Severity.MEDIUM, H,
         "A secret is written to a log or to standard output",
         node_types=(ast.Module,), check=_check),
)
