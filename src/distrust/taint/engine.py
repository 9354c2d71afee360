"""The taint engine: follows attacker-controlled data from sources to sinks.

Within a function the analysis is forward and flow-sensitive over the `ast` (assignments are
strong updates, branches join, loops iterate to a fixed point, branches whose condition folds
to a constant are pruned, a validation that exits the function on failure sanitizes the path
that continues). Across functions it uses summaries: which parameters reach the return value,
and which reach a sink. Summaries are computed on demand, callees first, and recomputed for the
callers whenever they change."""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache

from distrust.model import Confidence, Location, Step
from distrust.python.source import Module
from distrust.taint import values as tv
from distrust.taint.project import Function, Project, RouteParams, route_params
from distrust.taint.spec import ALL_KINDS, Sink, Source, Spec
from distrust.taint.values import CLEAN, EMPTY, NOCONST, Label, Labels, Val

MAX_VISITS = 6
MAX_LOOP_ROUNDS = 4
MAX_CONST_LEN = 10_000
MAX_ATTRS = 4

ABORTS = frozenset(
    {"flask.abort", "werkzeug.exceptions.abort", "abort", "sys.exit", "exit", "quit",
     "os._exit", "django.core.exceptions.PermissionDenied", "fastapi.HTTPException"}
)
VALIDATORS = frozenset(
    {"re.match", "re.fullmatch", "re.search", "*.match", "*.fullmatch", "*.isdigit",
     "*.isalnum", "*.isalpha", "*.isnumeric", "*.isdecimal", "*.isidentifier",
     "*.is_valid", "validators.url", "validators.domain"}
)
PREFIX_CHECKS = frozenset({"*.startswith", "os.path.commonpath", "os.path.commonprefix",
                           "*.is_relative_to", "django.utils.http.url_has_allowed_host_and_scheme",
                           "django.utils.http.is_safe_url"})
PREFIX_KINDS = frozenset({"path", "redirect", "url"})
HOST_BOUND_KINDS = frozenset({"redirect", "url"})
LOOKUPS = frozenset({"get", "filter", "filter_by", "exclude", "first", "one", "one_or_none",
                     "scalar", "scalars", "all", "get_or_404", "first_or_404", "get_or_create",
                     "in_bulk", "values", "values_list", "only", "defer", "order_by"})
LOOKUP_FUNCTIONS = frozenset({"django.shortcuts.get_object_or_404",
                              "django.shortcuts.get_list_or_404", "flask.abort"})
URL_PARSERS = frozenset({"urllib.parse.urlparse", "urllib.parse.urlsplit", "urlparse.urlparse",
                         "urlparse.urlsplit"})
URL_HOST_PARTS = frozenset({"netloc", "hostname"})
EXTERNAL_ENTITY_FEATURES = frozenset({"feature_external_ges", "feature_external_pes"})
XXE_MARK = ":external-entities"
AUTOESCAPE_OFF = ":autoescape-off"
PATH_TYPES = frozenset({"pathlib.Path()", "pathlib.PurePath()", "pathlib.PosixPath()",
                        "pathlib.WindowsPath()"})
# Methods of a path that return a path again (`BASE.resolve()`, `p.with_suffix(".txt")`).
PATH_SAME = frozenset({"resolve", "absolute", "expanduser", "joinpath", "with_name",
                       "with_suffix", "with_stem", "relative_to"})
NAMED_CONSTRUCTORS = frozenset({"hashlib.new"})
_NOT_SECRET = re.compile(r"etag|cache|checksum|fingerprint|dedup|content_hash|file_hash")
JINJA_ESCAPING = frozenset({"jinja2.Environment", "jinja2.Template"})
ANY_KEYWORD = "*"
MUTATING = frozenset({"append", "extend", "insert", "add", "update", "setdefault", "put",
                      "push", "appendleft", "extendleft", "write", "writelines"})
CLEAN_RESULT_METHODS = frozenset({"execute", "executemany", "executescript", "fetchone",
                                  "fetchall", "fetchmany", "commit", "close", "cursor",
                                  "__len__", "count", "index", "find", "rfind"})


@dataclass(frozen=True)
class Flow:
    """Attacker data reaching a sink: the engine's raw result."""

    kind: str
    sink: str
    location: Location
    snippet_line: int
    label: Label
    function: str


@dataclass(frozen=True)
class ParamSink:
    """A parameter of a function reaches a sink inside it (or inside what it calls). The trace
    is kept short and takes no part in equality, so summaries converge."""

    index: int
    kind: str
    cleared: frozenset[str]
    sink: str
    location: Location
    trace: tuple[Step, ...] = field(compare=False)
    attr: str | None = None


@dataclass(frozen=True)
class Summary:
    """`fields` (constructors only): what each `self` attribute holds when `__init__` returns,
    so that `Job(user_text).binary` stays as clean as the constant it was set to."""

    ret: Labels = EMPTY
    sinks: tuple[ParamSink, ...] = ()
    ret_type: str | None = None
    fields: tuple[tuple[str, Labels], ...] = ()


BOTTOM = Summary()


@dataclass
class _Indexes:
    sinks: dict[str, list[Sink]]
    method_sinks: dict[str, list[Sink]]
    sources: dict[str, Source]
    method_sources: dict[str, Source]
    sanitizers: dict[str, frozenset[str]]
    method_sanitizers: dict[str, frozenset[str]]
    validators: dict[str, frozenset[str]] = field(default_factory=dict)


def _build_indexes(spec: Spec) -> _Indexes:
    idx = _Indexes({}, {}, {}, {}, {}, {})
    for sink in spec.sinks:
        if sink.name.startswith("*."):
            idx.method_sinks.setdefault(sink.name[2:], []).append(sink)
        else:
            idx.sinks.setdefault(sink.name, []).append(sink)
    for source in spec.sources:
        if source.name.startswith("*."):
            idx.method_sources[source.name[2:]] = source
        else:
            idx.sources[source.name] = source
    for san in spec.sanitizers:
        if san.predicate:
            idx.validators[san.name] = san.kinds
        elif san.name.startswith("*."):
            idx.method_sanitizers[san.name[2:]] = san.kinds
        else:
            idx.sanitizers[san.name] = san.kinds
    return idx


@dataclass
class Engine:
    project: Project
    spec: Spec
    idx: _Indexes = field(init=False)
    summaries: dict[str, Summary] = field(default_factory=dict)
    flows: dict[str, list[Flow]] = field(default_factory=dict)
    callers: dict[str, set[str]] = field(default_factory=dict)
    fields: dict[str, dict[str, Val]] = field(default_factory=dict)
    visits: dict[str, int] = field(default_factory=dict)
    in_progress: set[str] = field(default_factory=set)
    dirty: list[str] = field(default_factory=list)
    module_consts: dict[str, dict[str, object]] = field(default_factory=dict)
    module_globals: dict[str, Env] = field(default_factory=dict)
    errors: list[tuple[str, str]] = field(default_factory=list)
    failures: list[tuple[str, int, str]] = field(default_factory=list)
    called_names: frozenset[str] | None = None
    sink_kinds: frozenset[str] = frozenset()
    module_calls: dict[str, tuple[frozenset[str], frozenset[str]]] = field(default_factory=dict)
    function_calls: dict[str, frozenset[str]] = field(default_factory=dict)
    # Incremental runs: only the roots and module bodies of the modules at these paths are
    # analysed (None: every module); `known` are the units of the other modules that an
    # earlier run analysed, whose results stand. A unit is a function's qualified name or
    # `<module name>.<module>` for a module body.
    only: frozenset[str] | None = None
    known: frozenset[str] = frozenset()
    asked_before: frozenset[str] = frozenset()
    # Answers of `is_called` known without reading every module (from an earlier run).
    called_before: dict[str, bool] = field(default_factory=dict)
    uses: dict[str, set[str]] = field(default_factory=dict)
    unit_paths: dict[str, str] = field(default_factory=dict)
    queried: set[str] = field(default_factory=set)
    missed: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.queried.update(self.asked_before)
        self.idx = _build_indexes(self.spec)
        self.sink_kinds = frozenset(sink.kind for sink in self.spec.sinks)

    def run(self) -> list[Flow]:
        """Analyse the functions that can see attacker data: those that mention a source or
        are routes (roots), what they call (on demand, through summaries), and the callers of
        functions that return attacker data. Code no attacker data reaches is not visited."""
        functions = self.project.functions
        triggers = _triggers(self.spec)
        owners = _class_owners(self.spec)
        # A function can mention a trigger word only if its module does.
        can_mention = {m.path: any(word in m.text for word in triggers)
                       and _mentions(triggers, m.text)
                       for m in self.project.modules if self._mine(m.path)}
        pending = [q for q, fn in functions.items()
                   if fn.module.path in can_mention
                   and (_is_root(fn, triggers, can_mention[fn.module.path]) or (
                       owners and fn.cls is not None
                       and owners & set(self.external_bases(fn.cls))))]
        returners: set[str] = set()
        by_module: dict[str, list[str]] = {}
        for qual, fn in functions.items():
            by_module.setdefault(fn.module.path, []).append(qual)
        while pending:
            for qual in pending:
                self.summary(qual)
                self._drain()
            pending = []
            for qual, summary in list(self.summaries.items()):
                if qual in returners or not any(lab.origin.startswith("src:")
                                                for lab in summary.ret):
                    continue
                returners.add(qual)
                for caller in self._callers_of(qual.rpartition(".")[2], by_module):
                    if caller in self.summaries:
                        continue
                    if self._mine(functions[caller].module.path):
                        pending.append(caller)
                    elif caller not in self.known:
                        # The earlier run did not analyse it: its module's results are stale.
                        self.missed.add(caller)
        for module in self.project.modules:
            if can_mention.get(module.path):
                self._analyse_module(module)
        out: list[Flow] = []
        for unit, flows in self.flows.items():
            if self._mine(self.unit_paths[unit]):
                out.extend(flows)
        return out

    def results(self) -> tuple[ModuleResult, ...]:
        """What the run found, module by module, for the modules it analysed (all of them,
        or those of `only`)."""
        functions = self.project.functions
        units: dict[str, list[str]] = {}
        uses: dict[str, set[str]] = {}
        for unit, path in self.unit_paths.items():
            units.setdefault(path, []).append(unit)
            for callee in self.uses.get(unit, ()):
                other = functions[callee].module.path
                if other != path:
                    uses.setdefault(path, set()).add(other)
        notices: dict[str, list[str]] = {}
        for path, message in self.errors:
            notices.setdefault(path, []).append(message)
        failures: dict[str, list[tuple[int, str]]] = {}
        for path, line, message in self.failures:
            failures.setdefault(path, []).append((line, message))
        new_queries = self.queried - self.asked_before
        out = []
        for module in self.project.modules:
            path = module.path
            found = sorted(units.get(path, ()))
            if self._mine(path):
                asked = self.queried
                flows = tuple(f for u in found for f in self.flows[u])
            else:
                # Only what this run adds to the earlier results: units, uses, answers.
                asked = new_queries
                flows = ()
            called = frozenset(self._call_words(module)[1] & asked) if asked else frozenset()
            out.append(ModuleResult(
                path, flows, tuple(found), frozenset(uses.get(path, ())),
                tuple(notices.get(path, ())) if self._mine(path) else (),
                tuple(failures.get(path, ())) if self._mine(path) else (), called))
        return tuple(out)

    def constants(self, module: Module) -> dict[str, object]:
        """The module's names bound once, at the top level, to a constant."""
        found = self.module_consts.get(module.name)
        if found is None:
            found = _module_constants(module.tree)
            self.module_consts[module.name] = found
        return found

    def _mine(self, path: str) -> bool:
        return self.only is None or path in self.only

    def _callers_of(self, name: str, by_module: dict[str, list[str]]) -> list[str]:
        """The functions whose text calls something named `name`."""
        if _WORD.fullmatch(name):
            # The same answer as the search below, from each text's called words, found once
            # (`\bname\s*\(` matches a text exactly when `name` is one of its words that
            # `_ANY_CALL` finds).
            found: list[str] = []
            for module in self.project.modules:
                if name in self._module_calls(module):
                    found.extend(q for q in by_module.get(module.path, ())
                                  if name in self._function_calls(q))
            return found
        pattern = re.compile(rf"\b{re.escape(name)}\s*\(")
        out: list[str] = []
        for module in self.project.modules:
            if name not in module.text or not pattern.search(module.text):
                continue
            functions = self.project.functions
            out.extend(q for q in by_module.get(module.path, ())
                       if pattern.search(_text(functions[q])))
        return out

    def _module_calls(self, module: Module) -> frozenset[str]:
        return self._call_words(module)[0]

    def _call_words(self, module: Module) -> tuple[frozenset[str], frozenset[str]]:
        """The words of the module's text followed by `(`, and those of them that stand
        there at least once other than as the name of a `def` or `class`."""
        words = self.module_calls.get(module.path)
        if words is None:
            words = call_words(module.text)
            self.module_calls[module.path] = words
        return words

    def _function_calls(self, qual: str) -> frozenset[str]:
        words = self.function_calls.get(qual)
        if words is None:
            text = _text(self.project.functions[qual])
            words = frozenset((_ANY_CALL_ASCII if text.isascii() else _ANY_CALL).findall(text))
            self.function_calls[qual] = words
        return words

    def is_called(self, name: str) -> bool:
        """Whether any scanned module calls something named `name`."""
        self.queried.add(name)
        known = self.called_before.get(name)
        if known is not None:
            return known
        if self.called_names is None:
            names: set[str] = set()
            for module in self.project.modules:
                names.update(self._call_words(module)[1])
            self.called_names = frozenset(names)
        return name in self.called_names

    def _drain(self) -> None:
        while self.dirty:
            qual = self.dirty.pop()
            if self.visits.get(qual, 0) < MAX_VISITS:
                self._analyse(qual)

    def summary(self, qual: str) -> Summary:
        done = self.summaries.get(qual)
        if done is not None:
            return done
        if qual in self.in_progress or len(self.in_progress) > 40:
            return BOTTOM
        return self._analyse(qual)

    def _analyse(self, qual: str) -> Summary:
        fn = self.project.functions[qual]
        self.visits[qual] = self.visits.get(qual, 0) + 1
        self.in_progress.add(qual)
        try:
            analyser = _Analyser(self, fn.module, fn)
            try:
                analyser.run_function()
            except RecursionError:
                self.errors.append((fn.module.path, f"{qual}: too deeply nested to analyse"))
            except Exception as err:
                self.failures.append((fn.module.path, fn.line,
                                      f"{qual}: {type(err).__name__}: {err}"))
            new = Summary(_widen_labels(analyser.ret_labels()),
                          _widen_sinks(tuple(analyser.param_sinks.values())),
                          analyser.ret_type(), analyser.fields())
            self.flows[qual] = analyser.flows
            self.unit_paths[qual] = fn.module.path
        finally:
            self.in_progress.discard(qual)
        old = self.summaries.get(qual)
        self.summaries[qual] = new
        if old is not None and old != new:
            for caller in self.callers.get(qual, ()):
                if caller not in self.dirty:
                    self.dirty.append(caller)
        return new

    def _analyse_module(self, module: Module) -> None:
        analyser = _Analyser(self, module, None)
        try:
            analyser.run_module()
        except RecursionError:
            self.errors.append((module.path, "module body too deeply nested to analyse"))
        except Exception as err:
            self.failures.append((module.path, 1, f"<module>: {type(err).__name__}: {err}"))
        self.flows[f"{module.name}.<module>"] = analyser.flows
        self.unit_paths[f"{module.name}.<module>"] = module.path

    def field_update(self, cls: str, attr: str, value: Val) -> None:
        labels = frozenset(lab for lab in value.flat() if lab.origin.startswith("src:"))
        if not labels:
            return
        store = self.fields.setdefault(cls, {})
        old = store.get(attr, CLEAN)
        new = tv.join(old, tv.of(labels))
        if new.flat() != old.flat():
            store[attr] = new
            info = self.project.classes.get(cls)
            for name in info.methods if info else ():
                qual = f"{cls}.{name}"
                if qual in self.project.functions and qual not in self.dirty:
                    self.dirty.append(qual)

    def external_bases(self, cls: str) -> tuple[str, ...]:
        """The classes outside the project that `cls` derives from, directly or through
        project classes."""
        out: list[str] = []
        seen: set[str] = set()
        stack = [cls]
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            info = self.project.classes.get(current)
            if info is None:
                out.append(current)
                continue
            stack.extend(self.project.canonical(b) for b in info.bases)
        return tuple(b for b in out if b != cls)

    def globals_of(self, module: Module) -> Env:
        """The module's globals that hold an object of a known type, assigned once at the
        top level: `PARSER = etree.XMLParser(resolve_entities=True)`, `http =
        requests.Session()`, `repo = UserRepository()`. Their types, not their taint."""
        done = self.module_globals.get(module.name)
        if done is not None:
            return done
        out: Env = {}
        self.module_globals[module.name] = out
        analyser = _Analyser(self, module, None)
        for name, value in _single_calls(module.tree):
            callee = analyser.callee_name(value.func, {})
            if callee is None:
                continue
            canon = self.project.canonical(callee)
            if canon in self.project.classes:
                out[name] = Val(type=f"{canon}()")
                continue
            if canon in self.project.functions:
                continue
            try:
                typ = analyser.expr(value, {}).type
            except RecursionError:
                continue
            if typ:
                out[name] = Val(type=typ)
        return out


