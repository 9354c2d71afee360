"""The install guard: read an installer command (pip, uv, poetry, npm...), check each package
it names before anything is installed, and say whether to refuse and why."""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from distrust.deps.cache import JsonCache
from distrust.deps.lookalike import look_alike
from distrust.deps.manifests import read_manifests
from distrust.deps.registry import DEFAULT_NPM_REGISTRY, RegistryClient, resolve_index_url
from distrust.deps.types import Ecosystem

_PIP_VALUE_OPTIONS = frozenset({
    "-c", "--constraint", "-t", "--target", "--platform", "--python-version",
    "--implementation", "--abi", "--root", "--prefix", "--src", "--upgrade-strategy",
    "-f", "--find-links", "--extra-index-url", "--trusted-host", "--no-binary",
    "--only-binary", "--progress-bar", "--cache-dir", "--log", "--proxy", "--retries",
    "--timeout", "--exists-action", "--cert", "--client-cert", "--python", "-p",
    "--report", "--config-settings", "-C", "--global-option", "--build-option", "--group",
    "--extra", "--optional", "--index", "--default-index", "--source", "--path", "--dev-path",
    "--directory", "--project", "--package", "--branch", "--tag", "--rev", "--tag-version-prefix",
    "--registry", "--workspace", "-w", "--prefix-dir", "--only", "--omit", "--include",
    "--script", "--resolution", "--prerelease", "--python-platform", "--editable-mode",
    "--upgrade-package", "-P", "--with", "--torch-backend",
})
_NPM_VALUE_OPTIONS = frozenset({"--registry", "--workspace", "-w", "--prefix", "--omit",
                                "--include", "--tag", "--cache"})


@dataclass(frozen=True)
class Request:
    """One package an install command asks for."""

    ecosystem: Ecosystem
    name: str
    origin: str  # the argument, or FILE:LINE for requirements files


@dataclass(frozen=True)
class Install:
    """An install command: what it installs and from which index."""

    tool: str
    requests: tuple[Request, ...]
    index_url: str | None = None
    registry: str | None = None
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class Verdict:
    refuse: bool
    reasons: tuple[str, ...]
    warnings: tuple[str, ...]


def _strip_prefix(argv: list[str]) -> list[str]:
    """Drop `sudo`, `env`, `VAR=value` and `time` in front of a command."""
    out = list(argv)
    while out:
        head = out[0]
        if head in ("sudo", "env", "time", "command", "exec", "nohup") \
                or re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", head):
            out.pop(0)
            while head == "sudo" and out and out[0].startswith("-"):
                out.pop(0)
        else:
            break
    return out


def parse_install(argv: list[str], cwd: Path | None = None) -> Install | None:
    """The install a command performs, or None when it is not an install command."""
    argv = _strip_prefix(argv)
    if not argv:
        return None
    prog = os.path.basename(argv[0])
    rest = argv[1:]
    if re.fullmatch(r"python[0-9.]*", prog) and rest[:2] == ["-m", "pip"]:
        prog, rest = "pip", rest[2:]
    if re.fullmatch(r"pip[0-9.]*", prog) and rest[:1] == ["install"]:
        return _pip_like("pip install", rest[1:], cwd)
    if prog == "uv" and rest[:2] == ["pip", "install"]:
        return _pip_like("uv pip install", rest[2:], cwd)
    if prog == "uv" and rest[:1] == ["add"]:
        return _pip_like("uv add", rest[1:], cwd)
    if prog == "poetry" and rest[:1] == ["add"]:
        return _pip_like("poetry add", rest[1:], cwd, poetry=True)
    if prog in ("npm", "pnpm", "yarn", "bun") and rest[:1] and rest[0] in (
            "install", "i", "add", "in", "isntall"):
        return _npm_like(f"{prog} {rest[0]}", rest[1:], cwd)
    return None


def _pip_like(tool: str, args: list[str], cwd: Path | None, poetry: bool = False) -> Install:
    requests: list[Request] = []
    problems: list[str] = []
    index_url: str | None = None
    files: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ("-r", "--requirement", "--requirements") and i + 1 < len(args):
            files.append(args[i + 1])
            i += 2
            continue
        if arg.startswith(("--requirement=", "--requirements=")):
            files.append(arg.split("=", 1)[1])
        elif arg in ("-i", "--index-url", "--default-index") and i + 1 < len(args):
            index_url = args[i + 1]
            i += 2
            continue
        elif arg.startswith(("--index-url=", "--default-index=")):
            index_url = arg.split("=", 1)[1]
        elif arg in ("-e", "--editable", *_PIP_VALUE_OPTIONS) and i + 1 < len(args):
            i += 2
            continue
        elif arg.startswith("-"):
            pass
        else:
            request = _pip_request(arg, poetry)
            if request is not None:
                requests.append(request)
        i += 1
    base = cwd or Path.cwd()
    for name in files:
        path = Path(name) if Path(name).is_absolute() else base / name
        result = read_manifests(path.parent, [path.name])
        problems.extend(f"{p}: {r}" for p, r in result.problems)
        for dep in result.dependencies:
            if dep.checkable:
                requests.append(Request(Ecosystem.PYPI, dep.name,
                                        f"{name}:{dep.span.line}"))
    return Install(tool, tuple(requests), index_url=index_url, problems=tuple(problems))


