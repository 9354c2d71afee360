"""Every rule's documentation: it exists, has the agreed sections in the agreed order, its code
examples are valid Python, it links the rule's CWE entry, and `distrust rules` shows it.

For the injection rules the examples are also checked against the scanner itself: the
`Example` code must be reported by its rule and the `Use instead` code must not."""

from __future__ import annotations

import ast
import re
from importlib import resources
from pathlib import Path

import pytest

from distrust import cli
from distrust.config import Config
from distrust.rules import ALL_RULES, injection
from distrust.rules.rule import Rule
from distrust.scan import scan

HEADINGS = ("## What it does", "## Why is this bad?", "## Example", "Use instead:",
            "## References")
KNOWN_PROBLEMS = "## Known problems"
PYTHON_BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
RULES = {rule.code: rule for rule in ALL_RULES}
CODES = sorted(RULES)
INJECTION_CODES = sorted(rule.code for rule in injection.RULES)


def doc_text(code: str) -> str:
    path = resources.files("distrust.rules").joinpath("docs", f"{code}.md")
    assert path.is_file(), f"rule {code} has no documentation (src/distrust/rules/docs/{code}.md)"
    return path.read_text(encoding="utf-8")


def heading_lines(lines: list[str], heading: str) -> list[int]:
    """Indexes of the lines that are `heading`; `Use instead:` may go on with a sentence."""
    if heading == "Use instead:":
        return [i for i, line in enumerate(lines) if line.startswith("Use instead:")]
    return [i for i, line in enumerate(lines) if line.rstrip() == heading]


def sections(code: str) -> dict[str, str]:
    """The text under each required heading, up to the next one."""
    lines = doc_text(code).splitlines()
    starts = []
    for heading in HEADINGS:
        found = heading_lines(lines, heading)
        assert len(found) == 1, f"{code}: `{heading}` appears {len(found)} times, not once"
        starts.append(found[0])
    assert starts == sorted(starts), f"{code}: the sections are not in the order {HEADINGS}"
    ends = [*starts[1:], len(lines)]
    known = heading_lines(lines, KNOWN_PROBLEMS)
    if known:
        ends[-1] = known[0]
    return {heading: "\n".join(lines[start + 1 : end])
            for heading, start, end in zip(HEADINGS, starts, ends, strict=True)}


def python_blocks(text: str) -> list[str]:
    return PYTHON_BLOCK.findall(text)


@pytest.mark.parametrize("code", CODES)
def test_doc_has_the_sections_in_order(code: str) -> None:
    lines = doc_text(code).splitlines()
    sections(code)
    known = heading_lines(lines, KNOWN_PROBLEMS)
    assert len(known) <= 1, f"{code}: `{KNOWN_PROBLEMS}` appears {len(known)} times"
    allowed = {h for h in HEADINGS if h.startswith("## ")} | {KNOWN_PROBLEMS}
    second_level = [line.rstrip() for line in lines if line.startswith("## ")]
    unexpected = [h for h in second_level if h not in allowed]
    assert not unexpected, f"{code}: unexpected sections {unexpected}"
    if known:
        references = heading_lines(lines, "## References")[0]
        assert known[0] > references, f"{code}: `{KNOWN_PROBLEMS}` comes before the references"
        later = [line for line in lines[known[0] + 1 :] if line.startswith("## ")]
        assert not later, f"{code}: `{KNOWN_PROBLEMS}` is not the last section ({later})"


@pytest.mark.parametrize("code", CODES)
@pytest.mark.parametrize("section", ["## Example", "Use instead:"])
def test_code_examples_are_valid_python(code: str, section: str) -> None:
    text = sections(code)[section]
    blocks = python_blocks(text)
    if RULES[code].check is None and RULES[code].sink_kind is None:
        # Dependency rules show manifests (requirements, pyproject.toml), not Python.
        assert "```" in text, f"{code}: `{section}` has no fenced example"
    else:
        assert blocks, f"{code}: `{section}` has no ```python block"
    for block in blocks:
        try:
            ast.parse(block)
        except SyntaxError as err:
            pytest.fail(f"{code}: a ```python block under `{section}` does not parse: {err}")


@pytest.mark.parametrize("code", CODES)
def test_references_link_the_cwe_entry(code: str) -> None:
    link = f"https://cwe.mitre.org/data/definitions/{RULES[code].cwe}.html"
    references = sections(code)["## References"]
    assert link in references, f"{code}: the references do not link {link}"
    items = [line for line in references.splitlines() if line.strip()]
    assert items and all(line.startswith("- ") for line in items), \
        f"{code}: the references are not a bulleted list"


@pytest.mark.parametrize("code", CODES)
def test_rules_command_prints_the_doc(code: str, capsys: pytest.CaptureFixture[str]) -> None:
    doc = doc_text(code)
    assert cli.main(["rules", code]) == 0
    out = capsys.readouterr().out
    assert doc.rstrip() in out
    assert f"CWE-{RULES[code].cwe}" in out


def test_rules_command_lists_every_rule(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["rules"]) == 0
    lines = capsys.readouterr().out.splitlines()
    for rule in ALL_RULES:
        mine = [line for line in lines if line.split()[:1] == [rule.code]]
        assert len(mine) == 1, f"`distrust rules` shows {rule.code} {len(mine)} times"
        assert re.search(rf"\bCWE-{rule.cwe}\b", mine[0]), f"{rule.code}: no CWE-{rule.cwe}"
        assert rule.owasp in mine[0], f"{rule.code}: no OWASP category {rule.owasp!r}"


def findings_for(rule: Rule, source: str, folder: Path,
                 monkeypatch: pytest.MonkeyPatch) -> list[int]:
    folder.mkdir()
    (folder / "app.py").write_text(source, encoding="utf-8")
    monkeypatch.chdir(folder)
    outcome = scan([Path(".")], Config(), rules=(rule,))
    assert not outcome.failures, outcome.failures
    return [f.location.line for f in outcome.result.findings if f.rule == rule.code]


@pytest.mark.parametrize("code", INJECTION_CODES)
def test_injection_examples_match_the_scanner(code: str, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    rule = RULES[code]
    parts = sections(code)
    flawed = "\n".join(python_blocks(parts["## Example"]))
    fixed = "\n".join(python_blocks(parts["Use instead:"]))
    assert findings_for(rule, flawed, tmp_path / "example", monkeypatch), \
        f"{code}: the scanner does not report the doc's Example"
    reported = findings_for(rule, fixed, tmp_path / "fixed", monkeypatch)
    assert not reported, f"{code}: the scanner reports the doc's `Use instead` code at {reported}"
