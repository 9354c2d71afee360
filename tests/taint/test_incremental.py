"""Incremental taint analysis: after an edit, only the edited module and the modules whose
results rest on it are analysed again, unchanged modules are not even parsed unless the
analysis enters them, and the result is the one a scan from scratch gives."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from distrust import scan as scan_module
from distrust.config import Config
from distrust.model import Finding
from distrust.python.source import Module, ParseFailure, parse
from distrust.rules import ALL_RULES
from distrust.taint import engine, incremental
from distrust.taint.catalog import BUILTIN_SPEC

APP = {
    "shop/__init__.py": "",
    "shop/db.py": """\
        import sqlite3

        conn = sqlite3.connect("shop.db")


        def find_user(name):
            return conn.execute("SELECT * FROM users WHERE name = '" + name + "'").fetchone()


        def count_orders(user_id):
            return conn.execute("SELECT count(*) FROM orders WHERE user = ?", (user_id,))
        """,
    "shop/views.py": """\
        from flask import Flask, request

        from shop.db import find_user

        app = Flask(__name__)


        @app.route("/user")
        def user():
            return str(find_user(request.args["name"]))
        """,
    "shop/admin.py": """\
        import subprocess

        from flask import Flask, request

        app = Flask(__name__)


        @app.route("/ping")
        def ping():
            return subprocess.run("ping -c 1 " + request.args["host"], shell=True).stdout
        """,
    "shop/reports.py": """\
        from shop.db import count_orders


        def monthly(user_id):
            return count_orders(user_id)
        """,
}

SAFE_FIND_USER = """\
    import sqlite3

    conn = sqlite3.connect("shop.db")


    def find_user(name):
        return conn.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchone()


    def count_orders(user_id):
        return conn.execute("SELECT count(*) FROM orders WHERE user = ?", (user_id,))
    """


def modules(files: dict[str, str], lazy: frozenset[str] = frozenset()) -> tuple[Module, ...]:
    out = []
    for path, text in sorted(files.items()):
        text = textwrap.dedent(text)
        tree = None if path in lazy else parse(text, path)
        assert tree is None or not isinstance(tree, ParseFailure)
        name = path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
        out.append(Module(path, name, text, tree, path.endswith("__init__.py")))
    return tuple(out)


def keys(files: dict[str, str]) -> dict[str, str]:
    return {path: str(hash(textwrap.dedent(text))) for path, text in files.items()}


def flows(record: incremental.Record) -> list[tuple[str, str, int]]:
    return sorted((f.kind, f.location.path, f.location.line) for f in incremental.flows(record))


def analysed_only(monkeypatch: pytest.MonkeyPatch) -> list[frozenset[str] | None]:
    """The `only` of every engine run from now on."""
    seen: list[frozenset[str] | None] = []
    real = engine.analyse_project

    def spy(project: object, spec: object, only: frozenset[str] | None = None,
            *args: object, **kwargs: object) -> engine.Analysis:
        seen.append(only)
        return real(project, spec, only, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(incremental, "analyse_project", spy)
    return seen


def test_a_body_edit_reanalyses_the_module_and_its_users_only(
        monkeypatch: pytest.MonkeyPatch) -> None:
    first = incremental.analyse(modules(APP), BUILTIN_SPEC, None, keys(APP))
    assert flows(first) == [("shell", "shop/admin.py", 10), ("sql", "shop/db.py", 7)]
    edited = {**APP, "shop/db.py": SAFE_FIND_USER}
    seen = analysed_only(monkeypatch)
    lazy = frozenset(APP) - {"shop/db.py"}
    now = modules(edited, lazy)
    second = incremental.analyse(now, BUILTIN_SPEC, first, keys(edited))
    # db.py changed and views.py used it. admin.py stands, and so does reports.py: it calls
    # db.py, but no attacker data reaches it, so it was never analysed. Neither is parsed.
    assert seen == [frozenset({"shop/db.py", "shop/views.py"})]
    assert flows(second) == [("shell", "shop/admin.py", 10)]
    assert [m.path for m in now if not m.parsed] == [
        "shop/__init__.py", "shop/admin.py", "shop/reports.py"]
    scratch = incremental.analyse(modules(edited), BUILTIN_SPEC, None, keys(edited))
    assert flows(second) == flows(scratch)


def test_an_edit_of_a_module_nothing_uses_touches_no_other(
        monkeypatch: pytest.MonkeyPatch) -> None:
    first = incremental.analyse(modules(APP), BUILTIN_SPEC, None, keys(APP))
    edited = {**APP, "shop/admin.py": APP["shop/admin.py"].replace(
        '"ping -c 1 " + request.args["host"], shell=True',
        '["ping", "-c", "1", request.args["host"]]')}
    seen = analysed_only(monkeypatch)
    second = incremental.analyse(modules(edited), BUILTIN_SPEC, first, keys(edited))
    assert seen == [frozenset({"shop/admin.py"})]
    assert flows(second) == [("sql", "shop/db.py", 7)]


def test_a_new_function_or_file_means_a_full_run(monkeypatch: pytest.MonkeyPatch) -> None:
    first = incremental.analyse(modules(APP), BUILTIN_SPEC, None, keys(APP))
    seen = analysed_only(monkeypatch)
    grown = {**APP, "shop/db.py": APP["shop/db.py"] + "\n\ndef extra():\n    return 1\n"}
    incremental.analyse(modules(grown), BUILTIN_SPEC, first, keys(grown))
    added = {**APP, "shop/new.py": "X = 1\n"}
    incremental.analyse(modules(added), BUILTIN_SPEC, first, keys(added))
    assert seen == [None, None]


def test_a_changed_answer_to_is_it_called_means_a_full_run(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A Django-style view nothing calls takes its URL parameters from the request; once the
    edited module calls it, it is a helper, and modules that did not change see that."""
    files = {
        "views.py": """\
            import os


            def show(request, name):
                return os.system("cat " + name)
            """,
        "jobs.py": """\
            def run():
                return 1
            """,
    }
    first = incremental.analyse(modules(files), BUILTIN_SPEC, None, keys(files))
    assert flows(first) == [("shell", "views.py", 5)]
    edited = {**files, "jobs.py": "from views import show\n\n\ndef run():\n"
                                  "    return show(None, 'x')\n"}
    seen = analysed_only(monkeypatch)
    second = incremental.analyse(modules(edited), BUILTIN_SPEC, first, keys(edited))
    assert seen == [None]
    assert flows(second) == []


