"""JWT001: JSON Web Tokens accepted without verifying their signature (PyJWT, python-jose)."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from distrust.model import Confidence, Severity
from distrust.python.source import Module
from distrust.rules import context, names
from distrust.rules.rule import A02, Hit, Rule

DECODE = frozenset({"jwt.decode", "jwt.api_jwt.decode", "jwt.decode_complete",
                    "jwt.api_jwt.decode_complete", "jwt.PyJWT().decode", "jose.jwt.decode",
                    "jwt.api_jws.decode", "jose.jws.verify", "jwt.PyJWS().decode"})
UNVERIFIED = frozenset({"jose.jwt.get_unverified_claims", "jose.jwt.get_unverified_header",
                        "jose.jwt.get_unverified_headers", "jose.jws.get_unverified_claims",
                        "jose.jws.get_unverified_header", "jose.jws.get_unverified_headers",
                        "jwt.get_unverified_header", "jwt.api_jwt.get_unverified_header",
                        "jwt.api_jws.get_unverified_header"})
ENCODE = frozenset({"jwt.encode", "jwt.api_jwt.encode", "jose.jwt.encode", "jose.jws.sign"})
KEY_SELECTORS = frozenset({"kid", "jku", "x5u", "x5t", "iss"})


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    return None


def _local(expr: ast.AST, module: Module) -> ast.AST:
    """A name bound once in the enclosing function (or at module level) stands for its value."""
    if isinstance(expr, ast.Name):
        function = context.enclosing_function(expr, module)
        if function is not None:
            values = context.assigned_in(function, expr.id)
            if len(values) == 1:
                return values[0]
            if values:
                return expr
        return context.constant_value(expr, module)
    return expr


def _false(expr: ast.AST | None, module: Module) -> bool:
    if expr is None:
        return False
    expr = _local(expr, module)
    return isinstance(expr, ast.Constant) and expr.value is False


def _dict_value(expr: ast.AST | None, key: str, module: Module) -> ast.expr | None:
    if expr is None:
        return None
    expr = _local(expr, module)
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id == "dict":
        return _keyword(expr, key)
    if not isinstance(expr, ast.Dict):
        return None
    for k, v in zip(expr.keys, expr.values, strict=True):
        if isinstance(k, ast.Constant) and k.value == key:
            return v
    return None


def _names_none(expr: ast.AST | None, module: Module) -> bool:
    if expr is None:
        return False
    expr = context.constant_value(expr, module)
    items = expr.elts if isinstance(expr, ast.List | ast.Tuple | ast.Set) else [expr]
    return any(isinstance(i, ast.Constant) and isinstance(i.value, str)
               and i.value.strip().lower() == "none" for i in items)


def _disabled(call: ast.Call, module: Module) -> str | None:
    options = _keyword(call, "options")
    if _false(_dict_value(options, "verify_signature", module), module):
        return "options={'verify_signature': False}"
    if _false(_keyword(call, "verify"), module):
        return "verify=False"
    return None


def _verifying_decode(call: ast.Call, module: Module) -> bool:
    qual = context.qualname(module, call.func)
    return qual in DECODE and _disabled(call, module) is None


def _function_verifies(node: ast.AST, module: Module) -> bool:
    """The unverified read serves verification: it chooses the key of a verifying decode (in
    that decode's key argument, or through a variable the key is computed from), or the
    function is a key selector or a wrapper that says `unverified` in its name."""
    function = context.enclosing_function(node, module)
    if function is None:
        return False
    found = set(names.words(function.name))
    if found & {"unverified", "key", "keys", "jwk", "jwks", "kid"}:
        return True
    decodes = [n for n in ast.walk(function)
               if isinstance(n, ast.Call) and n is not node and _verifying_decode(n, module)]
    if not decodes:
        return False
    if isinstance(node, ast.Call) and node.args and any(
            d.args and d.lineno < node.lineno and ast.dump(d.args[0]) == ast.dump(node.args[0])
            for d in decodes):
        return True  # the same token was verified above: this reads a verified token
    keys = [k for k in (_key_argument(d) for d in decodes) if k is not None]
    if any(node is sub for key in keys for sub in ast.walk(key)):
        return True
    held = _held_names(node, module)
    if not held:
        return False
    derived = set(held)
    for sub in ast.walk(function):  # one hop: key = JWKS[unverified["iss"]]
        if isinstance(sub, ast.Assign) and _reads_any(sub.value, held):
            derived |= {t.id for t in sub.targets if isinstance(t, ast.Name)}
    return any(_reads_any(key, derived) for key in keys)


def _key_argument(call: ast.Call) -> ast.expr | None:
    key = _keyword(call, "key")
    if key is None and len(call.args) >= 2:
        key = call.args[1]
    return key


def _held_names(node: ast.AST, module: Module) -> set[str]:
    statement = context.enclosing_statement(node, module)
    if isinstance(statement, ast.Assign):
        return {t.id for t in statement.targets if isinstance(t, ast.Name)}
    return set()


def _reads_any(expr: ast.AST, wanted: set[str]) -> bool:
    return any(isinstance(n, ast.Name) and n.id in wanted for n in ast.walk(expr))


def _only_selects_key(call: ast.Call, module: Module) -> bool:
    """`get_unverified_header(token)["kid"]`, or a header variable read only for `kid`."""
    up = context.parent(call, module)
    if _selector(up, call):
        return True
    if not isinstance(up, ast.Assign) or len(up.targets) != 1 or not isinstance(
            up.targets[0], ast.Name):
        return False
    name = up.targets[0].id
    function = context.enclosing_function(call, module)
    if function is None:
        return False
    uses = [n for n in ast.walk(function) if isinstance(n, ast.Name) and n.id == name
            and isinstance(n.ctx, ast.Load)]
    return bool(uses) and all(_selector(context.parent(n, module), n)
                              or _key_lookup_argument(n, module) for n in uses)


def _key_lookup_argument(use: ast.AST, module: Module) -> bool:
    """`find_key(unverified_header)`, `self._decode_key_callback(headers, claims)`."""
    up = context.parent(use, module)
    if not (isinstance(up, ast.Call) and use in up.args):
        return False
    func = up.func
    name = func.attr if isinstance(func, ast.Attribute) else (
        func.id if isinstance(func, ast.Name) else "")
    return bool(set(names.words(name)) & {"key", "keys", "jwk", "jwks", "secret", "kid"})


def _selector(up: ast.AST | None, value: ast.AST) -> bool:
    if isinstance(up, ast.Subscript) and up.value is value:
        key = up.slice
        return isinstance(key, ast.Constant) and key.value in KEY_SELECTORS
    return False


def _get_selector(call_func: ast.Attribute, call: ast.Call) -> bool:
    return (call_func.attr == "get" and bool(call.args) and isinstance(call.args[0], ast.Constant)
            and call.args[0].value in KEY_SELECTORS)


_LEAVES = frozenset(q.rpartition(".")[2] for q in DECODE | UNVERIFIED | ENCODE)


def check_jwt(node: ast.AST, module: Module) -> Iterator[Hit]:
    if not isinstance(node, ast.Call) or not context.may_end_with(node.func, module, _LEAVES):
        return
    qual = context.qualname(module, node.func)
    if qual is None:
        return
    if qual in DECODE:
        yield from _check_decode(node, qual, module)
    elif qual in UNVERIFIED:
        if _function_verifies(node, module):
            return
        if _only_selects_key(node, module) or _header_get(node, module):
            return
        yield Hit(node, message=f"{qual.rpartition('.')[2]} reads the token without checking "
                                "its signature; anyone can forge these claims. Use jwt.decode "
                                "with the key and algorithms")
    elif qual in ENCODE:
        algorithm = _keyword(node, "algorithm")
        if algorithm is None and len(node.args) >= 3:
            algorithm = node.args[2]
        if _names_none(algorithm, module):
            yield Hit(algorithm or node, message="Tokens signed with algorithm 'none' carry no "
                                                 "signature: anyone can mint them")


def _header_get(call: ast.Call, module: Module) -> bool:
    up = context.parent(call, module)
    if isinstance(up, ast.Attribute) and up.value is call:
        grand = context.parent(up, module)
        return isinstance(grand, ast.Call) and grand.func is up and _get_selector(up, grand)
    if isinstance(up, ast.Assign) and len(up.targets) == 1 and isinstance(
            up.targets[0], ast.Name):
        name = up.targets[0].id
        function = context.enclosing_function(call, module)
        if function is None:
            return False
        uses = [n for n in ast.walk(function) if isinstance(n, ast.Name) and n.id == name
                and isinstance(n.ctx, ast.Load)]
        if not uses:
            return False
        for use in uses:
            parent = context.parent(use, module)
            if _selector(parent, use):
                continue
            if isinstance(parent, ast.Attribute) and parent.value is use:
                grand = context.parent(parent, module)
                if isinstance(grand, ast.Call) and grand.func is parent and _get_selector(
                        parent, grand):
                    continue
            return False
        return True
    return False


def _check_decode(node: ast.Call, qual: str, module: Module) -> Iterator[Hit]:
    disabled = _disabled(node, module)
    if disabled is not None:
        if _function_verifies(node, module) or _only_selects_key(node, module):
            return
        yield Hit(node, message=f"jwt.decode with {disabled} accepts forged tokens: the "
                                "signature is never checked")
        return
    algorithms = _keyword(node, "algorithms")
    if algorithms is None and len(node.args) >= 3:
        algorithms = node.args[2]
    if _names_none(algorithms, module):
        yield Hit(algorithms or node, message="Accepting algorithm 'none' accepts unsigned, "
                                              "forged tokens")
        return
    if qual == "jose.jws.verify" or ("decode_complete" in qual and len(node.args) >= 3):
        return
    if algorithms is None and not any(kw.arg is None for kw in node.keywords) and not any(
            isinstance(a, ast.Starred) for a in node.args):
        has_key = len(node.args) >= 2 or _keyword(node, "key") is not None
        if has_key:
            yield Hit(node, confidence=Confidence.MEDIUM,
                      message="jwt.decode without algorithms= lets the token choose its own "
                              "algorithm (algorithm confusion: an RSA public key used as an "
                              "HMAC secret); pass algorithms=[...] explicitly")


RULES: tuple[Rule, ...] = (
    Rule("JWT001", "jwt-verification-disabled", 347, A02, Severity.HIGH, Confidence.HIGH,
         "A JSON Web Token is accepted without verifying its signature or algorithm",
         node_types=(ast.Call,), check=check_jwt,
         words=("jwt", "jose")),  # a component of every name in DECODE, UNVERIFIED, ENCODE
)
