"""Reports: one render function per format, chosen by name from `FORMATS`; `write` puts a
report in a file without ever leaving a half-written one."""

from __future__ import annotations

from distrust.report import jsonfmt, sarif, text
from distrust.report.options import Render, RenderOptions
from distrust.report.write import write

FORMATS: dict[str, Render] = {
    "text": text.render,
    "json": jsonfmt.render,
    "sarif": sarif.render,
}

__all__ = ["FORMATS", "Render", "RenderOptions", "write"]
