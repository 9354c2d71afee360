"""Values of dependency verification: declared packages, advisories, registry answers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Ecosystem(StrEnum):
    PYPI = "PyPI"
    NPM = "npm"


@dataclass(frozen=True)
class Span:
    """Where a declaration sits in its manifest: 1-based line, 1-based columns (code points),
    `end_column` exclusive."""

    line: int
    column: int
    end_column: int


@dataclass(frozen=True)
class Dependency:
    """One declared package. `spec` is the version constraint as written ('' for any),
    `pinned` the exact version when the declaration names one. A declaration that cannot be
    checked (editable, URL, path) has `checkable=False` and a `reason`."""

    ecosystem: Ecosystem
    name: str
    spec: str
    pinned: str | None
    manifest: str
    span: Span
    text: str
    checkable: bool = True
    reason: str = ""
    marker: str = ""

    @property
    def key(self) -> tuple[Ecosystem, str]:
        return (self.ecosystem, normalise(self.ecosystem, self.name))


@dataclass(frozen=True)
class ManifestResult:
    dependencies: tuple[Dependency, ...]
    problems: tuple[tuple[str, str], ...]  # (path, reason): unreadable or malformed inputs
    manifests: tuple[str, ...]


@dataclass(frozen=True)
class Event:
    introduced: str | None = None
    fixed: str | None = None
    last_affected: str | None = None
    limit: str | None = None


@dataclass(frozen=True)
class Range:
    type: str  # ECOSYSTEM, SEMVER, GIT
    events: tuple[Event, ...]


@dataclass(frozen=True)
class Affected:
    ecosystem: str
    name: str
    ranges: tuple[Range, ...]
    versions: tuple[str, ...]


@dataclass(frozen=True)
class Advisory:
    id: str
    aliases: tuple[str, ...]
    summary: str
    severity: str  # "CRITICAL"/"HIGH"/"MODERATE"/"LOW", a CVSS vector, or ""
    modified: str
    withdrawn: str
    affected: tuple[Affected, ...]
    references: tuple[str, ...] = ()


@dataclass(frozen=True)
class RegistryInfo:
    """What a registry said about one name. `exists` is None when it could not be asked."""

    ecosystem: Ecosystem
    name: str
    exists: bool | None
    versions: tuple[str, ...] = ()
    yanked: tuple[str, ...] = ()
    created: str = ""  # ISO date of the first upload, when the registry says
    version_dates: tuple[tuple[str, str], ...] = ()
    error: str = ""
    from_cache: bool = False


def normalise(ecosystem: Ecosystem | str, name: str) -> str:
    """The registry's canonical form of a name (PEP 503 for PyPI; npm names are exact but
    case-insensitive in practice for lookup)."""
    if ecosystem in (Ecosystem.PYPI, "PyPI"):
        return _SEPARATORS.sub("-", name.strip()).lower()
    return name.strip().lower()


_SEPARATORS = re.compile(r"[-_.]+")
