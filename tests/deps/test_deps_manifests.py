"""Every manifest format: names, constraints, pins, and the line each declaration sits on."""

from __future__ import annotations

import json
from pathlib import Path

from distrust.deps.manifests import discover, read_manifests
from distrust.deps.pyproject import poetry_to_pep440
from distrust.deps.types import Dependency, Ecosystem


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _by_name(deps: tuple[Dependency, ...]) -> dict[str, Dependency]:
    return {d.name: d for d in deps}


def test_requirements_with_includes_hashes_markers_extras(tmp_path: Path) -> None:
    _write(tmp_path, "requirements.txt", "\n".join([
        "# main requirements",
        "-r requirements/base.txt",
        "-c constraints.txt",
        "requests[socks]==2.19.0 ; python_version >= '3.8'  # comment",
        "django>=3.2,<4 \\",
        "    --hash=sha256:" + "a" * 64,
        "-e git+https://example.invalid/repo.git#egg=localpkg",
        "https://example.invalid/pkg-1.0.tar.gz",
        "mypkg @ https://example.invalid/mypkg.whl",
        "--index-url https://example.invalid/simple",
        "not a requirement !!",
        "",
    ]))
    _write(tmp_path, "requirements/base.txt", "urllib3==1.26.0\n-r ../requirements.txt\n")
    _write(tmp_path, "constraints.txt", "idna==2.5\n")
    result = read_manifests(tmp_path)
    deps = _by_name(result.dependencies)
    assert deps["requests"].pinned == "2.19.0"
    assert deps["requests"].span.line == 4
    assert "python_version" in deps["requests"].marker
    assert deps["django"].spec == "<4,>=3.2" and deps["django"].pinned is None
    assert deps["django"].span.line == 5
    assert deps["urllib3"].manifest == "requirements/base.txt"
    assert deps["urllib3"].span.line == 1
    assert deps["idna"].manifest == "constraints.txt"
    unchecked = {d.name: d.reason for d in result.dependencies if not d.checkable}
    assert "localpkg" in unchecked and "editable" in unchecked["localpkg"]
    assert "mypkg" in unchecked and "URL" in unchecked["mypkg"]
    assert any("URL or path" in r for r in unchecked.values())
    assert any("line 11" in reason for _, reason in result.problems)
    # the include cycle back to requirements.txt is read once
    assert sum(1 for d in result.dependencies if d.name == "requests") == 1


def test_include_outside_root_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, "requirements.txt", "-r ../../etc/secret.txt\nflask==2.0.0\n")
    result = read_manifests(tmp_path)
    assert [d.name for d in result.dependencies] == ["flask"]
    assert any("outside the scan root" in reason for _, reason in result.problems)


def test_pyproject_pep621_optional_groups_and_poetry(tmp_path: Path) -> None:
    _write(tmp_path, "pyproject.toml", """\
[build-system]
requires = ["setuptools>=61"]

[project]
name = "demo"
dependencies = [
    "httpx>=0.23",
    "jinja2==2.10",
]

[project.optional-dependencies]
yaml = ["pyyaml==5.3"]

[dependency-groups]
dev = ["pytest==7.0.0", {include-group = "other"}]

[tool.poetry.dependencies]
python = "^3.11"
flask = "^1.0.2"
gitdep = { git = "https://example.invalid/x.git" }
aiohttp = { version = "3.8.1", extras = ["speedups"] }

[tool.poetry.group.test.dependencies]
coverage = "~7.2"
""")
    deps = _by_name(read_manifests(tmp_path).dependencies)
    assert deps["setuptools"].span.line == 2
    assert deps["httpx"].span.line == 7
    assert deps["jinja2"].pinned == "2.10" and deps["jinja2"].span.line == 8
    assert deps["pyyaml"].span.line == 12
    assert deps["pytest"].span.line == 15
    assert "python" not in deps
    assert deps["flask"].spec == ">=1.0.2,<2" and deps["flask"].span.line == 19
    assert not deps["gitdep"].checkable
    assert deps["aiohttp"].pinned == "3.8.1" and deps["aiohttp"].span.line == 21
    assert deps["coverage"].spec == ">=7.2,<7.3" and deps["coverage"].span.line == 24


