"""Dependency verification from manifests to findings: known vulnerabilities, packages that do
not exist, look-alike names, yanked or new packages, and undeclared imports."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path, PurePosixPath

from distrust import files
from distrust.deps import ranges
from distrust.deps.cache import JsonCache, default_cache_dir
from distrust.deps.db import AdvisoryDB, default_db_path
from distrust.deps.http import redact
from distrust.deps.imports import (
    MAX_PY_BYTES,
    imports_of,
    project_modules,
    undeclared,
)
from distrust.deps.lookalike import look_alike
from distrust.deps.manifests import MAX_MANIFEST_BYTES, manifest_kind, read_manifests
from distrust.deps.osv import Group, entries_for, merge_aliases
from distrust.deps.osv_api import DEFAULT_OSV_URL, OsvClient, OsvUnavailable
from distrust.deps.registry import DEFAULT_NPM_REGISTRY, RegistryClient, resolve_index_url
from distrust.deps.types import Advisory, Dependency, Ecosystem, RegistryInfo
from distrust.errors import DepsError
from distrust.model import (
    Confidence,
    Finding,
    Location,
    Notice,
    ScanResult,
    Severity,
    Skipped,
    fingerprint,
    sort_key,
)
from distrust.python import suppress
from distrust.rules.dependencies import DEP001, DEP002, DEP003, DEP004, DEP005
from distrust.rules.rule import Rule

Key = tuple[Ecosystem, str]


@dataclass(frozen=True)
class DepsOptions:
    """How to verify dependencies. `index_url` None means: PIP_INDEX_URL, pip's configuration,
    then PyPI. `python_files` lets a scan hand over the files it read ((path, text) pairs,
    paths relative to the root); None means: find them under the root. `path_prefix` is put
    before every reported path, so that a scan of `sub/` reports `sub/requirements.txt`."""

    offline: bool = False
    index_url: str | None = None
    npm_registry: str = DEFAULT_NPM_REGISTRY
    osv_url: str = DEFAULT_OSV_URL
    db_path: Path | None = None
    cache_dir: Path | None = None
    cache_ttl: float = 24 * 3600.0
    timeout: float = 10.0
    max_bytes: int = 8 * 1024 * 1024
    workers: int = 8
    check_vulnerabilities: bool = True
    check_registry: bool = True
    check_lookalikes: bool = True
    check_imports: bool = True
    recent_days: int = 30
    python_files: tuple[tuple[str, str], ...] | None = None
    manifests: tuple[str, ...] | None = None
    exclude: tuple[str, ...] = ()  # gitignore-style patterns, as the scan's `exclude`
    today: date | None = None
    path_prefix: str = ""  # put before every reported path ("sub/" when the root is sub/)

    def resolved_cache_dir(self) -> Path:
        return self.cache_dir or default_cache_dir()

    def resolved_db_path(self) -> Path:
        return self.db_path or default_db_path(self.resolved_cache_dir())


@dataclass
class _Run:
    options: DepsOptions
    base: Path
    texts: dict[str, str] = field(default_factory=dict)
    suppressions: dict[str, suppress.Suppressions] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    occurrences: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    unchecked: list[str] = field(default_factory=list)

    def add(self, rule: Rule, dep_path: str, line: int, column: int, end_column: int,
            context: str, message: str, snippet: str, *, severity: Severity | None = None,
            confidence: Confidence | None = None) -> None:
        justification = self._suppressed(dep_path, rule.code, line)
        slot = (rule.code, dep_path, context)
        occurrence = self.occurrences[slot]
        self.occurrences[slot] += 1
        self.findings.append(Finding(
            rule=rule.code, name=rule.name, message=message,
            severity=severity or rule.severity, confidence=confidence or rule.confidence,
            location=Location(self.options.path_prefix + dep_path, line, column, line,
                              max(end_column, column + 1)),
            snippet=snippet,
            fingerprint=fingerprint(rule.code, self.options.path_prefix + dep_path, context,
                                    occurrence),
            cwe=rule.cwe, suppressed=justification is not None,
            justification=justification or "",
        ))

    def _suppressed(self, path: str, code: str, line: int) -> str | None:
        """`# distrust: ignore[CODE] reason` on the line (requirements, TOML, Python)."""
        if path not in self.suppressions:
            text = self.texts.get(path)
            if text is None:
                try:
                    text = (self.base / path).read_text(encoding="utf-8-sig")
                except (OSError, UnicodeDecodeError):
                    text = ""
            self.suppressions[path] = suppress.collect(text) if "#" in text else {}
        return suppress.lookup(self.suppressions[path], code, line, line)

    def finding_for(self, rule: Rule, dep: Dependency, context: str, message: str, *,
                    severity: Severity | None = None,
                    confidence: Confidence | None = None) -> None:
        self.add(rule, dep.manifest, dep.span.line, dep.span.column, dep.span.end_column,
                 context, message, dep.text, severity=severity, confidence=confidence)


@dataclass(frozen=True)
class DepsReport:
    """The result, and the checks that could not be carried out (a registry or advisory
    source that could not be used): the CLI does not call such a run a pass."""

    result: ScanResult
    unchecked: tuple[str, ...]


def audit(root: Path, options: DepsOptions | None = None) -> ScanResult:
    """Verify the dependencies declared under `root`. Bad manifests become `Skipped`;
    registries or advisory sources that cannot be used become notices. Raises DepsError only
    when the request itself cannot be carried out."""
    return audit_report(root, options).result


def audit_report(root: Path, options: DepsOptions | None = None) -> DepsReport:
    """`audit`, and which checks could not be carried out."""
    options = options or DepsOptions()
    run = _Run(options, root if root.is_dir() else root.parent)
    manifest_paths, python_paths = _discover(root, options)
    manifests = read_manifests(root, manifest_paths)
    prefix = options.path_prefix
    skipped = [Skipped(prefix + path, reason) for path, reason in manifests.problems]
    checkable: list[Dependency] = []
    for dep in manifests.dependencies:
        if dep.checkable:
            checkable.append(dep)
        else:
            run.notices.append(Notice(f"{prefix}{dep.manifest}:{dep.span.line}: {dep.name}: "
                                      f"{dep.reason}"))
    keys = sorted({d.key for d in checkable})
    infos: dict[Key, RegistryInfo] = {}
    if options.check_registry and keys:
        infos = _registry(run, keys)
    if options.check_vulnerabilities and keys:
        advisories = _advisories(run, keys)
        if advisories is not None:
            for dep in checkable:
                _vulnerabilities(run, dep, advisories.get(dep.key, []), infos.get(dep.key))
    for dep in checkable:
        _names(run, dep, infos.get(dep.key))
    py_skipped: list[Skipped] = []
    files_scanned = 0
    if options.check_imports:
        py_skipped, files_scanned = _imports(run, root, manifests.dependencies,
                                             manifests.manifests, python_paths)
    findings = tuple(sorted(run.findings, key=sort_key))
    py_skipped = [Skipped(prefix + s.path, s.reason) for s in py_skipped]
    result = ScanResult(findings, tuple(sorted(skipped + py_skipped)),
                        len(manifests.manifests) + files_scanned, tuple(run.notices))
    return DepsReport(result, tuple(run.unchecked))


_MANIFEST_SUFFIXES = frozenset({".txt", ".toml", ".json", ".lock"})


def _discover(root: Path, options: DepsOptions) -> tuple[list[str] | None, list[str]]:
    """Manifests and Python files under `root`, found as the scan finds files (git's view of
    the tree or the .gitignore files, `exclude` patterns, no virtual environments or vendored
    folders). A root that is a file is that one manifest."""
    if not root.is_dir():
        return (list(options.manifests) if options.manifests is not None else None), []
    found, _ = files.discover([root], exclude=options.exclude, max_bytes=MAX_MANIFEST_BYTES,
                              suffixes=_MANIFEST_SUFFIXES, base=root)
    manifests = [f.relpath for f in found if manifest_kind(PurePosixPath(f.relpath))]
    python = [f.relpath for f in found if f.kind == "python"]
    if options.manifests is not None:
        manifests = list(options.manifests)
    return manifests, python


def _registry(run: _Run, keys: list[Key]) -> dict[Key, RegistryInfo]:
    options = run.options
    index = resolve_index_url(options.index_url)
    cache = JsonCache(options.resolved_cache_dir() / "registry", options.cache_ttl)
    client = RegistryClient(cache, pypi_index=index, npm_registry=options.npm_registry,
                            timeout=options.timeout, max_bytes=options.max_bytes,
                            workers=options.workers, offline=options.offline)
    infos = client.lookup_many(keys)
    unknown = [k for k, v in infos.items() if v.exists is None]
    if unknown and options.offline:
        infos.update(_names_from_db(run, unknown))
        unknown = [k for k, v in infos.items() if v.exists is None]
    by_ecosystem: dict[Ecosystem, list[RegistryInfo]] = {}
    for key in unknown:
        by_ecosystem.setdefault(key[0], []).append(infos[key])
    for ecosystem, failed in by_ecosystem.items():
        where = redact(index) if ecosystem is Ecosystem.PYPI else redact(options.npm_registry)
        names = ", ".join(sorted(i.name for i in failed)[:5])
        more = f" and {len(failed) - 5} more" if len(failed) > 5 else ""
        run.notices.append(Notice(
            f"could not ask the {ecosystem.value} registry {where} about {len(failed)} "
            f"package(s) ({names}{more}): {failed[0].error}. Their existence, yanked state and "
            "age were NOT checked."
            + (" Offline, `distrust db update --names-from ECOSYSTEM=FILE` lets the local "
               "database answer whether a package exists." if options.offline else "")))
        if not options.offline:
            run.unchecked.append(f"the {ecosystem.value} registry could not be asked about "
                                 f"{len(failed)} package(s)")
    return infos


def _names_from_db(run: _Run, keys: list[Key]) -> dict[Key, RegistryInfo]:
    try:
        db = AdvisoryDB(run.options.resolved_db_path())
    except DepsError:
        return {}
    out: dict[Key, RegistryInfo] = {}
    try:
        for ecosystem, name in keys:
            if db.has_names(ecosystem.value):
                out[(ecosystem, name)] = RegistryInfo(ecosystem, name,
                                                      db.name_known(ecosystem.value, name))
    finally:
        db.close()
    return out


def _age(stamp: str, today: date) -> str:
    try:
        when = datetime.strptime(stamp[:10], "%Y-%m-%d").date()
    except ValueError:
        return "of unknown age"
    days = (today - when).days
    return f"imported {stamp[:10]}, {days} day{'s' if days != 1 else ''} old"


def _hours(seconds: float) -> str:
    hours = seconds / 3600
    return f"{hours:g} hour{'s' if hours != 1 else ''}"


def _advisories(run: _Run, keys: list[Key]) -> dict[Key, list[Advisory]] | None:
    options = run.options
    today = options.today or datetime.now(UTC).date()
    wanted = [(e.value, n) for e, n in keys]
    reason = ""
    client = OsvClient(options.osv_url,
                       JsonCache(options.resolved_cache_dir() / "osv-records", float("inf")),
                       JsonCache(options.resolved_cache_dir() / "osv-queries", options.cache_ttl),
                       timeout=max(options.timeout, 20.0), workers=options.workers,
                       offline=options.offline)
    if not options.offline:
        try:
            found = client.advisories(wanted)
        except OsvUnavailable as err:
            reason = str(err)
        else:
            if client.requests:
                source = f"{client.requests} request(s)"
            else:
                source = f"all answers from the cache, at most {_hours(options.cache_ttl)} old"
            run.notices.append(Notice(f"advisories: OSV API {redact(options.osv_url)} "
                                      f"({source})"))
            return {(Ecosystem(e), n): v for (e, n), v in found.items()}
    db_path = options.resolved_db_path()
    try:
        db = AdvisoryDB(db_path)
    except DepsError as err:
        if options.offline:
            try:
                found = client.advisories(wanted)
            except OsvUnavailable as cache_err:
                run.notices.append(Notice(f"known vulnerabilities NOT checked: {err}; "
                                          f"{cache_err}"))
                run.unchecked.append("known vulnerabilities (no advisory source)")
                return None
            run.notices.append(Notice("advisories: cached OSV API answers (offline)"))
            return {(Ecosystem(e), n): v for (e, n), v in found.items()}
        run.notices.append(Notice(f"known vulnerabilities NOT checked: the OSV API could not "
                                  f"be used ({reason}) and {err}"))
        run.unchecked.append("known vulnerabilities (no advisory source)")
        return None
    try:
        served = sorted({e for e, _ in wanted})
        ages = "; ".join(f"{e} {_age(db.imported_at(e), today)}" if db.imported_at(e)
                         else f"{e} not in the database" for e in served)
        prefix = "offline" if options.offline else f"the OSV API could not be used ({reason})"
        run.notices.append(Notice(f"advisories: {prefix}; served by the local database "
                                  f"{db_path} ({ages})"))
        return {(e, n): db.advisories(e.value, n) for e, n in keys}
    finally:
        db.close()


def _severity(group: Group) -> tuple[Severity, str]:
    order = {"LOW": Severity.LOW, "MEDIUM": Severity.MEDIUM, "HIGH": Severity.HIGH,
             "CRITICAL": Severity.CRITICAL}
    found = [order[a.severity] for a in group.members if a.severity in order]
    if found:
        best = max(found)
        return best, best.label
    return Severity.MEDIUM, "not given"


def _vulnerabilities(run: _Run, dep: Dependency, advisories: list[Advisory],
                     info: RegistryInfo | None) -> None:
    ecosystem = dep.ecosystem.value
    if not advisories:
        return
    if not ranges.spec_is_valid(ecosystem, dep.spec):
        run.notices.append(Notice(f"{run.options.path_prefix}{dep.manifest}:{dep.span.line}: "
                                  f"{dep.name}: constraint "
                                  f"{dep.spec!r} not understood; vulnerabilities not checked"))
        return
    for group in merge_aliases(advisories):
        entries = [e for adv in group.members for e in entries_for(adv, ecosystem, dep.name)]
        if not entries:
            continue
        fixed = sorted({f for e in entries for f in ranges.fixed_versions(e)},
                       key=lambda v: (ranges.version_key(ecosystem, v) is None, v))
        fixed = ranges.sort_versions(ecosystem, fixed) or fixed
        ids = group.ids
        aliases = [i for i in ids if i != group.primary.id]
        summary = next((a.summary for a in group.members if a.summary), "")
        severity, label = _severity(group)
        if any(i.startswith("MAL-") for i in ids):
            # OSV's malicious-package records: the package itself is malware.
            severity, label = Severity.CRITICAL, "critical (known malicious package)"
        head = f"{group.primary.id}" + (f" ({', '.join(aliases)})" if aliases else "")
        tail = (f": {summary}" if summary else "") + f". Severity: {label}. " + (
            f"Fixed in {', '.join(fixed)}." if fixed else "No fixed version is known.")
        context = f"{ecosystem}:{dep.key[1]}:{group.primary.id}"
        if dep.pinned is not None:
            if any(ranges.affects(e, ecosystem, dep.pinned) for e in entries):
                run.finding_for(DEP001, dep, context,
                                f"{dep.name} {dep.pinned} is affected by {head}{tail}",
                                severity=severity)
            continue
        known = set(info.versions) if info is not None and info.versions else set()
        candidates = known | {v for e in entries for v in ranges.mentioned_versions(e)}
        admitted = ranges.sort_versions(
            ecosystem, [v for v in candidates if ranges.admits(ecosystem, dep.spec, v)])
        hit = [v for v in admitted if any(ranges.affects(e, ecosystem, v) for e in entries)]
        if not hit:
            continue
        constraint = dep.spec or "(any version)"
        newest = [v for v in admitted if v in known] if known else []
        if newest and newest[-1] in hit:
            confidence = Confidence.HIGH
            note = f"even the newest version it admits ({newest[-1]}) is affected"
        elif newest:
            confidence = Confidence.LOW
            note = (f"the newest version it admits ({newest[-1]}) is not, but nothing stops an "
                    "affected one from being installed; pin a fixed version")
        else:
            confidence = Confidence.MEDIUM
            note = "the registry's version list was not available"
        shown = hit[0] if len(hit) == 1 else f"{hit[0]} to {hit[-1]}"
        run.finding_for(DEP001, dep, context,
                        f"{dep.name} is not pinned: checked against every version "
                        f"{constraint} admits; affected versions {shown} fall under {head}"
                        f"{tail} ({note})", severity=severity, confidence=confidence)


def _names(run: _Run, dep: Dependency, info: RegistryInfo | None) -> None:
    options = run.options
    ecosystem = dep.ecosystem
    similar = look_alike(ecosystem, dep.name) if options.check_lookalikes else None
    where = "PyPI index" if ecosystem is Ecosystem.PYPI else "npm registry"
    context = f"{ecosystem.value}:{dep.key[1]}"
    if info is not None and info.exists is False:
        extra = f" ({info.error})" if info.error else ""
        hint = (f"; it looks like '{similar.target}' ({similar.how})" if similar else
                "; an assistant may have invented it, and anyone can register it")
        run.finding_for(DEP002, dep, context,
                        f"package '{dep.name}' does not exist on the {where}{extra}{hint}")
        return
    if similar is not None:
        run.finding_for(DEP003, dep, context,
                        f"package '{dep.name}' imitates the popular package '{similar.target}' "
                        f"({similar.how}); check that this is the package you mean")
    if info is None or not info.exists:
        return
    if dep.pinned is not None and dep.pinned in info.yanked:
        word = "yanked" if ecosystem is Ecosystem.PYPI else "deprecated"
        run.finding_for(DEP005, dep, context + ":yanked",
                        f"{dep.name} {dep.pinned} is {word} on the {where}")
    if info.created:
        today = options.today or datetime.now(UTC).date()
        try:
            created = datetime.strptime(info.created[:10], "%Y-%m-%d").date()
        except ValueError:
            return
        days = (today - created).days
        if 0 <= days <= options.recent_days:
            run.finding_for(DEP005, dep, context + ":new",
                            f"package '{dep.name}' was first published on {info.created[:10]}, "
                            f"{days} day(s) ago")


def _home(manifest: str) -> str:
    """The folder whose code a Python manifest declares dependencies for (`requirements/x.txt`
    serves the folder above `requirements/`)."""
    parent = PurePosixPath(manifest).parent
    if parent.name == "requirements":
        parent = parent.parent
    return "" if str(parent) == "." else str(parent)


def _governing(rel: str, homes: dict[str, list[str]]) -> str | None:
    """The nearest folder above a file that has Python manifests."""
    for parent in PurePosixPath(rel).parents:
        key = "" if str(parent) == "." else str(parent)
        if key in homes:
            return key
    return None


def _imports(run: _Run, root: Path, deps: Sequence[Dependency], manifests: Iterable[str],
             python_paths: list[str]) -> tuple[list[Skipped], int]:
    """DEP004: each Python file's imports against the dependencies declared by the nearest
    folder above it that has Python manifests (a monorepo's services each have their own).
    Files that no manifest governs are not checked."""
    homes: dict[str, list[str]] = {}
    base = root if root.is_dir() else root.parent
    with_deps = {dep.manifest for dep in deps}
    for manifest in manifests:
        if manifest.endswith(("package.json", "package-lock.json")):
            continue
        if manifest.endswith("pyproject.toml") and manifest not in with_deps and \
                not _declares_project(base / manifest):
            continue  # only tool settings: it declares no dependencies, none or some
        homes.setdefault(_home(manifest), []).append(manifest)
    if not homes:
        return [], 0
    declared: dict[str, list[str]] = {home: [] for home in homes}
    for dep in deps:
        if dep.ecosystem is Ecosystem.PYPI:
            declared.setdefault(_home(dep.manifest), []).append(dep.name)
    skipped: list[Skipped] = []
    sources: list[tuple[str, str]] = []
    if run.options.python_files is not None:
        sources = list(run.options.python_files)
        all_paths = [p for p, _ in sources]
    else:
        all_paths = python_paths
        for rel in all_paths:
            if _governing(rel, homes) is None:
                continue
            path = base / rel
            try:
                if path.stat().st_size > MAX_PY_BYTES:
                    skipped.append(Skipped(rel, f"larger than {MAX_PY_BYTES} bytes: imports not "
                                                "checked"))
                    continue
                sources.append((rel, path.read_bytes().decode("utf-8")))
            except (OSError, UnicodeDecodeError) as err:
                skipped.append(Skipped(rel, f"unreadable for the import check: {err}"))
    prefix = run.options.path_prefix
    project = project_modules(all_paths)
    checked = 0
    for rel, text in sources:
        home = _governing(rel, homes)
        if home is None:
            continue
        checked += 1
        run.texts[rel] = text
        uses = imports_of(text, rel)
        if isinstance(uses, str):
            if run.options.python_files is None:
                skipped.append(Skipped(rel, uses))
            continue
        names = homes[home]
        shown = ", ".join(prefix + m for m in names[:3]) + ("..." if len(names) > 3 else "")
        for use in undeclared(uses, declared.get(home, []), project):
            run.add(DEP004, rel, use.line, use.column, use.end_column, f"import:{use.module}",
                    f"'{use.module}' is imported but no declared dependency provides it "
                    f"(declared in {shown})", use.text)
    return skipped, checked


def _declares_project(path: Path) -> bool:
    """Whether a pyproject.toml has a package table (PEP 621 or Poetry)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return any(line.strip() in ("[project]", "[tool.poetry]", "[tool.poetry.dependencies]")
               for line in text.splitlines())


def audit_paths(roots: Sequence[Path], options: DepsOptions | None = None, *,
                base: Path | None = None,
                python_files: Mapping[str, str] | None = None) -> DepsReport:
    """`audit_report` for the roots of a scan, with paths shown relative to `base` (default:
    the current folder) as the scan shows them. `python_files` maps base-relative paths to
    texts the scan already read. A root that is a file counts when it is a manifest."""
    options = options or DepsOptions()
    shown_base = (base or Path.cwd()).resolve()
    findings: dict[str, Finding] = {}
    skipped: set[Skipped] = set()
    notices: dict[str, Notice] = {}
    unchecked: dict[str, None] = {}
    scanned = 0
    for root in roots:
        folder = root if root.is_dir() else root.parent
        if not root.is_dir() and manifest_kind(PurePosixPath(root.name)) is None:
            continue
        try:
            rel = folder.resolve().relative_to(shown_base).as_posix()
        except ValueError:
            rel = folder.as_posix()
        prefix = "" if rel in ("", ".") else rel.rstrip("/") + "/"
        texts = None
        if python_files is not None:
            texts = tuple((path[len(prefix):], text) for path, text in python_files.items()
                          if path.startswith(prefix))
        report = audit_report(folder, replace(
            options, path_prefix=prefix, python_files=texts,
            manifests=(root.name,) if not root.is_dir() else options.manifests))
        for finding in report.result.findings:
            findings.setdefault(finding.fingerprint, finding)
        skipped.update(report.result.skipped)
        notices.update((n.message, n) for n in report.result.notices)
        unchecked.update(dict.fromkeys(report.unchecked))
        scanned += report.result.files_scanned
    result = ScanResult(tuple(sorted(findings.values(), key=sort_key)), tuple(sorted(skipped)),
                        scanned, tuple(notices.values()))
    return DepsReport(result, tuple(unchecked))
