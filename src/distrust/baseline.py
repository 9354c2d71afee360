"""Baseline files: today's findings accepted, so that only new ones fail. A finding is known by
its fingerprint, which holds no line number: it stays baselined when code above it moves."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from distrust.errors import ConfigError
from distrust.model import Finding

VERSION = 1


@dataclass(frozen=True)
class Baseline:
    fingerprints: frozenset[str]

    def partition(self, findings: tuple[Finding, ...]) -> tuple[tuple[Finding, ...], int]:
        """The findings not in the baseline, and how many were."""
        kept = tuple(f for f in findings if f.fingerprint not in self.fingerprints)
        return kept, len(findings) - len(kept)


def load(path: Path) -> Baseline:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ConfigError(f"{path}: cannot read baseline: {err.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ConfigError(f"{path}: not a distrust baseline (invalid JSON: {err})") from None
    if not isinstance(data, dict) or data.get("version") != VERSION or \
            not isinstance(data.get("findings"), list):
        raise ConfigError(f"{path}: not a distrust baseline (expected version {VERSION} with "
                          "a 'findings' list)")
    prints = set()
    for i, entry in enumerate(data["findings"]):
        if not isinstance(entry, dict) or not isinstance(entry.get("fingerprint"), str):
            raise ConfigError(f"{path}: findings[{i}].fingerprint: missing or not a string")
        prints.add(entry["fingerprint"])
    return Baseline(frozenset(prints))


def render(findings: tuple[Finding, ...]) -> str:
    entries = [{"fingerprint": f.fingerprint, "rule": f.rule, "path": f.location.path,
                "message": f.message} for f in findings]
    entries.sort(key=lambda e: (e["path"], e["rule"], e["fingerprint"]))
    return json.dumps({"version": VERSION, "findings": entries}, indent=2,
                      ensure_ascii=True) + "\n"
