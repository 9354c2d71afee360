"""Weak cryptography: broken ciphers and ECB mode, short keys, constant IVs and nonces, and
MD5/SHA-1 in signatures."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator

from distrust.model import Confidence, Severity
from distrust.python.source import Module
from distrust.rules import context, names
from distrust.rules.rule import A02, Hit, Rule

_PYCRYPTO = ("Crypto", "Cryptodome")
_HAZMAT = "cryptography.hazmat.primitives"
_DECREPIT = "cryptography.hazmat.decrepit.ciphers.algorithms"

_CIPHER_NAMES = {
    "DES": "DES (a 56-bit key, searchable by brute force)",
    "DES3": "Triple DES (a 64-bit block, open to Sweet32 collisions; withdrawn by NIST)",
    "TripleDES": "Triple DES (a 64-bit block, open to Sweet32 collisions; withdrawn by NIST)",
    "ARC4": "RC4 (biased keystream, broken in TLS and WEP)",
    "ARC2": "RC2 (a broken 64-bit block cipher)",
    "Blowfish": "Blowfish (a 64-bit block, open to Sweet32 collisions)",
    "CAST": "CAST5 (a 64-bit block cipher)",
    "CAST5": "CAST5 (a 64-bit block cipher)",
    "IDEA": "IDEA (a 64-bit block cipher)",
    "SEED": "SEED (a 64-bit-era cipher kept only for legacy interop)",
    "XOR": "XOR 'encryption' (no security at all)",
    "des": "DES (a 56-bit key, searchable by brute force)",
    "triple_des": "Triple DES (a 64-bit block, open to Sweet32 collisions)",
}


def _weak_ciphers() -> dict[str, str]:
    table: dict[str, str] = {}
    for pkg in _PYCRYPTO:
        for name in ("DES", "DES3", "ARC4", "ARC2", "Blowfish", "CAST", "XOR"):
            table[f"{pkg}.Cipher.{name}.new"] = _CIPHER_NAMES[name]
    for base in (f"{_HAZMAT}.ciphers.algorithms", _DECREPIT):
        for name in ("TripleDES", "Blowfish", "ARC4", "IDEA", "CAST5", "SEED"):
            table[f"{base}.{name}"] = _CIPHER_NAMES[name]
    table["pyDes.des"] = _CIPHER_NAMES["des"]
    table["pyDes.triple_des"] = _CIPHER_NAMES["triple_des"]
    return table


WEAK_CIPHERS = _weak_ciphers()
ECB_CALLS = frozenset({f"{_HAZMAT}.ciphers.modes.ECB"})


def _in_comparison(node: ast.AST, module: Module) -> bool:
    up = context.parent(node, module)
    return isinstance(up, ast.Compare)


_CIPHER_LEAVES = frozenset(q.rpartition(".")[2] for q in WEAK_CIPHERS.keys() | ECB_CALLS)


def check_weak_cipher(node: ast.AST, module: Module) -> Iterator[Hit]:
    if isinstance(node, ast.Call):
        if not context.may_end_with(node.func, module, _CIPHER_LEAVES):
            return
        qual = context.qualname(module, node.func)
        if qual is None:
            return
        if qual in WEAK_CIPHERS:
            yield Hit(node, message=f"Weak cipher: {WEAK_CIPHERS[qual]}; use AES-GCM or "
                                    "ChaCha20-Poly1305")
        elif qual in ECB_CALLS:
            yield Hit(node, message="ECB mode encrypts equal blocks to equal ciphertext and "
                                    "leaks the plaintext's structure; use an AEAD mode (GCM)")
    elif isinstance(node, ast.Attribute) and node.attr == "MODE_ECB":
        qual = context.qualname(module, node)
        if qual is not None and not qual.startswith(_PYCRYPTO):
            return
        if _in_comparison(node, module):
            return
        yield Hit(node, message="ECB mode encrypts equal blocks to equal ciphertext and leaks "
                                "the plaintext's structure; use an AEAD mode (GCM)")


# --- key sizes -------------------------------------------------------------------------

# qualname → (algorithm, keyword, position of the size argument, minimum bits)
_KEY_SIZE_CALLS: dict[str, tuple[str, str, int, int]] = {
    f"{_HAZMAT}.asymmetric.rsa.generate_private_key": ("RSA", "key_size", 1, 2048),
    f"{_HAZMAT}.asymmetric.dsa.generate_private_key": ("DSA", "key_size", 0, 2048),
    f"{_HAZMAT}.asymmetric.dsa.generate_parameters": ("DSA", "key_size", 0, 2048),
    f"{_HAZMAT}.asymmetric.dh.generate_parameters": ("Diffie-Hellman", "key_size", 1, 2048),
    "rsa.newkeys": ("RSA", "nbits", 0, 2048),
    "paramiko.RSAKey.generate": ("RSA", "bits", 0, 2048),
    "paramiko.rsakey.RSAKey.generate": ("RSA", "bits", 0, 2048),
    "paramiko.DSSKey.generate": ("DSA", "bits", 0, 2048),
    "paramiko.dsskey.DSSKey.generate": ("DSA", "bits", 0, 2048),
}
for _pkg in _PYCRYPTO:
    _KEY_SIZE_CALLS[f"{_pkg}.PublicKey.RSA.generate"] = ("RSA", "bits", 0, 2048)
    _KEY_SIZE_CALLS[f"{_pkg}.PublicKey.DSA.generate"] = ("DSA", "bits", 0, 2048)
    _KEY_SIZE_CALLS[f"{_pkg}.PublicKey.ElGamal.generate"] = ("ElGamal", "bits", 0, 2048)

_WEAK_CURVES = frozenset(f"{_HAZMAT}.asymmetric.ec.{name}" for name in (
    "SECP192R1", "SECT163K1", "SECT163R2"))
# The last names of the calls `check_key_size` knows, and pyOpenSSL's `generate_key`.
_KEY_SIZE_LEAVES = frozenset(q.rpartition(".")[2] for q in (
    *_KEY_SIZE_CALLS, *_WEAK_CURVES, "generate_private_key", "generate_key"))


def _int_literal(expr: ast.AST | None, module: Module) -> int | None:
    if expr is None:
        return None
    value = context.constant_value(expr, module)
    if (isinstance(value, ast.Constant) and isinstance(value.value, int)
            and not isinstance(value.value, bool)):
        return value.value
    return None


def _argument(call: ast.Call, keyword: str, position: int) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    if any(isinstance(a, ast.Starred) for a in call.args[: position + 1]):
        return None
    if position < len(call.args):
        return call.args[position]
    return None


def check_key_size(node: ast.AST, module: Module) -> Iterator[Hit]:
    if not isinstance(node, ast.Call) or not context.may_end_with(node.func, module,
                                                                   _KEY_SIZE_LEAVES):
        return
    qual = context.qualname(module, node.func)
    if qual is None:
        if (isinstance(node.func, ast.Attribute) and node.func.attr == "generate_key"
                and len(node.args) == 2):
            kind = context.qualname(module, node.args[0]) or ""
            bits = _int_literal(node.args[1], module)
            if kind.endswith(("crypto.TYPE_RSA", "crypto.TYPE_DSA")) and bits is not None \
                    and bits < 2048:
                yield Hit(node.args[1], message=f"A {bits}-bit key is within reach of "
                                                "factoring; use at least 2048 bits")
        return
    if qual in _WEAK_CURVES:
        yield Hit(node, message="This elliptic curve is below 224 bits; use SECP256R1 or "
                                "stronger")
        return
    if qual == f"{_HAZMAT}.asymmetric.ec.generate_private_key":
        curve = _argument(node, "curve", 0)
        if isinstance(curve, ast.Attribute | ast.Name) and context.qualname(
                module, curve) in _WEAK_CURVES:
            yield Hit(curve, message="This elliptic curve is below 224 bits; use SECP256R1 or "
                                     "stronger")
        return
    spec = _KEY_SIZE_CALLS.get(qual)
    if spec is None:
        return
    algorithm, keyword, position, minimum = spec
    arg = _argument(node, keyword, position)
    bits = _int_literal(arg, module)
    if arg is not None and bits is not None and bits < minimum:
        yield Hit(arg, message=f"A {bits}-bit {algorithm} key is too short; use at least "
                               f"{minimum} bits (3072 for use beyond 2030)")


# --- constant IVs and nonces -------------------------------------------------------------

_PYCRYPTO_IV_CIPHERS = ("AES", "DES", "DES3", "Blowfish", "CAST", "ARC2", "ChaCha20",
                        "Salsa20", "ChaCha20_Poly1305", "XChaCha20_Poly1305")
_MODES_IV = {f"{_HAZMAT}.ciphers.modes.{m}": ("initialization_vector", 0)
             for m in ("CBC", "CFB", "CFB8", "OFB")}
_MODES_IV.update({f"{_HAZMAT}.ciphers.modes.CTR": ("nonce", 0),
                  f"{_HAZMAT}.ciphers.modes.GCM": ("initialization_vector", 0),
                  f"{_HAZMAT}.ciphers.modes.XTS": ("tweak", 0)})
_IV_LEAVES = frozenset({"new", *(q.rpartition(".")[2] for q in _MODES_IV)})
_AEAD = frozenset(f"{_HAZMAT}.ciphers.aead.{n}" for n in (
    "AESGCM", "AESCCM", "AESOCB3", "AESGCMSIV", "ChaCha20Poly1305"))


def _is_static(expr: ast.AST, module: Module, function: ast.AST | None, depth: int = 0) -> bool:
    if depth > 3:
        return False
    if isinstance(expr, ast.Constant):
        return isinstance(expr.value, bytes | str) and len(expr.value) > 0
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Mult | ast.Add):
        return (_is_static(expr.left, module, function, depth + 1)
                and (_is_static(expr.right, module, function, depth + 1)
                     or (isinstance(expr.right, ast.Constant)
                         and isinstance(expr.right.value, int))))
    if isinstance(expr, ast.Call):
        if (isinstance(expr.func, ast.Name) and expr.func.id in ("bytes", "bytearray")
                and len(expr.args) == 1 and isinstance(expr.args[0], ast.Constant)
                and isinstance(expr.args[0].value, int | bytes | str)):
            return True
        if (isinstance(expr.func, ast.Attribute) and expr.func.attr == "encode"
                and isinstance(expr.func.value, ast.Constant)):
            return _is_static(expr.func.value, module, function, depth + 1)
        return (isinstance(expr.func, ast.Attribute) and expr.func.attr == "fromhex"
                and bool(expr.args) and isinstance(expr.args[0], ast.Constant))
    if isinstance(expr, ast.Name):
        if function is not None:
            values = context.assigned_in(function, expr.id)
            if values:
                return all(_is_static(v, module, None, depth + 1) for v in values)
            if any(isinstance(a, ast.arg) and a.arg == expr.id for a in ast.walk(function)):
                return False
        bound = context.constant_value(expr, module)
        if bound is not expr:
            return _is_static(bound, module, None, depth + 1)
    return False


def _iv_argument(node: ast.Call, module: Module) -> tuple[ast.expr, str] | None:
    qual = context.qualname(module, node.func) if context.may_end_with(
        node.func, module, _IV_LEAVES) else None
    if qual is not None:
        for pkg in _PYCRYPTO:
            for cipher in _PYCRYPTO_IV_CIPHERS:
                if qual == f"{pkg}.Cipher.{cipher}.new":
                    for kw in node.keywords:
                        if kw.arg in ("iv", "nonce", "IV"):
                            return kw.value, kw.arg
                    if len(node.args) >= 3 and not any(
                            isinstance(a, ast.Starred) for a in node.args):
                        return node.args[2], "iv"
                    return None
        mode = _MODES_IV.get(qual)
        if mode is not None:
            arg = _argument(node, mode[0], mode[1])
            return (arg, "IV") if arg is not None else None
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr in ("encrypt", "decrypt") and node.args:
        receiver = func.value
        origin: ast.AST | None = None
        if isinstance(receiver, ast.Call):
            origin = receiver
        elif isinstance(receiver, ast.Name):
            function = context.enclosing_function(node, module)
            if function is not None:
                values = context.assigned_in(function, receiver.id)
                origin = values[0] if len(values) == 1 else None
        if isinstance(origin, ast.Call) and context.qualname(module, origin.func) in _AEAD:
            return node.args[0], "nonce"
    return None


def check_static_iv(node: ast.AST, module: Module) -> Iterator[Hit]:
    if not isinstance(node, ast.Call):
        return
    found = _iv_argument(node, module)
    if found is None:
        return
    arg, what = found
    function = context.enclosing_function(node, module)
    if _is_static(arg, module, function):
        yield Hit(arg, message=f"A constant {what}: every message is encrypted with the same "
                               f"{what}; generate a fresh one per message with os.urandom")


# --- weak hashes in signatures -----------------------------------------------------------

_WEAK_HASH_OBJECTS = frozenset({f"{_HAZMAT}.hashes.MD5", f"{_HAZMAT}.hashes.SHA1"}
                               | {f"{p}.Hash.{h}.new" for p in _PYCRYPTO
                                  for h in ("MD5", "SHA1", "SHA", "MD2", "MD4")})
_WEAK_HASHLIB = frozenset({"hashlib.md5", "hashlib.sha1"})
_SIGNATURE_WORDS = frozenset({"signature", "signatures", "sig", "sign", "signed", "mac", "hmac",
                              "signing"})


def _no_function() -> ast.AST | None:
    return None


def _weak_hash_ref(expr: ast.AST, module: Module,
                   function: Callable[[], ast.AST | None] = _no_function) -> bool:
    """Whether `expr` names MD5 or SHA-1; `function` gives the enclosing function (looked up
    only for a name, whose single assignment in it is followed)."""
    if isinstance(expr, ast.Call):
        qual = context.qualname(module, expr.func)
        if qual in _WEAK_HASH_OBJECTS:
            return True
        if qual == f"{_HAZMAT}.asymmetric.ec.ECDSA" and expr.args:
            return _weak_hash_ref(expr.args[0], module, function)
        return False
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return expr.value.lower() in ("md5", "sha1", "sha-1")
    if isinstance(expr, ast.Name):
        scope = function()
        if scope is None:
            return False
        values = context.assigned_in(scope, expr.id)
        return len(values) == 1 and isinstance(values[0], ast.Call) and _weak_hash_ref(
            values[0], module)
    return False


# The last names of the calls `_weak_hashlib` knows (`hashlib.md5`, `hashlib.new`).
_HASHLIB_LEAVES = frozenset({"md5", "sha1", "new"})


def _weak_hashlib(call: ast.Call, module: Module) -> str | None:
    if not context.may_end_with(call.func, module, _HASHLIB_LEAVES):
        return None
    qual = context.qualname(module, call.func)
    if qual in _WEAK_HASHLIB:
        algorithm = qual.rpartition(".")[2]
    elif (qual == "hashlib.new" and call.args and isinstance(call.args[0], ast.Constant)
          and isinstance(call.args[0].value, str)
          and call.args[0].value.lower() in ("md5", "sha1")):
        algorithm = call.args[0].value.lower()
    else:
        return None
    for kw in call.keywords:
        if kw.arg == "usedforsecurity" and isinstance(kw.value, ast.Constant) \
                and kw.value.value is False:
            return None
    return algorithm


def _lazy_enclosing_function(node: ast.AST, module: Module) -> Callable[[], ast.AST | None]:
    """`context.enclosing_function(node, module)`, looked up on the first call (the lookup
    builds the module's table of parents)."""
    found: list[ast.AST | None] = []

    def lookup() -> ast.AST | None:
        if not found:
            found.append(context.enclosing_function(node, module))
        return found[0]
    return lookup


def check_signature_hash(node: ast.AST, module: Module) -> Iterator[Hit]:
    if not isinstance(node, ast.Call):
        return
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr in ("sign", "verify"):
        function = _lazy_enclosing_function(node, module)
        qual = context.qualname(module, func) or ""
        slots = [(a, None) for a in node.args] + [(k.value, k.arg) for k in node.keywords]
        for arg, keyword in slots:
            if isinstance(arg, ast.Constant):
                # Most APIs take the message first; a digest *name* is the last positional
                # argument (pyOpenSSL, X509 `sign(key, "sha1")`) or a `digest=` keyword.
                digest_slot = (qual.startswith("OpenSSL") or keyword == "digest"
                               or (keyword is None and len(node.args) >= 2
                                   and arg is node.args[-1]))
                if not (isinstance(arg.value, str) and digest_slot):
                    continue
            if _weak_hash_ref(arg, module, function):
                yield Hit(arg, message="A signature over an MD5 or SHA-1 digest can be forged "
                                       "through a hash collision; sign with SHA-256 or better")
        return
    algorithm = _weak_hashlib(node, module)
    if algorithm is None:
        return
    statement = context.enclosing_statement(node, module)
    found: set[str] = set()
    if isinstance(statement, ast.Assign):
        for target in statement.targets:
            found |= names.target_words(target)
    elif isinstance(statement, ast.AnnAssign | ast.AugAssign):
        found |= names.target_words(statement.target)
    elif isinstance(statement, ast.Return):
        enclosing = context.enclosing_function(node, module)
        if enclosing is not None:
            found |= set(names.words(enclosing.name))
    if found & _SIGNATURE_WORDS:
        yield Hit(node, message=f"A home-made signature with {algorithm}: a keyed hash "
                                "built from MD5/SHA-1 is forgeable; use hmac.new(key, msg, "
                                "hashlib.sha256)")


RULES: tuple[Rule, ...] = (
    Rule("CRY002", "weak-cipher", 327, A02, Severity.HIGH, Confidence.HIGH,
         "A broken or weak cipher or cipher mode protects data",
         node_types=(ast.Call, ast.Attribute), check=check_weak_cipher,
         # the packages of WEAK_CIPHERS and ECB_CALLS (`Crypto` is part of `Cryptodome`),
         # and the attribute `MODE_ECB`
         words=("Crypto", "cryptography", "pyDes", "MODE_ECB")),
    Rule("CRY003", "weak-key-size", 326, A02, Severity.HIGH, Confidence.HIGH,
         "An asymmetric key is too short to resist factoring or discrete-log attacks",
         node_types=(ast.Call,), check=check_key_size,
         # the packages of _KEY_SIZE_CALLS and _WEAK_CURVES, and pyOpenSSL's `generate_key`
         words=("cryptography", "Crypto", "rsa", "paramiko", "generate_key")),
    Rule("CRY004", "static-iv", 329, A02, Severity.HIGH, Confidence.HIGH,
         "A constant IV or nonce makes encryption deterministic or breaks it outright",
         node_types=(ast.Call,), check=check_static_iv,
         words=("Crypto", "cryptography")),  # the ciphers, modes and AEADs it knows
    Rule("CRY006", "weak-signature-hash", 328, A02, Severity.MEDIUM, Confidence.MEDIUM,
         "MD5 or SHA-1 is used to sign or authenticate data",
         node_types=(ast.Call,), check=check_signature_hash,
         words=("sign", "verify", "hashlib")),  # `.sign(`/`.verify(`, or hashlib's md5/sha1
    # A taint rule: what the user sent (a password, a token, personal data) reaching MD5/SHA-1.
    Rule("CRY007", "weak-hash-of-user-data", 328, A02, Severity.MEDIUM, Confidence.MEDIUM,
         "Data a user sent is hashed with MD5 or SHA-1, which no longer protect it",
         sink_kind="weak-hash"),
)
