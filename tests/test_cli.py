"""End-to-end tests of `distrust scan` through the real command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from distrust.cli import main

APP = '''\
import sqlite3
from flask import Flask, request

app = Flask(__name__)


@app.route("/user")
def user():
    name = request.args.get("name")
    db = sqlite3.connect("app.db")
    db.execute(f"SELECT * FROM users WHERE name = '{name}'")
    db.execute("SELECT * FROM users WHERE name = ?", (name,))
    return "ok"
'''

SAFE = '''\
import sqlite3
from flask import Flask, request

app = Flask(__name__)


@app.route("/user")
def user():
    uid = int(request.args.get("id", "0"))
    db = sqlite3.connect("app.db")
    db.execute(f"SELECT * FROM users WHERE id = {uid}")
    return "ok"
'''


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "app.py").write_text(APP)
    (tmp_path / "safe.py").write_text(SAFE)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_text_output_names_the_flaw_and_its_path(project: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "scan", ".")
    assert code == 1
    assert "app.py:11:5: SQL001 sql-injection [high/high]" in out
    assert "source: flask.request.args" in out
    assert "sink: sqlite3.connect.execute" in out
    assert "db.execute(f\"SELECT * FROM users WHERE name = '{name}'\")" in out
    assert "safe.py" not in out
    assert "\x1b[" not in out  # not a terminal: no colour
    assert "1 finding" in out


def test_json_output_has_the_documented_fields(project: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "scan", "--format", "json")
    assert code == 1
    doc = json.loads(out)
    assert doc["version"] == 1
    assert doc["files_scanned"] == 2
    assert doc["skipped"] == []
    [finding] = doc["findings"]
    for key in ("rule", "name", "cwe", "severity", "confidence", "path", "line", "column",
                "end_line", "end_column", "message", "snippet", "steps", "fingerprint",
                "suppressed"):
        assert key in finding
    assert (finding["rule"], finding["cwe"], finding["path"], finding["line"]) == \
        ("SQL001", 89, "app.py", 11)
    assert [s["note"] for s in finding["steps"]] == [
        "source: flask.request.args", "sink: sqlite3.connect.execute"]
    assert finding["steps"][0]["line"] == 9


def test_sarif_output_carries_code_flows(project: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "scan", "--format", "sarif")
    assert code == 1
    doc = json.loads(out)
    [result] = doc["runs"][0]["results"]
    assert result["ruleId"] == "SQL001"
    flow = result["codeFlows"][0]["threadFlows"][0]["locations"]
    assert len(flow) == 2


def test_output_file_and_exit_zero_on_clean_code(project: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "scan", "safe.py", "--format", "json", "-o", "report.json")
    assert code == 0
    assert out == ""
    doc = json.loads((project / "report.json").read_text())
    assert doc["findings"] == []
    assert doc["files_scanned"] == 1


def test_select_ignore_and_thresholds(project: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "scan", "--select", "CMD")[0] == 0
    assert run(capsys, "scan", "--ignore", "SQL001")[0] == 0
    assert run(capsys, "scan", "--select", "SQL,CMD")[0] == 1
    assert run(capsys, "scan", "--min-severity", "critical")[0] == 0
    assert run(capsys, "scan", "--min-severity", "high")[0] == 1


@pytest.mark.parametrize("args, message", [
    (["scan", "--min-severity", "extreme"], "unknown severity"),
    (["scan", "--jobs", "0"], "--jobs must be at least 1"),
    (["scan", "--select", "NOPE"], "NOPE: no rule code starts with this"),
    (["scan", "missing-folder"], "missing-folder: no such file or directory"),
    (["scan", "--format", "xml"], "invalid choice"),
    (["rules", "XYZ999"], "XYZ999: unknown rule code"),
])
def test_bad_arguments_exit_2_with_one_clear_line(project: Path,
                                                  capsys: pytest.CaptureFixture[str],
                                                  args: list[str], message: str) -> None:
    code, _, err = run(capsys, *args)
    assert code == 2
    assert message in err


@pytest.mark.parametrize("config, message", [
    ("[tool.distrust]\nselekt = ['SQL']\n", "tool.distrust.selekt: unknown key"),
    ("[tool.distrust]\nmin-severity = 'huge'\n", "tool.distrust.min-severity: unknown severity"),
    ("[tool.distrust]\njobs = 0\n", "tool.distrust.jobs: must be an integer >= 1"),
    ("[tool.distrust]\nexclude = 'tests'\n", "tool.distrust.exclude: must be a list of strings"),
    ("[tool.distrust.taint]\nsinks = [{kind = 'sql'}]\n",
     "tool.distrust.taint.sinks[0].name: required"),
    ("[tool.distrust\n", "invalid TOML"),
])
def test_bad_configuration_names_file_and_key(project: Path,
                                              capsys: pytest.CaptureFixture[str],
                                              config: str, message: str) -> None:
    (project / "pyproject.toml").write_text(config)
    code, _, err = run(capsys, "scan")
    assert code == 2
    assert "pyproject.toml" in err
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_configuration_is_applied(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "pyproject.toml").write_text('[tool.distrust]\nignore = ["SQL"]\n')
    assert run(capsys, "scan")[0] == 0
    (project / "distrust.toml").write_text('paths = ["safe.py"]\n')
    code, out, _ = run(capsys, "scan", "--format", "json")
    assert code == 0
    assert json.loads(out)["files_scanned"] == 1


def test_inline_suppression_needs_the_code(project: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    text = APP.replace("'{name}'\")", "'{name}'\")  # distrust: ignore[XSS001] wrong code")
    (project / "app.py").write_text(text)
    assert run(capsys, "scan")[0] == 1
    text = APP.replace("'{name}'\")", "'{name}'\")  # distrust: ignore[SQL001] admin-only tool")
    (project / "app.py").write_text(text)
    code, out, _ = run(capsys, "scan", "--format", "json")
    assert code == 0
    [finding] = json.loads(out)["findings"]
    assert finding["suppressed"] is True
    assert finding["justification"] == "admin-only tool"
    code, out, _ = run(capsys, "scan", "--format", "sarif")
    [result] = json.loads(out)["runs"][0]["results"]
    assert result["suppressions"][0]["justification"] == "admin-only tool"


def test_a_string_that_looks_like_a_suppression_does_not_suppress(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = APP.replace("'{name}'\")", "'{name}' -- # distrust: ignore[SQL001] x\")")
    (project / "app.py").write_text(text)
    assert run(capsys, "scan")[0] == 1


def test_baseline_survives_moved_lines_and_catches_new_findings(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "scan", "--write-baseline", "base.json")
    assert "wrote 1 finding" in err
    assert run(capsys, "scan", "--baseline", "base.json")[0] == 0
    moved = APP.replace("app = Flask(__name__)\n", "app = Flask(__name__)\n\n\n# moved\n")
    (project / "app.py").write_text(moved)
    code, out, _ = run(capsys, "scan", "--baseline", "base.json")
    assert code == 0, out
    added = moved + '''

@app.route("/other")
def other():
    db = sqlite3.connect("app.db")
    db.execute("DELETE FROM t WHERE k = '" + request.form["k"] + "'")
    return "ok"
'''
    (project / "app.py").write_text(added)
    code, out, _ = run(capsys, "scan", "--baseline", "base.json", "--format", "json")
    assert code == 1
    [finding] = json.loads(out)["findings"]
    assert "DELETE" in finding["snippet"]


def test_bad_baseline_is_a_clear_error(project: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    (project / "base.json").write_text("{not json")
    code, _, err = run(capsys, "scan", "--baseline", "base.json")
    assert code == 2
    assert "base.json: not a distrust baseline" in err


def test_rules_lists_and_documents(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "rules")
    assert code == 0
    assert "SQL001" in out and "CWE-89" in out and "A03:2021-Injection" in out
    code, out, _ = run(capsys, "rules", "sql001")
    assert code == 0
    assert "## Why is this bad?" in out


def test_jobs_give_byte_identical_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    for i in range(40):
        (tmp_path / f"mod{i:02}.py").write_text(APP if i % 3 == 0 else SAFE)
    monkeypatch.chdir(tmp_path)
    one = run(capsys, "scan", "--jobs", "1", "--format", "json", "--no-cache")
    two = run(capsys, "scan", "--jobs", "2", "--format", "json", "--no-cache")
    strip = [json.dumps({k: v for k, v in json.loads(o).items() if k != "tool"}) for o in
             (one[1], two[1])]
    assert one[0] == two[0] == 1
    assert strip[0] == strip[1]
    assert len(json.loads(one[1])["findings"]) == 14


def test_jobs_counts_the_process_running_the_taint_engine(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """With the taint engine in the main process, `--jobs 3` keeps three processes busy:
    it and two workers; with pattern rules alone, three workers."""
    from concurrent.futures import ProcessPoolExecutor

    from distrust import scan

    for i in range(40):
        (tmp_path / f"mod{i:02}.py").write_text(APP if i % 3 == 0 else SAFE)
    monkeypatch.chdir(tmp_path)
    sizes: list[int | None] = []

    def pool(max_workers: int | None = None) -> ProcessPoolExecutor:
        sizes.append(max_workers)
        return ProcessPoolExecutor(max_workers=max_workers)

    monkeypatch.setattr(scan, "ProcessPoolExecutor", pool)
    run(capsys, "scan", "--jobs", "3", "--no-cache", "--no-deps")
    run(capsys, "scan", "--jobs", "3", "--no-cache", "--no-deps", "--select", "SEC,JWT")
    run(capsys, "scan", "--jobs", "2", "--no-cache", "--no-deps")
    assert sizes == [2, 3, 1]


def test_console_script_and_module_entry_point(project: Path) -> None:
    for command in ([sys.executable, "-m", "distrust"],
                    [str(Path(sys.executable).with_name("distrust"))]):
        proc = subprocess.run([*command, "scan", ".", "--format", "json"], capture_output=True,
                              text=True, env={**os.environ, "NO_COLOR": "1"}, timeout=120)
        assert proc.returncode == 1, proc.stderr
        assert json.loads(proc.stdout)["findings"][0]["rule"] == "SQL001"


def test_a_family_name_selects_that_family_only() -> None:
    from distrust.rules import ALL_RULES
    from distrust.scan import select_rules

    auth = {r.code for r in select_rules(ALL_RULES, ["AUTH"], [])}
    assert auth and all(code.rstrip("0123456789") == "AUTH" for code in auth)
    assert {r.code for r in select_rules(ALL_RULES, ["SQL00"], [])} == {"SQL001"}
    everything = {r.code for r in select_rules(ALL_RULES, [], ["CRY", "AUTHZ001"])}
    assert "AUTHZ002" in everything and "AUTHZ001" not in everything
    assert not any(code.startswith("CRY") for code in everything)


def read_all(fd: int) -> bytes:
    """Everything a pseudo-terminal's other end wrote, until it closed."""
    shown = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            return shown
        shown += chunk
    return shown


