"""The local advisory database: SQLite built from OSV's per-ecosystem export archives.

An update builds a new file beside the old one and moves it into place in one step, so an
interrupted update leaves the previous database as it was. Archives are hostile input: their
member count and uncompressed size are bounded, member names with path parts are ignored,
and records that are not valid JSON or do not have the OSV shape are reported and skipped."""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
import time
import urllib.parse
import urllib.request
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from distrust.deps.http import USER_AGENT, FetchError, redact, split_credentials
from distrust.deps.osv import InvalidRecord, from_compact, parse_record, to_compact
from distrust.deps.types import Advisory, normalise
from distrust.errors import DepsError

SCHEMA_VERSION = "2"
DEFAULT_ARCHIVE_URL = "https://osv-vulnerabilities.storage.googleapis.com/{ecosystem}/all.zip"
ECOSYSTEMS = ("PyPI", "npm")


@dataclass(frozen=True)
class Limits:
    max_members: int = 1_000_000
    max_total_bytes: int = 4 * 1024**3
    max_member_bytes: int = 16 * 1024**2
    max_download_bytes: int = 2 * 1024**3
    download_timeout: float = 600.0


@dataclass
class ImportReport:
    ecosystem: str
    source: str
    records: int = 0
    withdrawn: int = 0
    ignored_names: list[str] = field(default_factory=list)
    invalid: list[tuple[str, str]] = field(default_factory=list)


