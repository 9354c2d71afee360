"""The tools under test: how to run each one and how to read its findings.

Every tool is reduced to the same finding shape (file, line, CWE, rule) so that accuracy and speed
code never needs to know which tool it is looking at.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from harness.ruff_cwe import RUFF_S_CWE

BENCH_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = BENCH_DIR.parent
PEER_REQUIREMENTS = BENCH_DIR / "requirements-peers.txt"
PEERS = ("bandit", "ruff", "semgrep")

_CWE_RE = re.compile(r"(\d+)")


@dataclass(frozen=True)
class ToolFinding:
    path: str  # as the tool printed it
    line: int
    cwe: int | None
    rule: str

    @property
    def filename(self) -> str:
        return self.path.replace("\\", "/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Tool:
    name: str
    version: str
    # Builds argv for a scan of `target` (run with cwd=`target`): options -> argv.
    argv: Callable[[dict[str, object]], list[str]]
    parse: Callable[[Path], list[ToolFinding]]
    ok_codes: frozenset[int]
    features: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Unavailable:
    name: str
    reason: str


def cwe_number(value: object) -> int | None:
    """CWE of a finding from whatever the tool printed: 89, "89", "CWE-89", ["CWE-89: ..."]."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("id")
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, str):
        match = _CWE_RE.search(value)
        if match:
            number = int(match.group(1))
            return number if number > 0 else None
    return None


def _load_json(path: Path) -> object:
    text = path.read_text(encoding="utf-8", errors="replace").strip()
    if not text:
        raise ValueError("the tool printed nothing on stdout")
    return json.loads(text)


def parse_distrust(path: Path) -> list[ToolFinding]:
    data = _load_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("findings"), list):
        raise ValueError("distrust JSON has no 'findings' list")
    found = []
    for item in data["findings"]:
        if not isinstance(item, dict) or item.get("suppressed"):
            continue
        found.append(
            ToolFinding(
                path=str(item.get("path", "")),
                line=int(item.get("line") or 0),
                cwe=cwe_number(item.get("cwe")),
                rule=str(item.get("rule", "")),
            )
        )
    return found


def parse_bandit(path: Path) -> list[ToolFinding]:
    data = _load_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise ValueError("Bandit JSON has no 'results' list")
    return [
        ToolFinding(
            path=str(item.get("filename", "")),
            line=int(item.get("line_number") or 0),
            cwe=cwe_number(item.get("issue_cwe")),
            rule=str(item.get("test_id", "")),
        )
        for item in data["results"]
    ]


def parse_ruff(path: Path) -> list[ToolFinding]:
    data = _load_json(path)
    if not isinstance(data, list):
        raise ValueError("Ruff JSON is not a list")
    found = []
    for item in data:
        code = str(item.get("code") or "")
        location = item.get("location") or {}
        found.append(
            ToolFinding(
                path=str(item.get("filename", "")),
                line=int(location.get("row") or 0),
                cwe=RUFF_S_CWE.get(code),
                rule=code,
            )
        )
    return found


# The official scorecard's Semgrep reader keeps a rule's first CWE as it is, except CWE-696
# (Incorrect Behavior Order), which it counts as CWE-327.
_SEMGREP_TRANSLATE = {696: 327}


def parse_semgrep(path: Path) -> list[ToolFinding]:
    data = _load_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise ValueError("Semgrep JSON has no 'results' list")
    found = []
    for item in data["results"]:
        metadata = (item.get("extra") or {}).get("metadata") or {}
        cwe = cwe_number(metadata.get("cwe"))
        if cwe is not None:
            cwe = _SEMGREP_TRANSLATE.get(cwe, cwe)
        found.append(
            ToolFinding(
                path=str(item.get("path", "")),
                line=int((item.get("start") or {}).get("line") or 0),
                cwe=cwe,
                rule=str(item.get("check_id", "")).rsplit(".", 1)[-1],
            )
        )
    return found


# ---------------------------------------------------------------------------------------------
# Locating and installing the tools


def default_distrust() -> list[str]:
    """The distrust command of the environment running the harness."""
    beside = Path(sys.executable).parent / "distrust"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("distrust")
    if found:
        return [found]
    return [sys.executable, "-m", "distrust"]


def _output_of(argv: list[str]) -> tuple[str | None, str]:
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, str(exc)
    if done.returncode != 0:
        return None, (done.stderr or done.stdout).strip()[-300:] or f"exit {done.returncode}"
    return (done.stdout or done.stderr).strip(), ""


def _version_of(argv: list[str]) -> tuple[str | None, str]:
    text, why = _output_of(argv)
    if text is None:
        return None, why
    return (text.splitlines()[0] if text else "?"), ""


