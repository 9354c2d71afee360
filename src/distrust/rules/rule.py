"""What a rule is. A pattern rule is node types and a check that yields nodes; a taint rule is
metadata and a sink kind that the taint engine reports flows into. Neither builds findings."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

from distrust.model import Confidence, Fix, Severity
from distrust.python.source import Module

A01 = "A01:2021-Broken Access Control"
A02 = "A02:2021-Cryptographic Failures"
A03 = "A03:2021-Injection"
A04 = "A04:2021-Insecure Design"
A05 = "A05:2021-Security Misconfiguration"
A07 = "A07:2021-Identification and Authentication Failures"
A08 = "A08:2021-Software and Data Integrity Failures"
A09 = "A09:2021-Security Logging and Monitoring Failures"
A10 = "A10:2021-Server-Side Request Forgery"


@dataclass(frozen=True)
class Hit:
    """A node a pattern rule flags, with what differs from the rule's defaults."""

    node: ast.AST
    message: str | None = None
    confidence: Confidence | None = None
    severity: Severity | None = None
    fix: Fix | None = None


Check = Callable[[ast.AST, Module], Iterable[ast.AST | Hit]]


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    cwe: int
    owasp: str
    severity: Severity
    confidence: Confidence
    message: str
    sink_kind: str | None = None
    node_types: tuple[type[ast.AST], ...] = ()
    check: Check | None = None
    # A prefilter for the pattern walk: the rule can report in a module only if one of these
    # words occurs in the module's text (identifiers as Python reads them) or in its dotted
    # name; the walk skips the rule elsewhere. Empty: the rule runs on every module. A word
    # belongs here only when the check cannot report without it, e.g. a component of every
    # qualified name the check matches (`jwt` for `jwt.decode`): each component of
    # `Module.qualname` comes from the text or from the module's own dotted name.
    words: tuple[str, ...] = ()

    @property
    def is_taint(self) -> bool:
        return self.sink_kind is not None

    @property
    def doc(self) -> str:
        return rule_doc(self.code)


@cache
def rule_doc(code: str) -> str:
    path = resources.files("distrust.rules").joinpath("docs", f"{code}.md")
    return path.read_text(encoding="utf-8")
