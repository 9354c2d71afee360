"""The DEP rule catalogue, its documentation, and the `[tool.distrust.deps]` configuration."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from distrust.deps.audit import DepsOptions
from distrust.deps.commands import options_from_config
from distrust.errors import ConfigError
from distrust.rules.dependencies import DEPS_RULES

HEADINGS = ["## What it does", "## Why is this bad?", "## Example", "Use instead:",
            "## References"]


@pytest.mark.parametrize("rule", DEPS_RULES, ids=lambda r: r.code)
def test_every_rule_has_its_doc(rule: object) -> None:
    doc = rule.doc  # type: ignore[attr-defined]
    positions = [doc.find(h) for h in HEADINGS]
    assert all(p >= 0 for p in positions), rule
    assert positions == sorted(positions)
    assert re.match(r"^DEP\d{3}$", rule.code)  # type: ignore[attr-defined]


def test_codes_are_unique() -> None:
    codes = [r.code for r in DEPS_RULES]
    names = [r.name for r in DEPS_RULES]
    assert len(set(codes)) == len(codes) and len(set(names)) == len(names)


def test_options_from_config() -> None:
    options = options_from_config({"index-url": "https://mirror.invalid/simple",
                                   "offline": True, "timeout": 3, "recent-days": 7,
                                   "db": "~/adv.sqlite3", "undeclared-imports": False})
    assert options.index_url == "https://mirror.invalid/simple"
    assert options.offline and options.timeout == 3.0 and options.recent_days == 7
    assert options.db_path == Path("~/adv.sqlite3").expanduser()
    assert not options.check_imports
    assert options_from_config({}) == DepsOptions()
    with pytest.raises(ConfigError, match="unknown key 'index_url'"):
        options_from_config({"index_url": "x"})
    with pytest.raises(ConfigError, match="offline"):
        options_from_config({"offline": "yes"})
    with pytest.raises(ConfigError, match="timeout"):
        options_from_config({"timeout": -1})
