"""One scan: discover files, parse each once, run the pattern rules and the taint engine, and
return findings, skipped inputs and notices as values. Nothing here prints."""

from __future__ import annotations

import ast
import gc
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from distrust import cache, files, secrets, warm
from distrust.config import Config
from distrust.model import Confidence, Finding, Location, Notice, ScanResult, Skipped
from distrust.model import fingerprint as make_fingerprint
from distrust.names import module_name
from distrust.names import path_names as _path_names
from distrust.python import suppress, walk
from distrust.python.source import Module, ParseFailure, parse
from distrust.python.walk import RuleFailure
from distrust.rules import ALL_RULES, taint_rules
from distrust.rules.rule import Hit, Rule
from distrust.taint import incremental
from distrust.taint.catalog import BUILTIN_SPEC
from distrust.taint.engine import Flow
from distrust.taint.spec import Spec

Progress = Callable[[int, int], None]
PARALLEL_MIN_FILES = 16
RECURSION_LIMIT = 20_000
RECORD_KIND = "taint-record"


@dataclass(frozen=True)
class ScanOutcome:
    result: ScanResult
    failures: tuple[RuleFailure, ...]
    paths: Mapping[str, Path] = field(default_factory=dict)
    snapshot: warm.Snapshot | None = None  # what the scan read (None: overlay or no cache)
    cache_notices: tuple[Notice, ...] = ()  # the cache's own, last in result.notices


def matches(code: str, pattern: str) -> bool:
    """Whether a rule code is selected by a code or prefix: a family name (letters only) names
    that family exactly (`AUTH` is not `AUTHZ`); with digits, the code starts with it."""
    pattern = pattern.upper()
    if pattern.isalpha():
        return code.rstrip("0123456789") == pattern
    return code.startswith(pattern)


def select_rules(rules: Sequence[Rule], select: Sequence[str], ignore: Sequence[str]
                 ) -> tuple[Rule, ...]:
    """Rules that one of `select` names (all when empty) and none of `ignore` does."""
    chosen = []
    for rule in rules:
        if select and not any(matches(rule.code, s) for s in select):
            continue
        if any(matches(rule.code, i) for i in ignore):
            continue
        chosen.append(rule)
    return tuple(chosen)


@dataclass(frozen=True)
class _FileResult:
    relpath: str
    module: Module | None
    skipped: Skipped | None
    findings: tuple[Finding, ...]
    failures: tuple[RuleFailure, ...]
    parsed: bool = False


@dataclass(frozen=True)
class _Source:
    """A Python file of the scan, read: its text (or why it could not be read), its module
    name, and its cache key."""

    file: files.SourceFile
    text: str | Skipped
    name: str
    is_package: bool
    aliases: tuple[str, ...]
    key: str = ""


def _prepare(file: files.SourceFile, max_bytes: int, overlay: Mapping[str, str] | None,
             store: cache.Cache | None, packages: dict[str, list[str]] | None = None
             ) -> _Source:
    text = overlay[file.relpath] if overlay and file.relpath in overlay else \
        files.read_text(file, max_bytes)
    name, is_package = module_name(file.path, packages)
    aliases = _path_names(file.relpath, name)
    key = "" if store is None or isinstance(text, Skipped) else \
        store.file_key(file.relpath, name, is_package, aliases, text)
    return _Source(file, text, name, is_package, aliases, key)


def _load(src: _Source) -> Module | Skipped:
    """The parsed module, or why it was skipped."""
    if isinstance(src.text, Skipped):
        return src.text
    tree = parse(src.text, src.file.relpath)
    if isinstance(tree, ParseFailure):
        reason = f"syntax error at line {tree.line}, column {tree.column}: {tree.message}"
        return Skipped(src.file.relpath, reason)
    return Module(src.file.relpath, src.name, src.text, tree, src.is_package, src.aliases)


def _analyse_source(src: _Source, rules: tuple[Rule, ...], keep_module: bool = True
                    ) -> _FileResult:
    relpath = src.file.relpath
    module = _load(src)
    if isinstance(module, Skipped):
        return _FileResult(relpath, None, module, (), ())
    table = walk.dispatch_table(rules)
    hits, failures = walk.run(module, table)
    sup = suppress.collect(module.text) if hits else {}
    findings = tuple(_pattern_finding(module, rule, hit, sup) for rule, hit in hits)
    return _FileResult(relpath, module if keep_module else None, None, findings,
                       tuple(failures), parsed=True)


