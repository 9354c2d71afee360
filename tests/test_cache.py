"""The scan cache: a warm scan reads results instead of parsing, an edit re-analyses, bad
entries are rebuilt with a notice, concurrent scans leave a valid cache."""

from __future__ import annotations

import ast
import json
import multiprocessing
import subprocess
import sys
from pathlib import Path

import pytest

from distrust import cache, scan
from distrust.cli import main
from distrust.config import Config
from distrust.model import ScanResult
from distrust.rules import ALL_RULES

VIEW = '''\
import hashlib
import sqlite3
from flask import Flask, request

from helpers import lookup

app = Flask(__name__)


@app.route("/user")
def user():
    name = request.args.get("name")
    db = sqlite3.connect("app.db")
    db.execute(f"SELECT * FROM users WHERE name = '{name}'")
    return lookup(request.args.get("q"))


def hash_password(password):
    return hashlib.md5(password.encode()).hexdigest()
'''

HELPERS = '''\
import os


def lookup(term):
    os.system("grep " + term + " /var/data")
    return "ok"
'''


def _project(root: Path) -> Path:
    (root / "views.py").write_text(VIEW)
    (root / "helpers.py").write_text(HELPERS)
    (root / "broken.py").write_text("def broken(:\n")
    for i in range(20):  # enough files for the worker processes
        (root / f"mod{i:02}.py").write_text(f"VALUE = {i}\n\ndef f{i}(x):\n    return x + {i}\n")
    return root


def _scan(root: Path, cache_dir: Path | None, jobs: int = 1,
          config: Config | None = None) -> ScanResult:
    outcome = scan.scan([root], config or Config(), rules=ALL_RULES, jobs=jobs,
                        cache_dir=cache_dir)
    assert not outcome.failures
    return outcome.result


def _no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("parsed on a warm scan")

    monkeypatch.setattr(scan, "parse", refuse)
    monkeypatch.setattr(ast, "parse", refuse)


def _entries(cache_dir: Path) -> list[Path]:
    return sorted(p for p in cache_dir.rglob("*.json"))


@pytest.fixture(autouse=True)
def key_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The signing key in a folder of the test's own (inherited by spawned processes)."""
    home = tmp_path / "user-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    return home


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    return _project(root)


