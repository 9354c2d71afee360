"""What every renderer takes besides the result: the options and the shape of a render function."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from distrust.model import RunInfo, ScanResult

if TYPE_CHECKING:  # the rule catalogue is slow to import and only typed here
    from distrust.rules.rule import Rule


@dataclass(frozen=True)
class RenderOptions:
    """How to render. The CLI decides `color` (a TTY on stdout and no `NO_COLOR`).

    `root` is the absolute directory that the findings' relative paths start from; SARIF
    states it as the `%SRCROOT%` base when it is known."""

    color: bool = False
    show_fixes: bool = True
    show_steps: bool = True
    show_snippets: bool = True
    show_suppressed: bool = False
    root: str | None = None


Render = Callable[[ScanResult, Mapping[str, "Rule"], RunInfo, RenderOptions], str]
