"""DESIGN §8 through the whole scan: every kind of bad input becomes a skipped record with a
reason, or is handled; none stops the scan of the other files or hangs it."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from distrust.cli import main

VULNERABLE = '''\
import os
from flask import request


def run():
    os.system("ping " + request.args["host"])
'''


@pytest.fixture(autouse=True)
def no_hang() -> Iterator[None]:
    def fail(signum: int, frame: object) -> None:
        raise TimeoutError("the scan hung")

    old = signal.signal(signal.SIGALRM, fail)
    signal.alarm(120)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def scan_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, object]]:
    code = main(["scan", "--format", "json", "--no-progress", *args])
    out, _ = capsys.readouterr()
    return code, json.loads(out)


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "good.py").write_text(VULNERABLE)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def skipped(doc: dict[str, object]) -> dict[str, str]:
    entries = doc["skipped"]
    assert isinstance(entries, list)
    return {e["path"]: e["reason"] for e in entries}


def assert_good_file_still_scanned(code: int, doc: dict[str, object]) -> None:
    assert code == 1
    findings = doc["findings"]
    assert isinstance(findings, list)
    assert [(f["path"], f["rule"]) for f in findings] == [("good.py", "CMD001")]


def test_syntax_error_is_skipped_with_the_parsers_position(
        tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tree / "broken.py").write_text("def f(:\n    pass\n")
    code, doc = scan_json(capsys)
    assert_good_file_still_scanned(code, doc)
    reason = skipped(doc)["broken.py"]
    assert reason.startswith("syntax error at line 1, column ")
    out_code = main(["scan", "--no-progress"])
    text, _ = capsys.readouterr()
    assert out_code == 1
    assert "1 skipped" in text and "broken.py" in text


@pytest.mark.parametrize("content, reason", [
    (b"x = 1\x00\n", "NUL"),
    (b"x = '\xe9t\xe9'\n", "cannot be decoded"),
    (b"# -*- coding: klingon -*-\nx = 1\n", "klingon"),
    (bytes(range(256)) * 8, ""),
])
def test_undecodable_and_binary_files_are_skipped(
        tree: Path, capsys: pytest.CaptureFixture[str], content: bytes, reason: str) -> None:
    (tree / "bad.py").write_bytes(content)
    code, doc = scan_json(capsys)
    assert_good_file_still_scanned(code, doc)
    assert reason in skipped(doc)["bad.py"]


def test_deeply_nested_expressions_do_not_crash(tree: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    (tree / "deep_binop.py").write_text("x = " + "+".join(["a"] * 3000) + "\n")
    # Python itself refuses more than 200 nested brackets: a clear skip, not a crash.
    (tree / "deep_parens.py").write_text("x = " + "(" * 3000 + "1" + ")" * 3000 + "\n")
    (tree / "deep_flow.py").write_text(
        "from flask import request\nimport os\n\ndef v():\n    os.system(request.args['x']"
        + " + 'a'" * 3000 + ")\n")
    code, doc = scan_json(capsys)
    assert code == 1
    assert skipped(doc) == {
        "deep_parens.py": "syntax error at line 1, column 205: too many nested parentheses"}
    assert doc["files_scanned"] == 3
    found = {(f["path"], f["rule"]) for f in doc["findings"]}  # type: ignore[union-attr]
    assert found == {("good.py", "CMD001"), ("deep_flow.py", "CMD001")}


def test_huge_file_is_skipped_without_reading_it(tree: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    with open(tree / "huge.py", "wb") as handle:
        handle.truncate(300 * 1024 * 1024)
    code, doc = scan_json(capsys)
    assert_good_file_still_scanned(code, doc)
    assert "larger than" in skipped(doc)["huge.py"]


def test_special_files_and_link_loops(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "good.py").write_text(VULNERABLE)
    os.mkfifo(tmp_path / "pipe.py")
    (tmp_path / "loop.py").symlink_to(tmp_path / "loop.py")
    (tmp_path / "dev.py").symlink_to("/dev/zero")
    (tmp_path / "folder.py").mkdir()
    monkeypatch.chdir(tmp_path)
    code, doc = scan_json(capsys)
    assert_good_file_still_scanned(code, doc)
    reasons = skipped(doc)
    assert "not a regular file" in reasons["pipe.py"]
    assert "loop.py" in reasons
    assert "dev.py" in reasons


def test_strange_names_and_line_endings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "with space.py").write_text(VULNERABLE)
    (tmp_path / "new\nline.py").write_text(VULNERABLE)
    (tmp_path / "crlf.py").write_bytes(VULNERABLE.replace("\n", "\r\n").encode())
    mixed = VULNERABLE.replace("\n", "\r\n", 3)
    (tmp_path / "mixed.py").write_bytes(mixed.encode())
    os.close(os.open(os.fsencode(tmp_path) + b"/caf\xe9.py", os.O_CREAT | os.O_WRONLY))
    with open(os.fsencode(tmp_path) + b"/caf\xe9.py", "w") as handle:
        handle.write(VULNERABLE)
    monkeypatch.chdir(tmp_path)
    code, doc = scan_json(capsys)
    assert code == 1
    found = {(f["path"], f["line"]) for f in doc["findings"]}  # type: ignore[union-attr]
    assert ("with space.py", 6) in found
    assert ("new\nline.py", 6) in found
    assert ("crlf.py", 6) in found
    assert ("mixed.py", 6) in found
    assert any(path.startswith("caf") for path, _ in found)
    for fmt in ("text", "sarif"):
        assert main(["scan", "--format", fmt, "--no-progress"]) == 1
        out, _ = capsys.readouterr()
        assert "\nline.py" not in out  # the newline of a file name never reaches the output raw


def test_hostile_text_is_escaped_in_the_terminal(tree: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    evil = VULNERABLE.replace('"ping "', '"ping \x1b[2J\u202e"')
    (tree / "good.py").write_text(evil)
    assert main(["scan", "--no-progress"]) == 1
    out, _ = capsys.readouterr()
    assert "\x1b" not in out
    assert "\u202e" not in out


def test_vanishing_file(tree: Path, monkeypatch: pytest.MonkeyPatch,
                        capsys: pytest.CaptureFixture[str]) -> None:
    from distrust import files

    (tree / "gone.py").write_text("x = 1\n")
    real = files.read_text

    def vanish(file: files.SourceFile, max_bytes: int = files.DEFAULT_MAX_BYTES) -> object:
        if file.relpath == "gone.py":
            (tree / "gone.py").unlink()
        return real(file, max_bytes)

    monkeypatch.setattr(files, "read_text", vanish)
    code, doc = scan_json(capsys, "--jobs", "1")
    assert_good_file_still_scanned(code, doc)
    assert "vanished" in skipped(doc)["gone.py"]


def test_unreadable_directory_is_listed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "good.py").write_text(VULNERABLE)
    monkeypatch.chdir(tmp_path)
    real = os.open

    def refuse(path: object, flags: int, *args: object, **kwargs: object) -> int:
        if str(path).endswith("secret.py"):
            raise PermissionError(13, "Permission denied")
        return real(path, flags, *args, **kwargs)  # type: ignore[arg-type]

    (tmp_path / "secret.py").write_text("x = 1\n")
    monkeypatch.setattr(os, "open", refuse)
    code, doc = scan_json(capsys, "--jobs", "1")
    assert_good_file_still_scanned(code, doc)
    assert "ermission denied" in skipped(doc)["secret.py"]
