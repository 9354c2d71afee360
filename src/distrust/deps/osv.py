"""OSV records: checked against the shape the OSV schema gives them, turned into
`Advisory` values, grouped by alias so that one vulnerability is one finding."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from distrust.deps.types import Advisory, Affected, Event, Range, normalise

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:+-]*$")
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
_RANGE_TYPES = frozenset({"GIT", "SEMVER", "ECOSYSTEM"})
_EVENT_KEYS = frozenset({"introduced", "fixed", "last_affected", "limit"})


class InvalidRecord(ValueError):
    """A record that does not have the OSV shape."""


def _str_list(value: Any, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidRecord(f"{what} is not a list of strings")
    return tuple(value)


def parse_record(data: Any) -> Advisory:
    """An OSV record as an Advisory; InvalidRecord names what is wrong."""
    if not isinstance(data, dict):
        raise InvalidRecord("not a JSON object")
    rid = data.get("id")
    if not isinstance(rid, str) or not _ID.match(rid):
        raise InvalidRecord("missing or invalid `id`")
    modified = data.get("modified")
    if not isinstance(modified, str) or not _RFC3339.match(modified):
        raise InvalidRecord(f"{rid}: missing or invalid `modified`")
    withdrawn = data.get("withdrawn", "")
    if not isinstance(withdrawn, str):
        raise InvalidRecord(f"{rid}: `withdrawn` is not a string")
    summary = data.get("summary") or data.get("details") or ""
    if not isinstance(summary, str):
        raise InvalidRecord(f"{rid}: `summary` is not a string")
    summary = summary.strip().splitlines()[0][:300] if summary.strip() else ""
    aliases = _str_list(data.get("aliases"), f"{rid}: `aliases`")
    affected_raw = data.get("affected", [])
    if not isinstance(affected_raw, list):
        raise InvalidRecord(f"{rid}: `affected` is not a list")
    affected = tuple(_affected(a, rid) for a in affected_raw)
    references = []
    refs = data.get("references", [])
    if isinstance(refs, list):
        references = [r["url"] for r in refs
                      if isinstance(r, dict) and isinstance(r.get("url"), str)]
    return Advisory(rid, aliases, summary, _severity(data, affected_raw), modified, withdrawn,
                    affected, tuple(references[:5]))


def _affected(data: Any, rid: str) -> Affected:
    if not isinstance(data, dict):
        raise InvalidRecord(f"{rid}: an `affected` entry is not an object")
    package = data.get("package", {})
    if not isinstance(package, dict):
        raise InvalidRecord(f"{rid}: `package` is not an object")
    ecosystem = package.get("ecosystem", "")
    name = package.get("name", "")
    if not isinstance(ecosystem, str) or not isinstance(name, str):
        raise InvalidRecord(f"{rid}: package ecosystem or name is not a string")
    ranges_raw = data.get("ranges", [])
    if not isinstance(ranges_raw, list):
        raise InvalidRecord(f"{rid}: `ranges` is not a list")
    ranges = []
    for rng in ranges_raw:
        if not isinstance(rng, dict) or rng.get("type") not in _RANGE_TYPES:
            raise InvalidRecord(f"{rid}: a range has no valid `type`")
        events_raw = rng.get("events")
        if not isinstance(events_raw, list) or not events_raw:
            raise InvalidRecord(f"{rid}: a range has no `events`")
        events = []
        for event in events_raw:
            if (not isinstance(event, dict) or len(event) != 1
                    or next(iter(event)) not in _EVENT_KEYS
                    or not isinstance(next(iter(event.values())), str)):
                raise InvalidRecord(f"{rid}: an event is not one of {sorted(_EVENT_KEYS)}")
            ((kind, value),) = event.items()
            events.append(Event(**{kind: value}))
        if not any(e.introduced is not None for e in events):
            raise InvalidRecord(f"{rid}: a range has no `introduced` event")
        ranges.append(Range(str(rng["type"]), tuple(events)))
    versions = _str_list(data.get("versions"), f"{rid}: `versions`")
    return Affected(ecosystem.split(":")[0], name, tuple(ranges), versions)


_LABELS = {"CRITICAL": "CRITICAL", "HIGH": "HIGH", "MODERATE": "MEDIUM", "MEDIUM": "MEDIUM",
           "LOW": "LOW"}


def _severity(data: dict[str, Any], affected: list[Any]) -> str:
    """CRITICAL, HIGH, MEDIUM, LOW, or '' when the record does not say."""
    specific = data.get("database_specific")
    if isinstance(specific, dict) and isinstance(specific.get("severity"), str):
        label = _LABELS.get(specific["severity"].upper())
        if label:
            return label
    for entry in affected:
        if isinstance(entry, dict):
            eco = entry.get("ecosystem_specific")
            if isinstance(eco, dict) and isinstance(eco.get("severity"), str):
                label = _LABELS.get(eco["severity"].upper())
                if label:
                    return label
    severities = data.get("severity")
    if isinstance(severities, list):
        for item in severities:
            if isinstance(item, dict) and str(item.get("type", "")).startswith("CVSS_V3"):
                score = cvss3_score(str(item.get("score", "")))
                if score is not None:
                    return _band(score)
    return ""


def _band(score: float) -> str:
    if score >= 9.0:
        return "CRITICAL"
    if score >= 7.0:
        return "HIGH"
    if score >= 4.0:
        return "MEDIUM"
    return "LOW"


_W = {
    "AV": {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2},
    "AC": {"L": 0.77, "H": 0.44},
    "UI": {"N": 0.85, "R": 0.62},
    "C": {"H": 0.56, "L": 0.22, "N": 0.0},
    "I": {"H": 0.56, "L": 0.22, "N": 0.0},
    "A": {"H": 0.56, "L": 0.22, "N": 0.0},
}


def _roundup(value: float) -> float:
    scaled = round(value * 100000)
    return scaled / 100000.0 if scaled % 10000 == 0 else (math.floor(scaled / 10000) + 1) / 10.0


def cvss3_score(vector: str) -> float | None:
    """The base score of a CVSS 3.x vector, or None when the vector is not one."""
    if not vector.startswith("CVSS:3"):
        return None
    metrics = dict(part.split(":", 1) for part in vector.split("/")[1:] if ":" in part)
    try:
        scope_changed = metrics["S"] == "C"
        pr = {"N": 0.85, "L": 0.68 if scope_changed else 0.62,
              "H": 0.5 if scope_changed else 0.27}[metrics["PR"]]
        iss = 1 - ((1 - _W["C"][metrics["C"]]) * (1 - _W["I"][metrics["I"]])
                   * (1 - _W["A"][metrics["A"]]))
        exploitability = (8.22 * _W["AV"][metrics["AV"]] * _W["AC"][metrics["AC"]] * pr
                          * _W["UI"][metrics["UI"]])
    except KeyError:
        return None
    impact = 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15 if scope_changed else 6.42 * iss
    if impact <= 0:
        return 0.0
    if scope_changed:
        return _roundup(min(1.08 * (impact + exploitability), 10))
    return _roundup(min(impact + exploitability, 10))


def entries_for(advisory: Advisory, ecosystem: str, name: str) -> list[Affected]:
    wanted = normalise(ecosystem, name)
    return [a for a in advisory.affected
            if a.ecosystem == ecosystem and normalise(ecosystem, a.name) == wanted]


@dataclass(frozen=True)
class Group:
    """Records that describe one vulnerability (they share an id or an alias)."""

    primary: Advisory
    members: tuple[Advisory, ...]

    @property
    def ids(self) -> list[str]:
        seen: list[str] = []
        for adv in self.members:
            for ident in (adv.id, *adv.aliases):
                if ident not in seen:
                    seen.append(ident)
        return seen


_PREFERENCE = ("GHSA-", "PYSEC-", "CVE-")


def _rank(adv: Advisory) -> tuple[int, str]:
    for index, prefix in enumerate(_PREFERENCE):
        if adv.id.startswith(prefix):
            return (index, adv.id)
    return (len(_PREFERENCE), adv.id)


def merge_aliases(advisories: Iterable[Advisory]) -> list[Group]:
    """Group records that name each other (directly or through a shared alias)."""
    items = [a for a in advisories if not a.withdrawn]
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for adv in items:
        for alias in adv.aliases:
            a, b = find(adv.id), find(alias)
            if a != b:
                parent[a] = b
        find(adv.id)
    groups: dict[str, list[Advisory]] = {}
    by_id: dict[str, Advisory] = {}
    for adv in items:
        if adv.id in by_id and adv.modified <= by_id[adv.id].modified:
            continue
        by_id[adv.id] = adv
    for adv in by_id.values():
        groups.setdefault(find(adv.id), []).append(adv)
    out = []
    for members in groups.values():
        members.sort(key=_rank)
        out.append(Group(members[0], tuple(members)))
    out.sort(key=lambda g: g.primary.id)
    return out


def to_compact(advisory: Advisory) -> list[Any]:
    """An advisory as a small JSON value (what the local database stores: records are
    checked once, at import)."""
    return [
        advisory.id, advisory.modified, list(advisory.aliases), advisory.summary,
        advisory.severity, advisory.withdrawn, list(advisory.references),
        [[a.ecosystem, a.name, list(a.versions),
          [[r.type, [[e.introduced, e.fixed, e.last_affected, e.limit] for e in r.events]]
           for r in a.ranges]]
         for a in advisory.affected],
    ]


def from_compact(data: Any) -> Advisory:
    """The inverse of `to_compact`; InvalidRecord when the value is not one."""
    try:
        rid, modified, aliases, summary, severity, withdrawn, refs, affected = data
        entries = tuple(
            Affected(str(eco), str(name),
                     tuple(Range(str(kind),
                                 tuple(Event(*(None if v is None else str(v) for v in event))
                                       for event in events))
                           for kind, events in ranges),
                     tuple(map(str, versions)))
            for eco, name, versions, ranges in affected)
        return Advisory(str(rid), tuple(map(str, aliases)), str(summary), str(severity),
                        str(modified), str(withdrawn), entries, tuple(map(str, refs)))
    except (TypeError, ValueError) as err:
        raise InvalidRecord(f"not a stored advisory: {err}") from None
