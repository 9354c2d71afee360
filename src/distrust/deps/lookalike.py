"""Names that imitate popular packages: one edit away (a letter changed, added, dropped or
two swapped), or equal after normalisation tricks (separators, digits for letters,
`python-`/`-py` affixes). A name that is itself popular is never a look-alike."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

from distrust.deps.types import Ecosystem, normalise

EDIT_TARGETS = 5000  # only the most popular names are targets of one-edit look-alikes
MIN_LENGTH = 4
EDIT_MIN_LENGTH = 5  # shorter names are one edit away from too many real packages
SHORT_LENGTH = 7  # names shorter than this are one edit away only from the top SHORT_TARGETS
SHORT_TARGETS = 1000
LONG_LENGTH = 10  # names this long may be two edits away from one of the top LONG_TARGETS
LONG_TARGETS = 1000
_DIGITS = str.maketrans({"0": "o", "1": "l", "3": "e", "4": "a", "5": "s", "7": "t", "$": "s"})
_PREFIXES = ("python3-", "python-", "py3-", "py-", "node-")
_SUFFIXES = ("-python3", "-python", "-py3", "-py", "-js", ".js", "-node")


@dataclass(frozen=True)
class LookAlike:
    target: str
    how: str


@dataclass(frozen=True)
class _Index:
    names: tuple[str, ...]
    popular: frozenset[str]
    skeletons: dict[str, str]
    deletes: dict[str, tuple[int, ...]]


def _skeleton(name: str) -> str:
    out = name.lower().translate(_DIGITS)
    for sep in "-_. ":
        out = out.replace(sep, "")
    return out.replace("rn", "m").replace("vv", "w")


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def load_names(ecosystem: Ecosystem) -> tuple[str, ...]:
    file = "popular-pypi.txt" if ecosystem is Ecosystem.PYPI else "popular-npm.txt"
    text = resources.files("distrust.data").joinpath(file).read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines()
                 if line.strip() and not line.startswith("#"))


@cache
def _index(ecosystem: Ecosystem) -> _Index:
    names = tuple(normalise(ecosystem, n) for n in load_names(ecosystem))
    skeletons: dict[str, str] = {}
    for name in names:
        skeletons.setdefault(_skeleton(name), name)
    deletes: dict[str, list[int]] = {}
    for rank, name in enumerate(names[:EDIT_TARGETS]):
        if len(name) < EDIT_MIN_LENGTH:
            continue
        for key in (name, *_deletes(name)):
            deletes.setdefault(key, []).append(rank)
    return _Index(names, frozenset(names), skeletons,
                  {k: tuple(v) for k, v in deletes.items()})


@cache
def _two_edit_index(ecosystem: Ecosystem) -> dict[str, tuple[int, ...]]:
    """Long popular names with one or two characters deleted → their ranks (built on first
    use: most runs never need it)."""
    names = _index(ecosystem).names
    out: dict[str, list[int]] = {}
    for rank, name in enumerate(names[:LONG_TARGETS]):
        if len(name) >= LONG_LENGTH:
            for key in _deletes2(name):
                out.setdefault(key, []).append(rank)
    return {k: tuple(v) for k, v in out.items()}


def _deletes2(word: str) -> set[str]:
    """The word with one or two characters deleted, and itself."""
    once = _deletes(word)
    out = {word, *once}
    for part in once:
        out.update(_deletes(part))
    return out


def distance(a: str, b: str) -> int:
    """The optimal string alignment distance (Damerau-Levenshtein with adjacent swaps)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(b)]


def is_popular(ecosystem: Ecosystem, name: str) -> bool:
    return normalise(ecosystem, name) in _index(ecosystem).popular


def _one_edit(a: str, b: str) -> str | None:
    """How `a` differs from `b` by one edit, or None."""
    if a == b:
        return None
    la, lb = len(a), len(b)
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        if len(diff) == 1:
            return f"'{b[diff[0]]}' changed to '{a[diff[0]]}'"
        if len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] \
                and a[diff[1]] == b[diff[0]]:
            return f"'{b[diff[0]]}{b[diff[1]]}' swapped"
        return None
    if abs(la - lb) != 1:
        return None
    short, long_ = (a, b) if la < lb else (b, a)
    i = 0
    while i < len(short) and short[i] == long_[i]:
        i += 1
    if short[i:] != long_[i + 1 :]:
        return None
    return f"'{long_[i]}' dropped" if la < lb else f"'{long_[i]}' added"


def _strip_affixes(name: str) -> list[tuple[str, str]]:
    out = []
    for prefix in _PREFIXES:
        if name.startswith(prefix) and len(name) > len(prefix) + 2:
            out.append((name[len(prefix) :], f"the prefix '{prefix}' added"))
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 2:
            out.append((name[: -len(suffix)], f"the suffix '{suffix}' added"))
    return out


def look_alike(ecosystem: Ecosystem, name: str) -> LookAlike | None:
    """The popular package a name imitates, or None."""
    index = _index(ecosystem)
    wanted = normalise(ecosystem, name)
    if wanted in index.popular or len(wanted) < MIN_LENGTH:
        return None
    skeleton = _skeleton(wanted)
    target = index.skeletons.get(skeleton)
    if target is not None and target != wanted:
        return LookAlike(target, "the same name once separators, case and look-alike "
                                 "characters are ignored")
    for stripped, how in _strip_affixes(wanted):
        if stripped in index.popular:
            return LookAlike(stripped, how)
    if len(wanted) < EDIT_MIN_LENGTH:
        return None
    ranks: set[int] = set()
    for key in (wanted, *_deletes(wanted)):
        ranks.update(index.deletes.get(key, ()))
    for rank in sorted(ranks):
        if len(wanted) < SHORT_LENGTH and rank >= SHORT_TARGETS:
            break
        candidate = index.names[rank]
        edit = _one_edit(wanted, candidate)
        if edit is not None:
            return LookAlike(candidate, f"one edit away: {edit}")
    if len(wanted) >= LONG_LENGTH:
        ranks = set()
        two = _two_edit_index(ecosystem)
        for key in _deletes2(wanted):
            ranks.update(two.get(key, ()))
        for rank in sorted(ranks):
            candidate = index.names[rank]
            if candidate != wanted and distance(wanted, candidate) <= 2:
                return LookAlike(candidate, "two edits away")
    return None
