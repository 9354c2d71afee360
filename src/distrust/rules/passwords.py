"""Password storage: fast hashes of passwords (CRY001) and passwords stored or compared in
plain text (AUTH001). A value is a password when the names around it say so."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass

from distrust.model import Confidence, Severity
from distrust.python import nodes
from distrust.python.source import Module
from distrust.rules import context, names
from distrust.rules.rule import A02, A04, Hit, Rule

_FAST = ("md5", "sha1", "sha224", "sha256", "sha384", "sha512", "sha3_224", "sha3_256",
         "sha3_384", "sha3_512", "blake2b", "blake2s", "shake_128", "shake_256")
FAST_HASHLIB = frozenset(f"hashlib.{name}" for name in _FAST)
FAST_NEW_NAMES = frozenset({*_FAST, "md4", "sha-1", "sha-256", "sha-512", "ripemd160", "sm3"})
FAST_PYCRYPTO = frozenset(f"{pkg}.Hash.{name}.new" for pkg in ("Crypto", "Cryptodome")
                          for name in ("MD2", "MD4", "MD5", "SHA", "SHA1", "SHA224", "SHA256",
                                       "SHA384", "SHA512", "SHA3_256", "SHA3_512", "BLAKE2b",
                                       "BLAKE2s"))
HAZMAT_HASH = "cryptography.hazmat.primitives.hashes.Hash"
WEAK_PASSLIB = frozenset(f"passlib.hash.{name}" for name in (
    "md5_crypt", "apr_md5_crypt", "des_crypt", "bsdi_crypt", "bigcrypt", "crypt16",
    "hex_md4", "hex_md5", "hex_sha1", "hex_sha256", "hex_sha512", "ldap_md5", "ldap_sha1",
    "ldap_salted_md5", "ldap_salted_sha1", "ldap_plaintext", "plaintext", "lmhash", "nthash",
    "mysql323", "mysql41", "postgres_md5", "oracle10", "msdcc", "msdcc2"))
WERKZEUG_HASH = "werkzeug.security.generate_password_hash"
MIN_PBKDF2_ITERATIONS = 100_000
SIGNATURE_WORDS = frozenset({"sig", "signature", "signed", "sign", "mac", "hmac", "checksum"})


def _fast_constructor(call: ast.Call, module: Module) -> bool:
    qual = context.qualname(module, call.func)
    if qual in FAST_HASHLIB or qual in FAST_PYCRYPTO:
        return not _not_for_security(call)
    if qual == "hashlib.new" and call.args and isinstance(call.args[0], ast.Constant):
        name = call.args[0].value
        return isinstance(name, str) and name.lower() in FAST_NEW_NAMES and not \
            _not_for_security(call)
    return qual == HAZMAT_HASH


def _not_for_security(call: ast.Call) -> bool:
    return any(kw.arg == "usedforsecurity" and isinstance(kw.value, ast.Constant)
               and kw.value.value is False for kw in call.keywords)


def _hashed_argument(call: ast.Call, module: Module) -> ast.expr | None:
    """The data a fast-hash call hashes: `md5(x)`, `hashlib.new("md5", x)`, `h.update(x)`
    where `h` is a fast hash object of the same function."""
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr == "update" and call.args:
        receiver = func.value
        origin: ast.AST | None = receiver if isinstance(receiver, ast.Call) else None
        if isinstance(receiver, ast.Name):
            function = context.enclosing_function(call, module)
            if function is not None:
                values = context.assigned_in(function, receiver.id)
                origin = values[0] if values else None
        if isinstance(origin, ast.Call) and _fast_constructor(origin, module):
            return call.args[0]
        return None
    qual = context.qualname(module, func)
    if qual is None or qual == HAZMAT_HASH or not _fast_constructor(call, module):
        return None
    position = 1 if qual == "hashlib.new" else 0
    if len(call.args) > position:
        return call.args[position]
    for kw in call.keywords:
        if kw.arg in ("data", "string"):
            return kw.value
    return None


def _stored_as_password(node: ast.AST, module: Module) -> bool:
    """`digest = md5(x).hexdigest()` then `user.set_password(digest)` or
    `user.password = digest`: the digest goes where a password is kept."""
    statement = context.enclosing_statement(node, module)
    function = context.enclosing_function(node, module)
    if function is None:
        return False
    held: set[str] = set()
    if isinstance(statement, ast.Assign):
        held = {t.id for t in statement.targets if isinstance(t, ast.Name)}
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(
            node.func.value, ast.Name) and node.func.attr == "update":
        held = {node.func.value.id}  # h.update(pw) ... set_password(h.hexdigest())
    if not held:
        return False
    for sub in ast.walk(function):
        if isinstance(sub, ast.Call):
            func = sub.func
            name = func.attr if isinstance(func, ast.Attribute) else (
                func.id if isinstance(func, ast.Name) else "")
            if names.is_user_password(names.words(name)) and any(
                    _reads(a, held) for a in [*sub.args, *(k.value for k in sub.keywords)]):
                return True
        elif (isinstance(sub, ast.Assign) and sub is not statement
              and _reads(sub.value, held)
              and any(names.is_user_password(names.target_words(t)) for t in sub.targets
                      if isinstance(t, ast.Attribute | ast.Subscript))):
            return True
    return False


def _parameters(function: context.FunctionNode) -> set[str]:
    args = function.args
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    if args.vararg:
        every.append(args.vararg)
    if args.kwarg:
        every.append(args.kwarg)
    return {a.arg for a in every} - {"self", "cls"}


def _reads(expr: ast.AST, wanted: set[str]) -> bool:
    return any(isinstance(n, ast.Name) and n.id in wanted for n in ast.walk(expr))


def check_password_hash(node: ast.AST, module: Module) -> Iterator[Hit]:
    if not isinstance(node, ast.Call):
        return
    yield from _library_hashers(node, module)
    hashed = _hashed_argument(node, module)
    if hashed is None:
        return
    if _literal(hashed):
        return  # a test vector or a hard-coded value, not a user's password
    if any(isinstance(sub, ast.Call) and sub is not hashed and _fast_constructor(sub, module)
           for sub in ast.walk(hashed)):
        return  # a hash of a hash: the inner call is the finding
    data = names.expr_words(hashed) - {"salt"}  # salt + password is still a password
    if any(w in names.HIGH_ENTROPY_WORDS for w in data):
        return
    destination = context.destination_words(node, module)
    if destination & SIGNATURE_WORDS:
        return  # a signature over a secret (CRY006's), not a stored password
    if names.is_user_password(data):
        yield Hit(node)
        return
    if names.is_password(destination) or _stored_as_password(node, module):
        yield Hit(node, confidence=Confidence.MEDIUM)
        return
    function = context.enclosing_function(node, module)
    if function is not None and names.is_password(names.words(function.name)) and _reads(
            hashed, _parameters(function)):
        yield Hit(node, confidence=Confidence.MEDIUM)


def _literal(expr: ast.AST) -> bool:
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and \
            expr.func.attr == "encode":
        expr = expr.func.value
    return isinstance(expr, ast.Constant)


def _library_hashers(call: ast.Call, module: Module) -> Iterator[Hit]:
    qual = context.qualname(module, call.func)
    if qual is None:
        return
    password = _arg(call, "password", 1 if qual == "hashlib.pbkdf2_hmac" else 0)
    if password is None or _literal(password):
        return
    if qual.rpartition(".")[0] in WEAK_PASSLIB and qual.rpartition(".")[2] in (
            "hash", "encrypt", "genhash"):
        yield Hit(call, message=f"{qual.rpartition('.')[0].rpartition('.')[2]} is a weak "
                                "password scheme; use passlib's argon2 or bcrypt")
    elif qual == WERKZEUG_HASH:
        method = None
        for kw in call.keywords:
            if kw.arg == "method":
                method = kw.value
        if method is None and len(call.args) >= 2:
            method = call.args[1]
        if isinstance(method, ast.Constant) and isinstance(method.value, str):
            problem = _werkzeug_method_problem(method.value)
            if problem:
                yield Hit(method, message=problem)
    elif qual == "hashlib.pbkdf2_hmac":
        iterations = _arg(call, "iterations", 3)
        salt = _arg(call, "salt", 2)
        value = context.constant_value(iterations, module) if iterations is not None else None
        if (isinstance(value, ast.Constant) and isinstance(value.value, int)
                and value.value < MIN_PBKDF2_ITERATIONS):
            yield Hit(call, message=f"PBKDF2 with {value.value} iterations is fast to "
                                    "brute-force; use at least 600000 (OWASP) or argon2")
        elif salt is not None and isinstance(context.constant_value(salt, module),
                                               ast.Constant):
            yield Hit(call, message="A constant salt: equal passwords get equal hashes and one "
                                    "precomputed table cracks them all; use os.urandom(16)")


def _arg(call: ast.Call, keyword: str, position: int) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    if position < len(call.args) and not any(isinstance(a, ast.Starred) for a in call.args):
        return call.args[position]
    return None


_WERKZEUG_ROUNDS = re.compile(r"pbkdf2(?::[a-z0-9_]+)?:(\d+)$")


def _werkzeug_method_problem(method: str) -> str | None:
    text = method.strip().lower()
    if text == "plain" or text in FAST_NEW_NAMES:
        return f"generate_password_hash(method={method!r}) stores a fast or plain hash; " \
               "use the default (scrypt) or pbkdf2"
    rounds = _WERKZEUG_ROUNDS.match(text)
    if rounds and int(rounds.group(1)) < MIN_PBKDF2_ITERATIONS:
        return f"PBKDF2 with {rounds.group(1)} iterations is fast to brute-force; use the " \
               "default method"
    return None


# --- AUTH001: plaintext passwords ----------------------------------------------------------

_PLAIN_CALLS = frozenset({"get", "getlist", "strip", "encode", "decode", "lower", "str",
                          "pop", "getattr", "rstrip", "lstrip"})
STORED_WORDS = frozenset({"user", "users", "account", "accounts", "row", "record", "db",
                          "stored", "saved", "existing", "expected", "correct", "real", "actual",
                          "member", "customer", "admin", "result", "entry", "profile", "found",
                          "database", "creds", "employee", "owner"})
INPUT_WORDS = frozenset({"input", "form", "request", "given", "provided", "supplied", "entered",
                         "typed", "attempt", "candidate", "submitted", "args", "json", "body",
                         "params", "payload", "confirm", "confirmation", "repeat", "again",
                         "retype", "login", "req", "incoming", "plain", "plaintext", "raw"})
# `UserCreate(password=...)`, `LoginForm(...)`: input to validate, not a stored record.
INPUT_SCHEMA_WORDS = frozenset({"create", "update", "in", "input", "schema", "form", "request",
                                "serializer", "login", "register", "registration", "signup",
                                "payload", "dto", "data", "params", "credentials", "auth"})
MODEL_BASES = frozenset({"Model", "Base", "DeclarativeBase", "Document", "SQLModel",
                         "AbstractUser", "AbstractBaseUser", "EmbeddedDocument", "Entity"})
ENTITY_WORDS = frozenset({"user", "users", "account", "accounts", "member", "customer",
                          "admin", "profile", "person", "employee", "student", "staff",
                          "owner", "record", "row", "entry", "u", "session", "patient",
                          "subscriber", "player", "author"})
STORE_METHODS = frozenset({"insert_one", "insert_many", "insert", "update_one", "update_many",
                           "replace_one", "find_one_and_update", "hset", "hmset", "put_item",
                           "create", "update", "update_or_create", "get_or_create", "values",
                           "add", "set"})
_SQL_PASSWORD = re.compile(r"pass(?:word|wd|phrase)?\b|\bpwd\b", re.IGNORECASE)
_SQL_WRITE = re.compile(r"\b(insert|update|replace)\b", re.IGNORECASE)


def _raw_password(expr: ast.AST) -> bool:
    """A password as the user typed it: named like one, not hashed, not the result of a call
    that could hash it."""
    if isinstance(expr, ast.Constant):
        return False
    found = names.expr_words(expr)
    if not names.is_user_password(found) or names.is_hashed(found):
        return False
    for sub in ast.walk(expr):
        if isinstance(sub, ast.Call):
            func = sub.func
            name = func.attr if isinstance(func, ast.Attribute) else (
                func.id if isinstance(func, ast.Name) else "")
            if name not in _PLAIN_CALLS:
                return False
        elif isinstance(sub, ast.Lambda | ast.comprehension | ast.IfExp | ast.BoolOp):
            return False
    return True


def _model_class(node: ast.AST, module: Module) -> bool:
    cls = context.enclosing_class(node, module)
    if cls is None:
        return False
    for base in cls.bases:
        last = base.attr if isinstance(base, ast.Attribute) else (
            base.id if isinstance(base, ast.Name) else "")
        if last in MODEL_BASES or last.endswith("Model"):
            return True
    return False


def _stored_side(expr: ast.AST, module: Module) -> bool:
    found = names.expr_words(expr)
    if found & INPUT_WORDS:
        return False
    if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and \
            expr.value.id == "self":
        return _model_class(expr, module)
    return bool(found & STORED_WORDS)


def _user_table_lookup(expr: ast.AST) -> bool:
    """`users[name]` / `USERS.get(name)`: a mapping of users whose values are passwords."""
    container: ast.AST | None = None
    if isinstance(expr, ast.Subscript):
        container = expr.value
    elif (isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute)
          and expr.func.attr == "get"):
        container = expr.func.value
    if not isinstance(container, ast.Name):
        return False
    found = set(names.words(container.id))
    return bool(found & {"users", "accounts", "credentials", "passwords", "logins"})


def _check_compare(node: ast.Compare, module: Module) -> Iterator[Hit]:
    if len(node.ops) != 1 or not isinstance(node.ops[0], ast.Eq | ast.NotEq):
        return
    left, right = node.left, node.comparators[0]
    for stored, other in ((left, right), (right, left)):
        if not _raw_password(other):
            continue
        if _user_table_lookup(stored) or (_raw_password(stored) and _stored_side(stored, module)):
            yield Hit(node, message="A password is compared in plain text: it is stored "
                                    "unhashed; store a slow salted hash and verify with it")
            return


def _may_name_password(text: str) -> bool:
    """A cheap test before `names.is_user_password(names.words(text))`: each word it accepts
    is part of the lower-cased text and contains `pass`, `pw` or `pin`."""
    low = text.lower()
    return "pass" in low or "pw" in low or "pin" in low


def _entity_target(target: ast.AST, module: Module) -> bool:
    """`user.password`, `account["pwd"]`, `session["password"]`, `self.password` in a model."""
    if isinstance(target, ast.Attribute):
        if not _may_name_password(target.attr) or not names.is_user_password(
                names.words(target.attr)):
            return False
        base = target.value
        if isinstance(base, ast.Name) and base.id == "self":
            return _model_class(target, module)
        found = names.expr_words(base)
        return bool(found & ENTITY_WORDS) and not found & INPUT_WORDS
    if isinstance(target, ast.Subscript):
        key = target.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            if not _may_name_password(key.value) or not names.is_user_password(
                    names.words(key.value)):
                return False
            found = names.expr_words(target.value)
            return bool(found & ENTITY_WORDS) and not found & INPUT_WORDS
        return isinstance(target.value, ast.Name) and _user_table_lookup(target)
    return False


def _hashes_too(node: ast.Assign, module: Module) -> bool:
    """The enclosing function also stores a hash of the password: a raw copy next to it is
    transient (Django keeps `_password` for the validators after `set_password`)."""
    function = context.enclosing_function(node, module)
    if function is None:
        return False
    for sub in ast.walk(function):
        if (sub is not node and isinstance(sub, ast.Assign) and isinstance(sub.value, ast.Call)
                and any(_entity_target(t, module) for t in sub.targets)
                and not _raw_password(sub.value)):
            return True
    return False


def _check_assign(node: ast.Assign, module: Module) -> Iterator[Hit]:
    for target in node.targets:
        if _entity_target(target, module) and _raw_password(node.value) and not _hashes_too(
                node, module):
            yield Hit(node, message="A password is stored in plain text; store "
                                    "a slow salted hash (argon2, bcrypt, scrypt) instead")
            return
    for target in node.targets:
        if _entity_target_container(target) and isinstance(node.value, ast.Dict):
            yield from _dict_passwords(node.value)


def _entity_target_container(target: ast.AST) -> bool:
    if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
        return bool(set(names.words(target.value.id)) & {"users", "accounts", "db", "database",
                                                          "store", "members", "customers"})
    return False


def _dict_passwords(value: ast.Dict) -> Iterator[Hit]:
    for key, item in zip(value.keys, value.values, strict=True):
        if (isinstance(key, ast.Constant) and isinstance(key.value, str)
                and names.is_user_password(names.words(key.value)) and _raw_password(item)):
            yield Hit(item, message="A password is stored in plain text; store a slow salted "
                                    "hash (argon2, bcrypt, scrypt) instead")


def _sql_text(expr: ast.AST) -> str | None:
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return expr.value
    if isinstance(expr, ast.JoinedStr):
        return "".join(v.value for v in expr.values
                       if isinstance(v, ast.Constant) and isinstance(v.value, str))
    return None


def _check_call(node: ast.Call, module: Module) -> Iterator[Hit]:
    func = node.func
    if not isinstance(func, ast.Attribute | ast.Name):
        return
    name = func.attr if isinstance(func, ast.Attribute) else func.id
    if name in ("execute", "executemany") and node.args:
        sql = _sql_text(node.args[0])
        if sql is None or not _SQL_WRITE.search(sql) or not _SQL_PASSWORD.search(sql):
            return
        candidates: list[ast.expr] = []
        if isinstance(node.args[0], ast.JoinedStr):
            candidates.extend(v.value for v in node.args[0].values
                              if isinstance(v, ast.FormattedValue))
        if len(node.args) > 1:
            params = node.args[1]
            if isinstance(params, ast.Tuple | ast.List):
                candidates.extend(params.elts)
            elif isinstance(params, ast.Dict):
                candidates.extend(params.values)
        for item in candidates:
            if _raw_password(item):
                yield Hit(item, message="A password is written to the database in plain "
                                        "text; store a slow salted hash instead")
                return
        return
    entity = name[:1].isupper() and bool(set(names.words(name)) & ENTITY_WORDS) and not (
        set(names.words(name)) & INPUT_SCHEMA_WORDS)
    store = name in STORE_METHODS and isinstance(func, ast.Attribute) and (
        name not in ("create", "update", "update_or_create", "get_or_create", "add", "set",
                     "values")
        or "objects" in names.expr_words(func.value)
        or bool(names.expr_words(func.value) & ENTITY_WORDS))
    if not (entity or store):
        return
    for kw in node.keywords:
        if kw.arg and names.is_user_password(names.words(kw.arg)) and _raw_password(kw.value):
            yield Hit(kw.value, message="A password is stored in plain text; store a slow "
                                        "salted hash (argon2, bcrypt, scrypt) instead")
    if store:
        for arg in node.args:
            for sub in ast.walk(arg):
                if isinstance(sub, ast.Dict):
                    yield from _dict_passwords(sub)


def check_plaintext_password(node: ast.AST, module: Module) -> Iterator[Hit]:
    if isinstance(node, ast.Compare):
        yield from _check_compare(node, module)
    elif isinstance(node, ast.Assign):
        yield from _check_assign(node, module)
    elif isinstance(node, ast.Call):
        yield from _check_call(node, module)


# --- CRY008: MD5/SHA-1 digests stored as credentials ---------------------------------------

WEAK_HASHLIB = frozenset({"hashlib.md5", "hashlib.sha1"})
WEAK_NEW_NAMES = frozenset({"md4", "md5", "sha1", "sha-1", "md5-sha1"})
WEAK_PYCRYPTO = frozenset(f"{pkg}.Hash.{name}.new" for pkg in ("Crypto", "Cryptodome")
                          for name in ("MD2", "MD4", "MD5", "SHA", "SHA1"))
HAZMAT_WEAK = frozenset(f"cryptography.hazmat.primitives.hashes.{name}" for name in ("MD5", "SHA1"))
# The last name of a call that can build a weak hash: a cheap test before resolving names.
_WEAK_CALL_NAMES = frozenset({"md5", "sha1", "new", "Hash"})
_DIGEST_METHODS = frozenset({"digest", "hexdigest", "finalize"})
_OPENERS = frozenset({"open", "io.open", "codecs.open", "gzip.open", "bz2.open", "lzma.open",
                      "aiofiles.open", "os.fdopen"})
_FILE_WRITES = frozenset({"write", "writelines", "writerow", "writerows"})
_PATH_WRITES = frozenset({"write_text", "write_bytes"})
_SQL_CALLS = frozenset({"execute", "executemany"})
_KEY_VALUE_WRITES = frozenset({"set", "setex", "setnx", "hset", "hsetnx", "hmset", "mset", "put",
                               "put_item", "set_item", "setattr"})
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_STORE_VERBS = frozenset({"set", "save", "store", "update", "write", "put", "add", "create",
                          "insert", "change", "reset", "persist", "register"})
_ALGORITHM_NAMES = {"sha1": "SHA-1", "sha-1": "SHA-1", "sha": "SHA-1", "md5-sha1": "MD5-SHA1"}


def _weak_hash_call(call: ast.Call, module: Module) -> str | None:
    """The algorithm when `call` builds an MD5/SHA-1 (or older) hash meant for security."""
    qual = context.qualname(module, call.func)
    if qual is None or _not_for_security(call):
        return None
    if qual in WEAK_HASHLIB:
        return qual.rpartition(".")[2]
    if qual in WEAK_PYCRYPTO:
        return qual.split(".")[2].lower()
    if qual == "hashlib.new":
        chosen = _arg(call, "name", 0)
        name = chosen.value if isinstance(chosen, ast.Constant) else None
        if isinstance(name, str) and name.lower() in WEAK_NEW_NAMES:
            return name.lower()
    if qual == HAZMAT_HASH and call.args and isinstance(call.args[0], ast.Call):
        inner = context.qualname(module, call.args[0].func)
        if inner in HAZMAT_WEAK:
            return inner.rpartition(".")[2].lower()
    return None


def _scope_of(node: ast.AST, module: Module) -> ast.AST:
    for up in context.ancestors(node, module):
        if isinstance(up, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            return up
    return module.tree


def _credential(found: set[str] | list[str]) -> bool:
    """Words that name a stored password, PIN, passphrase, secret or credential (not a random
    token or key, not a signature)."""
    return names.is_password(found) and not SIGNATURE_WORDS.intersection(found)


def _bound_names(target: ast.AST) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Tuple | ast.List):
        return [n for elt in target.elts for n in _bound_names(elt)]
    if isinstance(target, ast.Starred):
        return _bound_names(target.value)
    return []


def _assignments(body: list[ast.AST]) -> list[tuple[list[ast.AST], ast.AST]]:
    """(targets, value) of every binding in a scope: `=`, `: T =`, `+=`, `:=`, `for`,
    `with ... as`."""
    out: list[tuple[list[ast.AST], ast.AST]] = []
    for node in body:
        if isinstance(node, ast.Assign):
            out.append((list(node.targets), node.value))
        elif isinstance(node, ast.AnnAssign | ast.AugAssign | ast.NamedExpr) and \
                node.value is not None:
            out.append(([node.target], node.value))
        elif isinstance(node, ast.For | ast.AsyncFor):
            out.append(([node.target], node.iter))
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            out.append(([node.optional_vars], node.context_expr))
    return out


class _Flow:
    """Where the digest of one weak hash call goes within its scope. `_Flow()` alone reaches
    everything: it finds the places that could store a digest at all."""

    def __init__(self) -> None:
        self.everything = True
        self.objects: set[str] = set()  # names holding the hash object
        self.digests: set[int] = set()  # ids of its `.digest()` / `.hexdigest()` calls
        self.held: set[str] = set()  # names holding the digest or a value built from it

    @classmethod
    def of(cls, origin: ast.Call, facts: _ScopeFacts) -> _Flow:
        flow = cls()
        flow.everything = False
        flow.objects.update(facts.bound_to.get(id(origin), ()))
        calls = list(facts.digests_of.get(id(origin), ()))
        for name in flow.objects:
            calls.extend(facts.digests_on.get(name, ()))
        flow.digests.update(id(call) for call in calls)
        queue = [i for call in calls for i in facts.holders.get(id(call), ())]
        while queue:  # along the assignments, each name once
            for name in facts.targets[queue.pop()]:
                if name not in flow.held and name not in flow.objects:
                    flow.held.add(name)
                    queue.extend(facts.readers.get(name, ()))
        return flow

    def reads(self, expr: ast.AST | None) -> bool:
        if expr is None:
            return False
        if self.everything:
            return True
        for sub in nodes.walk(expr):
            if isinstance(sub, ast.Name):
                if sub.id in self.held:
                    return True
            elif isinstance(sub, ast.Call) and id(sub) in self.digests:
                return True
        return False


def _password_path(expr: ast.AST, module: Module) -> bool:
    """A file path that names a password or credential store, from its string pieces and the
    names it reads (a module-level constant stands for its value), and not a checksum file
    kept beside one (`credentials.json.md5`)."""
    found: set[str] = set()
    pieces: list[str] = []
    for sub in nodes.walk(expr):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            pieces.append(sub.value)
        elif isinstance(sub, ast.Name):
            pieces.append(sub.id)
            bound = context.constant_value(sub, module)
            if isinstance(bound, ast.Constant) and isinstance(bound.value, str):
                pieces.append(bound.value)
        elif isinstance(sub, ast.Attribute):
            pieces.append(sub.attr)
    for piece in pieces:
        found.update(names.words(piece))
    if not _credential(found) or not _CHECKSUM_WORDS.isdisjoint(found):
        return False
    text = " ".join(pieces).lower()  # `md5` and `sha1` split into words at the digit
    return "md5" not in text and "sha1" not in text


def _opened_path(expr: ast.AST, module: Module) -> ast.AST | None:
    """The path of `open(path, ...)`, `Path(path).open(...)`: a file being opened."""
    if not isinstance(expr, ast.Call):
        return None
    func = expr.func
    if context.qualname(module, func) in _OPENERS:
        if expr.args:
            return expr.args[0]
        for kw in expr.keywords:
            if kw.arg == "file":
                return kw.value
        return None
    if isinstance(func, ast.Attribute) and func.attr == "open":
        return func.value  # Path("passwords.txt").open("a")
    return None


def _credential_files(assignments: list[tuple[list[ast.AST], ast.AST]],
                      module: Module) -> set[str]:
    """Names of open files whose path names a password or credential store, and of writers
    built on them (`csv.writer(f)`)."""
    files: set[str] = set()
    for targets, value in assignments:
        path = _opened_path(value, module)
        if path is not None and _password_path(path, module):
            for target in targets:
                files.update(_bound_names(target))
    if not files:
        return files
    for targets, value in assignments:
        if isinstance(value, ast.Call) and any(
                isinstance(a, ast.Name) and a.id in files for a in value.args):
            for target in targets:
                files.update(_bound_names(target))
    return files


_CHECKSUM_WORDS = frozenset({"sum", "sums", "checksum", "checksums", "etag", "etags",
                             "fingerprint", "fingerprints"})
_MARK = "\x00"  # stands in the SQL text for a value interpolated into it
_PLACEHOLDER = re.compile(r"\x00|\?|%s|%\((\w+)\)s|(?<![:\w]):(\w+)|\{(\w*)\}|\$(\d+)")
_ASSIGNED = re.compile(r"([A-Za-z_]\w*)[\"`\]]?\s*=\s*['\"]?$")
_INSERT_COLUMNS = re.compile(r"\binto\s+[\w.\"`\[\]]+\s*\(([^)]*)\)\s*values\s*\(",
                             re.IGNORECASE)
_MAX_PIECES = 200
_MAX_SQL = 20_000


def _sql_pieces(expr: ast.AST, flow: _Flow) -> tuple[str, list[bool]] | None:
    """The SQL text of a string, f-string or `+` chain, with `_MARK` for each value put into
    it, and whether each such value carries the digest."""
    operands: list[ast.AST] = []
    while isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add) and \
            len(operands) < _MAX_PIECES:
        operands.append(expr.right)
        expr = expr.left
    operands.append(expr)
    operands.reverse()
    text: list[str] = []
    fed: list[bool] = []
    for operand in operands:
        if isinstance(operand, ast.Constant) and isinstance(operand.value, str):
            text.append(operand.value)
        elif isinstance(operand, ast.JoinedStr):
            for value in operand.values:
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    text.append(value.value)
                elif isinstance(value, ast.FormattedValue):
                    text.append(_MARK)
                    fed.append(flow.reads(value.value))
        elif len(operands) > 1:
            text.append(_MARK)
            fed.append(flow.reads(operand))
        else:
            return None
    return "".join(text), fed


def _value_index(sql: str, start: int, end: int) -> int:
    """Which item of its `VALUES (...)` row the text at `end` is in (rows may repeat)."""
    index = depth = 0
    quote = ""
    in_row = True
    for ch in sql[start:end]:
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            if in_row:
                depth += 1
            else:
                in_row, index = True, 0
        elif ch == ")":
            if depth:
                depth -= 1
            else:
                in_row = False
        elif ch == "," and in_row and not depth:
            index += 1
    return index


def _placeholder_columns(sql: str, braces: bool) -> list[tuple[str, str]]:
    """Each placeholder of the SQL (in order) as (its key, the column it fills or ""). Braces
    are placeholders only in a `str.format` template (elsewhere `'{}'` is a JSON literal)."""
    out: list[tuple[str, str]] = []
    insert = _INSERT_COLUMNS.search(sql)
    columns = [c.strip(" \t\n\"`[]") for c in insert.group(1).split(",")] if insert else []
    position = 0
    for match in _PLACEHOLDER.finditer(sql):
        token = match.group(0)
        if token.startswith("{") and not braces:
            continue
        if token in ("?", "%s", "{}"):
            key = f"#{position}"
            position += 1
        elif token == _MARK:
            key = "mark"
        elif match.group(4):
            key = f"#{int(match.group(4)) - 1}"
        else:
            name = match.group(1) or match.group(2) or match.group(3) or ""
            key = f"#{name}" if name.isdigit() else name
        column = ""
        assigned = _ASSIGNED.search(sql, max(0, match.start() - 80), match.start())
        if assigned:
            column = assigned.group(1)
        elif insert and match.start() >= insert.end() and len(sql) <= _MAX_SQL:
            index = _value_index(sql, insert.end(), match.start())
            column = columns[index] if index < len(columns) else ""
        out.append((key, column))
    return out


def _sql_stores_digest(call: ast.Call, flow: _Flow,
                       assignments: list[tuple[list[ast.AST], ast.AST]],
                       module: Module) -> bool:
    """`cur.execute(sql, params)` writes the digest into a column named like a password: the
    placeholder (or interpolated value) that carries the digest fills such a column."""
    expr: ast.AST = call.args[0]
    if isinstance(expr, ast.Call) and len(expr.args) == 1 and not (
            isinstance(expr.func, ast.Attribute) and expr.func.attr == "format"):
        expr = expr.args[0]  # sqlalchemy.text("...")
    if isinstance(expr, ast.Name):
        bound = [v for t, v in assignments if any(
            isinstance(x, ast.Name) and x.id == expr.id for x in t)]
        expr = bound[0] if len(bound) == 1 else context.constant_value(expr, module)
    params: ast.AST | None = call.args[1] if len(call.args) > 1 else None
    braces = False
    if (_call_name(call) == "executemany" and isinstance(params, ast.List | ast.Tuple)
            and params.elts and isinstance(params.elts[0], ast.Tuple | ast.List | ast.Dict)):
        params = params.elts[0]  # the rows have one shape: the first row tells the slots
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Mod):  # "... %s" % (...)
        params, expr = expr.right, expr.left
    elif isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and \
            expr.func.attr == "format":
        params = ast.Tuple(elts=list(expr.args), ctx=ast.Load()) if not expr.keywords else \
            ast.Dict(keys=[ast.Constant(k.arg) for k in expr.keywords],
                     values=[k.value for k in expr.keywords])
        expr = expr.func.value
        braces = True
    pieces = _sql_pieces(expr, flow)
    if pieces is None:
        return False
    sql, marks = pieces
    if _SQL_WRITE.search(sql) is None:
        return False
    slots = _placeholder_columns(sql, braces)
    fed: dict[str, bool] = {}
    unknown = False  # the digest goes into the statement, but not through a slot we can map
    if isinstance(params, ast.Tuple | ast.List):
        fed = {f"#{i}": flow.reads(e) for i, e in enumerate(params.elts)}
    elif isinstance(params, ast.Dict):
        fed = {k.value: flow.reads(v) for k, v in zip(params.keys, params.values, strict=True)
               if isinstance(k, ast.Constant) and isinstance(k.value, str)}
        unknown = any(k is None and flow.reads(v) for k, v in zip(
            params.keys, params.values, strict=True))
    elif params is not None:
        if sum(1 for key, _ in slots if key != "mark") == 1:
            fed = {"#0": flow.reads(params)}
        else:
            unknown = flow.reads(params)
    marks_left = iter(marks)
    for key, column in slots:
        carries = next(marks_left, False) if key == "mark" else fed.get(key, False)
        if carries and column and _credential(names.words(column)):
            return True
        if carries and not column:
            unknown = True
    # where the digest lands is unknown: a password column anywhere in the statement will do
    return unknown and any(_credential(names.words(t)) for t in _IDENTIFIER.findall(sql))


def _names_credential(expr: ast.AST) -> bool:
    """A string key (or the text of an f-string key) that names a credential."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return _credential(names.words(expr.value))
    if isinstance(expr, ast.JoinedStr):
        return _credential([w for v in expr.values if isinstance(v, ast.Constant)
                            and isinstance(v.value, str) for w in names.words(v.value)])
    return False


