"""The local advisory database: import, hostile archives, damaged files, interrupted updates."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from deps_servers import Server, archive_bytes, record

from distrust.deps import db
from distrust.errors import DepsError


def _records() -> list[dict[str, object]]:
    return [
        record("PYSEC-2021-1", "Django", aliases=["CVE-2021-1"], summary="SQL injection",
               events=[{"introduced": "0"}, {"fixed": "3.2.5"}]),
        record("GHSA-aaaa-bbbb-cccc", "django", aliases=["CVE-2021-1"],
               events=[{"introduced": "0"}, {"fixed": "3.2.5"}]),
        record("PYSEC-2020-9", "requests", events=[{"introduced": "0"}, {"fixed": "2.20.0"}]),
        record("PYSEC-2020-10", "requests", withdrawn="2021-01-01T00:00:00Z",
               events=[{"introduced": "0"}]),
    ]


def _archive(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.fixture
def imported(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "adv.sqlite3"
    archive = _archive(tmp_path, "PyPI.zip", archive_bytes(_records()))
    db.update(path, [db.Source("PyPI", str(archive), is_file=True)])
    yield path


def test_import_and_query(imported: Path) -> None:
    database = db.AdvisoryDB(imported)
    try:
        ids = sorted(a.id for a in database.advisories("PyPI", "DJANGO"))
        assert ids == ["GHSA-aaaa-bbbb-cccc", "PYSEC-2021-1"]
        assert [a.id for a in database.advisories("PyPI", "requests")] == ["PYSEC-2020-9"]
        assert database.advisories("PyPI", "flask") == []
        assert database.imported_at("PyPI").startswith("20")
        assert database.ecosystems() == ["PyPI"]
    finally:
        database.close()


def test_update_keeps_other_ecosystems(imported: Path, tmp_path: Path) -> None:
    npm = _archive(tmp_path, "npm.zip", archive_bytes([record(
        "GHSA-xxxx-yyyy-zzzz", "lodash", ecosystem="npm",
        events=[{"introduced": "0"}, {"fixed": "4.17.12"}])]))
    db.update(imported, [db.Source("npm", str(npm), is_file=True)])
    database = db.AdvisoryDB(imported)
    try:
        assert database.ecosystems() == ["PyPI", "npm"]
        assert len(database.advisories("PyPI", "django")) == 2
        assert len(database.advisories("npm", "lodash")) == 1
    finally:
        database.close()


def test_malformed_records_and_path_members_are_reported_and_skipped(tmp_path: Path) -> None:
    bad_shape = {"id": "PYSEC-BAD", "modified": "not a date"}
    data = archive_bytes(_records()[:1], extra={
        "broken.json": b"{not json",
        "shape.json": json.dumps(bad_shape).encode(),
        "../evil.json": json.dumps(_records()[2]).encode(),
        "sub/dir.json": json.dumps(_records()[2]).encode(),
        "README.txt": b"hello",
    })
    path = tmp_path / "adv.sqlite3"
    (report,) = db.update(path, [db.Source("PyPI", str(_archive(tmp_path, "PyPI.zip", data)),
                                           is_file=True)])
    assert report.records == 1
    assert sorted(m for m, _ in report.invalid) == ["broken.json", "shape.json"]
    assert {"../evil.json", "sub/dir.json", "README.txt"} <= set(report.ignored_names)
    database = db.AdvisoryDB(path)
    try:
        assert database.advisories("PyPI", "requests") == []
    finally:
        database.close()


def _bomb(size: int, members: int = 1) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(members):
            zf.writestr(f"R-{i}.json", b" " * size)
    return buffer.getvalue()


def test_zip_bomb_is_refused_and_previous_db_kept(imported: Path, tmp_path: Path) -> None:
    bomb = _archive(tmp_path, "bomb.zip", _bomb(64 * 1024 * 1024))
    assert bomb.stat().st_size < 1024 * 1024
    limits = db.Limits(max_total_bytes=16 * 1024 * 1024)
    with pytest.raises(DepsError, match="expand"):
        db.update(imported, [db.Source("PyPI", str(bomb), is_file=True)], limits)
    many = _archive(tmp_path, "many.zip", _bomb(1, members=50))
    with pytest.raises(DepsError, match="members"):
        db.update(imported, [db.Source("PyPI", str(many), is_file=True)],
                  db.Limits(max_members=10))
    database = db.AdvisoryDB(imported)
    try:
        assert len(database.advisories("PyPI", "django")) == 2
    finally:
        database.close()
    assert not [p for p in imported.parent.iterdir() if p.name.endswith(".new")]


def test_corrupt_archive_is_refused(imported: Path, tmp_path: Path) -> None:
    data = bytearray(archive_bytes(_records()))
    not_zip = _archive(tmp_path, "junk.zip", b"this is not a zip file at all")
    with pytest.raises(DepsError, match="not a readable zip"):
        db.update(imported, [db.Source("PyPI", str(not_zip), is_file=True)])
    # damage the compressed data of the first member (its header stays valid)
    data[60:80] = b"\x00" * 20
    damaged = _archive(tmp_path, "damaged.zip", bytes(data))
    with pytest.raises(DepsError, match=r"damaged|not a readable"):
        db.update(imported, [db.Source("PyPI", str(damaged), is_file=True)])
    database = db.AdvisoryDB(imported)
    try:
        assert len(database.advisories("PyPI", "django")) == 2
    finally:
        database.close()


def test_truncated_database_is_a_clear_error_and_update_rebuilds(imported: Path,
                                                                 tmp_path: Path) -> None:
    size = imported.stat().st_size
    with imported.open("r+b") as handle:
        handle.truncate(size // 3)
    with pytest.raises(DepsError, match=r"damaged|not a complete|db update"):
        database = db.AdvisoryDB(imported)
        try:
            database.advisories("PyPI", "django")
        finally:
            database.close()
    archive = _archive(tmp_path, "PyPI.zip", archive_bytes(_records()))
    db.update(imported, [db.Source("PyPI", str(archive), is_file=True)])
    database = db.AdvisoryDB(imported)
    try:
        assert len(database.advisories("PyPI", "django")) == 2
    finally:
        database.close()


def test_foreign_file_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "adv.sqlite3"
    path.write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    with pytest.raises(DepsError):
        db.AdvisoryDB(path)
    with pytest.raises(DepsError, match="db update"):
        db.AdvisoryDB(tmp_path / "missing.sqlite3")


def test_interrupted_update_leaves_previous_database(imported: Path, tmp_path: Path) -> None:
    many = [record(f"PYSEC-2099-{i}", f"pkg{i}", events=[{"introduced": "0"}])
            for i in range(50)]
    archive = _archive(tmp_path, "PyPI.zip", archive_bytes(many))

    def interrupt(count: int) -> None:
        if count == 20:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        db.update(imported, [db.Source("PyPI", str(archive), is_file=True)],
                  on_record=interrupt)
    database = db.AdvisoryDB(imported)
    try:
        assert len(database.advisories("PyPI", "django")) == 2
        assert database.advisories("PyPI", "pkg1") == []
    finally:
        database.close()
    assert not [p for p in imported.parent.iterdir() if p.name.endswith(".new")]


_KILL_SCRIPT = """
import sys, time
from pathlib import Path
from distrust.deps import db
marker = Path(sys.argv[3])
def slow(count):
    if count == 10:
        marker.write_text("reached")
        time.sleep(60)
