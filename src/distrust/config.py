"""Configuration: `[tool.distrust]` in pyproject.toml, or the top level of distrust.toml.
Unknown keys and bad values are errors that name the file and the key."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from distrust.errors import ConfigError
from distrust.model import Confidence, Severity
from distrust.taint.spec import Sanitizer, Sink, Source

DEFAULT_MAX_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class Config:
    source: str = ""
    paths: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    min_severity: Severity = Severity.LOW
    min_confidence: Confidence = Confidence.LOW
    max_file_size: int = DEFAULT_MAX_BYTES
    jobs: int | None = None
    baseline: str | None = None
    cache_dir: str | None = None
    sources: tuple[Source, ...] = ()
    sinks: tuple[Sink, ...] = ()
    sanitizers: tuple[Sanitizer, ...] = ()
    secrets_allow: tuple[str, ...] = ()
    deps: Mapping[str, Any] = field(default_factory=dict)


_TOP_KEYS = frozenset({
    "paths", "exclude", "select", "ignore", "min-severity", "min-confidence", "max-file-size",
    "jobs", "baseline", "cache-dir", "taint", "secrets", "deps",
})


def find(start: Path) -> Path | None:
    """The nearest distrust.toml, or pyproject.toml with a [tool.distrust] table, from `start`
    upward."""
    current = start.resolve()
    for folder in (current, *current.parents):
        candidate = folder / "distrust.toml"
        if candidate.is_file():
            return candidate
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            try:
                data = tomllib.loads(candidate.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                return candidate  # load() reports the problem with the file name
            if isinstance(data.get("tool"), dict) and "distrust" in data["tool"]:
                return candidate
        if (folder / ".git").exists():
            return None
    return None


def load(path: Path | None) -> Config:
    if path is None:
        return Config()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ConfigError(f"{path}: cannot read: {err.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: invalid TOML: {err}") from None
    if path.name == "pyproject.toml":
        table = data.get("tool", {}).get("distrust", {})
        prefix = "tool.distrust"
    else:
        table = data
        prefix = ""
    return parse(table, str(path), prefix)


def parse(table: Mapping[str, Any], source: str, prefix: str = "") -> Config:
    def key(name: str) -> str:
        return f"{source}: {prefix + '.' if prefix else ''}{name}"

    if not isinstance(table, Mapping):
        raise ConfigError(f"{source}: {prefix or 'configuration'} must be a table")
    for name in table:
        if name not in _TOP_KEYS:
            raise ConfigError(f"{key(name)}: unknown key (known: {', '.join(sorted(_TOP_KEYS))})")

    def strings(name: str) -> tuple[str, ...]:
        value = table.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{key(name)}: must be a list of strings, got {value!r}")
        return tuple(value)

    def enum(name: str, parser: Any, default: Any) -> Any:
        if name not in table:
            return default
        value = table[name]
        if not isinstance(value, str):
            raise ConfigError(f"{key(name)}: must be a string, got {value!r}")
        try:
            return parser(value)
        except ValueError as err:
            raise ConfigError(f"{key(name)}: {err}") from None

    def integer(name: str, minimum: int) -> int | None:
        if name not in table:
            return None
        value = table[name]
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            raise ConfigError(f"{key(name)}: must be an integer >= {minimum}, got {value!r}")
        return value

    def optional_str(name: str) -> str | None:
        value = table.get(name)
        if value is not None and not isinstance(value, str):
            raise ConfigError(f"{key(name)}: must be a string, got {value!r}")
        return value

    taint = table.get("taint", {})
    if not isinstance(taint, Mapping):
        raise ConfigError(f"{key('taint')}: must be a table")
    for name in taint:
        if name not in ("sources", "sinks", "sanitizers"):
            raise ConfigError(f"{key('taint.' + name)}: unknown key "
                              "(known: sources, sinks, sanitizers)")
    secrets = table.get("secrets", {})
    if not isinstance(secrets, Mapping):
        raise ConfigError(f"{key('secrets')}: must be a table")
    for name in secrets:
        if name != "allow-paths":
            raise ConfigError(f"{key('secrets.' + name)}: unknown key (known: allow-paths)")
    allow = secrets.get("allow-paths", [])
    if not isinstance(allow, list) or not all(isinstance(v, str) for v in allow):
        raise ConfigError(f"{key('secrets.allow-paths')}: must be a list of strings")
    deps = table.get("deps", {})
    if not isinstance(deps, Mapping):
        raise ConfigError(f"{key('deps')}: must be a table")

    return Config(
        source=source,
        paths=strings("paths"),
        exclude=strings("exclude"),
        select=strings("select"),
        ignore=strings("ignore"),
        min_severity=enum("min-severity", Severity.parse, Severity.LOW),
        min_confidence=enum("min-confidence", Confidence.parse, Confidence.LOW),
        max_file_size=integer("max-file-size", 1) or DEFAULT_MAX_BYTES,
        jobs=integer("jobs", 1),
        baseline=optional_str("baseline"),
        cache_dir=optional_str("cache-dir"),
        sources=tuple(_sources(taint.get("sources", []), key("taint.sources"))),
        sinks=tuple(_sinks(taint.get("sinks", []), key("taint.sinks"))),
        sanitizers=tuple(_sanitizers(taint.get("sanitizers", []), key("taint.sanitizers"))),
        secrets_allow=tuple(allow),
        deps=dict(deps),
    )


def _entries(value: Any, where: str, allowed: frozenset[str]) -> list[Mapping[str, Any]]:
    if not isinstance(value, list):
        raise ConfigError(f"{where}: must be an array of tables")
    out: list[Mapping[str, Any]] = []
    for i, entry in enumerate(value):
        if not isinstance(entry, Mapping):
            raise ConfigError(f"{where}[{i}]: must be a table")
        for name in entry:
            if name not in allowed:
                raise ConfigError(f"{where}[{i}].{name}: unknown key "
                                  f"(known: {', '.join(sorted(allowed))})")
        if not isinstance(entry.get("name"), str) or not entry["name"]:
            raise ConfigError(f"{where}[{i}].name: required, a qualified name such as "
                              "'myapp.db.run_query'")
        out.append(entry)
    return out


def _sources(value: Any, where: str) -> list[Source]:
    out = []
    for i, e in enumerate(_entries(value, where, frozenset({"name", "label", "confidence",
                                                           "call"}))):
        try:
            conf = Confidence.parse(e.get("confidence", "high"))
        except (ValueError, AttributeError):
            raise ConfigError(f"{where}[{i}].confidence: must be low, medium or high") from None
        call = e.get("call", False)
        if not isinstance(call, bool):
            raise ConfigError(f"{where}[{i}].call: must be true or false")
        out.append(Source(e["name"], str(e.get("label", e["name"])), conf, call=call))
    return out


def _sinks(value: Any, where: str) -> list[Sink]:
    out = []
    for i, e in enumerate(_entries(value, where, frozenset({"name", "kind", "args",
                                                           "keywords"}))):
        kind = e.get("kind")
        if not isinstance(kind, str) or not kind:
            raise ConfigError(f"{where}[{i}].kind: required, a sink kind such as 'sql'")
        args = e.get("args", [0])
        if not isinstance(args, list) or not all(isinstance(a, int) and a >= 0 for a in args):
            raise ConfigError(f"{where}[{i}].args: must be a list of argument positions")
        keywords = e.get("keywords", [])
        if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
            raise ConfigError(f"{where}[{i}].keywords: must be a list of strings")
        out.append(Sink(e["name"], kind, tuple(args), tuple(keywords)))
    return out


def _sanitizers(value: Any, where: str) -> list[Sanitizer]:
    out = []
    for i, e in enumerate(_entries(value, where, frozenset({"name", "kinds", "predicate"}))):
        kinds = e.get("kinds", ["*"])
        if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
            raise ConfigError(f"{where}[{i}].kinds: must be a list of sink kinds")
        predicate = e.get("predicate", False)
        if not isinstance(predicate, bool):
            raise ConfigError(f"{where}[{i}].predicate: must be true or false")
        out.append(Sanitizer(e["name"], frozenset(kinds), predicate=predicate))
    return out
