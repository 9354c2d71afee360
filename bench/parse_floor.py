"""The parse floor: read and ``ast.parse`` every .py file under a folder, and nothing else.

This is the least any Python-based analysis of the tree can cost: one process, no threads.
Prints one JSON line: files, lines, files that did not parse, seconds spent.
Usage: python bench/parse_floor.py FOLDER
"""

from __future__ import annotations

import ast
import json
import os
import sys
import time


def python_files(root: str) -> list[str]:
    found = []
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                stack.append(entry.path)
            elif entry.name.endswith(".py") and entry.is_file(follow_symlinks=False):
                found.append(entry.path)
    return sorted(found)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: parse_floor.py FOLDER", file=sys.stderr)
        return 2
    start = time.perf_counter()
    files = lines = failed = 0
    for path in python_files(argv[1]):
        with open(path, "rb") as handle:
            source = handle.read()
        files += 1
        lines += source.count(b"\n")
        try:
            ast.parse(source, filename=path)
        except (SyntaxError, ValueError):
            failed += 1
    seconds = time.perf_counter() - start
    print(json.dumps({"files": files, "lines": lines, "failed": failed, "seconds": seconds}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