def test_the_record_survives_its_json_form() -> None:
    first = incremental.analyse(modules(APP), BUILTIN_SPEC, None, keys(APP))
    again = incremental.from_json(incremental.to_json(first))
    assert again == first


def write_app(root: Path) -> None:
    for path, text in APP.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(textwrap.dedent(text), encoding="utf-8")


def scan_findings(root: Path, monkeypatch: pytest.MonkeyPatch, cache: Path | None
                  ) -> tuple[Finding, ...]:
    monkeypatch.chdir(root)
    return scan_module.scan([Path(".")], Config(), rules=ALL_RULES, cache_dir=cache,
                            base=root).result.findings


def test_a_scan_after_an_edit_equals_a_scan_from_scratch(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, cache = tmp_path / "app", tmp_path / "cache"
    write_app(root)
    scan_findings(root, monkeypatch, cache)
    (root / "shop/db.py").write_text(textwrap.dedent(SAFE_FIND_USER), encoding="utf-8")
    seen = analysed_only(monkeypatch)
    cached = scan_findings(root, monkeypatch, cache)
    assert seen == [frozenset({"shop/db.py", "shop/views.py"})]
    assert cached == scan_findings(root, monkeypatch, None)
    assert [f.rule for f in cached if f.rule in ("SQL001", "CMD001")] == ["CMD001"]


def test_a_tampered_record_is_ignored_with_a_notice(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, cache = tmp_path / "app", tmp_path / "cache"
    write_app(root)
    scan_findings(root, monkeypatch, cache)
    records = list((cache / scan_module.RECORD_KIND).rglob("*.json"))
    assert len(records) == 1
    records[0].write_text(records[0].read_text().replace("shop/admin.py", "shop/admin.pz"))
    (root / "shop/db.py").write_text(textwrap.dedent(SAFE_FIND_USER), encoding="utf-8")
    seen = analysed_only(monkeypatch)
    monkeypatch.chdir(root)
    outcome = scan_module.scan([Path(".")], Config(), rules=ALL_RULES, cache_dir=cache,
                               base=root)
    assert seen == [None]
    assert any("ignored an unreadable entry taint-record" in n.message
               for n in outcome.result.notices)
    assert outcome.result.findings == scan_findings(root, monkeypatch, None)
