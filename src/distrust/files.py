"""Which files a scan reads, and reading them safely.

`discover(roots)` lists the files of a scan as `SourceFile` values and every file it would have
scanned but cannot as a `Skipped` record with a reason. `read_text(file)` returns the decoded text
of one file or a `Skipped`. Scanned trees are hostile input: nothing here hangs, recurses without
bound, or raises on a bad file.

Paths shown to the user (`SourceFile.relpath`, `Skipped.path`) are POSIX paths relative to one
*base* directory, chosen once per scan:

- when every root lies under the current directory, the base is the current directory
  (`distrust scan .` shows `app/views.py`, `distrust scan src` shows `src/pkg/x.py`);
- otherwise it is the deepest directory that contains every root (a directory root counts as
  itself, a file root as its parent): `distrust scan /elsewhere/proj` shows `app/views.py`,
  `distrust scan /elsewhere/proj/x.py` shows `x.py`;
- a caller may pass `base` explicitly (for example the directory of the configuration file).

Names are decoded with `os.fsdecode`, so a name that is not valid UTF-8 keeps its bytes as lone
surrogates (`"caf\\udce9.py"`): `Path(relpath)` opens it again, and renderers must escape it.

What a directory root contributes:

- inside a git work tree, the files `git ls-files --cached --others --exclude-standard` lists
  (tracked files, and untracked files that `.gitignore`, `.git/info/exclude` and the global
  excludes file do not ignore). Nested repositories and submodules are listed the same way in
  turn. Outside a work tree, or when git is missing, fails or times out, a walk that honours the
  `.gitignore` files of the tree (and of its enclosing repository, if any) gives the same answer,
  except that git does not list untracked FIFOs, sockets and devices at all;
- never anything under a directory named in `SKIP_DIRS`, nor under a virtual environment (a
  directory holding `pyvenv.cfg`);
- never a path that the gitignore-style `exclude` patterns match (matched against the relpath);
- of what remains: Python files (`PYTHON_SUFFIXES`: `.py`, `.pyw`; stubs `.pyi` hold no code that
  runs) and, when `suffixes` is given, text files with one of those suffixes (`TEXT_SUFFIXES`
  is the set the secrets scanner wants; when it holds `.env`, names starting with `.env` count
  too). Suffixes match without regard to case.

Files that `.gitignore`, `exclude` or `SKIP_DIRS` remove are out of scope: they are not listed as
skipped. Everything in scope that is not scanned is listed as skipped, with the reason: special
files (FIFOs, sockets, devices: never opened), files over the size cap, broken links, link loops,
links to files outside every root, links to directories (not followed, as git records them as
links, which also rules out symbolic-link cycles), directories that cannot be listed, and a second
name for a file already listed (a hard link, or a link to a file of the tree).

A file given explicitly as a root is scanned whatever its name if it is a regular file: Python
when its suffix or its `#!` line says so, text when its suffix is in `suffixes`; any other file is
skipped with a reason. `.gitignore` and `SKIP_DIRS` do not apply to explicit roots; `exclude` does
(so a pre-commit hook that passes file names still honours the configured excludes). Likewise a
directory root that the tree around it ignores (a project in an ignored folder, a home directory
under a dotfiles repository) is scanned, with the ignore files inside it in force. A root that
does not exist is a `UsageError`: a mistyped path must not pass silently.

`read_text` decodes Python files as the interpreter does (PEP 263: a UTF-8 BOM, or a coding
cookie on one of the first two lines, else UTF-8) and other text files as UTF-8 (BOM allowed).
Line endings are kept as they are (CRLF, CR, mixed): `ast` and the fallback parser accept them,
and columns stay true to the file.
"""

from __future__ import annotations

import codecs
import errno
import io
import operator
import os
import re
import stat
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from distrust.errors import ConfigError, UsageError
from distrust.model import Skipped

# pathspec (ignore patterns) and subprocess (git) are imported where they are used: many scans
# need neither, and a re-scan's start-up time counts.
if TYPE_CHECKING:
    import subprocess

    import pathspec

Kind = Literal["python", "text"]

