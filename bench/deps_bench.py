"""Speed of dependency verification on a 200-package manifest, on loopback only.

    .venv/bin/python bench/deps_bench.py [--records 20000] [--packages 200]

1. Builds an OSV export archive of synthetic records (as many as the whole PyPI advisory set,
   spread over the popular package names, ~10 for each declared package), imports it with
   `db.update`, and times that.
2. Offline: `audit(--offline)` of a manifest pinning 200 popular packages against that
   database (median of 5 runs).
3. Online: the same manifest against a loopback registry (PEP 691) and OSV API, with a cold
   cache (counting round trips) and then a warm cache (median of 5 runs, counting round trips).

No request leaves the machine. Numbers go to stdout; docs/deps.md quotes them."""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "deps"))

from deps_servers import State, archive_bytes, serve  # noqa: E402

from distrust.deps import db  # noqa: E402
from distrust.deps.audit import DepsOptions, audit  # noqa: E402
from distrust.deps.lookalike import load_names  # noqa: E402
from distrust.deps.types import Ecosystem  # noqa: E402


def _record(index: int, name: str, rng: random.Random) -> dict[str, object]:
    major = rng.randint(0, 5)
    events: list[dict[str, str]] = [{"introduced": "0" if rng.random() < 0.5 else f"{major}.0"}]
    if rng.random() < 0.9:
        events.append({"fixed": f"{major}.{rng.randint(1, 20)}.{rng.randint(0, 9)}"})
    return {
        "schema_version": "1.6.0",
        "id": f"PYSEC-2099-{index}",
        "modified": "2024-05-01T00:00:00Z",
        "published": "2024-01-01T00:00:00Z",
        "aliases": [f"CVE-2099-{index}"],
        "summary": f"Synthetic advisory {index} for {name}",
        "details": "A synthetic record of realistic size. " * 30,
        "affected": [{"package": {"ecosystem": "PyPI", "name": name},
                      "ranges": [{"type": "ECOSYSTEM", "events": events}],
                      "versions": [f"{major}.0.{v}" for v in range(rng.randint(0, 30))]}],
        "references": [{"type": "WEB", "url": f"https://example.invalid/advisory/{index}"}],
        "database_specific": {"severity": rng.choice(["LOW", "MODERATE", "HIGH", "CRITICAL"])},
    }


def _median(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.0f} ms"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--packages", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(7)
    popular = list(load_names(Ecosystem.PYPI))
    declared = popular[: args.packages]
    spread = popular[:3000]
    records = []
    for index in range(args.records):
        name = declared[index % len(declared)] if index < 10 * len(declared) \
            else rng.choice(spread)
        records.append(_record(index, name, rng))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        archive = work / "PyPI.zip"
        archive.write_bytes(archive_bytes(records))
        db_path = work / "advisories.sqlite3"
        started = time.perf_counter()
        db.update(db_path, [db.Source("PyPI", str(archive), is_file=True)])
        import_s = time.perf_counter() - started
        project = work / "project"
        project.mkdir()
        (project / "requirements.txt").write_text("".join(f"{n}==1.0.0\n" for n in declared))
        base = DepsOptions(cache_dir=work / "cache", db_path=db_path, check_imports=False)

        offline = replace(base, offline=True, check_registry=False)
        times = []
        cpu = []
        findings = 0
        for _ in range(args.runs):
            started = time.perf_counter()
            cpu_started = time.process_time()
            findings = len(audit(project, offline).findings)
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
        print(f"archive: {len(records)} records, {archive.stat().st_size / 1e6:.1f} MB zip; "
              f"import {import_s:.2f} s; database {db_path.stat().st_size / 1e6:.1f} MB")
        print(f"offline, {len(declared)} packages against the database: {_median(times)} "
              f"wall, {_median(cpu)} CPU (median of {args.runs}), {findings} findings")

        registry_state = State()
        for name in declared:
            registry_state.add_pypi(name, ["1.0.0", "2.0.0"])
        osv_state = State(records=records)
        registry_gen = serve(registry_state)
        osv_gen = serve(osv_state)
        registry = next(registry_gen)
        osv = next(osv_gen)
        try:
            online = replace(base, index_url=f"{registry.url}/simple/", osv_url=osv.url,
                             cache_dir=work / "online-cache")
            started = time.perf_counter()
            cold = audit(project, online)
            cold_s = time.perf_counter() - started
            cold_registry = registry_state.count("GET /simple/")
            cold_osv = len(osv_state.hits)
            times = []
            cpu = []
            for _ in range(args.runs):
                started = time.perf_counter()
                cpu_started = time.process_time()
                audit(project, online)
                times.append(time.perf_counter() - started)
                cpu.append(time.process_time() - cpu_started)
            warm_registry = registry_state.count("GET /simple/") - cold_registry
            warm_osv = len(osv_state.hits) - cold_osv
            print(f"online, cold cache: {cold_s * 1000:.0f} ms, {cold_registry} registry "
                  f"requests, {cold_osv} OSV requests "
                  f"({osv_state.count('POST')} batched queries), {len(cold.findings)} findings")
            print(f"online, warm cache: {_median(times)} wall, {_median(cpu)} CPU "
                  f"(median of {args.runs}), "
                  f"{warm_registry} registry requests, {warm_osv} OSV requests")
        finally:
            for gen in (registry_gen, osv_gen):
                gen.close()
    print(json.dumps({"records": len(records), "packages": len(declared)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
