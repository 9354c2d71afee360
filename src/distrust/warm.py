"""The warm path of a re-scan: when nothing that a scan reads has changed, its result comes back
from one signed cache entry, and nothing is parsed or analysed (nor are the rules, the parser or
the taint engine even imported).

A scan records a `Snapshot` of what it read: one digest over what file discovery listed and
skipped, and for each file its module names and its text as the scan decoded it (or the reason
it could not be read). The entry `scans/<key>` holds the snapshot with the scan's result; its key
covers everything else the result depends on: the tool (`cache.tool_digest`: version, Python,
every file of the package), the working folder and the roots, the rule selection, the
configuration and the dependency options.

`lookup` lists the files again, exactly as a scan does (`files.discover`), computes their module
names and the digest of each file's text: the result is used only when the digest of all of it
equals the snapshot's, so an edit, a new or deleted file, a changed `.gitignore` or a new
`__init__.py` above a file all mean a full scan. Content is the truth. A file is not read again
only when discovery sees exactly what it saw when the entry was written (size, modification
and change times, inode, device; the change time cannot be set by hand) and the file had not
changed for `RACY_NS` before that listing began, by the file system's own clock: a later
write then changes the change time, even on a file system with coarse timestamps. Its text
digest is then the one the entry holds.

The dependency check of `distrust scan` depends on the registries and advisory sources, which
change on their own, so its result is stored only for a tree that declares no dependency: no
file in scope is a manifest. `lookup` also lists every file in scope (`seen`), and the stored
dependency result is used only when that list is the same as when it was stored; otherwise the
check runs again.

Entries are signed and checked like every cache entry (`distrust.cache`); a corrupt, foreign or
stale one is ignored with a notice and rewritten by the scan that follows."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from distrust import cache, files
from distrust.config import Config
from distrust.errors import DistrustError
from distrust.model import Confidence, Notice, ScanResult, Severity, Skipped
from distrust.names import module_name, path_names

KIND = "scans"
SKIPPED_MARK = "skipped\0"
RACY_NS = 2_000_000_000  # files changed this close to a listing are always read again


@dataclass(frozen=True)
class Snapshot:
    """What a scan read, as one digest (`inputs_digest`), and whether text files were wanted
    (for the secret rules: discovery lists them then). `texts` (not stored) holds each file's
    text digest."""

    digest: str
    text_suffixes: bool
    texts: Mapping[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Deps:
    """The dependency check's result for a tree without manifests; `seen` is the digest of
    the files in scope when it was stored."""

    seen: str
    result: ScanResult
    unchecked: tuple[str, ...]


@dataclass(frozen=True)
class Entry:
    """A scan-level entry: the snapshot, the code scan's result (without the cache's own
    notices), its rule failures (rule, path, line, error), the dependency rules that were
    chosen, and the dependency result when it may be reused."""

    snapshot: Snapshot
    result: ScanResult
    failures: tuple[tuple[str, str, int, str], ...]
    deps_rules: tuple[str, ...]
    deps: Deps | None
    known: Mapping[str, tuple[tuple[int, ...], str]] = field(default_factory=dict)
    """Files whose text need not be read again: relpath → (signature, text digest)."""


@dataclass(frozen=True)
class Probe:
    """What `lookup` found: the entry when it still holds (`hit`), the files in scope
    (sorted) when it was asked to list them (`seen`), the files discovery listed, and the file
    system's time before it listed them (None when it could not be read)."""

    hit: Entry | None
    seen: tuple[str, ...] | None
    found: tuple[files.SourceFile, ...] = ()
    clock: int | None = None


def text_digest(text: str | Skipped) -> str:
    """The digest of a file's text as a scan decoded it, or the reason it was skipped."""
    if isinstance(text, Skipped):
        return SKIPPED_MARK + text.reason
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def snapshot(python: Sequence[tuple[str, str | Skipped, str, bool, tuple[str, ...]]],
             texts: Sequence[tuple[str, str]], skipped: Sequence[Skipped],
             text_suffixes: bool) -> Snapshot | None:
    """The snapshot of a scan: `python` holds (relpath, text, name, is_package, aliases) in the
    scan's order, `texts` holds (relpath, text_digest), `skipped` what discovery skipped.
    None when a text file's digest is missing."""
    if any(not digest for _, digest in texts):
        return None
    rows = [[relpath, "python", text_digest(text), name, is_package, list(aliases)]
            for relpath, text, name, is_package, aliases in python]
    rows.extend([relpath, "text", digest, "", False, []] for relpath, digest in texts)
    return Snapshot(inputs_digest(rows, skipped), text_suffixes,
                    {str(row[0]): str(row[2]) for row in rows})