def _single_calls(tree: ast.Module) -> list[tuple[str, ast.Call]]:
    """Top-level `NAME = call(...)` of names assigned nowhere else at the top level."""
    calls: dict[str, ast.Call] = {}
    assigned: dict[str, int] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    assigned[target.id] = assigned.get(target.id, 0) + 1
                    if len(stmt.targets) == 1 and isinstance(stmt.value, ast.Call):
                        calls[target.id] = stmt.value
        elif isinstance(stmt, ast.AnnAssign | ast.AugAssign) and isinstance(stmt.target,
                                                                           ast.Name):
            assigned[stmt.target.id] = assigned.get(stmt.target.id, 0) + 2
    return [(k, v) for k, v in calls.items() if assigned.get(k) == 1]


def _triggers(spec: Spec) -> tuple[str, ...]:
    """Words whose presence in a function's text means it may read attacker data."""
    words = set(spec.request_names)
    owners = _class_owners(spec)
    source_names = {source.name for source in spec.sources}
    for source in spec.sources:
        owner, _, attr = source.name.replace("()", "").rpartition(".")
        if owner not in owners:
            if owner in source_names:
                # A method of a source object (`os.environ.get`): the object's name.
                words.add(owner.rpartition(".")[2])
            else:
                # A call source counts only where it is called: `input(`, not `input`.
                words.add(attr.removeprefix("*") + ("(" if source.call else ""))
    for type_name in spec.request_types:
        words.add(type_name.rpartition(".")[2])
    return tuple(sorted(w for w in words if w))


def _class_owners(spec: Spec) -> frozenset[str]:
    """Classes whose attributes are sources for their subclasses' methods
    (`http.server.BaseHTTPRequestHandler.path`): those methods are roots, and the attribute
    names (`path`) are no trigger words elsewhere."""
    out = set()
    for source in spec.sources:
        owner = source.name.replace("()", "").rpartition(".")[0]
        if owner.rpartition(".")[2][:1].isupper():
            out.add(owner)
    return frozenset(out)


def _text(fn: Function) -> str:
    lines = fn.module.lines
    return "\n".join(lines[fn.first_line - 1 : fn.last_line])


# Every word followed by `(` (definitions included), and what counts as one word. The
# possessive quantifiers never give back what they matched: a word not followed by `(` fails
# at once instead of being retried shorter, letter by letter.
_ANY_CALL = re.compile(r"\b(\w++)\s*+\(")
# The same for a text that is all ASCII, where the ASCII-only engine gives the same matches
# three times faster (`\s` spelt out: Unicode counts four ASCII control characters in it).
_SPACE = r"[ \t\n\r\f\v\x1c-\x1f]"
_ANY_CALL_ASCII = re.compile(rf"\b(\w++){_SPACE}*+\(", re.ASCII)
# A word followed by `(` where it is being defined (`def view(request, slug):`).
_DEFINED = re.compile(r"(?:def|class) (\w++)\s*+\(")
_DEFINED_ASCII = re.compile(rf"(?:def|class) (\w++){_SPACE}*+\(", re.ASCII)
_WORD = re.compile(r"\w+")


