"""Semantic Versioning 2.0 versions and npm's range syntax, as far as dependency checks need
them: comparison with pre-release precedence, and `^`, `~`, x-ranges, hyphen ranges, `||`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import total_ordering

_SEMVER = re.compile(
    r"^\s*[v=]*\s*(\d+)(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?"
    r"(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?\s*$"
)


@total_ordering
@dataclass(frozen=True)
class SemVer:
    major: int
    minor: int
    patch: int
    pre: tuple[int | str, ...] = ()

    def _key(self) -> tuple[int, int, int, int, tuple[tuple[int, int, str], ...]]:
        # A version without pre-release ranks above any pre-release of it; numeric
        # identifiers rank below alphanumeric ones; a longer list wins a tie of prefixes.
        pre = tuple((0, p, "") if isinstance(p, int) else (1, 0, p) for p in self.pre)
        return (self.major, self.minor, self.patch, 0 if self.pre else 1, pre)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, SemVer):
            return NotImplemented
        return self._key() < other._key()

    @property
    def core(self) -> tuple[int, int, int]:
        return (self.major, self.minor, self.patch)

    def __str__(self) -> str:
        base = f"{self.major}.{self.minor}.{self.patch}"
        return base + ("-" + ".".join(str(p) for p in self.pre) if self.pre else "")


def _pre(text: str | None) -> tuple[int | str, ...]:
    if not text:
        return ()
    return tuple(int(p) if p.isdigit() else p for p in text.split("."))


def parse(text: str) -> SemVer | None:
    """A full or partial version (`1`, `1.2` count as `1.0.0`, `1.2.0`); None if not one."""
    match = _SEMVER.match(text)
    if not match or any(g and g in "xX*" for g in (match.group(2), match.group(3))):
        return None
    return SemVer(int(match.group(1)), int(match.group(2) or 0), int(match.group(3) or 0),
                  _pre(match.group(4)))


@dataclass(frozen=True)
class _Partial:
    parts: tuple[int, ...]  # 0 to 3 numbers given; an x or * stops the list
    pre: tuple[int | str, ...]


def _partial(text: str) -> _Partial | None:
    text = text.strip()
    if text in ("", "*", "x", "X", "latest"):
        return _Partial((), ())
    match = _SEMVER.match(text)
    if not match:
        return None
    parts: list[int] = [int(match.group(1))]
    for group in (match.group(2), match.group(3)):
        if group is None or group in "xX*":
            break
        parts.append(int(group))
    return _Partial(tuple(parts), _pre(match.group(4)) if len(parts) == 3 else ())


Comparator = tuple[str, SemVer]


def _floor(p: _Partial) -> SemVer:
    nums = [*p.parts, 0, 0, 0][:3]
    return SemVer(nums[0], nums[1], nums[2], p.pre)


def _next(p: _Partial) -> SemVer:
    """The smallest version above every version the partial names (`1.2` → `1.3.0-0`)."""
    if len(p.parts) == 1:
        return SemVer(p.parts[0] + 1, 0, 0, (0,))
    if len(p.parts) == 2:
        return SemVer(p.parts[0], p.parts[1] + 1, 0, (0,))
    return SemVer(p.parts[0], p.parts[1], p.parts[2] + 1, (0,))


def _desugar(token: str) -> list[Comparator] | None:
    op_match = re.match(r"^(<=|>=|<|>|=|\^|~>|~)?\s*(.*)$", token)
    if not op_match:
        return None
    op, rest = op_match.group(1) or "", op_match.group(2)
    p = _partial(rest)
    if p is None:
        return None
    if not p.parts:
        return [] if op in ("", "=", ">=", "^", "~", "~>", "<=") else [("<", SemVer(0, 0, 0, (0,)))]
    full = len(p.parts) == 3
    if op in ("", "="):
        return [("=", _floor(p))] if full else [(">=", _floor(p)), ("<", _next(p))]
    if op in ("~", "~>"):
        upper = _next(_Partial(p.parts[:2], ())) if len(p.parts) >= 2 else _next(p)
        return [(">=", _floor(p)), ("<", upper)]
    if op == "^":
        nums = [*p.parts, 0, 0][:3]
        if nums[0] != 0 or len(p.parts) == 1:
            upper = SemVer(nums[0] + 1, 0, 0, (0,))
        elif nums[1] != 0 or len(p.parts) == 2:
            upper = SemVer(0, nums[1] + 1, 0, (0,))
        else:
            upper = SemVer(0, 0, nums[2] + 1, (0,))
        return [(">=", _floor(p)), ("<", upper)]
    if op == ">=":
        return [(">=", _floor(p))]
    if op == "<":
        if full:
            return [("<", _floor(p))]
        nums = [*p.parts, 0, 0][:3]
        return [("<", SemVer(nums[0], nums[1], nums[2], (0,)))]
    if op == ">":
        return [(">", _floor(p))] if full else [(">=", _next(p))]
    if op == "<=":
        return [("<=", _floor(p))] if full else [("<", _next(p))]
    return None


@dataclass(frozen=True)
class Range:
    """An npm range: alternatives (`||`), each a conjunction of comparators."""

    sets: tuple[tuple[Comparator, ...], ...]

    def admits(self, version: SemVer) -> bool:
        return any(_set_admits(c, version) for c in self.sets)


def _set_admits(comparators: tuple[Comparator, ...], version: SemVer) -> bool:
    for op, bound in comparators:
        ok = {
            "=": version == bound, "<": version < bound, "<=": version <= bound,
            ">": version > bound, ">=": version >= bound,
        }[op]
        if not ok:
            return False
    if version.pre:
        # A pre-release satisfies a range only when a comparator names a pre-release of the
        # same major.minor.patch.
        return any(b.pre and b.core == version.core and b.pre != (0,) for _, b in comparators)
    return True


def parse_range(text: str) -> Range | None:
    """An npm range, or None when it is not one (a tag, a URL...)."""
    sets: list[tuple[Comparator, ...]] = []
    for alternative in text.split("||"):
        alternative = alternative.strip()
        hyphen = re.match(r"^(\S+)\s+-\s+(\S+)$", alternative)
        comparators: list[Comparator] = []
        if hyphen:
            low, high = _partial(hyphen.group(1)), _partial(hyphen.group(2))
            if low is None or high is None:
                return None
            if low.parts:
                comparators.append((">=", _floor(low)))
            if high.parts:
                comparators.append(("<=", _floor(high)) if len(high.parts) == 3
                                   else ("<", _next(high)))
        else:
            tokens = re.findall(r"(?:<=|>=|<|>|=|\^|~>|~)?\s*[^\s<>=^~]+|(?:<=|>=|<|>|=)$",
                                alternative)
            for token in tokens:
                part = _desugar(token.strip())
                if part is None:
                    return None
                comparators.extend(part)
        sets.append(tuple(comparators))
    return Range(tuple(sets))