def test_progress_bar_only_on_a_terminal_for_large_trees(tmp_path: Path) -> None:
    import pty

    for i in range(210):
        (tmp_path / f"m{i:03}.py").write_text("x = 1\n")
    command = [sys.executable, "-m", "distrust", "scan", ".", "--no-deps", "--jobs", "1"]
    leader, follower = pty.openpty()
    try:
        proc = subprocess.run(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=follower,
                              timeout=120, check=False)
        os.close(follower)
        shown = read_all(leader)
    finally:
        os.close(leader)
    assert proc.returncode == 0
    assert b"scanning [" in shown and b"210/210" in shown
    assert b"scanning" not in proc.stdout
    piped = subprocess.run(command, cwd=tmp_path, capture_output=True, timeout=120, check=False)
    assert b"scanning" not in piped.stderr


@pytest.mark.parametrize("no_color, coloured", [(False, True), (True, False)])
def test_colour_only_on_a_terminal_without_no_color(project: Path, no_color: bool,
                                                    coloured: bool) -> None:
    import pty

    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    if no_color:
        env["NO_COLOR"] = "1"
    leader, follower = pty.openpty()
    try:
        proc = subprocess.run([sys.executable, "-m", "distrust", "scan", ".", "--no-deps"],
                              cwd=project, stdout=follower, stderr=subprocess.PIPE, env=env,
                              timeout=120, check=False)
        os.close(follower)
        shown = read_all(leader)
    finally:
        os.close(leader)
    assert proc.returncode == 1
    assert b"SQL001" in shown
    assert (b"\x1b[" in shown) == coloured