def call_words(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """The words followed by `(` in `text`, and those followed by `(` at least once where
    they are not being defined (a name that is only ever defined is not called)."""
    ascii = text.isascii()
    found = (_ANY_CALL_ASCII if ascii else _ANY_CALL).findall(text)
    words = frozenset(found)
    defined = (_DEFINED_ASCII if ascii else _DEFINED).findall(text) \
        if "def " in text or "class " in text else []
    if not defined:
        return words, words
    uses = Counter(found)
    definitions = Counter(defined)
    return words, frozenset(w for w in words if uses[w] > definitions[w])


def _is_root(fn: Function, triggers: tuple[str, ...], may_mention: bool = True) -> bool:
    if fn.routed:
        return True
    if not may_mention:
        return False
    text = _text(fn)
    return any(word in text for word in triggers) and _mentions(triggers, text)


@cache
def _mentions(triggers: tuple[str, ...], text: str) -> bool:
    """Whether `text` holds a trigger word as a whole word (`input`, not `inputs`)."""
    return _mention_pattern(triggers, text.isascii()).search(text) is not None


@cache
def _mention_pattern(triggers: tuple[str, ...], ascii: bool) -> re.Pattern[str]:
    words = [re.escape(w) if w.endswith("(") else re.escape(w) + r"(?!\w)" for w in triggers]
    return re.compile(r"\b(?:" + "|".join(words) + ")", re.ASCII if ascii else 0)


def _module_constants(tree: ast.Module) -> dict[str, object]:
    consts: dict[str, object] = {}
    assigned: dict[str, int] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    assigned[target.id] = assigned.get(target.id, 0) + 1
                    if isinstance(stmt.value, ast.Constant):
                        consts[target.id] = stmt.value.value
        elif isinstance(stmt, ast.AnnAssign | ast.AugAssign) and isinstance(stmt.target,
                                                                           ast.Name):
            assigned[stmt.target.id] = assigned.get(stmt.target.id, 0) + 2
    return {k: v for k, v in consts.items() if assigned.get(k) == 1}


Env = dict[str, Val]


class _Analyser:
    """Analyses one function body (or a module body) once."""

    def __init__(self, engine: Engine, module: Module, fn: Function | None) -> None:
        self.engine = engine
        self.idx = engine.idx
        self.module = module
        self.fn = fn
        self.flows: list[Flow] = []
        self.param_sinks: dict[ParamSink, ParamSink] = {}
        self.returns: list[Val] = []
        self.loop_exits: list[list[Env]] = []
        self.local_defs: dict[str, str] = {}
        self.consts = engine.constants(module)
        self.unit = fn.qualname if fn is not None else f"{module.name}.<module>"
        self.self_name: str | None = None
        self._seen_flows: set[tuple[int, int, str, str]] = set()
        self.html_view = False
        self.fixed_path: str | None = None
        self.dotted: set[str] = set()
        self.exits: list[Env] = []
        self.self_escapes = False

    # -- entry points -------------------------------------------------------------------------

    def run_function(self) -> None:
        fn = self.fn
        assert fn is not None
        env: Env = dict(self.engine.globals_of(self.module))
        spec = self.engine.spec
        routes: RouteParams = route_params(fn, spec.request_names, spec.request_types,
                                           self.engine.is_called)
        for i, name in enumerate(fn.params):
            labels: set[Label] = {Label(f"param:{i}", what=f"parameter `{name}`")}
            if name in routes.tainted:
                loc = self._loc_of_param(name)
                what = routes.tainted[name]
                conf = Confidence.HIGH if "route" in what or "request" in what else \
                    Confidence.MEDIUM
                labels.add(Label(f"src:{what}@{loc.line}", confidence=conf,
                                 trace=(Step(loc, f"source: {what}"),), what=what))
            env[name] = Val(frozenset(labels), request=name in routes.request)
        self.html_view = routes.route is not None and _imports_flask(self.module)
        if routes.route is not None and "<" not in routes.route and "{" not in routes.route \
                and _route_count(fn) == 1:
            # The one path this view answers: routing chose it, the client cannot change it.
            self.fixed_path = routes.route
        if fn.cls is not None and fn.params and fn.params[0] in ("self", "cls"):
            self.self_name = fn.params[0]
            env[self.self_name] = Val(env[self.self_name].labels, type=f"{fn.cls}()")
        out = self.block(fn.node.body, env)
        if out is not None:
            self.exits.append(out)

    def run_module(self) -> None:
        self.block(self.module.tree.body, {})

    def ret_labels(self) -> Labels:
        return tv.union(self.returns)

    def ret_type(self) -> str | None:
        types = {v.type for v in self.returns}
        return types.pop() if len(types) == 1 else None

    def fields(self) -> tuple[tuple[str, Labels], ...]:
        """The attributes `__init__` leaves on `self`; none when `self` escapes to other code
        (a method call, `super()`, an argument) that may set them too."""
        if self.fn is None or self.fn.node.name != "__init__" or self.self_name is None or \
                self.self_escapes or not self.exits:
            return ()
        prefix = self.self_name + "."
        out: dict[str, Labels] = {}
        for env in self.exits:
            for key, val in env.items():
                if key.startswith(prefix) and "." not in key[len(prefix):]:
                    attr = key[len(prefix):]
                    out[attr] = out.get(attr, EMPTY) | val.flat()
        return tuple(sorted(out.items()))

    # -- locations ----------------------------------------------------------------------------

    def loc(self, node: ast.AST) -> Location:
        line = getattr(node, "lineno", 1)
        end_line = getattr(node, "end_lineno", None) or line
        col = self.module.column(line, getattr(node, "col_offset", 0))
        end_col = self.module.column(end_line, getattr(node, "end_col_offset", None) or 0)
        return Location(self.module.path, line, col, end_line, end_col)

    def _loc_of_param(self, name: str) -> Location:
        assert self.fn is not None
        a = self.fn.node.args
        for p in (*a.posonlyargs, *a.args, *a.kwonlyargs):
            if p.arg == name:
                return self.loc(p)
        return self.loc(self.fn.node)

    # -- statements ---------------------------------------------------------------------------

    def block(self, body: Iterable[ast.stmt], env: Env | None) -> Env | None:
        for stmt in body:
            if env is None:
                return None
            env = self.stmt(stmt, env)
        return env

    def stmt(self, node: ast.stmt, env: Env) -> Env | None:
        if isinstance(node, ast.Expr):
            value = node.value
            self.expr(value, env)
            if isinstance(value, ast.Call) and self._is_abort(value):
                return None
            return env
        if isinstance(node, ast.Assign):
            val = self.expr(node.value, env)
            for target in node.targets:
                self.assign(target, val, env, node.value)
            return env
        if isinstance(node, ast.AnnAssign):
            if node.value is not None:
                self.assign(node.target, self.expr(node.value, env), env, node.value)
            return env
        if isinstance(node, ast.AugAssign):
            current = self.expr(node.target, env)
            val = self.expr(node.value, env)
            folded = _fold_binop(node.op, current.const, val.const)
            self.assign(node.target,
                        Val(current.flat() | val.flat(), const=folded, type=current.type),
                        env, None)
            return env
        if isinstance(node, ast.Return):
            self.exits.append(env)
            if node.value is not None:
                val = self.expr(node.value, env)
                self.returns.append(val)
                if self.html_view:
                    body = val.items[0] if val.items else val
                    # A dict or list is sent as JSON, not HTML.
                    if body.type is None and body.entries is None and body.items is None:
                        self.report(VIEW_RETURN, "a Flask view's return value", body, node)
            return None
        if isinstance(node, ast.Raise):
            if node.exc is not None:
                self.expr(node.exc, env)
            return None
        if isinstance(node, ast.If):
            return self.if_stmt(node, env)
        if isinstance(node, ast.For | ast.AsyncFor):
            return self.for_stmt(node, env)
        if isinstance(node, ast.While):
            return self.while_stmt(node, env)
        if isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                val = self.expr(item.context_expr, env)
                if item.optional_vars is not None:
                    self.assign(item.optional_vars, val, env, item.context_expr)
            return self.block(node.body, env)
        if isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
            return self.try_stmt(node, env)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if self.fn is not None:
                self.local_defs[node.name] = f"{self.fn.qualname}.<locals>.{node.name}"
            for dec in node.decorator_list:
                self.expr(dec, env)
            env.pop(node.name, None)
            return env
        if isinstance(node, ast.ClassDef):
            env.pop(node.name, None)
            return env
        if isinstance(node, ast.Break | ast.Continue):
            if self.loop_exits:
                self.loop_exits[-1].append(dict(env))
            return None
        if isinstance(node, ast.Delete):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    env.pop(target.id, None)
            return env
        if isinstance(node, ast.Match):
            subject = self.expr(node.subject, env)
            if subject.const is not NOCONST:
                for case in node.cases:
                    verdict = _case_matches(case, subject.const)
                    if verdict is None:
                        break
                    if verdict:
                        return self.block(case.body, env)
                else:
                    return env
            outs: list[Env | None] = []
            for case in node.cases:
                branch = dict(env)
                for name in _pattern_names(case.pattern):
                    branch[name] = tv.of(subject.flat())
                outs.append(self.block(case.body, branch))
            outs.append(env)
            return _join_envs(outs)
        if isinstance(node, ast.Assert):
            self.expr(node.test, env)
            return self._guarded(node.test, env, positive=True)
        return env

    def if_stmt(self, node: ast.If, env: Env) -> Env | None:
        test = self.expr(node.test, env)
        truth = _truth(test.const)
        if truth is True:
            return self.block(node.body, env)
        if truth is False:
            return self.block(node.orelse, env)
        then_env = self._guarded(node.test, dict(env), positive=True)
        else_env = self._guarded(node.test, dict(env), positive=False)
        out_then = self.block(node.body, then_env)
        out_else = self.block(node.orelse, else_env) if node.orelse else else_env
        return _join_envs([out_then, out_else])

    def for_stmt(self, node: ast.For | ast.AsyncFor, env: Env) -> Env | None:
        iterable = self.expr(node.iter, env)
        element = tv.of(iterable.flat())
        entry = dict(env)
        current: Env = dict(env)
        exits: list[Env | None] = [entry]
        self.loop_exits.append([])
        for _ in range(MAX_LOOP_ROUNDS):
            body_env = dict(current)
            self.assign(node.target, element, body_env, None)
            out = self.block(node.body, body_env)
            merged = _join_envs([current, out, *self.loop_exits[-1]])
            if merged is None or merged == current:
                break
            current = merged
        exits.extend(self.loop_exits.pop())
        exits.append(current)
        result = _join_envs(exits)
        if node.orelse and result is not None:
            result = self.block(node.orelse, result)
        return result

    def while_stmt(self, node: ast.While, env: Env) -> Env | None:
        test = self.expr(node.test, env)
        if _truth(test.const) is False:
            return self.block(node.orelse, env)
        infinite = _truth(test.const) is True
        current: Env = dict(env)
        self.loop_exits.append([])
        for _ in range(MAX_LOOP_ROUNDS):
            out = self.block(node.body, dict(current))
            merged = _join_envs([current, out])
            if merged is None or merged == current:
                break
            current = merged
        breaks = self.loop_exits.pop()
        if infinite:
            return _join_envs(list(breaks)) if breaks else None
        result = _join_envs([current, *breaks])
        if node.orelse and result is not None:
            result = self.block(node.orelse, result)
        return result

    def try_stmt(self, node: ast.stmt, env: Env) -> Env | None:
        body: list[ast.stmt] = getattr(node, "body", [])
        handlers: list[ast.ExceptHandler] = getattr(node, "handlers", [])
        orelse: list[ast.stmt] = getattr(node, "orelse", [])
        final: list[ast.stmt] = getattr(node, "finalbody", [])
        start = dict(env)
        after_body = self.block(body, env)
        handler_start = _join_envs([start, after_body]) or start
        outs: list[Env | None] = []
        for handler in handlers:
            henv = dict(handler_start)
            if handler.name:
                henv[handler.name] = CLEAN
            outs.append(self.block(handler.body, henv))
        outs.append(self.block(orelse, after_body) if after_body is not None else None)
        result = _join_envs(outs)
        if final:
            if result is None:
                self.block(final, dict(handler_start))
                return None
            result = self.block(final, result)
        return result

    def _guarded(self, test: ast.expr, env: Env, positive: bool) -> Env:
        """Refine `env` for the branch where `test` is `positive`: a passed validation of a
        variable sanitizes it there."""
        atoms = _holding(test, positive)
        for atom, holds in atoms:
            found = self._validated(atom, env) if holds else _rejected(atom)
            for name, kinds in found:
                if name in env:
                    env[name] = tv.clear(env[name], kinds)
        for name in _quoted_literals(atoms):
            if name in env:
                env[name] = tv.clear(env[name], frozenset({"code"}))
        for name in _site_paths(atoms):
            if name in env:
                env[name] = tv.clear(env[name], HOST_BOUND_KINDS)
        return env

    def _validated(self, test: ast.expr, env: Env) -> list[tuple[str, frozenset[str]]]:
        out: list[tuple[str, frozenset[str]]] = []
        if isinstance(test, ast.Name):
            val = env.get(test.id)
            if val is not None and val.guard is not None:
                out.append(val.guard)
            return out
        if isinstance(test, ast.Compare) and len(test.ops) == 1:
            op = test.ops[0]
            left, right = test.left, test.comparators[0]
            if isinstance(op, ast.In) and isinstance(right, ast.Attribute) and \
                    right.attr == "parents" and isinstance(right.value, ast.Name):
                # `BASE in target.parents`: `target` lies inside BASE.
                out.append((right.value.id, frozenset({"path"})))
            elif isinstance(op, ast.In) and isinstance(left, ast.Name):
                out.append((left.id, frozenset({ALL_KINDS})))
                out.extend(_host_checked(env.get(left.id)))
            elif isinstance(op, ast.In | ast.Eq) and isinstance(left, ast.Attribute) and \
                    left.attr in URL_HOST_PARTS and isinstance(left.value, ast.Name):
                parsed = env.get(left.value.id)
                if parsed is not None and parsed.parsed_from:
                    out.append((parsed.parsed_from, PREFIX_KINDS))
                    out.append((left.value.id, PREFIX_KINDS))
            elif isinstance(op, ast.Eq | ast.Is):
                for a, b in ((left, right), (right, left)):
                    if isinstance(a, ast.Name) and isinstance(b, ast.Constant):
                        out.append((a.id, frozenset({ALL_KINDS})))
                        out.extend(_host_checked(env.get(a.id)))
                    elif isinstance(a, ast.Call):
                        out.extend(self._validated(a, env))
            elif isinstance(op, ast.IsNot | ast.NotEq) and isinstance(left, ast.Call):
                out.extend(self._validated(left, env))
            return out
        if isinstance(test, ast.Call):
            name = self.callee_name(test.func, env)
            if name in ("isinstance", "builtins.isinstance"):
                return _type_check(test, self.module)
            method = test.func.attr if isinstance(test.func, ast.Attribute) else None
            kinds = self._validation_kinds(test, name, method)
            if kinds is None:
                return out
            candidates: list[ast.expr] = [*test.args, *(k.value for k in test.keywords)]
            if isinstance(test.func, ast.Attribute):
                candidates.append(test.func.value)
            for cand in candidates:
                for name_node in _names_in(cand):
                    out.append((name_node, kinds))
        return out

    def _is_abort(self, call: ast.Call) -> bool:
        name = self.module.qualname(call.func)
        return name in ABORTS

    # -- assignment ---------------------------------------------------------------------------

    def assign(self, target: ast.expr, val: Val, env: Env, value_node: ast.expr | None) -> None:
        if isinstance(target, ast.Name):
            env[target.id] = val
            if target.id in self.dotted:
                prefix = target.id + "."
                for stale in [k for k in env if k.startswith(prefix)]:
                    del env[stale]
        elif isinstance(target, ast.Tuple | ast.List):
            elts = target.elts
            starred = any(isinstance(e, ast.Starred) for e in elts)
            if val.items is not None and len(val.items) == len(elts) and not starred:
                for elt, item in zip(elts, val.items, strict=True):
                    self.assign(elt, item, env, None)
            else:
                flat = tv.of(val.flat())
                for elt in elts:
                    self.assign(elt.value if isinstance(elt, ast.Starred) else elt, flat, env,
                                None)
        elif isinstance(target, ast.Attribute):
            path = _path(target)
            if path is not None:
                env[path] = val
                self.dotted.add(path.partition(".")[0])
            base = target.value
            if (isinstance(base, ast.Name) and base.id == self.self_name and self.fn
                    and self.fn.cls):
                self.engine.field_update(self.fn.cls, target.attr, val)
            elif isinstance(base, ast.Name) and base.id in env:
                # The object itself changes too, for the methods called on it later.
                current = env[base.id]
                if current.entries is not None:
                    entries = dict(current.entries)
                    entries[target.attr] = val
                    env[base.id] = replace(current, entries=tuple(entries.items()))
                elif val.tainted:
                    env[base.id] = tv.join(current, tv.of(val.flat()))
            self._setitem_sink(target, None, val, env)
        elif isinstance(target, ast.Subscript):
            key = self.expr(target.slice, env)
            self._setitem_sink(target.value, target, val, env)
            base_path = _path(target.value)
            if base_path is None:
                return
            current = env.get(base_path, CLEAN)
            if base_path not in env and isinstance(target.value, ast.Name):
                # An imported object (`flask.session`) stays itself once it holds entries.
                outer = self.module.qualname(target.value)
                if outer:
                    current = Val(type=outer)
            if key.const is not NOCONST and _hashable(key.const):
                entries = dict(current.entries or ())
                if current.items is not None and isinstance(key.const, int):
                    items = list(current.items)
                    if -len(items) <= key.const < len(items):
                        items[key.const] = val
                        env[base_path] = replace(current, items=tuple(items))
                        return
                entries[key.const] = val
                env[base_path] = Val(current.labels, entries=tuple(entries.items()),
                                     type=current.type)
            else:
                env[base_path] = tv.join(current, tv.of(val.flat() | key.flat()))
        elif isinstance(target, ast.Starred):
            self.assign(target.value, val, env, value_node)

    def _setitem_sink(self, container: ast.expr, subscript: ast.Subscript | None, val: Val,
                      env: Env) -> None:
        """`response.headers[name] = value`, `session['user'] = value`: a sink through
        item assignment, modelled as `__setitem__`."""
        if subscript is None:
            return
        name = self.callee_name(container, env)
        tail = container.attr if isinstance(container, ast.Attribute) else None
        if name is None and tail is None:
            return
        # `resp.headers[k] = v` on a parameter `resp` of unknown type: `*.headers.__setitem__`.
        names = [f"{name or '*.' + (tail or '')}.__setitem__"]
        sinks = list(self.idx.sinks.get(names[0], ())) if name else []
        if tail is not None:
            sinks.extend(self.idx.method_sinks.get(f"{tail}.__setitem__", ()))
        for sink in sinks:
            key = self.expr(subscript.slice, env)
            args = [key, val]
            for pos in sink.args:
                if pos < len(args):
                    self.report(sink, names[0], args[pos], subscript)

    # -- expressions --------------------------------------------------------------------------

    def expr(self, node: ast.expr, env: Env) -> Val:
        if isinstance(node, ast.Constant):
            return Val(const=node.value)
        if isinstance(node, ast.Name):
            if node.id in env:
                return env[node.id]
            if node.id in self.consts:
                return Val(const=self.consts[node.id])
            return self._name_source(node)
        if isinstance(node, ast.Attribute):
            return self.attribute(node, env)
        if isinstance(node, ast.Call):
            return self.call(node, env)
        if isinstance(node, ast.JoinedStr):
            parts = [self.expr(v, env) for v in node.values]
            labels = tv.union(parts)
            if _origin_fixed(_const_prefix(node.values, parts)) or (parts and parts[0].site):
                return Val(tv.clear(tv.of(labels), ORIGIN_KINDS).labels, site=True)
            return tv.of(labels)
        if isinstance(node, ast.FormattedValue):
            inner = self.expr(node.value, env)
            if node.format_spec is not None:
                self.expr(node.format_spec, env)
            return Val(inner.flat(), site=inner.site and node.conversion == -1)
        if isinstance(node, ast.BinOp):
            left = self.expr(node.left, env)
            right = self.expr(node.right, env)
            const = _fold_binop(node.op, left.const, right.const)
            if isinstance(node.op, ast.Add) and left.items is not None and \
                    right.items is not None:
                return Val(left.labels | right.labels, items=left.items + right.items)
            if isinstance(node.op, ast.Add | ast.Mod) and (left.site or (
                    isinstance(left.const, str) and _origin_fixed(
                        left.const.partition("%")[0] if isinstance(node.op, ast.Mod)
                        else left.const))):
                # "https://api.example.com/" + user, reverse("view") + "?q=" + user: the user
                # chooses a path or a query, not a host.
                return Val(left.flat() | tv.clear(right, ORIGIN_KINDS).flat(), const=const,
                           site=True)
            if isinstance(node.op, ast.Add | ast.Mod) and left.type in MARKUP_TYPES:
                # Markup escapes what is added to it or formatted into it.
                escaped = tv.clear(right, frozenset({HTML_KIND}))
                return Val(left.flat() | escaped.flat(), type=left.type)
            type_ = left.type if isinstance(node.op, ast.Div) else None
            return Val(left.flat() | right.flat(), const=const, type=type_)
        if isinstance(node, ast.BoolOp):
            vals = [self.expr(v, env) for v in node.values]
            const = _fold_boolop(node.op, [v.const for v in vals])
            if const is not NOCONST:
                for v in vals:
                    if v.const is const:
                        return v
            return Val(tv.union(vals), const=const)
        if isinstance(node, ast.UnaryOp):
            operand = self.expr(node.operand, env)
            const = _fold_unary(node.op, operand.const)
            if isinstance(node.op, ast.Not):
                return Val(const=const)
            return Val(operand.flat(), const=const)
        if isinstance(node, ast.Compare):
            left = self.expr(node.left, env)
            rights = [self.expr(c, env) for c in node.comparators]
            const = _fold_compare(left.const, node.ops, [r.const for r in rights])
            return Val(const=const)
        if isinstance(node, ast.IfExp):
            test = self.expr(node.test, env)
            truth = _truth(test.const)
            if truth is True:
                return self.expr(node.body, env)
            if truth is False:
                return self.expr(node.orelse, env)
            return tv.join(self.expr(node.body, env), self.expr(node.orelse, env))
        if isinstance(node, ast.Subscript):
            return self.subscript(node, env)
        if isinstance(node, ast.List | ast.Tuple):
            if any(isinstance(e, ast.Starred) for e in node.elts):
                return tv.of(tv.union([self.expr(e, env) for e in node.elts]))
            return Val(items=tuple(self.expr(e, env) for e in node.elts))
        if isinstance(node, ast.Set):
            return tv.of(tv.union([self.expr(e, env) for e in node.elts]))
        if isinstance(node, ast.Dict):
            entries: dict[object, Val] = {}
            rest: set[Label] = set()
            for key_node, value_node in zip(node.keys, node.values, strict=True):
                val = self.expr(value_node, env)
                if key_node is None:
                    rest.update(val.flat())
                    continue
                key = self.expr(key_node, env)
                if key.const is not NOCONST and _hashable(key.const):
                    entries[key.const] = val
                else:
                    rest.update(val.flat() | key.flat())
            return Val(frozenset(rest), entries=tuple(entries.items()))
        if isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
            return self.comprehension(node, env)
        if isinstance(node, ast.Starred):
            return self.expr(node.value, env)
        if isinstance(node, ast.NamedExpr):
            val = self.expr(node.value, env)
            self.assign(node.target, val, env, node.value)
            return val
        if isinstance(node, ast.Await):
            return self.expr(node.value, env)
        if isinstance(node, ast.Yield | ast.YieldFrom):
            if node.value is not None:
                val = self.expr(node.value, env)
                self.returns.append(val)
            return CLEAN
        if isinstance(node, ast.Slice):
            parts = [self.expr(p, env) for p in (node.lower, node.upper, node.step) if p]
            return tv.of(tv.union(parts))
        if isinstance(node, ast.Lambda):
            return CLEAN
        return CLEAN

    def _name_source(self, node: ast.Name) -> Val:
        name = self.module.resolve(node.id)
        if name is None:
            return CLEAN
        return self._source_val(name, node, call=False) or CLEAN

    def comprehension(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp,
                      env: Env) -> Val:
        inner = dict(env)
        for gen in node.generators:
            it = self.expr(gen.iter, inner)
            self.assign(gen.target, tv.of(it.flat()), inner, None)
            for cond in gen.ifs:
                self.expr(cond, inner)
                inner = self._guarded(cond, inner, positive=True)
        if isinstance(node, ast.DictComp):
            labels = self.expr(node.key, inner).flat() | self.expr(node.value, inner).flat()
        else:
            labels = self.expr(node.elt, inner).flat()
        return tv.of(labels)

    def subscript(self, node: ast.Subscript, env: Env) -> Val:
        if not _rooted_in_env(node.value, env):
            name = self.module.qualname(node.value)
            source = self.idx.sources.get(name or "")
            if source is not None and source.items:
                self.expr(node.slice, env)
                return self._source_val(source.name + ".item", node, call=False) or CLEAN
        base = self.expr(node.value, env)
        key = self.expr(node.slice, env)
        if key.const is not NOCONST and _hashable(key.const):
            if base.items is not None and isinstance(key.const, int) and \
                    -len(base.items) <= key.const < len(base.items):
                return base.items[key.const]
            entry = base.entry(key.const)
            if entry is not None:
                return entry
            if base.const is not NOCONST:
                folded = _fold_subscript(base.const, key.const)
                if folded is not NOCONST:
                    return Val(const=folded)
            if base.entries is not None:
                return tv.of(base.labels)
        if isinstance(node.slice, ast.Slice) and base.items is not None:
            return Val(base.labels, items=None) if not base.items else \
                tv.of(base.flat())
        return tv.of(base.flat())

    def attribute(self, node: ast.Attribute, env: Env) -> Val:
        path = _path(node)
        if path is not None and path in env:
            return env[path]
        name = self.module.qualname(node) if not _rooted_in_env(node, env) else None
        if name == "flask.request.path" and self.fixed_path is not None:
            return Val(const=self.fixed_path)
        if name is not None:
            source = self._source_val(name, node, call=False)
            if source is not None:
                return source
            if self._excluded(name):
                return CLEAN
        base = self.expr(node.value, env)
        if node.attr in URL_HOST_PARTS and base.parsed_from:
            # `urlparse(url).hostname`: checking it checks the host of `url`.
            return Val(base.flat(), parsed_from=base.parsed_from)
        if base.request:
            if node.attr in self.engine.spec.request_attributes:
                return self._request_source(node.attr, node, call=False)
            return CLEAN
        if isinstance(node.value, ast.Name) and node.value.id == self.self_name and self.fn \
                and self.fn.cls:
            for outer in self.engine.external_bases(self.fn.cls):
                # `self.path` in a `BaseHTTPRequestHandler` subclass: the base's source.
                inherited = self._source_val(f"{outer}.{node.attr}", node, call=False)
                if inherited is not None:
                    return inherited
            stored = self.engine.fields.get(self.fn.cls, {}).get(node.attr)
            labels = _attr_labels(base, node.attr) | (stored.flat() if stored else EMPTY)
            return tv.of(labels)
        entry = base.entry(node.attr)
        if entry is not None:
            return entry
        typ = f"{base.type}.{node.attr}" if base.type else None
        return tv.of(_attr_labels(base, node.attr), typ)

    def _request_source(self, attr: str, node: ast.AST, call: bool) -> Val:
        what = f"request.{attr}()" if call else f"request.{attr}"
        loc = self.loc(node)
        return tv.of(frozenset({Label(f"src:{what}@{loc.line}:{loc.column}",
                                      cleared=self._host_bound(attr),
                                      trace=(Step(loc, f"source: {what}"),), what=what)}))

    def _host_bound(self, attr: str) -> frozenset[str]:
        return HOST_BOUND_KINDS if attr in self.engine.spec.host_bound else frozenset()

    def _source_val(self, name: str, node: ast.AST, call: bool) -> Val | None:
        source = self._match_source(name, call)
        if source is None or (source.items and name != source.name + ".item"):
            return None
        loc = self.loc(node)
        what = source.label if source.label else name
        tail = name.removeprefix(source.name + ".").replace("()", "").partition(".")[0]
        cleared = self._host_bound(tail) if tail != name else frozenset()
        if source.only is not None:
            cleared = cleared | (self.engine.sink_kinds - source.only)
        label = Label(f"src:{name}@{loc.line}:{loc.column}", confidence=source.confidence,
                      cleared=cleared, trace=(Step(loc, f"source: {name}"),), what=what)
        return tv.of(frozenset({label}))

    def _excluded(self, name: str) -> bool:
        """Whether `name` is a part of a source that the source excludes
        (`flask.request.method`): clean, although what it belongs to is not."""
        bare = name.replace("()", "")
        candidate = bare
        while True:
            source = self.idx.sources.get(candidate)
            if source is not None:
                return any(bare == ex or bare.startswith(ex + ".") for ex in source.exclude)
            cut = candidate.rfind(".")
            if cut < 0:
                return False
            candidate = candidate[:cut]

    def _match_source(self, name: str, call: bool) -> Source | None:
        sources = self.idx.sources
        if not sources:
            return None
        bare = name.replace("()", "")
        candidate = bare
        while True:
            source = sources.get(candidate)
            if source is not None:
                if source.call and not call and candidate == bare:
                    return None
                if any(bare == ex or bare.startswith(ex + ".") for ex in source.exclude):
                    return None
                return source
            cut = candidate.rfind(".")
            if cut < 0:
                return None
            candidate = candidate[:cut]

    # -- calls --------------------------------------------------------------------------------

    def callee_name(self, func: ast.expr, env: Env) -> str | None:
        if isinstance(func, ast.Name):
            if func.id in env:
                return env[func.id].type
            if func.id in self.local_defs:
                return self.local_defs[func.id]
            return self.module.resolve(func.id)
        if isinstance(func, ast.Attribute):
            if _rooted_in_env(func, env):
                base = func.value
                if isinstance(base, ast.Name):
                    val = env.get(base.id)
                    if val is not None and val.type:
                        return f"{val.type}.{func.attr}"
                    return None
                inner = self.callee_name(base, env) if isinstance(base, ast.Attribute) else None
                if inner is None and isinstance(base, ast.Call):
                    called = self.callee_name(base.func, env)
                    inner = f"{called}()" if called else None
                return f"{inner}.{func.attr}" if inner else None
            return self.module.qualname(func)
        if isinstance(func, ast.Call):
            called = self.callee_name(func.func, env)
            return f"{called}()" if called else None
        return None

    def call(self, node: ast.Call, env: Env) -> Val:
        """The value of a call. What a sink returns no longer counts for that sink's kind:
        the flow was reported at the sink (`Markup(user)` once, not again where it is
        returned)."""
        armed: set[str] = set()
        val = self._call(node, env, armed)
        if armed and val.tainted:
            return tv.clear(val, frozenset(armed))
        return val

    def _call(self, node: ast.Call, env: Env, armed: set[str]) -> Val:
        func = node.func
        receiver: Val | None = None
        if isinstance(func, ast.Attribute):
            receiver = self.expr(func.value, env)
        elif not isinstance(func, ast.Name):
            self.expr(func, env)
        args = [self.expr(a, env) for a in node.args]
        kwargs = {k.arg: self.expr(k.value, env) for k in node.keywords if k.arg}
        splat = [self.expr(k.value, env) for k in node.keywords if k.arg is None]
        if self.self_name is not None and _lets_self_escape(node, self.self_name):
            self.self_escapes = True
        name = self.callee_name(func, env)
        if name in NAMED_CONSTRUCTORS and args and isinstance(args[0].const, str):
            # hashlib.new("md5", data) is named by its algorithm: hashlib.new:md5.
            name = f"{name}:{args[0].const.lower().replace('-', '_')}"
        if name and name.startswith("hashlib.") and any(
                k.arg == "usedforsecurity" and isinstance(k.value, ast.Constant)
                and k.value.value is False for k in node.keywords):
            name += ":not-for-security"
        method = func.attr if isinstance(func, ast.Attribute) else None
        if method and receiver is not None and receiver.type and \
                isinstance(func, ast.Attribute) and (name is None
                                                     or isinstance(func.value, ast.Call)):
            # `make_client().get(url)`, `Template(src).render(...)`, `(BASE / name).open()`:
            # what the receiver is says more than its spelling.
            name = f"{receiver.type}.{method}"
        if receiver is not None and receiver.request and method and \
                method in self.engine.spec.request_attributes:
            return self._request_source(method, node, call=True)
        # Sources (a method of a value known to be constant, such as the fixed path of a
        # route, reads nothing from the request).
        constant_receiver = receiver is not None and receiver.const is not NOCONST
        if name is not None and not constant_receiver:
            source = self._source_val(name + "()", node, call=True)
            if source is not None and not (receiver is not None and receiver.tainted
                                           and name.replace("()", "") not in self.idx.sources):
                return source
        if method and method in self.idx.method_sources and receiver is not None:
            src = self.idx.method_sources[method]
            loc = self.loc(node)
            return tv.of(frozenset({Label(f"src:{src.label}@{loc.line}:{loc.column}",
                                          confidence=src.confidence,
                                          trace=(Step(loc, f"source: {src.label}"),),
                                          what=src.label)}))
        # Sinks.
        sinks = list(self.idx.sinks.get(name, ())) if name else []
        if method:
            sinks.extend(self.idx.method_sinks.get(method, ()))
        for sink in sinks:
            if self.check_sink(sink, name or f"*.{method}", node, args, kwargs, receiver,
                               splat):
                armed.add(sink.kind)
        if method == "format" and receiver is not None and receiver.type in MARKUP_TYPES:
            escaped = tv.clear(tv.of(tv.union([*args, *kwargs.values(), *splat])),
                               frozenset({HTML_KIND}))
            return Val(receiver.flat() | escaped.labels, type=receiver.type)
        # Project functions (a sanitizer declared by name wins: its model is the contract).
        if name is not None and name not in self.idx.sanitizers:
            target = self._project_target(name, env, func)
            if target is not None:
                return self.apply_summary(target, node, args, kwargs, receiver, splat, env)
        if name in ("map", "builtins.map") and len(node.args) >= 2:
            mapped = self.callee_name(node.args[0], env)
            kinds = self.idx.sanitizers.get(mapped or "")
            if kinds is not None:
                return tv.clear(tv.of(tv.union(args[1:])), kinds)
        # Sanitizers.
        kinds = self.idx.sanitizers.get(name or "") if name else None
        if kinds is None and method:
            kinds = self.idx.method_sanitizers.get(method)
        result_type = f"{name}()" if name else None
        if receiver is not None and receiver.type in PATH_TYPES and method in PATH_SAME:
            result_type = receiver.type
        if kinds is not None:
            labels = tv.union([*args, *kwargs.values(), *splat])
            if receiver is not None and method:
                labels |= receiver.flat()
            val = tv.clear(tv.of(labels), kinds)
            guard = self._guard_of(node, name, method)
            # What a redirect sanitizer returns (`reverse()`, `url_for()`) is a place on this
            # site, and stays one whatever is appended.
            return Val(val.labels, type=result_type, guard=guard,
                       site=REDIRECT_KIND in kinds)
        guard = self._guard_of(node, name, method)
        if guard is not None:
            return Val(type=result_type, guard=guard)
        if method == "setFeature" and len(node.args) == 2 and isinstance(func, ast.Attribute):
            feature = self.module.qualname(node.args[0]) or ast.unparse(node.args[0])
            path = _path(func.value)
            if path is not None and feature.rpartition(".")[2] in EXTERNAL_ENTITY_FEATURES:
                enabled = _truth(args[1].const)
                current = receiver.type if receiver is not None else None
                base = (current or "xml.sax.make_parser()").removesuffix(XXE_MARK)
                env[path] = replace(receiver or CLEAN,
                                    type=base + XXE_MARK if enabled is not False else base)
            return CLEAN
        if name in JINJA_ESCAPING:
            # Jinja2 escapes nothing unless told to: mark the environments that do not.
            given = next((k.value for k in node.keywords if k.arg == "autoescape"), None)
            if given is None or (isinstance(given, ast.Constant) and not given.value):
                return Val(tv.union(args), type=f"{name}(){AUTOESCAPE_OFF}")
        if name == "lxml.etree.XMLParser":
            resolve = next((k.value for k in node.keywords if k.arg == "resolve_entities"), None)
            if isinstance(resolve, ast.Constant) and resolve.value is True:
                return Val(type=f"{name}(){XXE_MARK}")
        if name == "re.sub" and len(args) >= 3 and _drops_line_breaks(args[0].const,
                                                                      args[1].const):
            return tv.clear(tv.of(args[2].flat()), CRLF_KINDS)
        if name in URL_PARSERS and node.args and isinstance(node.args[0], ast.Name):
            return Val(tv.union(args), type=result_type, parsed_from=node.args[0].id)
        # Containers and other well-known methods.
        if receiver is not None and method and isinstance(func, ast.Attribute):
            handled = self.method_call(func, method, receiver, args, kwargs, env)
            if handled is not None:
                return handled
        if name in LOOKUP_FUNCTIONS or (method in LOOKUPS and receiver is not None
                                        and not receiver.request):
            # Looking a record up by an attacker's key returns stored data, not the key.
            labels = receiver.flat() if receiver is not None else EMPTY
            if method == "get" and receiver is not None and not labels and len(args) > 1:
                labels = args[1].flat()  # dict.get(key, default)
            return tv.of(labels, f"{name}()" if name else None)
        if name in ("dict", "builtins.dict") and not args:
            return Val(tv.union(splat), entries=tuple(kwargs.items()))
        if name in ("list", "tuple", "builtins.list", "builtins.tuple") and len(args) == 1:
            only = args[0]
            return Val(only.labels, items=only.items) if only.items is not None else \
                tv.of(only.flat())
        if name in ("str", "repr", "format", "ascii", "bytes") and args and \
                args[0].const is not NOCONST:
            return Val(const=NOCONST)
        # Anything else propagates what flows into it.
        labels = tv.union([*args, *kwargs.values(), *splat])
        if receiver is not None:
            labels |= receiver.flat()
        if method in CLEAN_RESULT_METHODS:
            labels = receiver.flat() if receiver is not None and method not in (
                "execute", "executemany", "executescript") else EMPTY
        return tv.of(labels, result_type)

    def _predicate_kinds(self, name: str | None, pattern: str | None) -> frozenset[str] | None:
        """The kinds a catalog predicate (`url_has_allowed_host_and_scheme`) proves safe."""
        validators = self.idx.validators
        if name is not None and name in validators:
            return validators[name]
        if pattern is not None and pattern in validators:
            return validators[pattern]
        return None

    def _validation_kinds(self, call: ast.Call, name: str | None,
                          method: str | None) -> frozenset[str] | None:
        """The sink kinds a passed check by this call makes its argument safe for, or None
        when the call checks nothing."""
        pattern = f"*.{method}" if method else None
        if name in VALIDATORS or pattern in VALIDATORS:
            return frozenset({ALL_KINDS})
        if name in PREFIX_CHECKS or pattern in PREFIX_CHECKS:
            return _prefix_kinds(call)
        return self._predicate_kinds(name, pattern)

    def _guard_of(self, node: ast.Call, name: str | None,
                  method: str | None) -> tuple[str, frozenset[str]] | None:
        kinds = self._validation_kinds(node, name, method)
        if kinds is None:
            return None
        for arg in [*node.args, *( [node.func.value] if isinstance(node.func, ast.Attribute)
                                   else [])]:
            names = _names_in(arg)
            if names:
                return (names[0], kinds)
        return None

    def method_call(self, func: ast.Attribute, method: str, receiver: Val, args: list[Val],
                    kwargs: dict[str, Val], env: Env) -> Val | None:
        path = _path(func.value)
        if isinstance(receiver.const, str) and method in PURE_STR_METHODS and not kwargs and \
                all(isinstance(a.const, str | int) for a in args):
            folded = _fold_str_method(receiver.const, method, [a.const for a in args])
            if folded is not None:
                return folded
        if method == "get" and len(args) >= 2 and receiver.entries is not None and \
                all(a.const is not NOCONST and _hashable(a.const) for a in args):
            entry = receiver.entry(tuple(a.const for a in args))
            if entry is not None:
                return entry
        if method == "get" and args:
            key = args[0].const
            if key is not NOCONST and _hashable(key) and receiver.entries is not None:
                entry = receiver.entry(key)
                if entry is not None:
                    return entry
                default = args[1] if len(args) > 1 else CLEAN
                return tv.join(tv.of(receiver.labels), default)
        if method == "set" and len(args) >= 2 and path is not None and \
                all(a.const is not NOCONST and _hashable(a.const) for a in args[:-1]):
            key = tuple(a.const for a in args[:-1])
            entries = dict(receiver.entries or ())
            entries[key] = args[-1]
            env[path] = Val(receiver.labels, entries=tuple(entries.items()), type=receiver.type)
            return CLEAN
        if method == "append" and path is not None and len(args) == 1:
            if receiver.items is not None:
                env[path] = replace(receiver, items=(*receiver.items, args[0]))
            else:
                env[path] = Val(receiver.flat() | args[0].flat(), type=receiver.type)
            return CLEAN
        if method == "pop" and receiver.items is not None and path is not None:
            items = list(receiver.items)
            if not items:
                return tv.of(receiver.labels)
            pos = args[0].const if args else -1
            if isinstance(pos, int) and -len(items) <= pos < len(items):
                item = items.pop(pos)
                env[path] = replace(receiver, items=tuple(items))
                return item
            return tv.of(receiver.flat())
        if method == "pop" and receiver.entries is not None and args and path is not None:
            key = args[0].const
            entry = receiver.entry(key) if _hashable(key) else None
            if entry is not None:
                env[path] = replace(receiver, entries=tuple(
                    (k, v) for k, v in receiver.entries if k != key))
                return entry
        if method == "keys" and receiver.entries is not None:
            return tv.of(receiver.labels)
        if method == "copy":
            return receiver
        if method in MUTATING and path is not None:
            added = tv.union([*args, *kwargs.values()])
            if method == "update" and args and args[0].entries is not None and \
                    receiver.entries is not None:
                entries = dict(receiver.entries)
                entries.update(dict(args[0].entries))
                env[path] = Val(receiver.labels | args[0].labels, entries=tuple(entries.items()),
                                type=receiver.type)
                return CLEAN
            if added:
                env[path] = Val(receiver.flat() | added, type=receiver.type)
            return CLEAN
        if method == "replace" and len(args) >= 2 and args[0].const in LINE_BREAKS and \
                isinstance(args[1].const, str | bytes) and not _has_break(args[1].const):
            # `text.replace("\n", "")`: no line can be forged any more (`\r` alone ends none).
            return tv.clear(tv.of(receiver.flat()), CRLF_KINDS)
        if method == "format" and isinstance(receiver.const, str) and (
                _origin_fixed(receiver.const.partition("{")[0]) or (
                    receiver.const.startswith(("{}", "{0}")) and args and args[0].site)):
            labels = tv.union([*args, *kwargs.values()])
            return Val(tv.clear(tv.of(labels), ORIGIN_KINDS).labels, site=True)
        if method == "replace" and len(args) >= 2 and args[0].const in QUOTES and \
                isinstance(args[1].const, str) and args[0].const not in args[1].const:
            # A value with its quote character replaced cannot close a quoted XPath literal.
            return tv.clear(tv.of(receiver.flat()), frozenset({"xpath"}))
        if method == "join" and len(args) == 1:
            # `sep.join(parts)`; `os.path.join(a, b, ...)` takes every argument.
            return tv.of(receiver.flat() | args[0].flat())
        return None

    def check_sink(self, sink: Sink, name: str, node: ast.Call, args: list[Val],
                   kwargs: dict[str, Val], receiver: Val | None,
                   splat: list[Val]) -> bool:
        """Report what reaches the sink; False when its conditions leave it disarmed."""
        keywords = {k.arg: k.value for k in node.keywords if k.arg}
        if sink.when_arg_type is not None:
            pos, keyword, marker = sink.when_arg_type
            chosen = args[pos] if pos < len(args) else kwargs.get(keyword)
            if chosen is None or not (chosen.type or "").endswith(marker):
                return False
        if sink.content_type and not _html_response(sink, kwargs):
            return False
        if sink.when_keyword is not None:
            flag = keywords.get(sink.when_keyword)
            if flag is None or (isinstance(flag, ast.Constant) and not flag.value):
                return False
        for key, safe_values in sink.unless_keyword:
            given = keywords.get(key)
            if given is None:
                if key == "Loader" and len(node.args) > 1:
                    given = node.args[1]
                else:
                    continue
            text = ast.unparse(given)
            if text in safe_values or text.rpartition(".")[2] in safe_values:
                return False
        candidates: list[Val] = []
        escaped = _repr_positions(node, sink) if sink.kind == "log" else frozenset()
        for pos in sink.args:
            if pos in escaped:
                continue
            if pos < len(node.args) and not any(isinstance(a, ast.Starred)
                                                for a in node.args[: pos + 1]):
                candidates.append(args[pos])
            elif any(isinstance(a, ast.Starred) for a in node.args):
                candidates.extend(args)
        for kw in sink.keywords:
            if kw in kwargs:
                candidates.append(kwargs[kw])
            elif kw == ANY_KEYWORD:
                candidates.extend(v for k, v in kwargs.items() if k is not None)
        if splat and sink.keywords:
            candidates.extend(splat)
        if sink.receiver and receiver is not None:
            candidates.append(receiver)
        for val in candidates:
            if sink.program and val.items is not None:
                val = _program_part(val)
            self.report(sink, name, val, node)
        return True

    def _param_sink(self, found: ParamSink) -> None:
        """Record that a parameter reaches a sink: once per parameter, kind, protection and
        sink, with the shortest trace, bounded like a label's."""
        trace = found.trace
        if len(trace) > tv.MAX_TRACE:
            trace = trace[:2] + trace[-(tv.MAX_TRACE - 2):]
            found = replace(found, trace=trace)
        known = self.param_sinks.get(found)
        if known is None or len(known.trace) > len(found.trace):
            self.param_sinks.pop(found, None)
            self.param_sinks[found] = found

    def report(self, sink: Sink, name: str, val: Val, node: ast.AST) -> None:
        labels = val.flat()
        if not labels:
            return
        if sink.kind == "weak-hash" and _NOT_SECRET.search(
                self.module.line_text(getattr(node, "lineno", 0)).lower()):
            return  # a cache key, an ETag or a checksum identifies data, it does not hide it
        loc = self.loc(node)
        display = name.replace("()", "")
        for label in labels:
            if not label.live_for(sink.kind):
                continue
            ref = _param_ref(label.origin)
            if ref is not None:
                self._param_sink(ParamSink(ref[0], sink.kind, label.cleared, display, loc,
                                           (*label.trace, Step(loc, f"sink: {display}")),
                                           ref[1]))
                continue
            key = (loc.line, loc.column, sink.kind, label.origin)
            if key in self._seen_flows:
                continue
            self._seen_flows.add(key)
            final = label.step(Step(loc, f"sink: {display}"))
            self.flows.append(Flow(sink.kind, display, loc, loc.line, final,
                                   self.fn.qualname if self.fn else "<module>"))

    def _project_target(self, name: str, env: Env, func: ast.expr) -> str | None:
        functions = self.engine.project.functions
        name = self.engine.project.canonical(name)
        if name in functions:
            return name
        bare = name.replace("()", "")
        if name.endswith(")") is False and "()" in name:
            cls, _, meth = name.rpartition("().")
            if cls in self.engine.project.classes:
                fn = self.engine.project.method(cls, meth)
                return fn.qualname if fn else None
        if bare in self.engine.project.classes:
            init = self.engine.project.method(bare, "__init__")
            return init.qualname if init else None
        return None

    @staticmethod
    def _bind_labels(labels: Labels, bound: dict[int, Val], extra: Labels) -> Labels:
        """`labels` of a callee with its parameters replaced by the caller's arguments."""
        out: set[Label] = set()
        for label in labels:
            ref = _param_ref(label.origin)
            if ref is None:
                out.add(label)
                continue
            for caller_label in _resolve(bound.get(ref[0]), ref[1]) | extra:
                out.add(replace(caller_label, cleared=caller_label.cleared | label.cleared))
        return frozenset(out)

    def apply_summary(self, target: str, node: ast.Call, args: list[Val],
                      kwargs: dict[str, Val], receiver: Val | None,
                      splat: list[Val], env: Env) -> Val:
        engine = self.engine
        fn = engine.project.functions[target]
        caller = self.fn.qualname if self.fn else None
        if caller is not None:
            engine.callers.setdefault(target, set()).add(caller)
        engine.uses.setdefault(self.unit, set()).add(target)
        summary = engine.summary(target)
        bound: dict[int, Val] = {}
        offset = 0
        is_ctor = fn.node.name == "__init__" and not (isinstance(node.func, ast.Attribute)
                                                      and node.func.attr == "__init__")
        is_method = fn.cls is not None and fn.params[:1] in (("self",), ("cls",))
        if is_method:
            offset = 1
            if receiver is not None and not is_ctor:
                bound[0] = receiver
        for i, arg in enumerate(args):
            bound[i + offset] = arg
        for keyword, arg in kwargs.items():
            if keyword in fn.params:
                bound[fn.params.index(keyword)] = arg
        extra = tv.union(splat)
        loc = self.loc(node)
        short = target.rpartition(".")[2] if not is_ctor else target.rsplit(".", 2)[-2]
        # Sinks reached through the callee.
        for ps in summary.sinks:
            val = bound.get(ps.index)
            labels = _resolve(val, ps.attr) | extra
            pname = fn.params[ps.index] if ps.index < len(fn.params) else "?"
            for label in labels:
                if not label.live_for(ps.kind) or ps.kind in label.cleared:
                    continue
                merged = replace(label, cleared=label.cleared | ps.cleared)
                if not merged.live_for(ps.kind):
                    continue
                step = Step(loc, f"argument `{pname}` of `{short}`")
                ref = _param_ref(merged.origin)
                if ref is not None:
                    self._param_sink(ParamSink(
                        ref[0], ps.kind, merged.cleared, ps.sink, ps.location,
                        (*merged.trace, step, *ps.trace), ref[1]))
                    continue
                key = (ps.location.line, ps.location.column, ps.kind, merged.origin)
                if key in self._seen_flows:
                    continue
                self._seen_flows.add(key)
                final = merged.step(step)
                for s in ps.trace:
                    final = final.step(s)
                self.flows.append(Flow(ps.kind, ps.sink, ps.location, ps.location.line, final,
                                       self.fn.qualname if self.fn else "<module>"))
        if is_ctor:
            labels = tv.union([*args, *kwargs.values(), *splat])
            if not summary.fields:
                return tv.of(labels, f"{fn.cls}()")
            # Known attributes hold what `__init__` put there; any other attribute read
            # falls back to everything the object was built from.
            entries = tuple((attr, tv.of(self._bind_labels(held, bound, extra)))
                            for attr, held in summary.fields)
            return Val(labels, entries=entries, type=f"{fn.cls}()")
        out: set[Label] = set()
        for label in summary.ret:
            ref = _param_ref(label.origin)
            if ref is not None:
                val = bound.get(ref[0])
                for caller_label in _resolve(val, ref[1]) | extra:
                    merged = replace(caller_label, cleared=caller_label.cleared | label.cleared)
                    out.add(merged.step(Step(loc, f"returned from `{short}`")))
            else:
                out.add(label.step(Step(loc, f"returned from `{short}`")))
        return tv.of(frozenset(out), summary.ret_type)


# -- helpers ----------------------------------------------------------------------------------


def _html_response(sink: Sink, kwargs: dict[str, Val]) -> bool:
    """Whether a response the sink builds may be read as HTML, by its media type."""
    given = next((kwargs[k] for k in sink.content_type if k in kwargs), None)
    if given is None:
        return sink.html_by_default
    if isinstance(given.const, str):
        return "html" in given.const.lower()
    return True


def _widen_labels(labels: Labels) -> Labels:
    """A summary's labels, where more than `MAX_ATTRS` attributes of one parameter are
    told apart, with that parameter as a whole instead: code that probes an argument's
    attributes one by one (`a.shape`, `a.flat`, `a.readline`, ...) would otherwise carry one
    label per attribute up through every caller. Never fewer flows, only less detail."""
    attrs: dict[int, set[str]] = {}
    for label in labels:
        ref = _param_ref(label.origin)
        if ref is not None and ref[1] is not None:
            attrs.setdefault(ref[0], set()).add(ref[1])
    wide = {i for i, names in attrs.items() if len(names) > MAX_ATTRS}
    if not wide:
        return labels
    out: dict[tuple[str, frozenset[str]], Label] = {}
    for label in sorted(labels, key=lambda lab: lab.origin):
        ref = _param_ref(label.origin)
        if ref is not None and ref[0] in wide:
            label = replace(label, origin=f"param:{ref[0]}")
        out.setdefault((label.origin, label.cleared), label)
    return frozenset(out.values())


def _widen_sinks(sinks: tuple[ParamSink, ...]) -> tuple[ParamSink, ...]:
    """A summary's parameter sinks, with the same widening as `_widen_labels`: where one
    parameter reaches one sink through more than `MAX_ATTRS` of its attributes, the whole
    parameter reaches it."""
    attrs: dict[tuple[object, ...], set[str]] = {}
    for ps in sinks:
        if ps.attr is not None:
            attrs.setdefault((ps.index, ps.kind, ps.sink, ps.location), set()).add(ps.attr)
    wide = {key for key, names in attrs.items() if len(names) > MAX_ATTRS}
    if not wide:
        return sinks
    out: dict[ParamSink, ParamSink] = {}
    for ps in sorted(sinks, key=lambda ps: ps.attr or ""):
        if (ps.index, ps.kind, ps.sink, ps.location) in wide:
            ps = replace(ps, attr=None)
        out.setdefault(ps, ps)
    return tuple(out.values())


def _param_ref(origin: str) -> tuple[int, str | None] | None:
    """`param:2` is the third parameter, `param:0.source` its attribute `source`."""
    if not origin.startswith("param:"):
        return None
    index_, _, attr = origin[6:].partition(".")
    return int(index_), attr or None


def _attr_labels(base: Val, attr: str) -> Labels:
    """The labels of `base.attr`: a whole parameter becomes that parameter's attribute, so a
    caller that knows the attribute (an object it built) can tell it apart from the others."""
    out: set[Label] = set()
    for label in base.flat():
        ref = _param_ref(label.origin)
        if ref is not None and ref[1] is None:
            out.add(replace(label, origin=f"param:{ref[0]}.{attr}"))
        else:
            out.add(label)
    return frozenset(out)


def _resolve(val: Val | None, attr: str | None) -> Labels:
    """The caller's labels for a callee's parameter (`attr` None) or parameter attribute."""
    if val is None:
        return EMPTY
    if attr is None:
        return val.flat()
    entry = val.entry(attr)
    if entry is not None:
        return entry.flat()
    if val.entries is not None:
        return val.flat()
    return _attr_labels(val, attr)


def _lets_self_escape(node: ast.Call, self_name: str) -> bool:
    """Whether a call may set attributes of `self` behind the analysis' back: a method of
    `self` or of `super()`, or `self` passed along."""
    func = node.func
    if isinstance(func, ast.Attribute):
        base = func.value
        if isinstance(base, ast.Name) and base.id == self_name:
            return True
        if isinstance(base, ast.Call) and isinstance(base.func, ast.Name) and \
                base.func.id == "super":
            return True
    values = [a.value if isinstance(a, ast.Starred) else a
              for a in (*node.args, *(k.value for k in node.keywords))]
    return any(isinstance(a, ast.Name) and a.id == self_name for a in values)


VIEW_RETURN = Sink("flask.view.return", "html")
ORIGIN_KINDS = frozenset({"redirect", "url"})
REDIRECT_KIND = "redirect"
CRLF_KINDS = frozenset({"header", "log"})
LINE_BREAKS = frozenset({"\n", "\r\n", b"\n", b"\r\n"})


def _has_break(text: str | bytes) -> bool:
    return ("\n" in text) if isinstance(text, str) else (b"\n" in text)


def _drops_line_breaks(pattern: object, replacement: object) -> bool:
    """Whether `re.sub(pattern, replacement, text)` leaves no line feed in `text`."""
    if not isinstance(pattern, str) or not isinstance(replacement, str) or \
            len(pattern) > 200 or "\n" in replacement or "\\" in replacement:
        return False
    try:
        return re.fullmatch(pattern, "\n") is not None
    except (re.error, RecursionError, OverflowError):
        return False
_ORIGIN = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.-]*:)?//[^/?#\\@]+[/?#]")


