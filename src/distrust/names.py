"""The import names of a scanned file: its dotted module name, from the packages
(`__init__.py`) that hold it, and the other names it can be imported by. Light on purpose: the
warm path of a re-scan (see `distrust.warm`) checks these names without loading the
analysis."""

from __future__ import annotations

import os
from pathlib import Path


def module_name(path: Path, packages: dict[str, list[str]] | None = None
                ) -> tuple[str, bool]:
    """The dotted module name of a file, from the packages (`__init__.py`) that hold it.
    `packages` remembers, per folder, the package names leading to it (one scan's files share
    their folders, so each folder is looked at once)."""
    full = os.path.abspath(path)
    filename = os.path.basename(full)
    is_package = filename == "__init__.py"
    outer = _outer(os.path.dirname(full), {} if packages is None else packages)
    stem = _stem(filename)
    parts = outer if is_package else [*outer, stem]
    return ".".join(parts) or stem, is_package


def _stem(filename: str) -> str:
    """The name without its last suffix, as `PurePath.stem` has it."""
    dot = filename.rfind(".")
    return filename[:dot] if 0 < dot < len(filename) - 1 else filename


def _outer(folder: str, known: dict[str, list[str]]) -> list[str]:
    """The names of the packages from the outermost one down to `folder` (empty when `folder`
    is not a package: it has no `__init__.py`)."""
    chain: list[str] = []
    current = folder
    while current not in known:
        parent = os.path.dirname(current)
        if parent == current or not os.path.isfile(os.path.join(current, "__init__.py")):
            known[current] = []
            break
        chain.append(current)
        current = parent
    names = known[current]
    for package in reversed(chain):
        names = [*names, os.path.basename(package)]
        known[package] = names
    return known[folder]


def path_names(relpath: str, name: str) -> tuple[str, ...]:
    """Other names the module can be imported by: its path from the scan root, for namespace
    packages and for projects whose imports start at the root."""
    parts = relpath.removesuffix(".py").removesuffix(".pyw").split("/")
    if parts and parts[-1] == "__init__":
        parts.pop()
    dotted = ".".join(p for p in parts if p and p != ".")
    if not dotted or dotted == name or not all(p.isidentifier() for p in dotted.split(".")):
        return ()
    return (dotted,)
