"""Dependency verification end to end, against the loopback registry and OSV servers."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from deps_servers import Behaviour, Server, archive_bytes, record

from distrust import cli
from distrust.deps import db
from distrust.deps.audit import DepsOptions, audit
from distrust.model import Confidence, Severity

SCENARIO = """\
# the web app
django==3.2.0
reqeusts==2.31.0
flask-jwt-authlib-helper==1.0.0
"""


def _django_records() -> list[dict[str, object]]:
    return [
        record("PYSEC-2023-100", "django", aliases=["CVE-2023-31047"],
               summary="Potential bypass of validation when uploading multiple files",
               events=[{"introduced": "3.2"}, {"fixed": "3.2.19"}, {"introduced": "4.0"},
                       {"fixed": "4.1.9"}]),
        record("GHSA-r3xc-prgr-mg9p", "Django", aliases=["CVE-2023-31047"], severity="CRITICAL",
               events=[{"introduced": "3.2"}, {"fixed": "3.2.19"}]),
        record("PYSEC-2099-1", "django", withdrawn="2024-03-01T00:00:00Z",
               events=[{"introduced": "0"}]),
        record("PYSEC-2019-5", "django", summary="old issue",
               events=[{"introduced": "0"}, {"fixed": "2.2.1"}]),
    ]


def _serve_scenario(registry: Server, osv: Server) -> None:
    registry.state.add_pypi("django", ["3.2.0", "3.2.19", "4.2.16"])
    registry.state.add_pypi("requests", ["2.31.0"])
    osv.state.records.extend(_django_records())
    osv.state.archives["PyPI"] = archive_bytes(osv.state.records)


def _pairs(result: object) -> set[tuple[str, int]]:
    return {(f.rule, f.location.line) for f in result.findings}  # type: ignore[attr-defined]


def test_done_when_scenario_online(tmp_path: Path, registry: Server, osv: Server,
                                   options: DepsOptions) -> None:
    _serve_scenario(registry, osv)
    project = tmp_path / "project"
    project.mkdir()
    (project / "requirements.txt").write_text(SCENARIO)
    result = audit(project, options)
    assert _pairs(result) == {("DEP001", 2), ("DEP002", 3), ("DEP002", 4)}
    by_line = {f.location.line: f for f in result.findings}
    vuln = by_line[2]
    assert "GHSA-r3xc-prgr-mg9p" in vuln.message and "CVE-2023-31047" in vuln.message
    assert "PYSEC-2023-100" in vuln.message and "3.2.19" in vuln.message
    assert vuln.severity is Severity.CRITICAL and vuln.location.path == "requirements.txt"
    assert vuln.snippet == "django==3.2.0"
    assert "'requests'" in by_line[3].message
    assert by_line[4].severity is Severity.HIGH
    assert any("OSV API" in n.message for n in result.notices)
    # a second run within the cache lifetime asks nobody
    hits_registry, hits_osv = len(registry.state.hits), len(osv.state.hits)
    assert _pairs(audit(project, options)) == _pairs(result)
    assert len(registry.state.hits) == hits_registry and len(osv.state.hits) == hits_osv


def test_done_when_scenario_offline_from_imported_archive(
        tmp_path: Path, registry: Server, osv: Server, options: DepsOptions,
        monkeypatch: pytest.MonkeyPatch) -> None:
    _serve_scenario(registry, osv)
    archive = tmp_path / "PyPI.zip"
    archive.write_bytes(osv.state.archives["PyPI"])
    names = tmp_path / "names.txt"
    names.write_text("Django\nrequests\nflask\n")
    monkeypatch.chdir(tmp_path)
    code = cli.main(["db", "update", "--from", str(archive), "--names-from",
                     f"PyPI={names}", "--db", str(options.db_path)])
    assert code == 0
    project = tmp_path / "project"
    project.mkdir()
    (project / "requirements.txt").write_text(SCENARIO)
    unreachable = replace(options, offline=True, index_url="http://127.0.0.1:9/simple/",
                          osv_url="http://127.0.0.1:9")
    result = audit(project, unreachable)
    assert _pairs(result) == {("DEP001", 2), ("DEP002", 3), ("DEP002", 4)}
    assert registry.state.hits == [] and osv.state.hits == []
    assert any("local database" in n.message and "day" in n.message for n in result.notices)


def test_offline_without_names_reports_look_alike_and_says_what_was_not_checked(
        tmp_path: Path, osv: Server, options: DepsOptions) -> None:
    archive = tmp_path / "PyPI.zip"
    archive.write_bytes(archive_bytes(_django_records()))
    db.update(options.db_path, [db.Source("PyPI", str(archive), is_file=True)])  # type: ignore[arg-type]
    project = tmp_path / "project"
    project.mkdir()
    (project / "requirements.txt").write_text(SCENARIO)
    result = audit(project, replace(options, offline=True))
    assert _pairs(result) == {("DEP001", 2), ("DEP003", 3)}
    assert any("NOT checked" in n.message and "flask-jwt-authlib-helper" in n.message
               for n in result.notices)


def test_cli_deps_json_and_exit_codes(tmp_path: Path, registry: Server, osv: Server,
                                      options: DepsOptions, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    _serve_scenario(registry, osv)
    (tmp_path / "requirements.txt").write_text(SCENARIO)
    monkeypatch.chdir(tmp_path)
    args = ["deps", ".", "--format", "json", "--index-url", str(options.index_url),
            "--osv-url", options.osv_url, "--cache-dir", str(options.cache_dir)]
    assert cli.main(args) == 1
    report = json.loads(capsys.readouterr().out)
    assert {(f["rule"], f["line"]) for f in report["findings"]} == {
        ("DEP001", 2), ("DEP002", 3), ("DEP002", 4)}
    (tmp_path / "requirements.txt").write_text("django==4.2.16\n")
    assert cli.main(args) == 0
    assert cli.main(["deps", "missing-folder"]) == 2


def test_fallback_to_local_database_when_api_fails(tmp_path: Path, registry: Server,
                                                   osv: Server, options: DepsOptions) -> None:
    _serve_scenario(registry, osv)
    archive = tmp_path / "PyPI.zip"
    archive.write_bytes(osv.state.archives["PyPI"])
    db.update(options.db_path, [db.Source("PyPI", str(archive), is_file=True)])  # type: ignore[arg-type]
    osv.state.osv_status = 500
    (tmp_path / "requirements.txt").write_text("django==3.2.0\n")
    result = audit(tmp_path, replace(options, today=date(2099, 1, 1), check_imports=False))
    assert _pairs(result) == {("DEP001", 1)}
    notice = next(n.message for n in result.notices if "advisories" in n.message)
    assert "HTTP 500" in notice and "local database" in notice and "days old" in notice


def test_no_source_of_advisories_is_a_notice(tmp_path: Path, registry: Server, osv: Server,
                                             options: DepsOptions) -> None:
    registry.state.add_pypi("django", ["3.2.0"])
    osv.state.osv_status = 500
    (tmp_path / "requirements.txt").write_text("django==3.2.0\n")
    result = audit(tmp_path, options)
    assert result.findings == ()
    assert any("known vulnerabilities NOT checked" in n.message for n in result.notices)


def test_damaged_local_database_is_a_notice(tmp_path: Path, options: DepsOptions) -> None:
    assert options.db_path is not None
    options.db_path.parent.mkdir(parents=True)
    options.db_path.write_bytes(b"SQLite format 3\x00garbage" * 10)
    (tmp_path / "requirements.txt").write_text("django==3.2.0\n")
    result = audit(tmp_path, replace(options, offline=True))
    assert any("damaged" in n.message or "not a complete" in n.message
               for n in result.notices)


def test_registry_failure_is_a_notice_not_a_pass(tmp_path: Path, registry: Server,
                                                 options: DepsOptions) -> None:
    registry.state.pypi["inventedpkg"] = Behaviour(status=500, body=b"", content_type="text/plain")
    (tmp_path / "requirements.txt").write_text("inventedpkg==1.0\n")
    result = audit(tmp_path, replace(options, check_vulnerabilities=False))
    assert result.findings == ()
    (notice,) = [n.message for n in result.notices if "registry" in n.message]
    assert "inventedpkg" in notice and "HTTP 500" in notice and "NOT checked" in notice


def test_unpinned_requirements_are_checked_against_every_admitted_version(
        tmp_path: Path, registry: Server, osv: Server, options: DepsOptions) -> None:
    _serve_scenario(registry, osv)
    (tmp_path / "requirements.txt").write_text("django>=3.0\ndjango>=3.2,<3.2.10\ndjango>=4.2\n")
    result = audit(tmp_path, replace(options, check_imports=False))
    by_line = {f.location.line: f for f in result.findings if f.rule == "DEP001"}
    assert set(by_line) == {1, 2}
    assert "not pinned" in by_line[1].message and "every version" in by_line[1].message
    assert by_line[1].confidence is Confidence.LOW
    assert by_line[2].confidence is Confidence.HIGH
    assert "3.2.0" in by_line[2].message


def test_npm_project(tmp_path: Path, registry: Server, osv: Server,
                     options: DepsOptions) -> None:
    registry.state.add_npm("lodash", ["4.17.11", "4.17.21"])
    registry.state.add_npm("lodahs", ["1.0.0"], created="2099-01-01T00:00:00.000Z")
    osv.state.records.append(record("GHSA-jf85-cpcp-j695", "lodash", ecosystem="npm",
                                    summary="Prototype Pollution", severity="HIGH",
                                    ranges=[{"type": "SEMVER", "events": [
                                        {"introduced": "0"}, {"fixed": "4.17.12"}]}]))
    (tmp_path / "package.json").write_text(json.dumps(
        {"dependencies": {"lodash": "4.17.11", "lodahs": "^1.0.0", "no-such-pkg": "1.0.0"}},
        indent=2))
    result = audit(tmp_path, replace(options, today=date(2099, 1, 5)))
    assert _pairs(result) == {("DEP001", 3), ("DEP003", 4), ("DEP005", 4), ("DEP002", 5)}
    new = next(f for f in result.findings if f.rule == "DEP005")
    assert "2099-01-01" in new.message


def test_yanked_version(tmp_path: Path, registry: Server, options: DepsOptions) -> None:
    registry.state.add_pypi("somepkg", ["1.0", "1.1"], yanked=("1.0",))
    (tmp_path / "requirements.txt").write_text("somepkg==1.0\nsomepkg==1.1\n")
    result = audit(tmp_path, replace(options, check_vulnerabilities=False))
    assert _pairs(result) == {("DEP005", 1)}
    assert "yanked" in result.findings[0].message


def test_suppression_on_the_manifest_line(tmp_path: Path, registry: Server,
                                          options: DepsOptions) -> None:
    (tmp_path / "requirements.txt").write_text(
        "reqeusts==1.0  # distrust: ignore[DEP002] internal mirror name\nnotreal==1.0\n")
    result = audit(tmp_path, replace(options, check_vulnerabilities=False))
    by_line = {f.location.line: f for f in result.findings}
    assert by_line[1].suppressed and by_line[1].justification == "internal mirror name"
    assert not by_line[2].suppressed


def test_fingerprints_do_not_depend_on_lines(tmp_path: Path, registry: Server,
                                             options: DepsOptions) -> None:
    (tmp_path / "requirements.txt").write_text("notreal==1.0\n")
    first = audit(tmp_path, replace(options, check_vulnerabilities=False)).findings[0]
    (tmp_path / "requirements.txt").write_text("# moved\n\nnotreal==1.0\n")
    second = audit(tmp_path, replace(options, check_vulnerabilities=False)).findings[0]
    assert second.location.line == 3 and first.fingerprint == second.fingerprint


def test_two_hundred_packages_one_round_trip_each_then_none(
        tmp_path: Path, registry: Server, osv: Server, options: DepsOptions) -> None:
    names = [f"package-number-{i}" for i in range(200)]
    for name in names:
        registry.state.add_pypi(name, ["1.0.0"])
    (tmp_path / "requirements.txt").write_text("".join(f"{n}==1.0.0\n" for n in names))
    opts = replace(options, check_imports=False, check_lookalikes=False)
    result = audit(tmp_path, opts)
    assert result.findings == ()
    assert registry.state.count("GET /simple/") == 200
    assert osv.state.count("POST") == 1
    audit(tmp_path, opts)
    assert registry.state.count("GET /simple/") == 200 and osv.state.count("POST") == 1


def test_cli_unchecked_run_is_not_a_pass(tmp_path: Path, registry: Server, osv: Server,
                                         options: DepsOptions, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    registry.state.pypi["somepkg"] = Behaviour(status=503, body=b"", content_type="text/plain")
    (tmp_path / "requirements.txt").write_text("somepkg==1.0\n")
    monkeypatch.chdir(tmp_path)
    args = ["deps", ".", "--index-url", str(options.index_url), "--osv-url", options.osv_url,
            "--cache-dir", str(options.cache_dir), "--timeout", "10"]
    assert cli.main(args) == 2
    assert "not a pass" in capsys.readouterr().err
    assert cli.main([*args, "--allow-unchecked"]) == 0
    registry.state.add_pypi("somepkg", ["1.0"])
    assert cli.main(args) == 0


def test_paths_are_shown_from_where_the_user_pointed(
        tmp_path: Path, registry: Server, osv: Server, options: DepsOptions,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    sub = tmp_path / "services" / "api"
    sub.mkdir(parents=True)
    (sub / "requirements.txt").write_text("notreal==1.0\n")
    result = audit(sub, replace(options, check_vulnerabilities=False,
                                path_prefix="services/api/"))
    assert [f.location.path for f in result.findings] == ["services/api/requirements.txt"]
    monkeypatch.chdir(tmp_path)
    args = ["deps", "services/api/requirements.txt", "--format", "json", "--index-url",
            str(options.index_url), "--osv-url", options.osv_url, "--cache-dir",
            str(options.cache_dir)]
    assert cli.main(args) == 1
    report = json.loads(capsys.readouterr().out)
    assert [f["path"] for f in report["findings"]] == ["services/api/requirements.txt"]


def test_audit_paths_for_a_scan(tmp_path: Path, registry: Server, options: DepsOptions,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    from distrust.deps.audit import audit_paths

    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "requirements.txt").write_text("notreal==1.0\n")
    (tmp_path / "web" / "app.py").write_text("import zzzinvented\n")
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "requirements.txt").write_text("alsonotreal==2.0\n")
    monkeypatch.chdir(tmp_path)
    opts = replace(options, check_vulnerabilities=False)
    report = audit_paths([Path("web"), Path("tools/requirements.txt"), Path("web/app.py")],
                         opts, python_files={"web/app.py": "import zzzinvented\nimport os\n"})
    assert [(f.rule, f.location.path) for f in report.result.findings] == [
        ("DEP002", "tools/requirements.txt"), ("DEP004", "web/app.py"),
        ("DEP002", "web/requirements.txt")]
    # the same root twice reports each finding once
    again = audit_paths([Path("web"), Path(".") / "web"], opts)
    assert len(again.result.findings) == 2


def test_known_malicious_package(tmp_path: Path, registry: Server, osv: Server,
                                 options: DepsOptions) -> None:
    registry.state.add_pypi("evil-helper", ["0.1"])
    osv.state.records.append(record("MAL-2024-1234", "evil-helper",
                                    summary="Malicious code in evil-helper (PyPI)",
                                    events=[{"introduced": "0"}]))
    (tmp_path / "requirements.txt").write_text("evil-helper\n")
    result = audit(tmp_path, replace(options, check_imports=False))
    (finding,) = result.findings
    assert finding.rule == "DEP001" and finding.severity is Severity.CRITICAL
    assert "malicious" in finding.message and "No fixed version" in finding.message


def test_cli_baseline_accepts_todays_dependency_findings(
        tmp_path: Path, registry: Server, osv: Server, options: DepsOptions,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    _serve_scenario(registry, osv)
    (tmp_path / "requirements.txt").write_text(SCENARIO)
    monkeypatch.chdir(tmp_path)
    args = ["deps", ".", "--index-url", str(options.index_url), "--osv-url", options.osv_url,
            "--cache-dir", str(options.cache_dir), "--no-imports", "--format", "json"]
    assert cli.main([*args, "--write-baseline", "baseline.json"]) == 1
    assert cli.main([*args, "--baseline", "baseline.json"]) == 0
    # a new problem is still reported, even when the accepted lines moved
    (tmp_path / "requirements.txt").write_text("notreal-new==1.0\n\n" + SCENARIO)
    capsys.readouterr()
    assert cli.main([*args, "--baseline", "baseline.json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert [(f["rule"], f["line"]) for f in report["findings"]] == [("DEP002", 1)]