db.update(Path(sys.argv[1]), [db.Source("PyPI", sys.argv[2], is_file=True)], on_record=slow)
"""


def test_killed_update_process_leaves_previous_database(imported: Path, tmp_path: Path) -> None:
    many = [record(f"PYSEC-2099-{i}", f"pkg{i}", events=[{"introduced": "0"}])
            for i in range(30)]
    archive = _archive(tmp_path, "PyPI.zip", archive_bytes(many))
    marker = tmp_path / "marker"
    proc = subprocess.Popen([sys.executable, "-c", _KILL_SCRIPT, str(imported), str(archive),
                             str(marker)])
    try:
        deadline = time.monotonic() + 30
        while not marker.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert marker.exists(), "the update never reached the point of interruption"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    database = db.AdvisoryDB(imported)
    try:
        assert len(database.advisories("PyPI", "django")) == 2
        assert database.advisories("PyPI", "pkg1") == []
    finally:
        database.close()
    # the killed update left its new file; the next update removes it once it is old
    (left,) = [p for p in imported.parent.iterdir() if p.name.endswith(".new")]
    os.utime(left, (time.time() - 2 * db.STALE_SECONDS,) * 2)
    db.update(imported, [db.Source("PyPI", str(archive), is_file=True)])
    assert not left.exists()
    database = db.AdvisoryDB(imported)
    try:
        assert len(database.advisories("PyPI", "pkg1")) == 1
    finally:
        database.close()


def test_download_from_server_and_cut_download(osv: Server, tmp_path: Path) -> None:
    osv.state.archives["PyPI"] = archive_bytes(_records())
    path = tmp_path / "adv.sqlite3"
    (report,) = db.update(path, [db.Source("PyPI", f"{osv.url}/archive/PyPI/all.zip")])
    assert report.records == 3 and report.withdrawn == 1
    with pytest.raises(DepsError, match="download"):
        db.update(path, [db.Source("PyPI", f"{osv.url}/archive/PyPI/cut.zip")],
                  db.Limits(download_timeout=5))
    with pytest.raises(DepsError, match="download"):
        db.update(path, [db.Source("PyPI", f"{osv.url}/archive/npm/all.zip")])
    database = db.AdvisoryDB(path)
    try:
        assert len(database.advisories("PyPI", "django")) == 2
    finally:
        database.close()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_names_import_for_offline_existence(tmp_path: Path) -> None:
    path = tmp_path / "adv.sqlite3"
    db.update(path, [], names={"PyPI": ["Django", "requests"]})
    database = db.AdvisoryDB(path)
    try:
        assert database.has_names("PyPI") and not database.has_names("npm")
        assert database.name_known("PyPI", "django")
        assert not database.name_known("PyPI", "reqeusts")
    finally:
        database.close()


def test_cli_db_update_from_url_template_and_status(
        osv: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from distrust import cli

    monkeypatch.chdir(tmp_path)
    osv.state.archives["PyPI"] = archive_bytes(_records())
    osv.state.archives["npm"] = archive_bytes([record(
        "GHSA-xxxx-yyyy-zzzz", "lodash", ecosystem="npm",
        events=[{"introduced": "0"}, {"fixed": "4.17.12"}])], extra={"x/../../up.json": b"{}"})
    path = tmp_path / "adv.sqlite3"
    assert cli.main(["db", "update", "--url", f"{osv.url}/archive/{{ecosystem}}/all.zip",
                     "--db", str(path)]) == 0
    err = capsys.readouterr().err
    assert "PyPI: 3 records" in err and "npm: 1 records" in err and "ignored" in err
    assert cli.main(["db", "status", "--db", str(path)]) == 0
    out = capsys.readouterr().out
    assert "PyPI: 3 advisories" in out and "npm: 1 advisories" in out
    # a failed update says why, exits 2, and leaves the database as it was
    osv.state.archives["PyPI"] = b"garbage"
    assert cli.main(["db", "update", "--ecosystem", "PyPI", "--url",
                     f"{osv.url}/archive/{{ecosystem}}/all.zip", "--db", str(path)]) == 2
    assert "not a readable zip" in capsys.readouterr().err
    assert cli.main(["db", "status", "--db", str(path)]) == 0
    assert "PyPI: 3 advisories" in capsys.readouterr().out
