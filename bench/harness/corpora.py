"""`run.py prepare`: how every corpus is obtained. Corpora live outside the project, never in git.

Layout under the corpus directory (``--corpus-dir`` or ``BENCH_CORPUS_DIR``):

    BenchmarkPython/          git checkout of OWASP BenchmarkPython (GPL-3.0; scanned, not copied)
    semgrep-rules/            git checkout of the public Semgrep community rules
    SALLM/, PurpleLlama/      git checkouts holding the labelled AI code sets
    downloads/                source distributions from PyPI (`pip download --no-binary :all:`)
    django-5.1.4/django/      the main speed corpus: Django's `django/` package from its sdist
    scaling/10k|100k|1m/      trees of whole sdists, about 10k, 100k and 1M lines of Python
    ai/sallm-gpt4/            SALLM: GPT-4 completions (T=0.0), one file each, with labels.csv
    ai/cyberseceval-instruct/ CyberSecEval instruct set, Python origin code that parses, labels.csv
    manifest.json             what was prepared: commits, versions, file and line counts
"""

from __future__ import annotations

import ast
import csv
import json
import re
import shutil
import subprocess
import sys
import tarfile
import textwrap
from collections.abc import Callable
from pathlib import Path

GIT_SOURCES = {
    "BenchmarkPython": "https://github.com/OWASP-Benchmark/BenchmarkPython",
    "semgrep-rules": "https://github.com/semgrep/semgrep-rules",
    "SALLM": "https://github.com/s2e-lab/SALLM",
    "PurpleLlama": "https://github.com/meta-llama/PurpleLlama",
}

DJANGO = "django==5.1.4"

# Popular pure-Python projects, whole source distributions. Each tier holds the one before it.
SCALING_TIERS: dict[str, tuple[str, ...]] = {
    "10k": ("requests==2.32.3",),
    "100k": ("requests==2.32.3", "click==8.1.7", "flask==3.1.0", "jinja2==3.1.4",
             "werkzeug==3.1.3"),
    "1m": ("requests==2.32.3", "click==8.1.7", "flask==3.1.0", "jinja2==3.1.4",
           "werkzeug==3.1.3", "pygments==2.18.0", "sympy==1.13.3"),
}

SALLM_MODEL = "gpt-4_0.0"  # SALLM's GPT-4 completions at temperature 0.0, ten per prompt

# Semgrep skips test/ and tests/ folders unless the scanned tree has its own .semgrepignore; an
# empty one makes it scan what every other tool scans.
SEMGREPIGNORE = "# bench: scan everything, as the other tools do\n"

Log = Callable[[str], None]


def python_stats(root: Path) -> tuple[int, int]:
    """(files, lines) of the .py files under root."""
    files = lines = 0
    for path in sorted(root.rglob("*.py")):
        if path.is_file() and not path.is_symlink():
            files += 1
            with path.open("rb") as handle:
                lines += sum(1 for _ in handle)
    return files, lines


def _git_head(checkout: Path) -> str:
    done = subprocess.run(
        ["git", "-C", str(checkout), "log", "-1", "--format=%H %cs"],
        capture_output=True, text=True, check=False,
    )
    return done.stdout.strip()


def _clone(name: str, source: str, dest: Path, log: Log, checkout: bool = True) -> str:
    """Clone once; sets that are read with `git show` need no work tree (--no-checkout)."""
    if not (dest / ".git").exists():
        extra = [] if checkout else ["--no-checkout"]
        log(f"git clone {' '.join(extra)} {source} {dest}")
        subprocess.run(["git", "clone", "--quiet", *extra, source, str(dest)], check=True)
    return _git_head(dest)


