"""The DEP rule family: what dependency verification reports. The engines in distrust.deps build
the findings; these are the codes, names and defaults."""

from __future__ import annotations

from distrust.model import Confidence, Severity
from distrust.rules.rule import A08, Rule

A06 = "A06:2021-Vulnerable and Outdated Components"

DEP001 = Rule(
    code="DEP001",
    name="known-vulnerable-dependency",
    cwe=1395,
    owasp=A06,
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    message="a declared dependency version has a known vulnerability",
)
DEP002 = Rule(
    code="DEP002",
    name="nonexistent-package",
    cwe=829,
    owasp=A08,
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    message="the package registry does not know this package",
)
DEP003 = Rule(
    code="DEP003",
    name="look-alike-package-name",
    cwe=1357,
    owasp=A08,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    message="the package name imitates a popular package",
)
DEP004 = Rule(
    code="DEP004",
    name="undeclared-import",
    cwe=1357,
    owasp=A06,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    message="an imported module is provided by no declared dependency",
)
DEP005 = Rule(
    code="DEP005",
    name="yanked-or-new-package",
    cwe=1357,
    owasp=A06,
    severity=Severity.LOW,
    confidence=Confidence.MEDIUM,
    message="the registry marks this version yanked, or the package is very new",
)

DEPS_RULES: tuple[Rule, ...] = (DEP001, DEP002, DEP003, DEP004, DEP005)
