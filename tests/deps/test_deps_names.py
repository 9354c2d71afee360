"""Look-alike names against the shipped popular lists, and undeclared imports."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from distrust.deps.audit import DepsOptions, audit
from distrust.deps.imports import imports_of, undeclared
from distrust.deps.lookalike import is_popular, load_names, look_alike
from distrust.deps.popular_list import main as regenerate
from distrust.deps.types import Ecosystem


@pytest.mark.parametrize(("name", "target"), [
    ("reqeusts", "requests"), ("requets", "requests"), ("requestss", "requests"),
    ("djnago", "django"), ("python-requests", "requests"), ("requests-py", "requests"),
    ("reque5ts", "requests"), ("Nump_Y", "numpy"), ("nunpy", "numpy"), ("pandsa", "pandas"),
])
def test_pypi_look_alikes(name: str, target: str | None) -> None:
    found = look_alike(Ecosystem.PYPI, name)
    assert (found.target if found else None) == target


@pytest.mark.parametrize("name", ["requests", "Django", "flask", "numpy", "pyyaml",
                                  "flask-jwt-authlib-helper", "my-internal-tool", "six"])
def test_popular_and_unrelated_names_are_not_look_alikes(name: str) -> None:
    assert look_alike(Ecosystem.PYPI, name) is None


def test_npm_look_alikes() -> None:
    assert look_alike(Ecosystem.NPM, "lodahs").target == "lodash"  # type: ignore[union-attr]
    assert look_alike(Ecosystem.NPM, "expresss").target == "express"  # type: ignore[union-attr]
    assert look_alike(Ecosystem.NPM, "express") is None


def test_popular_lists_ship_with_the_package() -> None:
    pypi = load_names(Ecosystem.PYPI)
    npm = load_names(Ecosystem.NPM)
    assert len(pypi) > 10000 and len(npm) > 10000
    assert "requests" in pypi[:50] and "lodash" in npm[:500]
    assert is_popular(Ecosystem.PYPI, "Requests")


def test_regeneration_command(tmp_path: Path) -> None:
    pypi = tmp_path / "pypi.tsv"
    pypi.write_text("name\tversion\tmonth\trank_among_most_downloaded\tsummary\n"
                    "zeta\t1\t2024-01\t2\tz\nalpha\t1\t2024-01\t1\ta\nnoise\t1\t2024-01\t\tn\n")
    npm = tmp_path / "npm.tsv"
    npm.write_text("name\tversion\tdownloads_a_month\tsummary\n"
                   "small\t1\t10\ts\nbig\t1\t1000\tb\n")
    assert regenerate(["--pypi", str(pypi), "--npm", str(npm), "--out", str(tmp_path)]) == 0
    lines = (tmp_path / "popular-pypi.txt").read_text().splitlines()
    assert [ln for ln in lines if not ln.startswith("#")] == ["alpha", "zeta"]
    lines = (tmp_path / "popular-npm.txt").read_text().splitlines()
    assert [ln for ln in lines if not ln.startswith("#")] == ["big", "small"]


def test_imports_of_skips_optional_and_relative() -> None:
    text = (
        "import os, yaml\n"
        "from bs4 import BeautifulSoup\n"
        "from . import sibling\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    import onlytyping\n"
        "try:\n"
        "    import ujson as json\n"
        "except ImportError:\n"
        "    import json\n"
        "def f():\n"
        "    import cv2.dnn\n"
        "x = 'é'; import sklearn.svm\n"
    )
    uses = imports_of(text, "app.py")
    assert not isinstance(uses, str)
    assert [(u.module, u.line) for u in uses] == [
        ("os", 1), ("yaml", 1), ("bs4", 2), ("typing", 4), ("json", 10), ("cv2", 12),
        ("sklearn", 13)]
    assert uses[-1].column == 10  # after the non-ASCII character, counted in code points
    assert isinstance(imports_of("def (:\n", "bad.py"), str)


def test_undeclared_uses_the_import_name_map() -> None:
    uses = imports_of("import yaml, cv2, PIL, bs4, sklearn, dateutil, flask_cors, os, mylib,"
                      " zzzunknownmod\n", "a.py")
    assert not isinstance(uses, str)
    declared = ["PyYAML", "opencv-python-headless", "pillow", "beautifulsoup4",
                "scikit-learn", "python-dateutil", "Flask-Cors"]
    missing = undeclared(uses, declared, {"mylib"}, use_installed=False)
    assert [u.module for u in missing] == ["zzzunknownmod"]
    missing = undeclared(uses, [], {"mylib"}, use_installed=False)
    assert [u.module for u in missing] == ["yaml", "cv2", "PIL", "bs4", "sklearn", "dateutil",
                                           "flask_cors", "zzzunknownmod"]


def test_undeclared_imports_in_audit(tmp_path: Path, options: DepsOptions) -> None:
    (tmp_path / "requirements.txt").write_text("PyYAML==6.0\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "helpers.py").write_text("X = 1\n")
    (tmp_path / "app.py").write_text(
        "import yaml\nimport pkg.helpers\nimport helpers\nimport zzzinventedmod\n"
        "from zzzinventedmod import thing\n")
    (tmp_path / "broken.py").write_text("def (:\n")
    offline = replace(options, check_registry=False, check_vulnerabilities=False)
    result = audit(tmp_path, offline)
    found = [(f.rule, f.location.path, f.location.line) for f in result.findings]
    assert found == [("DEP004", "app.py", 4), ("DEP004", "app.py", 5)]
    assert result.findings[0].fingerprint != result.findings[1].fingerprint
    assert [s.path for s in result.skipped] == ["broken.py"]
    # no Python manifest: nothing to compare imports with
    (tmp_path / "requirements.txt").unlink()
    assert audit(tmp_path, offline).findings == ()


def test_each_service_of_a_monorepo_has_its_own_declarations(tmp_path: Path,
                                                              options: DepsOptions) -> None:
    for service, dep in (("billing", "stripe==7.0.0"), ("search", "elasticsearch==8.0.0")):
        folder = tmp_path / "services" / service
        (folder / "requirements").mkdir(parents=True)
        (folder / "requirements" / "base.txt").write_text(dep + "\n")
        (folder / "main.py").write_text("import stripe\nimport elasticsearch\n")
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "tool.py").write_text("import zzzungoverned\n")
    result = audit(tmp_path, replace(options, check_registry=False,
                                     check_vulnerabilities=False))
    found = sorted((f.location.path, f.location.line) for f in result.findings)
    assert found == [("services/billing/main.py", 2), ("services/search/main.py", 1)]
    assert "services/search/requirements/base.txt" in result.findings[1].message


def test_long_names_two_edits_away() -> None:
    from distrust.deps.lookalike import distance

    assert look_alike(Ecosystem.PYPI, "beautifulsup").target == "beautifulsoup4"  # type: ignore[union-attr]
    assert look_alike(Ecosystem.PYPI, "matplotlib") is None
    assert look_alike(Ecosystem.PYPI, "totally-unrelated-name") is None
    assert [distance(a, b) for a, b in [("reqeusts", "requests"), ("kitten", "sitting"),
                                        ("ca", "abc"), ("", "ab"), ("same", "same")]] == \
        [1, 3, 3, 2, 0]
