"""File discovery and safe reading: the rules of distrust.files, and every row of DESIGN §8 that
concerns files (NUL bytes, undecodable bytes, wrong cookies, huge files, binary .py files, FIFOs,
devices, symlink loops, unreadable and vanishing files, odd names, CRLF)."""

from __future__ import annotations

import ast
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from distrust import files
from distrust.errors import ConfigError, UsageError
from distrust.files import (
    DEFAULT_MAX_BYTES,
    NUL_REASON,
    TEXT_SUFFIXES,
    VANISHED_REASON,
    SourceFile,
    decode,
    discover,
    read_text,
    scan_base,
)
from distrust.model import Skipped

GIT = shutil.which("git")


# --- harness -----------------------------------------------------------------------------------


class Hang(Exception):
    pass


@pytest.fixture(autouse=True)
def no_hang() -> Iterator[None]:
    """Every test here must finish in seconds: a hang (a FIFO opened for reading, a walk in a
    loop) fails the test instead of stalling the suite."""

    def alarm(signum: int, frame: FrameType | None) -> None:
        raise Hang("test took longer than 30 seconds")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(30)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def git(cwd: Path, *args: str) -> None:
    assert GIT is not None, "git is needed by these tests"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    subprocess.run([GIT, *args], cwd=cwd, check=True, capture_output=True, env=env, timeout=30)


