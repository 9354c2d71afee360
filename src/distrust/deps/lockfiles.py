"""Lock files: poetry.lock, uv.lock, Pipfile.lock, pylock.toml, package-lock.json. Each entry
is one pinned package."""

from __future__ import annotations

from typing import Any

from distrust.deps.textspan import LineFinder
from distrust.deps.types import Dependency, Ecosystem, Span


def _pinned(ecosystem: Ecosystem, name: str, version: str, manifest: str, span: Span,
            finder: LineFinder) -> Dependency:
    return Dependency(ecosystem, name, f"=={version}" if version else "", version or None,
                      manifest, span, finder.text_of(span))


def _unchecked(ecosystem: Ecosystem, name: str, manifest: str, span: Span, finder: LineFinder,
               reason: str) -> Dependency:
    return Dependency(ecosystem, name, "", None, manifest, span, finder.text_of(span),
                      checkable=False, reason=reason)


def parse_toml_packages(data: dict[str, Any], text: str, manifest: str, kind: str
                        ) -> list[Dependency]:
    """poetry.lock and uv.lock (`[[package]]`) and pylock.toml (`[[packages]]`)."""
    finder = LineFinder(text)
    key = "packages" if kind == "pylock" else "package"
    entries = data.get(key)
    out: list[Dependency] = []
    if not isinstance(entries, list):
        return out
    cursor = 0
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            continue
        name: str = entry["name"]
        version = entry.get("version")
        version = version if isinstance(version, str) else ""
        found = finder.find(f'name = "{name}"', cursor) or finder.find(name, cursor)
        span = found or Span(1, 1, 2)
        if found is not None:
            cursor = found.line
        source = entry.get("source")
        if kind == "uv" and isinstance(source, dict):
            if "editable" in source or "virtual" in source:
                continue  # the project itself or a workspace member
            if any(k in source for k in ("git", "path", "directory", "url")):
                out.append(_unchecked(Ecosystem.PYPI, name, manifest, span, finder,
                                      "git, path or URL source: not checkable"))
                continue
        if kind == "poetry" and isinstance(source, dict) \
                and source.get("type") in ("git", "directory", "file", "url"):
            out.append(_unchecked(Ecosystem.PYPI, name, manifest, span, finder,
                                  "git, path or URL source: not checkable"))
            continue
        if kind == "pylock" and any(k in entry for k in ("vcs", "directory", "archive")):
            out.append(_unchecked(Ecosystem.PYPI, name, manifest, span, finder,
                                  "VCS, directory or archive package: not checkable"))
            continue
        out.append(_pinned(Ecosystem.PYPI, name, version, manifest, span, finder))
    return out


def parse_pipfile_lock(data: dict[str, Any], text: str, manifest: str) -> list[Dependency]:
    finder = LineFinder(text)
    out: list[Dependency] = []
    for section in ("default", "develop"):
        table = data.get(section)
        if not isinstance(table, dict):
            continue
        start = (finder.find(f'"{section}"') or Span(1, 1, 2)).line - 1
        for name, entry in table.items():
            if not isinstance(name, str) or not isinstance(entry, dict):
                continue
            span = finder.locate([f'"{name}":', f'"{name}"'], start)
            if any(k in entry for k in ("git", "path", "file", "editable")):
                out.append(_unchecked(Ecosystem.PYPI, name, manifest, span, finder,
                                      "git, path or editable package: not checkable"))
                continue
            version = entry.get("version")
            pinned = version[2:] if isinstance(version, str) and version.startswith("==") else ""
            out.append(_pinned(Ecosystem.PYPI, name, pinned, manifest, span, finder))
    return out


def parse_package_lock(data: dict[str, Any], text: str, manifest: str) -> list[Dependency]:
    finder = LineFinder(text)
    out: list[Dependency] = []
    seen: set[tuple[str, str]] = set()
    packages = data.get("packages")
    if isinstance(packages, dict):  # lockfileVersion 2 and 3
        cursor = 0
        for path, entry in packages.items():
            if not path or not isinstance(entry, dict) or "node_modules/" not in path:
                continue
            name = entry.get("name") if isinstance(entry.get("name"), str) else None
            name = name or path.rsplit("node_modules/", 1)[1]
            found = finder.find(f'"{path}"', cursor)
            span = found or Span(1, 1, 2)
            if found is not None:
                cursor = found.line
            if entry.get("link"):
                continue
            version = entry.get("version")
            if not isinstance(version, str):
                continue
            if (name, version) in seen:
                continue
            seen.add((name, version))
            resolved = entry.get("resolved")
            if isinstance(resolved, str) and not resolved.startswith(("http://", "https://")):
                out.append(_unchecked(Ecosystem.NPM, name, manifest, span, finder,
                                      f"package from {resolved.split(':')[0]}: not checkable"))
                continue
            out.append(_pinned(Ecosystem.NPM, name, version, manifest, span, finder))
        return out
    stack: list[tuple[dict[str, Any], int]] = []
    deps = data.get("dependencies")
    if isinstance(deps, dict):
        stack.append((deps, 0))
    while stack:  # lockfileVersion 1: nested "dependencies"
        table, start = stack.pop()
        for name, entry in table.items():
            if not isinstance(entry, dict):
                continue
            span = finder.locate([f'"{name}": {{', f'"{name}"'], start)
            version = entry.get("version")
            nested = entry.get("dependencies")
            if isinstance(nested, dict):
                stack.append((nested, span.line))
            if not isinstance(version, str) or (name, version) in seen:
                continue
            seen.add((name, version))
            if not version[:1].isdigit():
                out.append(_unchecked(Ecosystem.NPM, name, manifest, span, finder,
                                      "git, file or URL package: not checkable"))
                continue
            out.append(_pinned(Ecosystem.NPM, name, version, manifest, span, finder))
    return out


def parse_package_json(data: dict[str, Any], text: str, manifest: str) -> list[Dependency]:
    finder = LineFinder(text)
    out: list[Dependency] = []
    for section in ("dependencies", "devDependencies", "optionalDependencies",
                    "peerDependencies"):
        table = data.get(section)
        if not isinstance(table, dict):
            continue
        start = (finder.find(f'"{section}"') or Span(1, 1, 2)).line - 1
        for name, spec in table.items():
            if not isinstance(name, str) or not isinstance(spec, str):
                continue
            span = finder.locate([f'"{name}":', f'"{name}"'], start)
            real = name
            value = spec.strip()
            if value.startswith("npm:"):
                alias = value[4:]
                at = alias.rfind("@")
                real, value = (alias[:at], alias[at + 1 :]) if at > 0 else (alias, "")
            if value.startswith(("git", "http:", "https:", "file:", "link:", "workspace:",
                                 "github:", "portal:")) or "/" in value:
                out.append(Dependency(Ecosystem.NPM, real, "", None, manifest, span,
                                      finder.text_of(span), checkable=False,
                                      reason=f"{value.split(':')[0]} dependency: not checkable"))
                continue
            pinned = value.lstrip("=v").strip() if _exact_semver(value) else None
            out.append(Dependency(Ecosystem.NPM, real, value, pinned, manifest, span,
                                  finder.text_of(span)))
    return out


def _exact_semver(value: str) -> bool:
    text = value.lstrip("=v").strip()
    head = text.split("-")[0].split("+")[0]
    parts = head.split(".")
    return len(parts) == 3 and all(p.isdigit() for p in parts)