def _analyse_file(file: files.SourceFile, max_bytes: int, rules: tuple[Rule, ...],
                  overlay: Mapping[str, str] | None = None) -> _FileResult:
    return _analyse_source(_prepare(file, max_bytes, overlay, None), rules)


def _analyse_many(batch: list[_Source], codes: tuple[str, ...]) -> list[_FileResult]:
    """In a worker process: the pattern rules on a batch of files. The trees stay here (the
    main process parses what the taint engine needs itself: cheaper than pickling trees)."""
    by_code = {r.code: r for r in ALL_RULES}
    rules = tuple(by_code[c] for c in codes if c in by_code)
    with _collector_paused():
        return [_analyse_source(src, rules, keep_module=False) for src in batch]


def scan(
    roots: Sequence[Path],
    config: Config,
    *,
    rules: Sequence[Rule] = ALL_RULES,
    jobs: int = 1,
    progress: Progress | None = None,
    base: Path | None = None,
    overlay: Mapping[str, str] | None = None,
    cache_dir: Path | None = None,
) -> ScanOutcome:
    """Scan `roots`. `overlay` maps relative paths to texts that replace the files' contents
    (to check fixes before writing them; never cached). `cache_dir` holds the results of
    earlier scans (see `distrust.cache`); None scans without a cache."""
    with _collector_paused():
        store = None if cache_dir is None or overlay else \
            cache.Cache(cache_dir, cache_salt(config, rules))
        return _scan(roots, config, rules, jobs, progress, base, overlay, store)