def test_output_does_not_depend_on_the_hash_seed(tmp_path: Path) -> None:
    import shutil

    fixtures = Path(__file__).resolve().parent / "fixtures" / "rules"
    for code in ("CMD001", "SQL001", "XSS001"):
        shutil.copytree(fixtures / code, tmp_path / code)
    outputs = set()
    for seed in ("1", "2", "3"):
        proc = subprocess.run(
            [sys.executable, "-m", "distrust", "scan", ".", "--format", "json", "--no-deps",
             "--no-cache", "--jobs", "1"],
            cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
            env={**os.environ, "PYTHONHASHSEED": seed})
        assert proc.returncode == 1, proc.stderr
        doc = json.loads(proc.stdout)
        doc.pop("tool")
        outputs.add(json.dumps(doc, sort_keys=True))
    assert len(outputs) == 1


def test_the_format_choices_are_the_renderers() -> None:
    from distrust import cli, report

    assert set(cli.FORMAT_NAMES) == set(report.FORMAT_MODULES) == set(report.FORMATS)


@pytest.mark.parametrize("argv", [["--version"], ["scan", "--help"], ["rules", "--help"]])
def test_starting_loads_only_what_the_command_needs(argv: list[str]) -> None:
    """Hooks start the tool on every edit: `--version` and parsing a command import neither
    the rules nor the analysis nor the dependency checks."""
    code = ("import sys\nfrom distrust.cli import main\n"
            f"assert main({argv!r}) == 0\n"
            "print(sorted(m for m in sys.modules if m.startswith('distrust')))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=60)
    loaded = proc.stdout.strip().splitlines()[-1]
    for heavy in ("distrust.rules", "distrust.scan'", "distrust.taint", "distrust.python",
                  "distrust.deps.db", "distrust.deps.audit", "distrust.secrets"):
        assert heavy not in loaded


def test_python_m_does_not_import_the_scanned_project(tmp_path: Path) -> None:
    """`python -m distrust` puts the current folder on the import path: a project's own `http`
    package (Django has one) must neither shadow the standard library nor run."""
    project = tmp_path / "project"
    (project / "http").mkdir(parents=True)
    (project / "http" / "__init__.py").write_text(
        "open('IMPORTED', 'w').close()\nraise SystemExit(99)\n")
    (project / "app.py").write_text(APP)
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "user-cache")}
    proc = subprocess.run([sys.executable, "-m", "distrust", "scan", ".", "--format", "json",
                           "--offline", "--allow-unchecked"], cwd=project, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 1, proc.stderr
    assert "SQL001" in proc.stdout
    assert not (project / "IMPORTED").exists()


def test_the_report_written_inside_the_tree_is_not_scanned(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Writing the report into the scanned tree neither scans it next time nor makes the
    next scan a changed tree (special characters in its name included)."""
    (project / "out").mkdir()
    # app.py and safe.py; then the first report too, once it is not the one being written.
    for name, scanned in (("report.json", 2), ("out/rep[1] #x.json", 3)):
        first = run(capsys, "scan", ".", "--no-deps", "--format", "json", "-o", name)
        second = run(capsys, "scan", ".", "--no-deps", "--format", "json", "-o", name)
        assert first[0] == second[0] == 1
        doc = json.loads((project / name).read_text())
        assert doc["files_scanned"] == scanned
        assert not any(n["message"].startswith("cache") for n in doc["notices"])
