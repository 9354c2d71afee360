"""CRY005: secrets compared with `==`/`!=`, whose running time leaks how much of a guess was
right. The safe form, `hmac.compare_digest`, is offered as a fix."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from distrust.model import Confidence, Edit, Fix, Severity
from distrust.python.source import Module
from distrust.rules import context, edits, names
from distrust.rules.rule import A02, Hit, Rule

SECRET_WORDS = frozenset({"token", "signature", "sig", "hmac", "mac", "digest", "hash",
                          "hashed", "apikey", "secret", "otp", "totp", "hotp", "csrf", "xsrf",
                          "pwhash", "passhash", "checksig"})
SECRET_KEYS = frozenset({"api", "secret", "access", "auth", "private", "signing", "webhook",
                         "shared", "license", "client"})
# Words that make the identifier a property or a flag, not the secret: `signature_type`,
# `verify_signature`, `hashed_name`, `token_endpoint_auth_method`.
NOT_SECRET_WORDS = frozenset({"type", "ttype", "kind", "format", "method", "mode", "name",
                              "template", "reason", "status", "version", "algorithm", "alg",
                              "scheme", "style", "length", "len", "size", "count", "index",
                              "idx", "digits", "prefix", "url", "endpoint", "contents", "value",
                              "verify", "check", "is", "has", "should", "use", "enable",
                              "enabled", "allow", "require", "required", "expires", "expiry",
                              "path", "file", "filename", "id", "pk", "label", "location",
                              "uuid", "tenant", "issuer", "iss", "aud", "audience", "owner",
                              "sub", "subject"})
# Words on the way to an ALL-CAPS attribute that make it an enum member (`Token.Type.ACCESS`).
ENUM_WORDS = frozenset({"type", "types", "kind", "kinds", "enum", "choices", "status"})
# A comparison passed to these builds a query expression (SQLAlchemy, Django Q), not a bool.
QUERY_CALLS = frozenset({"filter", "filter_by", "where", "having", "join", "outerjoin",
                         "exclude", "and_", "or_", "not_", "case", "on"})
_VALUE_METHODS = frozenset({"hexdigest", "digest", "decode", "encode", "lower", "upper", "strip",
                            "rstrip", "lstrip", "get"})
# The last attribute names a property of a secret, not the secret (`token.type`).
NOT_SECRET_ATTRS = frozenset({"type", "kind", "name", "id", "algorithm", "alg", "length",
                              "size", "count", "version", "scheme", "format", "mode", "status",
                              "state", "typ", "prefix", "encoding", "method", "line", "lineno",
                              "start", "end", "pos", "position", "parameters", "expires",
                              "expiry", "exp", "created", "user", "owner", "user_id", "scope",
                              "scopes", "audience", "issuer", "label", "tag_name", "hash_name",
                              "digest_size", "block_size", "digestmod", "digest_method", "path"})
_TRIVIAL_CALLS = frozenset({"len", "type", "id", "bool", "int", "isinstance", "hash", "repr",
                            "getattr", "callable", "ord", "sorted", "list", "set", "tuple"})
# Where a compared value comes from: received with the request, stored or configured on the
# server, or computed as a digest. A compare of two values of unknown origin is bookkeeping
# (is this the token I just issued?), not a check of a guess.
PROVENANCE_WORDS = frozenset({
    "request", "req", "headers", "header", "hdr", "args", "form", "params", "query", "cookies",
    "cookie", "json", "provided", "received", "given", "supplied", "submitted", "incoming",
    "candidate", "presented", "expected", "stored", "computed", "calculated", "valid",
    "correct", "actual", "real", "saved", "known", "configured", "settings", "config",
    "environ", "session", "user", "account", "db", "record", "row", "client"})
DIGEST_CALL_WORDS = frozenset({"hash", "hmac", "digest", "hexdigest", "sign", "signature",
                               "crypt", "hashpw", "mac"})
_SKIP_FUNCTIONS = frozenset({"__eq__", "__ne__", "__hash__", "__lt__", "__le__", "__gt__",
                             "__ge__", "__contains__"})


def _last_words(expr: ast.AST, module: Module) -> list[str] | None:
    """The words of the identifier that names the compared value: the attribute, the name,
    the string key, or the function that computed it. None for a computed hash/HMAC."""
    for _ in range(8):
        if isinstance(expr, ast.Name):
            return names.words(expr.id)
        if isinstance(expr, ast.Attribute):
            return names.words(expr.attr)
        if isinstance(expr, ast.Subscript):
            key = expr.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                return names.words(key.value)
            return []
        if isinstance(expr, ast.Call):
            func = expr.func
            if isinstance(func, ast.Attribute) and func.attr in _VALUE_METHODS:
                if func.attr == "get" and expr.args and isinstance(expr.args[0], ast.Constant) \
                        and isinstance(expr.args[0].value, str):
                    return names.words(expr.args[0].value)
                qual = context.qualname(module, func.value) or ""
                if qual.startswith(("hmac.new", "hashlib.")):
                    return None
                expr = func.value
                continue
            qual = context.qualname(module, func) or ""
            if qual.startswith(("hmac.new", "hashlib.")) or qual == "hmac.digest":
                return None
            if isinstance(func, ast.Attribute):
                return names.words(func.attr)
            if isinstance(func, ast.Name):
                return names.words(func.id)
            return []
        return []
    return []


def _secret(expr: ast.AST, module: Module) -> bool:
    found = _last_words(expr, module)
    if found is None:
        return True
    if not found or set(found) & NOT_SECRET_WORDS:
        return False
    if set(found) & SECRET_WORDS:
        return True
    return "key" in found and bool(set(found) & SECRET_KEYS)


def _class_constant(expr: ast.AST, module: Module) -> bool:
    """`self.reset_url_token` where the class body binds it to a literal."""
    if not (isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name)
            and expr.value.id in ("self", "cls")):
        return False
    cls = context.enclosing_class(expr, module)
    if cls is None:
        return False
    for stmt in cls.body:
        if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Constant) and any(
                isinstance(t, ast.Name) and t.id == expr.attr for t in stmt.targets):
            return True
    return False


def _provenance(expr: ast.AST, module: Module) -> bool:
    if names.expr_words(expr) & PROVENANCE_WORDS:
        return True
    for sub in ast.walk(expr):
        if isinstance(sub, ast.Call):
            qual = context.qualname(module, sub.func) or ""
            if qual.startswith(("hmac.", "hashlib.")):
                return True
            func = sub.func
            name = func.attr if isinstance(func, ast.Attribute) else (
                func.id if isinstance(func, ast.Name) else "")
            if set(names.words(name)) & DIGEST_CALL_WORDS:
                return True
        identifier = sub.attr if isinstance(sub, ast.Attribute) else (
            sub.id if isinstance(sub, ast.Name) else None)
        if identifier is not None and names.is_constant_name(identifier) and _secret(
                sub, module):
            return True
    return False


def _trivial(expr: ast.AST, module: Module) -> bool:
    if isinstance(expr, ast.Constant):
        return True
    if isinstance(expr, ast.JoinedStr) and not any(
            isinstance(v, ast.FormattedValue) for v in expr.values):
        return True
    if isinstance(expr, ast.UnaryOp) and isinstance(expr.operand, ast.Constant):
        return True
    if isinstance(expr, ast.Tuple | ast.List | ast.Set) and all(
            isinstance(e, ast.Constant) for e in expr.elts):
        return True
    if isinstance(expr, ast.Dict) and not expr.keys:
        return True
    if isinstance(expr, ast.Call):
        func = expr.func
        if isinstance(func, ast.Name) and func.id in _TRIVIAL_CALLS:
            return True
        if isinstance(func, ast.Name) and expr.args and all(
                isinstance(a, ast.Constant) for a in expr.args) and not expr.keywords:
            return True
        qual = context.qualname(module, func) or ""
        if qual.startswith("inspect."):
            return True
    if isinstance(expr, ast.Subscript) and not (
            isinstance(expr.slice, ast.Constant) and isinstance(expr.slice.value, str)):
        return True  # a character or a slice of a value, not the value
    if isinstance(expr, ast.BinOp):
        return True
    if _class_constant(expr, module):
        return True
    identifier = expr.attr if isinstance(expr, ast.Attribute) else (
        expr.id if isinstance(expr, ast.Name) else None)
    if identifier is not None and names.is_constant_name(identifier):
        if isinstance(expr, ast.Attribute) and names.expr_words(expr.value) & ENUM_WORDS:
            return True
        found = set(names.words(identifier))
        return not (found & {"key", "secret", "token", "apikey", "password"}) or bool(
            found & NOT_SECRET_WORDS)
    return False


def check_compare(node: ast.AST, module: Module) -> Iterator[Hit]:
    if not isinstance(node, ast.Compare) or len(node.ops) != 1:
        return
    op = node.ops[0]
    if not isinstance(op, ast.Eq | ast.NotEq):
        return
    left, right = node.left, node.comparators[0]
    # (Both tests must pass; the cheaper one first: `_trivial` may look up the class.)
    if not (_secret(left, module) or _secret(right, module)):
        return
    if _trivial(left, module) or _trivial(right, module):
        return
    if not (_provenance(left, module) or _provenance(right, module)):
        return
    # A password compared with a password is AUTH001's (plain text), not a digest compare.
    for side in (left, right):
        found = names.expr_words(side)
        if names.is_password(found) and not names.is_hashed(found):
            return
    up = context.parent(node, module)
    if isinstance(up, ast.Assert):
        return
    if isinstance(up, ast.Call) and node in up.args:
        func = up.func
        name = func.attr if isinstance(func, ast.Attribute) else (
            func.id if isinstance(func, ast.Name) else "")
        if name in QUERY_CALLS:
            return
    function = context.enclosing_function(node, module)
    if function is not None and function.name in _SKIP_FUNCTIONS:
        return
    if _bookkeeping(node, module):
        return
    yield Hit(node, fix=_fix(node, left, right, isinstance(op, ast.NotEq), module))


_BOOKKEEPING_CALLS = frozenset({"pop", "delete", "remove", "set", "save", "update", "store",
                                "clear", "discard", "append", "add", "cache", "log", "debug",
                                "info", "warning", "flush", "refresh", "rotate", "touch"})


def _bookkeeping(node: ast.Compare, module: Module) -> bool:
    """`if stored != incoming: session[KEY] = incoming`: the result only decides what to
    store or clean up; nothing is refused or granted on it, so its timing says nothing."""
    up = context.parent(node, module)
    if not isinstance(up, ast.If) or up.test is not node or up.orelse:
        return False
    for stmt in up.body:
        if isinstance(stmt, ast.Assign | ast.AugAssign | ast.Delete):
            targets = stmt.targets if isinstance(stmt, ast.Assign | ast.Delete) else [
                stmt.target]
            if not all(isinstance(t, ast.Subscript | ast.Attribute) for t in targets):
                return False
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            func = stmt.value.func
            name = func.attr if isinstance(func, ast.Attribute) else (
                func.id if isinstance(func, ast.Name) else "")
            if not set(names.words(name)) & _BOOKKEEPING_CALLS:
                return False
        else:
            return False
    return True


def _fix(node: ast.Compare, left: ast.expr, right: ast.expr, negate: bool, module: Module
         ) -> Fix | None:
    a, b = edits.source(module, left), edits.source(module, right)
    if a is None or b is None:
        return None
    ref = _compare_digest_ref(module)
    if ref is None:
        return None
    function, extra = ref
    text = f"{'not ' if negate else ''}{function}({a}, {b})"
    edit = edits.replace(module, node, text)
    if edit is None:
        return None
    return Fix(f"compare in constant time with {function}", (*extra, edit))


def _compare_digest_ref(module: Module) -> tuple[str, tuple[Edit, ...]] | None:
    for target in ("hmac.compare_digest", "secrets.compare_digest"):
        local = edits.imported_as(module, target)
        if local is not None:
            return local, ()
    for base in ("hmac", "secrets"):
        local = edits.imported_as(module, base)
        if local is not None:
            return f"{local}.compare_digest", ()
    ref = edits.module_ref(module, "hmac")
    if ref is None:
        return None
    return f"{ref[0]}.compare_digest", ref[1]


RULES: tuple[Rule, ...] = (
    Rule("CRY005", "non-constant-time-compare", 208, A02, Severity.MEDIUM, Confidence.MEDIUM,
         "A secret is compared with ==, whose running time leaks how much of a guess matched",
         node_types=(ast.Compare,), check=check_compare),
)