def compile_distrust() -> None:
    """Compile the bytecode of the distrust package of the harness's environment, as an
    installed wheel (and pip, for the peers) has it: an editable install run with
    PYTHONDONTWRITEBYTECODE would otherwise compile its modules again on every run."""
    spec = importlib.util.find_spec("distrust")
    if spec is None or not spec.submodule_search_locations:
        return
    for folder in spec.submodule_search_locations:
        subprocess.run([sys.executable, "-m", "compileall", "-q", folder], check=False,
                       capture_output=True, stdin=subprocess.DEVNULL)


def distrust_tool(command: list[str]) -> Tool | Unavailable:
    compile_distrust()
    version, why = _version_of([*command, "--version"])
    if version is None:
        return Unavailable("distrust", f"`{' '.join(command)} --version` failed: {why}")
    scan_help, why = _output_of([*command, "scan", "--help"])
    if scan_help is None:
        return Unavailable("distrust", f"`distrust scan --help` failed: {why}")
    version = version.removeprefix("distrust").strip() or version
    # A scanner without a cache is measured all the same; warm and edit runs then say why not.
    features = frozenset(name for name in ("no-cache", "jobs") if f"--{name}" in scan_help)

    def argv(opts: dict[str, object]) -> list[str]:
        args = [*command, "scan", ".", "--format", "json"]
        if "jobs" in features:
            args += ["--jobs", str(opts.get("jobs", 1))]
        if opts.get("no_cache") and "no-cache" in features:
            args.append("--no-cache")
        return args

    return Tool("distrust", version, argv, parse_distrust, frozenset({0, 1}), features)


def peer_venv_dir(work_dir: Path) -> Path:
    return work_dir / "venv"


def _requirements_digest() -> str:
    return hashlib.sha256(PEER_REQUIREMENTS.read_bytes()).hexdigest()


def peers_installed(work_dir: Path) -> bool:
    stamp = peer_venv_dir(work_dir) / "bench-requirements.sha256"
    return stamp.exists() and stamp.read_text().strip() == _requirements_digest()


def install_peers(work_dir: Path, python: str, log: Callable[[str], None]) -> None:
    """Create bench/.work/venv with the pinned peers, unless it already holds exactly them."""
    venv = peer_venv_dir(work_dir)
    if peers_installed(work_dir):
        return
    log(f"installing the pinned peers into {venv} (one time) ...")
    if not (venv / "bin" / "python").exists():
        subprocess.run([python, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
         "--disable-pip-version-check", "-r", str(PEER_REQUIREMENTS)],
        check=True,
    )
    (venv / "bench-requirements.sha256").write_text(_requirements_digest() + "\n")


def peer_tools(
    work_dir: Path, semgrep_rules: Path | None, semgrep_jobs: int
) -> list[Tool | Unavailable]:
    bin_dir = peer_venv_dir(work_dir) / "bin"
    tools: list[Tool | Unavailable] = []

    bandit = bin_dir / "bandit"
    version, why = _version_of([str(bandit), "--version"]) if bandit.exists() else (None, "")
    if version is None:
        tools.append(Unavailable("bandit", why or f"not installed ({bandit} missing)"))
    else:
        tools.append(
            Tool(
                "bandit",
                version.split()[-1] if version.startswith("bandit") else version,
                lambda opts: [str(bandit), "-r", ".", "-f", "json", "-q"],
                parse_bandit,
                frozenset({0, 1}),
            )
        )

    ruff = bin_dir / "ruff"
    version, why = _version_of([str(ruff), "--version"]) if ruff.exists() else (None, "")
    if version is None:
        tools.append(Unavailable("ruff", why or f"not installed ({ruff} missing)"))
    else:
        tools.append(
            Tool(
                "ruff",
                version.split()[-1],
                lambda opts: [str(ruff), "check", "--isolated", "--select", "S", "--no-cache",
                              "--output-format", "json", "--exit-zero", "."],
                parse_ruff,
                frozenset({0}),
            )
        )

    semgrep = bin_dir / "semgrep"
    if semgrep_rules is None or not (semgrep_rules / "python").is_dir():
        tools.append(
            Unavailable(
                "semgrep",
                "no semgrep-rules checkout (give --semgrep-rules DIR or BENCH_SEMGREP_RULES; "
                "`run.py prepare` makes one)",
            )
        )
    else:
        version, why = (
            _version_of([str(semgrep), "--version", "--disable-version-check"])
            if semgrep.exists()
            else (None, "")
        )
        if version is None:
            tools.append(Unavailable("semgrep", why or f"not installed ({semgrep} missing)"))
        else:
            rules = str(semgrep_rules / "python")
            tools.append(
                Tool(
                    "semgrep",
                    version,
                    lambda opts: [str(semgrep), "scan", "--config", rules, "--metrics=off",
                                  "--disable-version-check", "--json", "--quiet",
                                  "--jobs", str(semgrep_jobs), "."],
                    parse_semgrep,
                    frozenset({0, 1}),
                )
            )
    return tools
