"""The rule catalogue: one tuple lists every rule. Codes are never reused or renamed."""

from __future__ import annotations

from distrust.rules import (
    authz,
    compare,
    config_rules,
    crypto,
    dependencies,
    files_rules,
    injection,
    jwt_verify,
    logs_rules,
    massassign,
    passwords,
    races,
    randomness,
    secrets_rules,
    transport,
)
from distrust.rules.rule import Rule

ALL_RULES: tuple[Rule, ...] = (
    *injection.RULES, *authz.RULES, *races.RULES,
    *passwords.RULES, *crypto.RULES, *compare.RULES, *jwt_verify.RULES, *transport.RULES,
    *randomness.RULES, *secrets_rules.RULES, *logs_rules.RULES, *config_rules.RULES,
    *files_rules.RULES, *massassign.RULES, *dependencies.DEPS_RULES,
)

# Rules that look at code (the others check the dependencies a project declares).
CODE_RULES: tuple[Rule, ...] = tuple(r for r in ALL_RULES if r.check or r.sink_kind)

BY_CODE: dict[str, Rule] = {rule.code: rule for rule in ALL_RULES}


def taint_rules(rules: tuple[Rule, ...] = ALL_RULES) -> dict[str, Rule]:
    """Sink kind → rule, for the taint engine's flows."""
    return {rule.sink_kind: rule for rule in rules if rule.sink_kind is not None}
