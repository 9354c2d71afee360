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
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from distrust import __version__
from distrust.errors import DistrustError, UsageError

if TYPE_CHECKING:
    from distrust import config
    from distrust.model import Confidence, ScanResult, Severity
    from distrust.rules.rule import Rule

    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
FORMAT_NAMES = ("json", "sarif", "text")  # the keys of `distrust.report.FORMAT_MODULES`


def _codes(text: str) -> list[str]:
    codes = [c.strip().upper() for c in text.split(",") if c.strip()]
    for code in codes:
        if not code.isalnum():
            raise argparse.ArgumentTypeError(f"invalid rule code or prefix {code!r}")
    return codes


def _severity(text: str) -> Severity:
    from distrust.model import Severity

    try:
        return Severity.parse(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _confidence(text: str) -> Confidence:
    from distrust.model import Confidence

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
    p.add_argument("--format", choices=FORMAT_NAMES, default="text",
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


def build_parser(commands: Collection[str] | None = None) -> argparse.ArgumentParser:
    """The command line parser, with the subcommands named in `commands` (all when None): a
    run parses one command, and the others' modules are slow to import."""
    parser = argparse.ArgumentParser(
        prog="distrust",
        description="Verify AI-generated code before anyone trusts it.",
    )
    parser.add_argument("--version", action="version", version=f"distrust {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, add in _SUBCOMMANDS.items():
        if commands is None or name in commands:
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
                   help="processes to keep busy: the taint engine here, the rest in workers "
                        "(default: the number of CPUs)")
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


def _commands_for(argv: Sequence[str]) -> Collection[str] | None:
    """The subcommands a parser for `argv` needs: none for `--version`, the one it names (its
    first word that is not an option: the top level has no option that takes a value), or all
    (for the help, and for the error that names the choices)."""
    if argv[:1] == ["--version"]:
        return ()
    for arg in argv:
        if arg == "--":
            break
        if not arg.startswith("-"):
            return (arg,) if arg in _SUBCOMMANDS else None
    return None


def main(argv: Sequence[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_commands_for(words))
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
    from distrust import config

    if args.config:
        path = Path(args.config)
        if not path.is_file():
            raise UsageError(f"--config {args.config}: no such file")
        return config.load(path)
    return config.load(config.find(Path.cwd()))


def run_scan(args: argparse.Namespace) -> int:
    from distrust import scan_command

    return scan_command.run(args)


def finish(args: argparse.Namespace, cfg: config.Config, result: ScanResult, started: str,
           rules: Sequence[Rule], failures: Sequence[str]) -> int:
    """Thresholds, baseline, report, exit code: shared by every command that reports
    findings. `rules` are the rules of the findings besides the catalogue's."""
    from distrust.model import Notice, RunInfo, ScanResult
    from distrust.report import RenderOptions, renderer, write
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

