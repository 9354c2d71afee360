"""The taint engine's precision features, each on a small snippet.

Every snippet marks the lines the engine must flag with `# flagged`; each test asserts that the
reported lines are exactly those (a missed flow and a false alarm both fail)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from distrust.cli import main
from distrust.config import Config
from distrust.rules import ALL_RULES
from distrust.scan import scan
from distrust.taint.spec import Sanitizer, Sink, Source

MARK = "# flagged"

FLASK_DB = """\
import os
import re
import shlex
import sqlite3
import subprocess

from flask import Flask, abort, redirect, request

app = Flask(__name__)
db = sqlite3.connect("app.db")
"""


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


def marked(root: Path, files: dict[str, str], code: str) -> set[tuple[str, str, int]]:
    """The (code, file, line) triples the snippets mark: `# flagged` is `code`, and
    `# flagged: CODE` names another rule."""
    out: set[tuple[str, str, int]] = set()
    for name in files:
        text = (root / name).read_text(encoding="utf-8")
        for number, line in enumerate(text.splitlines(), start=1):
            if MARK in line:
                tail = line.split(MARK, 1)[1].strip()
                out.add((tail.lstrip(":").strip() or code, name, number))
    return out


def reported(root: Path, codes: tuple[str, ...], config: Config,
             monkeypatch: pytest.MonkeyPatch) -> set[tuple[str, str, int]]:
    monkeypatch.chdir(root)
    rules = tuple(r for r in ALL_RULES if r.code in codes)
    assert {r.code for r in rules} == set(codes)
    outcome = scan([Path(".")], config, rules=rules)
    assert not outcome.failures
    assert not outcome.result.skipped
    return {(f.rule, f.location.path, f.location.line) for f in outcome.result.findings}


def check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str],
          *codes: str, config: Config | None = None) -> None:
    write(tmp_path, files)
    expected = marked(tmp_path, files, codes[0])
    assert expected or config is not None, "a snippet without a flagged line proves little"
    got = reported(tmp_path, codes, config or Config(), monkeypatch)
    missing, extra = sorted(expected - got), sorted(got - expected)
    assert got == expected, f"missed {missing}; false alarms {extra}"


def test_branches_whose_condition_folds_to_a_constant_are_pruned(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    check(tmp_path, monkeypatch, {"app.py": FLASK_DB + """
DEBUG = False


@app.route("/a")
def a():
    name = request.args["name"]
    if 1 > 2:
        db.execute("SELECT " + name)
    if DEBUG:
        db.execute("SELECT " + name)
    while False:
        db.execute("SELECT " + name)
    query = "SELECT 1" if True else "SELECT " + name
    db.execute(query)
    if not DEBUG and 2 > 1:
        db.execute("SELECT " + name)  # flagged
    return "ok"
"""}, "SQL001")


def test_assignments_are_strong_updates(tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    check(tmp_path, monkeypatch, {"app.py": FLASK_DB + """

@app.route("/a")
def a():
    name = request.args["name"]
    db.execute("SELECT * FROM t WHERE a = '%s'" % name)  # flagged
    name = "guest"
    db.execute("SELECT * FROM t WHERE a = '%s'" % name)
    count = request.args["count"]
    count = int(count)
    db.execute(f"SELECT * FROM t LIMIT {count}")
    sql = "SELECT * FROM t WHERE b = "
    sql += request.args["b"]
    db.execute(sql)  # flagged
    sql = "SELECT 1"
    db.execute(sql)
    return "ok"
"""}, "SQL001")


def test_dict_entries_under_constant_keys_are_kept_apart(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    check(tmp_path, monkeypatch, {"app.py": FLASK_DB + """

@app.route("/a")
def a():
    params = {"name": request.args["name"], "table": "users"}
    db.execute("SELECT * FROM " + params["table"])
    db.execute("SELECT * FROM t WHERE a = '%s'" % params["name"])  # flagged
    params["name"] = "guest"
    db.execute("SELECT * FROM t WHERE a = '%s'" % params["name"])
    cfg = dict(order="id", user=request.args["u"])
    db.execute("SELECT * FROM t ORDER BY " + cfg["order"])
    db.execute("SELECT * FROM t WHERE u = '" + cfg.get("user") + "'")  # flagged
    opts = {}
    opts["sort"] = "name"
    opts["filter"] = request.args["f"]
    db.execute("SELECT * FROM t ORDER BY " + opts.get("sort", "id"))
    db.execute("SELECT * FROM t WHERE " + opts["filter"])  # flagged
    return "ok"
"""}, "SQL001")


def test_list_items_at_known_positions_are_kept_apart(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    check(tmp_path, monkeypatch, {"app.py": FLASK_DB + """