def cache_salt(config: Config, rules: Sequence[Rule]) -> str:
    """What besides a file's text decides its results: the tool, the rules, the
    configuration (less the settings that only choose files, workers and output)."""
    return cache.digest(cache.tool_digest(), ",".join(sorted(r.code for r in rules)),
                        warm.settings(config))


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Syntax trees and taint values hold no reference cycles, but there are millions of
    them: the cyclic garbage collector would walk them again and again (a third of the run
    time on a large project). Reference counting frees them as usual."""
    enabled = gc.isenabled()
    limit = sys.getrecursionlimit()
    gc.disable()
    # Deeply nested code (a thousand nested calls) must not end its analysis early; Python
    # 3.11+ keeps pure-Python frames off the C stack, so a higher limit is safe.
    sys.setrecursionlimit(max(limit, RECURSION_LIMIT))
    try:
        yield
    finally:
        sys.setrecursionlimit(limit)
        if enabled:
            gc.enable()


def _scan(roots: Sequence[Path], config: Config, rules: Sequence[Rule], jobs: int,
          progress: Progress | None, base: Path | None,
          overlay: Mapping[str, str] | None, store: cache.Cache | None) -> ScanOutcome:
    want_text = any(r.code in secrets.MASKED_RULES for r in rules)
    found, skipped = files.discover(roots, exclude=config.exclude,
                                    max_bytes=config.max_file_size, base=base,
                                    suffixes=files.TEXT_SUFFIXES if want_text else None)
    listed_skipped = tuple(skipped)
    python = [f for f in found if f.kind == "python"]
    texts = [f for f in found if f.kind == "text"]
    pattern_rules = tuple(r for r in rules if r.check is not None)
    if overlay:
        jobs = 1
    by_kind = taint_rules(tuple(rules))
    packages: dict[str, list[str]] = {}
    sources = [_prepare(f, config.max_file_size, overlay, store, packages) for f in python]
    files_done = _files_from_cache(sources, store)
    taint_key = store.taint_key(s.key for s in sources if s.key) if store and by_kind else ""
    file_keys = {s.file.relpath: s.key for s in sources}
    taint_done = store.get_taint(taint_key) if store and by_kind else None
    todo = [src for src in sources if src.file.relpath not in files_done]

    def run_taint(modules: list[Module]) -> cache.TaintEntry:
        # The record of the last run over these files says which modules an edit made stale:
        # only those are analysed again.
        keys = {m.path: file_keys[m.path] for m in modules}
        record_key = cache.digest(RECORD_KIND, store.salt, *sorted(keys)) if store else ""
        before = store.get_decoded(RECORD_KIND, record_key, incremental.from_json) \
            if store else None
        record = incremental.analyse(tuple(modules), _spec(config), before, keys)
        entry = cache.TaintEntry(
            tuple(taint_findings(incremental.flows(record), by_kind,
                                 {m.path: m for m in modules})),
            tuple(Notice(f"{path}: {message}") for path, stored in record.modules.items()
                  for message in stored.result.notices),
            tuple((path, line, message) for path, stored in record.modules.items()
                  for line, message in stored.result.failures))
        if store is not None:
            store.put_encoded(RECORD_KIND, record_key, incremental.to_json(record))
            store.put_taint(taint_key, entry)
        return entry

    need_taint = bool(by_kind) and taint_done is None
    results = _run_files(todo, pattern_rules, jobs, progress, len(sources) - len(todo),
                         len(sources), taint=run_taint if need_taint else None,
                         sources=sources,
                         parses=frozenset(p for p, e in files_done.items() if e.parsed))
    if need_taint:
        taint_done = results.taint
    for res in results.files:
        files_done[res.relpath] = _entry_of(res)
        src_key = results.keys.get(res.relpath, "")
        if store is not None and src_key:
            store.put_file(src_key, files_done[res.relpath])
    modules_scanned = 0
    findings: list[Finding] = []
    failures: list[RuleFailure] = []
    for src in sources:
        entry = files_done[src.file.relpath]
        if entry.skipped is not None:
            skipped.append(entry.skipped)
        modules_scanned += entry.parsed
        findings.extend(entry.findings)
        failures.extend(RuleFailure(rule, src.file.relpath, line, error)
                        for rule, line, error in entry.failures)
    notices: list[Notice] = []
    if taint_done is not None:
        findings.extend(taint_done.findings)
        notices.extend(taint_done.notices)
        failures.extend(RuleFailure("taint", path, line, message)
                        for path, line, message in taint_done.failures)
    text_digests: dict[str, str] = {}
    text_findings, text_skipped, texts_read = _secret_findings(
        texts, config, rules, overlay, text_digests if store is not None else None)
    findings.extend(text_findings)
    skipped.extend(text_skipped)
    if config.secrets_allow:
        findings = [f for f in findings if f.rule not in secrets.MASKED_RULES
                    or not secrets.allowed(f.location.path, config.secrets_allow)]
    findings = _number_fingerprints(findings)
    findings.sort(key=_order)
    cache_notices = tuple(store.notices) if store is not None else ()
    # What the warm path of the next scan compares with: only worth hashing with a cache.
    snapshot = None if store is None else warm.snapshot(
        [(src.file.relpath, src.text, src.name, src.is_package, src.aliases)
         for src in sources],
        [(f.relpath, text_digests.get(f.relpath, "")) for f in texts], listed_skipped,
        want_text)
    return ScanOutcome(
        ScanResult(tuple(findings), tuple(sorted(skipped)), modules_scanned + texts_read,
                   (*notices, *cache_notices)),
        tuple(failures),
        {f.relpath: f.path for f in python},
        snapshot,
        cache_notices,
    )


@dataclass
class _Run:
    files: list[_FileResult]
    keys: dict[str, str]
    taint: cache.TaintEntry | None = None


def _files_from_cache(sources: list[_Source], store: cache.Cache | None
                      ) -> dict[str, cache.FileEntry]:
    done: dict[str, cache.FileEntry] = {}
    for src in sources:
        if isinstance(src.text, Skipped):
            done[src.file.relpath] = cache.FileEntry(False, src.text, (), ())
        elif store is not None:
            entry = store.get_file(src.key)
            if entry is not None:
                done[src.file.relpath] = entry
    return done


def _entry_of(res: _FileResult) -> cache.FileEntry:
    return cache.FileEntry(res.parsed, res.skipped, res.findings,
                           tuple((f.rule, f.line, f.error) for f in res.failures))


def _run_files(todo: list[_Source], rules: tuple[Rule, ...], jobs: int,
               progress: Progress | None, done: int, total: int,
               taint: Callable[[list[Module]], cache.TaintEntry] | None,
               sources: list[_Source], parses: frozenset[str] = frozenset()) -> _Run:
    """The pattern rules on the files in `todo`, in this process or in worker processes; and,
    when `taint` is given, the taint engine on every module of `sources` (here, while the
    workers run the rules). `jobs` is the number of processes kept busy: with the taint
    engine running here, `jobs - 1` workers (at least one); a worker more would only take
    turns with this process, whose taint run is the longest part."""
    keys = {src.file.relpath: src.key for src in todo}
    if jobs <= 1 or len(todo) < PARALLEL_MIN_FILES:
        out = []
        modules: dict[str, Module] = {}
        for src in todo:
            res = _analyse_source(src, rules)
            if res.module is not None:
                modules[res.relpath] = res.module
            out.append(replace(res, module=None))
            done += 1
            if progress is not None:
                progress(done, total)
        result = _Run(out, keys)
        if taint is not None:
            result.taint = taint(_modules(sources, modules, parses))
        return result
    workers = max(1, jobs - 1) if taint is not None else jobs
    size = max(1, min(64, len(todo) // (workers * 4) or 1))
    batches = [todo[i : i + size] for i in range(0, len(todo), size)]
    codes = tuple(r.code for r in rules)
    out = []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(_analyse_many, batch, codes) for batch in batches]
        result = _Run(out, keys)
        if taint is not None:
            result.taint = taint(_modules(sources, {}, parses))
        for future in futures:
            batch_result = future.result()
            out.extend(batch_result)
            done += len(batch_result)
            if progress is not None:
                progress(done, total)
    return result


def _modules(sources: list[_Source], parsed: dict[str, Module], parses: frozenset[str]
             ) -> list[Module]:
    """Every module of the scan that parses, in the order of the files, for the taint
    engine: those parsed already; those an earlier scan parsed (`parses`), to be parsed if
    the analysis enters them; the others parsed now."""
    out = []
    for src in sources:
        module = parsed.get(src.file.relpath)
        if module is None and src.file.relpath in parses and isinstance(src.text, str):
            module = Module(src.file.relpath, src.name, src.text, None, src.is_package,
                            src.aliases)
        if module is None:
            loaded = _load(src)
            if isinstance(loaded, Skipped):
                continue
            module = loaded
        out.append(module)
    return out


def _spec(config: Config) -> Spec:
    if not (config.sources or config.sinks or config.sanitizers):
        return BUILTIN_SPEC
    return BUILTIN_SPEC.extended(config.sources, config.sinks, config.sanitizers)


def _order(f: Finding) -> tuple[str, int, int, str, str]:
    loc = f.location
    return (loc.path, loc.line, loc.column, f.rule, f.fingerprint)


def _pattern_finding(module: Module, rule: Rule, hit: Hit, sup: suppress.Suppressions
                     ) -> Finding:
    node = hit.node
    line = getattr(node, "lineno", 1)
    end_line = getattr(node, "end_lineno", None) or line
    loc = Location(module.path, line, module.column(line, getattr(node, "col_offset", 0)),
                   end_line, module.column(end_line, getattr(node, "end_col_offset", 0) or 0))
    snippet = module.line_text(line)
    context = snippet + _unparse(node)
    if rule.code in secrets.MASKED_RULES:  # the value never reaches an output or a hash
        snippet = secrets.mask(snippet, loc.column,
                               loc.end_column if end_line == line else len(snippet) + 1)
        context = snippet
    justification = suppress.lookup(sup, rule.code, line, end_line)
    return Finding(
        rule=rule.code,
        name=rule.name,
        message=hit.message or rule.message,
        severity=hit.severity or rule.severity,
        confidence=hit.confidence or rule.confidence,
        location=loc,
        snippet=snippet,
        fingerprint=make_fingerprint(rule.code, module.path, context),
        cwe=rule.cwe,
        suppressed=justification is not None,
        justification=justification or "",
        fix=hit.fix,
    )


def _secret_findings(texts: list[files.SourceFile], config: Config, rules: Sequence[Rule],
                     overlay: Mapping[str, str] | None, digests: dict[str, str] | None = None
                     ) -> tuple[list[Finding], list[Skipped], int]:
    """Hard-coded secrets in the text files of the scan (`.env`, YAML, JSON, INI ...), with
    the values masked. `digests` receives each file's `warm.text_digest`."""
    by_code = {r.code: r for r in rules if r.code in secrets.MASKED_RULES}
    findings: list[Finding] = []
    skipped: list[Skipped] = []
    read = 0
    for file in texts if by_code else ():
        text = overlay[file.relpath] if overlay and file.relpath in overlay else \
            files.read_text(file, config.max_file_size)
        if digests is not None:
            digests[file.relpath] = warm.text_digest(text)
        if isinstance(text, Skipped):
            skipped.append(text)
            continue
        read += 1
        hits = [h for h in secrets.scan_text(file.relpath, text, config.secrets_allow)
                if h.rule in by_code]
        if not hits:
            continue
        lines = text.splitlines()
        sup = suppress.collect(text)
        for hit in hits:
            rule = by_code[hit.rule]
            raw = lines[hit.line - 1] if hit.line <= len(lines) else ""
            snippet = secrets.mask(raw, hit.column, hit.end_column)
            justification = suppress.lookup(sup, rule.code, hit.line, hit.line)
            findings.append(Finding(
                rule=rule.code,
                name=rule.name,
                message=hit.message,
                severity=rule.severity,
                confidence=Confidence.MEDIUM if hit.kind == "JSON Web Token"
                else rule.confidence,
                location=Location(file.relpath, hit.line, hit.column, hit.line,
                                  hit.end_column),
                snippet=snippet,
                fingerprint=make_fingerprint(rule.code, file.relpath, snippet),
                cwe=rule.cwe,
                suppressed=justification is not None,
                justification=justification or "",
            ))
    return findings, skipped, read


