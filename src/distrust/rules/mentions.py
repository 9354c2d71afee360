"""Cheap per-module text tests: whether a module's text mentions any of some words, computed
once per module and word (the walk visits one module at a time, so the last module's answers
are kept).

`mentions` is a plain substring test of the text, for rules that look at the text themselves.
`may_name` is the test behind a rule's prefilter (`Rule.words`): whether a word can be part of
a name the module's code uses, which `ast` does not spell as the text does in two cases:

- Python normalizes identifiers to NFKC (`jwt` spelled in fullwidth letters in the text is the
  name `jwt`): a text that is not in NFKC form is also searched in its NFKC form, where every
  identifier appears normalized (an identifier is delimited by ASCII characters, which compose
  with nothing across it).
- `Module.qualname` and `Module.resolve` prefix names defined in the module, and relative
  imports, with the module's dotted name: the name is searched too."""

from __future__ import annotations

import ast
import unicodedata
from dataclasses import dataclass, field

from distrust.python.source import Module


@dataclass
class _Texts:
    """The answers for one module: word → whether its text holds it, and whether the other
    spellings of its names (NFKC form, dotted name) hold it."""

    tree: ast.Module
    others: tuple[str, ...]
    in_text: dict[str, bool] = field(default_factory=dict)
    in_others: dict[str, bool] = field(default_factory=dict)


_current: list[_Texts] = []


def _texts(module: Module) -> _Texts:
    if _current and _current[0].tree is module.tree:
        return _current[0]
    text = module.text
    others = (module.name,) if text.isascii() or unicodedata.is_normalized("NFKC", text) \
        else (unicodedata.normalize("NFKC", text), module.name)
    _current[:] = [_Texts(module.tree, others)]
    return _current[0]


def _in_text(texts: _Texts, text: str, word: str) -> bool:
    found = texts.in_text.get(word)
    if found is None:
        found = texts.in_text[word] = word in text
    return found


def mentions(module: Module, words: tuple[str, ...]) -> bool:
    """Whether `module.text` contains any of `words`."""
    texts = _texts(module)
    return any(_in_text(texts, module.text, word) for word in words)


def may_name(module: Module, words: tuple[str, ...]) -> bool:
    """Whether one of `words` occurs in the module's text as Python reads its identifiers, or
    in the module's dotted name. False proves that no identifier of the module, and no
    qualified name `Module.qualname` gives, contains any of the words."""
    texts = _texts(module)
    if any(_in_text(texts, module.text, word) for word in words):
        return True
    for word in words:
        found = texts.in_others.get(word)
        if found is None:
            found = texts.in_others[word] = any(word in other for other in texts.others)
        if found:
            return True
    return False
