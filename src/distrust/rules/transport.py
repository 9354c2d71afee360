"""Transport security: certificate verification switched off (TLS001) and protocol versions
that are broken (TLS002)."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from distrust.model import Confidence, Fix, Severity
from distrust.python.source import Module
from distrust.rules import context, edits, names
from distrust.rules.rule import A02, A07, Hit, Rule

HTTP_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options",
                          "request", "send", "stream", "ws_connect", "urlopen", "fetch"})
HTTP_LIBRARIES = ("requests.", "httpx.")
NOT_HTTP = ("jwt.", "jose.", "itsdangerous.", "authlib.", "rsa.", "Crypto.", "cryptography.",
            "Cryptodome.", "OpenSSL.", "nacl.", "ecdsa.")
DISABLE_WARNINGS = frozenset({"urllib3.disable_warnings",
                              "requests.packages.urllib3.disable_warnings"})
FILTER_WARNINGS = frozenset({"warnings.filterwarnings", "warnings.simplefilter"})
UNVERIFIED_CONTEXT = "ssl._create_unverified_context"
CERT_NONE = frozenset({"ssl.CERT_NONE", "ssl.VerifyMode.CERT_NONE"})


def _http_call(call: ast.Call, module: Module, libraries: tuple[str, ...]) -> bool:
    qual = context.qualname(module, call.func)
    if qual is not None:
        if qual.startswith(NOT_HTTP):
            return False
        if qual.startswith(libraries):
            return True
    func = call.func
    return isinstance(func, ast.Attribute) and func.attr in HTTP_METHODS and (
        qual is None or "()" in qual)


GUARD_WORDS = frozenset({"verify", "verified", "verification", "insecure", "cert", "certs",
                         "reqs", "hostname", "fingerprint", "unverified", "validate",
                         "validation", "secure", "trust", "trusted", "check"})


def _configured(node: ast.AST, module: Module) -> bool:
    """Inside a branch chosen by a verification setting (`if not verify_ssl:`): the code
    implements an option someone turns off on purpose, not a blanket switch-off."""
    for up in context.ancestors(node, module):
        if isinstance(up, ast.If | ast.IfExp) and names.expr_words(up.test) & GUARD_WORDS:
            return True
        if isinstance(up, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            return False
    return False


def _uses_aiohttp(module: Module) -> bool:
    """`ssl=` is a common keyword; on an unresolved receiver it is aiohttp's only in a module
    that imports aiohttp."""
    return any(q == "aiohttp" or q.startswith("aiohttp.") for q in module.imports.values())


def _true_fix(module: Module, value: ast.AST, what: str) -> Fix | None:
    edit = edits.replace(module, value, "True")
    return Fix(f"turn {what} back on", (edit,)) if edit else None


# The last names of the calls `_check_call` resolves (DISABLE_WARNINGS, FILTER_WARNINGS,
# `ssl.wrap_socket`).
_CALL_LEAVES = frozenset({"disable_warnings", "filterwarnings", "simplefilter", "wrap_socket"})


def _check_call(node: ast.Call, module: Module) -> Iterator[Hit]:
    qual = context.qualname(module, node.func) if context.may_end_with(
        node.func, module, _CALL_LEAVES) else None
    for kw in node.keywords:
        if not (isinstance(kw.value, ast.Constant) and kw.value.value is False):
            continue
        if kw.arg == "verify" and _http_call(node, module, HTTP_LIBRARIES):
            yield Hit(kw.value, message="verify=False turns off certificate checks: anyone on "
                                        "the network path can impersonate the server",
                      fix=_true_fix(module, kw.value, "certificate verification"))
        elif kw.arg in ("ssl", "verify_ssl") and _http_call(node, module, ("aiohttp.",)) and (
                _uses_aiohttp(module)):
            yield Hit(kw.value, message=f"{kw.arg}=False turns off certificate checks in "
                                        "aiohttp: anyone on the path can impersonate the server",
                      fix=_true_fix(module, kw.value, "certificate verification"))
    if qual in DISABLE_WARNINGS:
        if not node.args or "insecure" in " ".join(names.expr_words(node.args[0])):
            yield Hit(node, severity=Severity.LOW, confidence=Confidence.MEDIUM,
                      message="The InsecureRequestWarning is silenced: certificate checks are "
                              "off somewhere and the warning that says so is hidden")
    elif qual in FILTER_WARNINGS:
        texts = [*node.args, *(k.value for k in node.keywords)]
        if any("insecure" in names.expr_words(t) for t in texts) and any(
                isinstance(t, ast.Constant) and t.value == "ignore" for t in texts):
            yield Hit(node, severity=Severity.LOW, confidence=Confidence.MEDIUM,
                      message="The InsecureRequestWarning is silenced: certificate checks are "
                              "off somewhere and the warning that says so is hidden")
    elif qual == "ssl.wrap_socket":
        reqs = [k for k in node.keywords if k.arg == "cert_reqs"]
        if not reqs and len(node.args) < 5:
            yield Hit(node, message="ssl.wrap_socket verifies no certificate and no host name by "
                                    "default (and is gone in Python 3.12); use "
                                    "ssl.create_default_context().wrap_socket(sock, "
                                    "server_hostname=host)")
    for kw in node.keywords:
        value = kw.value
        if (kw.arg == "cert_reqs" and isinstance(value, ast.Constant)
                and isinstance(value.value, str) and value.value.upper() in ("CERT_NONE", "NONE")):
            quote = (edits.source(module, value) or "'")[:1]
            edit = edits.replace(module, value, f"{quote}CERT_REQUIRED{quote}")
            yield Hit(value, message="cert_reqs='CERT_NONE' accepts any certificate",
                      fix=Fix("require a valid certificate", (edit,)) if edit else None)


def _check_assign(node: ast.Assign, module: Module) -> Iterator[Hit]:
    if not (isinstance(node.value, ast.Constant) and node.value.value is False):
        return
    for target in node.targets:
        if isinstance(target, ast.Attribute) and target.attr == "verify":
            yield Hit(node.value, message="session.verify = False turns off certificate checks "
                                          "for every request of the session",
                      fix=_true_fix(module, node.value, "certificate verification"))
        elif isinstance(target, ast.Attribute) and target.attr == "check_hostname":
            yield Hit(node.value, message="check_hostname = False accepts a valid certificate "
                                          "for any other host",
                      fix=_true_fix(module, node.value, "host name checking"))


def _used_as_value(node: ast.AST, module: Module) -> bool:
    """Assigned, passed as an argument or returned; not compared, not a table entry."""
    up = context.parent(node, module)
    if isinstance(up, ast.Assign | ast.AnnAssign | ast.keyword | ast.Return | ast.arguments):
        return True
    return isinstance(up, ast.Call) and node in up.args


def _check_reference(node: ast.Attribute | ast.Name, module: Module) -> Iterator[Hit]:
    if isinstance(node, ast.Attribute) and node.attr not in (
            "CERT_NONE", "_create_unverified_context"):
        return
    if isinstance(node, ast.Name) and node.id not in ("CERT_NONE", "_create_unverified_context"):
        return
    if isinstance(node.ctx, ast.Store | ast.Del):
        return
    qual = context.qualname(module, node)
    if qual in CERT_NONE:
        if not _used_as_value(node, module):
            return
        text = edits.source(module, node) or ""
        edit = edits.replace(module, node, text[: -len("CERT_NONE")] + "CERT_REQUIRED") \
            if text.endswith("CERT_NONE") else None
        yield Hit(node, message="CERT_NONE accepts any certificate: anyone on the path can "
                                "impersonate the server",
                  fix=Fix("require a valid certificate", (edit,)) if edit else None)
    elif qual == UNVERIFIED_CONTEXT:
        up = context.parent(node, module)
        if isinstance(up, ast.Compare):
            return
        text = edits.source(module, node) or ""
        fix = None
        is_call = isinstance(up, ast.Call) and up.func is node
        if text.endswith("_create_unverified_context") and (
                not is_call or (isinstance(up, ast.Call) and not up.args and not up.keywords)):
            edit = edits.replace(module, node, text[: -len("_create_unverified_context")]
                                 + "create_default_context")
            fix = Fix("use a verifying context", (edit,)) if edit else None
        yield Hit(node, message="ssl._create_unverified_context makes a context that checks "
                                "neither the certificate nor the host name", fix=fix)


def check_tls_verification(node: ast.AST, module: Module) -> Iterator[Hit]:
    if isinstance(node, ast.Call):
        hits = list(_check_call(node, module))
    elif isinstance(node, ast.Assign):
        hits = list(_check_assign(node, module))
    elif isinstance(node, ast.Attribute | ast.Name):
        hits = list(_check_reference(node, module))
    else:
        return
    if hits and not _configured(node, module):
        yield from hits


# --- TLS002 -----------------------------------------------------------------------------

_OLD_PROTOCOLS = {
    **{f"ssl.{name}": name for name in ("PROTOCOL_SSLv2", "PROTOCOL_SSLv3", "PROTOCOL_TLSv1",
                                        "PROTOCOL_TLSv1_1")},
    **{f"ssl.TLSVersion.{name}": name for name in ("SSLv3", "TLSv1", "TLSv1_1")},
    **{f"OpenSSL.SSL.{name}": name for name in ("SSLv2_METHOD", "SSLv3_METHOD", "TLSv1_METHOD",
                                                "TLSv1_1_METHOD")},
}
_OLD_NAMES = frozenset(q.rpartition(".")[2] for q in _OLD_PROTOCOLS)


def check_tls_version(node: ast.AST, module: Module) -> Iterator[Hit]:
    if isinstance(node, ast.Attribute):
        if node.attr not in _OLD_NAMES:
            return
    elif isinstance(node, ast.Name):
        if node.id not in _OLD_NAMES:
            return
    else:
        return
    qual = context.qualname(module, node)
    if qual not in _OLD_PROTOCOLS or not _used_as_value(node, module):
        return
    up = context.parent(node, module)
    if isinstance(up, ast.Assign) and any(isinstance(t, ast.Subscript) for t in up.targets):
        return  # a table of protocol constants, not a choice
    fix = None
    if qual.startswith("ssl.TLSVersion."):
        text = edits.source(module, node) or ""
        name = _OLD_PROTOCOLS[qual]
        if text.endswith(name):
            edit = edits.replace(module, node, text[: -len(name)] + "TLSv1_2")
            fix = Fix("require TLS 1.2 or later", (edit,)) if edit else None
    yield Hit(node, message=f"{_OLD_PROTOCOLS[qual]} is a broken protocol version (POODLE, "
                            "BEAST, downgrade attacks); require TLS 1.2 or later", fix=fix)


RULES: tuple[Rule, ...] = (
    Rule("TLS001", "tls-verification-disabled", 295, A07, Severity.HIGH, Confidence.HIGH,
         "TLS certificate or host name verification is switched off",
         node_types=(ast.Call, ast.Assign, ast.Attribute, ast.Name),
         check=check_tls_verification,
         # the keywords and attributes it reads (`verify_ssl` holds both `verify` and `ssl`),
         # and a component of each qualified name (`ssl` for CERT_NONE, wrap_socket and
         # _create_unverified_context)
         words=("verify", "ssl", "check_hostname", "cert_reqs", "disable_warnings",
                "filterwarnings", "simplefilter")),
    Rule("TLS002", "weak-tls-version", 327, A02, Severity.MEDIUM, Confidence.HIGH,
         "A broken SSL/TLS protocol version is allowed",
         node_types=(ast.Attribute, ast.Name), check=check_tls_version,
         words=("SSLv", "TLSv1")),  # part of every name in _OLD_NAMES
)
