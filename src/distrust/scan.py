"""One scan: discover files, parse each once, run the pattern rules and the taint engine, and
return findings, skipped inputs and notices as values. Nothing here prints."""

from __future__ import annotations

import ast
import gc
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from distrust import files, secrets
from distrust.config import Config
from distrust.model import Confidence, Finding, Location, Notice, ScanResult, Skipped
from distrust.model import fingerprint as make_fingerprint
from distrust.python import suppress, walk
from distrust.python.source import Module, ParseFailure, parse
from distrust.python.walk import RuleFailure
from distrust.rules import ALL_RULES, taint_rules
from distrust.rules.rule import Hit, Rule
from distrust.taint import engine
from distrust.taint.catalog import BUILTIN_SPEC
from distrust.taint.engine import Flow
from distrust.taint.spec import Spec

Progress = Callable[[int, int], None]
PARALLEL_MIN_FILES = 16
RECURSION_LIMIT = 20_000


@dataclass(frozen=True)
class ScanOutcome:
    result: ScanResult
    failures: tuple[RuleFailure, ...]
    paths: Mapping[str, Path] = field(default_factory=dict)


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


def module_name(path: Path) -> tuple[str, bool]:
    """The dotted module name of a file, from the packages (`__init__.py`) that hold it."""
    path = Path(os.path.abspath(path))
    is_package = path.name == "__init__.py"
    parts = [] if is_package else [path.stem]
    folder = path.parent
    while (folder / "__init__.py").is_file() and folder.parent != folder:
        parts.append(folder.name)
        folder = folder.parent
    parts.reverse()
    return ".".join(parts) or path.stem, is_package


def _path_names(relpath: str, name: str) -> tuple[str, ...]:
    """Other names the module can be imported by: its path from the scan root, for namespace
    packages and for projects whose imports start at the root."""
    parts = relpath.removesuffix(".py").removesuffix(".pyw").split("/")
    if parts and parts[-1] == "__init__":
        parts.pop()
    dotted = ".".join(p for p in parts if p and p != ".")
    if not dotted or dotted == name or not all(p.isidentifier() for p in dotted.split(".")):
        return ()
    return (dotted,)


@dataclass(frozen=True)
class _FileResult:
    relpath: str
    module: Module | None
    skipped: Skipped | None
    findings: tuple[Finding, ...]
    failures: tuple[RuleFailure, ...]


def _analyse_file(file: files.SourceFile, max_bytes: int, rules: tuple[Rule, ...],
                  overlay: Mapping[str, str] | None = None) -> _FileResult:
    text = overlay[file.relpath] if overlay and file.relpath in overlay else \
        files.read_text(file, max_bytes)
    if isinstance(text, Skipped):
        return _FileResult(file.relpath, None, text, (), ())
    tree = parse(text, file.relpath)
    if isinstance(tree, ParseFailure):
        reason = f"syntax error at line {tree.line}, column {tree.column}: {tree.message}"
        return _FileResult(file.relpath, None, Skipped(file.relpath, reason), (), ())
    name, is_package = module_name(file.path)
    module = Module(file.relpath, name, text, tree, is_package, _path_names(file.relpath, name))
    table = walk.dispatch_table(rules)
    hits, failures = walk.run(module, table)
    sup = suppress.collect(text) if hits else {}
    findings = tuple(_pattern_finding(module, rule, hit, sup) for rule, hit in hits)
    return _FileResult(file.relpath, module, None, findings, tuple(failures))


def _analyse_many(batch: list[files.SourceFile], max_bytes: int, codes: tuple[str, ...]
                  ) -> list[_FileResult]:
    by_code = {r.code: r for r in ALL_RULES}
    rules = tuple(by_code[c] for c in codes if c in by_code)
    return [_analyse_file(f, max_bytes, rules) for f in batch]