def _download(spec: str, downloads: Path, log: Log) -> Path:
    name, version = spec.split("==")
    pattern = re.compile(rf"^{re.escape(name)}-{re.escape(version)}\.tar\.gz$", re.IGNORECASE)
    for existing in downloads.glob("*.tar.gz"):
        if pattern.match(existing.name.replace("_", "-")):
            return existing
    log(f"pip download --no-deps --no-binary :all: {spec}")
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
         "--disable-pip-version-check", "-d", str(downloads), spec],
        check=True,
    )
    for existing in downloads.glob("*.tar.gz"):
        if pattern.match(existing.name.replace("_", "-")):
            return existing
    raise FileNotFoundError(f"pip download left no sdist for {spec} in {downloads}")


def _extract(archive: Path, dest_parent: Path) -> Path:
    """Extract an sdist (data filter: no links out, no absolute paths) and return its root."""
    with tarfile.open(archive) as tar:
        top = {member.name.split("/", 1)[0] for member in tar.getmembers()}
        if len(top) != 1:
            raise ValueError(f"{archive.name}: expected one top folder, found {sorted(top)}")
        root = dest_parent / top.pop()
        if not root.exists():
            tar.extractall(dest_parent, filter="data")
    return root


def prepare_django(corpus: Path, log: Log) -> dict[str, object]:
    archive = _download(DJANGO, corpus / "downloads", log)
    dest = corpus / "django-5.1.4"
    if not (dest / "django").is_dir():
        tmp = corpus / "tmp-extract"
        tmp.mkdir(parents=True, exist_ok=True)
        root = _extract(archive, tmp)
        if dest.exists():
            shutil.rmtree(dest)
        root.rename(dest)
        shutil.rmtree(tmp, ignore_errors=True)
    target = dest / "django"
    (target / ".semgrepignore").write_text(SEMGREPIGNORE)
    files, lines = python_stats(target)
    return {"spec": DJANGO, "archive": archive.name, "target": "django-5.1.4/django",
            "files": files, "lines": lines}


def prepare_scaling(corpus: Path, log: Log) -> dict[str, object]:
    out: dict[str, object] = {}
    unpacked = corpus / "scaling" / "sdists"
    unpacked.mkdir(parents=True, exist_ok=True)
    for tier, specs in SCALING_TIERS.items():
        tier_dir = corpus / "scaling" / tier
        if not tier_dir.is_dir():
            tier_dir.mkdir(parents=True)
            for spec in specs:
                root = _extract(_download(spec, corpus / "downloads", log), unpacked)
                shutil.copytree(root, tier_dir / root.name, symlinks=True)
        (tier_dir / ".semgrepignore").write_text(SEMGREPIGNORE)
        files, lines = python_stats(tier_dir)
        out[tier] = {"sdists": list(specs), "target": f"scaling/{tier}", "files": files,
                     "lines": lines}
    return out


