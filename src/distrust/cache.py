"""The scan cache: content-addressed results, so that an unchanged re-scan parses nothing.

Two kinds of entries, each one JSON file named by its key (a SHA-256 digest):

- `files/ab/<key>.json`: what the pattern rules found in one Python file (findings, rule
  failures, or the reason it was skipped, and whether it parsed). The key covers the file's
  text, its path and module name, and the scan's salt.
- `taint/ab/<key>.json`: the taint engine's findings, notices and failures for the whole
  project. The key covers the keys of every Python file of the scan: any edit re-runs it.

The salt covers the tool (its version and the digest of its own source), the Python version,
the selected rules and the configuration, so an entry written under other rules or another
configuration is never read. The cache directory is part of the scanned project, which is
hostile input: entries are JSON (never pickle), start with a format header, carry their own key
and kind, and are checked field by field when read; an entry that fails any check is ignored,
rebuilt, and reported as a `Notice`. Each entry is signed (HMAC-SHA-256) with a key kept outside
the project, in the user's cache folder: entries that came with the project (committed, or
planted to hide a finding) fail the check and are rebuilt. Writes go to a temporary file in the
same directory and are moved into place with `os.replace`, so concurrent scans of one project
only ever see whole entries."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from distrust import __version__
from distrust.model import (
    Confidence,
    Edit,
    Finding,
    Fix,
    Location,
    Notice,
    Severity,
    Skipped,
    Step,
)

FORMAT = "distrust-cache"
FORMAT_VERSION = 1
DEFAULT_DIR = ".distrust/cache"
MAX_ENTRY_BYTES = 64 * 1024 * 1024

T = TypeVar("T")


class CorruptEntry(ValueError):
    """An entry that does not hold what this version writes."""


@dataclass(frozen=True)
class FileEntry:
    """The pattern-rule result of one Python file. `failures` are (rule, line, error)."""

    parsed: bool
    skipped: Skipped | None
    findings: tuple[Finding, ...]
    failures: tuple[tuple[str, int, str], ...]


@dataclass(frozen=True)
class TaintEntry:
    """The taint result of the project. `failures` are (path, line, message)."""

    findings: tuple[Finding, ...]
    notices: tuple[Notice, ...]
    failures: tuple[tuple[str, int, str], ...]


@cache
def tool_digest() -> str:
    """A digest of this installation of distrust: its version and every file of its package,
    so that a changed rule or engine never reads results another build wrote."""
    h = hashlib.sha256(f"{__version__}\0{sys.version}\0".encode())
    base = os.path.dirname(os.path.abspath(__file__))
    stack = [base]
    files: list[tuple[str, bytes]] = []
    while stack:
        with os.scandir(stack.pop()) as entries:
            for item in entries:
                if item.is_dir():
                    if item.name != "__pycache__":
                        stack.append(item.path)
                elif item.name.endswith((".py", ".json", ".md", ".toml", ".txt")):
                    with open(item.path, "rb") as handle:
                        files.append((item.path, handle.read()))
    for name, data in sorted(files):
        h.update(name.removeprefix(base).encode("utf-8", "surrogateescape") + b"\0")
        h.update(hashlib.sha256(data).digest())
    return h.hexdigest()


def digest(*parts: str) -> str:
    h = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8", "surrogatepass")
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()


def key_folder() -> Path:
    """Where the signing key lives: the user's cache folder, never the scanned project."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "distrust"


def signing_key(folder: Path | None = None) -> bytes:
    """This user's key for signing cache entries, made on first use (32 random bytes; made
    with a hard link from a whole temporary file, so concurrent first scans agree on one)."""
    folder = folder or key_folder()
    path = folder / "cache-key"
    try:
        with open(path, "rb") as handle:
            key = handle.read(1024)
        if len(key) == 32:
            return key
    except FileNotFoundError:
        pass
    import tempfile

    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-key-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(os.urandom(32))
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    with open(path, "rb") as handle:
        key = handle.read(1024)
    if len(key) != 32:
        raise OSError(f"{path}: not a cache key (remove it to make a new one)")
    return key