def _origin_fixed(prefix: str) -> bool:
    """Whether a URL that starts with `prefix` has its scheme and host fixed: an absolute URL
    up to the path (`https://api.example.com/`), or a path on this site (`/articles/`, not
    `/` alone, which `//evil.example` would turn into another host)."""
    if _ORIGIN.match(prefix):
        return True
    return len(prefix) >= 2 and prefix[0] == "/" and prefix[1] not in "/\\"


def _const_prefix(values: list[ast.expr], parts: list[Val]) -> str:
    """The constant text an f-string starts with."""
    out: list[str] = []
    for node, val in zip(values, parts, strict=True):
        if isinstance(node, ast.FormattedValue) and (node.conversion != -1 or
                                                     node.format_spec is not None):
            break
        if not isinstance(val.const, str):
            break
        out.append(val.const)
    return "".join(out)


def _host_checked(val: Val | None) -> list[tuple[str, frozenset[str]]]:
    """A host taken from `urlparse(url)` and found in an allow-list vouches for `url`."""
    if val is None or not val.parsed_from:
        return []
    return [(val.parsed_from, PREFIX_KINDS)]
HTML_KIND = "html"
MARKUP_TYPES = frozenset({f"{m}.{f}()" for m in ("markupsafe", "flask", "jinja2")
                          for f in ("Markup", "escape", "Markup.escape")})


