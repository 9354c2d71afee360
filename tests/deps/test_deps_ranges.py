"""Version ranges of OSV records, semantic versions and npm ranges, declaration constraints."""

from __future__ import annotations

import pytest
from deps_servers import record

from distrust.deps import ranges, semver
from distrust.deps.osv import parse_record


def _affected(rec: dict[str, object]) -> ranges.Affected:
    return parse_record(rec).affected[0]


@pytest.mark.parametrize(("version", "expected"), [
    ("0.9", False), ("1.0", True), ("1.5", True), ("2.0", False), ("2.5", False),
    ("3.0", True), ("3.1.4", True), ("3.2", False), ("9.9", False),
])
def test_multiple_ranges_with_last_affected(version: str, expected: bool) -> None:
    entry = _affected(record("PYSEC-1", "demo", ranges=[
        {"type": "ECOSYSTEM", "events": [{"introduced": "1.0"}, {"fixed": "2.0"}]},
        {"type": "ECOSYSTEM", "events": [{"introduced": "3.0"}, {"last_affected": "3.1.4"}]},
    ]))
    assert ranges.affects(entry, "PyPI", version) is expected


def test_unfixed_range_affects_everything_after_introduction() -> None:
    entry = _affected(record("PYSEC-2", "demo", events=[{"introduced": "0"}]))
    assert ranges.affects(entry, "PyPI", "0.0.1")
    assert ranges.affects(entry, "PyPI", "99.0")
    assert ranges.fixed_versions(entry) == []


def test_events_out_of_order_and_reintroduced() -> None:
    entry = _affected(record("PYSEC-3", "demo", events=[
        {"fixed": "1.5"}, {"introduced": "2.0"}, {"introduced": "1.0"}, {"fixed": "2.2"}]))
    assert [ranges.affects(entry, "PyPI", v) for v in ("0.5", "1.2", "1.6", "2.1", "2.2")] == \
        [False, True, False, True, False]


def test_prereleases_and_epochs_follow_pep440() -> None:
    entry = _affected(record("PYSEC-4", "demo", events=[{"introduced": "0"}, {"fixed": "2.0"}]))
    assert ranges.affects(entry, "PyPI", "2.0rc1")
    assert ranges.affects(entry, "PyPI", "2.0.dev3")
    assert not ranges.affects(entry, "PyPI", "2.0.post1")
    assert not ranges.affects(entry, "PyPI", "1!1.0")  # the epoch puts it above 2.0
    epoch = _affected(record("PYSEC-5", "demo", events=[{"introduced": "1!0"},
                                                        {"fixed": "1!2.0"}]))
    assert ranges.affects(epoch, "PyPI", "1!1.5")
    assert not ranges.affects(epoch, "PyPI", "5.0")


def test_limit_bounds_the_range() -> None:
    entry = _affected(record("PYSEC-6", "demo", events=[{"introduced": "1.0"},
                                                        {"limit": "1.8"}]))
    assert ranges.affects(entry, "PyPI", "1.7")
    assert not ranges.affects(entry, "PyPI", "1.8")


def test_explicit_versions_and_git_ranges() -> None:
    entry = _affected(record("PYSEC-7", "demo", versions=["1.0.0", "1.1"], ranges=[
        {"type": "GIT", "repo": "https://example.invalid/r.git",
         "events": [{"introduced": "0"}, {"fixed": "a" * 40}]}]))
    assert ranges.affects(entry, "PyPI", "1.0")  # PEP 440 equal to 1.0.0
    assert ranges.affects(entry, "PyPI", "1.1")
    assert not ranges.affects(entry, "PyPI", "1.2")


def test_npm_semver_ranges_in_records() -> None:
    entry = _affected(record("GHSA-aaaa-bbbb-cccc", "lodash", ecosystem="npm", ranges=[
        {"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "4.17.12"}]}]))
    assert ranges.affects(entry, "npm", "4.17.11")
    assert ranges.affects(entry, "npm", "4.17.12-beta.1")
    assert not ranges.affects(entry, "npm", "4.17.12")
    assert not ranges.affects(entry, "npm", "not-a-version")


def test_semver_precedence() -> None:
    order = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
             "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.10.0", "2.0.0"]
    parsed = [semver.parse(v) for v in order]
    assert all(p is not None for p in parsed)
    assert sorted(parsed, key=lambda p: p) == parsed  # type: ignore[arg-type,return-value]
    assert semver.parse("v1.2.3+build.5") == semver.parse("1.2.3")
    assert semver.parse("1.x") is None


@pytest.mark.parametrize(("spec", "yes", "no"), [
    ("^1.2.3", ["1.2.3", "1.9.9"], ["1.2.2", "2.0.0", "1.3.0-rc.1"]),
    ("^0.2.3", ["0.2.9"], ["0.3.0"]),
    ("^0.0.3", ["0.0.3"], ["0.0.4"]),
    ("~1.2.3", ["1.2.9"], ["1.3.0"]),
    ("~1", ["1.9.0"], ["2.0.0"]),
    ("1.2.x", ["1.2.0", "1.2.7"], ["1.3.0"]),
    ("*", ["0.0.1", "5.0.0"], ["5.0.0-beta.1"]),
    (">=1.0.0 <1.5.0", ["1.4.9"], ["1.5.0", "0.9.0"]),
    ("1.0.0 - 1.2", ["1.2.9"], ["1.3.0"]),
    ("<1.0.0 || >=2.0.0", ["0.5.0", "2.1.0"], ["1.5.0"]),
    (">1.2", ["1.3.0"], ["1.2.5"]),
    ("<=1.2", ["1.2.9"], ["1.3.0"]),
    ("^1.2.3-beta.2", ["1.2.3-beta.3", "1.2.3"], ["1.2.4-beta.1", "1.2.3-beta.1"]),
])
def test_npm_ranges(spec: str, yes: list[str], no: list[str]) -> None:
    for version in yes:
        assert ranges.admits("npm", spec, version), (spec, version)
    for version in no:
        assert not ranges.admits("npm", spec, version), (spec, version)


def test_pep440_constraints_and_alternatives() -> None:
    assert ranges.admits("PyPI", ">=3.2,<4", "3.2.5")
    assert not ranges.admits("PyPI", ">=3.2,<4", "4.0")
    assert not ranges.admits("PyPI", ">=3.2", "4.0rc1")  # pre-releases only when asked for
    assert ranges.admits("PyPI", ">=4.0rc1", "4.0rc2")
    assert ranges.admits("PyPI", "", "1.0")
    assert ranges.admits("PyPI", ">=1,<2 || >=3.1,<4", "3.5")
    assert not ranges.admits("PyPI", ">=1,<2 || >=3.1,<4", "2.5")
    assert not ranges.spec_is_valid("PyPI", "=>1.0")