def test_warm_scan_gives_the_same_result_and_parses_nothing(
        project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache_dir = tmp_path / "cache"
    uncached = _scan(project, None)
    cold = _scan(project, cache_dir)
    assert cold == uncached
    rules = {f.rule for f in cold.findings}
    assert {"SQL001", "CMD001"} <= rules  # taint, across two modules
    assert len(rules) > 2  # and pattern rules
    assert [Path(s.path).name for s in cold.skipped] == ["broken.py"]
    assert _entries(cache_dir / "files") and _entries(cache_dir / "taint")
    with monkeypatch.context() as m:
        _no_parsing(m)
        warm = _scan(project, cache_dir)
        warm_parallel = _scan(project, cache_dir, jobs=2)
    assert warm == cold == warm_parallel
    assert not warm.notices


def test_without_a_cache_dir_nothing_is_written(project: Path, tmp_path: Path) -> None:
    _scan(project, None)
    assert not list(tmp_path.rglob("*.json"))


def test_an_edit_is_re_analysed(project: Path, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    cache_dir = tmp_path / "cache"
    before = _scan(project, cache_dir)
    assert any(f.rule == "CMD001" and f.location.path.endswith("helpers.py")
               for f in before.findings)
    # The sink moves out of the helper: the flow through it is gone, the rest stays.
    (project / "helpers.py").write_text(HELPERS.replace(
        'os.system("grep " + term + " /var/data")', 'os.system("grep fixed /var/data")'))
    parsed: list[str] = []
    real = scan.parse

    def counting(text: str, filename: str) -> object:
        parsed.append(filename)
        return real(text, filename)

    monkeypatch.setattr(scan, "parse", counting)
    after = _scan(project, cache_dir)
    monkeypatch.setattr(scan, "parse", real)
    assert after == _scan(project, None)
    assert not any(f.rule == "CMD001" for f in after.findings)
    assert any(f.rule == "SQL001" for f in after.findings)
    # The pattern rules ran again on the edited file only; the taint engine analysed the
    # edited module and those using it again, parsing them only when it entered them
    # (tests/taint/test_incremental.py).
    assert [Path(p).name for p in parsed].count("helpers.py") == 1
    assert [Path(p).name for p in parsed].count("views.py") == 0


def test_a_corrupt_entry_is_rebuilt_with_a_notice(project: Path, tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    cold = _scan(project, cache_dir)
    entries = _entries(cache_dir / "files")
    bad = {
        entries[0]: b"\x00\xff not json",
        entries[1]: json.dumps({"format": "someone-else", "version": 1}).encode(),
        entries[2]: json.dumps({"format": "distrust-cache", "version": 1, "kind": "files",
                                "key": "0" * 64, "data": {}}).encode(),
    }
    for path, raw in bad.items():
        path.write_bytes(raw)
    # Signed with this user's key, but not what this version writes.
    store = cache.Cache(cache_dir, "salt")
    store._write("files", entries[3].stem, {"parsed": True, "skipped": None,
                                             "findings": [{"rule": 1}], "failures": []})
    assert not store.notices
    taint = _entries(cache_dir / "taint")[0]
    taint.write_text(taint.read_text()[:-5])
    again = _scan(project, cache_dir)
    notices = [n.message for n in again.notices]
    assert len(notices) == 5
    assert all(m.startswith("cache: ignored an unreadable entry") for m in notices)
    assert (again.findings, again.skipped, again.files_scanned) == (
        cold.findings, cold.skipped, cold.files_scanned)
    assert _scan(project, cache_dir) == cold  # rebuilt: quiet again


def test_configuration_and_rules_are_part_of_the_key(project: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    cache_dir = tmp_path / "cache"
    _scan(project, cache_dir)
    count = len(_entries(cache_dir))
    fewer = scan.select_rules(ALL_RULES, ["CRY"], [])
    outcome = scan.scan([project], Config(), rules=fewer, jobs=1, cache_dir=cache_dir)
    assert {f.rule[:3] for f in outcome.result.findings} == {"CRY"}
    assert len(_entries(cache_dir)) > count
    with monkeypatch.context() as m:
        _no_parsing(m)
        with pytest.raises(AssertionError, match="parsed on a warm scan"):
            _scan(project, cache_dir, config=Config(max_file_size=1_000_000))


def _scan_in_process(root: str, cache_dir: str) -> None:
    _scan(Path(root), Path(cache_dir), jobs=1)


def test_concurrent_scans_leave_a_valid_cache(project: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    cache_dir = tmp_path / "cache"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_scan_in_process, args=(str(project), str(cache_dir)))
               for _ in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
        assert w.exitcode == 0
    assert not list(cache_dir.rglob(".tmp-*"))
    for entry in _entries(cache_dir):
        assert json.loads(entry.read_text())["format"] == "distrust-cache"
    expected = _scan(project, None)
    with monkeypatch.context() as m:
        _no_parsing(m)
        warm = _scan(project, cache_dir)
    assert warm == expected


def test_cli_uses_the_project_cache_unless_told_not_to(
        project: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(project)
    assert main(["scan", "--no-cache", "--no-deps", "--format", "json"]) == 1
    assert not (project / ".distrust").exists()
    cold_out = capsys.readouterr().out
    assert main(["scan", "--no-deps", "--format", "json"]) == 1
    assert list((project / ".distrust" / "cache").rglob("*.json"))
    first = capsys.readouterr().out
    with monkeypatch.context() as m:
        _no_parsing(m)
        assert main(["scan", "--no-deps", "--format", "json"]) == 1
    warm = capsys.readouterr().out

    def strip(text: str) -> object:
        return {k: v for k, v in json.loads(text).items() if k != "tool"}

    assert strip(cold_out) == strip(first) == strip(warm)
    (project / "distrust.toml").write_text('cache-dir = "elsewhere"\n')
    assert main(["scan", "--no-deps", "--format", "json"]) == 1
    assert list((project / "elsewhere").rglob("*.json"))


def test_entries_that_came_with_the_project_are_not_trusted(
        project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cache committed to the repository (or planted to hide a finding) was signed with
    someone else's key: it is rebuilt, and the findings come back."""
    cache_dir = tmp_path / "cache"
    cold = _scan(project, cache_dir)
    for entry in _entries(cache_dir):  # forge "nothing found" with a valid-looking entry
        data = json.loads(entry.read_text())
        body = json.loads(data["data"])
        if "findings" in body:
            body["findings"] = []
        data["data"] = json.dumps(body)
        entry.write_text(json.dumps(data))
    again = _scan(project, cache_dir)
    assert again.findings == cold.findings
    assert len(again.notices) == len(_entries(cache_dir))
    assert all("not written by this user's scans" in n.message for n in again.notices)
    # Another user (another key) does not trust this user's entries either.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "someone-else"))
    other = _scan(project, cache_dir)
    assert other.findings == cold.findings and other.notices


def test_the_signing_key_is_made_once_and_kept(tmp_path: Path) -> None:
    folder = tmp_path / "keys"
    first = cache.signing_key(folder)
    assert len(first) == 32
    assert cache.signing_key(folder) == first
    assert [p.name for p in folder.iterdir()] == ["cache-key"]
    (folder / "cache-key").write_bytes(b"short")
    with pytest.raises(OSError):
        cache.signing_key(folder)


# --- the warm path: one scan-level entry for an unchanged tree -------------------------------


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["scan", "--format", "json", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _report(text: str) -> object:
    """A JSON report without the time it was made."""
    doc = json.loads(text)
    del doc["tool"]["started_at"]
    return doc


def _uncached(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, object, str]:
    code, out, err = _cli(capsys, "--no-cache", *args)
    return code, _report(out), err


def _scan_entries(project: Path) -> list[Path]:
    return _entries(project / ".distrust" / "cache" / "scans")


def _no_analysis(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every way into the analysis fail: a warm run must take none of them."""
    _no_parsing(monkeypatch)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("analysed on a warm scan")

    monkeypatch.setattr(scan, "scan", refuse)
    monkeypatch.setattr(cache.Cache, "get_file", refuse)


@pytest.mark.parametrize("args", [(), ("--no-deps",), ("--select", "CRY,SQL", "--jobs", "2"),
                                  ("--min-severity", "high", "--format", "text")])
def test_an_unchanged_rescan_reads_one_entry_and_analyses_nothing(
        project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        args: tuple[str, ...]) -> None:
    monkeypatch.chdir(project)

    def same(run: tuple[int, str, str]) -> object:  # JSON without its time
        return run if "--format" in args else (run[0], _report(run[1]), run[2])

    expected = _cli(capsys, "--no-cache", *args)
    assert expected[0] == 1 and "SQL001" in expected[1]
    first = _cli(capsys, *args)
    assert len(_scan_entries(project)) == 1
    with monkeypatch.context() as m:
        _no_analysis(m)
        warm = _cli(capsys, *args)
    assert same(first) == same(warm) == same(expected)


def test_a_warm_run_imports_neither_the_rules_nor_the_analysis(project: Path,
                                                               tmp_path: Path) -> None:
    out = tmp_path / "out.json"  # outside the project: a new file there is a change
    command = [sys.executable, "-c",
               "import sys\nfrom distrust.cli import main\n"
               f"code = main(['scan', '--format', 'json', '-o', {str(out)!r}])\n"
               "print(code, sorted(m for m in sys.modules if m.startswith('distrust')))"]
    cold = subprocess.run(command, cwd=project, capture_output=True, text=True, check=True)
    warm = subprocess.run(command, cwd=project, capture_output=True, text=True, check=True)
    assert cold.stdout.startswith("1 ") and warm.stdout.startswith("1 ")
    cold_modules = set(ast.literal_eval(cold.stdout[2:]))
    warm_modules = set(ast.literal_eval(warm.stdout[2:]))
    assert {"distrust.scan", "distrust.rules", "distrust.taint.engine"} <= cold_modules
    assert "distrust.scan" not in warm_modules
    assert not {m for m in warm_modules if m.startswith(
        ("distrust.rules", "distrust.python", "distrust.taint.engine", "distrust.deps.audit",
         "distrust.deps.db", "distrust.secrets"))}


EDITS = {
    "content": lambda root: (root / "helpers.py").write_text(HELPERS.replace(
        'os.system("grep " + term + " /var/data")', 'os.system("grep fixed /var/data")')),
    "new file": lambda root: (root / "extra.py").write_text(
        "import pickle\n\ndef load(data):\n    return pickle.loads(data)\n"),
    "deleted file": lambda root: (root / "views.py").unlink(),
    "ignored file": lambda root: (root / ".gitignore").write_text("views.py\n"),
    "package": lambda root: (root / "__init__.py").write_text(""),
    "fixed syntax": lambda root: (root / "broken.py").write_text("def fixed():\n    pass\n"),
    "secret": lambda root: (root / "settings.yaml").write_text(
        "aws_secret_access_key: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"),
}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_a_change_is_scanned_again(project: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str], edit: str) -> None:
    monkeypatch.chdir(project)
    _cli(capsys)
    before = _cli(capsys)  # warm
    EDITS[edit](project)
    code, out, err = _cli(capsys)
    assert (code, _report(out), err) == _uncached(capsys)
    assert _report(out) != _report(before[1])
    with monkeypatch.context() as m:  # and the new state is remembered
        _no_analysis(m)
        code_again, again, _ = _cli(capsys)
    assert (code_again, _report(again)) == (code, _report(out))


def test_a_tampered_scan_entry_is_ignored_with_a_notice(
        project: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(project)
    code, expected, _ = _uncached(capsys)
    _cli(capsys)
    [entry] = _scan_entries(project)
    data = json.loads(entry.read_text())
    body = json.loads(data["data"])
    body["result"]["findings"] = []  # "nothing found", signed with the wrong key
    data["data"] = json.dumps(body)
    entry.write_text(json.dumps(data))
    tampered_code, out, _ = _cli(capsys)
    report = _report(out)
    assert isinstance(report, dict) and isinstance(expected, dict)
    assert tampered_code == code and report["findings"] == expected["findings"]
    assert [n["message"] for n in report["notices"]] == [
        f"cache: ignored an unreadable entry scans/{entry.stem[:2]}/{entry.name} (not written "
        "by this user's scans); rebuilt"]
    entry.write_text("{ not json")
    assert "ignored an unreadable entry scans/" in _cli(capsys)[1]
    with monkeypatch.context() as m:  # rebuilt, quiet again
        _no_analysis(m)
        assert _report(_cli(capsys)[1]) == expected


def test_the_dependency_result_is_reused_only_without_manifests(
        project: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from distrust.deps import commands

    monkeypatch.chdir(project)
    calls: list[object] = []
    real = commands.scan_dependencies

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(args)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(commands, "scan_dependencies", counting)
    _cli(capsys, "--offline")
    assert len(calls) == 1
    _cli(capsys, "--offline")
    assert len(calls) == 1  # no manifest: the stored (empty) result
    (project / "notes.txt").write_text("not a manifest\n")
    _cli(capsys, "--offline")
    assert len(calls) == 2  # another file in scope: checked again, and stored again
    _cli(capsys, "--offline")
    assert len(calls) == 2
    (project / "requirements.txt").write_text("flask==0.12\n")
    first = _cli(capsys, "--offline")
    second = _cli(capsys, "--offline")
    assert len(calls) == 4  # a manifest: checked on every run
    assert (first[0], _report(first[1]), first[2]) == (second[0], _report(second[1]), second[2])
    assert (second[0], _report(second[1]), second[2]) == _uncached(capsys, "--offline")


def test_a_scan_with_a_fix_or_without_a_cache_writes_no_scan_entry(
        project: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(project)
    _cli(capsys, "--no-cache")
    main(["scan", "--diff", "--no-deps"])
    capsys.readouterr()
    assert not _scan_entries(project)


def test_files_that_did_not_change_are_not_read_again(
        project: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from distrust import files, warm

    monkeypatch.chdir(project)
    monkeypatch.setattr(warm, "RACY_NS", -10**15)  # every file counts as long settled
    expected = _uncached(capsys)
    _cli(capsys)
    with monkeypatch.context() as m:
        _no_analysis(m)

        def refuse(*args: object, **kwargs: object) -> None:
            raise AssertionError("read a file whose signature did not change")

        m.setattr(files, "read_text", refuse)
        code, out, err = _cli(capsys)
    assert (code, _report(out), err) == expected


def test_an_edit_that_keeps_size_and_modification_time_is_seen(
        project: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The change time (which no one can set) tells the edit apart."""
    import os

    from distrust import warm

    monkeypatch.chdir(project)
    monkeypatch.setattr(warm, "RACY_NS", -10**15)
    _cli(capsys)
    before = _cli(capsys)
    views = project / "views.py"
    old = os.stat(views)
    text = views.read_text()
    assert "hashlib.md5(" in text
    views.write_text(text.replace("hashlib.md5(", "hashlib.sha("))
    os.utime(views, ns=(old.st_atime_ns, old.st_mtime_ns))
    new = os.stat(views)
    assert (new.st_size, new.st_mtime_ns, new.st_ino) == (old.st_size, old.st_mtime_ns,
                                                          old.st_ino)
    code, out, err = _cli(capsys)
    assert (code, _report(out), err) == _uncached(capsys)
    assert _report(out) != _report(before[1])


def test_files_changed_just_before_a_listing_are_read_again(project: Path) -> None:
    from distrust import files, warm

    found, _ = files.discover([project])
    snap = warm.Snapshot("digest", False, {f.relpath: "text" for f in found})
    newest = max(max(f.signature[1], f.signature[2]) for f in found)
    settled = warm.Probe(None, None, tuple(found), newest + warm.RACY_NS + 1)
    assert set(warm.known_files(settled, snap)) == {f.relpath for f in found}
    racy = warm.Probe(None, None, tuple(found), newest + warm.RACY_NS)
    assert len(warm.known_files(racy, snap)) < len(found)
    assert warm.known_files(warm.Probe(None, None, tuple(found), None), snap) == {}