def _call_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _store(node: ast.AST, flow: _Flow, files: set[str],
           assignments: list[tuple[list[ast.AST], ast.AST]], module: Module) -> str | None:
    """How `node` stores the digest as a credential, or None."""
    if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if not flow.reads(node.value):
            return None
        for target in targets:
            if isinstance(target, ast.Name):
                # a local variable stores nothing: only a name that says "password hash" counts
                found = names.words(target.id)
                if _credential(found) and names.is_hashed(found):
                    return f"kept as `{target.id}`"
            if isinstance(target, ast.Attribute) and _credential(names.words(target.attr)):
                return f"stored in `.{target.attr}`"
            if isinstance(target, ast.Subscript):
                index = target.slice
                if isinstance(index, ast.Constant) and isinstance(index.value, str):
                    if _credential(names.words(index.value)):
                        return f"stored under {index.value!r}"  # user["password"] = digest
                elif isinstance(target.value, ast.Name) and _credential(
                        names.words(target.value.id)):
                    return f"stored in `{target.value.id}`"  # passwords[username] = digest
        return None
    if isinstance(node, ast.Dict):
        for key, value in zip(node.keys, node.values, strict=True):
            if (isinstance(key, ast.Constant) and isinstance(key.value, str)
                    and _credential(names.words(key.value)) and flow.reads(value)):
                return f"stored under {key.value!r}"
        return None
    if not isinstance(node, ast.Call):
        return None
    for kw in node.keywords:
        if kw.arg and _credential(names.words(kw.arg)) and flow.reads(kw.value):
            return f"passed as `{kw.arg}=`"
    name = _call_name(node)
    arguments = [*node.args, *(kw.value for kw in node.keywords)]
    if not any(flow.reads(a) for a in arguments):
        return None
    func = node.func
    if isinstance(func, ast.Attribute):
        if func.attr in _FILE_WRITES:
            receiver = func.value
            if isinstance(receiver, ast.Name) and receiver.id in files:
                return "written to a password file"
            path = _opened_path(receiver, module)
            if path is not None and _password_path(path, module):
                return "written to a password file"
        if func.attr in _PATH_WRITES and _password_path(func.value, module):
            return "written to a password file"
        if func.attr in _SQL_CALLS and node.args and _sql_stores_digest(
                node, flow, assignments, module):
            return "written to a password column"
    if name in _KEY_VALUE_WRITES and any(_names_credential(a) for a in node.args):
        return "stored under a password key"  # redis.set("user:1:password", digest)
    if files and any(isinstance(a, ast.Name) and a.id in files for a in arguments):
        return "written to a password file"  # json.dump(record, f), print(d, file=f)
    called = names.words(name)
    if _credential(called) and not _STORE_VERBS.isdisjoint(called):
        return f"passed to `{name}()`"  # user.set_password(digest), save_credentials(...)
    return None