@pytest.fixture(params=["git", "walk"])
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test twice: once with git listing the files of a real work tree, once as when git is
    not installed (the tree is still a work tree: .git/info/exclude and .gitignore apply)."""
    if request.param == "walk":
        monkeypatch.setattr(files, "GIT", "distrust-test-no-such-git")
    return str(request.param)


def make_repo(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", ".")
    return root


def write(path: Path, content: bytes | str = "x = 1\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode()
    path.write_bytes(content)
    return path


def relpaths(found: list[SourceFile]) -> list[str]:
    return [f.relpath for f in found]


def reasons(skipped: list[Skipped]) -> dict[str, str]:
    return {s.path: s.reason for s in skipped}


def source(path: Path, relpath: str = "f.py", kind: files.Kind = "python") -> SourceFile:
    return SourceFile(path, relpath, kind)


# --- which paths are shown -------------------------------------------------------------------


def test_relpaths_are_relative_to_the_current_directory_when_the_roots_lie_under_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    proj = make_repo(tmp_path / "proj")
    write(proj / "app" / "views.py")
    write(proj / "src" / "pkg" / "x.py")
    monkeypatch.chdir(proj)

    found, skipped = discover([Path(".")])
    assert relpaths(found) == ["app/views.py", "src/pkg/x.py"]
    assert skipped == []
    assert relpaths(discover([Path("src")])[0]) == ["src/pkg/x.py"]
    assert relpaths(discover([proj / "src"])[0]) == ["src/pkg/x.py"]
    assert relpaths(discover([Path("src/pkg/x.py")])[0]) == ["src/pkg/x.py"]
    assert relpaths(discover([Path("src"), Path("app/views.py")])[0]) == [
        "app/views.py",
        "src/pkg/x.py",
    ]
    found, _ = discover([Path("src")])
    assert found[0].path.read_text() == "x = 1\n"
    assert scan_base([Path("src")]) == Path(os.getcwd())


def test_relpaths_outside_the_current_directory_are_relative_to_the_common_base(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    proj = tmp_path / "proj"
    write(proj / "app" / "views.py")
    write(proj / "lib" / "util.py")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    assert relpaths(discover([proj])[0]) == ["app/views.py", "lib/util.py"]
    assert relpaths(discover([proj / "app", proj / "lib"])[0]) == [
        "app/views.py",
        "lib/util.py",
    ]
    assert relpaths(discover([proj / "app" / "views.py"])[0]) == ["views.py"]
    assert relpaths(discover([proj / "app" / "views.py", proj / "lib"])[0]) == [
        "app/views.py",
        "lib/util.py",
    ]
    assert scan_base([proj / "app", proj / "lib"]) == proj
    # An explicit base wins.
    assert relpaths(discover([proj / "app"], base=proj)[0]) == ["app/views.py"]


def test_overlapping_roots_list_each_file_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    proj = make_repo(tmp_path / "proj")
    write(proj / "src" / "a.py")
    write(proj / "b.py")
    monkeypatch.chdir(proj)
    for roots in ([Path("."), Path("src")], [Path("src"), Path(".")]):
        found, skipped = discover(roots)
        assert relpaths(found) == ["b.py", "src/a.py"]
        assert skipped == []


def test_a_missing_root_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file or directory"):
        discover([tmp_path / "nope"])


def test_max_bytes_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="max_bytes"):
        discover([tmp_path], max_bytes=0)


# --- which files -------------------------------------------------------------------------------


def test_python_files_by_default_and_text_files_on_request_in_one_walk(
    tmp_path: Path, mode: str
) -> None:
    proj = make_repo(tmp_path / "proj")
    for name in (
        "a.py",
        "b.pyw",
        "C.PY",
        "stub.pyi",
        "README.md",
        "setup.cfg",
        "config.YAML",
        "s.json",
        ".env",
        ".env.local",
        ".envrc",
        "x.toml",
        "app.properties",
        "noext",
    ):
        write(proj / name)

    found, skipped = discover([proj])
    assert [(f.relpath, f.kind) for f in found] == [
        ("C.PY", "python"),
        ("a.py", "python"),
        ("b.pyw", "python"),
    ]
    assert skipped == []

    found, skipped = discover([proj], suffixes=TEXT_SUFFIXES)
    assert [(f.relpath, f.kind) for f in found] == [
        (".env", "text"),
        (".env.local", "text"),
        (".envrc", "text"),
        ("C.PY", "python"),
        ("a.py", "python"),
        ("app.properties", "text"),
        ("b.pyw", "python"),
        ("config.YAML", "text"),
        ("s.json", "text"),
        ("setup.cfg", "text"),
        ("x.toml", "text"),
    ]
    found, _ = discover([proj], suffixes=frozenset({"json"}))
    assert [f.relpath for f in found if f.kind == "text"] == ["s.json"]


def test_tool_and_environment_directories_are_never_walked(tmp_path: Path, mode: str) -> None:
    proj = make_repo(tmp_path / "proj")
    write(proj / "app.py")
    for name in (
        ".venv/lib/a.py",
        "venv/b.py",
        "node_modules/pkg/c.py",
        "__pycache__/d.py",
        ".tox/py311/e.py",
        "lib/python3.11/site-packages/f.py",
        ".distrust/g.py",
        ".hg/h.py",
        ".git/hooks/i.py",
        "myenv/lib/j.py",
        "deep/x/.nox/k.py",
    ):
        write(proj / name)
    write(proj / "myenv" / "pyvenv.cfg", "home = /usr/bin\n")

    found, skipped = discover([proj])
    assert relpaths(found) == ["app.py"]
    assert skipped == []
    # A root given explicitly is scanned even when it is such a directory.
    assert relpaths(discover([proj / "venv"], base=proj)[0]) == ["venv/b.py"]


def test_gitignore_is_honoured(tmp_path: Path, mode: str) -> None:
    proj = make_repo(tmp_path / "proj")
    write(proj / ".gitignore", "build/\n*.gen.py\n!keep.gen.py\n")
    write(proj / "sub" / ".gitignore", "local.py\n")
    write(proj / ".git" / "info" / "exclude", "private/\n")
    for name in (
        "app.py",
        "build/out.py",
        "a.gen.py",
        "keep.gen.py",
        "sub/local.py",
        "sub/other.py",
        "private/p.py",
        "sub/deep/b.gen.py",
    ):
        write(proj / name)

    found, skipped = discover([proj])
    assert relpaths(found) == ["app.py", "keep.gen.py", "sub/other.py"]
    assert skipped == []
    # The .gitignore files above a root still apply.
    found, _ = discover([proj / "sub"], base=proj)
    assert relpaths(found) == ["sub/other.py"]
    # A file named explicitly is scanned even when ignored: the user asked for it.
    found, _ = discover([proj / "build" / "out.py"], base=proj)
    assert relpaths(found) == ["build/out.py"]


def test_a_root_that_the_surrounding_tree_ignores_is_still_scanned(
    tmp_path: Path, mode: str
) -> None:
    home = make_repo(tmp_path / "home")
    write(home / ".gitignore", "*\n!.gitignore\n")  # a dotfiles repository
    proj = home / "work" / "proj"
    write(proj / ".gitignore", "gen/\n")
    write(proj / "app.py")
    write(proj / "gen" / "g.py")
    found, skipped = discover([proj])
    assert relpaths(found) == ["app.py"]
    assert skipped == []
    # Inside the tree, what is ignored stays out of scope.
    assert relpaths(discover([home])[0]) == []


def test_tracked_files_are_scanned_even_when_ignored(tmp_path: Path) -> None:
    proj = make_repo(tmp_path / "proj")
    write(proj / ".gitignore", "build/\n")
    write(proj / "build" / "tracked.py")
    write(proj / "build" / "untracked.py")
    git(proj, "add", "-f", "build/tracked.py")
    assert relpaths(discover([proj])[0]) == ["build/tracked.py"]


def test_gitignore_is_honoured_outside_a_work_tree(tmp_path: Path) -> None:
    proj = tmp_path / "plain"
    write(proj / ".gitignore", "gen/\n")
    write(proj / "gen" / "g.py")
    write(proj / "app.py")
    assert relpaths(discover([proj])[0]) == ["app.py"]


def test_a_git_that_hangs_falls_back_to_the_walk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow = write(tmp_path / "bin" / "slowgit", "#!/bin/sh\nsleep 20\n")
    slow.chmod(0o755)
    monkeypatch.setattr(files, "GIT", str(slow))
    monkeypatch.setattr(files, "GIT_TIMEOUT", 0.5)
    proj = make_repo(tmp_path / "proj")
    write(proj / ".gitignore", "ignored.py\n")
    write(proj / "ignored.py")
    write(proj / "app.py")
    assert relpaths(discover([proj])[0]) == ["app.py"]


def test_the_repository_config_cannot_run_a_program(tmp_path: Path) -> None:
    proj = make_repo(tmp_path / "proj")
    marker = tmp_path / "ran"
    hook = write(tmp_path / "hook.sh", f"#!/bin/sh\ntouch '{marker}'\n")
    hook.chmod(0o755)
    git(proj, "config", "core.fsmonitor", str(hook))
    write(proj / "app.py")
    assert relpaths(discover([proj])[0]) == ["app.py"]
    assert not marker.exists()


def test_git_environment_of_a_hook_does_not_redirect_the_listing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = make_repo(tmp_path / "other")
    write(other / "other.py")
    git(other, "add", "other.py")
    proj = make_repo(tmp_path / "proj")
    write(proj / "app.py")
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(other))
    assert relpaths(discover([proj])[0]) == ["app.py"]


def test_nested_repositories_are_listed_with_their_own_ignores(tmp_path: Path, mode: str) -> None:
    proj = make_repo(tmp_path / "proj")
    write(proj / "app.py")
    nested = make_repo(proj / "vendor" / "lib")
    write(nested / ".gitignore", "secret_build.py\n")
    write(nested / "lib.py")
    write(nested / "secret_build.py")
    found, skipped = discover([proj])
    assert relpaths(found) == ["app.py", "vendor/lib/lib.py"]
    assert skipped == []


def test_exclude_patterns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    proj = make_repo(tmp_path / "proj")
    for name in (
        "app.py",
        "top_only.py",
        "pkg/top_only.py",
        "tests/test_a.py",
        "pkg/tests/test_b.py",
        "pkg/m_pb2.py",
        "pkg/m.py",
    ):
        write(proj / name)
    monkeypatch.chdir(proj)
    exclude = ["tests/", "*_pb2.py", "/top_only.py"]
    found, skipped = discover([Path(".")], exclude=exclude)
    assert relpaths(found) == ["app.py", "pkg/m.py", "pkg/top_only.py"]
    assert skipped == []
    # Excludes apply to files named explicitly too (a pre-commit hook passes file names).
    found, skipped = discover([Path("pkg/m_pb2.py"), Path("app.py")], exclude=exclude)
    assert relpaths(found) == ["app.py"]
    assert skipped == []
    with pytest.raises(ConfigError, match="exclude"):
        discover([Path(".")], exclude=["!"])


def test_explicit_files_are_python_by_suffix_or_shebang(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    proj = tmp_path / "proj"
    write(proj / "bin" / "tool", "#!/usr/bin/env python3\nimport os\n")
    write(proj / "bin" / "tool2", "#!/usr/local/bin/python3.12 -u\nimport os\n")
    write(proj / "bin" / "run", "#!/bin/sh\necho hi\n")
    write(proj / "README", "hello\n")
    write(proj / "settings.yaml", "a: 1\n")
    monkeypatch.chdir(proj)

    # In a walk, a file without a Python suffix is passed by.
    assert relpaths(discover([Path(".")])[0]) == []
    roots = [Path("bin/tool"), Path("bin/tool2"), Path("bin/run"), Path("README")]
    found, skipped = discover(roots)
    assert [(f.relpath, f.kind) for f in found] == [
        ("bin/tool", "python"),
        ("bin/tool2", "python"),
    ]
    assert set(reasons(skipped)) == {"bin/run", "README"}
    assert all("not a Python file" in s.reason for s in skipped)
    found, skipped = discover([Path("settings.yaml")], suffixes=TEXT_SUFFIXES)
    assert [(f.relpath, f.kind) for f in found] == [("settings.yaml", "text")]


# --- DESIGN §8: bad files ---------------------------------------------------------------------


def test_nul_bytes(tmp_path: Path) -> None:
    write(tmp_path / "nul.py", b"x = 1\x00\ny = 2\n")
    found, skipped = discover([tmp_path])
    assert skipped == []
    assert read_text(found[0]) == Skipped("nul.py", NUL_REASON)


def test_binary_files_named_py(tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
    write(tmp_path / "image.py", png)
    write(tmp_path / "noise.py", bytes(range(0x80, 0x100)) * 8)
    found, _ = discover([tmp_path])
    results = {f.relpath: read_text(f) for f in found}
    assert results["image.py"] == Skipped("image.py", NUL_REASON)
    noise = results["noise.py"]
    assert isinstance(noise, Skipped)
    assert "cannot be decoded as utf-8: byte 0x80 at line 1, byte column 1" in noise.reason


def test_undecodable_bytes_name_the_encoding_and_the_position(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.py", b"x = 1\ny = 'caf\xe9'\n")
    result = read_text(source(path, "bad.py"))
    assert isinstance(result, Skipped)
    assert result.path == "bad.py"
    assert result.reason.startswith(
        "cannot be decoded as utf-8: byte 0xe9 at line 2, byte column 9"
    )


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"# -*- coding: latin-99 -*-\nx = 1\n", "unknown encoding: latin-99"),
        (
            b"#!/usr/bin/python\n# vim: set fileencoding=ascii :\ns = '\xc3\xa9'\n",
            "cannot be decoded as ascii: byte 0xc3 at line 3, byte column 6",
        ),
        (b"\xef\xbb\xbf# coding: latin-1\nx = 1\n", "byte-order mark and a coding cookie"),
        (b"# coding: utf-16\nx = 1\n", "utf-16 is not an ASCII-compatible text encoding"),
        (b"# coding: rot13\nx = 1\n", "rot13 is not an ASCII-compatible text encoding"),
    ],
)
def test_wrong_encoding_cookies(tmp_path: Path, content: bytes, expected: str) -> None:
    path = write(tmp_path / "cookie.py", content)
    result = read_text(source(path, "cookie.py"))
    assert isinstance(result, Skipped)
    assert expected in result.reason


def test_encodings_that_python_accepts_are_decoded(tmp_path: Path) -> None:
    latin = write(tmp_path / "latin.py", b"# coding: latin-1\ns = '\xe9'\n")
    assert read_text(source(latin)) == "# coding: latin-1\ns = '\xe9'\n"
    bom = write(tmp_path / "bom.py", b"\xef\xbb\xbfs = '\xc3\xa9'\n")
    assert read_text(source(bom)) == "s = '\xe9'\n"
    sjis = "# coding: shift_jis\ns = '日本'\n"
    path = write(tmp_path / "sjis.py", sjis.encode("shift_jis"))
    assert read_text(source(path)) == sjis
    # Text files are UTF-8: a coding cookie in them means nothing.
    env = write(tmp_path / ".env", b"\xef\xbb\xbfKEY=caf\xc3\xa9\n")
    assert read_text(source(env, ".env", "text")) == "KEY=caf\xe9\n"
    bad = write(tmp_path / "x.properties", b"# coding: latin-1\nk=\xe9\n")
    result = read_text(source(bad, "x.properties", "text"))
    assert isinstance(result, Skipped)
    assert "utf-8" in result.reason


def test_decode_works_on_bytes_from_anywhere() -> None:
    assert decode(b"x = 1\r\n", "stdin.py") == "x = 1\r\n"
    assert decode(b"\x00", "stdin.py") == Skipped("stdin.py", NUL_REASON)


def test_a_file_of_hundreds_of_megabytes_is_skipped_without_reading_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    huge = tmp_path / "huge.py"
    with huge.open("wb") as handle:
        handle.truncate(300 * 1024 * 1024)  # sparse: fast to make, costs no disk
    write(tmp_path / "small.py")
    size = 300 * 1024 * 1024

    read_bytes = 0
    real_read = os.read

    def counting_read(fd: int, n: int) -> bytes:
        nonlocal read_bytes
        data = real_read(fd, n)
        if os.readlink(f"/proc/self/fd/{fd}") == str(huge):  # not subprocess's own pipes
            read_bytes += len(data)
        return data

    monkeypatch.setattr(os, "read", counting_read)
    found, skipped = discover([tmp_path])
    assert relpaths(found) == ["small.py"]
    assert skipped == [Skipped("huge.py", f"larger than {DEFAULT_MAX_BYTES} bytes ({size} bytes)")]
    assert read_text(source(huge, "huge.py")) == Skipped(
        "huge.py", f"larger than {DEFAULT_MAX_BYTES} bytes ({size} bytes)"
    )
    assert read_bytes == 0


def test_a_file_that_grows_past_the_cap_while_being_read_is_not_read_past_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "growing.py"
    with path.open("wb") as handle:
        handle.truncate(50_000_000)
    real_fstat = os.fstat

    def small_fstat(fd: int) -> Any:
        st = real_fstat(fd)
        fields = list(st)
        fields[stat.ST_SIZE] = 10  # what the size was when it was looked at
        return os.stat_result(fields)

    read_bytes = 0
    real_read = os.read

    def counting_read(fd: int, n: int) -> bytes:
        nonlocal read_bytes
        data = real_read(fd, n)
        read_bytes += len(data)
        return data

    monkeypatch.setattr(os, "fstat", small_fstat)
    monkeypatch.setattr(os, "read", counting_read)
    result = read_text(source(path, "growing.py"), max_bytes=1000)
    assert isinstance(result, Skipped)
    assert result.reason.startswith("larger than 1000 bytes")
    assert read_bytes == 1001


def test_fifos_are_never_opened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fifo = tmp_path / "pipe.py"
    os.mkfifo(fifo)
    write(tmp_path / "ok.py")
    found, skipped = discover([tmp_path])
    assert relpaths(found) == ["ok.py"]
    assert skipped == [Skipped("pipe.py", "not a regular file (FIFO)")]
    # Given explicitly, and read directly: still no hang.
    assert discover([fifo])[1] == [Skipped("pipe.py", "not a regular file (FIFO)")]
    assert read_text(source(fifo, "pipe.py")) == Skipped("pipe.py", "not a regular file (FIFO)")

    # The race: the path was a regular file when it was checked and is a FIFO when it is opened.
    regular = os.stat(tmp_path / "ok.py")
    real_stat = os.stat

    def stale_stat(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        return regular if os.fspath(path) == str(fifo) else real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", stale_stat)
    assert read_text(source(fifo, "pipe.py")) == Skipped("pipe.py", "not a regular file (FIFO)")


def test_sockets_are_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # a short relative name: socket paths are limited in length
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        server.bind("sock.py")
        found, skipped = discover([tmp_path])
        assert found == []
        assert skipped == [Skipped("sock.py", "not a regular file (socket)")]
    finally:
        server.close()


def test_devices_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "null.py").symlink_to("/dev/null")
    (tmp_path / "zero.py").symlink_to("/dev/zero")
    found, skipped = discover([tmp_path])
    assert found == []
    assert skipped == [
        Skipped("null.py", "not a regular file (character device)"),
        Skipped("zero.py", "not a regular file (character device)"),
    ]
    assert discover([Path("/dev/zero")])[1] == [
        Skipped("zero", "not a regular file (character device)")
    ]
    zero = read_text(source(Path("/dev/zero"), "zero"))
    assert zero == Skipped("zero", "not a regular file (character device)")


def test_symlink_loops(tmp_path: Path, mode: str) -> None:
    proj = make_repo(tmp_path / "proj")
    write(proj / "pkg" / "real.py")
    (proj / "a.py").symlink_to("b.py")
    (proj / "b.py").symlink_to("a.py")
    (proj / "self.py").symlink_to("self.py")
    (proj / "pkg" / "up").symlink_to("..")  # a directory cycle
    (proj / "pkg" / "sub").mkdir()
    (proj / "pkg" / "sub" / "back").symlink_to("../../pkg")

    found, skipped = discover([proj])
    assert relpaths(found) == ["pkg/real.py"]
    assert reasons(skipped) == {
        "a.py": "symbolic link loop",
        "b.py": "symbolic link loop",
        "self.py": "symbolic link loop",
        "pkg/up": "symbolic link to a directory (not followed)",
        "pkg/sub/back": "symbolic link to a directory (not followed)",
    }


def test_links_inside_and_outside_the_roots(tmp_path: Path, mode: str) -> None:
    outside = write(tmp_path / "outside" / "secret.py")
    proj = make_repo(tmp_path / "proj")
    write(proj / "real.py")
    (proj / "alias.py").symlink_to("real.py")
    os.link(proj / "real.py", proj / "hard.py")
    (proj / "escape.py").symlink_to(outside)
    (proj / "gone.py").symlink_to("missing.py")

    found, skipped = discover([proj])
    assert relpaths(found) == ["hard.py"]  # the first name that is not a link
    assert reasons(skipped) == {
        "alias.py": "same file as hard.py",
        "real.py": "same file as hard.py",
        "escape.py": "symbolic link to a file outside the scan roots (not followed)",
        "gone.py": "broken symbolic link (its target does not exist)",
    }
    # A link given explicitly is followed: the user named it.
    found, skipped = discover([proj / "escape.py"])
    assert relpaths(found) == ["escape.py"]
    assert read_text(found[0]) == "x = 1\n"


def test_unreadable_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    locked = write(tmp_path / "locked.py")
    locked.chmod(0)
    found, skipped = discover([tmp_path])
    assert relpaths(found) == ["locked.py"]
    assert skipped == []
    if os.access(locked, os.R_OK):  # running as root: permissions do not stop us, so the
        real_open = os.open  # refusal is simulated where the kernel would give it

        def refusing_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
            if os.fspath(path) == str(locked):
                raise PermissionError(13, "Permission denied")
            return real_open(path, flags, *args, **kwargs)

        monkeypatch.setattr(os, "open", refusing_open)
    assert read_text(found[0]) == Skipped("locked.py", "cannot be read: permission denied")


def test_a_directory_named_like_a_python_file(tmp_path: Path) -> None:
    write(tmp_path / "odd.py" / "inner.py")
    found, skipped = discover([tmp_path])
    assert relpaths(found) == ["odd.py/inner.py"]
    assert skipped == []
    assert read_text(source(tmp_path / "odd.py", "odd.py")) == Skipped(
        "odd.py", "not a regular file (directory)"
    )


def test_unlistable_directories(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "GIT", "distrust-test-no-such-git")
    write(tmp_path / "app.py")
    locked = write(tmp_path / "locked" / "hidden.py").parent
    locked.chmod(0)
    try:
        real_scandir = os.scandir
        if os.access(locked, os.R_OK):  # running as root: simulate the refusal

            def refusing_scandir(path: Any) -> Any:
                if os.fspath(path) == str(locked):
                    raise PermissionError(13, "Permission denied")
                return real_scandir(path)

            monkeypatch.setattr(os, "scandir", refusing_scandir)
        found, skipped = discover([tmp_path])
    finally:
        locked.chmod(0o755)
    assert relpaths(found) == ["app.py"]
    assert skipped == [Skipped("locked", "directory cannot be listed: permission denied")]


def test_a_file_deleted_between_discovery_and_reading(tmp_path: Path, mode: str) -> None:
    proj = make_repo(tmp_path / "proj")
    write(proj / "a.py")
    write(proj / "b.py")
    found, _ = discover([proj])
    (proj / "a.py").unlink()
    assert [read_text(f) for f in found] == [Skipped("a.py", VANISHED_REASON), "x = 1\n"]


def test_a_file_deleted_while_the_tree_is_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files, "GIT", "distrust-test-no-such-git")
    write(tmp_path / "a.py")
    write(tmp_path / "b.py")
    real_lstat = os.lstat

    def racing_lstat(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        if os.fspath(path).endswith("a.py"):
            os.unlink(path)
        return real_lstat(path, *args, **kwargs)

    monkeypatch.setattr(os, "lstat", racing_lstat)
    found, skipped = discover([tmp_path])
    assert relpaths(found) == ["b.py"]
    assert skipped == [Skipped("a.py", "vanished while the tree was being listed")]


def test_a_file_deleted_from_the_work_tree_but_still_in_the_index_is_out_of_scope(
    tmp_path: Path,
) -> None:
    proj = make_repo(tmp_path / "proj")
    write(proj / "a.py")
    write(proj / "b.py")
    git(proj, "add", "a.py", "b.py")
    (proj / "a.py").unlink()
    assert discover([proj]) == ([SourceFile(proj / "b.py", "b.py")], [])


def test_paths_with_spaces_newlines_and_non_utf8_bytes(tmp_path: Path, mode: str) -> None:
    proj = make_repo(tmp_path / "proj")
    names = [b"with space.py", b"new\nline.py", b"caf\xe9.py", b"d\xff\xfe/inner name.py"]
    for name in names:
        full = os.fsencode(proj) + b"/" + name
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as handle:
            handle.write(b"v = " + repr(name).encode() + b"\n")
    found, skipped = discover([proj])
    assert skipped == []
    assert relpaths(found) == sorted(os.fsdecode(n) for n in names)
    for file in found:
        assert isinstance(file.relpath, str)
        assert read_text(file) == "v = " + repr(os.fsencode(file.relpath)) + "\n"


def test_crlf_and_mixed_line_endings_are_kept(tmp_path: Path) -> None:
    content = b"a = 1\r\nb = 2\nc = 3\rd = (\r\n  4)\r\n"
    path = write(tmp_path / "endings.py", content)
    text = read_text(source(path, "endings.py"))
    assert text == content.decode()
    assert isinstance(text, str)
    tree = ast.parse(text)
    assert [node.lineno for node in tree.body] == [1, 2, 3, 4]


def remove_tree(top: Path) -> None:
    """shutil.rmtree recurses, and pytest's clean-up of old temporary directories uses it: a tree
    deeper than the recursion limit must be removed here, with an explicit stack."""
    stack = [str(top)]
    while stack:
        directory = stack[-1]
        subdirs = []
        with os.scandir(directory) as listing:
            for entry in listing:
                if entry.is_dir(follow_symlinks=False):
                    subdirs.append(entry.path)
                else:
                    os.unlink(entry.path)
        if subdirs:
            stack.extend(subdirs)
        else:
            os.rmdir(directory)
            stack.pop()


def test_a_deep_tree_is_walked_without_recursion(tmp_path: Path, mode: str) -> None:
    proj = make_repo(tmp_path / "proj")
    depth = sys.getrecursionlimit() + 200  # a recursive walk would fail
    deep = proj
    try:
        for _ in range(depth):  # os.makedirs and Path.mkdir(parents=True) recurse
            deep = deep / "d"
            deep.mkdir()
        write(deep / "bottom.py")
        found, skipped = discover([proj])
        assert relpaths(found) == ["/".join(["d"] * depth + ["bottom.py"])]
        assert skipped == []
    finally:
        remove_tree(proj / "d")


def test_results_are_sorted_and_stable(tmp_path: Path, mode: str) -> None:
    proj = make_repo(tmp_path / "proj")
    for name in ("z.py", "a/b.py", "m.py", "a/a.py", "A.py"):
        write(proj / name)
    (proj / "q.py").symlink_to("nowhere")
    (proj / "c.py").symlink_to("nowhere")
    first = discover([proj])
    assert relpaths(first[0]) == ["A.py", "a/a.py", "a/b.py", "m.py", "z.py"]
    assert [s.path for s in first[1]] == ["c.py", "q.py"]
    assert discover([proj]) == first
