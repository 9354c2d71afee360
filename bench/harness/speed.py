"""Speed: wall time, CPU time and peak memory of every tool on the same trees, in one run."""

from __future__ import annotations

import resource
import shutil
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from harness.proc import Measured, run_measured
from harness.tools import BENCH_DIR, Tool, Unavailable

PARSE_FLOOR = BENCH_DIR / "parse_floor.py"
Log = Callable[[str], None]


@dataclass
class Series:
    """Repeated runs of one command on one tree."""

    label: str
    command: str = ""
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    rss: list[float] = field(default_factory=list)
    findings: int | None = None
    error: str | None = None

    def add(self, measured: Measured) -> None:
        self.wall.append(measured.wall_s)
        self.cpu.append(measured.cpu_s)
        self.rss.append(measured.maxrss_mib)

    def median(self, values: list[float]) -> float | None:
        return statistics.median(values) if values else None

    def as_dict(self) -> dict[str, object]:
        return {
            "label": self.label,
            "command": self.command,
            "wall_s": self.wall,
            "cpu_s": self.cpu,
            "maxrss_mib": self.rss,
            "median_wall_s": self.median(self.wall),
            "median_cpu_s": self.median(self.cpu),
            "max_rss_mib": max(self.rss) if self.rss else None,
            "findings": self.findings,
            "error": self.error,
        }


@dataclass(frozen=True)
class Plan:
    runs: int
    semgrep_runs: int
    jobs: int
    semgrep_max_lines: int
    full: bool  # warm, edit and --jobs 1 as well as the cold --jobs N scan
    timeout_s: float = 3600.0
    memory_limit_mib: int | None = None  # address-space cap for distrust's processes


def _display(argv: tuple[str, ...] | list[str]) -> str:
    """The command as a reader would type it: program names without this machine's paths."""
    shown = []
    for arg in argv:
        if "/" in arg and not arg.startswith("-"):
            parts = arg.rstrip("/").rsplit("/", 2)
            arg = f"<semgrep-rules>/{parts[-1]}" if parts[-2] == "semgrep-rules" else parts[-1]
        shown.append(arg)
    return " ".join(shown)


def _repeat(
    series: Series,
    count: int,
    argv: list[str],
    cwd: Path,
    out_dir: Path,
    ok_codes: frozenset[int],
    before: Callable[[int], None] | None = None,
    parse: Callable[[Path], list[object]] | None = None,
    timeout_s: float | None = None,
    memory_limit_mib: int | None = None,
) -> Series:
    series.command = _display(argv)
    for index in range(count):
        if before is not None:
            before(index)
        measured = run_measured(argv, out_dir=out_dir, label=f"{series.label}-{index}", cwd=cwd,
                                timeout_s=timeout_s, memory_limit_mib=memory_limit_mib)
        if measured.returncode not in ok_codes:
            series.error = f"exit {measured.returncode}: {measured.stderr_tail(300)}"
            break
        if parse is not None and index == 0:
            try:
                series.findings = len(parse(measured.stdout))
            except (ValueError, OSError) as exc:
                series.error = f"unreadable output: {exc}"
                break
        series.add(measured)
    return series


