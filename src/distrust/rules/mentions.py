"""Cheap per-module text tests for rules that run on every function: whether a module's text
mentions any of some words, computed once per module (the walk visits one module at a time, so
the last module's answers are kept)."""

from __future__ import annotations

import ast

from distrust.python.source import Module

_cache: dict[tuple[str, ...], tuple[ast.Module, bool]] = {}


def mentions(module: Module, words: tuple[str, ...]) -> bool:
    """Whether `module.text` contains any of `words`."""
    cached = _cache.get(words)
    if cached is not None and cached[0] is module.tree:
        return cached[1]
    found = any(word in module.text for word in words)
    _cache[words] = (module.tree, found)
    return found