def _reported_by_cry001(origin: ast.Call, flow: _Flow, update_calls: list[ast.Call],
                        module: Module) -> bool:
    """CRY001 already reports this hash (a password goes in) or a hash inside it
    (`md5(md5(password) + salt)`): one finding is enough."""
    for sub in nodes.walk(origin):
        if isinstance(sub, ast.Call) and any(True for _ in check_password_hash(sub, module)):
            return True
    for call in update_calls:
        if (isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name)
                and call.func.value.id in flow.objects
                and any(True for _ in check_password_hash(call, module))):
            return True
    return False


@dataclass(frozen=True)
class _ScopeFacts:
    """What CRY008 needs of one scope, computed once for all its weak hash calls."""

    assignments: list[tuple[list[ast.AST], ast.AST]]
    targets: list[list[str]]  # the names each assignment binds
    readers: dict[str, list[int]]  # name -> the assignments whose value reads it
    holders: dict[int, list[int]]  # id of a digest call -> the assignments whose value has it
    bound_to: dict[int, list[str]]  # id of an assigned value -> the names bound to it
    digests_on: dict[str, list[ast.Call]]  # `h.digest()` by the receiver's name
    digests_of: dict[int, list[ast.Call]]  # `md5(x).digest()` by the id of the receiver call
    update_calls: list[ast.Call]  # `x.update(...)`
    files: set[str]  # open files (and writers on them) whose path names a password store
    stores: list[ast.AST]  # the nodes that could keep a credential, whatever flows into them