DEFAULT_MAX_BYTES = 5_000_000
"""Files larger than this are skipped without being read."""

GIT = "git"
GIT_TIMEOUT = 30.0
"""Seconds `git ls-files` may take before discovery falls back to a walk."""

PYTHON_SUFFIXES = frozenset({".py", ".pyw"})
TEXT_SUFFIXES = frozenset(
    {".env", ".yaml", ".yml", ".json", ".ini", ".toml", ".cfg", ".conf", ".properties"}
)
SKIP_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", ".bzr", "_darcs",
        ".venv", "venv", "node_modules", "__pycache__", ".distrust",
        ".tox", ".nox", ".eggs", "site-packages", "dist-packages",
        ".mypy_cache", ".pytest_cache", ".ruff_cache",
    }
)  # fmt: skip

NUL_REASON = "contains NUL bytes (binary file?)"
VANISHED_REASON = "vanished before it could be read (deleted during the scan)"

_IGNORE_FILE_CAP = 1_000_000
_HEAD_BYTES = 256
_SHEBANG = re.compile(rb"#![^\n]*\b(?:python|pypy)[0-9.]*\b")
_ASCII_PROBE = b"#!/usr/bin/env python\n# -*- coding: X -*-\nimport A.b, c_d as E\nx = {'k': [1]}\n"
_GIT_ENV_DROP = frozenset(
    {
        "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_NAMESPACE", "GIT_PREFIX",
    }
)  # fmt: skip
_ENTRY_NAME = operator.attrgetter("name")
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_BINARY", 0)
)


@dataclass(frozen=True)
class SourceFile:
    """A file to scan. `path` opens it; `relpath` is what findings show (POSIX, relative to the
    scan base); `kind` says which engines want it: "python" files are parsed (and may be searched
    for secrets), "text" files are only searched for secrets. `signature` is what discovery saw
    of the file (after links): size, modification and change times (ns), inode and device."""

    path: Path
    relpath: str
    kind: Kind = "python"
    signature: tuple[int, ...] = field(default=(), compare=False)


# --- reading -----------------------------------------------------------------------------------


class _NotRegular(Exception):
    def __init__(self, mode: int) -> None:
        super().__init__(mode)
        self.mode = mode


class _TooLarge(Exception):
    def __init__(self, size: int | None) -> None:
        super().__init__(size)
        self.size = size


def _file_type(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "directory"
    if stat.S_ISFIFO(mode):
        return "FIFO"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode):
        return "character device"
    if stat.S_ISBLK(mode):
        return "block device"
    return "unknown file type"


def _not_regular_reason(mode: int) -> str:
    return f"not a regular file ({_file_type(mode)})"


def _too_large_reason(limit: int, size: int | None) -> str:
    if size is None:
        return f"larger than {limit} bytes (it grew while being read)"
    return f"larger than {limit} bytes ({size} bytes)"


def _os_reason(err: OSError, doing: str) -> str:
    if err.errno == errno.ELOOP:
        return "symbolic link loop"
    text = err.strerror or type(err).__name__
    return f"{doing}: {text[:1].lower()}{text[1:]}"


def _open_regular(path: str | Path) -> tuple[int, int]:
    """Open a regular file for reading and return the descriptor and the file's size. Checks
    the type before opening (a FIFO or a device is never opened) and again on the descriptor
    (the file may have been swapped since); O_NONBLOCK keeps even that race from blocking.
    Raises OSError or _NotRegular."""
    before = os.stat(path)
    if not stat.S_ISREG(before.st_mode):
        raise _NotRegular(before.st_mode)
    fd = os.open(path, _OPEN_FLAGS)
    try:
        after = os.fstat(fd)
        if not stat.S_ISREG(after.st_mode):
            raise _NotRegular(after.st_mode)
    except BaseException:
        os.close(fd)
        raise
    return fd, after.st_size


