"""pyproject.toml: PEP 621 dependencies and optional dependencies, PEP 735 dependency groups,
build requirements, and Poetry's tables."""

from __future__ import annotations

import re
from typing import Any

from distrust.deps.requirements import requirement_dependency
from distrust.deps.textspan import LineFinder
from distrust.deps.types import Dependency, Ecosystem, Span

_POETRY_SKIP = frozenset({"python"})


def parse_pyproject(data: dict[str, Any], text: str, manifest: str) -> tuple[
    list[Dependency], list[str]
]:
    finder = LineFinder(text)
    deps: list[Dependency] = []
    problems: list[str] = []
    project = data.get("project")
    if isinstance(project, dict):
        start = finder.section("[project]")
        _strings(project.get("dependencies"), finder, start, manifest, deps, problems)
        optional = project.get("optional-dependencies")
        if isinstance(optional, dict):
            opt_start = finder.section("[project.optional-dependencies]", start)
            for group in optional.values():
                _strings(group, finder, opt_start, manifest, deps, problems)
    groups = data.get("dependency-groups")
    if isinstance(groups, dict):
        start = finder.section("[dependency-groups]")
        for group in groups.values():
            if isinstance(group, list):
                _strings([g for g in group if isinstance(g, str)], finder, start, manifest, deps,
                         problems)
    build = data.get("build-system")
    if isinstance(build, dict):
        _strings(build.get("requires"), finder, finder.section("[build-system]"), manifest, deps,
                 problems)
    tool = data.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, dict) else None
    if isinstance(poetry, dict):
        tables: list[tuple[str, Any]] = [
            ("[tool.poetry.dependencies]", poetry.get("dependencies")),
            ("[tool.poetry.dev-dependencies]", poetry.get("dev-dependencies")),
        ]
        group_tables = poetry.get("group")
        if isinstance(group_tables, dict):
            for group_name, group in group_tables.items():
                if isinstance(group, dict):
                    tables.append((f"[tool.poetry.group.{group_name}.dependencies]",
                                   group.get("dependencies")))
        for header, table in tables:
            if isinstance(table, dict):
                _poetry_table(table, finder, finder.section(header), manifest, deps)
    return deps, problems


def _strings(values: Any, finder: LineFinder, start: int, manifest: str,
             deps: list[Dependency], problems: list[str]) -> None:
    if not isinstance(values, list):
        return
    for value in values:
        if not isinstance(value, str):
            continue
        span = finder.locate([f'"{value}"', f"'{value}'", value.split(";")[0].strip()], start)
        dep = requirement_dependency(value, manifest, span, finder.text_of(span))
        if isinstance(dep, str):
            problems.append(f"line {span.line}: {dep}")
        else:
            deps.append(dep)


def _poetry_table(table: dict[str, Any], finder: LineFinder, start: int, manifest: str,
                  deps: list[Dependency]) -> None:
    for name, value in table.items():
        if name.lower() in _POETRY_SKIP:
            continue
        span = finder.locate([f"{name} =", f"{name}=", f'"{name}"', name], start)
        span = Span(span.line, span.column, span.column + len(name))
        text = finder.text_of(span)
        entries = value if isinstance(value, list) else [value]
        for entry in entries:
            if isinstance(entry, str):
                constraint = entry
            elif isinstance(entry, dict):
                if any(k in entry for k in ("git", "path", "url", "file")):
                    deps.append(Dependency(Ecosystem.PYPI, name, "", None, manifest, span, text,
                                           checkable=False,
                                           reason="git, path or URL dependency: not checkable"))
                    continue
                constraint = str(entry.get("version", "*"))
            else:
                continue
            spec = poetry_to_pep440(constraint)
            pinned = _poetry_pinned(constraint)
            deps.append(Dependency(Ecosystem.PYPI, name, spec, pinned, manifest, span, text))


_VERSION = r"v?\d+(?:\.\d+)*(?:[A-Za-z0-9.+-]*)"


def _bump(version: str, index: int) -> str:
    parts = [int(p) if p.isdigit() else 0 for p in re.split(r"\.", version.split("-")[0])]
    while len(parts) <= index:
        parts.append(0)
    parts = parts[: index + 1]
    parts[index] += 1
    return ".".join(str(p) for p in parts)


def poetry_to_pep440(constraint: str) -> str:
    """Poetry's constraint syntax as PEP 440 specifier sets; alternatives (`||`) are kept,
    separated by ` || `."""
    alternatives = []
    for alternative in constraint.split("||"):
        pieces = []
        for piece in re.split(r"\s*,\s*|\s+(?=[<>=!~^])", alternative.strip()):
            piece = piece.strip()
            if not piece or piece == "*":
                continue
            pieces.append(_poetry_piece(piece))
        alternatives.append(",".join(p for p in pieces if p))
    return " || ".join(alternatives) if any(alternatives) else ""


def _poetry_piece(piece: str) -> str:
    if piece.startswith("^"):
        version = piece[1:].strip()
        numbers = [int(p) for p in re.findall(r"\d+", version.split("-")[0])[:3]] or [0]
        index = 0
        while index < len(numbers) - 1 and numbers[index] == 0:
            index += 1
        return f">={version},<{_bump(version, index)}"
    if piece.startswith("~") and not piece.startswith("~="):
        version = piece[1:].strip()
        count = len(version.split("."))
        return f">={version},<{_bump(version, 0 if count == 1 else 1)}"
    if piece[0].isdigit():
        return f"=={piece}"
    if piece.startswith("=") and not piece.startswith("=="):
        return f"={piece}"
    return piece


def _poetry_pinned(constraint: str) -> str | None:
    text = constraint.strip().lstrip("=").strip()
    if re.fullmatch(r"\d+(?:\.\d+)*(?:(?:a|b|rc|\.post|\.dev)\d+)?", text):
        return text
    return None