def _scope_facts(scope: ast.AST, module: Module) -> _ScopeFacts:
    body = nodes.scope(scope)
    assignments = _assignments(body)
    targets = [[n for t in ts for n in _bound_names(t)] for ts, _ in assignments]
    readers: dict[str, list[int]] = {}
    holders: dict[int, list[int]] = {}
    bound_to: dict[int, list[str]] = {}
    for i, (_, value) in enumerate(assignments):
        bound_to.setdefault(id(value), []).extend(targets[i])
        for sub in nodes.walk(value):
            if isinstance(sub, ast.Name):
                readers.setdefault(sub.id, []).append(i)
            elif (isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute)
                  and sub.func.attr in _DIGEST_METHODS):
                holders.setdefault(id(sub), []).append(i)
    digests_on: dict[str, list[ast.Call]] = {}
    digests_of: dict[int, list[ast.Call]] = {}
    update_calls: list[ast.Call] = []
    for n in body:
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute):
            if n.func.attr in _DIGEST_METHODS:
                receiver = n.func.value
                if isinstance(receiver, ast.Name):
                    digests_on.setdefault(receiver.id, []).append(n)
                else:
                    digests_of.setdefault(id(receiver), []).append(n)
            elif n.func.attr == "update":
                update_calls.append(n)
    files = _credential_files(assignments, module)
    anything = _Flow()
    stores: list[ast.AST] = [
        n for n in body
        if isinstance(n, ast.Assign | ast.AnnAssign | ast.AugAssign | ast.Dict | ast.Call)
        and _store(n, anything, files, assignments, module) is not None]
    return _ScopeFacts(assignments, targets, readers, holders, bound_to, digests_on, digests_of,
                       update_calls, files, stores)


