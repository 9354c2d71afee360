"""Registry answers: found, missing, failing, slow, garbage, too large; the cache; which index
is asked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from deps_servers import Behaviour, Server

from distrust.deps.cache import JsonCache
from distrust.deps.registry import DEFAULT_PYPI_INDEX, RegistryClient, resolve_index_url
from distrust.deps.types import Ecosystem


def _client(registry: Server, tmp_path: Path, timeout: float = 10.0, **kw: object
            ) -> RegistryClient:
    return RegistryClient(JsonCache(tmp_path / "reg", 3600), pypi_index=f"{registry.url}/simple",
                          npm_registry=f"{registry.url}/npm/", timeout=timeout,
                          **kw)  # type: ignore[arg-type]


def test_pypi_project_page(registry: Server, tmp_path: Path) -> None:
    registry.state.add_pypi("Django", ["3.2.0", "4.2.0"], yanked=("3.2.0",),
                            uploaded="2010-01-01T00:00:00Z")
    info = _client(registry, tmp_path).lookup(Ecosystem.PYPI, "django")
    assert info.exists is True
    assert set(info.versions) == {"3.2.0", "4.2.0"}
    assert info.yanked == ("3.2.0",)
    assert info.created == "2010-01-01"


def test_npm_document(registry: Server, tmp_path: Path) -> None:
    registry.state.add_npm("@scope/thing", ["1.0.0", "1.1.0"], deprecated=("1.0.0",))
    info = _client(registry, tmp_path).lookup(Ecosystem.NPM, "@scope/thing")
    assert info.exists is True and info.yanked == ("1.0.0",)
    assert info.created == "2014-01-01"


def test_npm_document_without_created_date(registry: Server, tmp_path: Path) -> None:
    doc = {"name": "thing", "versions": {"1.0.0": {}, "1.1.0": {}},
           "time": {"1.1.0": "2021-05-01T00:00:00Z", "1.0.0": "2020-02-03T00:00:00Z"}}
    registry.state.npm["thing"] = Behaviour(body=json.dumps(doc).encode())
    info = _client(registry, tmp_path).lookup(Ecosystem.NPM, "thing")
    assert info.exists is True and info.created == "2020-02-03"


def test_missing_package_is_false(registry: Server, tmp_path: Path) -> None:
    client = _client(registry, tmp_path)
    assert client.lookup(Ecosystem.PYPI, "flask-jwt-authlib-helper").exists is False
    assert client.lookup(Ecosystem.NPM, "no-such-thing").exists is False


@pytest.mark.parametrize(("behaviour", "words"), [
    (Behaviour(status=500, body=b"oops", content_type="text/plain"), "HTTP 500"),
    (Behaviour(body=b"\x00garbage{", content_type="application/vnd.pypi.simple.v1+json"),
     "invalid JSON"),
    (Behaviour(body=b'["a list"]', content_type="application/vnd.pypi.simple.v1+json"),
     "unknown shape"),
    (Behaviour(delay=6.0, body=b"{}"), "timed out"),
    (Behaviour(drip=0.5, body=b'{"files": []}' + b" " * 80), "no complete answer"),
])
def test_failures_are_unknown_not_a_pass(registry: Server, tmp_path: Path,
                                         behaviour: Behaviour, words: str) -> None:
    registry.state.pypi["flaky"] = behaviour
    client = _client(registry, tmp_path, timeout=2.0)
    info = client.lookup(Ecosystem.PYPI, "flaky")
    assert info.exists is None
    assert words in info.error
    # failures are not cached: the next run asks again
    registry.state.add_pypi("flaky", ["1.0"])
    assert _client(registry, tmp_path).lookup(Ecosystem.PYPI, "flaky").exists is True


def test_unreachable_registry(tmp_path: Path) -> None:
    client = RegistryClient(JsonCache(tmp_path / "reg", 3600),
                            pypi_index="http://127.0.0.1:9/simple/", timeout=1.0)
    info = client.lookup(Ecosystem.PYPI, "requests")
    assert info.exists is None and info.error


def test_answers_are_size_bounded(registry: Server, tmp_path: Path) -> None:
    huge = json.dumps({"files": [], "pad": "x" * 300_000}).encode()
    registry.state.pypi["huge"] = Behaviour(body=huge,
                                            content_type="application/vnd.pypi.simple.v1+json")
    info = _client(registry, tmp_path, max_bytes=100_000).lookup(Ecosystem.PYPI, "huge")
    # the status said it exists; the details were not read past the limit
    assert info.exists is True and info.versions == ()


def test_answers_are_cached(registry: Server, tmp_path: Path) -> None:
    registry.state.add_pypi("requests", ["2.31.0"])
    first = _client(registry, tmp_path)
    infos = first.lookup_many([(Ecosystem.PYPI, "requests"), (Ecosystem.PYPI, "Requests"),
                               (Ecosystem.PYPI, "nothere")])
    assert len(infos) == 2 and first.requests == 2
    second = _client(registry, tmp_path)
    again = second.lookup_many([(Ecosystem.PYPI, "requests"), (Ecosystem.PYPI, "nothere")])
    assert second.requests == 0
    assert again[(Ecosystem.PYPI, "requests")].from_cache
    assert again[(Ecosystem.PYPI, "nothere")].exists is False
    offline = _client(registry, tmp_path / "other", offline=True)
    assert offline.lookup(Ecosystem.PYPI, "requests").exists is None


def test_html_index_counts_as_existing(registry: Server, tmp_path: Path) -> None:
    registry.state.pypi["private-pkg"] = Behaviour(
        body=b"<html><a href='x.whl'>x</a></html>", content_type="text/html")
    assert _client(registry, tmp_path).lookup(Ecosystem.PYPI, "private-pkg").exists is True


def test_credentials_in_index_url_are_sent_and_never_shown(registry: Server,
                                                            tmp_path: Path) -> None:
    registry.state.pypi["boom"] = Behaviour(status=503, body=b"", content_type="text/plain")
    url = registry.url.replace("http://", "http://user:s3cret@") + "/simple/"
    client = RegistryClient(JsonCache(tmp_path / "reg", 3600), pypi_index=url, timeout=1.0)
    info = client.lookup(Ecosystem.PYPI, "boom")
    assert info.exists is None and "s3cret" not in info.error


def test_index_url_resolution(tmp_path: Path) -> None:
    conf = tmp_path / "pip.conf"
    conf.write_text("[global]\nindex-url = https://pip-conf.invalid/simple\n")
    env = {"PIP_CONFIG_FILE": str(conf), "HOME": str(tmp_path)}
    assert resolve_index_url(None, None, env) == "https://pip-conf.invalid/simple"
    env["PIP_INDEX_URL"] = "https://env.invalid/simple"
    assert resolve_index_url(None, None, env) == "https://env.invalid/simple"
    assert resolve_index_url(None, "https://cfg.invalid/", env) == "https://cfg.invalid/"
    assert resolve_index_url("https://cli.invalid/", "https://cfg.invalid/", env) == \
        "https://cli.invalid/"
    system = tmp_path / "etc-pip.conf"
    assert resolve_index_url(None, None, {"HOME": str(tmp_path / "none")}, system) == \
        DEFAULT_PYPI_INDEX
    system.write_text("[global]\nindex-url = https://system.invalid/simple\n")
    assert resolve_index_url(None, None, {"HOME": str(tmp_path / "none")}, system) == \
        "https://system.invalid/simple"
    user = tmp_path / "home" / ".config" / "pip"
    user.mkdir(parents=True)
    (user / "pip.conf").write_text("[install]\nindex-url = https://user.invalid/simple\n")
    assert resolve_index_url(None, None, {"HOME": str(tmp_path / "home")}, system) == \
        "https://user.invalid/simple"
