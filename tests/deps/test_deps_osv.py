"""OSV records: shape checks, severity, alias merging, withdrawn records."""

from __future__ import annotations

import pytest
from deps_servers import record

from distrust.deps.osv import InvalidRecord, cvss3_score, merge_aliases, parse_record


def test_parse_record_fields() -> None:
    adv = parse_record(record("GHSA-1111-2222-3333", "django", aliases=["CVE-2023-1"],
                              summary="SQL injection in QuerySet\nmore text", severity="HIGH",
                              events=[{"introduced": "0"}, {"fixed": "3.2.19"}]))
    assert adv.id == "GHSA-1111-2222-3333"
    assert adv.aliases == ("CVE-2023-1",)
    assert adv.summary == "SQL injection in QuerySet"
    assert adv.severity == "HIGH"
    assert adv.affected[0].ecosystem == "PyPI"


@pytest.mark.parametrize("bad", [
    [], {"id": "X"}, {"id": "../etc", "modified": "2024-01-01T00:00:00Z"},
    {"id": "X-1", "modified": "yesterday"},
    {"id": "X-1", "modified": "2024-01-01T00:00:00Z", "affected": "nope"},
    {"id": "X-1", "modified": "2024-01-01T00:00:00Z", "affected": [
        {"package": {"ecosystem": "PyPI", "name": "a"},
         "ranges": [{"type": "ECOSYSTEM", "events": [{"fixed": "1"}]}]}]},
    {"id": "X-1", "modified": "2024-01-01T00:00:00Z", "affected": [
        {"package": {"ecosystem": "PyPI", "name": "a"},
         "ranges": [{"type": "OTHER", "events": [{"introduced": "0"}]}]}]},
    {"id": "X-1", "modified": "2024-01-01T00:00:00Z", "aliases": [1, 2]},
])
def test_invalid_records_are_refused(bad: object) -> None:
    with pytest.raises(InvalidRecord):
        parse_record(bad)


def test_cvss_vectors_give_a_severity() -> None:
    assert cvss3_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H") == 9.8
    assert cvss3_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N") == 6.1
    assert cvss3_score("CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:N/I:N/A:N") == 0.0
    assert cvss3_score("CVSS:4.0/AV:N") is None
    adv = parse_record(record("PYSEC-9", "x", events=[{"introduced": "0"}],
                              cvss="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"))
    assert adv.severity == "CRITICAL"


def test_aliases_merge_into_one_group() -> None:
    ghsa = parse_record(record("GHSA-aaaa-bbbb-cccc", "demo", aliases=["CVE-2024-1"],
                               events=[{"introduced": "0"}, {"fixed": "1.1"}]))
    pysec = parse_record(record("PYSEC-2024-1", "demo", aliases=["CVE-2024-1"],
                                events=[{"introduced": "0"}, {"fixed": "1.1"}]))
    chained = parse_record(record("OSV-2024-9", "demo", aliases=["PYSEC-2024-1"],
                                  events=[{"introduced": "0"}, {"fixed": "1.2"}]))
    other = parse_record(record("PYSEC-2024-2", "demo",
                                events=[{"introduced": "0"}, {"fixed": "1.1"}]))
    withdrawn = parse_record(record("PYSEC-2024-3", "demo", withdrawn="2024-02-01T00:00:00Z",
                                    events=[{"introduced": "0"}]))
    groups = merge_aliases([pysec, other, chained, ghsa, withdrawn])
    assert len(groups) == 2
    merged = next(g for g in groups if len(g.members) == 3)
    assert merged.primary.id == "GHSA-aaaa-bbbb-cccc"
    assert set(merged.ids) == {"GHSA-aaaa-bbbb-cccc", "CVE-2024-1", "PYSEC-2024-1",
                               "OSV-2024-9"}
    assert all(g.primary.id != "PYSEC-2024-3" for g in groups)


def test_compact_form_round_trips() -> None:
    from distrust.deps.osv import from_compact, to_compact

    adv = parse_record(record("GHSA-1111-2222-3333", "demo", aliases=["CVE-2024-9"],
                              summary="s", severity="LOW", versions=["1.0"], ranges=[
                                  {"type": "ECOSYSTEM", "events": [{"introduced": "0"},
                                                                   {"last_affected": "1.2"}]},
                                  {"type": "SEMVER", "events": [{"introduced": "2.0.0"},
                                                                {"limit": "3.0.0"}]}]))
    assert from_compact(to_compact(adv)) == adv
    with pytest.raises(InvalidRecord):
        from_compact({"not": "a list"})
    with pytest.raises(InvalidRecord):
        from_compact([1, 2, 3])
