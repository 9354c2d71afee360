"""The install guard and the Claude Code PreToolUse hook, run as real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from deps_servers import Server

from distrust.deps.commands import installs_in
from distrust.deps.guard import parse_install, split_shell


def _env(tmp_path: Path, bin_dir: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "DISTRUST_"))}
    env["DISTRUST_CACHE_DIR"] = str(tmp_path / "cache")
    env["PIP_CONFIG_FILE"] = os.devnull
    if bin_dir is not None:
        env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    return env


def _fake_installer(tmp_path: Path, name: str) -> tuple[Path, Path]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    log = tmp_path / f"{name}.log"
    script = bin_dir / name
    script.write_text(f"#!{sys.executable}\nimport json, sys\n"
                      f"open({str(log)!r}, 'w').write(json.dumps(sys.argv[1:]))\n"
                      "sys.exit(7)\n")
    script.chmod(0o755)
    return bin_dir, log


def _distrust(args: list[str], env: dict[str, str], stdin: str | None = None,
              cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "distrust", *args], input=stdin,
                          capture_output=True, text=True, env=env, cwd=cwd, timeout=60)


def _registry_args(registry: Server) -> list[str]:
    return ["--index-url", f"{registry.url}/simple/", "--npm-registry", f"{registry.url}/npm/",
            "--timeout", "10"]


def test_guard_refuses_missing_and_look_alike(tmp_path: Path, registry: Server) -> None:
    registry.state.add_pypi("reqeusts", ["0.0.1"])  # registered by a squatter
    bin_dir, log = _fake_installer(tmp_path, "pip")
    env = _env(tmp_path, bin_dir)
    done = _distrust(["guard", *_registry_args(registry), "--", "pip", "install",
                      "reqeusts", "flask-jwt-authlib-helper"], env)
    assert done.returncode == 1
    assert "refused" in done.stderr
    assert "'reqeusts'" in done.stderr and "'requests'" in done.stderr
    assert "'flask-jwt-authlib-helper'" in done.stderr and "does not exist" in done.stderr
    assert not log.exists()


def test_guard_runs_the_real_installer_unchanged(tmp_path: Path, registry: Server) -> None:
    registry.state.add_pypi("requests", ["2.31.0"])
    bin_dir, log = _fake_installer(tmp_path, "pip")
    argv = ["install", "--upgrade", "requests==2.31.0", "-i", f"{registry.url}/simple/"]
    done = _distrust(["guard", "--", "pip", *argv], _env(tmp_path, bin_dir))
    assert done.returncode == 7, done.stderr
    assert json.loads(log.read_text()) == argv


def test_guard_reads_requirements_files(tmp_path: Path, registry: Server) -> None:
    (tmp_path / "requirements.txt").write_text("# deps\nrequests==2.31.0\nnotapkg-xyz==1.0\n")
    registry.state.add_pypi("requests", ["2.31.0"])
    bin_dir, log = _fake_installer(tmp_path, "pip")
    done = _distrust(["guard", *_registry_args(registry), "--", "pip", "install", "-r",
                      "requirements.txt"], _env(tmp_path, bin_dir), cwd=tmp_path)
    assert done.returncode == 1
    assert "requirements.txt:3" in done.stderr and not log.exists()


def test_guard_npm_and_unknown_commands(tmp_path: Path, registry: Server) -> None:
    registry.state.add_npm("lodash", ["4.17.21"])
    bin_dir, log = _fake_installer(tmp_path, "npm")
    env = _env(tmp_path, bin_dir)
    refused = _distrust(["guard", *_registry_args(registry), "--", "npm", "install",
                         "lodahs"], env)
    assert refused.returncode == 1 and "'lodash'" in refused.stderr
    ran = _distrust(["guard", *_registry_args(registry), "--", "npm", "i", "lodash@4"], env)
    assert ran.returncode == 7 and json.loads(log.read_text()) == ["i", "lodash@4"]
    unknown = _distrust(["guard", "--", "make", "install"], env)
    assert unknown.returncode == 2 and "not an install command" in unknown.stderr


def test_guard_unreachable_registry_warns_and_strict_refuses(tmp_path: Path) -> None:
    bin_dir, log = _fake_installer(tmp_path, "pip")
    env = _env(tmp_path, bin_dir)
    args = ["guard", "--index-url", "http://127.0.0.1:9/simple/", "--timeout", "1"]
    strict = _distrust([*args, "--strict", "--", "pip", "install", "somepkg"], env)
    assert strict.returncode == 1 and "could not check" in strict.stderr
    assert not log.exists()
    lenient = _distrust([*args, "--", "pip", "install", "somepkg"], env)
    assert lenient.returncode == 7 and "could not check" in lenient.stderr
    assert json.loads(log.read_text()) == ["install", "somepkg"]


def _event(command: str, tool: str = "Bash", cwd: str = "/") -> str:
    return json.dumps({"session_id": "s", "transcript_path": "/dev/null", "cwd": cwd,
                       "hook_event_name": "PreToolUse", "tool_name": tool,
                       "tool_input": {"command": command, "description": "install"}})


def test_hook_denies_invented_packages(tmp_path: Path, registry: Server) -> None:
    registry.state.add_pypi("requests", ["2.31.0"])
    env = _env(tmp_path)
    done = _distrust(["hook", "pre-install", *_registry_args(registry)], env,
                     stdin=_event("cd app && pip install requests flask-jwt-authlib-helper"))
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    output = answer["hookSpecificOutput"]
    assert output["hookEventName"] == "PreToolUse"
    assert output["permissionDecision"] == "deny"
    assert "flask-jwt-authlib-helper" in output["permissionDecisionReason"]
    assert "requests'" not in output["permissionDecisionReason"]


def test_hook_reads_requirements_from_the_event_cwd(tmp_path: Path, registry: Server) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "reqs.txt").write_text("djnago==1.0\n")
    done = _distrust(["hook", "pre-install", *_registry_args(registry)], _env(tmp_path),
                     stdin=_event("pip install -r reqs.txt", cwd=str(project)), cwd=tmp_path)
    reason = json.loads(done.stdout)["hookSpecificOutput"]["permissionDecisionReason"]
    assert "reqs.txt:1" in reason and "'django'" in reason


@pytest.mark.parametrize("stdin", [
    _event("pip install requests"), _event("ls -la"), _event("pip install reqeusts", "Write"),
    json.dumps({"tool_name": "Bash", "tool_input": "not an object"}),
])
def test_hook_stays_silent_otherwise(tmp_path: Path, registry: Server, stdin: str) -> None:
    registry.state.add_pypi("requests", ["2.31.0"])
    done = _distrust(["hook", "pre-install", *_registry_args(registry)], _env(tmp_path),
                     stdin=stdin)
    assert done.returncode == 0 and done.stdout == ""


def test_hook_rejects_garbage_input(tmp_path: Path) -> None:
    done = _distrust(["hook", "pre-install", "--offline"], _env(tmp_path), stdin="{nope")
    assert done.returncode == 2 and "not JSON" in done.stderr


def test_shell_parsing() -> None:
    assert split_shell("a && b || c; d | e\nf") == [["a"], ["b"], ["c"], ["d"], ["e"], ["f"]]
    assert split_shell("echo 'pip install x && y'") == [["echo", "pip install x && y"]]
    nested = installs_in("bash -c 'uv pip install reqeusts' && sudo poetry add djnago@^1")
    assert [(i.tool, [r.name for r in i.requests]) for i in nested] == [
        ("uv pip install", ["reqeusts"]), ("poetry add", ["djnago"])]
    install = parse_install(["python3", "-m", "pip", "install", "-e", ".", "--target", "x",
                             "Flask[async]>=2", "./wheel.whl", "git+https://x/y.git"])
    assert install is not None and [r.name for r in install.requests] == ["Flask"]
    assert parse_install(["pip", "download", "x"]) is None
    scoped = parse_install(["npm", "add", "@types/node@18", "-D", "github:u/r"])
    assert scoped is not None and [r.name for r in scoped.requests] == ["@types/node"]


def test_guard_uses_the_project_configuration(tmp_path: Path, registry: Server) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        f'[tool.distrust.deps]\nindex-url = "{registry.url}/simple/"\ntimeout = 10\n')
    bin_dir, log = _fake_installer(tmp_path, "pip")
    done = _distrust(["guard", "--", "pip", "install", "flask-jwt-authlib-helper"],
                     _env(tmp_path, bin_dir), cwd=project)
    assert done.returncode == 1 and "does not exist" in done.stderr
    assert registry.state.count("GET /simple/flask-jwt-authlib-helper") == 1
    assert not log.exists()
    (project / "pyproject.toml").write_text('[tool.distrust.deps]\nindex_url = "x"\n')
    bad = _distrust(["guard", "--", "pip", "install", "x"], _env(tmp_path, bin_dir), cwd=project)
    assert bad.returncode == 2 and "unknown key" in bad.stderr
