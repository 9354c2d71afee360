"""Markdown tables, the scaling chart (hand-written SVG) and the docs update."""

from __future__ import annotations

import math
import os
import platform
import re
from pathlib import Path

from harness.labelled import SetScore
from harness.owasp import CATEGORY_NAMES, CategoryScore, average

TOOL_ORDER = ("distrust", "bandit", "ruff", "semgrep")
SPEED_ROWS = (
    ("floor", "parse floor (read + ast.parse, 1 process)"),
    ("distrust-cold-j1", "distrust cold, --jobs 1"),
    ("distrust-cold-jN", "distrust cold, --jobs N"),
    ("distrust-warm", "distrust warm (unchanged re-scan)"),
    ("distrust-edit", "distrust after a one-file edit"),
    ("bandit", "Bandit"),
    ("ruff", "Ruff --select S"),
    ("semgrep", "Semgrep (community python rules)"),
)


def pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def secs(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}" if value < 100 else f"{value:.0f}"


def ratio(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}x" if value < 10 else f"{value:.0f}x"


def escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


# ----------------------------------------------------------------------------------------------
# Accuracy


def owasp_summary(scores: dict[str, list[CategoryScore] | str]) -> str:
    """One row per category, one column per tool: score (TPR / FPR)."""
    tools = [t for t in TOOL_ORDER if t in scores] + [t for t in scores if t not in TOOL_ORDER]
    header = ["Category", "CWE", "True / false cases"] + [f"{t}: score (TPR / FPR)" for t in tools]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    reference = next((s for s in scores.values() if not isinstance(s, str)), None)
    if reference is None:
        row = ["all", "-", "-"] + [f"n/a: {escape(str(scores[t]))}" for t in tools]
        lines.append("| " + " | ".join(row) + " |")
        return "\n".join(lines) + "\n"
    for index, cat in enumerate(reference):
        row = [
            CATEGORY_NAMES.get(cat.category, cat.category) + f" ({cat.category})",
            str(cat.cwe),
            f"{cat.tp + cat.fn} / {cat.tn + cat.fp}",
        ]
        for tool in tools:
            result = scores[tool]
            if isinstance(result, str):
                row.append("n/a")
                continue
            mine = result[index]
            row.append(f"{pct(mine.score)} ({pct(mine.tpr)} / {pct(mine.fpr)})")
        lines.append("| " + " | ".join(row) + " |")
    row = ["**Average over categories**", "", ""]
    for tool in tools:
        result = scores[tool]
        if isinstance(result, str):
            row.append(f"n/a: {escape(result)}")
            continue
        tpr, fpr, avg = average(result)
        row.append(f"**{pct(avg)}** ({pct(tpr)} / {pct(fpr)})")
    lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