def default_db_path(cache_dir: Path) -> Path:
    explicit = os.environ.get("DISTRUST_DB")
    return Path(explicit) if explicit else cache_dir / "advisories.sqlite3"


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS advisories (
    id TEXT PRIMARY KEY, modified TEXT NOT NULL, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS packages (
    ecosystem TEXT NOT NULL, name TEXT NOT NULL, id TEXT NOT NULL,
    PRIMARY KEY (ecosystem, name, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS names (
    ecosystem TEXT NOT NULL, name TEXT NOT NULL, PRIMARY KEY (ecosystem, name)) WITHOUT ROWID;
"""


class AdvisoryDB:
    """Read access to a database file. Opening a missing, truncated or foreign file raises
    DepsError with what to do."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if not path.is_file():
            raise DepsError(f"no local advisory database at {path}: run `distrust db update`")
        try:
            uri = Path(path).resolve().as_uri() + "?mode=ro"
            self.conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
            rows = dict(self.conn.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.Error as err:
            raise DepsError(f"the local advisory database {path} is damaged ({err}): "
                            "run `distrust db update` to rebuild it") from None
        if rows.get("schema_version") != SCHEMA_VERSION or rows.get("complete") != "1":
            self.conn.close()
            raise DepsError(f"{path} is not a complete distrust advisory database: "
                            "run `distrust db update`")
        self.meta: dict[str, str] = rows

    def close(self) -> None:
        self.conn.close()

    def imported_at(self, ecosystem: str) -> str:
        return self.meta.get(f"imported:{ecosystem}", "")

    def ecosystems(self) -> list[str]:
        return sorted(k.split(":", 1)[1] for k in self.meta if k.startswith("imported:"))

    def advisories(self, ecosystem: str, name: str) -> list[Advisory]:
        try:
            rows = self.conn.execute(
                "SELECT a.record FROM packages p JOIN advisories a ON a.id = p.id "
                "WHERE p.ecosystem = ? AND p.name = ?",
                (ecosystem, normalise(ecosystem, name)),
            ).fetchall()
        except sqlite3.Error as err:
            raise DepsError(f"the local advisory database {self.path} is damaged ({err}): "
                            "run `distrust db update` to rebuild it") from None
        out = []
        for (text,) in rows:
            try:
                out.append(from_compact(json.loads(text)))
            except (ValueError, InvalidRecord):
                continue
        return out

    def has_names(self, ecosystem: str) -> bool:
        return f"names:{ecosystem}" in self.meta

    def name_known(self, ecosystem: str, name: str) -> bool:
        try:
            row = self.conn.execute("SELECT 1 FROM names WHERE ecosystem = ? AND name = ?",
                                    (ecosystem, normalise(ecosystem, name))).fetchone()
        except sqlite3.Error as err:
            raise DepsError(f"the local advisory database {self.path} is damaged ({err})"
                            ) from None
        return row is not None


def _safe_member(name: str) -> bool:
    return bool(name) and "/" not in name and "\\" not in name and ".." not in name \
        and ":" not in name and not name.startswith(".")


def read_archive(path: Path, limits: Limits, report: ImportReport,
                 on_record: Callable[[int], None] | None = None
                 ) -> Iterable[tuple[Advisory, str]]:
    """The valid records of an export archive with their compact JSON text."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as err:
        raise DepsError(f"{report.source} is not a readable zip archive: {err}") from None
    with archive:
        members = archive.infolist()
        if len(members) > limits.max_members:
            raise DepsError(f"{report.source} has {len(members)} members, over the limit of "
                            f"{limits.max_members}: refused")
        declared = sum(m.file_size for m in members)
        if declared > limits.max_total_bytes:
            raise DepsError(f"{report.source} would expand to {declared} bytes, over the limit of "
                            f"{limits.max_total_bytes}: refused")
        total = 0
        for member in members:
            if member.is_dir():
                continue
            if not _safe_member(member.filename):
                report.ignored_names.append(member.filename)
                continue
            if not member.filename.endswith(".json"):
                report.ignored_names.append(member.filename)
                continue
            if member.file_size > limits.max_member_bytes:
                report.invalid.append((member.filename, "record larger than the limit"))
                continue
            try:
                with archive.open(member) as handle:
                    data = handle.read(limits.max_member_bytes + 1)
            except (zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error,
                    RuntimeError) as err:
                raise DepsError(f"{report.source} is damaged at {member.filename}: {err}"
                                ) from None
            except NotImplementedError as err:
                raise DepsError(f"{report.source}: {err}") from None
            total += len(data)
            if total > limits.max_total_bytes:
                raise DepsError(f"{report.source} expands past the limit of "
                                f"{limits.max_total_bytes} bytes: refused")
            if len(data) > limits.max_member_bytes:
                report.invalid.append((member.filename, "record larger than the limit"))
                continue
            try:
                raw = json.loads(data)
                advisory = parse_record(raw)
            except InvalidRecord as err:
                report.invalid.append((member.filename, str(err)))
                continue
            except (ValueError, RecursionError) as err:
                report.invalid.append((member.filename, f"not valid JSON: {err}"))
                continue
            if advisory.withdrawn:
                report.withdrawn += 1
                continue
            report.records += 1
            if on_record is not None:
                on_record(report.records)
            yield advisory, json.dumps(to_compact(advisory), separators=(",", ":"))


def download(url: str, folder: Path, limits: Limits) -> Path:
    """Fetch an archive into a temporary file in `folder`, bounded in size and time."""
    clean, auth = split_credentials(url)
    scheme = urllib.parse.urlsplit(clean).scheme
    if scheme == "file":
        return Path(urllib.request.url2pathname(urllib.parse.urlsplit(clean).path))
    if scheme not in ("http", "https"):
        raise DepsError(f"unsupported archive URL {redact(url)}")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".download-", suffix=".zip")
    deadline = time.monotonic() + limits.download_timeout
    try:
        # The archive URL is the user's own setting (option, environment or default).
        hdrs = {"User-Agent": USER_AGENT, **auth}
        req = urllib.request.Request(clean, headers=hdrs)  # distrust: ignore[SSRF001] user's URL
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(
            req, timeout=min(60.0, limits.download_timeout)
        ) as response:
            size = 0
            while True:
                if time.monotonic() > deadline:
                    raise FetchError(f"{redact(url)}: download not finished within "
                                     f"{limits.download_timeout:g} s")
                chunk = response.read(1 << 20)
                if not chunk:
                    break
                size += len(chunk)
                if size > limits.max_download_bytes:
                    raise FetchError(f"{redact(url)}: archive over {limits.max_download_bytes} "
                                     "bytes")
                out.write(chunk)
            expected = response.headers.get("Content-Length")
            if expected and expected.isdigit() and int(expected) != size:
                raise FetchError(f"{redact(url)}: download cut short ({size} of {expected} "
                                 "bytes)")
    except (FetchError, OSError, ValueError) as err:
        Path(tmp).unlink(missing_ok=True)
        raise DepsError(f"could not download {redact(url)}: {getattr(err, 'reason', err)}"
                        ) from None
    return Path(tmp)


@dataclass(frozen=True)
class Source:
    """One archive to import: a URL or a local file, and the ecosystem it holds."""

    ecosystem: str
    location: str
    is_file: bool = False


def update(db_path: Path, sources: list[Source], limits: Limits | None = None,
           names: dict[str, list[str]] | None = None,
           on_record: Callable[[int], None] | None = None) -> list[ImportReport]:
    """Build a new database holding the previous one's other ecosystems and the records of
    `sources`, then move it into place atomically."""
    limits = limits or Limits()
    db_path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale(db_path)
    fd, tmp_name = tempfile.mkstemp(dir=db_path.parent, prefix=f".{db_path.name}.", suffix=".new")
    os.close(fd)
    tmp = Path(tmp_name)
    downloads: list[Path] = []
    reports: list[ImportReport] = []
    try:
        conn = sqlite3.connect(tmp)
        try:
            _copy_previous(db_path, conn)
            conn.executescript(_SCHEMA)
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('complete', '0')")
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)",
                         (SCHEMA_VERSION,))
            for source in sources:
                path = Path(source.location) if source.is_file else download(
                    source.location, db_path.parent, limits)
                if not source.is_file and path.name.startswith(".download-"):
                    downloads.append(path)
                shown = str(source.location) if source.is_file else redact(source.location)
                report = ImportReport(source.ecosystem, shown)
                _import(conn, source.ecosystem, read_archive(path, limits, report, on_record))
                conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                             (f"imported:{source.ecosystem}", _now()))
                conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                             (f"source:{source.ecosystem}", shown))
                reports.append(report)
            for ecosystem, listed in (names or {}).items():
                conn.execute("DELETE FROM names WHERE ecosystem = ?", (ecosystem,))
                conn.executemany("INSERT OR IGNORE INTO names VALUES (?, ?)",
                                 ((ecosystem, normalise(ecosystem, n)) for n in listed if n))
                conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                             (f"names:{ecosystem}", _now()))
            conn.execute("DELETE FROM advisories WHERE id NOT IN (SELECT id FROM packages)")
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('complete', '1')")
            conn.commit()
        finally:
            conn.close()
        with tmp.open("rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, db_path)
    finally:
        tmp.unlink(missing_ok=True)
        for path in downloads:
            path.unlink(missing_ok=True)
    return reports


STALE_SECONDS = 24 * 3600


def _remove_stale(db_path: Path) -> None:
    """Files a killed update left behind (a new database or a download never moved into
    place), once they are a day old: a younger one may belong to an update still running."""
    now = time.time()
    for pattern in (f".{db_path.name}.*.new", ".download-*.zip"):
        for path in db_path.parent.glob(pattern):
            try:
                if now - path.stat().st_mtime > STALE_SECONDS:
                    path.unlink()
            except OSError:
                continue


def _copy_previous(db_path: Path, conn: sqlite3.Connection) -> None:
    """Start from the previous database when it is usable; a damaged one is rebuilt."""
    try:
        previous = AdvisoryDB(db_path)
    except DepsError:
        return
    try:
        previous.conn.backup(conn)
    except sqlite3.Error:
        conn.executescript("DROP TABLE IF EXISTS meta; DROP TABLE IF EXISTS advisories; "
                           "DROP TABLE IF EXISTS packages; DROP TABLE IF EXISTS names;")
    finally:
        previous.close()


def _import(conn: sqlite3.Connection, ecosystem: str,
            records: Iterable[tuple[Advisory, str]]) -> None:
    conn.execute("DELETE FROM packages WHERE ecosystem = ?", (ecosystem,))
    batch_adv: list[tuple[str, str, str]] = []
    batch_pkg: list[tuple[str, str, str]] = []
    for advisory, text in records:
        batch_adv.append((advisory.id, advisory.modified, text))
        for entry in advisory.affected:
            if entry.ecosystem == ecosystem and entry.name:
                batch_pkg.append((ecosystem, normalise(ecosystem, entry.name), advisory.id))
        if len(batch_adv) >= 2000:
            _flush(conn, batch_adv, batch_pkg)
    _flush(conn, batch_adv, batch_pkg)


def _flush(conn: sqlite3.Connection, adv: list[tuple[str, str, str]],
           pkg: list[tuple[str, str, str]]) -> None:
    conn.executemany("INSERT OR REPLACE INTO advisories VALUES (?, ?, ?)", adv)
    conn.executemany("INSERT OR IGNORE INTO packages VALUES (?, ?, ?)", pkg)
    adv.clear()
    pkg.clear()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
