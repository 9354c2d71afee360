"""Incremental taint analysis: the record an earlier run leaves, and which modules an edit
makes stale.

The engine's results are kept module by module (`engine.ModuleResult`), each with the other
modules whose function summaries it used. After an edit, a module is analysed again when it
changed or when it uses, directly or through others, a module that changed; every other
module's flows stand. A full run is needed instead when the set of modules changed, or when a
changed module looks different from outside: other functions or classes (`interface`), or a
different answer to a question the earlier run asked about every module's text (whether some
function name is called anywhere)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from distrust.cache import (
    CorruptEntry,
    as_bool,
    as_dict,
    as_int,
    as_list,
    as_str,
    digest,
    location_from_json,
    location_to_json,
    step_from_json,
)
from distrust.model import Confidence
from distrust.python.source import Module
from distrust.taint.engine import Analysis, Flow, ModuleResult, analyse_project, call_words
from distrust.taint.project import ClassOutline, FunctionOutline, Outline, Project, index
from distrust.taint.spec import Spec
from distrust.taint.values import Label


@dataclass(frozen=True)
class Stored:
    """One module's results, with the cache key of the text they came from and the digest
    of what other modules see of it."""

    key: str
    interface: str
    result: ModuleResult
    outline: Outline


@dataclass(frozen=True)
class Record:
    """The results of a whole run, module by module, and the names it asked about."""

    modules: Mapping[str, Stored]
    queried: frozenset[str]

    def known_units(self, outside: frozenset[str]) -> frozenset[str]:
        return frozenset(u for path, s in self.modules.items() if path not in outside
                         for u in s.result.units)


def interfaces(project: Project) -> dict[str, str]:
    """For each module of the project, a digest of what the taint engine sees of it from
    outside: its names, functions (with their classes and parameters) and classes (with their
    bases and methods)."""
    parts: dict[str, list[str]] = {
        m.path: [m.name, str(m.is_package), *m.aliases, "\0"] for m in project.modules}
    for qual, fn in sorted(project.functions.items()):
        parts[fn.module.path].append(f"def {qual} {fn.cls} {' '.join(fn.params)}")
    for qual, info in sorted(project.classes.items()):
        parts[info.module.path].append(
            f"class {qual} {' '.join(info.bases)} {' '.join(sorted(info.methods))}")
    return {path: digest(*items) for path, items in parts.items()}


def analyse(modules: tuple[Module, ...], spec: Spec, record: Record | None,
            keys: Mapping[str, str]) -> Record:
    """The taint results of the project: from scratch, or, given the record of an earlier
    run and the cache key of each module's text now, by analysing only what is stale."""
    outlines = {} if record is None else {
        path: stored.outline for path, stored in record.modules.items()
        if keys.get(path) == stored.key}
    project = index(modules, outlines)
    by_path = {m.path: m for m in modules}
    only = stale(record, keys, by_path)
    if only is not None and record is not None:
        analysis = analyse_project(project, spec, only, record.known_units(only),
                                   _answers(record))
        if not analysis.missed:
            return merge(record, analysis, only, keys, project)
    return merge(None, analyse_project(project, spec), None, keys, project)


def _answers(record: Record) -> dict[str, bool]:
    """Whether each name the earlier run asked about is called somewhere. The record's
    answers hold for the edited modules too: `stale` accepts an edit only where they do."""
    called: set[str] = set()
    for stored in record.modules.values():
        called |= stored.result.called
    return {name: name in called for name in record.queried}


def stale(record: Record | None, keys: Mapping[str, str], modules: Mapping[str, Module]
          ) -> frozenset[str] | None:
    """The modules to analyse again, given the cache key of each module's text now; None
    when only a full run gives the right answer."""
    if record is None or set(record.modules) != set(keys):
        return None
    changed = {path for path, key in keys.items() if record.modules[path].key != key}
    for path in changed:
        before = record.modules[path]
        module = modules[path]
        if interfaces(index((module,)))[path] != before.interface:
            return None
        if call_words(module.text)[1] & record.queried != before.result.called:
            return None
    users: dict[str, set[str]] = {}
    for path, stored in record.modules.items():
        for used in stored.result.uses:
            users.setdefault(used, set()).add(path)
    out = set(changed)
    todo = list(changed)
    while todo:
        for user in users.get(todo.pop(), ()):
            if user not in out:
                out.add(user)
                todo.append(user)
    return frozenset(out)


