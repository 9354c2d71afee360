"""Command-line wiring for dependency verification: `distrust deps`, `distrust db`,
`distrust guard` and `distrust hook pre-install`. Each `add_*_parser` adds a subcommand whose
`func(args)` returns the exit code: 0 pass, 1 findings, 2 could not run."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from distrust import config
from distrust.errors import ConfigError, DepsError, UsageError

# The modules that do the work are imported where they are used: `distrust scan` and every
# agent hook start this module, and most runs never need them.
if TYPE_CHECKING:
    from distrust.deps.audit import DepsOptions, DepsReport
    from distrust.deps.guard import Install, Verdict

    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]
EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
MAX_HOOK_INPUT = 1024 * 1024

_CONFIG_KEYS: dict[str, str] = {
    "index-url": "index_url", "npm-registry": "npm_registry", "osv-url": "osv_url",
    "db": "db_path", "cache-dir": "cache_dir", "cache-ttl": "cache_ttl", "timeout": "timeout",
    "offline": "offline", "recent-days": "recent_days", "workers": "workers",
    "vulnerabilities": "check_vulnerabilities", "registry": "check_registry",
    "look-alikes": "check_lookalikes", "undeclared-imports": "check_imports",
    "archive-url": "",
}


def options_from_config(table: Mapping[str, Any], base: DepsOptions | None = None,
                        source: str = "[tool.distrust.deps]") -> DepsOptions:
    """`[tool.distrust.deps]` (or `[deps]` in distrust.toml) as options; unknown keys and
    values of the wrong type are errors that name the key."""
    from distrust.deps.audit import DepsOptions

    options = base or DepsOptions()
    types = {f.name: f.type for f in fields(DepsOptions)}
    changes: dict[str, Any] = {}
    for key, value in table.items():
        if key not in _CONFIG_KEYS:
            raise ConfigError(f"{source}: unknown key {key!r} (known: "
                              f"{', '.join(sorted(_CONFIG_KEYS))})")
        attr = _CONFIG_KEYS[key]
        if not attr:
            continue
        wanted = str(types[attr])
        if "Path" in wanted:
            if not isinstance(value, str):
                raise ConfigError(f"{source}: {key} must be a string")
            changes[attr] = Path(value).expanduser()
        elif "bool" in wanted:
            if not isinstance(value, bool):
                raise ConfigError(f"{source}: {key} must be true or false")
            changes[attr] = value
        elif "float" in wanted or "int" in wanted:
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ConfigError(f"{source}: {key} must be a non-negative number")
            changes[attr] = int(value) if "int" in wanted and "float" not in wanted else \
                float(value)
        else:
            if not isinstance(value, str):
                raise ConfigError(f"{source}: {key} must be a string")
            changes[attr] = value
    return replace(options, **changes)


def _add_network_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--offline", action="store_true",
                   help="use only the local advisory database and the cache")
    p.add_argument("--index-url", metavar="URL",
                   help="PyPI-compatible index (default: configuration, PIP_INDEX_URL, pip's "
                        "configuration, then PyPI)")
    p.add_argument("--npm-registry", metavar="URL", help="npm registry")
    p.add_argument("--osv-url", metavar="URL", help="OSV API base URL")
    p.add_argument("--db", metavar="FILE", help="local advisory database")
    p.add_argument("--cache-dir", metavar="DIR", help="cache folder")
    p.add_argument("--timeout", type=float, metavar="SECONDS",
                   help="time limit of each network request")


def _options(args: argparse.Namespace, table: Mapping[str, Any] | None = None,
             source: str = "[tool.distrust.deps]") -> DepsOptions:
    options = options_from_config(table or {}, source=source)
    changes: dict[str, Any] = {}
    if getattr(args, "offline", False):
        changes["offline"] = True
    for attr, arg in (("index_url", "index_url"), ("npm_registry", "npm_registry"),
                      ("osv_url", "osv_url"), ("timeout", "timeout")):
        value = getattr(args, arg, None)
        if value is not None:
            changes[attr] = value
    if getattr(args, "db", None):
        changes["db_path"] = Path(args.db)
    if getattr(args, "cache_dir", None):
        changes["cache_dir"] = Path(args.cache_dir)
    if getattr(args, "no_imports", False):
        changes["check_imports"] = False
    return replace(options, **changes)


def scan_dependencies(args: argparse.Namespace, table: Mapping[str, Any],
                      roots: Sequence[Path], exclude: Sequence[str]) -> DepsReport:
    """The dependency half of `distrust scan`, with the scan's roots and excludes."""
    from distrust.deps.audit import audit_paths

    options = _options(args, table)
    options = replace(options, exclude=(*options.exclude, *exclude))
    return audit_paths(roots, options)


