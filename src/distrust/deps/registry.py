"""Does a package exist? PyPI's JSON simple API (PEP 691, with PEP 700's versions and upload
times) and the npm registry's package document. Answers are cached; a registry that cannot
be reached gives `exists=None` with the reason, never a pass."""

from __future__ import annotations

import configparser
import json
import os
import sys
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)

from distrust.deps.cache import JsonCache
from distrust.deps.http import FetchError, fetch, redact
from distrust.deps.types import Ecosystem, RegistryInfo, normalise

DEFAULT_PYPI_INDEX = "https://pypi.org/simple/"
DEFAULT_NPM_REGISTRY = "https://registry.npmjs.org/"
PEP691 = "application/vnd.pypi.simple.v1+json, text/html;q=0.1"


def pip_config_files(env: dict[str, str] | None = None,
                     system_config: Path = Path("/etc/pip.conf")) -> list[Path]:
    """pip's configuration files, lowest priority first (global, user, site)."""
    env = dict(os.environ) if env is None else env
    explicit = env.get("PIP_CONFIG_FILE")
    if explicit:
        return [Path(explicit)] if explicit != os.devnull else []
    home = Path(env.get("HOME", str(Path.home())))
    xdg = Path(env.get("XDG_CONFIG_HOME", str(home / ".config")))
    files = [system_config, home / ".pip" / "pip.conf", xdg / "pip" / "pip.conf"]
    venv = env.get("VIRTUAL_ENV") or (sys.prefix if sys.prefix != sys.base_prefix else "")
    if venv:
        files.append(Path(venv) / "pip.conf")
    return files


def resolve_index_url(explicit: str | None = None, configured: str | None = None,
                      env: dict[str, str] | None = None,
                      system_config: Path = Path("/etc/pip.conf")) -> str:
    """The PyPI index to ask: `--index-url`, then distrust's configuration, then
    PIP_INDEX_URL, then pip's configuration files, then PyPI."""
    env = dict(os.environ) if env is None else env
    for value in (explicit, configured, env.get("PIP_INDEX_URL")):
        if value:
            return value
    found = ""
    for path in pip_config_files(env, system_config):
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, OSError, UnicodeDecodeError):
            continue
        for section in ("global", "install"):
            if parser.has_option(section, "index-url"):
                found = parser.get(section, "index-url").strip() or found
    return found or DEFAULT_PYPI_INDEX


class RegistryClient:
    def __init__(self, cache: JsonCache, *, pypi_index: str = DEFAULT_PYPI_INDEX,
                 npm_registry: str = DEFAULT_NPM_REGISTRY, timeout: float = 10.0,
                 max_bytes: int = 8 * 1024**2, workers: int = 8, offline: bool = False
                 ) -> None:
        self.cache = cache
        self.pypi_index = pypi_index.rstrip("/") + "/"
        self.npm_registry = npm_registry.rstrip("/") + "/"
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.workers = workers
        self.offline = offline
        self.requests = 0
        self._count_lock = threading.Lock()


    def _count(self) -> None:
        with self._count_lock:  # requests are made from worker threads
            self.requests += 1
    def _cache_key(self, ecosystem: Ecosystem, name: str) -> str:
        base = self.pypi_index if ecosystem is Ecosystem.PYPI else self.npm_registry
        return f"{ecosystem.value}|{redact(base)}|{normalise(ecosystem, name)}"

    def lookup_many(self, keys: Iterable[tuple[Ecosystem, str]]
                    ) -> dict[tuple[Ecosystem, str], RegistryInfo]:
        unique = sorted({(e, normalise(e, n)) for e, n in keys})
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            infos = list(pool.map(lambda k: self.lookup(*k), unique))
        return dict(zip(unique, infos, strict=True))

    def lookup(self, ecosystem: Ecosystem, name: str) -> RegistryInfo:
        key = self._cache_key(ecosystem, name)
        cached = self.cache.get(key, ignore_age=self.offline)
        if isinstance(cached, dict):
            info = _from_cache(ecosystem, name, cached)
            if info is not None:
                return info
        if self.offline:
            return RegistryInfo(ecosystem, name, None, error="offline, and no cached answer")
        self._count()
        info = self._pypi(name) if ecosystem is Ecosystem.PYPI else self._npm(name)
        if info.exists is not None:
            self.cache.put(key, {"exists": info.exists, "versions": list(info.versions),
                                 "yanked": list(info.yanked), "created": info.created})
        return info

    def _pypi(self, name: str) -> RegistryInfo:
        url = self.pypi_index + quote(normalise(Ecosystem.PYPI, name)) + "/"
        try:
            response = fetch(url, timeout=self.timeout, max_bytes=self.max_bytes, accept=PEP691,
                             allow_truncated=True)
        except FetchError as err:
            return RegistryInfo(Ecosystem.PYPI, name, None, error=str(err))
        if response.status == 404:
            return RegistryInfo(Ecosystem.PYPI, name, False)
        if response.status != 200:
            return RegistryInfo(Ecosystem.PYPI, name, None,
                                error=f"{redact(url)} answered HTTP {response.status}")
        if "json" not in response.content_type or response.truncated:
            return RegistryInfo(Ecosystem.PYPI, name, True)  # PEP 503 HTML: exists, no details
        try:
            data = json.loads(response.body)
        except ValueError:
            return RegistryInfo(Ecosystem.PYPI, name, None,
                                error=f"{redact(url)} answered with invalid JSON")
        if not isinstance(data, dict) or not isinstance(data.get("files", []), list):
            return RegistryInfo(Ecosystem.PYPI, name, None,
                                error=f"{redact(url)} answered in an unknown shape")
        return _pypi_info(name, data)

    def _npm(self, name: str) -> RegistryInfo:
        url = self.npm_registry + quote(name, safe="@")
        try:
            response = fetch(url, timeout=self.timeout, max_bytes=self.max_bytes,
                             allow_truncated=True)
        except FetchError as err:
            return RegistryInfo(Ecosystem.NPM, name, None, error=str(err))
        if response.status == 404:
            return RegistryInfo(Ecosystem.NPM, name, False)
        if response.status != 200:
            return RegistryInfo(Ecosystem.NPM, name, None,
                                error=f"{redact(url)} answered HTTP {response.status}")
        if response.truncated:
            return RegistryInfo(Ecosystem.NPM, name, True)
        try:
            data = json.loads(response.body)
        except ValueError:
            return RegistryInfo(Ecosystem.NPM, name, None,
                                error=f"{redact(url)} answered with invalid JSON")
        if not isinstance(data, dict):
            return RegistryInfo(Ecosystem.NPM, name, None,
                                error=f"{redact(url)} answered in an unknown shape")
        return _npm_info(name, data)