def test_poetry_constraints() -> None:
    assert poetry_to_pep440("^0.2.3") == ">=0.2.3,<0.3"
    assert poetry_to_pep440("^0.0.3") == ">=0.0.3,<0.0.4"
    assert poetry_to_pep440("~1") == ">=1,<2"
    assert poetry_to_pep440("1.2.3") == "==1.2.3"
    assert poetry_to_pep440("*") == ""
    assert poetry_to_pep440(">=1,<2 || ^3.1") == ">=1,<2 || >=3.1,<4"


def test_lock_files(tmp_path: Path) -> None:
    _write(tmp_path, "poetry.lock", """\
[[package]]
name = "django"
version = "3.2.0"
description = "x"

[[package]]
name = "localthing"
version = "0.1"
[package.source]
type = "directory"
url = "../localthing"
""")
    _write(tmp_path, "uv/uv.lock", """\
version = 1

[[package]]
name = "demo"
version = "0.1.0"
source = { editable = "." }

[[package]]
name = "certifi"
version = "2023.7.22"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "vcsdep"
version = "1.0"
source = { git = "https://example.invalid/x.git" }
""")
    _write(tmp_path, "pipenv/Pipfile.lock", json.dumps({
        "_meta": {"hash": {"sha256": "x"}},
        "default": {"pyjwt": {"hashes": [], "version": "==1.5.0"}},
        "develop": {"localdev": {"path": ".", "editable": True}},
    }, indent=4))
    _write(tmp_path, "pylock/pylock.toml", """\
lock-version = "1.0"
created-by = "tool"

[[packages]]
name = "pillow"
version = "8.0.0"

[[packages]]
name = "fromvcs"
[packages.vcs]
type = "git"
url = "https://example.invalid/x.git"
commit-id = "abc"
""")
    deps = read_manifests(tmp_path).dependencies
    by = {(d.manifest, d.name): d for d in deps}
    assert by[("poetry.lock", "django")].pinned == "3.2.0"
    assert by[("poetry.lock", "django")].span.line == 2
    assert not by[("poetry.lock", "localthing")].checkable
    assert ("uv/uv.lock", "demo") not in by
    assert by[("uv/uv.lock", "certifi")].pinned == "2023.7.22"
    assert by[("uv/uv.lock", "certifi")].span.line == 9
    assert not by[("uv/uv.lock", "vcsdep")].checkable
    assert by[("pipenv/Pipfile.lock", "pyjwt")].pinned == "1.5.0"
    assert by[("pipenv/Pipfile.lock", "pyjwt")].span.line == 8
    assert not by[("pipenv/Pipfile.lock", "localdev")].checkable
    assert by[("pylock/pylock.toml", "pillow")].pinned == "8.0.0"
    assert by[("pylock/pylock.toml", "pillow")].span.line == 5
    assert not by[("pylock/pylock.toml", "fromvcs")].checkable


def test_package_json_and_lock(tmp_path: Path) -> None:
    _write(tmp_path, "package.json", json.dumps({
        "name": "app",
        "dependencies": {"lodash": "^4.17.0", "left-pad": "1.3.0",
                         "aliased": "npm:minimist@1.2.0", "fromgit": "github:user/repo"},
        "devDependencies": {"@types/node": "~18.0.0"},
    }, indent=2))
    _write(tmp_path, "package-lock.json", json.dumps({
        "name": "app", "lockfileVersion": 3,
        "packages": {
            "": {"name": "app"},
            "node_modules/lodash": {"version": "4.17.11",
                                    "resolved": "https://registry.invalid/lodash.tgz"},
            "node_modules/a/node_modules/minimist": {"version": "1.2.0"},
            "node_modules/linked": {"link": True},
            "node_modules/gitthing": {"version": "1.0.0", "resolved": "git+ssh://x/y.git"},
        },
    }, indent=2))
    deps = read_manifests(tmp_path).dependencies
    by = {(d.manifest, d.name): d for d in deps}
    assert by[("package.json", "lodash")].spec == "^4.17.0"
    assert by[("package.json", "lodash")].span.line == 4
    assert by[("package.json", "left-pad")].pinned == "1.3.0"
    assert by[("package.json", "minimist")].pinned == "1.2.0"
    assert not by[("package.json", "fromgit")].checkable
    assert by[("package.json", "@types/node")].span.line == 10
    assert by[("package-lock.json", "lodash")].pinned == "4.17.11"
    assert by[("package-lock.json", "lodash")].span.line == 8
    assert by[("package-lock.json", "minimist")].ecosystem is Ecosystem.NPM
    assert not by[("package-lock.json", "gitthing")].checkable
    assert ("package-lock.json", "linked") not in by


