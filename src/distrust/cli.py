"""The command line: subcommands → library calls → exit code.

Exit codes: 0 when no unsuppressed finding meets the thresholds, 1 when one does, 2 when the
tool could not do what was asked (bad arguments or configuration, an internal error in a
rule)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from distrust import __version__, baseline, cache, config, fixes, scan
from distrust.deps import commands
from distrust.errors import DistrustError, UsageError
from distrust.model import Confidence, Finding, Notice, RunInfo, ScanResult, Severity
from distrust.report import FORMATS, RenderOptions, write
from distrust.report.escape import escape_terminal
from distrust.report.write import write_bytes
from distrust.rules import ALL_RULES, BY_CODE
from distrust.rules.dependencies import DEPS_RULES
from distrust.rules.rule import Rule

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
    p.add_argument("--format", choices=sorted(FORMATS), default="text",
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="distrust",
        description="Verify AI-generated code before anyone trusts it.",
    )
    parser.add_argument("--version", action="version", version=f"distrust {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

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
    commands.add_scan_arguments(p)
    p.add_argument("--diff", action="store_true",
                   help="print the fixes the rules offer as a unified diff (changes nothing)")
    p.add_argument("--fix", action="store_true",
                   help="apply the fixes the rules offer, where the file still parses and the "
                        "finding is gone on a re-scan")
    p.set_defaults(func=run_scan)

    p = sub.add_parser("rules", help="list the rules, or print one rule's documentation")
    p.add_argument("code", nargs="?", help="a rule code such as SQL001")
    p.set_defaults(func=run_rules)

    for add in _EXTRA_PARSERS:
        add(sub)
    return parser


_EXTRA_PARSERS = (commands.add_deps_parser, commands.add_db_parser, commands.add_guard_parser,
                  commands.add_hook_parser)


def main(argv: Sequence[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return EXIT_ERROR if exc.code not in (0, None) else EXIT_OK
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    try:
        code: int = args.func(args)
        return code
    except DistrustError as err:
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
    for code in [*select, *ignore]:
        if not any(scan.matches(rule.code, code) for rule in ALL_RULES):
            raise UsageError(f"{code}: no rule code starts with this "
                             "(see `distrust rules`)")
    rules = scan.select_rules(ALL_RULES, select, ignore)
    cfg_exclude = (*cfg.exclude, *args.exclude)
    cfg = replace(cfg, exclude=cfg_exclude)
    jobs = args.jobs or cfg.jobs or os.cpu_count() or 1
    progress = None if args.no_progress else _progress_bar()
    started = datetime.now(UTC).isoformat(timespec="seconds")
    cache_dir = None if args.no_cache else cache_folder(cfg)
    outcome = scan.scan(paths, cfg, rules=rules, jobs=jobs, progress=progress,
                        cache_dir=cache_dir)
    if progress is not None:
        progress(-1, -1)
    if args.diff or args.fix:
        return run_fixes(args, paths, cfg, rules, jobs, outcome)
    result = outcome.result
    unchecked: tuple[str, ...] = ()
    chosen = {r.code for r in scan.select_rules(DEPS_RULES, select, ignore)}
    if chosen and not args.no_deps:
        deps = commands.scan_dependencies(args, cfg.deps, paths, cfg.exclude)
        result = merge(result, deps.result, chosen)
        unchecked = deps.unchecked
    code = finish(args, cfg, result, started, (*rules, *DEPS_RULES),
                  [f"rule {f.rule} failed on {f.path}:{f.line}: {f.error}"
                   for f in outcome.failures])
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
    findings."""
    min_sev = args.min_severity or cfg.min_severity
    min_conf = args.min_confidence or cfg.min_confidence
    findings = tuple(f for f in result.findings
                     if f.severity >= min_sev and f.confidence >= min_conf)
    notices = list(result.notices)
    baseline_path = args.baseline or cfg.baseline
    if baseline_path and not args.write_baseline:
        known = baseline.load(Path(baseline_path))
        findings, accepted = known.partition(findings)
        if accepted:
            notices.append(Notice(f"{accepted} finding(s) accepted by the baseline "
                                  f"{baseline_path}"))
    result = ScanResult(findings, result.skipped, result.files_scanned, tuple(notices))
    if args.write_baseline:
        write(args.write_baseline, baseline.render(tuple(f for f in findings
                                                         if not f.suppressed)))
        print(f"distrust: wrote {sum(not f.suppressed for f in findings)} finding(s) to "
              f"{escape_terminal(args.write_baseline)}", file=sys.stderr)
    run = RunInfo(__version__, started)
    to_stdout = not args.output
    color = to_stdout and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    options = RenderOptions(color=color, root=str(Path.cwd()))
    by_code = dict(BY_CODE)
    by_code.update({r.code: r for r in rules})
    text = FORMATS[args.format](result, by_code, run, options)
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

