"""Writing a report to a file without ever leaving a half-written one: the text goes to a new
file in the same directory, is flushed to disk, and then replaces the target in one step."""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path


def write(path: str | os.PathLike[str], text: str) -> None:
    """Write `text` (UTF-8) to `path` atomically: readers see the old file or the new one,
    never a part. An existing file keeps its permission bits; a new one gets the umask's.
    Errors (a missing directory, no permission) propagate as `OSError`."""
    write_bytes(path, text.encode("utf-8"))


def write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write `data` to `path` atomically, as `write` does."""
    target = Path(path)
    mode = 0o666
    with contextlib.suppress(FileNotFoundError):
        info = target.stat()
        if stat.S_ISREG(info.st_mode):
            mode = stat.S_IMODE(info.st_mode)
        else:
            # A device, a FIFO or a terminal (`-o /dev/null`, `-o /dev/stdout`): write into it;
            # replacing it would swap the device for a regular file.
            with open(target, "wb") as handle:
                handle.write(data)
            return
    directory = target.parent
    temp = directory / f".{target.name}.{os.urandom(6).hex()}.tmp"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode != 0o666:
            os.chmod(temp, mode)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    _sync_directory(directory)


def _sync_directory(directory: Path) -> None:
    """Make the rename durable where the platform allows opening a directory."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)
