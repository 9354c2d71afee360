"""Regenerate the popular-package lists shipped in `distrust/data/`.

    python -m distrust.deps.popular_list --pypi PYPI.tsv [--npm NPM.tsv] [--count 15000]

Input: tab-separated package listings with a header line. For PyPI, a column named like
`rank...` orders the packages (rows without a rank are left out); for npm, a column named
like `downloads...`. Only the names are kept, most popular first. No registry is asked."""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

csv.field_size_limit(1 << 24)


def _column(header: list[str], prefix: str) -> int:
    for index, title in enumerate(header):
        if title.strip().lower().startswith(prefix):
            return index
    raise SystemExit(f"no column starting with {prefix!r} in {header!r}")


def ranked_names(path: Path, column_prefix: str, descending: bool, count: int) -> list[str]:
    rows: list[tuple[float, str]] = []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader)
        col = _column(header, column_prefix)
        for row in reader:
            if len(row) <= col or not row[0].strip():
                continue
            try:
                value = float(row[col])
            except ValueError:
                continue
            rows.append((-value if descending else value, row[0].strip()))
    rows.sort()
    seen: set[str] = set()
    out: list[str] = []
    for _, name in rows:
        if name.lower() not in seen:
            seen.add(name.lower())
            out.append(name)
        if len(out) >= count:
            break
    return out


def write_list(path: Path, names: list[str], source: str) -> None:
    header = (f"# Popular {source} package names, most popular first ({len(names)} names).\n"
              "# Regenerate with: python -m distrust.deps.popular_list (see docs/deps.md).\n")
    path.write_text(header + "\n".join(names) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m distrust.deps.popular_list")
    parser.add_argument("--pypi", type=Path, help="PyPI listing (TSV with a rank column)")
    parser.add_argument("--npm", type=Path, help="npm listing (TSV with a downloads column)")
    parser.add_argument("--count", type=int, default=15000)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent.parent / "data")
    args = parser.parse_args(argv)
    if args.pypi:
        names = ranked_names(args.pypi, "rank", descending=False, count=args.count)
        write_list(args.out / "popular-pypi.txt", names, "PyPI")
        print(f"popular-pypi.txt: {len(names)} names", file=sys.stderr)
    if args.npm:
        names = ranked_names(args.npm, "downloads", descending=True, count=args.count)
        write_list(args.out / "popular-npm.txt", names, "npm")
        print(f"popular-npm.txt: {len(names)} names", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
