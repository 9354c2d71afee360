"""What the names around an expression say about the value: a password, a token, a digest.

Rules that cannot know a value's meaning from data flow read it from the identifiers a
developer chose: `user_password`, `resetToken`, `row["pwd"]`. Identifiers are split into
lower-case words at underscores, digits and camelCase humps."""

from __future__ import annotations

import ast
import re

_HUMPS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
_MAX_NODES = 200

# Long words are matched inside a word too (`newpassword`); short ones only whole.
PASSWORD_STEMS = ("password", "passwd", "passphrase", "passcode")
PASSWORD_WORDS = frozenset({"pwd", "pw", "pass", "pin", "pword", "credential", "credentials",
                            "secret"})
# Values that are random and long by construction: a fast hash of them is fine.
HIGH_ENTROPY_WORDS = frozenset({"token", "tokens", "key", "keys", "nonce", "salt", "uuid",
                                "apikey", "otp", "session"})
HASHED_WORDS = frozenset({"hash", "hashed", "hashes", "digest", "digests", "crypt", "crypted",
                          "encrypted", "encoded", "hasher", "hashing", "bcrypt", "argon",
                          "argon2", "scrypt", "pbkdf2", "salted", "hmac", "sha", "sha1",
                          "sha256", "sha512", "md5", "enc", "cipher", "ciphertext"})


def words(identifier: str) -> list[str]:
    return [w.lower() for w in _HUMPS.findall(identifier)]


def expr_words(expr: ast.AST | None) -> set[str]:
    """The words of the identifiers an expression reads: names, attributes, string keys of
    subscripts and `.get("key")` calls, through calls, operators and f-strings."""
    out: set[str] = set()
    if expr is None:
        return out
    stack: list[ast.AST] = [expr]
    seen = 0
    while stack and seen < _MAX_NODES:
        node = stack.pop()
        seen += 1
        if isinstance(node, ast.Name):
            out.update(words(node.id))
        elif isinstance(node, ast.Attribute):
            out.update(words(node.attr))
            stack.append(node.value)
        elif isinstance(node, ast.Subscript):
            key = node.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                out.update(words(key.value))
            stack.append(node.value)
        elif isinstance(node, ast.Call):
            stack.append(node.func)
            if (isinstance(node.func, ast.Attribute) and node.func.attr in ("get", "getlist", "pop")
                    and node.args and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)):
                out.update(words(node.args[0].value))
            stack.extend(node.args)
            stack.extend(k.value for k in node.keywords)
        elif isinstance(node, ast.BinOp):
            stack.extend((node.left, node.right))
        elif isinstance(node, ast.BoolOp):
            stack.extend(node.values)
        elif isinstance(node, ast.Compare):
            stack.append(node.left)
            stack.extend(node.comparators)
        elif isinstance(node, ast.UnaryOp):
            stack.append(node.operand)
        elif isinstance(node, ast.JoinedStr):
            stack.extend(node.values)
        elif isinstance(node, ast.FormattedValue | ast.Starred | ast.Await):
            stack.append(node.value)
        elif isinstance(node, ast.Tuple | ast.List):
            stack.extend(node.elts)
    return out


def is_password(found: set[str] | list[str]) -> bool:
    """The words name a password or another low-entropy credential a person chose."""
    hit = any(w in PASSWORD_WORDS or any(stem in w for stem in PASSWORD_STEMS) for w in found)
    return hit and not any(w in HIGH_ENTROPY_WORDS for w in found)


USER_PASSWORD_WORDS = frozenset({"pwd", "pw", "pass", "pin", "pword"})


def is_user_password(found: set[str] | list[str]) -> bool:
    """A password a person chose (not an API secret or a client credential)."""
    hit = any(w in USER_PASSWORD_WORDS or any(stem in w for stem in PASSWORD_STEMS)
              for w in found)
    return hit and not any(w in HIGH_ENTROPY_WORDS for w in found)


def is_hashed(found: set[str] | list[str]) -> bool:
    return any(w in HASHED_WORDS for w in found)


def target_words(target: ast.AST) -> set[str]:
    """The words of an assignment target: `user.password`, `data["pwd"]`, `token`."""
    return expr_words(target)


def is_constant_name(identifier: str) -> bool:
    return identifier.isupper() and any(c.isalpha() for c in identifier)
