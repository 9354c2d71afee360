"""`distrust scan`: the result of an unchanged tree from the cache (`distrust.warm`), or the full
scan (`distrust.scan`, imported only then), the dependency check, and the report."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from distrust import cache, config, warm
from distrust.cli import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, finish, load_config
from distrust.errors import UsageError
from distrust.model import Finding, Notice, ScanResult
from distrust.report.write import write_bytes

if TYPE_CHECKING:
    from distrust import scan
    from distrust.deps.audit import DepsReport
    from distrust.rules.rule import Rule

PROGRESS_MIN_FILES = 200


def run(args: argparse.Namespace) -> int:
    """`distrust scan`: the stored result when nothing changed, else the full scan; then the
    dependency check and the report."""
    cfg = load_config(args)
    paths = [Path(p) for p in (args.paths or cfg.paths or ["."])]
    for path in paths:
        if not path.exists():
            raise UsageError(f"{path}: no such file or directory")
    select = args.select if args.select is not None else list(cfg.select)
    ignore = args.ignore if args.ignore is not None else list(cfg.ignore)
    cfg = replace(cfg, exclude=(*cfg.exclude, *args.exclude,
                                *_report_file(args.output, paths)))
    started = datetime.now(UTC).isoformat(timespec="seconds")
    cache_dir = None if args.no_cache else cache_folder(cfg)
    remember = None
    if cache_dir is not None and not (args.diff or args.fix):
        store = cache.Cache(cache_dir, "")
        key = warm.entry_key(cwd=os.getcwd(), roots=[os.fsdecode(p) for p in paths],
                             select=select, ignore=ignore, config=cfg, deps=_deps_mode(args))
        probe = warm.lookup(store, key, paths, cfg, want_seen=not args.no_deps)
        if probe.hit is not None:
            return _rescan(args, cfg, paths, started, store, key, probe.hit, probe.seen)
        remember = _Remember(store, key, probe)
    return _scan(args, cfg, paths, select, ignore, started, cache_dir, remember)


def _report_file(output: str | None, paths: Sequence[Path]) -> tuple[str, ...]:
    """An exclude pattern for the report being written, where it and the scanned paths lie
    below the current folder (file names then match relative to it): the scan's own report
    is not part of what it scans, and rewriting it does not make the next scan a changed
    tree."""
    if not output or output == "-":
        return ()
    here = os.getcwd()
    if not all(_below(os.path.abspath(p), here) for p in paths):
        return ()
    out = os.path.abspath(output)
    if not _below(out, here) or out == here:
        return ()
    rel = os.path.relpath(out, here)
    posix = rel.replace(os.sep, "/")
    # Literal in gitignore syntax: special characters escaped, anchored at the top.
    return ("/" + "".join("\\" + c if c in "\\*?[]!# " else c for c in posix),)


def _below(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


class _Remember:
    """Where the result of a full scan is kept for the next one (`distrust.warm`), and what
    the lookup before it saw."""

    def __init__(self, store: cache.Cache, key: str, probe: warm.Probe) -> None:
        self.store = store
        self.key = key
        self.probe = probe


def _scan(args: argparse.Namespace, cfg: config.Config, paths: list[Path], select: list[str],
          ignore: list[str], started: str, cache_dir: Path | None,
          remember: _Remember | None) -> int:
    """The full scan: every file through the rules (or the per-file cache)."""
    from distrust import scan
    from distrust.rules import ALL_RULES
    from distrust.rules.dependencies import DEPS_RULES

    for code in [*select, *ignore]:
        if not any(scan.matches(rule.code, code) for rule in ALL_RULES):
            raise UsageError(f"{code}: no rule code starts with this "
                             "(see `distrust rules`)")
    rules = scan.select_rules(ALL_RULES, select, ignore)
    jobs = args.jobs or cfg.jobs or os.cpu_count() or 1
    progress = None if args.no_progress else _progress_bar()
    outcome = scan.scan(paths, cfg, rules=rules, jobs=jobs, progress=progress,
                        cache_dir=cache_dir)
    if progress is not None:
        progress(-1, -1)
    if args.diff or args.fix:
        return run_fixes(args, paths, cfg, rules, jobs, outcome)
    chosen = tuple(r.code for r in scan.select_rules(DEPS_RULES, select, ignore))
    deps = _dependencies(args, cfg, paths) if chosen and not args.no_deps else None
    result = outcome.result
    if remember is not None and outcome.snapshot is not None:
        own = result.notices[:len(result.notices) - len(outcome.cache_notices)]
        entry = warm.Entry(outcome.snapshot, replace(result, notices=own),
                           tuple((f.rule, f.path, f.line, f.error) for f in outcome.failures),
                           chosen, _reusable(deps, remember.probe.seen, paths),
                           warm.known_files(remember.probe, outcome.snapshot))
        warm.store_entry(remember.store, remember.key, entry)
    if remember is not None:
        result = _with_notices(result, remember.store.notices)
    return _report(args, cfg, started, result, [(f.rule, f.path, f.line, f.error)
                                                for f in outcome.failures], chosen, deps)


def _rescan(args: argparse.Namespace, cfg: config.Config, paths: list[Path], started: str,
            store: cache.Cache, key: str, hit: warm.Entry, seen: tuple[str, ...] | None
            ) -> int:
    """An unchanged tree: the stored result, and the dependency check's (stored when the tree
    declares no dependency, else run now)."""
    deps: tuple[ScanResult, tuple[str, ...]] | None = None
    if hit.deps_rules and not args.no_deps:
        if hit.deps is not None:
            deps = hit.deps.result, hit.deps.unchecked
        else:
            deps = _dependencies(args, cfg, paths)
            reusable = _reusable(deps, seen, paths)
            if reusable is not None:
                warm.store_entry(store, key, replace(hit, deps=reusable))
    result = _with_notices(hit.result, store.notices)
    return _report(args, cfg, started, result, hit.failures, hit.deps_rules, deps)


def _deps_mode(args: argparse.Namespace) -> str:
    """How `scan` checks dependencies, as far as it changes the result."""
    if args.no_deps:
        return "off"
    return repr([getattr(args, name, None) for name in (
        "offline", "index_url", "npm_registry", "osv_url", "timeout", "db", "cache_dir",
        "no_imports")])


def _dependencies(args: argparse.Namespace, cfg: config.Config, paths: Sequence[Path]
                  ) -> tuple[ScanResult, tuple[str, ...]]:
    from distrust.deps import commands

    report: DepsReport = commands.scan_dependencies(args, cfg.deps, paths, cfg.exclude)
    return report.result, report.unchecked


def _reusable(deps: tuple[ScanResult, tuple[str, ...]] | None, seen: tuple[str, ...] | None,
              paths: Sequence[Path]) -> warm.Deps | None:
    """The dependency result as the warm path may reuse it: only for a scan of the current
    folder whose files in scope (`seen`, listed before the check ran) hold no manifest, so
    that the result depends on no registry or advisory source."""
    if deps is None or seen is None or deps[1] or len(paths) != 1:
        return None
    if not paths[0].is_dir() or paths[0].resolve() != Path.cwd().resolve():
        return None
    from pathlib import PurePosixPath

    from distrust.deps.manifests import manifest_kind

    if any(manifest_kind(PurePosixPath(path)) is not None for path in seen):
        return None
    return warm.Deps(warm.seen_digest(seen), deps[0], deps[1])


def _with_notices(result: ScanResult, notices: Sequence[Notice]) -> ScanResult:
    """`result` with the cache notices it does not hold yet."""
    new = [n for n in dict.fromkeys(notices) if n not in result.notices]
    return replace(result, notices=(*result.notices, *new)) if new else result


def _report(args: argparse.Namespace, cfg: config.Config, started: str, result: ScanResult,
            failures: Sequence[tuple[str, str, int, str]], chosen: Sequence[str],
            deps: tuple[ScanResult, tuple[str, ...]] | None) -> int:
    unchecked: tuple[str, ...] = ()
    if deps is not None:
        result = merge(result, deps[0], set(chosen))
        unchecked = deps[1]
    code = finish(args, cfg, result, started, (),
                  [f"rule {rule} failed on {path}:{line}: {error}"
                   for rule, path, line, error in failures])
    if code == EXIT_OK and unchecked and not args.allow_unchecked:
        print("distrust: not a pass: " + "; ".join(unchecked)
              + " (see the notices; --allow-unchecked accepts this, --no-deps skips "
                "dependencies)", file=sys.stderr)
        return EXIT_ERROR
    return code


def merge(code: ScanResult, deps: ScanResult, chosen: set[str]) -> ScanResult:
    """The code scan and the dependency check as one result."""
    findings = sorted((*code.findings, *(f for f in deps.findings if f.rule in chosen)),
                      key=lambda f: (f.location.path, f.location.line, f.location.column,
                                     f.rule, f.fingerprint))
    return ScanResult(tuple(findings), tuple(sorted({*code.skipped, *deps.skipped})),
                      code.files_scanned, (*code.notices, *deps.notices))


def cache_folder(cfg: config.Config) -> Path:
    """The `cache-dir` setting (relative to the configuration file's folder), or
    `.distrust/cache` in that folder, or in the current one when there is no configuration
    file."""
    home = Path(cfg.source).parent if cfg.source else Path.cwd()
    return home / (cfg.cache_dir or cache.DEFAULT_DIR)


def run_fixes(args: argparse.Namespace, paths: Sequence[Path], cfg: config.Config,
              rules: Sequence[Rule], jobs: int, outcome: scan.ScanOutcome) -> int:
    """`--diff` prints the fixes that pass verification; `--fix` writes them. The exit code
    says whether findings remain."""
    from distrust import fixes, scan
    from distrust.report.escape import escape_terminal

    wanted = [f for f in outcome.result.findings if f.fix is not None and not f.suppressed]
    texts: dict[str, str] = {}
    encodings: dict[str, str] = {}
    for path in sorted({f.location.path for f in wanted}):
        source = outcome.paths.get(path)
        if source is None:
            continue
        loaded = fixes.load(source)
        if loaded is not None:
            texts[path], encodings[path] = loaded
    proposed, rejected = fixes.propose(wanted, texts)

    def rescan(overlay: Mapping[str, str]) -> Sequence[Finding]:
        return scan.scan(paths, cfg, rules=rules, jobs=jobs, overlay=overlay).result.findings

    kept, failed = fixes.verify(proposed, outcome.result.findings, rescan)
    for item in [*rejected, *failed]:
        loc = item.finding.location
        print(f"distrust: not fixed: {escape_terminal(loc.path)}:{loc.line}: "
              f"{item.finding.rule}: {item.reason}", file=sys.stderr)
    fixed = sum(len(fix.findings) for fix in kept.values())
    if args.fix:
        for path, fix in sorted(kept.items()):
            write_bytes(outcome.paths[path], fix.fixed.encode(encodings[path]))
        print(f"distrust: fixed {fixed} finding(s) in {len(kept)} file(s)", file=sys.stderr)
    else:
        sys.stdout.write("".join(fix.diff() for _, fix in sorted(kept.items())))
    remaining = len([f for f in outcome.result.findings if not f.suppressed]) - \
        (fixed if args.fix else 0)
    return EXIT_FINDINGS if remaining > 0 else EXIT_OK


def _progress_bar() -> Callable[[int, int], None] | None:
    stream = sys.stderr
    if not stream.isatty():
        return None
    shown = [False]

    def update(done: int, total: int) -> None:
        if done < 0:
            if shown[0]:
                stream.write("\r\x1b[K")
                stream.flush()
            return
        if total < PROGRESS_MIN_FILES:
            return
        if done % 20 and done != total:
            return
        width = 30
        filled = width * done // total
        stream.write(f"\rscanning [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        stream.flush()
        shown[0] = True

    return update