def _pip_request(arg: str, poetry: bool) -> Request | None:
    if re.match(r"^(?:[a-z][a-z0-9+.-]*://|git\+|\.{0,2}/|file:|~)", arg, re.I) or \
            arg.endswith((".whl", ".tar.gz", ".zip")) or arg == ".":
        return None  # URLs and paths name no registry package
    text = arg
    if poetry and "@" in text and not text.startswith("@"):
        text = text.split("@", 1)[0]  # poetry add name@^1.2
    try:
        req = Requirement(text)
    except InvalidRequirement:
        return None
    if req.url:
        return None
    return Request(Ecosystem.PYPI, req.name, arg)


def _npm_like(tool: str, args: list[str], cwd: Path | None) -> Install:
    requests: list[Request] = []
    registry: str | None = None
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--registry" and i + 1 < len(args):
            registry = args[i + 1]
            i += 2
            continue
        if arg.startswith("--registry="):
            registry = arg.split("=", 1)[1]
        elif arg in _NPM_VALUE_OPTIONS and i + 1 < len(args):
            i += 2
            continue
        elif not arg.startswith("-"):
            name = _npm_name(arg)
            if name is not None:
                requests.append(Request(Ecosystem.NPM, name, arg))
        i += 1
    if not args or all(a.startswith("-") for a in args):
        base = cwd or Path.cwd()
        if (base / "package.json").is_file():
            result = read_manifests(base, ["package.json"])
            requests.extend(Request(Ecosystem.NPM, d.name, f"package.json:{d.span.line}")
                            for d in result.dependencies if d.checkable)
    return Install(tool, tuple(requests), registry=registry)


def _npm_name(arg: str) -> str | None:
    if re.match(r"^(?:[a-z][a-z0-9+.-]*:|\.{0,2}/|~)", arg, re.I) or arg.endswith(".tgz"):
        return None
    if arg.startswith("@"):
        scope, _, rest = arg.partition("/")
        name = rest.split("@", 1)[0]
        return f"{scope}/{name}" if name else None
    if "/" in arg:
        return None  # user/repo: a GitHub shorthand
    name = arg.split("@", 1)[0]
    return name or None


def check_install(install: Install, cache: JsonCache, *, index_url: str | None = None,
                  npm_registry: str | None = None, timeout: float = 5.0,
                  offline: bool = False, strict: bool = False) -> Verdict:
    """Refuse when a package does not exist or imitates a popular one. A registry that
    cannot be asked is a warning (a refusal with `strict`)."""
    client = RegistryClient(cache,
                            pypi_index=resolve_index_url(install.index_url or index_url),
                            npm_registry=install.registry or npm_registry
                            or DEFAULT_NPM_REGISTRY,
                            timeout=timeout, offline=offline)
    infos = client.lookup_many((r.ecosystem, r.name) for r in install.requests)
    reasons: list[str] = []
    warnings: list[str] = list(install.problems)
    for request in install.requests:
        info = infos[(request.ecosystem, _norm(request))]
        similar = look_alike(request.ecosystem, request.name)
        where = "PyPI index" if request.ecosystem is Ecosystem.PYPI else "npm registry"
        if info.exists is False:
            hint = f" (did you mean '{similar.target}'?)" if similar else \
                " (an assistant may have invented it; anyone can register it)"
            reasons.append(f"'{request.name}' ({request.origin}) does not exist on the "
                           f"{where}{hint}")
        elif similar is not None:
            reasons.append(f"'{request.name}' ({request.origin}) imitates the popular package "
                           f"'{similar.target}' ({similar.how})")
        elif info.exists is None:
            message = f"could not check '{request.name}' on the {where}: {info.error}"
            (reasons if strict else warnings).append(message)
    return Verdict(bool(reasons), tuple(reasons), tuple(warnings))


def _norm(request: Request) -> str:
    from distrust.deps.types import normalise

    return normalise(request.ecosystem, request.name)


_SEPARATORS = re.compile(r"\s*(?:&&|\|\||;|\||\n|&)\s*")


def split_shell(command: str) -> list[list[str]]:
    """The simple commands of a shell line, split at `&&`, `||`, `;`, `|` and newlines
    (quoted separators stay), each as argv. Unparsable parts are left out."""
    out: list[list[str]] = []
    try:
        lexer = shlex.shlex(command.replace("\\\n", " "), posix=True,
                            punctuation_chars=";&|\n")
        lexer.whitespace = " \t\r"
        lexer.whitespace_split = True
        lexer.commenters = "#"
        tokens = list(lexer)
    except ValueError:
        tokens = []
        for part in _SEPARATORS.split(command):
            try:
                tokens.extend([*shlex.split(part, comments=True), ";"])
            except ValueError:
                continue
    current: list[str] = []
    for token in tokens:
        if token and set(token) <= set(";&|\n"):
            if current:
                out.append(current)
            current = []
        else:
            current.append(token)
    if current:
        out.append(current)
    return out