def _route_count(fn: Function) -> int:
    return sum(1 for dec in fn.node.decorator_list
               if isinstance(dec, ast.Call) and isinstance(dec.func, ast.Attribute)
               and dec.func.attr in ("route", "get", "post", "put", "patch", "delete"))


def _imports_flask(module: Module) -> bool:
    return any(q == "flask" or q.startswith("flask.") for q in module.imports.values())


SHELL_FLAGS = frozenset({"-c", "/c", "/C", "-Command", "-command"})
SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "csh", "tcsh", "fish", "ash", "busybox",
                    "cmd", "powershell", "pwsh", "python", "python3"})


def _program_part(argv: Val) -> Val:
    """The part of an argument list that chooses what runs: the program, and the command text
    when the program is a shell given `-c` (`ping -c 3 HOST` is not a shell)."""
    items = argv.items or ()
    if not items:
        return tv.of(argv.labels)
    if len(items) > 2 and items[1].const in SHELL_FLAGS and _may_be_shell(items[0].const):
        return tv.of(tv.union([items[0], *items[2:]]) | argv.labels)
    return items[0]


def _may_be_shell(program: object) -> bool:
    if not isinstance(program, str):
        return True
    base = program.replace("\\", "/").rpartition("/")[2].lower().removesuffix(".exe")
    return base in SHELLS