def inputs_digest(rows: Sequence[Sequence[object]], skipped: Sequence[Skipped]) -> str:
    """One digest over the files a scan reads (`rows`: relpath, kind, text digest, module name,
    is_package, aliases) and what discovery skipped."""
    data = json.dumps([rows, [[s.path, s.reason] for s in skipped]], ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8", "surrogatepass")).hexdigest()


def settings(config: Config) -> str:
    """The configuration as far as it decides results (here and in `scan.cache_salt`): not
    the settings that only choose files by path, workers, output and thresholds."""
    return repr(replace(config, source="", paths=(), jobs=None, baseline=None, cache_dir=None,
                        min_severity=Severity.LOW, min_confidence=Confidence.LOW))


def entry_key(*, cwd: str, roots: Sequence[str], select: Sequence[str],
              ignore: Sequence[str], config: Config, deps: str) -> str:
    """The key of the scan-level entry: everything but the files that decides the result.
    `deps` says how dependencies are checked (or that they are not)."""
    return cache.digest("scan", cache.tool_digest(), cwd, "\0".join(roots), ",".join(select),
                        ",".join(ignore), settings(config), deps)


def lookup(store: cache.Cache, key: str, roots: Sequence[Path], config: Config, *,
           want_seen: bool) -> Probe:
    """The entry `key` when the files are still those it was written for. `want_seen`: also
    list every file in scope (for the dependency result), even when there is no entry."""
    entry = store.get_decoded(KIND, key, decode)
    seen: list[str] | None = [] if want_seen else None
    want_text = entry.snapshot.text_suffixes if entry is not None else False
    clock = fs_clock(store.root)
    try:
        found, skipped = files.discover(roots, exclude=config.exclude,
                                        max_bytes=config.max_file_size,
                                        suffixes=files.TEXT_SUFFIXES if want_text else None,
                                        seen=seen)
    except (DistrustError, ValueError):
        return Probe(None, None)  # the scan that follows reports it
    listed = None if seen is None else tuple(sorted(seen))
    if entry is None or not _unchanged(entry, found, skipped, config.max_file_size):
        return Probe(None, listed, tuple(found), clock)
    if entry.deps is not None and (
            listed is None or not hmac.compare_digest(entry.deps.seen, seen_digest(listed))):
        entry = replace(entry, deps=None)
    return Probe(entry, listed, tuple(found), clock)


def fs_clock(folder: Path) -> int | None:
    """The file system's time now, in ns: the change time of a new file made (and removed)
    in `folder`; None when no file can be made there."""
    path = folder / f".clock-{os.urandom(8).hex()}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0),
                     0o600)
    except OSError:
        return None
    try:
        return os.fstat(fd).st_ctime_ns
    except OSError:
        return None
    finally:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(path)


def known_files(probe: Probe, snap: Snapshot) -> dict[str, tuple[tuple[int, ...], str]]:
    """The files of `snap` that a later lookup need not read: listed by the probe (before the
    scan read them) with a signature, and unchanged for `RACY_NS` before the probe's clock."""
    if probe.clock is None:
        return {}
    limit = probe.clock - RACY_NS
    known: dict[str, tuple[tuple[int, ...], str]] = {}
    for file in probe.found:
        sig = file.signature
        digest = snap.texts.get(file.relpath)
        if len(sig) == 5 and digest is not None and max(sig[1], sig[2]) < limit:
            known[file.relpath] = (sig, digest)
    return known


