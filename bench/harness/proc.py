"""Run one command and measure it: wall time, CPU time and peak memory of the whole process tree."""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Measured:
    argv: tuple[str, ...]
    returncode: int
    wall_s: float
    cpu_s: float  # user + system of the child and every descendant it waited for
    maxrss_mib: float  # largest resident set of the child or of one of its descendants
    stdout: Path
    stderr: Path

    def stderr_tail(self, limit: int = 400) -> str:
        try:
            text = self.stderr.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        text = text.strip()
        return text[-limit:]


def _address_space_cap(limit_mib: int | None) -> Callable[[], None] | None:
    """A cap on each process's address space, so a runaway scan fails instead of taking the
    shared machine's memory (and the OOM killer's choice of victim) with it."""
    if limit_mib is None:
        return None
    limit = limit_mib * 1024 * 1024

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return cap


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def run_measured(
    argv: list[str],
    *,
    out_dir: Path,
    label: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout_s: float | None = None,
    memory_limit_mib: int | None = None,
) -> Measured:
    """Run ``argv`` to completion; stdout and stderr go to files under ``out_dir``.

    The resource figures come from ``os.wait4`` on the child: on Linux they cover the child and
    all of its descendants that were waited for (worker processes, a native engine behind a
    Python wrapper), which is what a user pays for.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    stdout_path = out_dir / f"{label}.stdout"
    stderr_path = out_dir / f"{label}.stderr"
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    with stdout_path.open("wb") as out, stderr_path.open("wb") as err:
        start = time.perf_counter()
        try:
            proc = subprocess.Popen(
                argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=cwd, env=full_env,
                preexec_fn=_address_space_cap(memory_limit_mib), start_new_session=True,
            )
        except OSError as exc:
            err.write(f"could not start {argv[0]}: {exc}\n".encode())
            return Measured(tuple(argv), 127, 0.0, 0.0, 0.0, stdout_path, stderr_path)
        timer = None
        if timeout_s is not None:
            timer = threading.Timer(timeout_s, _kill_group, (proc.pid,))
            timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            if timer is not None:
                timer.cancel()
        # Worker processes the tool left behind (its own session, so only they are hit).
        _kill_group(proc.pid)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Measured(
        argv=tuple(argv),
        returncode=proc.returncode,
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        maxrss_mib=usage.ru_maxrss / 1024.0,
        stdout=stdout_path,
        stderr=stderr_path,
    )