class Cache:
    """One scan's view of the cache directory `root`, for results computed under `salt`."""

    def __init__(self, root: Path, salt: str, key: bytes | None = None) -> None:
        self.root = root
        self.salt = salt
        self.notices: list[Notice] = []
        self.hits = 0
        self.misses = 0
        self._write_failed = False
        self._disabled = False
        if key is None:
            try:
                key = signing_key()
            except OSError as err:
                self._disabled = True
                self.notices.append(Notice(
                    f"cache: no signing key ({err.strerror or err}); results are not cached"))
        self._key = key or b""

    # --- keys

    def file_key(self, relpath: str, name: str, is_package: bool, aliases: Sequence[str],
                 text: str) -> str:
        return digest("file", self.salt, relpath, name, str(is_package), "\0".join(aliases),
                      text)

    def taint_key(self, file_keys: Iterable[str]) -> str:
        return digest("taint", self.salt, *sorted(file_keys))

    # --- entries

    def get_file(self, key: str) -> FileEntry | None:
        data = self._read("files", key)
        if data is None:
            return None
        try:
            entry = _file_entry(data)
        except (CorruptEntry, KeyError, TypeError, ValueError) as err:
            self._corrupt("files", key, str(err))
            return None
        self.hits += 1
        return entry

    def put_file(self, key: str, entry: FileEntry) -> None:
        self._write("files", key, {
            "parsed": entry.parsed,
            "skipped": None if entry.skipped is None else [entry.skipped.path,
                                                            entry.skipped.reason],
            "findings": [finding_to_json(f) for f in entry.findings],
            "failures": [list(f) for f in entry.failures],
        })

    def get_taint(self, key: str) -> TaintEntry | None:
        data = self._read("taint", key)
        if data is None:
            return None
        try:
            entry = TaintEntry(
                tuple(finding_from_json(f) for f in as_list(data["findings"])),
                tuple(Notice(as_str(n)) for n in as_list(data["notices"])),
                tuple(_failure(f) for f in as_list(data["failures"])),
            )
        except (CorruptEntry, KeyError, TypeError, ValueError) as err:
            self._corrupt("taint", key, str(err))
            return None
        self.hits += 1
        return entry

    def put_taint(self, key: str, entry: TaintEntry) -> None:
        self._write("taint", key, {
            "findings": [finding_to_json(f) for f in entry.findings],
            "notices": [n.message for n in entry.notices],
            "failures": [list(f) for f in entry.failures],
        })

    def get_decoded(self, kind: str, key: str, decode: Callable[[dict[str, Any]], T]
                    ) -> T | None:
        """The entry `kind/key` read with `decode`, or None; an entry `decode` rejects
        (CorruptEntry, KeyError, TypeError, ValueError) is ignored with a notice."""
        data = self._read(kind, key)
        if data is None:
            return None
        try:
            value = decode(data)
        except (CorruptEntry, KeyError, TypeError, ValueError) as err:
            self._corrupt(kind, key, str(err))
            return None
        self.hits += 1
        return value

    def put_encoded(self, kind: str, key: str, body: dict[str, Any]) -> None:
        self._write(kind, key, body)

    # --- storage

    def path(self, kind: str, key: str) -> Path:
        return self.root / kind / key[:2] / f"{key}.json"

    def _mac(self, kind: str, key: str, body: str) -> str:
        return hmac.new(self._key, f"{kind}\0{key}\0{body}".encode("ascii"),
                        hashlib.sha256).hexdigest()

    def _read(self, kind: str, key: str) -> dict[str, Any] | None:
        if self._disabled:
            return None
        path = self.path(kind, key)
        try:
            with open(path, "rb") as handle:
                raw = handle.read(MAX_ENTRY_BYTES + 1)
        except FileNotFoundError:
            self.misses += 1
            return None
        except OSError as err:
            self._corrupt(kind, key, f"cannot be read ({err.strerror or err})")
            return None
        try:
            if len(raw) > MAX_ENTRY_BYTES:
                raise CorruptEntry("too large")
            data = json.loads(raw.decode("utf-8"))
            if not isinstance(data, dict):
                raise CorruptEntry("not an object")
            if data.get("format") != FORMAT or data.get("version") != FORMAT_VERSION:
                raise CorruptEntry("written by another tool or format version")
            if data.get("kind") != kind or data.get("key") != key:
                raise CorruptEntry("its key does not match its name")
            text = data.get("data")
            mac = data.get("mac")
            if not isinstance(text, str) or not isinstance(mac, str):
                raise CorruptEntry("no data")
            if not hmac.compare_digest(mac, self._mac(kind, key, text)):
                raise CorruptEntry("not written by this user's scans")
            body = json.loads(text)
            if not isinstance(body, dict):
                raise CorruptEntry("no data")
        except (CorruptEntry, UnicodeDecodeError, ValueError, RecursionError) as err:
            self._corrupt(kind, key, str(err) or type(err).__name__)
            return None
        return body

    def _write(self, kind: str, key: str, body: dict[str, Any]) -> None:
        if self._write_failed or self._disabled:
            return
        path = self.path(kind, key)
        inner = json.dumps(body, ensure_ascii=True, separators=(",", ":"))
        text = json.dumps({"format": FORMAT, "version": FORMAT_VERSION, "kind": kind,
                           "key": key, "mac": self._mac(kind, key, inner), "data": inner},
                          ensure_ascii=True, separators=(",", ":"))
        import tempfile

        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=path.parent)
            try:
                with os.fdopen(fd, "w", encoding="ascii") as handle:
                    handle.write(text)
                os.replace(tmp, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError as err:
            self._write_failed = True
            self.notices.append(Notice(
                f"cache: cannot write to {self.root} ({err.strerror or err}); results are "
                "not cached"))

    def _corrupt(self, kind: str, key: str, why: str) -> None:
        self.misses += 1
        self.notices.append(Notice(
            f"cache: ignored an unreadable entry {kind}/{key[:2]}/{key}.json ({why}); rebuilt"))


# --- JSON codec of findings: explicit, checked field by field --------------------------------


def finding_to_json(f: Finding) -> dict[str, Any]:
    return {
        "rule": f.rule, "name": f.name, "message": f.message,
        "severity": int(f.severity), "confidence": int(f.confidence),
        "location": location_to_json(f.location), "snippet": f.snippet,
        "fingerprint": f.fingerprint,
        "steps": [[location_to_json(s.location), s.note] for s in f.steps],
        "cwe": f.cwe, "suppressed": f.suppressed, "justification": f.justification,
        "fix": None if f.fix is None else {
            "description": f.fix.description,
            "edits": [[e.path, e.line, e.column, e.end_line, e.end_column, e.text]
                      for e in f.fix.edits],
        },
        "ai_authored": f.ai_authored,
    }


def finding_from_json(data: object) -> Finding:
    d = as_dict(data)
    fix = d["fix"]
    cwe = d["cwe"]
    ai = d["ai_authored"]
    return Finding(
        rule=as_str(d["rule"]), name=as_str(d["name"]), message=as_str(d["message"]),
        severity=Severity(as_int(d["severity"])), confidence=Confidence(as_int(d["confidence"])),
        location=location_from_json(d["location"]), snippet=as_str(d["snippet"]),
        fingerprint=as_str(d["fingerprint"]),
        steps=tuple(step_from_json(s) for s in as_list(d["steps"])),
        cwe=None if cwe is None else as_int(cwe),
        suppressed=as_bool(d["suppressed"]), justification=as_str(d["justification"]),
        fix=None if fix is None else Fix(
            as_str(as_dict(fix)["description"]),
            tuple(_edit(e) for e in as_list(as_dict(fix)["edits"]))),
        ai_authored=None if ai is None else as_bool(ai),
    )


def _file_entry(d: dict[str, Any]) -> FileEntry:
    skipped = d["skipped"]
    if skipped is not None:
        pair = as_list(skipped)
        if len(pair) != 2:
            raise CorruptEntry("bad skipped record")
        skipped = Skipped(as_str(pair[0]), as_str(pair[1]))
    return FileEntry(
        as_bool(d["parsed"]), skipped,
        tuple(finding_from_json(f) for f in as_list(d["findings"])),
        tuple(_rule_failure(f) for f in as_list(d["failures"])),
    )


def location_to_json(loc: Location) -> list[object]:
    return [loc.path, loc.line, loc.column, loc.end_line, loc.end_column]


def location_from_json(data: object) -> Location:
    items = as_list(data)
    if len(items) != 5:
        raise CorruptEntry("bad location")
    return Location(as_str(items[0]), as_int(items[1]), as_int(items[2]), as_int(items[3]),
                    as_int(items[4]))


def step_from_json(data: object) -> Step:
    items = as_list(data)
    if len(items) != 2:
        raise CorruptEntry("bad step")
    return Step(location_from_json(items[0]), as_str(items[1]))


def _edit(data: object) -> Edit:
    items = as_list(data)
    if len(items) != 6:
        raise CorruptEntry("bad edit")
    return Edit(as_str(items[0]), as_int(items[1]), as_int(items[2]), as_int(items[3]),
                as_int(items[4]), as_str(items[5]))


def _failure(data: object) -> tuple[str, int, str]:
    items = as_list(data)
    if len(items) != 3:
        raise CorruptEntry("bad failure record")
    return as_str(items[0]), as_int(items[1]), as_str(items[2])


_rule_failure = _failure


def as_dict(value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise CorruptEntry("expected an object")
    return value


def as_list(value: object) -> list[Any]:
    if not isinstance(value, list):
        raise CorruptEntry("expected a list")
    return value


def as_str(value: object) -> str:
    if not isinstance(value, str):
        raise CorruptEntry("expected a string")
    return value


def as_int(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise CorruptEntry("expected a number")
    return value


def as_bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise CorruptEntry("expected true or false")
    return value
