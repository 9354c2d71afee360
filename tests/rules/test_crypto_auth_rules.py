"""The crypto, password, JWT, TLS and randomness rules: their fixes applied to the fixtures
and re-scanned, the fix texts, the import edit, the doc examples, and the fixtures' balance
of safe look-alikes."""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import pytest

from distrust.config import Config
from distrust.model import Edit, Finding
from distrust.python.source import Module
from distrust.rules import (
    BY_CODE,
    compare,
    crypto,
    edits,
    jwt_verify,
    passwords,
    randomness,
    transport,
)
from distrust.rules.rule import Rule
from distrust.scan import scan

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "rules"
FAMILY: tuple[Rule, ...] = (*passwords.RULES, *crypto.RULES, *compare.RULES,
                            *jwt_verify.RULES, *transport.RULES, *randomness.RULES)
CODES = sorted(rule.code for rule in FAMILY)
FIXED_CODES = ["CRY005", "RAND001", "TLS001", "TLS002"]
PYTHON_BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


def apply(text: str, changes: tuple[Edit, ...]) -> str:
    """Apply edits (1-based lines, code-point columns, end exclusive) from the last to the
    first, so earlier positions stay valid."""
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(line: int, column: int) -> int:
        if line > len(lines):
            return len(text)
        return starts[line - 1] + column - 1

    out = text
    ordered = sorted(changes, key=lambda e: (e.line, e.column, e.end_line, e.end_column),
                     reverse=True)
    for edit in ordered:
        start, end = offset(edit.line, edit.column), offset(edit.end_line, edit.end_column)
        assert 0 <= start <= end <= len(text)
        out = out[:start] + edit.text + out[end:]
    return out


def findings(folder: Path, code: str, monkeypatch: pytest.MonkeyPatch) -> list[Finding]:
    monkeypatch.chdir(folder)
    outcome = scan([Path(".")], Config(), rules=(BY_CODE[code],))
    assert not outcome.failures, outcome.failures
    return [f for f in outcome.result.findings if f.rule == code]


@pytest.mark.parametrize("code", FIXED_CODES)
def test_each_fix_parses_and_clears_its_finding(code: str, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / code
    shutil.copytree(FIXTURES / code, folder)
    applied = 0
    for _ in range(100):
        current = findings(folder, code, monkeypatch)
        fixable = [f for f in current if f.fix is not None]
        if not fixable:
            break
        target = fixable[0]
        assert target.fix is not None
        path = folder / target.location.path
        before = path.read_text(encoding="utf-8")
        after = apply(before, target.fix.edits)
        assert after != before
        ast.parse(after)  # the file still parses
        path.write_text(after, encoding="utf-8")
        remaining = findings(folder, code, monkeypatch)
        assert len(remaining) == len(current) - 1, (
            f"{code}: fixing {target.location} ({target.fix.description}) left "
            f"{len(remaining)} of {len(current)} findings")
        applied += 1
    assert applied, f"{code}: the fixture offers no fix"


def run_rule(code: str, source: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
             ) -> list[Finding]:
    folder = tmp_path / "src"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "app.py").write_bytes(source.encode("utf-8"))
    return findings(folder, code, monkeypatch)


def fixed_text(code: str, source: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
               ) -> str:
    found = run_rule(code, source, tmp_path, monkeypatch)
    assert len(found) == 1, found
    assert found[0].fix is not None
    return apply(source, found[0].fix.edits)


@pytest.mark.parametrize(("code", "source", "expected"), [
    ("TLS001", "import requests\nr = requests.get(u, verify=False)\n",
     "import requests\nr = requests.get(u, verify=True)\n"),
    ("TLS001", "import ssl\nctx = ssl._create_unverified_context()\n",
     "import ssl\nctx = ssl.create_default_context()\n"),
    ("TLS001", "import ssl\nctx.verify_mode = ssl.CERT_NONE\n",
     "import ssl\nctx.verify_mode = ssl.CERT_REQUIRED\n"),
    ("TLS002", "import ssl\nctx.minimum_version = ssl.TLSVersion.TLSv1_1\n",
     "import ssl\nctx.minimum_version = ssl.TLSVersion.TLSv1_2\n"),
    ("CRY005", "import hmac\ndef ok(sig, expected_sig):\n    return sig != expected_sig\n",
     "import hmac\ndef ok(sig, expected_sig):\n"
     "    return not hmac.compare_digest(sig, expected_sig)\n"),
    ("CRY005", "import secrets\ndef ok(token, stored_token):\n    return token == stored_token\n",
     "import secrets\ndef ok(token, stored_token):\n"
     "    return secrets.compare_digest(token, stored_token)\n"),
    ("CRY005", '"""Doc."""\nfrom __future__ import annotations\n\nimport os\n\n'
               "def ok(token, stored_token):\n    return token == stored_token\n",
     '"""Doc."""\nfrom __future__ import annotations\n\nimport os\nimport hmac\n\n'
     "def ok(token, stored_token):\n    return hmac.compare_digest(token, stored_token)\n"),
    ("CRY005", "def ok(token, stored_token):\r\n    return token == stored_token\r\n",
     "import hmac\r\ndef ok(token, stored_token):\r\n"
     "    return hmac.compare_digest(token, stored_token)\r\n"),
    ("RAND001", "import random\ndef make_otp():\n    return random.randint(100000, 999999)\n",
     "import random\nimport secrets\ndef make_otp():\n"
     "    return (secrets.randbelow(900000) + 100000)\n"),
    ("RAND001", "import random, secrets as s\ntoken = random.choices(ABC, k=20)\n",
     "import random, secrets as s\ntoken = [s.choice(ABC) for _ in range(20)]\n"),
    ("RAND001", "import random\nsalt = random.getrandbits(64)",
     "import random\nimport secrets\nsalt = secrets.randbits(64)"),
])
def test_fix_text(code: str, source: str, expected: str, tmp_path: Path,
                  monkeypatch: pytest.MonkeyPatch) -> None:
    assert fixed_text(code, source, tmp_path, monkeypatch) == expected