def owasp_detail(tool: str, scores: list[CategoryScore]) -> str:
    header = ["Category", "CWE", "TP", "FN", "TN", "FP", "TPR", "FPR", "Score"]
    lines = [f"{tool}:", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for cat in scores:
        lines.append(
            f"| {cat.category} | {cat.cwe} | {cat.tp} | {cat.fn} | {cat.tn} | {cat.fp} | "
            f"{pct(cat.tpr)} | {pct(cat.fpr)} | {pct(cat.score)} |"
        )
    tpr, fpr, avg = average(scores)
    lines.append(f"| average | | | | | | {pct(tpr)} | {pct(fpr)} | {pct(avg)} |")
    return "\n".join(lines) + "\n"


def labelled_table(rows: dict[str, dict[str, SetScore | str]]) -> str:
    """rows: set name -> tool -> score (or the reason there is none)."""
    header = ["Set", "Tool", "Files (vulnerable / not)", "TPR, CWE", "FPR, CWE", "TPR, any",
              "FPR, any"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for set_name, by_tool in rows.items():
        for tool, result in by_tool.items():
            if isinstance(result, str):
                lines.append(f"| {set_name} | {tool} | | n/a: {escape(result)} | | | |")
                continue
            lines.append(
                f"| {set_name} | {tool} | {result.positives} / {result.negatives} | "
                f"{pct(result.tpr_cwe)} | {pct(result.fpr_cwe)} | {pct(result.tpr_any)} | "
                f"{pct(result.fpr_any)} |"
            )
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------------------------
# Speed


def _med(data: dict[str, object], key: str) -> float | None:
    value = data.get(key)
    return float(value) if isinstance(value, int | float) else None


def speed_table(tree: dict[str, object]) -> str:
    runs: dict[str, dict[str, object]] = tree["runs"]  # type: ignore[assignment]
    lines_total = int(tree["lines"])  # type: ignore[call-overload]
    floor = _med(runs.get("floor", {}), "median_wall_s")
    rss_floor = runs.get("_rss_floor_mib")
    header = ["Measurement", "Wall s (median)", "CPU s (median)", "Peak RSS MiB", "Lines/s",
              "x floor", "Findings", "Runs", "Command"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for key, title in SPEED_ROWS:
        data = runs.get(key)
        if data is None:
            continue
        if data.get("error") and not data.get("wall_s"):
            lines.append(f"| {title} | n/a: {escape(str(data['error']))} | | | | | | | |")
            continue
        wall = _med(data, "median_wall_s")
        cpu = _med(data, "median_cpu_s")
        rss = _med(data, "max_rss_mib")
        per_s = f"{lines_total / wall:,.0f}" if wall else "-"
        vs_floor = ratio(wall / floor) if wall and floor else "-"
        findings = data.get("findings")
        count = len(data.get("wall_s") or [])  # type: ignore[arg-type]
        command = escape(str(data.get("command", "")))
        note = f" (stopped: {escape(str(data['error']))})" if data.get("error") else ""
        lines.append(
            f"| {title}{note} | {secs(wall)} | {secs(cpu)} | "
            f"{_rss(rss, rss_floor)} | {per_s} | {vs_floor} | "
            f"{'-' if findings is None else findings} | {count} | `{command}` |"
        )
    return "\n".join(lines) + "\n"


def _rss(rss: float | None, rss_floor: object) -> str:
    if rss is None:
        return "-"
    if isinstance(rss_floor, int | float) and rss <= rss_floor + 1:
        return f"<= {rss_floor:.0f}"
    return f"{rss:.0f}"


def ratio_table(tree: dict[str, object]) -> str:
    """How many times faster distrust is than each peer (peer time / distrust time)."""
    runs: dict[str, dict[str, object]] = tree["runs"]  # type: ignore[assignment]
    peers = [p for p in ("floor", "bandit", "ruff", "semgrep") if p in runs]
    header = ["distrust run"] + [
        ("parse floor" if p == "floor" else p) + " time / distrust time" for p in peers
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for key, title in SPEED_ROWS:
        if not key.startswith("distrust") or key not in runs:
            continue
        mine = _med(runs[key], "median_wall_s")
        row = [title]
        for peer in peers:
            theirs = _med(runs[peer], "median_wall_s")
            row.append(ratio(theirs / mine) if mine and theirs else "-")
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


CHART_SERIES = (
    ("floor", "parse floor", "#777777"),
    ("distrust-cold-jN", "distrust cold --jobs N", "#d62728"),
    ("distrust-cold-j1", "distrust cold --jobs 1", "#ff9896"),
    ("bandit", "Bandit", "#1f77b4"),
    ("ruff", "Ruff --select S", "#2ca02c"),
    ("semgrep", "Semgrep", "#9467bd"),
)


def scaling_points(trees: dict[str, dict[str, object]]) -> dict[str, list[tuple[int, float]]]:
    points: dict[str, list[tuple[int, float]]] = {}
    for tree in trees.values():
        runs: dict[str, dict[str, object]] = tree["runs"]  # type: ignore[assignment]
        for key, _, _ in CHART_SERIES:
            wall = _med(runs.get(key, {}), "median_wall_s")
            if wall:
                points.setdefault(key, []).append((int(tree["lines"]), wall))  # type: ignore[call-overload]
    return {k: sorted(v) for k, v in points.items()}


def scaling_table(trees: dict[str, dict[str, object]]) -> str:
    """Median wall time (and CPU time) per tree; the last column compares the two largest."""
    names = list(trees)
    header = ["Tool"] + [
        f"{n} ({int(trees[n]['lines']):,} lines): wall s (CPU s)"  # type: ignore[call-overload]
        for n in names
    ]
    if len(names) >= 2:
        header.append(f"{names[-1]} / {names[-2]}: wall (CPU)")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for key, title, _ in CHART_SERIES:
        walls, cpus = [], []
        for name in names:
            runs: dict[str, dict[str, object]] = trees[name]["runs"]  # type: ignore[assignment]
            walls.append(_med(runs.get(key, {}), "median_wall_s"))
            cpus.append(_med(runs.get(key, {}), "median_cpu_s"))
        if all(w is None for w in walls):
            continue
        row = [title] + [
            "-" if w is None else f"{secs(w)} ({secs(c)})" for w, c in zip(walls, cpus, strict=True)
        ]
        if len(names) >= 2:
            a, b, ca, cb = walls[-1], walls[-2], cpus[-1], cpus[-2]
            row.append(f"{ratio(a / b)} ({ratio(ca / cb)})" if a and b and ca and cb else "-")
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


def scaling_svg(points: dict[str, list[tuple[int, float]]], title: str) -> str:
    """A log-log chart of wall time against lines of code, one line per tool."""
    width, height = 720, 440
    left, right, top, bottom = 70, 190, 40, 50
    xs = [x for series in points.values() for x, _ in series]
    ys = [y for series in points.values() for _, y in series]
    if not xs:
        xs, ys = [1000, 10000], [0.1, 1.0]
    x_lo = 10 ** math.floor(math.log10(min(xs)))
    x_hi = 10 ** math.ceil(math.log10(max(xs) * 1.0001))
    y_lo = 10 ** math.floor(math.log10(min(ys)))
    y_hi = 10 ** math.ceil(math.log10(max(ys) * 1.0001))
    if x_hi == x_lo:
        x_hi *= 10
    if y_hi == y_lo:
        y_hi *= 10
    plot_w = width - left - right
    plot_h = height - top - bottom

    def px(x: float) -> float:
        return left + plot_w * (math.log10(x) - math.log10(x_lo)) / (
            math.log10(x_hi) - math.log10(x_lo))

    def py(y: float) -> float:
        return top + plot_h * (1 - (math.log10(y) - math.log10(y_lo)) / (
            math.log10(y_hi) - math.log10(y_lo)))

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{left}" y="22" font-size="14" font-weight="bold">{_xml(title)}</text>',
    ]
    decade = x_lo
    while decade <= x_hi * 1.0001:
        x = px(decade)
        out.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + plot_h}" '
                   'stroke="#dddddd"/>')
        out.append(f'<text x="{x:.1f}" y="{top + plot_h + 18}" text-anchor="middle">'
                   f'{_human(decade)}</text>')
        decade *= 10
    decade = y_lo
    while decade <= y_hi * 1.0001:
        y = py(decade)
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" '
                   'stroke="#dddddd"/>')
        out.append(f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end">{decade:g} s</text>')
        decade *= 10
    out.append(f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" '
               'stroke="#333333"/>')
    out.append(f'<text x="{left + plot_w / 2}" y="{height - 12}" text-anchor="middle">'
               'lines of Python (log scale)</text>')
    out.append(f'<text x="18" y="{top + plot_h / 2}" text-anchor="middle" '
               f'transform="rotate(-90 18 {top + plot_h / 2})">'
               'wall time, median (log scale)</text>')
    legend_y = top + 10
    for key, label, colour in CHART_SERIES:
        series = points.get(key)
        if not series:
            continue
        coords = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in series)
        out.append(f'<polyline points="{coords}" fill="none" stroke="{colour}" '
                   'stroke-width="2"/>')
        for x, y in series:
            out.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3.5" fill="{colour}">'
                       f'<title>{_xml(label)}: {y:.2f} s at {x:,} lines</title></circle>')
        lx = left + plot_w + 15
        out.append(f'<line x1="{lx}" y1="{legend_y}" x2="{lx + 22}" y2="{legend_y}" '
                   f'stroke="{colour}" stroke-width="2"/>')
        out.append(f'<text x="{lx + 28}" y="{legend_y + 4}">{_xml(label)}</text>')
        legend_y += 20
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _human(value: float) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:g}M"
    if value >= 1000:
        return f"{value / 1000:g}k"
    return f"{value:g}"


# ----------------------------------------------------------------------------------------------
# Machine and docs


def machine_description() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f", {int(line.split()[1]) / 1024 / 1024:.0f} GiB memory"
                break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} CPUs ({cpu}){memory}; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}"
    )


def replace_section(document: str, name: str, body: str) -> str:
    """Replace the text between <!-- bench:NAME --> and <!-- /bench:NAME --> markers."""
    pattern = re.compile(
        rf"(<!-- bench:{re.escape(name)} -->\n)(.*?)(<!-- /bench:{re.escape(name)} -->)",
        re.DOTALL,
    )
    if not pattern.search(document):
        raise KeyError(f"docs/benchmarks.md has no section markers for {name!r}")
    return pattern.sub(lambda m: m.group(1) + body.rstrip("\n") + "\n" + m.group(3), document)