def _unparse(node: ast.AST) -> str:
    try:
        return ast.unparse(node)[:200]
    except (ValueError, RecursionError, AttributeError, TypeError):
        return type(node).__name__


def taint_findings(flows: list[Flow], by_kind: dict[str, Rule], modules: dict[str, Module]
                   ) -> list[Finding]:
    """One finding per sink and rule: the flow with the highest confidence and the shortest
    path speaks for the others."""
    best: dict[tuple[str, int, str], Flow] = {}
    for flow in flows:
        if flow.kind not in by_kind:
            continue
        key = (flow.location.path, flow.location.line, flow.kind)
        current = best.get(key)
        if current is None or _better(flow, current):
            best[key] = flow
    sup_cache: dict[str, suppress.Suppressions] = {}
    out = []
    for flow in best.values():
        rule = by_kind[flow.kind]
        module = modules[flow.location.path]
        if module.path not in sup_cache:
            sup_cache[module.path] = suppress.collect(module.text)
        snippet = module.line_text(flow.location.line)
        justification = suppress.lookup(sup_cache[module.path], rule.code, flow.location.line,
                                        flow.location.end_line)
        confidence = Confidence(min(rule.confidence, flow.label.confidence))
        what = flow.label.what or "untrusted data"
        out.append(Finding(
            rule=rule.code,
            name=rule.name,
            message=f"{rule.message}: {what} reaches `{flow.sink}`",
            severity=rule.severity,
            confidence=confidence,
            location=flow.location,
            snippet=snippet,
            fingerprint=make_fingerprint(rule.code, module.path,
                                         f"{flow.function}\0{snippet}\0{what}"),
            steps=flow.label.trace,
            cwe=rule.cwe,
            suppressed=justification is not None,
            justification=justification or "",
        ))
    return out


def _better(a: Flow, b: Flow) -> bool:
    """A total order, so the flow that speaks for a sink never depends on set order (the
    output is the same under any hash seed)."""
    return _flow_rank(a) > _flow_rank(b)


def _flow_rank(flow: Flow) -> tuple[object, ...]:
    trace = tuple((-s.location.line, -s.location.column, s.note) for s in flow.label.trace)
    return (flow.label.confidence, -len(flow.label.trace), -flow.location.column,
            tuple(-ord(c) for c in flow.label.what), trace)


def _number_fingerprints(findings: list[Finding]) -> list[Finding]:
    """Identical fingerprints in one file (the same line repeated) get an occurrence number,
    so each finding keeps a unique identity."""
    seen: dict[str, int] = {}
    out = []
    for f in sorted(findings, key=_order):
        count = seen.get(f.fingerprint, 0)
        seen[f.fingerprint] = count + 1
        if count:
            f = replace(f, fingerprint=make_fingerprint(f.rule, f.location.path, f.fingerprint,
                                                        count))
        out.append(f)
    return out