def _write_labelled(dest: Path, rows: list[tuple[str, str, bool, int]]) -> None:
    """rows: (file name, source text, vulnerable, expected CWE)."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    with (dest / "labels.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "vulnerable", "cwe"])
        for name, text, vulnerable, cwe in rows:
            (dest / name).write_text(text, encoding="utf-8")
            writer.writerow([name, "true" if vulnerable else "false", cwe])
    (dest / ".semgrepignore").write_text(SEMGREPIGNORE)


def _git_show(checkout: Path, path: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(checkout), "show", f"HEAD:{path}"],
        capture_output=True, check=True,
    )
    return done.stdout.decode("utf-8")


def prepare_sallm(corpus: Path, checkout: Path) -> dict[str, object]:
    """SALLM (Apache-2.0): GPT-4's completions of the 100 security-centric prompts.

    Label: vulnerable when SALLM's own evaluation found the prompt's CWE in the completion
    (`direct_vulnerable` > 0 in Evaluation/Results/<model>.csv, from CodeQL); completions that do
    not parse are left out, as SALLM does.
    """
    outputs = _git_show(checkout, f"Evaluation/Filtered_Output/dataset_{SALLM_MODEL}.jsonl")
    results = _git_show(checkout, f"Evaluation/Results/{SALLM_MODEL}.csv")
    code: dict[tuple[str, int], str] = {}
    for line in outputs.splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        for index, choice in enumerate(item["output"]["choices"]):
            code[(item["id"], index)] = choice.get("cleared_code") or ""
    rows = []
    for row in csv.DictReader(results.splitlines()):
        if row["is_compilable"] != "True":
            continue
        text = code.get((row["id"], int(row["index"])))
        match = re.search(r"cwe(\d+)", row["id"])
        if text is None or match is None:
            continue
        try:
            ast.parse(text)
        except SyntaxError:
            continue
        stem = row["id"].removesuffix(".py")
        name = f"{stem}__{int(row['index']):02d}.py"
        rows.append((name, text, int(row["direct_vulnerable"]) > 0, int(match.group(1))))
    _write_labelled(corpus / "ai" / "sallm-gpt4", rows)
    return {"files": len(rows), "vulnerable": sum(1 for r in rows if r[2]),
            "model": SALLM_MODEL, "target": "ai/sallm-gpt4"}


def prepare_cyberseceval(corpus: Path, checkout: Path) -> dict[str, object]:
    """CyberSecEval instruct set (MIT): the Python `origin_code` of each case that parses.

    Every case was selected because Meta's Insecure Code Detector flagged its line with the given
    CWE, so all are labelled vulnerable; this set measures detection only (no false cases).
    """
    data = json.loads(
        _git_show(checkout, "CybersecurityBenchmarks/datasets/instruct/instruct.json")
    )
    rows = []
    for item in data:
        if item.get("language") != "python":
            continue
        text = textwrap.dedent(item.get("origin_code") or "")
        try:
            ast.parse(text)
        except SyntaxError:
            continue
        match = re.search(r"(\d+)", str(item.get("cwe_identifier")))
        if match is None:
            continue
        name = f"cse_{int(item['prompt_id']):05d}.py"
        rows.append((name, text, True, int(match.group(1))))
    _write_labelled(corpus / "ai" / "cyberseceval-instruct", rows)
    return {"files": len(rows), "vulnerable": len(rows), "target": "ai/cyberseceval-instruct"}


def prepare(
    corpus: Path, sources: dict[str, str], log: Log, only: set[str] | None = None
) -> dict[str, object]:
    corpus.mkdir(parents=True, exist_ok=True)
    (corpus / "downloads").mkdir(exist_ok=True)
    manifest_path = corpus / "manifest.json"
    manifest: dict[str, object] = {}
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())

    def wanted(part: str) -> bool:
        return only is None or part in only

    if wanted("benchmarkpython"):
        head = _clone("BenchmarkPython", sources["BenchmarkPython"], corpus / "BenchmarkPython",
                      log)
        (corpus / "BenchmarkPython" / ".semgrepignore").write_text(SEMGREPIGNORE)
        manifest["BenchmarkPython"] = {"commit": head, "target": "BenchmarkPython"}
    if wanted("semgrep-rules"):
        head = _clone("semgrep-rules", sources["semgrep-rules"], corpus / "semgrep-rules", log)
        manifest["semgrep-rules"] = {"commit": head}
    if wanted("django"):
        manifest["django"] = prepare_django(corpus, log)
    if wanted("scaling"):
        manifest["scaling"] = prepare_scaling(corpus, log)
    if wanted("ai"):
        head = _clone("SALLM", sources["SALLM"], corpus / "SALLM", log, checkout=False)
        manifest["sallm"] = {"commit": head, **prepare_sallm(corpus, corpus / "SALLM")}
        head = _clone("PurpleLlama", sources["PurpleLlama"], corpus / "PurpleLlama", log,
                      checkout=False)
        manifest["cyberseceval"] = {
            "commit": head, **prepare_cyberseceval(corpus, corpus / "PurpleLlama")
        }
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest
