"""Real HTTP servers on loopback for the dependency tests: a package registry (PEP 691 JSON
simple API and npm documents) and the OSV API with its export archives. Tests fill them with
data they build; every OSV record is validated against the OSV schema first."""

from __future__ import annotations

import io
import json
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import jsonschema

from distrust.deps.types import normalise

SCHEMAS = Path(__file__).resolve().parents[2] / ".." / "shared" / "schemas"


def osv_validator() -> jsonschema.protocols.Validator:
    schema = json.loads((SCHEMAS / "osv-schema.json").read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


_VALIDATOR: list[jsonschema.protocols.Validator] = []


def validate(record: dict[str, Any]) -> dict[str, Any]:
    if not _VALIDATOR:
        _VALIDATOR.append(osv_validator())
    _VALIDATOR[0].validate(record)
    return record


def record(
    ident: str,
    package: str,
    *,
    ecosystem: str = "PyPI",
    events: list[dict[str, str]] | None = None,
    ranges: list[dict[str, Any]] | None = None,
    versions: list[str] | None = None,
    aliases: list[str] | None = None,
    summary: str = "",
    severity: str | None = None,
    cvss: str | None = None,
    withdrawn: str | None = None,
    modified: str = "2024-05-01T00:00:00Z",
) -> dict[str, Any]:
    """An OSV record, validated against the OSV schema."""
    affected: dict[str, Any] = {"package": {"ecosystem": ecosystem, "name": package}}
    if ranges is None and events is not None:
        ranges = [{"type": "ECOSYSTEM", "events": events}]
    if ranges:
        affected["ranges"] = ranges
    if versions is not None:
        affected["versions"] = versions
    data: dict[str, Any] = {"schema_version": "1.6.0", "id": ident, "modified": modified,
                            "published": "2024-01-01T00:00:00Z", "affected": [affected]}
    if aliases:
        data["aliases"] = aliases
    if summary:
        data["summary"] = summary
    if severity:
        data["database_specific"] = {"severity": severity}
    if cvss:
        data["severity"] = [{"type": "CVSS_V3", "score": cvss}]
    if withdrawn:
        data["withdrawn"] = withdrawn
    return validate(data)


def pypi_doc(name: str, versions: list[str], *, yanked: tuple[str, ...] = (),
             uploaded: str = "2015-03-01T10:00:00Z") -> dict[str, Any]:
    """A PEP 691 project page (with PEP 700 versions and upload times)."""
    files = []
    for version in versions:
        stem = f"{normalise('PyPI', name).replace('-', '_')}-{version}"
        for filename in (f"{stem}.tar.gz", f"{stem}-py3-none-any.whl"):
            files.append({"filename": filename, "url": f"https://files.invalid/{filename}",
                          "hashes": {"sha256": "0" * 64}, "yanked": version in yanked,
                          "upload-time": uploaded})
    return {"meta": {"api-version": "1.1"}, "name": normalise("PyPI", name), "files": files,
            "versions": versions}


def npm_doc(name: str, versions: list[str], *, created: str = "2014-01-01T00:00:00.000Z",
            deprecated: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "name": name,
        "versions": {v: {"name": name, "version": v,
                         **({"deprecated": "do not use"} if v in deprecated else {})}
                     for v in versions},
        "time": {"created": created, "modified": created, **{v: created for v in versions}},
    }


@dataclass
class Behaviour:
    """What the registry does for one name: a document, or a failure."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    delay: float = 0.0
    drip: float = 0.0  # seconds between chunks of 10 bytes


@dataclass
class State:
    pypi: dict[str, Behaviour] = field(default_factory=dict)
    npm: dict[str, Behaviour] = field(default_factory=dict)
    records: list[dict[str, Any]] = field(default_factory=list)
    archives: dict[str, bytes] = field(default_factory=dict)
    page_size: int = 0  # >0: querybatch answers page through results
    osv_status: int = 200
    hits: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_pypi(self, name: str, versions: list[str], **kw: Any) -> None:
        self.pypi[normalise("PyPI", name)] = Behaviour(
            body=json.dumps(pypi_doc(name, versions, **kw)).encode(),
            content_type="application/vnd.pypi.simple.v1+json")

    def add_npm(self, name: str, versions: list[str], **kw: Any) -> None:
        self.npm[name] = Behaviour(body=json.dumps(npm_doc(name, versions, **kw)).encode())

    _index: tuple[tuple[int, int, int], dict[str, dict[str, Any]],
                  dict[tuple[str, str], list[dict[str, Any]]]] | None = None

    def indexes(self) -> tuple[dict[str, dict[str, Any]],
                               dict[tuple[str, str], list[dict[str, Any]]]]:
        """Records by id and by package, rebuilt when the list changes."""
        records = self.records
        stamp = (len(records), id(records[0]) if records else 0,
                 id(records[-1]) if records else 0)
        if self._index is None or self._index[0] != stamp:
            by_id = {r["id"]: r for r in records}
            by_package: dict[tuple[str, str], list[dict[str, Any]]] = {}
            for rec in records:
                for affected in rec.get("affected", []):
                    package = affected.get("package", {})
                    eco = package.get("ecosystem", "")
                    key = (eco, normalise(eco, package.get("name", "")))
                    if rec not in by_package.setdefault(key, []):
                        by_package[key].append(rec)
            self._index = (stamp, by_id, by_package)
        return self._index[1], self._index[2]

    def count(self, prefix: str) -> int:
        with self.lock:
            return sum(1 for h in self.hits if h.startswith(prefix))


def archive_bytes(records: list[dict[str, Any]], extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for rec in records:
            zf.writestr(f"{rec['id']}.json", json.dumps(rec))
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return buffer.getvalue()



class _Handler(BaseHTTPRequestHandler):
    state: State

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, behaviour: Behaviour) -> None:
        if behaviour.delay:
            time.sleep(behaviour.delay)
        try:
            self.send_response(behaviour.status)
            self.send_header("Content-Type", behaviour.content_type)
            self.send_header("Content-Length", str(len(behaviour.body)))
            self.end_headers()
            if behaviour.drip:
                for start in range(0, len(behaviour.body), 10):
                    self.wfile.write(behaviour.body[start : start + 10])
                    self.wfile.flush()
                    time.sleep(behaviour.drip)
            else:
                self.wfile.write(behaviour.body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _json(self, data: Any, status: int = 200) -> None:
        self._send(Behaviour(status=status, body=json.dumps(data).encode()))

    def do_GET(self) -> None:
        state = self.state
        path = unquote(self.path)
        with state.lock:
            state.hits.append(f"GET {path}")
        if path.startswith("/simple/"):
            name = path[len("/simple/"):].strip("/")
            self._send(state.pypi.get(name, Behaviour(404, b"not found", "text/plain")))
        elif path.startswith("/npm/"):
            name = path[len("/npm/"):]
            self._send(state.npm.get(name, Behaviour(404, b'{"error":"Not found"}')))
        elif path.startswith("/v1/vulns/"):
            ident = path[len("/v1/vulns/"):]
            with state.lock:
                found = state.indexes()[0].get(ident)
            if found is not None:
                self._json(found)
            else:
                self._json({"code": 5, "message": "Bug not found."}, 404)
        elif path.startswith("/archive/"):
            ecosystem = path.split("/")[2]
            data = state.archives.get(ecosystem)
            if data is None:
                self._send(Behaviour(404, b"no such archive", "text/plain"))
            elif path.endswith("/cut.zip"):
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                self.close_connection = True
            else:
                self._send(Behaviour(200, data, "application/zip"))
        else:
            self._send(Behaviour(404, b"", "text/plain"))

    def do_POST(self) -> None:
        state = self.state
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length))
        with state.lock:
            state.hits.append(f"POST {self.path}")
        if self.path != "/v1/querybatch" or state.osv_status != 200:
            self._json({"message": "unavailable"}, state.osv_status if state.osv_status != 200
                       else 404)
            return
        results = []
        with state.lock:
            by_package = state.indexes()[1]
        for query in body["queries"]:
            package = query["package"]
            key = (package["ecosystem"], normalise(package["ecosystem"], package["name"]))
            found = [{"id": r["id"], "modified": r["modified"]}
                     for r in by_package.get(key, [])]
            start = int(query.get("page_token", "0"))
            result: dict[str, Any] = {}
            if state.page_size:
                chunk = found[start : start + state.page_size]
                if start + state.page_size < len(found):
                    result["next_page_token"] = str(start + state.page_size)
            else:
                chunk = found
            if chunk:
                result["vulns"] = chunk
            results.append(result)
        self._json({"results": results})


@dataclass
class Server:
    url: str
    state: State
    httpd: ThreadingHTTPServer


def serve(state: State) -> Iterator[Server]:
    handler = type("Handler", (_Handler,), {"state": state})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield Server(f"http://127.0.0.1:{httpd.server_address[1]}", state, httpd)
    finally:
        httpd.shutdown()
        httpd.server_close()