def _edit_target(tree: Path) -> Path:
    files = sorted(p for p in tree.rglob("*.py") if p.is_file() and ".distrust" not in p.parts)
    return files[len(files) // 2]


def measure_tree(
    name: str,
    tree: Path,
    tools: list[Tool | Unavailable],
    plan: Plan,
    lines: int,
    work: Path,
    log: Log,
) -> dict[str, object]:
    out_dir = work / "out" / name
    results: dict[str, Series] = {}

    log(f"[{name}] parse floor x{plan.runs}")
    results["floor"] = _repeat(
        Series("floor"), plan.runs, [sys.executable, str(PARSE_FLOOR), "."], tree, out_dir,
        frozenset({0}), timeout_s=plan.timeout_s,
    )
    for tool in tools:
        if isinstance(tool, Unavailable):
            results[tool.name] = Series(tool.name, error=f"unavailable: {tool.reason}")
            continue
        if tool.name == "distrust":
            _measure_distrust(name, tree, tool, plan, work, out_dir, results, log)
            continue
        count = plan.semgrep_runs if tool.name == "semgrep" else plan.runs
        if tool.name == "semgrep" and lines > plan.semgrep_max_lines:
            results[tool.name] = Series(
                tool.name, error=f"skipped: tree over --semgrep-max-lines={plan.semgrep_max_lines}"
            )
            continue
        log(f"[{name}] {tool.name} x{count}")
        results[tool.name] = _repeat(
            Series(tool.name), count, tool.argv({}), tree, out_dir, tool.ok_codes,
            parse=tool.parse, timeout_s=plan.timeout_s,  # type: ignore[arg-type]
        )
    out: dict[str, object] = {label: series.as_dict() for label, series in results.items()}
    # On Linux a child's peak RSS starts at the parent's size when it was forked (the figure is
    # kept across exec), so nothing below the harness's own peak can be seen.
    out["_rss_floor_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return out


def _measure_distrust(
    name: str,
    tree: Path,
    tool: Tool,
    plan: Plan,
    work: Path,
    out_dir: Path,
    results: dict[str, Series],
    log: Log,
) -> None:
    jobs_n = {"jobs": plan.jobs, "no_cache": True}
    log(f"[{name}] distrust cold --jobs {plan.jobs} x{plan.runs}")
    results["distrust-cold-jN"] = _repeat(
        Series("distrust-cold-jN"), plan.runs, tool.argv(jobs_n), tree, out_dir, tool.ok_codes,
        parse=tool.parse, timeout_s=plan.timeout_s, memory_limit_mib=plan.memory_limit_mib,  # type: ignore[arg-type]
    )
    if not plan.full:
        return
    log(f"[{name}] distrust cold --jobs 1 x{plan.runs}")
    results["distrust-cold-j1"] = _repeat(
        Series("distrust-cold-j1"), plan.runs, tool.argv({"jobs": 1, "no_cache": True}), tree,
        out_dir, tool.ok_codes, parse=tool.parse,  # type: ignore[arg-type]
        timeout_s=plan.timeout_s, memory_limit_mib=plan.memory_limit_mib,
    )
    if "no-cache" not in tool.features:
        reason = "unavailable: this distrust has no result cache yet (`scan --no-cache` unknown)"
        results["distrust-warm"] = Series("distrust-warm", error=reason)
        results["distrust-edit"] = Series("distrust-edit", error=reason)
        return
    # Warm and edited scans run on a scratch copy, so the cache and the edits never touch the
    # corpus itself.
    copy = work / "scratch" / name
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(tree, copy, symlinks=True, ignore=shutil.ignore_patterns(".distrust"))
    cached = {"jobs": plan.jobs}
    prime = _repeat(
        Series("distrust-prime"), 1, tool.argv(cached), copy, out_dir, tool.ok_codes,
        timeout_s=plan.timeout_s, memory_limit_mib=plan.memory_limit_mib,
    )
    if prime.error:
        results["distrust-warm"] = Series("distrust-warm", error=prime.error)
        results["distrust-edit"] = Series("distrust-edit", error=prime.error)
        return
    log(f"[{name}] distrust warm x{plan.runs}")
    results["distrust-warm"] = _repeat(
        Series("distrust-warm"), plan.runs, tool.argv(cached), copy, out_dir, tool.ok_codes,
        timeout_s=plan.timeout_s, memory_limit_mib=plan.memory_limit_mib,
    )
    target = _edit_target(copy)
    log(f"[{name}] distrust after a one-file edit of {target.relative_to(copy)} x{plan.runs}")

    def edit(index: int) -> None:
        with target.open("a", encoding="utf-8") as handle:
            handle.write(f"\nBENCH_EDIT_{index} = {index}\n")

    edited = _repeat(
        Series("distrust-edit"), plan.runs, tool.argv(cached), copy, out_dir, tool.ok_codes,
        before=edit, timeout_s=plan.timeout_s, memory_limit_mib=plan.memory_limit_mib,
    )
    edited.command += f"   (after appending a line to {target.relative_to(copy).as_posix()})"
    results["distrust-edit"] = edited