@app.route("/a")
def a():
    parts = ["SELECT * FROM users", request.args["where"]]
    db.execute(parts[0])
    db.execute(parts[0] + " WHERE " + parts[1])  # flagged
    stack = []
    stack.append("SELECT 1")
    stack.append(request.args["q"])
    top = stack.pop()
    db.execute(top)  # flagged
    db.execute(stack.pop())
    first, second = "SELECT 2", request.args["b"]
    db.execute(first)
    db.execute(second)  # flagged
    return "ok"
"""}, "SQL001")


def test_summaries_carry_flows_across_modules_and_packages(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        "shop/__init__.py": "",
        "shop/db.py": """\
            import sqlite3

            conn = sqlite3.connect("shop.db")


            def run(sql, params=()):
                return conn.execute(sql, params).fetchall()  # flagged


            def lookup(sql, params=()):
                return conn.execute(sql, params).fetchall()
            """,
        "helpers.py": """\
            def where(column, value):
                return f"{column} = '{value}'"


            def ident(value):
                return int(value)
            """,
        "shop/views.py": """\
            from flask import Flask, request

            from helpers import ident, where

            from .db import lookup, run

            app = Flask(__name__)


            @app.route("/by-name")
            def by_name():
                return str(run("SELECT * FROM t WHERE " + where("name", request.args["n"])))


            @app.route("/by-id")
            def by_id():
                lookup("SELECT * FROM t WHERE id = ?", (request.args["id"],))
                return str(lookup(f"SELECT * FROM t WHERE id = {ident(request.args['id'])}"))
            """,
    }
    check(tmp_path, monkeypatch, files, "SQL001")


def test_attributes_of_objects(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    check(tmp_path, monkeypatch, {"app.py": FLASK_DB + """

class Job:
    def __init__(self, source):
        self.source = source
        self.binary = "convert"

    def command(self):
        return self.binary + " " + self.source

    def tool(self):
        return self.binary


class Handler:
    def load(self):
        self.name = request.args["name"]

    def save(self):
        db.execute("SELECT * FROM t WHERE name = '%s'" % self.name)  # flagged: SQL001


@app.route("/job")
def job():
    j = Job(request.args["file"])
    os.system(j.command())  # flagged
    os.system(j.tool())
    os.system(j.binary)
    os.system("convert " + j.source)  # flagged
    j.source = "fixed.png"
    os.system(j.command())
    return "ok"
"""}, "CMD001", "SQL001")


def test_request_attributes_inherited_from_http_server_handlers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    check(tmp_path, monkeypatch, {"server.py": """\
import os
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlparse


class Base(BaseHTTPRequestHandler):
    pass


class Handler(Base):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(length).decode()
        os.system("echo " + body)  # flagged
        query = parse_qs(urlparse(self.path).query)
        os.system("echo " + query["x"][0])  # flagged


def internal(url):
    os.system("echo " + parse_qs(urlparse(url).query)["x"][0])
    os.system("echo " + os.path.basename(url))
"""}, "CMD001")


def test_sanitizers_clear_only_the_kinds_they_protect(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    check(tmp_path, monkeypatch, {"app.py": FLASK_DB + """

@app.route("/a")
def a():
    name = request.args["name"]
    number = int(name)
    quoted = shlex.quote(name)
    db.execute(f"SELECT * FROM t WHERE id = {number}")
    db.execute(f"SELECT * FROM t WHERE name = '{quoted}'")  # flagged: SQL001
    os.system(f"echo {quoted}")
    os.system(f"echo {number}")
    os.system(f"echo {name}")  # flagged: CMD001
    return "ok"
"""}, "SQL001", "CMD001")


def test_a_validation_that_aborts_sanitizes_the_path_that_continues(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    check(tmp_path, monkeypatch, {"app.py": FLASK_DB + """

@app.route("/aborts")
def aborts():
    name = request.args["name"]
    if not re.fullmatch(r"[a-z]+", name):
        abort(400)
    db.execute("SELECT * FROM t WHERE a = '%s'" % name)
    return "ok"


@app.route("/raises")
def raises():
    name = request.args["name"]
    if not name.isalnum():
        raise ValueError("bad name")
    db.execute("SELECT * FROM t WHERE a = '%s'" % name)
    return "ok"


@app.route("/warns")
def warns():
    name = request.args["name"]
    if not re.fullmatch(r"[a-z]+", name):
        print("bad name")
    db.execute("SELECT * FROM t WHERE a = '%s'" % name)  # flagged
    return "ok"


@app.route("/inside")
def inside():
    name = request.args["name"]
    if re.fullmatch(r"[a-z]+", name):
        db.execute("SELECT * FROM t WHERE a = '%s'" % name)
    db.execute("SELECT * FROM t WHERE b = '%s'" % name)  # flagged
    return "ok"
