"""Every rule's fixture: the reported (file, line, code) triples equal the annotations exactly.

A fixture is a folder `tests/fixtures/rules/<CODE>/` (several modules, so flows can cross
files). A flagged line ends with `# expect: CODE` and a deliberately safe look-alike with
`# ok: CODE`. Each rule has both kinds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from distrust.config import Config
from distrust.rules import ALL_RULES, CODE_RULES
from distrust.scan import scan, select_rules

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "rules"
ANNOTATION = re.compile(r"#\s*(expect|ok):\s*([A-Z0-9_, ]+)")
# Dependency rules (DEP) are tested against loopback registries in tests/deps.
CODES = sorted(rule.code for rule in CODE_RULES)


def annotations(folder: Path, code: str) -> tuple[set[tuple[str, int]], int]:
    expected: set[tuple[str, int]] = set()
    ok = 0
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(folder).as_posix()
        text = path.read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            for kind, codes in ANNOTATION.findall(line):
                if code not in [c.strip() for c in codes.split(",")]:
                    continue
                if kind == "expect":
                    expected.add((rel, number))
                else:
                    ok += 1
    return expected, ok


@pytest.mark.parametrize("code", CODES)
def test_fixture_matches_annotations(code: str, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = FIXTURES / code
    assert folder.is_dir(), f"rule {code} has no fixture folder {folder.name}"
    expected, ok = annotations(folder, code)
    assert expected, f"{code}: the fixture flags nothing (no `# expect: {code}`)"
    assert ok, f"{code}: the fixture has no safe look-alike (no `# ok: {code}`)"
    monkeypatch.chdir(folder)
    rules = select_rules(ALL_RULES, [code], [])
    rules = tuple(r for r in rules if r.code == code)
    outcome = scan([Path(".")], Config(), rules=rules)
    assert not outcome.failures
    reported = {(f.location.path, f.location.line) for f in outcome.result.findings
                if f.rule == code}
    missing = sorted(expected - reported)
    extra = sorted(reported - expected)
    assert not missing and not extra, f"{code}: missed {missing}; false alarms {extra}"