def _config_table(args: argparse.Namespace) -> tuple[Mapping[str, Any], str]:
    from distrust import cli

    if not hasattr(args, "config"):
        return {}, ""
    cfg = cli.load_config(args)
    return cfg.deps, f"{cfg.source or 'configuration'} [deps]"


# -- distrust deps ---------------------------------------------------------------------------

def add_deps_parser(subparsers: Subparsers) -> None:
    from distrust import cli

    p = subparsers.add_parser(
        "deps", help="verify declared dependencies",
        description="Check every declared dependency: known vulnerabilities (OSV), packages "
                    "that do not exist, look-alike names, yanked or new packages, and imports "
                    "that no dependency provides.")
    p.add_argument("path", nargs="?", default=".", metavar="PATH",
                   help="project folder or manifest file (default: .)")
    cli.add_output_arguments(p)
    _add_network_arguments(p)
    p.add_argument("--no-imports", action="store_true",
                   help="do not check Python imports against the declared dependencies")
    p.add_argument("--allow-unchecked", action="store_true",
                   help="exit 0 even when a registry or the advisory source could not be used "
                        "(default: exit 2, since nothing was verified for those packages)")
    p.set_defaults(func=run_deps)


def run_deps(args: argparse.Namespace) -> int:
    from distrust import cli
    from distrust.deps.audit import audit_report
    from distrust.rules.dependencies import DEPS_RULES

    root = Path(args.path)
    if not root.exists():
        raise UsageError(f"{root}: no such file or directory")
    table, source = _config_table(args)
    options = _options(args, table, source or "[tool.distrust.deps]")
    started = datetime.now(UTC).isoformat(timespec="seconds")
    if root.is_file():
        options = replace(options, manifests=(root.name,))
        root = root.parent
    shown = root.as_posix().rstrip("/")
    if shown not in ("", ".") and not options.path_prefix:
        options = replace(options, path_prefix=shown + "/")
    cfg = cli.load_config(args)
    options = replace(options, exclude=(*options.exclude, *cfg.exclude))
    report = audit_report(root, options)
    code = cli.finish(args, cfg, report.result, started, DEPS_RULES, [])
    if code == EXIT_OK and report.unchecked and not args.allow_unchecked:
        print("distrust: not a pass: " + "; ".join(report.unchecked)
              + " (see the notices; --allow-unchecked accepts this)", file=sys.stderr)
        return EXIT_ERROR
    return code


# -- distrust db -----------------------------------------------------------------------------

