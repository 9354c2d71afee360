"""The benchmark harness cannot rot: run `bench/run.py all --smoke` and check its tables.

Every number the tables show for the smoke corpus is recomputed here by hand from the shipped
expected results and the raw output each tool left behind.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
SMOKE = BENCH / "smoke" / "BenchmarkPython-smoke"
AI_SET = BENCH / "smoke" / "ai-set"


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    results = tmp_path_factory.mktemp("bench-smoke")
    done = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "all", "--smoke", "--results", str(results)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr
    return results


def sections(report: str) -> dict[str, str]:
    found = {}
    for chunk in report.split("\n## ")[0:]:
        marker = chunk.find("<!-- section:")
        if marker < 0:
            continue
        name = chunk[marker + len("<!-- section:") : chunk.index(" -->", marker)]
        found[name] = chunk[chunk.index(" -->", marker) + 4 :]
    return found


def table_rows(text: str) -> list[list[str]]:
    rows = []
    for line in text.splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def expected_cases() -> list[tuple[str, str, bool, int]]:
    with (SMOKE / "expectedresults-0.1.csv").open(newline="") as handle:
        return [
            (row[0], row[1], row[2] == "true", int(row[3]))
            for row in csv.reader(handle)
            if row and not row[0].startswith("#")
        ]


def cwe_of(value: object) -> int | None:
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.upper().removeprefix("CWE-").isdigit():
        return int(value.upper().removeprefix("CWE-"))
    return None


def distrust_hits(stdout: Path) -> set[tuple[str, int | None]]:
    """(file name, CWE) of every unsuppressed distrust finding in a raw JSON output."""
    data = json.loads(stdout.read_text())
    return {
        (item["path"].rsplit("/", 1)[-1], cwe_of(item.get("cwe")))
        for item in data["findings"]
        if not item.get("suppressed")
    }


def test_owasp_tables_match_a_hand_computation(smoke_run: Path) -> None:
    report = sections((smoke_run / "report.md").read_text())
    results = json.loads((smoke_run / "results.json").read_text())
    cases = expected_cases()
    assert len(cases) == 8
    categories = sorted({case[1] for case in cases})

    # distrust: flagged test cases recomputed from its raw output.
    hits = distrust_hits(smoke_run / "out" / "accuracy" / "owasp-distrust.stdout")
    flagged_by_hand = {name for name, _, _, cwe in cases if (f"{name}.py", cwe) in hits}
    assert sorted(flagged_by_hand) == results["accuracy"]["tools"]["distrust"]["flagged"]

    detail = report["owasp-detail"]
    ran = [tool for tool in results["accuracy"]["tools"]]
    assert "distrust" in ran
    for tool in ran:
        flagged = set(results["accuracy"]["tools"][tool]["flagged"])
        if tool == "distrust":
            flagged = flagged_by_hand
        block = detail.split(f"{tool}:\n", 1)[1].split("\n\n", 1)[0]
        rows = table_rows(block)
        assert rows[0] == ["Category", "CWE", "TP", "FN", "TN", "FP", "TPR", "FPR", "Score"]
        by_category = {row[0]: row for row in rows[1:]}
        assert sorted(k for k in by_category if k != "average") == categories
        tprs, fprs = [], []
        for category in categories:
            mine = [case for case in cases if case[1] == category]
            tp = sum(1 for c in mine if c[2] and c[0] in flagged)
            fn = sum(1 for c in mine if c[2] and c[0] not in flagged)
            tn = sum(1 for c in mine if not c[2] and c[0] not in flagged)
            fp = sum(1 for c in mine if not c[2] and c[0] in flagged)
            tpr, fpr = tp / (tp + fn), fp / (fp + tn)
            tprs.append(tpr)
            fprs.append(fpr)
            assert by_category[category] == [
                category, str(mine[0][3]), str(tp), str(fn), str(tn), str(fp),
                pct(tpr), pct(fpr), pct(tpr - fpr),
            ]
        average = by_category["average"]
        assert average[6:] == [
            pct(sum(tprs) / 4), pct(sum(fprs) / 4), pct((sum(tprs) - sum(fprs)) / 4)
        ]
        summary = {row[0]: row for row in table_rows(report["owasp"])}
        header = table_rows(report["owasp"])[0]
        column = header.index(f"{tool}: score (TPR / FPR)")
        assert summary["**Average over categories**"][column].startswith(
            f"**{pct((sum(tprs) - sum(fprs)) / 4)}**"
        )


def test_labelled_set_table_matches_a_hand_computation(smoke_run: Path) -> None:
    report = sections((smoke_run / "report.md").read_text())
    with (AI_SET / "labels.csv").open(newline="") as handle:
        labels = list(csv.DictReader(handle))
    hits = distrust_hits(smoke_run / "out" / "accuracy" / "set-ai-set-distrust.stdout")
    positives = [row for row in labels if row["vulnerable"] == "true"]
    negatives = [row for row in labels if row["vulnerable"] != "true"]
    tp_cwe = sum(1 for row in positives if (row["file"], int(row["cwe"])) in hits)
    fp_cwe = sum(1 for row in negatives if (row["file"], int(row["cwe"])) in hits)
    files_hit = {name for name, _ in hits}
    tp_any = sum(1 for row in positives if row["file"] in files_hit)
    fp_any = sum(1 for row in negatives if row["file"] in files_hit)
    rows = {row[1]: row for row in table_rows(report["ai-sets"])[1:]}
    assert rows["distrust"] == [
        "smoke-ai", "distrust", f"{len(positives)} / {len(negatives)}",
        pct(tp_cwe / len(positives)), pct(fp_cwe / len(negatives)),
        pct(tp_any / len(positives)), pct(fp_any / len(negatives)),
    ]


def test_speed_table_rows_and_figures(smoke_run: Path) -> None:
    report = sections((smoke_run / "report.md").read_text())
    results = json.loads((smoke_run / "results.json").read_text())
    files = sorted(SMOKE.rglob("*.py"))
    lines = sum(path.read_bytes().count(b"\n") for path in files)
    text = report["speed-smoke"]
    assert f": {len(files)} files, {lines:,} lines of Python." in text.strip().split("\n\n")[0]
    rows = table_rows(text)
    assert rows[0] == ["Measurement", "Wall s (median)", "CPU s (median)", "Peak RSS MiB",
                       "Lines/s", "x floor", "Findings", "Runs", "Command"]
    by_name = {row[0]: row for row in rows[1:]}
    runs = results["speed"]["smoke"]["runs"]
    floor_wall = runs["floor"]["median_wall_s"]
    for title, key in [("parse floor (read + ast.parse, 1 process)", "floor"),
                       ("distrust cold, --jobs 1", "distrust-cold-j1"),
                       ("distrust cold, --jobs N", "distrust-cold-jN")]:
        row = by_name[title]
        wall = runs[key]["median_wall_s"]
        assert len(runs[key]["wall_s"]) == 1 and wall > 0
        assert row[1] == f"{wall:.2f}"
        assert float(row[2]) >= 0
        # Peak RSS: a figure, or "<= N" where it cannot be told from the harness's own size.
        assert float(row[3].removeprefix("<= ")) > 0
        assert row[4] == f"{lines / wall:,.0f}"
        assert row[7] == "1"
        ratio = wall / floor_wall
        assert row[5] == (f"{ratio:.2f}x" if ratio < 10 else f"{ratio:.0f}x")
    hits = distrust_hits(next((smoke_run / "out" / "smoke").glob("distrust-cold-jN-0.stdout")))
    assert by_name["distrust cold, --jobs N"][6] == str(
        len(json.loads(next((smoke_run / "out" / "smoke").glob("distrust-cold-jN-0.stdout"))
                       .read_text())["findings"])
    )
    assert hits  # the smoke corpus has real vulnerabilities that distrust reports

    deps = table_rows(report["deps"].split("\n\n", 1)[-1])
    assert deps[0] == ["Mode", "Wall s (median)", "Runs", "Note"]
    assert [row[0] for row in deps[1:]] == ["offline"]

    svg = ET.parse(smoke_run / "bench-scaling.svg").getroot()
    assert svg.tag.endswith("svg")
    titles = [el.text or "" for el in svg.iter() if el.tag.endswith("title")]
    assert any(t.startswith("parse floor:") for t in titles)
    assert any(t.startswith("distrust cold --jobs N:") for t in titles)


def test_scoring_counts_only_the_expected_cwe() -> None:
    sys.path.insert(0, str(BENCH))
    try:
        from harness.owasp import average, flagged_cases, read_expected, score
        from harness.tools import ToolFinding
    finally:
        sys.path.remove(str(BENCH))
    _, cases = read_expected(SMOKE / "expectedresults-0.1.csv")
    findings = [
        ToolFinding("testcode/BenchmarkTest00001.py", 14, 89, "R1"),  # sqli, real: TP
        ToolFinding("testcode/BenchmarkTest00002.py", 15, 89, "R1"),  # sqli, not real: FP
        ToolFinding("testcode/BenchmarkTest00003.py", 12, 77, "R2"),  # cmdi with CWE-77: no match
        ToolFinding("testcode/BenchmarkTest00005.py", 12, 328, "R3"),  # hash, real: TP
        ToolFinding("testcode/BenchmarkTest00006.py", 12, 327, "R4"),  # hash, CWE-327: no match
        ToolFinding("testcode/BenchmarkTest00007.py", 13, None, "R5"),  # no CWE: no match
    ]
    flagged = flagged_cases(cases, findings)
    assert flagged == {"BenchmarkTest00001", "BenchmarkTest00002", "BenchmarkTest00005"}
    by_category = {s.category: s for s in score(cases, flagged)}
    assert (by_category["sqli"].tpr, by_category["sqli"].fpr, by_category["sqli"].score) == (
        1.0, 1.0, 0.0)
    assert (by_category["hash"].tpr, by_category["hash"].fpr) == (1.0, 0.0)
    assert (by_category["cmdi"].tp, by_category["cmdi"].fn) == (0, 1)
    assert average(list(by_category.values())) == (0.5, 0.25, 0.25)