"""}, "SQL001")


def test_only_the_query_text_of_a_parameterised_query_is_a_sink(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    check(tmp_path, monkeypatch, {"app.py": FLASK_DB + """
from sqlalchemy import text


@app.route("/a")
def a():
    name = request.args["name"]
    cur = db.cursor()
    cur.execute("SELECT * FROM t WHERE a = ?", (name,))
    cur.execute("SELECT * FROM t WHERE a = :a", {"a": name})
    cur.executemany("INSERT INTO t VALUES (?)", [(name,)])
    db.execute(text("SELECT * FROM t WHERE a = :a"), {"a": name})
    cur.execute("SELECT * FROM t WHERE a = '" + name + "'", ())  # flagged
    db.execute(text(f"SELECT * FROM t WHERE a = '{name}'"))  # flagged
    return "ok"
"""}, "SQL001")


def test_a_sink_reports_once_and_markup_escapes_what_joins_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    check(tmp_path, monkeypatch, {"app.py": """\
from flask import Flask, request
from markupsafe import Markup

app = Flask(__name__)


@app.route("/a")
def a():
    name = request.args["name"]
    card = Markup("<b>" + name + "</b>")  # flagged
    return card + Markup("<hr>")


@app.route("/b")
def b():
    name = request.args["name"]
    return Markup("<b>%s</b>") % name + Markup("<i>{}</i>").format(name)


@app.route("/c")
def c():
    return "<p>" + request.args["name"] + "</p>"  # flagged
"""}, "XSS001")


def test_jinja2_without_autoescape_renders_values_as_html(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    check(tmp_path, monkeypatch, {"app.py": """\
from flask import Flask, request
from jinja2 import Environment, Template, select_autoescape

app = Flask(__name__)
raw = Environment()
escaping = Environment(autoescape=select_autoescape())


@app.route("/a")
def a():
    name = request.args["name"]
    one = raw.from_string("<p>{{ n }}</p>").render(n=name)  # flagged
    two = escaping.from_string("<p>{{ n }}</p>").render(n=name)
    three = Template("<p>{{ n }}</p>", autoescape=True).render(n=name)
    four = Template("<p>{{ n }}</p>").render({"n": name})  # flagged
    five = raw.from_string(name)  # flagged
    return one + two + three + four + str(five)
"""}, "XSS001")


def test_a_constant_scheme_and_host_fix_where_a_url_goes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    check(tmp_path, monkeypatch, {"app.py": FLASK_DB + """
from urllib.parse import urlparse

import requests

ALLOWED = {"partner.example.com"}


@app.route("/a")
def a():
    u = request.args["u"]
    redirect("https://example.com/out?u=" + u)
    redirect(f"/articles/{u}/")
    redirect("/articles/{}".format(u))
    redirect("/" + u)  # flagged
    requests.get(f"https://{u}/status")  # flagged: SSRF001
    requests.get("https://api.example.com/v1/users/" + u)
    host = urlparse(u).hostname
    if host not in ALLOWED:
        abort(400)
    requests.get(u)
    return redirect(u)
"""}, "RED001", "SSRF001")


def test_urls_of_our_own_routes_stay_on_this_site(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    check(tmp_path, monkeypatch, {"views.py": """\
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse


def article(request, slug):
    q = request.GET.get("q", "")
    if q:
        return redirect(reverse("search") + "?q=" + q)
    if request.GET.get("page"):
        return redirect("{}?page={}".format(reverse("list"), request.GET["page"]))
    if request.GET.get("next"):
        return HttpResponseRedirect(request.GET["next"])  # flagged
    return HttpResponseRedirect(reverse("article", args=[slug]))
"""}, "RED001")


def test_module_globals_keep_their_type(tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    check(tmp_path, monkeypatch, {"app.py": """\
import logging

from flask import Flask, request
from lxml import etree

app = Flask(__name__)
PARSER = etree.XMLParser(resolve_entities=True)
SAFE = etree.XMLParser(resolve_entities=False)
log = logging.getLogger(__name__)


@app.route("/a", methods=["POST"])
def a():
    etree.fromstring(request.data, SAFE)
    etree.fromstring(request.data, PARSER)  # flagged: XXE001
    log.info("user %s", request.args["u"])  # flagged: LOG001
    log.info("user %s", request.args["u"].replace("\\n", ""))
    return "ok"
"""}, "XXE001", "LOG001")


def test_only_a_shell_runs_the_argument_after_dash_c(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    check(tmp_path, monkeypatch, {"app.py": FLASK_DB + """