def _read_capped(path: str | Path, limit: int) -> bytes:
    """The whole content of a regular file of at most `limit` bytes. Never reads more than
    `limit + 1` bytes, even if the file grows. Raises OSError, _NotRegular or _TooLarge."""
    fd, size = _open_regular(path)
    try:
        if size > limit:
            raise _TooLarge(size)
        chunks: list[bytes] = []
        total = 0
        while total <= limit:
            wanted = min(limit + 1 - total, 1 << 20)
            chunk = os.read(fd, wanted)
            chunks.append(chunk)
            total += len(chunk)
            if len(chunk) < wanted:  # a regular file reads short only at its end
                break
        if total > limit:
            raise _TooLarge(None)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _read_head(path: str | Path, count: int) -> bytes:
    fd, _ = _open_regular(path)
    try:
        return os.read(fd, count)
    finally:
        os.close(fd)


def _decode_error_reason(data: bytes, encoding: str, err: UnicodeDecodeError) -> str:
    start = min(err.start, len(data) - 1) if data else 0
    line = data.count(b"\n", 0, start) + 1
    column = start - (data.rfind(b"\n", 0, start) + 1) + 1
    byte = f"byte 0x{data[start]:02x}" if data else "input"
    return (
        f"cannot be decoded as {encoding}: {byte} at line {line}, byte column {column}"
        f" ({err.reason})"
    )


def _may_declare_encoding(data: bytes) -> bool:
    """Whether the bytes of a Python file may carry a BOM or a coding cookie (which can only
    be on one of its first two lines)."""
    if data.startswith(codecs.BOM_UTF8):
        return True
    first = data.find(b"\n")
    second = data.find(b"\n", first + 1) if first >= 0 else -1
    return b"coding" in (data if second < 0 else data[:second])


def decode(data: bytes, relpath: str, kind: Kind = "python") -> str | Skipped:
    """Decode the bytes of a file, or say why not. Python source follows PEP 263 (BOM, coding
    cookie, UTF-8 by default; a cookie naming an unknown or ASCII-incompatible encoding is
    refused, as the interpreter refuses it); other text is UTF-8 with an optional BOM. The BOM is
    not part of the text; line endings are untouched."""
    if b"\0" in data:
        return Skipped(relpath, NUL_REASON)
    if kind == "python" and not _may_declare_encoding(data):
        encoding = "utf-8"  # what the declaration-reading below finds for such a file
    elif kind == "python":
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        except SyntaxError as err:
            if err.msg.startswith("encoding problem"):  # tokenize's words for this one case
                return Skipped(
                    relpath,
                    "bad encoding declaration: a UTF-8 byte-order mark and a coding cookie"
                    " that names another encoding",
                )
            if not err.msg.startswith("invalid or missing encoding declaration"):
                return Skipped(relpath, f"bad encoding declaration: {err.msg}")
            # No cookie and a first line that is not UTF-8: the decoding below names the byte.
            encoding = "utf-8"
        try:
            compatible = _ASCII_PROBE.decode(encoding) == _ASCII_PROBE.decode("ascii")
        except (UnicodeError, LookupError, ValueError, TypeError):
            compatible = False
        if not compatible:
            return Skipped(
                relpath,
                f"bad encoding declaration: {encoding} is not an ASCII-compatible text encoding",
            )
    else:
        encoding = "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as err:
        return Skipped(relpath, _decode_error_reason(data, encoding, err))
    except (UnicodeError, LookupError, ValueError, TypeError) as err:
        return Skipped(relpath, f"cannot be decoded as {encoding}: {err}")
    if "\0" in text:
        return Skipped(relpath, NUL_REASON)
    return text


def read_text(file: SourceFile, max_bytes: int = DEFAULT_MAX_BYTES) -> str | Skipped:
    """The text of `file`, decoded as `decode` does, or a `Skipped` saying why it cannot be had:
    it is gone, unreadable, not a regular file (never opened then), over `max_bytes` (not read
    past the cap), binary, or not decodable. Never raises for a bad file and never blocks."""
    try:
        data = _read_capped(file.path, max_bytes)
    except FileNotFoundError:
        return Skipped(file.relpath, VANISHED_REASON)
    except OSError as err:
        return Skipped(file.relpath, _os_reason(err, "cannot be read"))
    except _NotRegular as err:
        return Skipped(file.relpath, _not_regular_reason(err.mode))
    except _TooLarge as err:
        return Skipped(file.relpath, _too_large_reason(max_bytes, err.size))
    return decode(data, file.relpath, file.kind)


