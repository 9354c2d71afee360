"""The pattern-rule walk: one pass over a module's tree, dispatching each node to the rules
that asked for its type, less the rules whose words (`Rule.words`) the module cannot name."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass

from distrust.python import nodes
from distrust.python.source import Module
from distrust.rules.mentions import may_name
from distrust.rules.rule import Hit, Rule


@dataclass(frozen=True)
class RuleFailure:
    """An exception inside a rule: our bug, reported with the rule and the file."""

    rule: str
    path: str
    line: int
    error: str


def dispatch_table(rules: Iterable[Rule]) -> dict[type[ast.AST], list[Rule]]:
    table: dict[type[ast.AST], list[Rule]] = {}
    for rule in rules:
        if rule.check is None:
            continue
        for node_type in rule.node_types:
            table.setdefault(node_type, []).append(rule)
    return table


def run(
    module: Module, table: dict[type[ast.AST], list[Rule]]
) -> tuple[list[tuple[Rule, Hit]], list[RuleFailure]]:
    hits: list[tuple[Rule, Hit]] = []
    failures: list[RuleFailure] = []
    table = _for_module(table, module)
    if not table:
        return hits, failures
    get = table.get
    try:
        for node in nodes.subtree(module.tree):
            rules = get(type(node))
            if rules:
                _dispatch(node, rules, module, hits, failures)
    finally:
        nodes.clear()  # the scope lists of this module's functions: no longer needed
    return hits, failures


def _for_module(table: dict[type[ast.AST], list[Rule]], module: Module
                ) -> dict[type[ast.AST], list[Rule]]:
    """The table less the rules whose words (`Rule.words`) the module cannot name."""
    skipped = {rule.code for rules in table.values() for rule in rules
               if rule.words and not may_name(module, rule.words)}
    if not skipped:
        return table
    out: dict[type[ast.AST], list[Rule]] = {}
    for node_type, rules in table.items():
        kept = [rule for rule in rules if rule.code not in skipped]
        if kept:
            out[node_type] = kept
    return out


def _dispatch(node: ast.AST, rules: list[Rule], module: Module,
              hits: list[tuple[Rule, Hit]], failures: list[RuleFailure]) -> None:
    for rule in rules:
        assert rule.check is not None
        try:
            for found in rule.check(node, module):
                hits.append((rule, found if isinstance(found, Hit) else Hit(found)))
        except Exception as err:
            failures.append(RuleFailure(rule.code, module.path,
                                        getattr(node, "lineno", 0),
                                        f"{type(err).__name__}: {err}"))