_CONVERSION = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?([a-zA-Z%])")


def _repr_positions(call: ast.Call, sink: Sink) -> frozenset[int]:
    """Argument positions a logging call formats with `%r`: `repr()` keeps a newline as the
    two characters `\\n`, so they cannot forge a log line."""
    fmt_pos = min(sink.args) if sink.args else 0
    if fmt_pos >= len(call.args):
        return frozenset()
    fmt = call.args[fmt_pos]
    if not (isinstance(fmt, ast.Constant) and isinstance(fmt.value, str)):
        return frozenset()
    kinds = [k for k in _CONVERSION.findall(fmt.value) if k != "%"]
    return frozenset(fmt_pos + 1 + i for i, k in enumerate(kinds) if k == "r")


def _starts_with(atom: ast.expr) -> tuple[str, str] | None:
    """(variable, prefix) for `variable.startswith("constant")`."""
    if isinstance(atom, ast.Call) and isinstance(atom.func, ast.Attribute) and \
            atom.func.attr == "startswith" and isinstance(atom.func.value, ast.Name) and \
            len(atom.args) == 1 and isinstance(atom.args[0], ast.Constant) and \
            isinstance(atom.args[0].value, str):
        return atom.func.value.id, atom.args[0].value
    return None


def _site_paths(atoms: list[tuple[ast.expr, bool]]) -> set[str]:
    """Variables known to start with `/` but not `//`: paths on this site."""
    slash: set[str] = set()
    not_double: set[str] = set()
    for atom, holds in atoms:
        found = _starts_with(atom)
        if found is None:
            continue
        name, prefix = found
        if holds and prefix == "/":
            slash.add(name)
        elif not holds and prefix in ("//", "/\\"):
            not_double.add(name)
    return slash & not_double


