"""Fixtures for the dependency tests: loopback servers, a cache folder, options."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from deps_servers import Server, State, serve

from distrust.deps.audit import DepsOptions


@pytest.fixture
def registry() -> Iterator[Server]:
    yield from serve(State())


@pytest.fixture
def osv() -> Iterator[Server]:
    yield from serve(State())


@pytest.fixture
def options(tmp_path: Path, registry: Server, osv: Server, monkeypatch: pytest.MonkeyPatch
            ) -> DepsOptions:
    monkeypatch.delenv("PIP_INDEX_URL", raising=False)
    monkeypatch.setenv("PIP_CONFIG_FILE", "/dev/null")
    return DepsOptions(
        index_url=f"{registry.url}/simple/",
        npm_registry=f"{registry.url}/npm/",
        osv_url=osv.url,
        cache_dir=tmp_path / "cache",
        db_path=tmp_path / "cache" / "advisories.sqlite3",
        timeout=10.0,  # generous: the machine may be busy; failures are not timeouts
    )
