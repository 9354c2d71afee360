"""The distrust benchmark suite: accuracy and speed, side by side with the peers, in one run.

    python bench/run.py prepare  [--corpus-dir DIR]          fetch and build the corpora
    python bench/run.py accuracy [options]                   OWASP BenchmarkPython + AI code sets
    python bench/run.py speed    [options]                   Django, scaling series
    python bench/run.py deps     [options]                   200-package manifest
    python bench/run.py all      [options]                   accuracy, speed and deps
    python bench/run.py all --smoke                          the tiny shipped corpus, seconds
    python bench/run.py report --update-docs                 tables from the last results.json

See docs/benchmarks.md. Standard library only; run it with the project's Python.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from harness import corpora, labelled, owasp, report
from harness.proc import run_measured
from harness.speed import Plan, measure_tree
from harness.tools import (
    BENCH_DIR,
    PEERS,
    REPO_DIR,
    Tool,
    Unavailable,
    default_distrust,
    distrust_tool,
    install_peers,
    peer_tools,
    peers_installed,
)

SMOKE_DIR = BENCH_DIR / "smoke"
WORK_DIR = BENCH_DIR / ".work"
DOCS = REPO_DIR / "docs" / "benchmarks.md"
CHART = REPO_DIR / "docs" / "bench-scaling.svg"


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/run.py", description=__doc__.split("\n")[0])
    parser.add_argument("what", choices=("prepare", "accuracy", "speed", "deps", "all", "report"))
    parser.add_argument("--smoke", action="store_true",
                        help="use the tiny corpus in bench/smoke; peers only if already installed")
    parser.add_argument("--corpus-dir", type=Path,
                        default=Path(os.environ.get("BENCH_CORPUS_DIR", WORK_DIR / "corpora")),
                        help="where the corpora live (env BENCH_CORPUS_DIR)")
    parser.add_argument("--semgrep-rules", type=Path, default=None,
                        help="checkout of semgrep-rules (env BENCH_SEMGREP_RULES; "
                             "default CORPUS_DIR/semgrep-rules)")
    parser.add_argument("--benchmark-python", type=Path, default=None,
                        help="checkout of BenchmarkPython (default CORPUS_DIR/BenchmarkPython)")
    parser.add_argument("--tools", default="distrust,bandit,ruff,semgrep",
                        help="comma-separated tools to measure")
    parser.add_argument("--distrust", default=None,
                        help="distrust command (default: the one beside this Python)")
    parser.add_argument("--runs", type=int, default=None, help="runs per measurement (3)")
    parser.add_argument("--semgrep-runs", type=int, default=1, help="runs of Semgrep (1)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="N for distrust --jobs N (default: CPUs)")
    parser.add_argument("--semgrep-jobs", type=int, default=2)
    parser.add_argument("--semgrep-max-lines", type=int, default=200_000,
                        help="skip Semgrep on scaling trees larger than this")
    parser.add_argument("--timeout", type=float, default=3600.0,
                        help="seconds after which one tool run is killed and reported (3600)")
    parser.add_argument("--max-memory-mib", type=int, default=8192,
                        help="address-space cap for each distrust process (8192; 0: none)")
    parser.add_argument("--speed-corpora", default="django,scaling",
                        help="comma-separated: django, scaling")
    parser.add_argument("--results", type=Path, default=None,
                        help="where to write results.json, report.md, the chart and raw outputs")
    parser.add_argument("--update-docs", action="store_true",
                        help="write the tables into docs/benchmarks.md and the chart into "
                             "docs/bench-scaling.svg")
    parser.add_argument("--no-install", action="store_true",
                        help="do not create bench/.work/venv; use the peers already there")
    parser.add_argument("--work-dir", type=Path, default=WORK_DIR,
                        help="where the peers' virtual environment lives (default bench/.work)")
    parser.add_argument("--peer-python", default=sys.executable,
                        help="interpreter for the peers' virtual environment")
    parser.add_argument("--source", action="append", default=[], metavar="NAME=GIT",
                        help="prepare: clone NAME (BenchmarkPython, semgrep-rules, SALLM, "
                             "PurpleLlama) from GIT instead of its public address")
    parser.add_argument("--only", default=None,
                        help="prepare: comma-separated parts (benchmarkpython, semgrep-rules, "
                             "django, scaling, ai)")
    args = parser.parse_args(argv)
    if args.runs is None:
        args.runs = 1 if args.smoke else 3
    if args.semgrep_rules is None:
        env = os.environ.get("BENCH_SEMGREP_RULES")
        args.semgrep_rules = Path(env) if env else args.corpus_dir / "semgrep-rules"
    if args.results is None:
        args.results = WORK_DIR / ("results-smoke" if args.smoke else "results")
    return args


# ----------------------------------------------------------------------------------------------


def collect_tools(args: argparse.Namespace) -> list[Tool | Unavailable]:
    wanted = [t.strip() for t in args.tools.split(",") if t.strip()]
    unknown = set(wanted) - {"distrust", *PEERS}
    if unknown:
        raise SystemExit(f"bench: unknown tool(s): {', '.join(sorted(unknown))}")
    tools: list[Tool | Unavailable] = []
    if "distrust" in wanted:
        command = args.distrust.split() if args.distrust else default_distrust()
        tools.append(distrust_tool(command))
    peers = [p for p in wanted if p in PEERS]
    if peers:
        if args.smoke or args.no_install:
            if not peers_installed(args.work_dir):
                log(f"the pinned peers are not installed in {args.work_dir / 'venv'} "
                    "(run without --smoke to install them)")
        else:
            install_peers(args.work_dir, args.peer_python, log)
        for tool in peer_tools(args.work_dir, args.semgrep_rules, args.semgrep_jobs):
            if tool.name in peers:
                tools.append(tool)
    for tool in tools:
        if isinstance(tool, Unavailable):
            prefix = "smoke mode: " if args.smoke and tool.name != "distrust" else ""
            log(f"{prefix}{tool.name} is absent: {tool.reason}")
        else:
            log(f"{tool.name} {tool.version}")
    if not args.smoke:
        missing = [t for t in tools if isinstance(t, Unavailable) and t.name in PEERS]
        if missing:
            raise SystemExit(
                "bench: peers missing outside smoke mode: "
                + "; ".join(f"{t.name}: {t.reason}" for t in missing)
            )
    return tools


def scan_once(
    tool: Tool, tree: Path, out_dir: Path, label: str, timeout_s: float, jobs: int,
    memory_limit_mib: int | None = None,
) -> tuple[list, str | None, float]:
    measured = run_measured(tool.argv({"jobs": jobs, "no_cache": True}), out_dir=out_dir,
                            label=label, cwd=tree, timeout_s=timeout_s,
                            memory_limit_mib=memory_limit_mib if tool.name == "distrust" else None)
    if measured.returncode not in tool.ok_codes:
        return [], f"exit {measured.returncode}: {measured.stderr_tail(300)}", measured.wall_s
    try:
        return tool.parse(measured.stdout), None, measured.wall_s
    except (ValueError, OSError) as exc:
        return [], f"unreadable output: {exc}", measured.wall_s


def run_accuracy(args: argparse.Namespace, tools: list[Tool | Unavailable],
                 results: dict) -> list[str]:
    errors: list[str] = []
    out_dir = args.results / "out" / "accuracy"
    checkout = (SMOKE_DIR / "BenchmarkPython-smoke" if args.smoke
                else args.benchmark_python or args.corpus_dir / "BenchmarkPython")
    expected_path = owasp.find_expected_results(checkout)
    version, cases = owasp.read_expected(expected_path)
    log(f"OWASP BenchmarkPython {version}: {len(cases)} test cases in {expected_path.name}")
    owasp_scores: dict[str, list[owasp.CategoryScore] | str] = {}
    owasp_raw: dict[str, object] = {}
    for tool in tools:
        if isinstance(tool, Unavailable):
            owasp_scores[tool.name] = tool.reason
            continue
        log(f"accuracy: {tool.name} on BenchmarkPython")
        findings, error, wall = scan_once(tool, checkout, out_dir, f"owasp-{tool.name}",
                                           args.timeout, args.jobs, args.max_memory_mib or None)
        if error:
            errors.append(f"{tool.name} on BenchmarkPython: {error}")
            owasp_scores[tool.name] = error
            continue
        flagged = owasp.flagged_cases(cases, findings)
        owasp_scores[tool.name] = owasp.score(cases, flagged)
        owasp_raw[tool.name] = {
            "findings": len(findings),
            "flagged": sorted(flagged),
            "wall_s": wall,
            "command": " ".join(tool.argv({"jobs": args.jobs, "no_cache": True})),
        }
    results["accuracy"] = {
        "benchmark": {"version": version, "expected": expected_path.name, "cases": len(cases)},
        "tools": owasp_raw,
        "scores": {
            name: (value if isinstance(value, str) else [
                {"category": s.category, "cwe": s.cwe, "tp": s.tp, "fn": s.fn, "tn": s.tn,
                 "fp": s.fp, "tpr": s.tpr, "fpr": s.fpr, "score": s.score} for s in value
            ])
            for name, value in owasp_scores.items()
        },
    }
    sets = ({"smoke-ai": SMOKE_DIR / "ai-set"} if args.smoke else {
        "SALLM, GPT-4 completions": args.corpus_dir / "ai" / "sallm-gpt4",
        "CyberSecEval instruct, Python": args.corpus_dir / "ai" / "cyberseceval-instruct",
    })
    table: dict[str, dict[str, dict[str, object]]] = {}
    for set_name, folder in sets.items():
        if not (folder / "labels.csv").exists():
            log(f"labelled set {set_name!r} not prepared ({folder}); run `run.py prepare`")
            table[set_name] = {"all": {"error": f"not prepared ({folder.name}); "
                                                "run `run.py prepare`"}}
            continue
        labels = labelled.read_labels(folder)
        table[set_name] = {}
        for tool in tools:
            if isinstance(tool, Unavailable):
                table[set_name][tool.name] = {"error": tool.reason}
                continue
            log(f"accuracy: {tool.name} on {set_name}")
            findings, error, _ = scan_once(tool, folder, out_dir,
                                           f"set-{folder.name}-{tool.name}", args.timeout,
                                           args.jobs, args.max_memory_mib or None)
            if error:
                errors.append(f"{tool.name} on {set_name}: {error}")
                table[set_name][tool.name] = {"error": error}
                continue
            table[set_name][tool.name] = dict(labelled.score_set(labels, findings).__dict__)
    results["labelled_sets"] = table
    results.setdefault("sections", {}).update(accuracy_sections(results))
    return errors


def accuracy_sections(results: dict) -> dict[str, str]:
    """The accuracy tables, from the raw figures of results.json."""
    scores: dict[str, list[owasp.CategoryScore] | str] = {}
    for name, value in results["accuracy"]["scores"].items():
        scores[name] = value if isinstance(value, str) else [
            owasp.CategoryScore(v["category"], v["cwe"], v["tp"], v["fn"], v["tn"], v["fp"])
            for v in value
        ]
    sections = {"owasp": report.owasp_summary(scores)}
    details = [report.owasp_detail(name, value) for name, value in scores.items()
               if not isinstance(value, str)]
    sections["owasp-detail"] = "\n".join(details) if details else "(no tool ran)\n"
    table: dict[str, dict[str, labelled.SetScore | str]] = {}
    for set_name, by_tool in results.get("labelled_sets", {}).items():
        table[set_name] = {
            tool: (str(value["error"]) if "error" in value else labelled.SetScore(**value))
            for tool, value in by_tool.items()
        }
    sections["ai-sets"] = report.labelled_table(table)
    return sections


def run_speed(args: argparse.Namespace, tools: list[Tool | Unavailable],
              results: dict) -> list[str]:
    work = args.results
    cap = args.max_memory_mib or None
    full = Plan(args.runs, args.semgrep_runs, args.jobs, args.semgrep_max_lines, True,
                args.timeout, cap)
    cold = Plan(args.runs, args.semgrep_runs, args.jobs, args.semgrep_max_lines, False,
                args.timeout, cap)
    speed: dict[str, dict[str, object]] = {}
    if args.smoke:
        main_trees = {"smoke": SMOKE_DIR / "BenchmarkPython-smoke"}
        scaling_trees: dict[str, Path] = {}
    else:
        corpora_wanted = {c.strip() for c in args.speed_corpora.split(",")}
        main_trees = ({"django": args.corpus_dir / "django-5.1.4" / "django"}
                      if "django" in corpora_wanted else {})
        scaling_trees = ({tier: args.corpus_dir / "scaling" / tier
                          for tier in corpora.SCALING_TIERS} if "scaling" in corpora_wanted else {})
    for name, tree in {**main_trees, **scaling_trees}.items():
        if not tree.is_dir():
            raise SystemExit(f"bench: corpus {name!r} missing at {tree}; run `run.py prepare`")
        files, lines = corpora.python_stats(tree)
        plan = full if name in main_trees else cold
        speed[name] = {"path_name": tree.name, "files": files, "lines": lines,
                       "main": name in main_trees,
                       "runs": measure_tree(name, tree, tools, plan, lines, work, log)}
    results["speed"] = speed
    sections, chart = speed_sections(results)
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "bench-scaling.svg").write_text(chart, encoding="utf-8")
    results.setdefault("sections", {}).update(sections)
    errors = []
    for name, tree_data in speed.items():
        for label, data in tree_data["runs"].items():  # type: ignore[union-attr]
            if not isinstance(data, dict) or not data.get("error"):
                continue
            if not str(data["error"]).startswith(("skipped", "unavailable")):
                errors.append(f"{label} on {name}: {data['error']}")
    return errors


def run_date(results: dict) -> str:
    """When the run began (older results.json files have it only in their run description)."""
    if results.get("date"):
        return str(results["date"])
    match = re.search(r"- Date: (.+)", results.get("sections", {}).get("run-info", ""))
    return match.group(1).strip() if match else "unknown date"


def speed_sections(results: dict) -> tuple[dict[str, str], str]:
    """The speed tables and the scaling chart, from the raw figures of results.json."""
    speed = results["speed"]
    main = [n for n, t in speed.items() if t.get("main", n not in corpora.SCALING_TIERS)]
    when = run_date(results)
    sections = {}
    for name in main:
        tree = speed[name]
        sections[f"speed-{name}"] = (f"Run of {when}: {tree['files']} files, {tree['lines']:,} "
                                     "lines of Python.\n\n" + report.speed_table(tree))
        sections[f"ratios-{name}"] = report.ratio_table(tree)
    scaling = {n: t for n, t in speed.items() if n not in main}
    if scaling:
        sections["scaling"] = f"Run of {when}.\n\n" + report.scaling_table(scaling)
    chart_trees = scaling or {n: speed[n] for n in main}
    chart = report.scaling_svg(report.scaling_points(chart_trees),
                               "Wall time against lines of Python (cold scans, medians)")
    return sections, chart


def run_deps(args: argparse.Namespace, tools: list[Tool | Unavailable], results: dict) -> list[str]:
    """`distrust deps` on a 200-package manifest: offline, then online with a warm cache."""
    distrust = next((t for t in tools if t.name == "distrust"), None)
    manifest = BENCH_DIR / "deps" / "requirements-200.txt"
    rows = []
    errors: list[str] = []
    if distrust is None or isinstance(distrust, Unavailable):
        reason = distrust.reason if distrust else "distrust not selected"
        results["deps"] = {"error": reason}
        results.setdefault("sections", {})["deps"] = f"n/a: {report.escape(reason)}\n"
        return errors
    command = (args.distrust.split() if args.distrust else default_distrust())
    # Where an advisory source cannot be had (no local database, OSV out of reach), `deps`
    # refuses to call the result a pass; the benchmark measures the checking all the same.
    help_text = subprocess.run([*command, "deps", "--help"], capture_output=True, text=True,
                               check=False).stdout
    lenient = ["--allow-unchecked"] if "--allow-unchecked" in help_text else []
    project = args.results / "deps-work"
    if project.exists():
        shutil.rmtree(project)
    project.mkdir(parents=True)
    shutil.copy(manifest, project / "requirements.txt")
    out_dir = args.results / "out" / "deps"
    # A cache of our own, so that "cold" is cold whatever earlier runs left in the user's cache.
    def cache(name: str) -> list[str]:
        return ["--cache-dir", name] if "--cache-dir" in help_text else []

    modes = [("offline", ["--offline", *cache("cache-offline")])]
    if not args.smoke:
        modes += [("online, cold cache", cache("cache-online")),
                  ("online, warm cache", cache("cache-online"))]
    raw: dict[str, object] = {}
    for mode, extra in modes:
        argv = [*command, "deps", ".", "--format", "json", *lenient, *extra]
        count = 1 if mode == "online, cold cache" else args.runs
        walls = []
        error = None
        for index in range(count):
            measured = run_measured(argv, out_dir=out_dir, label=f"deps-{len(raw)}-{index}",
                                    cwd=project, timeout_s=min(args.timeout, 900.0))
            if measured.returncode not in (0, 1):
                error = f"exit {measured.returncode}: {measured.stderr_tail(300)}"
                break
            walls.append(measured.wall_s)
        raw[mode] = {"wall_s": walls, "error": error, "command": " ".join(["distrust", *argv[1:]])}
        if error:
            errors.append(f"distrust deps ({mode}): {error}")
        median = sorted(walls)[len(walls) // 2] if walls else None
        rows.append(f"| {mode} | {report.secs(median)} | {len(walls)} | "
                    f"{'n/a: ' + report.escape(error) if error else ''} |")
    results["deps"] = raw
    when = f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC"
    table = (f"Measured {when}; command `distrust deps . --format json {' '.join(lenient)}` "
             "plus the mode's options.\n\n"
             "| Mode | Wall s (median) | Runs | Note |\n|---|---|---|---|\n"
             + "\n".join(rows) + "\n")
    results.setdefault("sections", {})["deps"] = table
    return errors


# ----------------------------------------------------------------------------------------------


def source_revision() -> str:
    """The commit of this checkout, and whether it had uncommitted changes."""
    try:
        head = subprocess.run(["git", "-C", str(REPO_DIR), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO_DIR), "status", "--porcelain", "--",
                                "src"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return ""
    return f" (source at commit {head}{', with uncommitted changes in src/' if dirty else ''})"


def versions_section(tools: list[Tool | Unavailable], args: argparse.Namespace) -> str:
    lines = [f"- Machine: {report.machine_description()}",
             f"- Date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC"]
    for tool in tools:
        if isinstance(tool, Unavailable):
            lines.append(f"- {tool.name}: not measured ({tool.reason})")
        elif tool.name == "distrust":
            lines.append(f"- distrust {tool.version}{source_revision()}")
        else:
            lines.append(f"- {tool.name} {tool.version}")
    manifest = args.corpus_dir / "manifest.json"
    if not args.smoke and manifest.exists() and args.what in ("accuracy", "all"):
        data = json.loads(manifest.read_text())
        for key in ("BenchmarkPython", "semgrep-rules", "sallm", "cyberseceval"):
            if key in data and "commit" in data[key]:
                lines.append(f"- {key} checkout: {data[key]['commit']}")
    semgrep = any(t.name == "semgrep" and not isinstance(t, Unavailable) for t in tools)
    lines.append(f"- Runs per measurement: {args.runs}; N = {args.jobs}"
                 + (f"; Semgrep: {args.semgrep_runs} run(s), --jobs {args.semgrep_jobs}"
                    if semgrep else ""))
    return "\n".join(lines) + "\n"


def write_outputs(args: argparse.Namespace, results: dict) -> None:
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "results.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    titles = {"run-info": "Run", "owasp": "OWASP BenchmarkPython", "owasp-detail":
              "OWASP BenchmarkPython, per tool", "ai-sets": "Labelled AI-generated code",
              "scaling": "Scaling", "deps": "Dependencies"}
    parts = []
    for name, body in results.get("sections", {}).items():
        title = titles.get(name, name.replace("-", " ").capitalize())
        parts.append(f"## {title}\n<!-- section:{name} -->\n\n{body}")
    (args.results / "report.md").write_text("\n".join(parts), encoding="utf-8")
    log(f"wrote {args.results / 'report.md'} and results.json")
    if args.update_docs and not args.smoke:
        document = DOCS.read_text(encoding="utf-8")
        for name, body in results.get("sections", {}).items():
            if name == "run-info":
                # One description of the run above the accuracy tables, one above the speed
                # tables: the two may come from different runs.
                kinds = {"accuracy": ["accuracy"], "speed": ["speed"], "deps": [],
                         "all": ["accuracy", "speed"]}[results["what"]]
                for kind in kinds:
                    document = report.replace_section(document, f"run-info-{kind}", body)
                continue
            try:
                document = report.replace_section(document, name, body)
            except KeyError as exc:
                log(f"not in the docs: {exc}")
        DOCS.write_text(document, encoding="utf-8")
        chart = args.results / "bench-scaling.svg"
        if "speed" in results and chart.exists() and "scaling" in results["sections"]:
            shutil.copy(chart, CHART)
        log(f"updated {DOCS.relative_to(REPO_DIR)}")


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.what == "prepare":
        sources = dict(corpora.GIT_SOURCES)
        for item in args.source:
            name, _, url = item.partition("=")
            if name not in sources or not url:
                raise SystemExit(f"bench: --source wants NAME=GIT with NAME in {sorted(sources)}")
            sources[name] = url
        only = {p.strip() for p in args.only.split(",")} if args.only else None
        manifest = corpora.prepare(args.corpus_dir, sources, log, only)
        print(json.dumps(manifest, indent=2))
        return 0
    if args.what == "report":
        # Re-render report.md (and, with --update-docs, the docs) from a previous results.json.
        results = json.loads((args.results / "results.json").read_text())
        args.smoke = bool(results.get("smoke"))
        if "accuracy" in results:
            results["sections"].update(accuracy_sections(results))
        if "speed" in results:
            sections, chart = speed_sections(results)
            results["sections"].update(sections)
            (args.results / "bench-scaling.svg").write_text(chart, encoding="utf-8")
        write_outputs(args, results)
        return 0
    tools = collect_tools(args)
    results: dict = {"what": args.what, "smoke": args.smoke,
                     "date": f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC",
                     "tools": {t.name: (t.reason if isinstance(t, Unavailable) else t.version)
                               for t in tools},
                     "sections": {"run-info": versions_section(tools, args)}}
    errors = []
    if args.what in ("accuracy", "all"):
        errors += run_accuracy(args, tools, results)
    if args.what in ("speed", "all"):
        errors += run_speed(args, tools, results)
    if args.what in ("deps", "all"):
        deps_errors = run_deps(args, tools, results)
        if args.smoke:
            # The smoke corpus has no advisory database: a deps run that cannot check is shown
            # in its table and reported here, but does not fail the smoke run.
            for error in deps_errors:
                log(f"smoke mode, deps: {error}")
        else:
            errors += deps_errors
    unavailable = [t for t in tools if isinstance(t, Unavailable) and t.name == "distrust"]
    if unavailable:
        errors.append(f"distrust unavailable: {unavailable[0].reason}")
    write_outputs(args, results)
    for error in errors:
        log(f"problem: {error}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
