"""write(): the target holds the old report or the new one, never a part, and no temp file stays."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from distrust.report import write


def test_writes_and_replaces(tmp_path: Path) -> None:
    target = tmp_path / "report.sarif"
    write(target, "first ünï\n")
    assert target.read_bytes() == "first ünï\n".encode()
    write(str(target), "second\r\n")
    assert target.read_bytes() == b"second\r\n"
    assert sorted(os.listdir(tmp_path)) == ["report.sarif"]


def test_new_file_follows_umask_and_old_file_keeps_its_mode(tmp_path: Path) -> None:
    old_umask = os.umask(0o022)
    try:
        fresh = tmp_path / "fresh.json"
        write(fresh, "{}")
        assert stat.S_IMODE(fresh.stat().st_mode) == 0o644
    finally:
        os.umask(old_umask)
    kept = tmp_path / "kept.json"
    kept.write_text("old")
    kept.chmod(0o600)
    write(kept, "new")
    assert kept.read_text() == "new"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600


def test_failed_replace_leaves_the_old_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "report.txt"
    target.write_text("old report")

    def refuse(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        write(target, "new report")
    assert target.read_text() == "old report"
    assert sorted(os.listdir(tmp_path)) == ["report.txt"]


def test_unencodable_text_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "report.txt"
    target.write_text("old report")
    with pytest.raises(UnicodeEncodeError):
        write(target, "lone \udcff surrogate")
    assert target.read_text() == "old report"
    assert sorted(os.listdir(tmp_path)) == ["report.txt"]


def test_missing_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write(tmp_path / "no" / "such" / "report.txt", "x")


def test_a_device_or_fifo_target_is_written_into_never_replaced(tmp_path: Path) -> None:
    import os
    import stat
    import threading

    write(os.devnull, "report")
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    write(fifo, "through the pipe")
    reader.join(timeout=30)
    assert received == [b"through the pipe"]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
