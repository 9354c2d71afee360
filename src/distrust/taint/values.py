"""Abstract values of the taint engine: labels (where data came from and which sink kinds it
has been made safe for) and values (labels plus the shape the engine can still see: items of a
sequence at known positions, entries of a mapping under constant keys, a known constant, the
type of the call that produced it)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from distrust.model import Confidence, Step
from distrust.taint.spec import ALL_KINDS

MAX_TRACE = 12


@dataclass(frozen=True)
class Label:
    """`origin` is `src:<what>@<where>` for attacker data or `param:<i>` for the i-th parameter
    of the function under analysis (used to build summaries)."""

    origin: str
    cleared: frozenset[str] = frozenset()
    confidence: Confidence = field(default=Confidence.HIGH, compare=False)
    trace: tuple[Step, ...] = field(default=(), compare=False)
    what: str = field(default="", compare=False)

    def live_for(self, kind: str) -> bool:
        return kind not in self.cleared and ALL_KINDS not in self.cleared

    def step(self, step: Step) -> Label:
        trace = (*self.trace, step)
        if len(trace) > MAX_TRACE:
            trace = trace[:2] + trace[-(MAX_TRACE - 2) :]
        return replace(self, trace=trace)


class _NoConst:
    def __repr__(self) -> str:
        return "NOCONST"


NOCONST: object = _NoConst()
Labels = frozenset[Label]
EMPTY: Labels = frozenset()


@dataclass(frozen=True)
class Val:
    labels: Labels = EMPTY
    items: tuple[Val, ...] | None = None
    entries: tuple[tuple[object, Val], ...] | None = None
    type: str | None = None
    const: object = NOCONST
    request: bool = False
    guard: tuple[str, frozenset[str]] | None = None
    parsed_from: str | None = None
    site: bool = False

    def flat(self) -> Labels:
        if self.items is None and self.entries is None:
            return self.labels
        out = set(self.labels)
        stack: list[Val] = [self]
        while stack:
            v = stack.pop()
            out.update(v.labels)
            if v.items:
                stack.extend(v.items)
            if v.entries:
                stack.extend(e for _, e in v.entries)
        return frozenset(out)

    @property
    def tainted(self) -> bool:
        return bool(self.flat())

    def entry(self, key: object) -> Val | None:
        if self.entries is None:
            return None
        for k, v in self.entries:
            if k == key:
                return v
        return None


CLEAN = Val()


def of(labels: Labels, type_: str | None = None) -> Val:
    return Val(labels=labels, type=type_) if labels or type_ else CLEAN


def join(a: Val | None, b: Val | None) -> Val:
    if a is None:
        return b if b is not None else CLEAN
    if b is None or a == b:
        return a
    const = a.const if a.const is not NOCONST and _same(a.const, b.const) else NOCONST
    type_ = a.type if a.type == b.type else None
    request = a.request or b.request
    if a.items is not None and b.items is not None and len(a.items) == len(b.items):
        items = tuple(join(x, y) for x, y in zip(a.items, b.items, strict=True))
        return Val(a.labels | b.labels, items=items, type=type_, request=request)
    if a.entries is not None and b.entries is not None:
        keys = [k for k, _ in a.entries] + [k for k, _ in b.entries if a.entry(k) is None]
        entries = tuple((k, join(a.entry(k) or of(a.labels), b.entry(k) or of(b.labels)))
                        for k in keys)
        return Val(a.labels | b.labels, entries=entries, type=type_, request=request)
    labels = a.flat() | b.flat()
    return Val(labels, type=type_, const=const, request=request)


def _same(x: object, y: object) -> bool:
    return type(x) is type(y) and x == y


def clear(value: Val, kinds: frozenset[str]) -> Val:
    labels = value.flat()
    if not labels:
        return value
    return Val(frozenset(replace(lab, cleared=lab.cleared | kinds) for lab in labels),
               type=value.type)


def union(values: list[Val]) -> Labels:
    out: set[Label] = set()
    for v in values:
        out.update(v.flat())
    return frozenset(out)