# --- which files -------------------------------------------------------------------------------


def normalise_suffixes(suffixes: frozenset[str] | None) -> frozenset[str]:
    if not suffixes:
        return frozenset()
    return frozenset(s.lower() if s.startswith(".") else "." + s.lower() for s in suffixes)


def kind_of(name: str, suffixes: frozenset[str] = frozenset()) -> Kind | None:
    """The kind of a file by its name alone, or None when a walk should pass it by. `suffixes`
    are the extra text suffixes (lower case, with the dot)."""
    lower = name.lower()
    dot = lower.rfind(".")
    suffix = lower[dot:] if dot > 0 else ""
    if suffix in PYTHON_SUFFIXES:
        return "python"
    if suffixes and (suffix in suffixes or (".env" in suffixes and lower.startswith(".env"))):
        return "text"
    return None


def _under(path: str, parent: str) -> bool:
    return path == parent or path.startswith(parent.rstrip(os.sep) + os.sep)


def _join(prefix: str, name: str) -> str:
    return f"{prefix}/{name}" if prefix else name


def _is_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file()
    except OSError:
        return False


def _posix(rel: str) -> str:
    if rel in (".", ""):
        return ""
    return rel.replace(os.sep, "/") if os.sep != "/" else rel


def _compile_patterns(lines: Sequence[str]) -> pathspec.GitIgnoreSpec:
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines(list(lines))


def _compile_exclude(patterns: Sequence[str]) -> pathspec.GitIgnoreSpec | None:
    if not patterns:
        return None
    for pattern in patterns:
        try:
            _compile_patterns([pattern])
        except Exception as err:  # pathspec raises several types for a bad pattern
            raise ConfigError(f"exclude: invalid pattern {pattern!r}: {err}") from None
    return _compile_patterns(patterns)


def _load_ignore_file(path: str) -> pathspec.GitIgnoreSpec | None:
    """A .gitignore-style file of the scanned tree (hostile input: capped, never a FIFO, bad
    lines dropped as git drops them)."""
    try:
        data = _read_capped(path, _IGNORE_FILE_CAP)
    except (OSError, _NotRegular, _TooLarge):
        return None
    lines = data.decode("utf-8", "surrogateescape").splitlines()
    try:
        return _compile_patterns(lines)
    except Exception:  # a bad line: keep the good ones
        good: list[str] = []
        for line in lines:
            try:
                _compile_patterns([line])
            except Exception:  # git ignores such a line too
                continue
            good.append(line)
        return _compile_patterns(good)


# An ignore spec and the directory its patterns are relative to.
_Specs = tuple[tuple[str, "pathspec.GitIgnoreSpec"], ...]


def _ignored(path: str, specs: _Specs, is_dir: bool) -> bool:
    """Whether the .gitignore files in force ignore `path`; the deepest file that has a
    matching pattern decides, as in git."""
    for directory, spec in reversed(specs):
        rel = path[len(directory.rstrip(os.sep)) + 1 :].replace(os.sep, "/")
        result = spec.check_file(rel + "/" if is_dir else rel)
        if result.include is not None:
            return bool(result.include)
    return False


def _git_top(directory: str, levels: int | None = None) -> str | None:
    """The nearest directory at or above `directory` (at most `levels` up) that holds a `.git`
    (a repository or a link to one), or None."""
    current = directory
    while levels is None or levels > 0:
        if os.path.lexists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent
        if levels is not None:
            levels -= 1
    return None


def _enclosing_specs(directory: str) -> _Specs:
    """For a walk without git: the ignore files of the repository that encloses `directory`
    (its `.git/info/exclude`, and the `.gitignore` of each directory above `directory` up to the
    top of the work tree). `directory`'s own .gitignore is read by the walk."""
    top = _git_top(directory, 256)
    if top is None:
        return ()
    specs: list[tuple[str, pathspec.GitIgnoreSpec]] = []
    exclude = _load_ignore_file(os.path.join(top, ".git", "info", "exclude"))
    if exclude is not None:
        specs.append((top, exclude))
    chain: list[str] = []
    current = directory
    while current != top:
        current = os.path.dirname(current)
        chain.append(current)
    for ancestor in reversed(chain):
        spec = _load_ignore_file(os.path.join(ancestor, ".gitignore"))
        if spec is not None:
            specs.append((ancestor, spec))
    return tuple(specs)