@app.route("/a")
def a():
    host = request.args["host"]
    subprocess.run(["ping", "-c", "1", host])
    subprocess.run(["/bin/sh", "-c", "ping -c 1 " + host])  # flagged
    subprocess.run([host, "--version"])  # flagged
    subprocess.run(["ls", os.path.join("/srv", host)])
    open(os.path.join("/srv", host))  # flagged: PATH001
    return "ok"
"""}, "CMD001", "PATH001")


def test_config_adds_sources_sinks_sanitizers_and_predicates(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"handler.py": """\
        from myapp.auth import current_token
        from myapp.db import raw_query
        from myapp.text import is_token, sql_quote


        def handler():
            token = current_token()
            raw_query("SELECT * FROM t WHERE tok = '" + token + "'")  # flagged
            raw_query("SELECT * FROM t WHERE tok = '" + sql_quote(token) + "'")
            raw_query("SELECT 1")
            if is_token(token):
                raw_query("SELECT * FROM t WHERE tok = '" + token + "'")
        """}
    write(tmp_path, files)
    assert reported(tmp_path, ("SQL001",), Config(), monkeypatch) == set()
    config = Config(
        sources=(Source("myapp.auth.current_token", "session token", call=True),),
        sinks=(Sink("myapp.db.raw_query", "sql"),),
        sanitizers=(Sanitizer("myapp.text.sql_quote", frozenset({"sql"})),
                    Sanitizer("myapp.text.is_token", frozenset({"sql"}), predicate=True)),
    )
    check(tmp_path, monkeypatch, files, "SQL001", config=config)


PYPROJECT = """\
[project]
name = "myservice"
version = "0.1.0"

[tool.distrust]
select = ["SQL001"]

[[tool.distrust.taint.sources]]
name = "myapp.auth.current_token"
label = "session token"
call = true

[[tool.distrust.taint.sinks]]
name = "myapp.db.raw_query"
kind = "sql"
args = [0]

[[tool.distrust.taint.sanitizers]]
name = "myapp.text.sql_quote"
kinds = ["sql"]
"""

HANDLER = """\
from myapp.auth import current_token
from myapp.db import raw_query
from myapp.text import sql_quote


def handler():
    token = current_token()
    raw_query("SELECT * FROM t WHERE tok = '" + token + "'")
    raw_query("SELECT * FROM t WHERE tok = '" + sql_quote(token) + "'")
"""


def test_config_from_pyproject_through_the_cli(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, {"pyproject.toml": PYPROJECT, "src/handler.py": HANDLER})
    monkeypatch.chdir(tmp_path)
    code = main(["scan", "src", "--format", "json", "--no-progress", "-o", "out.json"])
    assert code == 1, capsys.readouterr().err
    doc = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    found = [(f["rule"], f["path"], f["line"]) for f in doc["findings"]]
    assert found == [("SQL001", "src/handler.py", 8)]
    assert "session token" in doc["findings"][0]["message"]

    # Without the sink in the configuration, the same code has nothing to report.
    write(tmp_path, {"pyproject.toml": PYPROJECT.split("[[tool.distrust.taint.sinks]]")[0]})
    assert main(["scan", "src", "--format", "json", "--no-progress", "-o", "out.json"]) == 0
    doc = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert doc["findings"] == []


def test_a_bad_taint_entry_in_pyproject_is_an_error_naming_the_key(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    bad = PYPROJECT.replace('kind = "sql"\n', "")
    write(tmp_path, {"pyproject.toml": bad, "src/handler.py": HANDLER})
    monkeypatch.chdir(tmp_path)
    assert main(["scan", "src", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "tool.distrust.taint.sinks[0].kind" in err


def test_the_fixed_path_of_a_route_is_not_attacker_data(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    check(tmp_path, monkeypatch, {"app.py": FLASK_DB + """

@app.route("/reports/daily")
def daily():
    kind = request.path.split("/")[2]
    db.execute("SELECT * FROM " + kind)
    return "ok"


@app.route("/files/<path:rest>")
def files(rest):
    part = request.path.split("/")[2]
    db.execute("SELECT * FROM " + part)  # flagged
    return "ok"


@app.route("/a")
@app.route("/b")
def two_paths():
    which = request.path.lower()
    db.execute("SELECT * FROM " + which)  # flagged
    return "ok"
"""}, "SQL001")


def test_isinstance_proves_safety_only_for_harmless_types(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    check(tmp_path, monkeypatch, {"app.py": FLASK_DB + """

@app.route("/a")
def a():
    value = request.args["v"]
    if isinstance(value, str):
        db.execute("SELECT " + value)  # flagged
    if isinstance(value, int):
        db.execute("SELECT %s" % value)
    return "ok"
"""}, "SQL001")
