"""Which versions an OSV record affects, and which versions a declaration admits.

PyPI versions compare by PEP 440 (`packaging`), npm versions by Semantic Versioning.
ECOSYSTEM and SEMVER ranges are evaluated as the OSV schema says: events sorted by version,
`introduced` opens, `fixed` closes (exclusive), `last_affected` closes (inclusive), `limit`
bounds the range from above. GIT ranges need commits and are ignored."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from distrust.deps import semver
from distrust.deps.types import Affected, Ecosystem, Range

Key = Any  # a packaging Version or a SemVer: comparable within one ecosystem


@lru_cache(maxsize=65536)
def version_key(ecosystem: str, text: str) -> Key | None:
    """A comparable version, or None when the text is not a version of that ecosystem."""
    if ecosystem == "npm":
        return semver.parse(text)
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _range_key(range_type: str, ecosystem: str, text: str) -> Key | None:
    if text == "0":
        return _ZERO
    if range_type == "SEMVER":
        return semver.parse(text)
    return version_key(ecosystem, text)


class _Zero:
    """Below every version: the `introduced: "0"` of a range open from the start."""

    def __lt__(self, other: object) -> bool:
        return not isinstance(other, _Zero)

    def __le__(self, other: object) -> bool:
        return True

    def __gt__(self, other: object) -> bool:
        return False

    def __ge__(self, other: object) -> bool:
        return isinstance(other, _Zero)


_ZERO = _Zero()


def range_affects(rng: Range, ecosystem: str, version: str) -> bool:
    if rng.type not in ("ECOSYSTEM", "SEMVER"):
        return False
    v = semver.parse(version) if rng.type == "SEMVER" else version_key(ecosystem, version)
    if v is None:
        return False
    events: list[tuple[Key, int, str]] = []
    limits: list[Key] = []
    for event in rng.events:
        for order, kind, text in (
            (0, "introduced", event.introduced), (1, "fixed", event.fixed),
            (2, "last_affected", event.last_affected), (3, "limit", event.limit),
        ):
            if text is None:
                continue
            key = _range_key(rng.type, ecosystem, text)
            if key is None:
                continue
            if kind == "limit":
                if text != "*":
                    limits.append(key)
                continue
            events.append((key, order, kind))
    if limits and all(not v < limit for limit in limits):
        return False
    affected = False
    for key, _order, kind in sorted(events, key=_event_sort):
        if kind == "introduced" and v >= key:
            affected = True
        elif (kind == "fixed" and v >= key) or (kind == "last_affected" and v > key):
            affected = False
    return affected


def _event_sort(item: tuple[Key, int, str]) -> tuple[int, Any, int]:
    key, order, _ = item
    if isinstance(key, _Zero):
        return (0, 0, order)
    return (1, _Sortable(key), order)


class _Sortable:
    def __init__(self, key: Key) -> None:
        self.key = key

    def __lt__(self, other: _Sortable) -> bool:
        try:
            return bool(self.key < other.key)
        except TypeError:
            return False

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Sortable) and bool(self.key == other.key)

    __hash__ = None  # type: ignore[assignment]


def affects(affected: Affected, ecosystem: str, version: str) -> bool:
    """Whether the version is affected by this `affected` entry (explicit versions or any
    evaluable range)."""
    if affected.versions:
        key = version_key(ecosystem, version)
        for listed in affected.versions:
            if listed == version:
                return True
            other = version_key(ecosystem, listed)
            if key is not None and other is not None and other == key:
                return True
    return any(range_affects(r, ecosystem, version) for r in affected.ranges)


def fixed_versions(affected: Affected) -> list[str]:
    out: list[str] = []
    for rng in affected.ranges:
        for event in rng.events:
            if event.fixed and event.fixed not in out:
                out.append(event.fixed)
    return out


def mentioned_versions(affected: Affected) -> set[str]:
    """Every version an entry names: candidates when the registry's version list is not
    known (offline)."""
    out = set(affected.versions)
    for rng in affected.ranges:
        for event in rng.events:
            for text in (event.introduced, event.fixed, event.last_affected):
                if text and text != "0":
                    out.add(text)
    return out


def admits(ecosystem: str, spec: str, version: str) -> bool:
    """Whether a declaration's constraint admits the version. An empty constraint admits
    every final release; pre-releases only when the constraint names one."""
    if ecosystem == "npm":
        rng = semver.parse_range(spec or "*")
        v = semver.parse(version)
        return rng is not None and v is not None and rng.admits(v)
    key = version_key(ecosystem, version)
    if key is None:
        return False
    for alternative in (spec or "").split("||"):
        try:
            specifier = SpecifierSet(alternative.strip())
        except InvalidSpecifier:
            continue
        if specifier.contains(key, prereleases=bool(specifier.prereleases)):
            return True
    return False


def spec_is_valid(ecosystem: str, spec: str) -> bool:
    if ecosystem == "npm":
        return semver.parse_range(spec or "*") is not None
    try:
        for alternative in (spec or "").split("||"):
            SpecifierSet(alternative.strip())
    except InvalidSpecifier:
        return False
    return True


def sort_versions(ecosystem: str, versions: set[str] | list[str]) -> list[str]:
    keyed = [(version_key(ecosystem, v), v) for v in versions]
    valid = [(k, v) for k, v in keyed if k is not None]
    valid.sort(key=lambda kv: kv[0])
    return [v for _, v in valid]


def is_prerelease(ecosystem: str, version: str) -> bool:
    key = version_key(ecosystem, version)
    if key is None:
        return False
    if isinstance(key, Version):
        return key.is_prerelease
    return bool(getattr(key, "pre", ()))


def ecosystem_name(ecosystem: Ecosystem | str) -> str:
    return ecosystem.value if isinstance(ecosystem, Ecosystem) else ecosystem
