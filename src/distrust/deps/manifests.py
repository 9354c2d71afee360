"""Finding the manifests of a project and reading every declared package from them."""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Any

from distrust.deps.lockfiles import (
    parse_package_json,
    parse_package_lock,
    parse_pipfile_lock,
    parse_toml_packages,
)
from distrust.deps.pyproject import parse_pyproject
from distrust.deps.requirements import parse_requirements
from distrust.deps.types import Dependency, ManifestResult

MAX_MANIFEST_BYTES = 32 * 1024 * 1024
MAX_INCLUDE_DEPTH = 16
SKIP_DIRS = frozenset({
    "node_modules", "__pycache__", "site-packages", "venv", "env", "build", "dist",
    "bower_components",
})
_FIXED_NAMES = frozenset({
    "pyproject.toml", "poetry.lock", "uv.lock", "Pipfile.lock", "pylock.toml", "package.json",
    "package-lock.json",
})


def manifest_kind(path: PurePosixPath) -> str | None:
    """The format of a manifest by its name, or None when the file is not one."""
    name = path.name
    if name in _FIXED_NAMES:
        return name
    if name.startswith("pylock.") and name.endswith(".toml"):
        return "pylock.toml"
    if name.endswith(".txt") and (
        name.startswith(("requirements", "constraints"))
        or (path.parent.name == "requirements" and len(path.parts) > 1)
    ):
        return "requirements"
    return None


def discover(root: Path) -> list[str]:
    """Manifest paths under `root` (POSIX, relative), skipping hidden folders, virtual
    environments and vendored trees. Uses an explicit stack; symlinked folders are not
    followed."""
    found: list[str] = []
    if root.is_file():
        return [root.name] if manifest_kind(PurePosixPath(root.name)) else []
    stack: list[Path] = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        if any(e.name == "pyvenv.cfg" for e in entries):
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    if not entry.name.startswith(".") and entry.name not in SKIP_DIRS:
                        stack.append(Path(entry.path))
                elif entry.is_file(follow_symlinks=False):
                    rel = PurePosixPath(Path(entry.path).relative_to(root).as_posix())
                    if manifest_kind(rel):
                        found.append(str(rel))
            except OSError:
                continue
    return sorted(found)


def _read(root: Path, rel: str) -> str | tuple[None, str]:
    path = root / rel if root.is_dir() else root
    try:
        if path.is_symlink() and not path.resolve().is_relative_to(root.resolve()):
            return (None, "symbolic link out of the scan root")
        if not path.is_file():
            return (None, "not a regular file")
        if path.stat().st_size > MAX_MANIFEST_BYTES:
            return (None, f"larger than {MAX_MANIFEST_BYTES} bytes")
        data = path.read_bytes()
    except OSError as err:
        return (None, f"unreadable: {err.strerror or err}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return (None, "not UTF-8 text")


def read_manifests(root: Path, paths: Iterable[str] | None = None) -> ManifestResult:
    """Every declared package of the manifests under `root` (or of `paths`, relative to
    it). Bad manifests become problems with a reason; the others are still read."""
    base = root if root.is_dir() else root.parent
    rels = list(paths) if paths is not None else discover(root)
    deps: list[Dependency] = []
    problems: list[tuple[str, str]] = []
    done: set[str] = set()
    queue: list[tuple[str, int]] = [(rel, 0) for rel in rels]
    manifests: list[str] = []
    while queue:
        rel, depth = queue.pop(0)
        if rel in done:
            continue
        done.add(rel)
        text = _read(base, rel)
        if isinstance(text, tuple):
            problems.append((rel, text[1]))
            continue
        manifests.append(rel)
        kind = manifest_kind(PurePosixPath(rel)) or "requirements"
        try:
            found, bad, includes = _parse(kind, text, rel)
        except (ValueError, TypeError, RecursionError) as err:
            problems.append((rel, f"malformed {kind}: {err}"))
            continue
        deps.extend(found)
        problems.extend((rel, reason) for reason in bad)
        for include in includes:
            target = PurePosixPath(rel).parent / include
            normal = os.path.normpath(str(target)).replace(os.sep, "/")
            if normal.startswith("../") or normal == ".." or os.path.isabs(include):
                problems.append((rel, f"include {include!r} is outside the scan root: not read"))
            elif depth + 1 > MAX_INCLUDE_DEPTH:
                problems.append((rel, f"include {include!r} nested too deeply: not read"))
            else:
                queue.append((normal, depth + 1))
    return ManifestResult(tuple(deps), tuple(problems), tuple(manifests))


def _parse(kind: str, text: str, rel: str) -> tuple[list[Dependency], list[str], list[str]]:
    if kind == "requirements":
        parsed = parse_requirements(text, rel)
        return list(parsed.dependencies), list(parsed.problems), [i.path for i in parsed.includes]
    if kind in ("package.json", "package-lock.json", "Pipfile.lock"):
        data: Any = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("the top level is not an object")
        if kind == "package.json":
            return parse_package_json(data, text, rel), [], []
        if kind == "package-lock.json":
            return parse_package_lock(data, text, rel), [], []
        return parse_pipfile_lock(data, text, rel), [], []
    table = tomllib.loads(text)
    if kind == "pyproject.toml":
        found, bad = parse_pyproject(table, text, rel)
        return found, bad, []
    lock_kind = {"poetry.lock": "poetry", "uv.lock": "uv", "pylock.toml": "pylock"}[kind]
    return parse_toml_packages(table, text, rel, lock_kind), [], []