def seen_digest(seen: Sequence[str]) -> str:
    data = json.dumps(list(seen), ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8", "surrogatepass")).hexdigest()


def _unchanged(entry: Entry, found: list[files.SourceFile], skipped: list[Skipped],
               max_bytes: int) -> bool:
    """Whether a scan of `found` now would read what the entry's snapshot records."""
    known = entry.known

    def digest(file: files.SourceFile) -> str:
        seen = known.get(file.relpath)
        if seen is not None and seen[0] == file.signature:
            return seen[1]
        return text_digest(files.read_text(file, max_bytes))

    packages: dict[str, list[str]] = {}
    rows: list[list[object]] = []
    for file in found:
        if file.kind == "python":
            name, is_package = module_name(file.path, packages)
            rows.append([file.relpath, "python", digest(file), name, is_package,
                         list(path_names(file.relpath, name))])
    rows.extend([file.relpath, "text", digest(file), "", False, []]
                for file in found if file.kind != "python")
    return hmac.compare_digest(inputs_digest(rows, skipped), entry.snapshot.digest)


def store_entry(store: cache.Cache, key: str, entry: Entry) -> None:
    store.put_encoded(KIND, key, encode(entry))


# --- JSON codec, checked field by field --------------------------------------------------------


def encode(entry: Entry) -> dict[str, Any]:
    return {
        "inputs": entry.snapshot.digest,
        "text_suffixes": entry.snapshot.text_suffixes,
        "result": _result_json(entry.result),
        "failures": [list(f) for f in entry.failures],
        "deps_rules": list(entry.deps_rules),
        "deps": None if entry.deps is None else {
            "seen": entry.deps.seen, "result": _result_json(entry.deps.result),
            "unchecked": list(entry.deps.unchecked)},
        "known": {path: [*sig, digest] for path, (sig, digest) in entry.known.items()},
    }


def decode(data: dict[str, Any]) -> Entry:
    """The entry in `data`; CorruptEntry (or KeyError, TypeError, ValueError) when it is not
    one."""
    deps = data["deps"]
    return Entry(
        Snapshot(_str(data["inputs"]), _bool(data["text_suffixes"])),
        _result(data["result"]),
        tuple(_failure(f) for f in _list(data["failures"])),
        tuple(_str(c) for c in _list(data["deps_rules"])),
        None if deps is None else Deps(_str(_dict(deps)["seen"]), _result(deps["result"]),
                                       tuple(_str(u) for u in _list(deps["unchecked"]))),
        {_str(path): _known(item) for path, item in _dict(data["known"]).items()},
    )


def _known(data: object) -> tuple[tuple[int, ...], str]:
    item = _list(data)
    if len(item) != 6 or not all(isinstance(n, int) and not isinstance(n, bool)
                                 for n in item[:5]):
        raise cache.CorruptEntry("bad file record")
    return tuple(item[:5]), _str(item[5])


def _result_json(result: ScanResult) -> dict[str, Any]:
    return {
        "findings": [cache.finding_to_json(f) for f in result.findings],
        "skipped": [[s.path, s.reason] for s in result.skipped],
        "files_scanned": result.files_scanned,
        "notices": [n.message for n in result.notices],
    }


def _result(data: object) -> ScanResult:
    d = _dict(data)
    count = d["files_scanned"]
    if not isinstance(count, int) or isinstance(count, bool):
        raise cache.CorruptEntry("expected a number")
    return ScanResult(tuple(cache.finding_from_json(f) for f in _list(d["findings"])),
                      tuple(_skipped(s) for s in _list(d["skipped"])), count,
                      tuple(Notice(_str(n)) for n in _list(d["notices"])))


def _skipped(data: object) -> Skipped:
    pair = _list(data)
    if len(pair) != 2:
        raise cache.CorruptEntry("bad skipped record")
    return Skipped(_str(pair[0]), _str(pair[1]))


def _failure(data: object) -> tuple[str, str, int, str]:
    item = _list(data)
    if len(item) != 4 or not isinstance(item[2], int) or isinstance(item[2], bool):
        raise cache.CorruptEntry("bad failure record")
    return _str(item[0]), _str(item[1]), item[2], _str(item[3])


def _dict(value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise cache.CorruptEntry("expected an object")
    return value


def _list(value: object) -> list[Any]:
    if not isinstance(value, list):
        raise cache.CorruptEntry("expected a list")
    return value


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise cache.CorruptEntry("expected a string")
    return value


def _bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise cache.CorruptEntry("expected true or false")
    return value