def add_db_parser(subparsers: Subparsers) -> None:
    from distrust.deps import db as advisory_db

    p = subparsers.add_parser(
        "db", help="manage the local advisory database",
        description="Build the local advisory database from OSV's export archives, for "
                    "offline checks.")
    sub = p.add_subparsers(dest="db_command", metavar="ACTION")
    up = sub.add_parser("update", help="download (or import) OSV archives into the database")
    up.add_argument("--ecosystem", action="append", choices=advisory_db.ECOSYSTEMS,
                    help="ecosystems to update (default: PyPI and npm)")
    up.add_argument("--url", metavar="TEMPLATE",
                    help="archive URL, `{ecosystem}` is replaced (default: OSV's bucket)")
    up.add_argument("--from", dest="from_files", action="append", metavar="FILE",
                    help="import an archive already downloaded (repeatable; the ecosystem is "
                         "the single --ecosystem given, or the file's name: PyPI.zip, npm.zip)")
    up.add_argument("--names-from", action="append", metavar="ECOSYSTEM=FILE",
                    help="import the registry's package names (one per line, or a PEP 691 "
                         "project list) for offline existence checks")
    up.add_argument("--db", metavar="FILE", help="database file")
    up.add_argument("--cache-dir", metavar="DIR", help="cache folder")
    up.add_argument("--max-members", type=int, metavar="N", help="most members an archive may have")
    up.add_argument("--max-size", type=int, metavar="BYTES",
                    help="most bytes an archive may expand to")
    up.set_defaults(func=run_db_update)
    st = sub.add_parser("status", help="say what the database holds and how old it is")
    st.add_argument("--db", metavar="FILE", help="database file")
    st.add_argument("--cache-dir", metavar="DIR", help="cache folder")
    st.set_defaults(func=run_db_status)
    p.set_defaults(func=_db_help(p))


def _db_help(p: argparse.ArgumentParser) -> Any:
    def show(args: argparse.Namespace) -> int:
        del args
        p.print_help(sys.stderr)
        return EXIT_ERROR
    return show


def _db_path(args: argparse.Namespace) -> Path:
    options = _options(args)
    return options.resolved_db_path()


def _archive_ecosystem(path: Path, given: list[str] | None) -> str:
    from distrust.deps import db as advisory_db

    if given and len(given) == 1:
        return given[0]
    stem = path.name.split(".")[0].lower()
    for ecosystem in advisory_db.ECOSYSTEMS:
        if ecosystem.lower() == stem:
            return ecosystem
    raise UsageError(f"--from {path}: say which ecosystem it holds with one --ecosystem")


