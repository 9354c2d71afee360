"""RAND001: the `random` module (or `numpy.random`) making values that must be unguessable.

A call is in a security context when the value is named like a secret (`token`, `otp`,
`reset_code`, `salt`...), is returned from a function named like one (`generate_password`),
or is put into a session or a cookie. Shuffling quiz questions, sampling data, jitter and
games stay quiet."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from distrust.model import Confidence, Edit, Fix, Severity
from distrust.python.source import Module
from distrust.rules import context, edits, names
from distrust.rules.rule import A02, Hit, Rule

RANDOM_FUNCTIONS = frozenset({
    "random", "randint", "randrange", "choice", "choices", "sample", "getrandbits",
    "randbytes", "uniform", "normalvariate", "gauss", "triangular", "betavariate",
    "expovariate", "shuffle", "binomialvariate", "lognormvariate", "paretovariate",
    "weibullvariate", "vonmisesvariate", "gammavariate"})
SECRET_WORDS = frozenset({"token", "tokens", "otp", "totp", "hotp", "pin", "nonce", "salt",
                          "secret", "sessionid", "sid", "csrf", "xsrf", "apikey", "captcha",
                          "iv", "passphrase", "passcode", "pwd", "passwd", "2fa", "mfa"})
CODE_QUALIFIERS = frozenset({"reset", "verification", "verify", "auth", "otp", "confirmation",
                             "confirm", "activation", "access", "security", "login", "sms",
                             "mfa", "recovery", "invite", "one", "secret", "email", "phone",
                             "unlock", "pairing", "backup"})
KEY_QUALIFIERS = frozenset({"api", "secret", "access", "private", "encryption", "signing",
                            "session", "license", "activation", "aes", "hmac", "crypto"})
SESSION_QUALIFIERS = frozenset({"id", "key", "token", "secret"})
LINK_QUALIFIERS = frozenset({"reset", "activation", "verification", "verify", "magic", "invite",
                             "login", "confirm", "confirmation", "unsubscribe", "share"})


# A quantity or a kind of token (`token_count`, `max_tokens_estimate`), not a token.
QUANTITY_WORDS = frozenset({"count", "counts", "estimate", "limit", "limits", "usage", "len",
                            "length", "type", "kind", "index", "position", "budget", "max",
                            "min", "total", "delay", "timeout", "ttl"})


def security_words(found: set[str] | list[str]) -> bool:
    found = set(found)
    if found & QUANTITY_WORDS:
        return False
    if found & SECRET_WORDS or any("password" in w for w in found):
        return True
    if "code" in found and found & CODE_QUALIFIERS:
        return True
    if "key" in found and found & KEY_QUALIFIERS:
        return True
    if found & {"link", "url", "slug"} and found & LINK_QUALIFIERS:
        return True
    return "session" in found and bool(found & SESSION_QUALIFIERS)


def _random_qualname(call: ast.Call, module: Module) -> str | None:
    qual = context.qualname(module, call.func)
    if qual is None:
        return None
    if qual.startswith("numpy.random."):
        return qual
    if qual.startswith("random."):
        rest = qual[len("random."):]
        if rest.startswith("SystemRandom"):
            return None
        name = rest.rpartition(".")[2]
        if name in RANDOM_FUNCTIONS and (rest == name or rest.startswith("Random(")):
            return qual
    return None


def _statement_target_names(statement: ast.stmt | None) -> list[str]:
    if isinstance(statement, ast.Assign):
        return [t.id for t in statement.targets if isinstance(t, ast.Name)]
    if isinstance(statement, ast.AnnAssign | ast.AugAssign) and isinstance(
            statement.target, ast.Name):
        return [statement.target.id]
    return []


def _returned(function: ast.AST, name: str) -> bool:
    for node in ast.walk(function):
        if isinstance(node, ast.Return) and node.value is not None and any(
                isinstance(n, ast.Name) and n.id == name for n in ast.walk(node.value)):
            return True
    return False


def _stored_in_session(function: ast.AST, name: str, module: Module) -> bool:
    for node in ast.walk(function):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Name) and \
                node.value.id == name:
            for target in node.targets:
                if isinstance(target, ast.Subscript) and any(
                        "session" in w for w in names.expr_words(target.value)):
                    return True
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                node.func.attr == "set_cookie":
            values = [*node.args[1:2], *(k.value for k in node.keywords if k.arg == "value")]
            if any(isinstance(v, ast.Name) and v.id == name for v in values):
                return True
    return False


def _context(call: ast.Call, module: Module) -> Confidence | None:
    """HIGH when the value is named like a secret, MEDIUM when it leaves through a function
    named like one or goes into a session or cookie; None outside a security context."""
    destination = context.destination_words(call, module)
    if security_words(destination):
        return Confidence.HIGH
    statement = context.enclosing_statement(call, module)
    function = context.enclosing_function(call, module)
    if function is None:
        return None
    if "code" in destination and security_words(destination | set(names.words(function.name))):
        return Confidence.HIGH  # `code = randint(...)` in `send_verification()`
    targets = _statement_target_names(statement)
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call) and \
            statement.value is call and call.args:
        # random.shuffle(chars): the shuffled list is the value
        first = call.args[0]
        targets = [first.id] if isinstance(first, ast.Name) else []
    if security_words(names.words(function.name)) and (
            isinstance(statement, ast.Return) or any(_returned(function, t) for t in targets)):
        return Confidence.MEDIUM
    if any(_stored_in_session(function, t, module) for t in targets):
        return Confidence.MEDIUM
    if isinstance(statement, ast.Assign) and any(
            isinstance(t, ast.Subscript) and any("session" in w for w in names.expr_words(
                t.value)) for t in statement.targets):
        return Confidence.MEDIUM
    return None


def check_randomness(node: ast.AST, module: Module) -> Iterator[Hit]:
    if not isinstance(node, ast.Call):
        return
    qual = _random_qualname(node, module)
    if qual is None:
        return
    confidence = _context(node, module)
    if confidence is None:
        return
    yield Hit(node, confidence=confidence, fix=_fix(node, qual, module))


def _int(expr: ast.AST) -> int | None:
    if isinstance(expr, ast.Constant) and isinstance(expr.value, int) and not isinstance(
            expr.value, bool):
        return expr.value
    return None


def _fix(call: ast.Call, qual: str, module: Module) -> Fix | None:
    if not qual.startswith("random.") or "(" in qual:
        return None
    name = qual[len("random."):]
    ref = edits.module_ref(module, "secrets")
    if ref is None:
        return None
    secrets, extra = ref
    replacement: tuple[ast.AST, str] | None = None
    what = ""
    plain = not call.keywords and not any(isinstance(a, ast.Starred) for a in call.args)
    if name == "choice" and plain and len(call.args) == 1:
        replacement = (call.func, f"{secrets}.choice")
        what = "secrets.choice"
    elif name == "getrandbits" and plain and len(call.args) == 1:
        replacement = (call.func, f"{secrets}.randbits")
        what = "secrets.randbits"
    elif name == "randbytes" and plain and len(call.args) == 1:
        replacement = (call.func, f"{secrets}.token_bytes")
        what = "secrets.token_bytes"
    elif name == "randrange" and plain and len(call.args) == 1:
        replacement = (call.func, f"{secrets}.randbelow")
        what = "secrets.randbelow"
    elif name == "randint" and plain and len(call.args) == 2:
        low, high = _int(call.args[0]), _int(call.args[1])
        if low is not None and high is not None and high >= low:
            text = f"{secrets}.randbelow({high - low + 1})"
            replacement = (call, text if low == 0 else f"({text} + {low})")
            what = "secrets.randbelow"
    elif name == "choices" and len(call.args) == 1 and len(call.keywords) == 1 and \
            call.keywords[0].arg == "k":
        population = edits.source(module, call.args[0])
        count = edits.source(module, call.keywords[0].value)
        uses_underscore = any(isinstance(n, ast.Name) and n.id == "_"
                              for n in ast.walk(call))
        if population and count and "\n" not in population + count and not uses_underscore:
            replacement = (call, f"[{secrets}.choice({population}) for _ in range({count})]")
            what = "secrets.choice"
    if replacement is None:
        return None
    edit = edits.replace(module, replacement[0], replacement[1])
    if edit is None:
        return None
    changes: tuple[Edit, ...] = (*extra, edit)
    return Fix(f"draw from the operating system's generator with {what}", changes)


RULES: tuple[Rule, ...] = (
    Rule("RAND001", "insecure-randomness", 330, A02, Severity.HIGH, Confidence.HIGH,
         "A predictable random generator makes a value that must be unguessable",
         node_types=(ast.Call,), check=check_randomness,
         words=("random",)),  # `random.*` and `numpy.random.*` only
)