def scan(
    roots: Sequence[Path],
    config: Config,
    *,
    rules: Sequence[Rule] = ALL_RULES,
    jobs: int = 1,
    progress: Progress | None = None,
    base: Path | None = None,
    overlay: Mapping[str, str] | None = None,
) -> ScanOutcome:
    """Scan `roots`. `overlay` maps relative paths to texts that replace the files' contents
    (to check fixes before writing them)."""
    with _collector_paused():
        return _scan(roots, config, rules, jobs, progress, base, overlay)


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
          overlay: Mapping[str, str] | None) -> ScanOutcome:
    want_text = any(r.code in secrets.MASKED_RULES for r in rules)
    found, skipped = files.discover(roots, exclude=config.exclude,
                                    max_bytes=config.max_file_size, base=base,
                                    suffixes=files.TEXT_SUFFIXES if want_text else None)
    python = [f for f in found if f.kind == "python"]
    texts = [f for f in found if f.kind == "text"]
    pattern_rules = tuple(r for r in rules if r.check is not None)
    if overlay:
        jobs = 1
    results = _run_files(python, config.max_file_size, pattern_rules, jobs, progress, overlay)
    modules: list[Module] = []
    findings: list[Finding] = []
    failures: list[RuleFailure] = []
    for res in results:
        if res.skipped is not None:
            skipped.append(res.skipped)
        if res.module is not None:
            modules.append(res.module)
        findings.extend(res.findings)
        failures.extend(res.failures)
    notices: list[Notice] = []
    by_kind = taint_rules(tuple(rules))
    if by_kind:
        spec = _spec(config)
        analysis = engine.analyse(tuple(modules), spec)
        findings.extend(taint_findings(list(analysis.flows), by_kind,
                                       {m.path: m for m in modules}))
        notices.extend(Notice(f"{path}: {message}") for path, message in analysis.notices)
        failures.extend(RuleFailure("taint", path, line, message)
                        for path, line, message in analysis.failures)
    text_findings, text_skipped, texts_read = _secret_findings(texts, config, rules, overlay)
    findings.extend(text_findings)
    skipped.extend(text_skipped)
    if config.secrets_allow:
        findings = [f for f in findings if f.rule not in secrets.MASKED_RULES
                    or not secrets.allowed(f.location.path, config.secrets_allow)]
    findings = _number_fingerprints(findings)
    findings.sort(key=_order)
    return ScanOutcome(
        ScanResult(tuple(findings), tuple(sorted(skipped)), len(modules) + texts_read,
                   tuple(notices)),
        tuple(failures),
        {f.relpath: f.path for f in python},
    )


def _run_files(python: list[files.SourceFile], max_bytes: int, rules: tuple[Rule, ...],
               jobs: int, progress: Progress | None, overlay: Mapping[str, str] | None
               ) -> list[_FileResult]:
    total = len(python)
    if jobs <= 1 or total < PARALLEL_MIN_FILES:
        out = []
        for i, f in enumerate(python, start=1):
            out.append(_analyse_file(f, max_bytes, rules, overlay))
            if progress is not None:
                progress(i, total)
        return out
    size = max(1, min(64, total // (jobs * 4) or 1))
    batches = [python[i : i + size] for i in range(0, total, size)]
    codes = tuple(r.code for r in rules)
    out = []
    done = 0
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for batch_result in pool.map(_analyse_many, batches, [max_bytes] * len(batches),
                                     [codes] * len(batches)):
            out.extend(batch_result)
            done += len(batch_result)
            if progress is not None:
                progress(done, total)
    return out


def _spec(config: Config) -> Spec:
    if not (config.sources or config.sinks or config.sanitizers):
        return BUILTIN_SPEC
    return BUILTIN_SPEC.extended(config.sources, config.sinks, config.sanitizers)


def _order(f: Finding) -> tuple[str, int, int, str, str]:
    loc = f.location
    return (loc.path, loc.line, loc.column, f.rule, f.fingerprint)


def _snippet(module: Module, line: int) -> str:
    return module.line_text(line)


def _pattern_finding(module: Module, rule: Rule, hit: Hit, sup: suppress.Suppressions
                     ) -> Finding:
    node = hit.node
    line = getattr(node, "lineno", 1)
    end_line = getattr(node, "end_lineno", None) or line
    loc = Location(module.path, line, module.column(line, getattr(node, "col_offset", 0)),
                   end_line, module.column(end_line, getattr(node, "end_col_offset", 0) or 0))
    snippet = _snippet(module, line)
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
                     overlay: Mapping[str, str] | None
                     ) -> tuple[list[Finding], list[Skipped], int]:
    """Hard-coded secrets in the text files of the scan (`.env`, YAML, JSON, INI ...), with
    the values masked."""
    by_code = {r.code: r for r in rules if r.code in secrets.MASKED_RULES}
    findings: list[Finding] = []
    skipped: list[Skipped] = []
    read = 0
    for file in texts if by_code else ():
        text = overlay[file.relpath] if overlay and file.relpath in overlay else \
            files.read_text(file, config.max_file_size)
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
        snippet = _snippet(module, flow.location.line)
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
    return (a.label.confidence, -len(a.label.trace), -a.location.column) > (
        b.label.confidence, -len(b.label.trace), -b.location.column)


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