SAFE_TYPES = frozenset({"int", "float", "bool", "complex", "uuid.UUID", "decimal.Decimal",
                        "datetime.date", "datetime.datetime", "ipaddress.IPv4Address",
                        "ipaddress.IPv6Address"})


def _type_check(call: ast.Call, module: Module) -> list[tuple[str, frozenset[str]]]:
    """`isinstance(x, int)` proves `x` harmless; `isinstance(x, str)` proves nothing."""
    if len(call.args) != 2 or not isinstance(call.args[0], ast.Name):
        return []
    spec = call.args[1]
    types = spec.elts if isinstance(spec, ast.Tuple) else [spec]
    names = [module.qualname(t) for t in types]
    if names and all(n in SAFE_TYPES for n in names):
        return [(call.args[0].id, frozenset({ALL_KINDS}))]
    return []


PURE_STR_METHODS = frozenset({"split", "rsplit", "strip", "lstrip", "rstrip", "lower", "upper",
                              "replace", "removeprefix", "removesuffix", "title", "casefold"})


def _fold_str_method(text: str, method: str, args: list[object]) -> Val | None:
    """A string method applied to a constant, computed (a list result keeps its items)."""
    if len(text) > MAX_CONST_LEN:
        return None
    try:
        result = getattr(text, method)(*args)
    except (TypeError, ValueError):
        return None
    if isinstance(result, str):
        return Val(const=result) if len(result) <= MAX_CONST_LEN else None
    if isinstance(result, list) and len(result) <= 1000:
        return Val(items=tuple(Val(const=part) for part in result))
    return None