def _git(directory: str, *args: str) -> subprocess.CompletedProcess[bytes] | None:
    """Run git in `directory`, or None when it cannot run or does not finish in time. The
    repository's config cannot make git run a program here (core.fsmonitor is forced off), and
    the GIT_DIR-style variables of a calling hook do not redirect it to another repository."""
    import subprocess

    env = {k: v for k, v in os.environ.items() if k not in _GIT_ENV_DROP}
    env["GIT_TERMINAL_PROMPT"] = "0"
    env["LC_ALL"] = "C"
    command = [GIT, "-c", "core.fsmonitor=false", "-c", "core.untrackedCache=false", *args]
    try:
        return subprocess.run(
            command,
            cwd=directory,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None


def _git_list(directory: str) -> list[str] | None:
    """What git lists under `directory` (paths relative to it; nested repositories end with
    "/"), or None when `directory` is not in a work tree or git cannot say."""
    proc = _git(directory, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    if proc is None or proc.returncode != 0:
        return None
    return sorted({os.fsdecode(item) for item in proc.stdout.split(b"\0") if item})


def _git_ignores(directory: str) -> bool:
    """Whether the work tree's ignore rules ignore `directory` itself."""
    proc = _git(directory, "check-ignore", "-q", ".")
    return proc is not None and proc.returncode == 0


def _root_ignored(root: str, specs: _Specs) -> bool:
    """Whether the ignore files above `root` ignore it or a directory between it and them."""
    if not specs:
        return False
    top = specs[0][0]
    chain: list[str] = []
    current = root
    while current != top and _under(current, top):
        chain.append(current)
        current = os.path.dirname(current)
    for directory in reversed(chain):
        above = tuple((d, spec) for d, spec in specs if d != directory and _under(directory, d))
        if _ignored(directory, above, True):
            return True
    return False


@dataclass(frozen=True)
class _Found:
    file: SourceFile
    identity: tuple[int, int]
    via_link: bool


@dataclass(frozen=True)
class _DirRoot:
    path: str
    prefix: str
    explicit: bool = False  # named by the user, not found inside another root


class _Discovery:
    """The mutable state of one `discover` call."""

    def __init__(
        self,
        *,
        exclude: pathspec.GitIgnoreSpec | None,
        max_bytes: int,
        suffixes: frozenset[str],
        real_dirs: list[str],
        real_files: set[str],
        seen: list[str] | None = None,
    ) -> None:
        self.seen = seen
        self.exclude = exclude
        self.max_bytes = max_bytes
        self.suffixes = suffixes
        self.real_dirs = real_dirs
        self.real_files = real_files
        self.found: list[_Found] = []
        self.skipped: list[Skipped] = []
        self.done_roots: set[tuple[int, int]] = set()
        self.venv_cache: dict[str, bool] = {}
        self.pending: list[_DirRoot] = []

    # -- helpers

    def excluded(self, relpath: str, is_dir: bool = False) -> bool:
        if self.exclude is None or not relpath:
            return False
        return bool(self.exclude.match_file(relpath + "/" if is_dir else relpath))

    def is_venv(self, directory: str) -> bool:
        known = self.venv_cache.get(directory)
        if known is None:
            known = os.path.isfile(os.path.join(directory, "pyvenv.cfg"))
            self.venv_cache[directory] = known
        return known

    def inside(self, real: str) -> bool:
        return real in self.real_files or any(_under(real, d) for d in self.real_dirs)

    def skip(self, relpath: str, reason: str) -> None:
        self.skipped.append(Skipped(relpath or ".", reason))

    # -- one candidate file

    def examine(
        self,
        path: str,
        relpath: str,
        kind: Kind | None,
        *,
        explicit: bool,
        missing_ok: bool = False,
    ) -> None:
        """Check one file of the scan and record it as found or skipped. `kind` None (explicit
        roots only) means: decide by the `#!` line."""
        try:
            lst = os.lstat(path)
        except FileNotFoundError:
            if not missing_ok:
                self.skip(relpath, "vanished while the tree was being listed")
            return
        except OSError as err:
            self.skip(relpath, _os_reason(err, "cannot be examined"))
            return
        via_link = stat.S_ISLNK(lst.st_mode)
        st = lst
        if via_link:
            try:
                st = os.stat(path)
            except FileNotFoundError:
                self.skip(relpath, "broken symbolic link (its target does not exist)")
                return
            except OSError as err:
                self.skip(relpath, _os_reason(err, "symbolic link cannot be followed"))
                return
        if not stat.S_ISREG(st.st_mode):
            self.skip(relpath, _not_regular_reason(st.st_mode))
            return
        if via_link and not explicit and not self.inside(os.path.realpath(path)):
            self.skip(relpath, "symbolic link to a file outside the scan roots (not followed)")
            return
        if st.st_size > self.max_bytes:
            self.skip(relpath, _too_large_reason(self.max_bytes, st.st_size))
            return
        if kind is None:
            kind = self.sniff(path, relpath)
            if kind is None:
                return
        file = SourceFile(Path(path), relpath, kind,
                          (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev))
        self.found.append(_Found(file, (st.st_dev, st.st_ino), via_link))

    def sniff(self, path: str, relpath: str) -> Kind | None:
        try:
            head = _read_head(path, _HEAD_BYTES)
        except FileNotFoundError:
            self.skip(relpath, VANISHED_REASON)
            return None
        except OSError as err:
            self.skip(relpath, _os_reason(err, "cannot be read"))
            return None
        except _NotRegular as err:
            self.skip(relpath, _not_regular_reason(err.mode))
            return None
        if _SHEBANG.match(head.lstrip(codecs.BOM_UTF8)):
            return "python"
        self.skip(relpath, "not a Python file (no .py suffix and no python #! line)")
        return None

    def directory_link(self, path: str, relpath: str) -> None:
        """A symbolic link whose name did not make it a candidate: report it when it leads to a
        directory, since the walk does not follow it."""
        if os.path.isdir(path):
            self.skip(relpath, "symbolic link to a directory (not followed)")

    # -- roots

    def explicit_file(self, path: str, relpath: str) -> None:
        if self.excluded(relpath):
            return
        if self.seen is not None:
            self.seen.append(relpath)
        name = os.path.basename(path)
        self.examine(path, relpath, kind_of(name, self.suffixes), explicit=True)

    def directory(self, root: _DirRoot) -> None:
        try:
            st = os.stat(root.path)
        except OSError as err:
            self.skip(root.prefix, _os_reason(err, "directory cannot be examined"))
            return
        if (st.st_dev, st.st_ino) in self.done_roots:
            return
        self.done_roots.add((st.st_dev, st.st_ino))
        if self.excluded(root.prefix, is_dir=True):
            return
        # Without a `.git` above it, no git command can work there: no need to start one. A
        # directory the user names is scanned even when the tree around it ignores it (a
        # project kept in an ignored folder, a home directory under a dotfiles repository);
        # the ignore files inside it still apply, those around it do not.
        listing = None
        ignored = False
        if _git_top(root.path) is not None:
            ignored = root.explicit and _git_ignores(root.path)
            if not ignored:
                listing = _git_list(root.path)
        if listing is None:
            self.walk(root, ignored_around=ignored)
        else:
            self.from_git(root, listing)

    def from_git(self, root: _DirRoot, listing: list[str]) -> None:
        for item in listing:
            nested = item.endswith("/")
            name = item.rstrip("/")
            parts = name.split("/")
            if any(part in SKIP_DIRS for part in parts[:-1]):
                continue
            parents = (os.path.join(root.path, *parts[:i]) for i in range(1, len(parts)))
            if any(self.is_venv(parent) for parent in parents):
                continue
            relpath = _join(root.prefix, name)
            full = os.path.join(root.path, *parts)
            if nested:
                self.nested_directory(full, relpath, parts[-1])
                continue
            if self.excluded(relpath):
                continue
            if self.seen is not None:
                self.seen.append(relpath)
            kind = kind_of(parts[-1], self.suffixes)
            if kind is not None:
                self.examine(full, relpath, kind, explicit=False, missing_ok=True)
                continue
            try:
                lst = os.lstat(full)
            except OSError:
                continue
            if stat.S_ISDIR(lst.st_mode):  # a submodule
                self.nested_directory(full, relpath, parts[-1])
            elif stat.S_ISLNK(lst.st_mode):
                self.directory_link(full, relpath)

    def nested_directory(self, path: str, relpath: str, name: str) -> None:
        if name in SKIP_DIRS or self.is_venv(path) or self.excluded(relpath, is_dir=True):
            return
        self.pending.append(_DirRoot(path, relpath))

    def walk(self, root: _DirRoot, ignored_around: bool = False) -> None:
        """Walk a directory tree without git, with an explicit stack, honouring .gitignore.
        A directory found in the tree is left out, silently, when its listing shows that it
        is a virtual environment (it holds `pyvenv.cfg`). `ignored_around`: git said the tree
        around the root ignores it, so only the ignore files inside it apply."""
        enclosing = () if ignored_around else _enclosing_specs(root.path)
        if root.explicit and _root_ignored(root.path, enclosing):
            enclosing = ()
        stack: list[tuple[str, str, _Specs, bool]] = [(root.path, root.prefix, enclosing, False)]
        seen: set[tuple[int, int]] = set()  # a bind mount can make a loop without links
        exclude = self.exclude
        suffixes = self.suffixes
        names_seen = self.seen
        while stack:
            directory, prefix, specs, found_in_tree = stack.pop()
            try:
                st = os.stat(directory)
                with os.scandir(directory) as listing:
                    entries = sorted(listing, key=_ENTRY_NAME)
            except OSError as err:
                if found_in_tree and self.is_venv(directory):
                    continue
                if isinstance(err, FileNotFoundError):
                    self.skip(prefix, "directory vanished while the tree was being listed")
                else:
                    self.skip(prefix, _os_reason(err, "directory cannot be listed"))
                continue
            names = [entry.name for entry in entries]
            if found_in_tree and "pyvenv.cfg" in names and \
                    _is_file(entries[names.index("pyvenv.cfg")]):
                self.venv_cache[directory] = True
                continue
            identity = (st.st_dev, st.st_ino)
            if identity in seen:
                self.skip(prefix, "directory already visited (a filesystem loop)")
                continue
            seen.add(identity)
            if ".gitignore" in names:
                spec = _load_ignore_file(os.path.join(directory, ".gitignore"))
                if spec is not None:
                    specs = (*specs, (directory, spec))
            for entry in entries:
                name = entry.name
                relpath = f"{prefix}/{name}" if prefix else name
                try:
                    is_dir = entry.is_dir(follow_symlinks=False)
                    is_link = entry.is_symlink()
                except OSError:
                    is_dir = is_link = False
                if is_dir:
                    if name in SKIP_DIRS or (specs and _ignored(entry.path, specs, True)) or (
                            exclude is not None and exclude.match_file(relpath + "/")):
                        continue
                    stack.append((entry.path, relpath, specs, True))
                    continue
                if (specs and _ignored(entry.path, specs, False)) or (
                        exclude is not None and exclude.match_file(relpath)):
                    continue
                if names_seen is not None:
                    names_seen.append(relpath)
                kind = kind_of(name, suffixes)
                if kind is not None:
                    self.examine(entry.path, relpath, kind, explicit=False)
                elif is_link:
                    self.directory_link(entry.path, relpath)

    # -- result

    def result(self) -> tuple[list[SourceFile], list[Skipped]]:
        by_relpath: dict[str, _Found] = {}
        for found in self.found:
            by_relpath.setdefault(found.file.relpath, found)
        # One file reachable under several names is scanned once, under the name that is not a
        # link (else the first name in order); the others are skipped, naming it.
        winners: dict[tuple[int, int], _Found] = {}
        skipped: dict[str, Skipped] = {}
        for found in sorted(by_relpath.values(), key=lambda f: (f.via_link, f.file.relpath)):
            winner = winners.setdefault(found.identity, found)
            if winner is not found:
                relpath = found.file.relpath
                skipped[relpath] = Skipped(relpath, f"same file as {winner.file.relpath}")
        files = sorted((f.file for f in winners.values()), key=lambda f: f.relpath)
        scanned = {f.relpath for f in files}
        for item in self.skipped:
            if item.path not in scanned:
                skipped.setdefault(item.path, item)
        return files, sorted(skipped.values())


def scan_base(roots: Sequence[Path], cwd: str | None = None) -> Path:
    """The directory that relpaths are relative to (see the module doc)."""
    here = cwd if cwd is not None else os.getcwd()
    return Path(_base_and_paths(roots, here)[0])


def _base_and_paths(roots: Sequence[Path], cwd: str) -> tuple[str, list[tuple[str, bool]]]:
    items: list[tuple[str, bool]] = []
    real_cwd = os.path.realpath(cwd)
    all_under = True
    for root in roots:
        lexical = os.path.abspath(os.path.join(cwd, os.fspath(root)))
        is_dir = os.path.isdir(lexical)
        if _under(lexical, cwd):
            items.append((lexical, is_dir))
            continue
        real = os.path.realpath(lexical)
        if _under(real, real_cwd):  # reached through a link to the current directory
            items.append((os.path.join(cwd, os.path.relpath(real, real_cwd)), is_dir))
            continue
        items.append((lexical, is_dir))
        all_under = False
    if all_under:
        return cwd, items
    return os.path.commonpath([p if d else os.path.dirname(p) for p, d in items]), items


def discover(
    roots: Sequence[Path],
    *,
    exclude: Sequence[str] = (),
    max_bytes: int = DEFAULT_MAX_BYTES,
    suffixes: frozenset[str] | None = None,
    base: Path | None = None,
    seen: list[str] | None = None,
) -> tuple[list[SourceFile], list[Skipped]]:
    """The files to scan under `roots` (files or directories), sorted by relpath, and the files
    in scope that will not be scanned, with reasons (see the module doc for every rule).
    Python files come with kind "python"; when `suffixes` is given (for example
    `TEXT_SUFFIXES`), files with those suffixes come with kind "text" in the same walk.
    `seen`, when given, receives the relpath of every file in scope whatever its name (not
    ignored, not excluded, not under `SKIP_DIRS` or a virtual environment), in walk order;
    it changes nothing else.

    Raises UsageError for a root that does not exist, ConfigError for an invalid `exclude`
    pattern, ValueError for a `max_bytes` below 1."""
    if max_bytes < 1:
        raise ValueError(f"max_bytes must be at least 1, not {max_bytes}")
    for root in roots:
        if not os.path.exists(root):
            raise UsageError(f"{os.fsdecode(root)}: no such file or directory")
    cwd = os.getcwd()
    base_dir, items = _base_and_paths(roots, cwd)
    if base is not None:
        base_dir = os.path.abspath(base)
    state = _Discovery(
        exclude=_compile_exclude(exclude),
        max_bytes=max_bytes,
        suffixes=normalise_suffixes(suffixes),
        real_dirs=[os.path.realpath(p) for p, is_dir in items if is_dir],
        real_files={os.path.realpath(p) for p, is_dir in items if not is_dir},
        seen=seen,
    )
    for path, is_dir in items:
        prefix = _posix(os.path.relpath(path, base_dir))
        if is_dir:
            state.pending.append(_DirRoot(path, prefix, explicit=True))
        else:
            state.explicit_file(path, prefix)
        # Directories (the root, then nested repositories found under it) one at a time.
        while state.pending:
            state.directory(state.pending.pop())
    return state.result()


__all__ = [
    "DEFAULT_MAX_BYTES",
    "PYTHON_SUFFIXES",
    "SKIP_DIRS",
    "TEXT_SUFFIXES",
    "Kind",
    "SourceFile",
    "decode",
    "discover",
    "kind_of",
    "read_text",
    "scan_base",
]