def test_package_lock_v1(tmp_path: Path) -> None:
    _write(tmp_path, "package-lock.json", json.dumps({
        "lockfileVersion": 1,
        "dependencies": {"express": {"version": "4.0.0",
                                     "dependencies": {"qs": {"version": "0.6.0"}}}},
    }, indent=2))
    deps = _by_name(read_manifests(tmp_path).dependencies)
    assert deps["express"].pinned == "4.0.0"
    assert deps["qs"].pinned == "0.6.0" and deps["qs"].span.line > deps["express"].span.line


def test_bad_manifests_become_problems(tmp_path: Path) -> None:
    _write(tmp_path, "pyproject.toml", "[project\nname=")
    _write(tmp_path, "package.json", "[1, 2]")
    (tmp_path / "requirements.txt").write_bytes(b"\xff\xfe\x00bad")
    _write(tmp_path, "sub/requirements-dev.txt", "flask==1.0\n")
    result = read_manifests(tmp_path)
    reasons = dict(result.problems)
    assert "invalid" in reasons["pyproject.toml"].lower() or "malformed" in reasons[
        "pyproject.toml"]
    assert "not an object" in reasons["package.json"]
    assert "UTF-8" in reasons["requirements.txt"]
    assert [d.name for d in result.dependencies] == ["flask"]


def test_discovery_skips_vendored_and_hidden(tmp_path: Path) -> None:
    _write(tmp_path, "requirements.txt", "a==1\n")
    _write(tmp_path, "node_modules/x/package.json", "{}")
    _write(tmp_path, ".venv/requirements.txt", "b==1\n")
    _write(tmp_path, "env2/pyvenv.cfg", "")
    _write(tmp_path, "env2/requirements.txt", "c==1\n")
    _write(tmp_path, "svc/requirements-prod.txt", "d==1\n")
    _write(tmp_path, "notes.txt", "e==1\n")
    assert discover(tmp_path) == ["requirements.txt", "svc/requirements-prod.txt"]


def test_hostile_manifests_are_skipped_not_fatal(tmp_path: Path) -> None:
    _write(tmp_path, "package.json", "[" * 100_000 + "]" * 100_000)
    _write(tmp_path, "pyproject.toml", "x = " + "[" * 50_000 + "]" * 50_000 + "\n")
    _write(tmp_path, "package-lock.json", json.dumps({"packages": {"node_modules/a": 5,
                                                                  "": None}}))
    _write(tmp_path, "uv.lock", '[[package]]\nname = 5\n[[package]]\nversion = "1"\n')
    _write(tmp_path, "requirements.txt", "\x00\x01weird==1\nok-pkg==1.0\n" + "\\\n" * 1000)
    result = read_manifests(tmp_path)
    reasons = dict(result.problems)
    assert "package.json" in reasons and "pyproject.toml" in reasons
    assert [d.name for d in result.dependencies] == ["ok-pkg"]


def test_requirements_include_depth_is_bounded(tmp_path: Path) -> None:
    for i in range(30):
        _write(tmp_path, f"requirements-{i}.txt", f"-r requirements-{i + 1}.txt\npkg{i}==1\n")
    result = read_manifests(tmp_path, ["requirements-0.txt"])
    assert any("nested too deeply" in reason for _, reason in result.problems)
    assert len(result.dependencies) == 17