def _from_cache(ecosystem: Ecosystem, name: str, data: dict[str, Any]) -> RegistryInfo | None:
    exists = data.get("exists")
    if not isinstance(exists, bool):
        return None
    return RegistryInfo(ecosystem, name, exists,
                        tuple(str(v) for v in data.get("versions", []) or []),
                        tuple(str(v) for v in data.get("yanked", []) or []),
                        str(data.get("created", "") or ""), from_cache=True)


def _file_version(filename: str) -> str | None:
    try:
        if filename.endswith(".whl"):
            return str(parse_wheel_filename(filename)[1])
        return str(parse_sdist_filename(filename)[1])
    except (InvalidWheelFilename, InvalidSdistFilename, ValueError):
        return None


def _pypi_info(name: str, data: dict[str, Any]) -> RegistryInfo:
    versions: list[str] = [str(v) for v in data.get("versions", []) or [] if isinstance(v, str)]
    all_files: dict[str, int] = {}
    yanked_files: dict[str, int] = {}
    created = ""
    for item in data.get("files", []):
        if not isinstance(item, dict) or not isinstance(item.get("filename"), str):
            continue
        version = _file_version(item["filename"])
        if version is not None:
            all_files[version] = all_files.get(version, 0) + 1
            if item.get("yanked"):
                yanked_files[version] = yanked_files.get(version, 0) + 1
            if version not in versions:
                versions.append(version)
        uploaded = item.get("upload-time")
        if isinstance(uploaded, str) and uploaded and (not created or uploaded < created):
            created = uploaded
    yanked = [v for v, n in yanked_files.items() if n == all_files.get(v)]
    return RegistryInfo(Ecosystem.PYPI, name, True, tuple(versions), tuple(sorted(yanked)),
                        created[:10])


def _npm_info(name: str, data: dict[str, Any]) -> RegistryInfo:
    raw_versions = data.get("versions")
    times = data.get("time") if isinstance(data.get("time"), dict) else {}
    assert isinstance(times, dict)
    if not isinstance(raw_versions, dict):
        if "unpublished" in times:
            return RegistryInfo(Ecosystem.NPM, name, False,
                                error=f"unpublished on {str(times['unpublished'])[:10]}")
        raw_versions = {}
    versions = tuple(str(v) for v in raw_versions)
    deprecated = tuple(str(v) for v, meta in raw_versions.items()
                       if isinstance(meta, dict) and meta.get("deprecated"))
    created = times.get("created")
    if not isinstance(created, str):
        # Some registries (mirrors) leave out `created`: the first version's date stands in.
        stamps = [str(t) for v, t in times.items() if v in raw_versions and isinstance(t, str)]
        created = min(stamps) if stamps else ""
    return RegistryInfo(Ecosystem.NPM, name, True, versions, deprecated, created[:10])
