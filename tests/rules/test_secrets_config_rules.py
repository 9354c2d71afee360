"""Hard-coded secrets, secrets in logs, debug and web configuration, archives, temporary files
and mass assignment: the secret scanner's pieces, masking through every output, the text-file
scan, the rules' fixes, and the docs' examples against the scanner."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from distrust import cli, secrets
from distrust.config import Config
from distrust.fixes import apply_edits, propose
from distrust.model import Finding
from distrust.rules import (
    BY_CODE,
    config_rules,
    files_rules,
    logs_rules,
    massassign,
    secrets_rules,
)
from distrust.scan import scan

FAMILY = (*secrets_rules.RULES, *logs_rules.RULES, *config_rules.RULES, *files_rules.RULES,
          *massassign.RULES)
CODES = sorted(rule.code for rule in FAMILY)
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "rules"
DOCS = Path(__file__).resolve().parents[2] / "src" / "distrust" / "rules" / "docs"
PYTHON_BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)

# Values built at run time so that this file holds no credential-shaped literal itself.
STRIPE = "sk_" + "live_" + "51Qm7Rk2Vx9Lp4Tz8Wc3Nb6Hd1Jf5"
PASSWORD = "Pg!" + "shop-9931"
DB_PASSWORD = "Tn4" + "rWq81z"


def _scan(folder: Path, monkeypatch: pytest.MonkeyPatch, codes: list[str],
          config: Config | None = None) -> list[Finding]:
    monkeypatch.chdir(folder)
    rules = tuple(BY_CODE[c] for c in codes)
    outcome = scan([Path(".")], config or Config(), rules=rules)
    assert not outcome.failures, outcome.failures
    return list(outcome.result.findings)


def _write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


# -- the family is whole ------------------------------------------------------------------------

def test_every_rule_of_the_family_is_in_the_catalogue() -> None:
    for rule in FAMILY:
        assert BY_CODE.get(rule.code) is rule


@pytest.mark.parametrize("code", CODES)
def test_fixture_has_at_least_as_many_safe_look_alikes(code: str) -> None:
    expect = ok = 0
    for path in (FIXTURES / code).rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            expect += len(re.findall(rf"#\s*expect:[A-Z0-9_, ]*\b{code}\b", text))
            ok += len(re.findall(rf"#\s*ok:[A-Z0-9_, ]*\b{code}\b", text))
    assert expect, f"{code}: nothing flagged"
    assert ok >= expect, f"{code}: {ok} safe look-alikes for {expect} flagged lines"


@pytest.mark.parametrize("code", CODES)
def test_doc_examples_match_the_scanner(code: str, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    doc = (DOCS / f"{code}.md").read_text(encoding="utf-8")
    example, _, rest = doc.partition("Use instead:")
    flawed = "\n".join(PYTHON_BLOCK.findall(example.partition("## Example")[2]))
    fixed = "\n".join(PYTHON_BLOCK.findall(rest.partition("## References")[0]))
    assert _scan(_write(tmp_path / "bad", {"app.py": flawed}), monkeypatch, [code]), \
        f"{code}: the scanner does not report the doc's Example"
    reported = _scan(_write(tmp_path / "good", {"app.py": fixed}), monkeypatch, [code])
    assert not reported, f"{code}: the doc's `Use instead` code is reported: {reported}"


# -- the secret scanner -------------------------------------------------------------------------

@pytest.mark.parametrize(("line", "start", "end", "expected"), [
    ('KEY = "abcdefghijklmnop"', 7, 25, 'KEY = "abc' + "*" * 14),
    ("PASSWORD=hunter22", 10, 18, "PASSWORD=hu******"),
    ("short=abc", 7, 10, "short=a**"),
    ("tail=0123456789", 6, 99, "tail=012*******"),
])
def test_mask_keeps_at_most_four_characters_and_a_third(line: str, start: int, end: int,
                                                        expected: str) -> None:
    masked = secrets.mask(line, start, end)
    assert masked == expected
    assert len(masked) == len(line)


def test_mask_counts_code_points() -> None:
    line = 'clé = "Ünïcødé-sécret-value"'
    masked = secrets.mask(line, 7, len(line) + 1)
    assert masked.startswith('clé = "Ünï')
    assert "sécret" not in masked


@pytest.mark.parametrize(("name", "kind"), [
    ("SECRET_KEY", "signing-key"), ("jwtSecretKey", "signing-key"), ("db_password", "password"),
    ("new_password", "password"), ("api_key", "token"), ("stripeApiKey", "token"),
    ("client_secret", "token"), ("reset_token", "token"), ("Authorization", "token"),
    ("password_reset_subject", None), ("token_type", None), ("API_KEY_HEADER", None),
    ("is_password_set", None), ("reset_password", None), ("password_validators", None),
    ("key", None), ("username", None), ("SECRET_KEY_NAME", None),
])
def test_secret_names(name: str, kind: str | None) -> None:
    assert secrets.secret_name(name) == kind


@pytest.mark.parametrize(("value", "kind", "expected"), [
    ("supersecretkey123", "signing-key", True),
    ("a signing key", "signing-key", False),
    ("dev", "signing-key", False),
    ("admin@2024", "password", True),
    ("hunter2!", "password", True),
    ("letmein", "password", False),
    ("password123", "password", False),
    ("changeme", "password", False),
    ("${DB_PASSWORD}", "password", False),
    ("your-api-key-here", "token", False),
    ("X-API-Key", "token", False),
    ("rk8Tq2Vw5Yz7Ab9Cd1Ef3Gh5", "token", True),
    ("Bearer rk8Tq2Vw5Yz7Ab9Cd1Ef3Gh5", "token", True),
    ("5/m/user", "password", False),
    ("allauth.tokens.JWTTokenStrategy", "token", False),
    ("[Filtered]", "password", False),
    ("", "password", False),
])
def test_values_that_look_like_secrets(value: str, kind: str, expected: bool) -> None:
    assert secrets.looks_secret(value, kind, "SECRET_KEY") is expected


def test_formats_and_placeholders() -> None:
    assert [f.kind for f in secrets.find_formats(STRIPE)] == ["Stripe live key"]
    assert [f.kind for f in secrets.find_formats(f"postgresql://app:{DB_PASSWORD}@db/app")] == \
        ["password in a URL"]
    assert secrets.find_formats("AKIA" + "IOSFODNN7EXAMPLE") == []
    assert secrets.find_formats("amqp://guest:guest@localhost//") == []
    assert secrets.find_formats("postgresql://app:{password}@db/app") == []
    assert secrets.find_formats("-----BEGIN RSA PRIVATE KEY-----") == []
    body = "-----BEGIN RSA PRIVATE KEY-----\n" + "MIIEpAIBAAKCAQEA7bq0Yl3Y1jzvJx2Vwq" * 2
    assert [f.kind for f in secrets.find_formats(body)] == ["private key"]
    # The middle of a longer token is not a key.
    assert secrets.find_formats("x" + STRIPE[3:] + "Q") == []


def test_scan_text_reads_json_toml_ini_and_properties() -> None:
    text = "\n".join([
        "{",
        f'  "db_password": "{PASSWORD}",',
        '  "password_hint": "the usual one",',
        f'  "stripe": "{STRIPE}"',
        "}",
    ])
    hits = secrets.scan_text("config.json", text)
    assert [(h.line, h.rule) for h in hits] == [(2, "SEC002"), (4, "SEC001")]
    line = text.splitlines()[1]
    assert line[hits[0].column - 1 : hits[0].end_column - 1] == PASSWORD
    toml = f'[db]\npassword = "{PASSWORD}"  # prod\nuser = "shop"\n'
    assert [(h.line, h.kind) for h in secrets.scan_text("app.toml", toml)] == [(2, "password")]
    props = f"db.password={PASSWORD}\ndb.user=shop\n# password=commented-out-9\n"
    assert [h.line for h in secrets.scan_text("app.properties", props)] == [1]
    ini = f"[smtp]\npassword = {PASSWORD} ; prod\npassword = %(SMTP_PASSWORD)s\n"
    assert [h.line for h in secrets.scan_text("setup.cfg", ini)] == [2]
    for hit in [*secrets.scan_text("config.json", text), *secrets.scan_text("app.toml", toml)]:
        assert PASSWORD not in hit.message and STRIPE not in hit.message


def test_scan_text_private_key_needs_material() -> None:
    with_body = "key: |\n  -----BEGIN PRIVATE KEY-----\n  " + "MIIEvQIBADANBgkqhkiG9w0BAQE" * 3
    assert [h.kind for h in secrets.scan_text("k.yaml", with_body)] == ["private key"]
    header_only = "marker: -----BEGIN PRIVATE KEY-----\nother: value\n"
    assert secrets.scan_text("k.yaml", header_only) == []


@pytest.mark.parametrize(("path", "globs", "expected"), [
    ("tests/fixtures/keys.env", ("tests/**",), True),
    ("pkg/tests/test_api.py", ("**/tests/**",), True),
    ("test_settings.py", ("test_*.py",), True),
    ("src/app/settings.py", ("tests/**",), False),
])
def test_allow_paths(path: str, globs: tuple[str, ...], expected: bool) -> None:
    assert secrets.allowed(path, globs) is expected
    hits = secrets.scan_text(path, f"API_KEY={STRIPE}\n", globs)
    assert (hits == []) is expected


# -- through the pipeline: text files, masking, allow-paths, suppressions -----------------------

def _project(tmp_path: Path) -> Path:
    return _write(tmp_path / "proj", {
        ".env": f"STRIPE_SECRET_KEY={STRIPE}\nDB_PASSWORD={PASSWORD}\nDEBUG=1\n",
        "deploy/values.yaml": f"db:\n  url: postgresql://shop:{DB_PASSWORD}@db/shop\n",
        "app/settings.py": f'DB_PASSWORD = "{PASSWORD}"\n',
        "tests/conftest.py": f'API_KEY = "{STRIPE}"\n',
        "app/ignored.env": f"DB_PASSWORD={PASSWORD}  # distrust: ignore[SEC002] rotated\n",
    })


def test_text_files_are_scanned_and_values_never_leave(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(tmp_path)
    findings = _scan(root, monkeypatch, ["SEC001", "SEC002"])
    got = sorted((f.location.path, f.location.line, f.rule, f.suppressed) for f in findings)
    assert got == [
        (".env", 1, "SEC001", False), (".env", 2, "SEC002", False),
        ("app/ignored.env", 1, "SEC002", True),
        ("app/settings.py", 1, "SEC002", False),
        ("deploy/values.yaml", 2, "SEC001", False),
        ("tests/conftest.py", 1, "SEC001", False),
    ]
    for f in findings:
        for value in (STRIPE, PASSWORD, DB_PASSWORD):
            assert value not in f.snippet and value not in f.message
        assert "*" in f.snippet
    for fmt in ("json", "sarif", "text"):
        out = tmp_path / f"report.{fmt}"
        code = cli.main(["scan", ".", "--select", "SEC", "--format", fmt, "-o", str(out)])
        assert code == 1
        report = out.read_text(encoding="utf-8")
        for value in (STRIPE, PASSWORD, DB_PASSWORD, STRIPE[8:20], PASSWORD[3:]):
            assert value not in report, f"{fmt} report shows a secret"
    data = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert {f["rule"] for f in data["findings"]} == {"SEC001", "SEC002"}


def test_allow_paths_from_the_configuration(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(tmp_path)
    config = Config(secrets_allow=("tests/**", "deploy/*.yaml"))
    paths = {f.location.path for f in _scan(root, monkeypatch, ["SEC001", "SEC002"], config)}
    assert paths == {".env", "app/ignored.env", "app/settings.py"}


def test_fingerprints_do_not_depend_on_the_value(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    a = _write(tmp_path / "a", {"app.py": f'DB_PASSWORD = "{PASSWORD}"\n'})
    other = PASSWORD[:4] + "Q7r-8812"
    assert len(other) == len(PASSWORD)
    b = _write(tmp_path / "b", {"app.py": f'DB_PASSWORD = "{other}"\n'})
    [fa] = _scan(a, monkeypatch, ["SEC002"])
    [fb] = _scan(b, monkeypatch, ["SEC002"])
    assert fa.fingerprint == fb.fingerprint  # the masked lines are the same


def test_text_files_are_not_read_without_a_secret_rule(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(tmp_path)
    monkeypatch.chdir(root)
    outcome = scan([Path(".")], Config(), rules=(BY_CODE["DBG001"],))
    assert outcome.result.files_scanned == 2  # the two Python files


def test_bad_text_files_are_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "bad"
    root.mkdir()
    (root / "blob.json").write_bytes(b'{"a": "\x00\xff"}')
    (root / "latin.yaml").write_bytes(b"password: caf\xe9-Secret-77\n")
    monkeypatch.chdir(root)
    outcome = scan([Path(".")], Config(), rules=(BY_CODE["SEC002"],))
    assert not outcome.failures
    assert {s.path for s in outcome.result.skipped} == {"blob.json", "latin.yaml"}


# -- fixes --------------------------------------------------------------------------------------

FIX_CASES = [
    ("DBG001", "from flask import Flask\n\napp = Flask(__name__)\napp.run(debug=True)\n",
     'import os\n\napp = Flask(__name__)\napp.run(debug=os.environ.get("FLASK_DEBUG") == "1")\n',
     ),
    ("DBG001", '"""App."""\nimport os\nfrom flask import Flask\n\napp = Flask(__name__)\n'
               "app.debug = True\n",
     'app.debug = os.environ.get("FLASK_DEBUG") == "1"\n'),
    ("DBG002", 'INSTALLED_APPS = ["shop"]\nDEBUG = True\n',
     'import os\nINSTALLED_APPS = ["shop"]\nDEBUG = os.environ.get("DJANGO_DEBUG") == "1"\n'),
    ("DBG002", "from fastapi import FastAPI\n\napp = FastAPI(debug=True)\n",
     'app = FastAPI(debug=os.environ.get("APP_DEBUG") == "1")\n'),
    ("ARC001", "import tarfile\n\nwith tarfile.open('a.tar') as t:\n    t.extractall('out')\n",
     "    t.extractall('out', filter=\"data\")\n"),
    ("ARC001", "import tarfile\n\nwith tarfile.open('a.tar') as t:\n    t.extractall(\n"
               "        'out',\n    )\n",
     "        'out',\n     filter=\"data\")\n"),
    ("ARC001", "import tarfile\n\nwith tarfile.open('a.tar') as t:\n    t.extractall()\n",
     '    t.extractall(filter="data")\n'),
    ("ARC001", "import shutil\n\nshutil.unpack_archive('a.tar.gz', 'out')\n",
     "shutil.unpack_archive('a.tar.gz', 'out', filter=\"data\")\n"),
]


@pytest.mark.parametrize(("code", "source", "expected"), FIX_CASES)
def test_fix_applies_parses_and_clears_the_finding(code: str, source: str, expected: str,
                                                   tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    root = _write(tmp_path / "p", {"app.py": source})
    [finding] = _scan(root, monkeypatch, [code])
    assert finding.fix is not None
    fixed = apply_edits(source, finding.fix.edits)
    assert expected in fixed
    ast.parse(fixed)
    (root / "app.py").write_text(fixed, encoding="utf-8")
    assert _scan(root, monkeypatch, [code]) == []


def test_fix_keeps_crlf_line_endings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = "from flask import Flask\r\n\r\napp = Flask(__name__)\r\napp.run(debug=True)\r\n"
    root = tmp_path / "crlf"
    root.mkdir()
    (root / "app.py").write_bytes(source.encode())
    [finding] = _scan(root, monkeypatch, ["DBG001"])
    assert finding.fix is not None
    fixed = apply_edits(source, finding.fix.edits)
    assert fixed.count("\r\n") == fixed.count("\n") == 5


def test_two_fixes_add_one_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = ("from flask import Flask\n\napp = Flask(__name__)\napp.debug = True\n"
              "app.run(debug=True)\n")
    root = _write(tmp_path / "two", {"app.py": source})
    findings = _scan(root, monkeypatch, ["DBG001"])
    assert len(findings) == 2
    fixed, rejected = propose(findings, {"app.py": source})
    assert not rejected
    text = fixed["app.py"].fixed
    assert text.count("import os") == 1
    ast.parse(text)


def test_no_fix_when_os_means_something_else(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    source = "from flask import Flask\n\nos = None\napp = Flask(__name__)\napp.run(debug=True)\n"
    [finding] = _scan(_write(tmp_path / "clash", {"app.py": source}), monkeypatch, ["DBG001"])
    assert finding.fix is None


def test_hostile_input_neither_crashes_nor_hangs(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    deep = "open('/tmp/' + " + " + ".join(["name"] * 3000) + ", 'w')\n"
    source = "\n".join([
        "import tempfile, tarfile",
        "from flask import request",
        "p = q",
        "q = p",
        "def f():",
        "    a = b",
        "    b = a",
        "    open(a, 'w')",
        "    open(p / 'x', 'w')",
        "    User(**request.json or request.form or {})",
        f"    DB_PASSWORD = '{'1.' * 50_000}x'",
        f"    token = '{'a' * 200_000}'",
        "    logger.info('%s', " + " + ".join(["password"] * 3000) + ")",
        deep,
    ])
    root = _write(tmp_path / "hostile", {
        "app.py": source,
        "config.yaml": "key: " + " " * 20_000 + "x\n" + "a:" * 30_000 + "\n",
        ".env": "URL=" + "://a:" * 5_000 + "\n",
    })
    monkeypatch.chdir(root)
    outcome = scan([Path(".")], Config(), rules=tuple(BY_CODE[c] for c in CODES))
    assert not outcome.failures
    assert not outcome.result.skipped  # every file was analysed
    found = {(f.rule, f.location.path) for f in outcome.result.findings}
    assert {("TMP001", "app.py"), ("LOG002", "app.py"), ("MASS001", "app.py")} <= found
