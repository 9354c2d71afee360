"""The command line: subcommands → library calls → exit code.

Exit codes: 0 when no unsuppressed finding meets the thresholds, 1 when one does, 2 when the
tool could not do what was asked (bad arguments or configuration, an internal error in a
rule).

Start-up time counts (pre-commit and agent hooks start the tool on every edit): the rules, the
parser, the taint engine and the dependency checks are imported where they are used, and an
unchanged re-scan takes its result from the cache without loading them (`distrust.warm`)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from distrust import __version__, cache, config, warm
from distrust.errors import DistrustError, UsageError
from distrust.model import Confidence, Finding, Notice, RunInfo, ScanResult, Severity
from distrust.report import FORMAT_MODULES, RenderOptions, renderer
from distrust.report.write import write, write_bytes

if TYPE_CHECKING:
    from distrust import scan
    from distrust.deps.audit import DepsReport
    from distrust.rules.rule import Rule

    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
PROGRESS_MIN_FILES = 200


def _codes(text: str) -> list[str]:
    codes = [c.strip().upper() for c in text.split(",") if c.strip()]
    for code in codes:
        if not code.isalnum():
            raise argparse.ArgumentTypeError(f"invalid rule code or prefix {code!r}")
    return codes


def _severity(text: str) -> Severity:
    try:
        return Severity.parse(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _confidence(text: str) -> Confidence:
    try:
        return Confidence.parse(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--jobs must be a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"--jobs must be at least 1, got {value}")
    return value


def add_output_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=sorted(FORMAT_MODULES), default="text",
                   help="output format (default: text)")
    p.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE")
    p.add_argument("--min-severity", type=_severity, metavar="LEVEL",
                   help="report findings of at least this severity: low, medium, high, critical")
    p.add_argument("--min-confidence", type=_confidence, metavar="LEVEL",
                   help="report findings of at least this confidence: low, medium, high")
    p.add_argument("--baseline", metavar="FILE",
                   help="accept the findings recorded in FILE: only new ones are reported")
    p.add_argument("--write-baseline", metavar="FILE",
                   help="record the current findings in FILE as the accepted baseline")
    p.add_argument("--config", metavar="FILE",
                   help="configuration file (default: the nearest distrust.toml or "
                        "pyproject.toml with [tool.distrust])")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line parser; with a known `command`, only that subcommand is defined (the
    others' modules are slow to import, and a run parses one command)."""
    parser = argparse.ArgumentParser(
        prog="distrust",
        description="Verify AI-generated code before anyone trusts it.",
    )
    parser.add_argument("--version", action="version", version=f"distrust {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, add in _SUBCOMMANDS.items():
        if command not in _SUBCOMMANDS or name == command:
            add(sub)
    return parser


def _add_scan_parser(sub: Subparsers) -> None:
    p = sub.add_parser("scan", help="scan Python code for vulnerabilities",
                       description="Scan Python files for vulnerabilities: taint analysis "
                                   "from untrusted input to dangerous calls, plus pattern "
                                   "rules.")
    p.add_argument("paths", nargs="*", metavar="PATH", help="files or folders (default: .)")
    add_output_arguments(p)
    p.add_argument("--select", type=_codes, metavar="CODES",
                   help="only these rule codes or prefixes (comma-separated)")
    p.add_argument("--ignore", type=_codes, metavar="CODES",
                   help="skip these rule codes or prefixes (comma-separated)")
    p.add_argument("--exclude", action="append", metavar="GLOB", default=[],
                   help="leave out paths matching this gitignore-style pattern (repeatable)")
    p.add_argument("-j", "--jobs", type=_jobs, metavar="N",
                   help="worker processes (default: the number of CPUs)")
    p.add_argument("--no-progress", action="store_true", help="never show a progress bar")
    p.add_argument("--no-cache", action="store_true",
                   help="neither read nor write the results cache (default: .distrust/cache "
                        "in the project, or the cache-dir setting)")
    _add_dependency_arguments(p)
    p.add_argument("--diff", action="store_true",
                   help="print the fixes the rules offer as a unified diff (changes nothing)")
    p.add_argument("--fix", action="store_true",
                   help="apply the fixes the rules offer, where the file still parses and the "
                        "finding is gone on a re-scan")
    p.set_defaults(func=run_scan)


def _add_dependency_arguments(p: argparse.ArgumentParser) -> None:
    """The dependency options of `distrust scan`, which checks dependencies too."""
    p.add_argument("--no-deps", action="store_true",
                   help="do not check the dependencies the project declares")
    p.add_argument("--offline", action="store_true",
                   help="check dependencies against the local database and cache only")
    p.add_argument("--index-url", metavar="URL",
                   help="package index for existence checks (default: PIP_INDEX_URL, pip's "
                        "configuration, then PyPI)")
    p.add_argument("--allow-unchecked", action="store_true",
                   help="pass even when a registry or advisory source could not be used")


def _add_rules_parser(sub: Subparsers) -> None:
    p = sub.add_parser("rules", help="list the rules, or print one rule's documentation")
    p.add_argument("code", nargs="?", help="a rule code such as SQL001")
    p.set_defaults(func=run_rules)


def _add_deps_parser(sub: Subparsers) -> None:
    from distrust.deps import commands

    commands.add_deps_parser(sub)


def _add_db_parser(sub: Subparsers) -> None:
    from distrust.deps import commands

    commands.add_db_parser(sub)


def _add_guard_parser(sub: Subparsers) -> None:
    from distrust.deps import commands

    commands.add_guard_parser(sub)


def _add_hook_parser(sub: Subparsers) -> None:
    from distrust.deps import commands

    commands.add_hook_parser(sub)


_SUBCOMMANDS: dict[str, Callable[[Subparsers], None]] = {
    "scan": _add_scan_parser, "rules": _add_rules_parser, "deps": _add_deps_parser,
    "db": _add_db_parser, "guard": _add_guard_parser, "hook": _add_hook_parser,
}


def _command_of(argv: Sequence[str]) -> str | None:
    """The subcommand `argv` names: its first word that is not an option (the top level has
    no option that takes a value)."""
    for arg in argv:
        if arg == "--":
            return None
        if not arg.startswith("-"):
            return arg
    return None


def main(argv: Sequence[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_command_of(words))
    try:
        args = parser.parse_args(words)
    except SystemExit as exc:
        return EXIT_ERROR if exc.code not in (0, None) else EXIT_OK
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    try:
        code: int = args.func(args)
        return code
    except DistrustError as err:
        from distrust.report.escape import escape_terminal

        print(f"distrust: error: {escape_terminal(str(err))}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("distrust: interrupted", file=sys.stderr)
        return 130


def load_config(args: argparse.Namespace) -> config.Config:
    if args.config:
        path = Path(args.config)
        if not path.is_file():
            raise UsageError(f"--config {args.config}: no such file")
        return config.load(path)
    return config.load(config.find(Path.cwd()))


def run_scan(args: argparse.Namespace) -> int:
    cfg = load_config(args)
    paths = [Path(p) for p in (args.paths or cfg.paths or ["."])]
    for path in paths:
        if not path.exists():
            raise UsageError(f"{path}: no such file or directory")
    select = args.select if args.select is not None else list(cfg.select)
    ignore = args.ignore if args.ignore is not None else list(cfg.ignore)
    cfg = replace(cfg, exclude=(*cfg.exclude, *args.exclude))
    started = datetime.now(UTC).isoformat(timespec="seconds")
    cache_dir = None if args.no_cache else cache_folder(cfg)
    store: cache.Cache | None = None
    key = ""
    seen: tuple[str, ...] | None = None
    if cache_dir is not None and not (args.diff or args.fix):
        store = cache.Cache(cache_dir, "")
        key = warm.entry_key(cwd=os.getcwd(), roots=[os.fsdecode(p) for p in paths],
                             select=select, ignore=ignore, config=cfg, deps=_deps_mode(args))
        probe = warm.lookup(store, key, paths, cfg, want_seen=not args.no_deps)
        seen = probe.seen
        if probe.hit is not None:
            return _rescan(args, cfg, paths, started, store, key, probe.hit, seen)
    return _scan(args, cfg, paths, select, ignore, started, cache_dir,
                 _Remember(store, key, seen) if store is not None else None)


class _Remember:
    """Where the result of a full scan is kept for the next one (`distrust.warm`)."""

    def __init__(self, store: cache.Cache, key: str, seen: tuple[str, ...] | None) -> None:
        self.store = store
        self.key = key
        self.seen = seen


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
                           chosen, _reusable(deps, remember.seen, paths))
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


def finish(args: argparse.Namespace, cfg: config.Config, result: ScanResult, started: str,
           rules: Sequence[Rule], failures: Sequence[str]) -> int:
    """Thresholds, baseline, report, exit code: shared by every command that reports
    findings. `rules` are the rules of the findings besides the catalogue's."""
    from distrust.report.escape import escape_terminal

    min_sev = args.min_severity or cfg.min_severity
    min_conf = args.min_confidence or cfg.min_confidence
    findings = tuple(f for f in result.findings
                     if f.severity >= min_sev and f.confidence >= min_conf)
    notices = list(result.notices)
    baseline_path = args.baseline or cfg.baseline
    if baseline_path and not args.write_baseline:
        from distrust import baseline

        known = baseline.load(Path(baseline_path))
        findings, accepted = known.partition(findings)
        if accepted:
            notices.append(Notice(f"{accepted} finding(s) accepted by the baseline "
                                  f"{baseline_path}"))
    result = ScanResult(findings, result.skipped, result.files_scanned, tuple(notices))
    if args.write_baseline:
        from distrust import baseline

        write(args.write_baseline, baseline.render(tuple(f for f in findings
                                                         if not f.suppressed)))
        print(f"distrust: wrote {sum(not f.suppressed for f in findings)} finding(s) to "
              f"{escape_terminal(args.write_baseline)}", file=sys.stderr)
    run = RunInfo(__version__, started)
    to_stdout = not args.output
    color = to_stdout and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    options = RenderOptions(color=color, root=str(Path.cwd()))
    text = renderer(args.format)(result, _Catalogue(rules), run, options)
    if to_stdout:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        write(args.output, text)
    for failure in failures:
        print(f"distrust: internal error: {escape_terminal(failure)}", file=sys.stderr)
    if failures:
        return EXIT_ERROR
    return EXIT_FINDINGS if any(not f.suppressed for f in findings) else EXIT_OK


class _Catalogue(Mapping[str, "Rule"]):
    """The rule catalogue with `extra` rules, imported on first use: the JSON and text reports
    do not look rules up (findings carry what they show)."""

    def __init__(self, extra: Sequence[Rule]) -> None:
        self._extra = tuple(extra)
        self._table: dict[str, Rule] | None = None

    def _rules(self) -> dict[str, Rule]:
        if self._table is None:
            from distrust.rules import BY_CODE

            self._table = {**BY_CODE, **{r.code: r for r in self._extra}}
        return self._table

    def __getitem__(self, code: str) -> Rule:
        return self._rules()[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self._rules())

    def __len__(self) -> int:
        return len(self._rules())


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


def run_rules(args: argparse.Namespace) -> int:
    from distrust.rules import ALL_RULES, BY_CODE

    if args.code:
        rule = BY_CODE.get(args.code.upper())
        if rule is None:
            raise UsageError(f"{args.code}: unknown rule code (see `distrust rules`)")
        print(f"# {rule.code} {rule.name}\n")
        print(f"CWE-{rule.cwe} · {rule.owasp} · severity {rule.severity.label} · "
              f"confidence {rule.confidence.label}\n")
        print(rule.doc.rstrip())
        return EXIT_OK
    width = max(len(r.name) for r in ALL_RULES)
    for rule in ALL_RULES:
        kind = "taint" if rule.is_taint else "pattern"
        print(f"{rule.code:<9} {rule.name:<{width}}  CWE-{rule.cwe:<4} "
              f"{rule.severity.label:<8} {kind:<7} {rule.owasp}")
    return EXIT_OK