def merge(record: Record | None, analysis: Analysis, only: frozenset[str] | None,
          keys: Mapping[str, str], project: Project) -> Record:
    """The record after a run: fresh results for the modules the run analysed (all of them
    without `only`); for the others the earlier results, with what the run learnt about
    them added (units it analysed, modules they use, answers to new questions)."""
    out: dict[str, Stored] = {}
    faces = interfaces(project)
    for fresh in analysis.modules:
        path = fresh.path
        if record is None or only is None or path in only:
            out[path] = Stored(keys[path], faces[path], fresh, project.outlines[path])
            continue
        before = record.modules[path]
        result = replace(before.result,
                         units=tuple(sorted({*before.result.units, *fresh.units})),
                         uses=before.result.uses | fresh.uses,
                         called=before.result.called | fresh.called)
        out[path] = Stored(before.key, before.interface, result, before.outline)
    queried = analysis.queried | (record.queried if record is not None else frozenset())
    return Record(out, queried)


def flows(record: Record) -> list[Flow]:
    return [f for stored in record.modules.values() for f in stored.result.flows]


# --- JSON codec: explicit, checked field by field ------------------------------------------

def to_json(record: Record) -> dict[str, Any]:
    return {
        "queried": sorted(record.queried),
        "modules": {path: {
            "key": s.key, "interface": s.interface,
            "flows": [_flow_json(f) for f in s.result.flows],
            "units": list(s.result.units), "uses": sorted(s.result.uses),
            "notices": list(s.result.notices),
            "failures": [list(f) for f in s.result.failures],
            "called": sorted(s.result.called),
            "functions": [[f.qualname, f.cls, list(f.params), f.line, f.column, f.first_line,
                           f.last_line, f.routed] for f in s.outline.functions],
            "classes": [[c.qualname, list(c.bases), list(c.methods)]
                        for c in s.outline.classes],
        } for path, s in record.modules.items()},
    }


def from_json(data: dict[str, Any]) -> Record:
    """The record in `data`; `CorruptEntry` (or KeyError, TypeError, ValueError) when it is
    not one."""
    modules: dict[str, Stored] = {}
    for path, raw in as_dict(data["modules"]).items():
        d = as_dict(raw)
        failures = []
        for item in as_list(d["failures"]):
            pair = as_list(item)
            if len(pair) != 2:
                raise CorruptEntry("bad failure record")
            failures.append((as_int(pair[0]), as_str(pair[1])))
        result = ModuleResult(
            as_str(path), tuple(_flow(f) for f in as_list(d["flows"])),
            tuple(as_str(u) for u in as_list(d["units"])),
            frozenset(as_str(u) for u in as_list(d["uses"])),
            tuple(as_str(n) for n in as_list(d["notices"])), tuple(failures),
            frozenset(as_str(c) for c in as_list(d["called"])))
        outline = Outline(tuple(_function(f) for f in as_list(d["functions"])),
                          tuple(_class(c) for c in as_list(d["classes"])))
        modules[as_str(path)] = Stored(as_str(d["key"]), as_str(d["interface"]), result,
                                       outline)
    return Record(modules, frozenset(as_str(q) for q in as_list(data["queried"])))


def _flow_json(flow: Flow) -> list[object]:
    label = flow.label
    return [flow.kind, flow.sink, location_to_json(flow.location), flow.snippet_line,
            flow.function, label.origin, sorted(label.cleared), int(label.confidence),
            [[location_to_json(s.location), s.note] for s in label.trace], label.what]


def _flow(data: object) -> Flow:
    items = as_list(data)
    if len(items) != 10:
        raise CorruptEntry("bad flow")
    kind, sink, location, line, function, origin, cleared, confidence, trace, what = items
    label = Label(as_str(origin), frozenset(as_str(c) for c in as_list(cleared)),
                  Confidence(as_int(confidence)),
                  tuple(step_from_json(s) for s in as_list(trace)), as_str(what))
    return Flow(as_str(kind), as_str(sink), location_from_json(location), as_int(line), label,
                as_str(function))


def _function(data: object) -> FunctionOutline:
    items = as_list(data)
    if len(items) != 8:
        raise CorruptEntry("bad function outline")
    qual, cls, params, line, column, first, last, routed = items
    return FunctionOutline(as_str(qual), None if cls is None else as_str(cls),
                           tuple(as_str(p) for p in as_list(params)), as_int(line),
                           as_int(column), as_int(first), as_int(last), as_bool(routed))


def _class(data: object) -> ClassOutline:
    items = as_list(data)
    if len(items) != 3:
        raise CorruptEntry("bad class outline")
    return ClassOutline(as_str(items[0]), tuple(as_str(b) for b in as_list(items[1])),
                        tuple(as_str(m) for m in as_list(items[2])))
