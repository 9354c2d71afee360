"""Cheap per-module text tests: whether a module's text mentions any of some words, computed
once per module (the walk visits one module at a time, so the last module's answers are kept).

`mentions` is a plain substring test of the text, for rules that look at the text themselves.
`may_name` is the test behind a rule's prefilter (`Rule.words`): whether a word can be part of
a name the module's code uses, which `ast` does not spell as the text does in two cases:

- Python normalizes identifiers to NFKC (`jwt` spelled in fullwidth letters in the text is the
  name `jwt`): a text that is not ASCII is also searched in its NFKC form, where every
  identifier appears normalized (an identifier is delimited by ASCII characters, which compose
  with nothing across it).
- `Module.qualname` and `Module.resolve` prefix names defined in the module, and relative
  imports, with the module's dotted name: the name is searched too."""

from __future__ import annotations

import ast
import unicodedata

from distrust.python.source import Module

_cache: dict[tuple[str, ...], tuple[ast.Module, bool]] = {}
_haystack: list[tuple[ast.Module, tuple[str, ...]]] = []
_found: dict[str, bool] = {}


def mentions(module: Module, words: tuple[str, ...]) -> bool:
    """Whether `module.text` contains any of `words`."""
    cached = _cache.get(words)
    if cached is not None and cached[0] is module.tree:
        return cached[1]
    found = any(word in module.text for word in words)
    _cache[words] = (module.tree, found)
    return found


def may_name(module: Module, words: tuple[str, ...]) -> bool:
    """Whether one of `words` occurs in the module's text as Python reads its identifiers, or
    in the module's dotted name. False proves that no identifier of the module, and no
    qualified name `Module.qualname` gives, contains any of the words."""
    texts = _texts(module)
    for word in words:
        found = _found.get(word)
        if found is None:
            found = _found[word] = any(word in text for text in texts)
        if found:
            return True
    return False


def _texts(module: Module) -> tuple[str, ...]:
    if _haystack and _haystack[0][0] is module.tree:
        return _haystack[0][1]
    text = module.text
    texts = (text, module.name) if text.isascii() else (
        text, unicodedata.normalize("NFKC", text), module.name)
    _haystack[:] = [(module.tree, texts)]
    _found.clear()
    return texts