def _read_names(spec: str) -> tuple[str, list[str]]:
    from distrust.deps import db as advisory_db

    ecosystem, sep, file = spec.partition("=")
    if not sep or ecosystem not in advisory_db.ECOSYSTEMS:
        raise UsageError(f"--names-from {spec!r}: write ECOSYSTEM=FILE, ecosystem one of "
                         f"{', '.join(advisory_db.ECOSYSTEMS)}")
    try:
        text = Path(file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise UsageError(f"--names-from {file}: cannot read: {err}") from None
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
            projects = data["projects"]
            return ecosystem, [str(p["name"]) for p in projects if isinstance(p, dict)]
        except (ValueError, KeyError, TypeError):
            raise UsageError(f"--names-from {file}: not a PEP 691 project list") from None
    return ecosystem, [line.strip() for line in text.splitlines()
                       if line.strip() and not line.startswith("#")]


def run_db_update(args: argparse.Namespace) -> int:
    from distrust.deps import db as advisory_db
    from distrust.report.escape import escape_terminal

    path = _db_path(args)
    limits = advisory_db.Limits()
    if args.max_members is not None:
        limits = replace(limits, max_members=args.max_members)
    if args.max_size is not None:
        limits = replace(limits, max_total_bytes=args.max_size)
    sources: list[advisory_db.Source] = []
    if args.from_files:
        for file in args.from_files:
            archive = Path(file)
            if not archive.is_file():
                raise UsageError(f"--from {file}: no such file")
            sources.append(advisory_db.Source(_archive_ecosystem(archive, args.ecosystem),
                                              str(archive), is_file=True))
    elif not args.names_from:
        template = args.url or os.environ.get("DISTRUST_OSV_ARCHIVE_URL") \
            or advisory_db.DEFAULT_ARCHIVE_URL
        for ecosystem in args.ecosystem or advisory_db.ECOSYSTEMS:
            sources.append(advisory_db.Source(ecosystem, template.replace("{ecosystem}",
                                                                          ecosystem)))
    names = dict(_read_names(spec) for spec in args.names_from or [])
    reports = advisory_db.update(path, sources, limits, names=names)
    for report in reports:
        print(f"{report.ecosystem}: {report.records} records from {report.source}"
              + (f", {report.withdrawn} withdrawn left out" if report.withdrawn else ""),
              file=sys.stderr)
        if report.ignored_names:
            print(f"  {len(report.ignored_names)} member(s) ignored (path parts or not JSON): "
                  + ", ".join(repr(n) for n in report.ignored_names[:5]), file=sys.stderr)
        for member, reason in report.invalid[:20]:
            print(f"  skipped {member!r}: {escape_terminal(reason)}", file=sys.stderr)
        if len(report.invalid) > 20:
            print(f"  ... and {len(report.invalid) - 20} more invalid records", file=sys.stderr)
    for ecosystem, listed in names.items():
        print(f"{ecosystem}: {len(listed)} package names", file=sys.stderr)
    print(f"database: {path}", file=sys.stderr)
    return EXIT_OK


def run_db_status(args: argparse.Namespace) -> int:
    from distrust.deps import db as advisory_db

    path = _db_path(args)
    database = advisory_db.AdvisoryDB(path)
    try:
        print(f"database: {path}")
        for ecosystem in database.ecosystems():
            count = database.conn.execute(
                "SELECT COUNT(DISTINCT id) FROM packages WHERE ecosystem = ?", (ecosystem,)
            ).fetchone()[0]
            print(f"{ecosystem}: {count} advisories, imported {database.imported_at(ecosystem)} "
                  f"from {database.meta.get('source:' + ecosystem, '?')}")
    finally:
        database.close()
    return EXIT_OK


# -- distrust guard --------------------------------------------------------------------------

def add_guard_parser(subparsers: Subparsers) -> None:
    p = subparsers.add_parser(
        "guard", help="check packages before an installer runs, then run it",
        description="distrust guard -- pip install NAME...: check each package the command "
                    "names; refuse to run it when one does not exist or imitates a popular "
                    "package, otherwise run it unchanged.")
    _add_network_arguments(p)
    p.add_argument("--strict", action="store_true",
                   help="also refuse when a registry cannot be asked")
    p.add_argument("--check-only", action="store_true",
                   help="check and report, but do not run the installer")
    p.add_argument("installer", nargs=argparse.REMAINDER, metavar="-- COMMAND ...")
    p.set_defaults(func=run_guard)


def _project_table(start: Path) -> tuple[Mapping[str, Any], str]:
    """The `[tool.distrust.deps]` table of the project around `start`, if any."""
    path = config.find(start)
    if path is None:
        return {}, ""
    return config.load(path).deps, f"{path} [deps]"


def _verdict(install: Install, args: argparse.Namespace, start: Path | None = None) -> Verdict:
    from distrust.deps.cache import JsonCache
    from distrust.deps.guard import check_install

    table, source = _project_table(start or Path.cwd())
    options = _options(args, table, source or "[tool.distrust.deps]")
    if args.timeout is None and "timeout" not in table:
        options = replace(options, timeout=5.0)  # an installer waits for this: keep it short
    cache = JsonCache(options.resolved_cache_dir() / "registry", options.cache_ttl)
    return check_install(install, cache, index_url=options.index_url,
                         npm_registry=options.npm_registry, timeout=options.timeout,
                         offline=options.offline, strict=getattr(args, "strict", False))


def run_guard(args: argparse.Namespace) -> int:
    from distrust.deps.guard import parse_install
    from distrust.report.escape import escape_terminal

    argv = list(args.installer)
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        raise UsageError("guard: give the installer command after `--`")
    install = parse_install(argv)
    if install is None:
        raise UsageError(f"guard: {argv[0]!r} is not an install command distrust knows "
                         "(pip install, uv add, uv pip install, poetry add, npm install)")
    verdict = _verdict(install, args)
    for warning in verdict.warnings:
        print(f"distrust guard: warning: {escape_terminal(warning)}", file=sys.stderr)
    if verdict.refuse:
        print(f"distrust guard: refused to run `{escape_terminal(' '.join(argv))}`:",
              file=sys.stderr)
        for reason in verdict.reasons:
            print(f"  - {escape_terminal(reason)}", file=sys.stderr)
        return EXIT_FINDINGS
    if args.check_only:
        print(f"distrust guard: {len(install.requests)} package(s) checked", file=sys.stderr)
        return EXIT_OK
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execvp(argv[0], argv)
    except OSError as err:
        raise DepsError(f"guard: cannot run {argv[0]!r}: {err.strerror or err}") from None
    return EXIT_ERROR  # not reached


# -- distrust hook pre-install ---------------------------------------------------------------

def add_hook_parser(subparsers: Subparsers) -> None:
    p = subparsers.add_parser(
        "hook", help="agent hooks",
        description="Hooks for coding agents. `pre-install` reads a Claude Code PreToolUse "
                    "event for the Bash tool on stdin and denies commands that install a "
                    "package that does not exist or imitates a popular one.")
    sub = p.add_subparsers(dest="hook_command", metavar="HOOK")
    pre = sub.add_parser("pre-install", help="Claude Code PreToolUse hook for the Bash tool")
    _add_network_arguments(pre)
    pre.add_argument("--strict", action="store_true",
                     help="also deny when a registry cannot be asked")
    pre.set_defaults(func=run_hook_pre_install)
    p.set_defaults(func=_db_help(p))


def installs_in(command: str, depth: int = 0, cwd: Path | None = None) -> list[Install]:
    """The installs a shell command line performs, including inside `bash -c '...'`.
    Requirements files are read relative to `cwd`."""
    from distrust.deps.guard import parse_install, split_shell

    out: list[Install] = []
    for argv in split_shell(command):
        stripped = list(argv)
        if depth < 3 and len(stripped) >= 3 and os.path.basename(stripped[0]) in (
                "bash", "sh", "zsh", "dash") and "-c" in stripped[1:-1]:
            out.extend(installs_in(stripped[stripped.index("-c") + 1], depth + 1, cwd))
            continue
        install = parse_install(argv, cwd)
        if install is not None and install.requests:
            out.append(install)
    return out


def hook_decision(event: Any, args: argparse.Namespace) -> dict[str, Any] | None:
    """The hook's answer to one PreToolUse event: a deny decision, or None to let the
    normal permission flow decide."""
    if not isinstance(event, dict) or event.get("tool_name") != "Bash":
        return None
    tool_input = event.get("tool_input")
    command = tool_input.get("command") if isinstance(tool_input, dict) else None
    if not isinstance(command, str):
        return None
    where = event.get("cwd")
    # The agent's own harness reports its working folder; it is only tested for existence.
    is_dir = isinstance(where, str) and Path(where).is_dir()  # distrust: ignore[PATH001] cwd
    cwd = Path(where) if is_dir and isinstance(where, str) else None
    reasons: list[str] = []
    for install in installs_in(command, cwd=cwd):
        verdict = _verdict(install, args, cwd)
        reasons.extend(verdict.reasons)
    if not reasons:
        return None
    text = ("distrust refused this install: " + "; ".join(reasons)
            + ". Check the package name on its registry and use the real package.")
    return {"hookSpecificOutput": {"hookEventName": "PreToolUse",
                                   "permissionDecision": "deny",
                                   "permissionDecisionReason": text}}


def run_hook_pre_install(args: argparse.Namespace) -> int:
    raw = sys.stdin.buffer.read(MAX_HOOK_INPUT + 1)
    if len(raw) > MAX_HOOK_INPUT:
        raise DepsError("hook: the event on stdin is larger than 1 MiB")
    try:
        event = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as err:
        raise DepsError(f"hook: the event on stdin is not JSON: {err}") from None
    decision = hook_decision(event, args)
    if decision is not None:
        sys.stdout.write(json.dumps(decision) + "\n")
        sys.stdout.flush()
    return EXIT_OK


__all__: Sequence[str] = (
    "add_db_parser", "add_deps_parser", "add_guard_parser", "add_hook_parser",
    "hook_decision", "installs_in", "options_from_config", "run_db_status", "run_db_update",
    "run_deps", "run_guard", "run_hook_pre_install",
)