def _prefix_kinds(call: ast.Call) -> frozenset[str]:
    """What a prefix check proves. Any prefix keeps a resolved path inside its folder; for a
    URL only a prefix that fixes the host does: `/` lets `//evil.example` through."""
    if isinstance(call.func, ast.Attribute) and call.func.attr == "startswith" and call.args:
        prefixes = call.args[0].elts if isinstance(call.args[0], ast.Tuple) else [call.args[0]]
        texts = [p.value for p in prefixes if isinstance(p, ast.Constant)]
        if len(texts) == len(prefixes) and texts and all(
                isinstance(t, str) and _ORIGIN.match(t) for t in texts):
            return PREFIX_KINDS
        return frozenset({"path"})
    return PREFIX_KINDS


def _holding(test: ast.expr, positive: bool) -> list[tuple[ast.expr, bool]]:
    """The atomic conditions whose truth is known where `test` evaluated to `positive`, with
    that truth (`not` and `and`/`or` unfolded)."""
    out: list[tuple[ast.expr, bool]] = []
    stack: list[tuple[ast.expr, bool]] = [(test, positive)]
    while stack:
        node, holds = stack.pop()
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            stack.append((node.operand, not holds))
        elif isinstance(node, ast.BoolOp):
            if isinstance(node.op, ast.And) == holds:
                stack.extend((v, holds) for v in node.values)
        elif isinstance(node, ast.Compare) and len(node.ops) == 1 and \
                type(node.ops[0]) in _INVERSE:
            flipped = ast.Compare(node.left, [_INVERSE[type(node.ops[0])]()], node.comparators)
            out.append((flipped, not holds))
        else:
            out.append((node, holds))
    return out


_INVERSE: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.NotIn: ast.In, ast.IsNot: ast.Is, ast.NotEq: ast.Eq,
}


def _case_matches(case: ast.match_case, subject: object) -> bool | None:
    """Whether a `case` without a guard matches a known constant; None when it cannot say."""
    if case.guard is not None:
        return None
    patterns: list[ast.pattern] = [case.pattern]
    while patterns:
        pat = patterns.pop()
        if isinstance(pat, ast.MatchOr):
            patterns.extend(pat.patterns)
        elif isinstance(pat, ast.MatchAs) and pat.pattern is None:
            return True
        elif isinstance(pat, ast.MatchValue) and isinstance(pat.value, ast.Constant):
            if _same_const(pat.value.value, subject):
                return True
        elif isinstance(pat, ast.MatchSingleton):
            if pat.value is subject:
                return True
        else:
            return None
    return False


def _same_const(a: object, b: object) -> bool:
    return type(a) is type(b) and a == b


def _rejected(atom: ast.expr) -> list[tuple[str, frozenset[str]]]:
    """What a condition known to be false proves: `'..' in name` false means no parent-folder
    step in `name`."""
    if isinstance(atom, ast.Compare) and len(atom.ops) == 1 and \
            isinstance(atom.ops[0], ast.In) and isinstance(atom.left, ast.Constant) and \
            isinstance(atom.left.value, str):
        right = atom.comparators[0]
        if not isinstance(right, ast.Name):
            return []
        kinds = set()
        if ".." in atom.left.value:
            kinds.add("path")
        if atom.left.value in QUOTES:
            kinds.add("xpath")
        return [(right.id, frozenset(kinds))] if kinds else []
    return []


QUOTES = frozenset({"'", '"'})


def _quoted_literals(atoms: list[tuple[ast.expr, bool]]) -> set[str]:
    """Variables known to start and end with the same quote character: string literals, which
    `eval` turns into plain strings."""
    seen: dict[tuple[str, str], set[str]] = {}
    for atom, holds in atoms:
        if not holds or not (isinstance(atom, ast.Call) and isinstance(atom.func, ast.Attribute)
                and isinstance(atom.func.value, ast.Name) and len(atom.args) == 1):
            continue
        arg = atom.args[0]
        if atom.func.attr in ("startswith", "endswith") and isinstance(arg, ast.Constant) \
                and arg.value in QUOTES:
            seen.setdefault((atom.func.value.id, str(arg.value)), set()).add(atom.func.attr)
    return {name for (name, _), ends in seen.items() if len(ends) == 2}


def _path(node: ast.expr) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _rooted_in_env(node: ast.expr, env: Env) -> bool:
    while isinstance(node, ast.Attribute | ast.Call | ast.Subscript):
        node = node.func if isinstance(node, ast.Call) else node.value
    return isinstance(node, ast.Name) and node.id in env


def _names_in(node: ast.expr) -> list[str]:
    out: list[str] = []
    stack: list[ast.AST] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, ast.Name):
            out.append(current.id)
        elif isinstance(current, ast.Call):
            stack.extend(current.args)
        elif isinstance(current, ast.List | ast.Tuple):
            stack.extend(current.elts)
    return out


def _pattern_names(pattern: ast.pattern) -> list[str]:
    return [n.name for n in ast.walk(pattern)
            if isinstance(n, ast.MatchAs | ast.MatchStar) and n.name] + \
        [n.rest for n in ast.walk(pattern) if isinstance(n, ast.MatchMapping) and n.rest]


def _join_envs(envs: list[Env | None]) -> Env | None:
    live = [e for e in envs if e is not None]
    if not live:
        return None
    if len(live) == 1:
        return dict(live[0])
    out: Env = {}
    keys: set[str] = set()
    for e in live:
        keys.update(e)
    for key in keys:
        val: Val | None = None
        missing = False
        for e in live:
            if key in e:
                val = tv.join(val, e[key]) if val is not None else e[key]
            else:
                missing = True
        assert val is not None
        if missing and val.const is not NOCONST:
            val = replace(val, const=NOCONST)
        out[key] = val
    return out


def _hashable(value: object) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _truth(value: object) -> bool | None:
    if value is NOCONST:
        return None
    try:
        return bool(value)
    except Exception:
        return None


def _small(value: object) -> bool:
    if isinstance(value, str | bytes):
        return len(value) <= MAX_CONST_LEN
    if isinstance(value, int) and not isinstance(value, bool):
        return abs(value) < 10**18
    return isinstance(value, float | bool) or value is None


def _fold_binop(op: ast.operator, a: object, b: object) -> object:
    if a is NOCONST or b is NOCONST or not (_small(a) and _small(b)):
        return NOCONST
    if isinstance(op, ast.Mult) and (isinstance(a, str | bytes) or isinstance(b, str | bytes)):
        count = b if isinstance(a, str | bytes) else a
        text = a if isinstance(a, str | bytes) else b
        if not isinstance(count, int) or not isinstance(text, str | bytes) or \
                count * len(text) > MAX_CONST_LEN:
            return NOCONST
    if isinstance(op, ast.Pow) and isinstance(b, int | float) and abs(b) > 64:
        return NOCONST
    if isinstance(op, ast.LShift) and isinstance(b, int) and b > 64:
        return NOCONST
    ops: dict[type[ast.operator], str] = {
        ast.Add: "__add__", ast.Sub: "__sub__", ast.Mult: "__mul__", ast.Div: "__truediv__",
        ast.FloorDiv: "__floordiv__", ast.Mod: "__mod__", ast.Pow: "__pow__",
        ast.LShift: "__lshift__", ast.RShift: "__rshift__", ast.BitOr: "__or__",
        ast.BitAnd: "__and__", ast.BitXor: "__xor__",
    }
    method = ops.get(type(op))
    if method is None or (isinstance(a, str) and isinstance(op, ast.Mod)):
        return NOCONST
    try:
        result = getattr(a, method)(b)
    except Exception:
        return NOCONST
    return NOCONST if result is NotImplemented or not _small(result) else result


def _fold_boolop(op: ast.boolop, consts: list[object]) -> object:
    if any(c is NOCONST for c in consts):
        if isinstance(op, ast.And) and any(_truth(c) is False for c in consts
                                           if c is not NOCONST):
            return False
        if isinstance(op, ast.Or) and any(_truth(c) is True for c in consts if c is not NOCONST):
            return True
        return NOCONST
    result: object = consts[0]
    for c in consts:
        result = c
        if isinstance(op, ast.And) and not _truth(c):
            return c
        if isinstance(op, ast.Or) and _truth(c):
            return c
    return result


def _fold_unary(op: ast.unaryop, a: object) -> object:
    if a is NOCONST:
        return NOCONST
    try:
        if isinstance(op, ast.Not):
            return not a
        if isinstance(op, ast.USub) and isinstance(a, int | float):
            return -a
        if isinstance(op, ast.UAdd) and isinstance(a, int | float):
            return +a
        if isinstance(op, ast.Invert) and isinstance(a, int):
            return ~a
    except Exception:
        return NOCONST
    return NOCONST


def _fold_compare(left: object, ops: list[ast.cmpop], rights: list[object]) -> object:
    if left is NOCONST or any(r is NOCONST for r in rights):
        return NOCONST
    current = left
    for op, right in zip(ops, rights, strict=True):
        try:
            if isinstance(op, ast.Eq):
                ok = current == right
            elif isinstance(op, ast.NotEq):
                ok = current != right
            elif isinstance(op, ast.Lt):
                ok = current < right  # type: ignore[operator]
            elif isinstance(op, ast.LtE):
                ok = current <= right  # type: ignore[operator]
            elif isinstance(op, ast.Gt):
                ok = current > right  # type: ignore[operator]
            elif isinstance(op, ast.GtE):
                ok = current >= right  # type: ignore[operator]
            elif isinstance(op, ast.Is):
                ok = current is right
            elif isinstance(op, ast.IsNot):
                ok = current is not right
            elif isinstance(op, ast.In):
                ok = current in right  # type: ignore[operator]
            elif isinstance(op, ast.NotIn):
                ok = current not in right  # type: ignore[operator]
            else:
                return NOCONST
        except Exception:
            return NOCONST
        if not ok:
            return False
        current = right
    return True


def _fold_subscript(base: object, key: object) -> object:
    if isinstance(base, str | bytes | tuple) and isinstance(key, int):
        try:
            return base[key]
        except IndexError:
            return NOCONST
    return NOCONST


@dataclass(frozen=True)
class ModuleResult:
    """The taint results of one module: the flows found in its functions and body, the units
    analysed (function names, `<name>.<module>` for the body), the other modules whose
    summaries they used, notices and analysis failures `(line, message)`, and the names the
    module calls that the run asked `Engine.is_called` about. An incremental run re-analyses a
    module when it or a module it uses (directly or not) has changed."""

    path: str
    flows: tuple[Flow, ...]
    units: tuple[str, ...]
    uses: frozenset[str]
    notices: tuple[str, ...]
    failures: tuple[tuple[int, str], ...]
    called: frozenset[str]


@dataclass(frozen=True)
class Analysis:
    flows: tuple[Flow, ...]
    notices: tuple[tuple[str, str], ...]
    failures: tuple[tuple[str, int, str], ...]
    modules: tuple[ModuleResult, ...] = ()
    queried: frozenset[str] = frozenset()
    # Functions outside `only` that this run would have analysed and the earlier run did
    # not: the incremental result is incomplete, a full run is needed.
    missed: frozenset[str] = frozenset()


def analyse_project(project: Project, spec: Spec, only: frozenset[str] | None = None,
                    known: frozenset[str] = frozenset(),
                    called: Mapping[str, bool] | None = None) -> Analysis:
    """Analyse the project; with `only`, the roots and bodies of those modules alone (the
    other modules' earlier results stand; `known` are the units they analysed; `called`
    answers `Engine.is_called` for the names the earlier run asked about)."""
    engine = Engine(project, spec, only=only, known=known,
                    asked_before=frozenset(called or ()), called_before=dict(called or {}))
    flows = engine.run()
    mine = engine._mine
    return Analysis(tuple(flows), tuple(e for e in engine.errors if mine(e[0])),
                    tuple(f for f in engine.failures if mine(f[0])), engine.results(),
                    frozenset(engine.queried), frozenset(engine.missed))
