"""The pattern walk skips a rule in a module that lacks all of the rule's words
(`Rule.words`); the skip must never lose a finding."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from distrust.python import nodes, walk
from distrust.python.source import Module, parse
from distrust.rules import ALL_RULES, BY_CODE, context
from distrust.rules.mentions import may_name

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "rules"
FILTERED = [r for r in ALL_RULES if r.check is not None and r.words]


def _module(text: str, path: str = "app.py", name: str = "app") -> Module:
    tree = parse(text, path)
    assert isinstance(tree, ast.Module)
    return Module(path, name, text, tree)


def _codes(module: Module) -> list[str]:
    rules = [r for r in ALL_RULES if r.check is not None]
    hits, failures = walk.run(module, walk.dispatch_table(rules))
    assert not failures
    return [rule.code for rule, _ in hits]


def test_words_are_set_on_some_rules() -> None:
    assert FILTERED
    for rule in FILTERED:
        assert all(rule.words), rule.code


def test_identifiers_normalized_by_python_still_match() -> None:
    # Python reads fullwidth letters in an identifier as ASCII ones (NFKC).
    text = ("import \uff4a\uff57\uff54\n"
            "claims = \uff4a\uff57\uff54.decode(token, options={'verify_signature': False})\n")
    module = _module(text)
    assert "jwt" not in text
    assert may_name(module, ("jwt",))
    assert "JWT001" in _codes(module)


def test_names_from_the_module_path_match() -> None:
    # In the package `jwt`, `decode` defined here resolves to `jwt.decode`: the word is in the
    # module's dotted name only.
    text = ("def decode(token, key=None, options=None):\n"
            "    return {}\n\n"
            "def read(token):\n"
            "    return decode(token, options={'verify_signature': False})\n")
    module = _module(text, "jwt/__init__.py", "jwt")
    assert "jwt" not in text
    assert "JWT001" in _codes(module)
    assert "JWT001" not in _codes(_module(text))


def test_absent_words_skip_the_rule() -> None:
    module = _module("import os\nprint(os.getcwd())\n")
    assert not may_name(module, BY_CODE["JWT001"].words)
    assert may_name(module, ("getcwd",))


@pytest.mark.parametrize("path", sorted(FIXTURES.rglob("*.py")), ids=lambda p: str(
    p.relative_to(FIXTURES)))
def test_a_skipped_rule_finds_nothing(path: Path) -> None:
    """On every fixture file, each rule the prefilter would skip reports nothing when run."""
    text = path.read_text(encoding="utf-8")
    tree = parse(text, str(path))
    if not isinstance(tree, ast.Module):
        return
    module = Module(path.relative_to(FIXTURES).as_posix(), path.stem, text, tree)
    for rule in FILTERED:
        if may_name(module, rule.words):
            continue
        assert rule.check is not None
        found = [hit for node in nodes.subtree(tree) if isinstance(node, rule.node_types)
                 for hit in rule.check(node, module)]
        assert not found, rule.code
    nodes.clear()


ALIASED = '''\
from hashlib import md5 as h
from jwt import decode as dec
from Crypto.Cipher.DES import new as des_new
from cryptography.hazmat.primitives.asymmetric.rsa import generate_private_key as gpk
from urllib3 import disable_warnings as quiet
from ssl import wrap_socket as wrap

def sign_token(data):
    signature = h(data).hexdigest()
    return signature

def read(token, key):
    return dec(token, key, options={"verify_signature": False})

def keys(key):
    return des_new(key), gpk(65537, 1024)

def connect(sock):
    quiet()
    return wrap(sock)
'''


def test_calls_of_imported_aliases_are_still_resolved() -> None:
    """The rules skip a call whose last name cannot be one they know without resolving it;
    a name bound by an import can be anything."""
    found = sorted(set(_codes(_module(ALIASED))))
    assert found == ["CRY002", "CRY003", "CRY006", "JWT001", "TLS001"]


def test_may_end_with() -> None:
    module = _module("from hashlib import md5 as h\nimport os\n")
    leaves = frozenset({"md5"})

    def expr(text: str) -> ast.expr:
        return ast.parse(text, mode="eval").body

    assert context.may_end_with(expr("hashlib.md5"), module, leaves)
    assert not context.may_end_with(expr("hashlib.sha256"), module, leaves)
    assert context.may_end_with(expr("md5"), module, leaves)
    assert context.may_end_with(expr("h"), module, leaves)  # bound by an import
    assert not context.may_end_with(expr("g"), module, leaves)
    assert not context.may_end_with(expr("f()"), module, leaves)
