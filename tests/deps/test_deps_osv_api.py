"""The OSV API client: batched queries, paging, records cached on disk, failures."""

from __future__ import annotations

from pathlib import Path

import pytest
from deps_servers import Server, record

from distrust.deps.cache import JsonCache
from distrust.deps.osv_api import OsvClient, OsvUnavailable


def _client(osv: Server, tmp_path: Path, offline: bool = False) -> OsvClient:
    return OsvClient(osv.url, JsonCache(tmp_path / "rec", float("inf")),
                     JsonCache(tmp_path / "q", 3600), timeout=10.0, offline=offline)


def _fill(osv: Server) -> None:
    osv.state.records.extend([
        record(f"PYSEC-2020-{i}", "django", events=[{"introduced": "0"}, {"fixed": f"{i}.0"}])
        for i in range(1, 8)
    ] + [record("GHSA-aaaa-bbbb-cccc", "lodash", ecosystem="npm",
                events=[{"introduced": "0"}, {"fixed": "4.17.12"}])])


def test_batched_query_then_cache(osv: Server, tmp_path: Path) -> None:
    _fill(osv)
    packages = [("PyPI", "Django"), ("npm", "lodash"), ("PyPI", "clean")] + [
        ("PyPI", f"pkg{i}") for i in range(40)]
    client = _client(osv, tmp_path)
    found = client.advisories(packages)
    assert len(found[("PyPI", "django")]) == 7
    assert [a.id for a in found[("npm", "lodash")]] == ["GHSA-aaaa-bbbb-cccc"]
    assert found[("PyPI", "clean")] == []
    assert osv.state.count("POST /v1/querybatch") == 1
    assert osv.state.count("GET /v1/vulns/") == 8
    again = _client(osv, tmp_path)
    assert len(again.advisories(packages)[("PyPI", "django")]) == 7
    assert again.requests == 0
    offline = _client(osv, tmp_path, offline=True)
    assert len(offline.advisories(packages)[("PyPI", "django")]) == 7


def test_paging(osv: Server, tmp_path: Path) -> None:
    _fill(osv)
    osv.state.page_size = 3
    found = _client(osv, tmp_path).advisories([("PyPI", "django")])
    assert len(found[("PyPI", "django")]) == 7
    assert osv.state.count("POST /v1/querybatch") == 3


def test_changed_record_is_fetched_again(osv: Server, tmp_path: Path) -> None:
    osv.state.records.append(record("PYSEC-1", "demo", events=[{"introduced": "0"}],
                                    summary="old"))
    client = _client(osv, tmp_path)
    assert client.advisories([("PyPI", "demo")])[("PyPI", "demo")][0].summary == "old"
    osv.state.records[0] = record("PYSEC-1", "demo", events=[{"introduced": "0"}],
                                  summary="new", modified="2024-09-01T00:00:00Z")
    fresh = OsvClient(osv.url, JsonCache(tmp_path / "rec", float("inf")),
                      JsonCache(tmp_path / "q2", 3600), timeout=10.0)
    assert fresh.advisories([("PyPI", "demo")])[("PyPI", "demo")][0].summary == "new"


@pytest.mark.parametrize("status", [500, 429])
def test_api_errors(osv: Server, tmp_path: Path, status: int) -> None:
    osv.state.osv_status = status
    with pytest.raises(OsvUnavailable, match=f"HTTP {status}"):
        _client(osv, tmp_path).advisories([("PyPI", "django")])


def test_unreachable_and_offline_without_cache(tmp_path: Path) -> None:
    client = OsvClient("http://127.0.0.1:9", JsonCache(tmp_path / "r", 1),
                       JsonCache(tmp_path / "q", 1), timeout=1.0)
    with pytest.raises(OsvUnavailable):
        client.advisories([("PyPI", "django")])
    offline = OsvClient("http://127.0.0.1:9", JsonCache(tmp_path / "r", 1),
                        JsonCache(tmp_path / "q", 1), offline=True)
    with pytest.raises(OsvUnavailable, match="offline"):
        offline.advisories([("PyPI", "django")])


def test_invalid_record_from_api(osv: Server, tmp_path: Path) -> None:
    osv.state.records.append({"id": "BROKEN-1", "modified": "nope",
                              "affected": [{"package": {"ecosystem": "PyPI", "name": "x"}}]})
    with pytest.raises(OsvUnavailable, match="invalid record"):
        _client(osv, tmp_path).advisories([("PyPI", "x")])
