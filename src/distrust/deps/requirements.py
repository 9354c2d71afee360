"""pip requirements files: `-r`/`-c` includes, hashes, markers, extras, editable and URL
requirements (reported as not checkable)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement

from distrust.deps.types import Dependency, Ecosystem, Span

_OPTION_WITH_FILE = re.compile(r"^(-r|--requirement|-c|--constraint)(?:\s*=\s*|\s+)(\S+)")
_EDITABLE = re.compile(r"^(-e|--editable)(?:\s*=\s*|\s+)(\S+)")
_TRAILING_OPTIONS = re.compile(r"\s+--?[A-Za-z][\w-]*(?:[=\s]\S*)?")
_URLISH = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|git\+|hg\+|svn\+|bzr\+|\.{0,2}/|file:)", re.I)
_COMMENT = re.compile(r"(^|\s)#.*$")


@dataclass(frozen=True)
class Include:
    path: str  # as written, relative to the including file
    constraint: bool
    line: int


@dataclass(frozen=True)
class Parsed:
    dependencies: tuple[Dependency, ...]
    includes: tuple[Include, ...]
    problems: tuple[str, ...]


def _logical_lines(text: str) -> list[tuple[int, int, str]]:
    """(first line number, column offset of the text, joined text) per logical line, with
    backslash continuations joined and comments removed."""
    out: list[tuple[int, int, str]] = []
    buffer = ""
    first = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = _COMMENT.sub("", raw) if "#" in raw else raw
        if not buffer:
            first = number
        if line.endswith("\\"):
            buffer += line[:-1] + " "
            continue
        buffer += line
        stripped = buffer.strip()
        if stripped:
            out.append((first, len(buffer) - len(buffer.lstrip()), stripped))
        buffer = ""
    if buffer.strip():
        out.append((first, len(buffer) - len(buffer.lstrip()), buffer.strip()))
    return out


def pinned_version(spec: str) -> str | None:
    """The exact version a PEP 440 specifier pins, if it pins one (`==1.2.3`, `===1.2.3`)."""
    parts = [p.strip() for p in spec.split(",") if p.strip()]
    for part in parts:
        for op in ("===", "=="):
            if part.startswith(op):
                version = part[len(op) :].strip()
                if "*" not in version and version:
                    return version
    return None


def parse_requirements(text: str, manifest: str) -> Parsed:
    deps: list[Dependency] = []
    includes: list[Include] = []
    problems: list[str] = []
    raw_lines = text.splitlines()
    for line_no, offset, content in _logical_lines(text):
        raw = raw_lines[line_no - 1] if line_no <= len(raw_lines) else content
        full_span = Span(line_no, offset + 1, max(len(raw.rstrip()) + 1, offset + 2))
        include = _OPTION_WITH_FILE.match(content)
        if include:
            includes.append(Include(include.group(2), include.group(1) in ("-c", "--constraint"),
                                    line_no))
            continue
        editable = _EDITABLE.match(content)
        if editable:
            target = editable.group(2)
            deps.append(_unchecked(target, manifest, full_span, content,
                                   "editable requirement: not checkable"))
            continue
        if content.startswith("-"):
            continue  # --index-url, --hash-only lines, --pre, -f ... : not packages
        requirement_text = _TRAILING_OPTIONS.split(content, maxsplit=1)[0].strip()
        if _URLISH.match(requirement_text):
            deps.append(_unchecked(requirement_text, manifest, full_span, content,
                                   "URL or path requirement: not checkable"))
            continue
        dep = requirement_dependency(requirement_text, manifest, full_span, content)
        if isinstance(dep, str):
            problems.append(f"line {line_no}: {dep}")
        else:
            deps.append(dep)
    return Parsed(tuple(deps), tuple(includes), tuple(problems))


def requirement_dependency(
    requirement_text: str, manifest: str, span: Span, text: str
) -> Dependency | str:
    """A PEP 508 string as a Dependency, or the reason it is not one."""
    try:
        req = Requirement(requirement_text)
    except InvalidRequirement as err:
        return f"not a valid requirement: {requirement_text!r} ({err})"
    name_span = span
    spec = str(req.specifier)
    marker = str(req.marker) if req.marker is not None else ""
    if req.url:
        return Dependency(Ecosystem.PYPI, req.name, "", None, manifest, name_span, text,
                          checkable=False, reason=f"URL requirement ({req.url}): not checkable",
                          marker=marker)
    return Dependency(Ecosystem.PYPI, req.name, spec, pinned_version(spec), manifest, name_span,
                      text, marker=marker)


def _unchecked(target: str, manifest: str, span: Span, text: str, reason: str) -> Dependency:
    name = _name_from_target(target)
    return Dependency(Ecosystem.PYPI, name, "", None, manifest, span, text, checkable=False,
                      reason=reason)


def _name_from_target(target: str) -> str:
    egg = re.search(r"[#&]egg=([A-Za-z0-9._-]+)", target)
    if egg:
        return egg.group(1)
    return target.rstrip("/").rsplit("/", 1)[-1] or target

