"""The OSV API: one batched query per thousand packages, each record fetched once and kept
on disk (records are keyed by id and modification time, so a changed record is fetched
again)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from distrust.deps.cache import JsonCache
from distrust.deps.http import FetchError, fetch
from distrust.deps.osv import InvalidRecord, from_compact, parse_record, to_compact
from distrust.deps.types import Advisory, normalise

DEFAULT_OSV_URL = "https://api.osv.dev"
BATCH = 1000
CACHE_FORMAT = "2"  # part of every cache key: entries of an older format are not read
MAX_PAGES = 20


class OsvUnavailable(Exception):
    """The API could not be used; the message says why."""


class OsvClient:
    def __init__(self, base_url: str, records: JsonCache, queries: JsonCache, *,
                 timeout: float = 20.0, max_bytes: int = 32 * 1024**2, workers: int = 8,
                 offline: bool = False) -> None:
        self.base = base_url.rstrip("/")
        self.records = records
        self.queries = queries
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.workers = workers
        self.offline = offline
        self.requests = 0
        self._count_lock = threading.Lock()


    def _count(self) -> None:
        with self._count_lock:  # requests are made from worker threads
            self.requests += 1
    def _post(self, payload: dict[str, Any]) -> dict[str, Any]:
        self._count()
        try:
            response = fetch(f"{self.base}/v1/querybatch", timeout=self.timeout,
                             max_bytes=self.max_bytes, data=json.dumps(payload).encode())
        except FetchError as err:
            raise OsvUnavailable(str(err)) from None
        if response.status != 200:
            raise OsvUnavailable(f"{self.base}/v1/querybatch answered HTTP {response.status}")
        try:
            data = json.loads(response.body)
        except ValueError:
            raise OsvUnavailable(f"{self.base}/v1/querybatch answered with invalid JSON"
                                 ) from None
        if not isinstance(data, dict) or not isinstance(data.get("results", []), list):
            raise OsvUnavailable(f"{self.base}/v1/querybatch answered in an unknown shape")
        return data

    def _query_ids(self, packages: list[tuple[str, str]]) -> dict[tuple[str, str], list[
            tuple[str, str]]]:
        """(id, modified) of every record for each (ecosystem, name)."""
        found: dict[tuple[str, str], list[tuple[str, str]]] = {p: [] for p in packages}
        pending: list[tuple[tuple[str, str], str | None]] = [(p, None) for p in packages]
        pages = 0
        while pending:
            pages += 1
            if pages > MAX_PAGES * max(1, (len(packages) + BATCH - 1) // BATCH):
                raise OsvUnavailable("the OSV API kept paging: stopped")
            chunk, pending = pending[:BATCH], pending[BATCH:]
            queries: list[dict[str, Any]] = []
            for (ecosystem, name), token in chunk:
                query: dict[str, Any] = {"package": {"ecosystem": ecosystem, "name": name}}
                if token:
                    query["page_token"] = token
                queries.append(query)
            results = self._post({"queries": queries}).get("results", [])
            if len(results) != len(chunk):
                raise OsvUnavailable("the OSV API answered a different number of results")
            for ((key, _), result) in zip(chunk, results, strict=True):
                if not isinstance(result, dict):
                    continue
                for vuln in result.get("vulns", []) or []:
                    if isinstance(vuln, dict) and isinstance(vuln.get("id"), str):
                        found[key].append((vuln["id"], str(vuln.get("modified", ""))))
                token = result.get("next_page_token")
                if isinstance(token, str) and token:
                    pending.append((key, token))
        return found

    def _record(self, ident: str, modified: str) -> Advisory | None:
        cache_key = f"{CACHE_FORMAT}|{ident}|{modified}"
        cached = self.records.get(cache_key, ignore_age=True)
        if cached is not None:
            try:
                return from_compact(cached)
            except InvalidRecord:
                pass
        if self.offline:
            return None
        self._count()
        try:
            response = fetch(f"{self.base}/v1/vulns/{ident}", timeout=self.timeout,
                             max_bytes=self.max_bytes)
        except FetchError as err:
            raise OsvUnavailable(str(err)) from None
        if response.status != 200:
            raise OsvUnavailable(f"{self.base}/v1/vulns/{ident} answered HTTP {response.status}")
        try:
            data = json.loads(response.body)
            advisory = parse_record(data)
        except (ValueError, InvalidRecord) as err:
            raise OsvUnavailable(f"{self.base}/v1/vulns/{ident}: invalid record ({err})"
                                 ) from None
        self.records.put(cache_key, to_compact(advisory))  # checked once, stored compact
        return advisory

    def advisories(self, packages: Iterable[tuple[str, str]]
                   ) -> dict[tuple[str, str], list[Advisory]]:
        """Records for each (ecosystem, name); raises OsvUnavailable when the API cannot
        answer for all of them (offline: when the cache cannot). Within the cache lifetime a
        package's records come from one cache entry and no request is made."""
        wanted = sorted({(e, normalise(e, n)) for e, n in packages})
        out: dict[tuple[str, str], list[Advisory]] = {}
        missing: list[tuple[str, str]] = []
        for key in wanted:
            bundle = self.queries.get(self._bundle_key(key), ignore_age=self.offline)
            try:
                if not isinstance(bundle, list):
                    raise InvalidRecord("no bundle")
                out[key] = [from_compact(item) for item in bundle]
            except InvalidRecord:
                missing.append(key)
        if not missing:
            return out
        if self.offline:
            raise OsvUnavailable(f"offline, and {len(missing)} packages have no cached OSV "
                                 "answer")
        ids = self._query_ids(missing)
        unique = sorted({v for value in ids.values() for v in value})
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            records = dict(zip(unique, pool.map(lambda v: self._record(*v), unique),
                               strict=True))
        for key, value in ids.items():
            advisories = [a for a in (records[v] for v in value) if a is not None]
            self.queries.put(self._bundle_key(key), [to_compact(a) for a in advisories])
            out[key] = advisories
        return out

    @staticmethod
    def _bundle_key(key: tuple[str, str]) -> str:
        return f"{CACHE_FORMAT}|bundle|{key[0]}|{key[1]}"