def check_stored_weak_digest(node: ast.AST, module: Module) -> Iterator[Hit]:
    if not isinstance(node, ast.Call):
        return
    func = node.func
    last = func.attr if isinstance(func, ast.Attribute) else (
        func.id if isinstance(func, ast.Name) else "")
    if last not in _WEAK_CALL_NAMES:
        return
    algorithm = _weak_hash_call(node, module)
    if algorithm is None:
        return
    scope = _scope_of(node, module)
    facts = nodes.memo(scope, "CRY008", lambda s: _scope_facts(s, module))
    if not facts.stores:
        return  # nothing in this scope could keep a credential
    flow = _Flow.of(node, facts)
    if not flow.digests:
        return
    first: tuple[int, int, str] | None = None  # the first place in the source that stores it
    for sub in facts.stores:
        how = _store(sub, flow, facts.files, facts.assignments, module)
        if how is not None:
            place = (getattr(sub, "lineno", 0), getattr(sub, "col_offset", 0), how)
            first = place if first is None or place < first else first
    if first is None or _reported_by_cry001(node, flow, facts.update_calls, module):
        return
    shown = _ALGORITHM_NAMES.get(algorithm, algorithm.upper())
    yield Hit(node, message=f"A digest made with {shown} is {first[2]} (line {first[0]}): a "
                            "fast, unsalted hash is cracked by brute force once it leaks; use "
                            "argon2, bcrypt or scrypt")


RULES: tuple[Rule, ...] = (
    Rule("CRY001", "weak-password-hash", 916, A02, Severity.HIGH, Confidence.HIGH,
         "A password is hashed with a fast hash instead of a slow, salted password hash",
         node_types=(ast.Call,), check=check_password_hash,
         # the packages of every hasher it knows (`Crypto` is part of `Cryptodome`)
         words=("hashlib", "Crypto", "cryptography", "passlib", "werkzeug")),
    Rule("AUTH001", "plaintext-password", 256, A04, Severity.HIGH, Confidence.MEDIUM,
         "A password is stored or compared in plain text",
         node_types=(ast.Compare, ast.Assign, ast.Call), check=check_plaintext_password),
    Rule("CRY008", "weak-hash-stored-credential", 328, A02, Severity.HIGH, Confidence.MEDIUM,
         "An MD5 or SHA-1 digest is stored as a password or credential",
         node_types=(ast.Call,), check=check_stored_weak_digest,
         words=("hashlib", "Crypto", "cryptography")),  # the packages of the weak hashes
)