def test_fix_columns_count_code_points(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = 'import requests\nr = requests.get("https://ö.example/ü", verify=False)\n'
    expected = 'import requests\nr = requests.get("https://ö.example/ü", verify=True)\n'
    assert fixed_text("TLS001", source, tmp_path, monkeypatch) == expected


def test_no_fix_when_the_import_would_clash(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    source = "import random\nsecrets = {}\ndef make_token():\n    return random.getrandbits(64)\n"
    found = run_rule("RAND001", source, tmp_path, monkeypatch)
    assert len(found) == 1 and found[0].fix is None


def module_of(text: str) -> Module:
    return Module("m.py", "m", text, ast.parse(text))


@pytest.mark.parametrize(("text", "expected"), [
    ("x = 1\n", Edit("m.py", 1, 1, 1, 1, "import hmac\n")),
    ('"""Doc."""\nx = 1\n', Edit("m.py", 2, 1, 2, 1, "import hmac\n")),
    ("import os\nimport sys", Edit("m.py", 2, 11, 2, 11, "\nimport hmac")),
    ("import os; x = 1\n", None),
    ("from a import (\n    b,\n)\nx = 1\n", Edit("m.py", 4, 1, 4, 1, "import hmac\n")),
])
def test_add_import(text: str, expected: Edit | None) -> None:
    assert edits.add_import(module_of(text), "hmac") == expected


@pytest.mark.parametrize("code", CODES)
def test_doc_examples_match_the_scanner(code: str, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    doc = BY_CODE[code].doc
    example = doc[doc.index("## Example"):doc.index("Use instead:")]
    instead = doc[doc.index("Use instead:"):doc.index("## References")]
    flawed = "\n".join(PYTHON_BLOCK.findall(example))
    fixed = "\n".join(PYTHON_BLOCK.findall(instead))
    assert run_rule(code, flawed, tmp_path / "a", monkeypatch), \
        f"{code}: the doc's Example is not reported"
    assert not run_rule(code, fixed, tmp_path / "b", monkeypatch), \
        f"{code}: the doc's `Use instead` code is reported"


@pytest.mark.parametrize("code", CODES)
def test_fixture_has_at_least_as_many_safe_look_alikes(code: str) -> None:
    expect = ok = 0
    for path in (FIXTURES / code).rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        expect += len(re.findall(rf"#\s*expect:[A-Z0-9_, ]*\b{code}\b", text))
        ok += len(re.findall(rf"#\s*ok:[A-Z0-9_, ]*\b{code}\b", text))
    assert expect and ok >= expect, f"{code}: {expect} flagged lines, {ok} safe look-alikes"


def test_every_family_rule_is_in_the_catalogue() -> None:
    for rule in FAMILY:
        assert BY_CODE[rule.code] is rule


ODD_CODE = '''
import hashlib, hmac, jwt, random, ssl, requests
from Crypto.Cipher import AES
password = "x" + "y" * 3
hashlib.md5(*args)
hashlib.new(*args, **kwargs)
jwt.decode(**options)
jwt.decode(*parts)
AES.new(*keys)
requests.get(url, **{"verify": False})
(lambda pwd: hashlib.sha1(pwd).hexdigest())(password)
token = [random.choice(s) for s in (yield_ := range(3))]
if (token := random.random()) == (secret := api_key):
    pass
x = y = z = random.randint(1, 2)
a, b = random.random(), password == user.password
user.password, other = password, 1
match password:
    case {"password": pwd} if pwd == user.password:
        pass
class Broken(metaclass=random.choice):
    password = random.random()
async def f():
    async with session.get(u, ssl=False) as r:
        return [hashlib.md5(p) async for p in r]
DEEP = ''' + "(" * 80 + "password" + ")" * 80 + '''
hashlib.sha256(''' + " + ".join(["password"] * 600) + ''')
'''


@pytest.mark.parametrize("code", CODES)
def test_odd_code_does_not_break_the_rules(code: str, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    ast.parse(ODD_CODE)
    run_rule(code, ODD_CODE, tmp_path, monkeypatch)  # asserts no rule failure
