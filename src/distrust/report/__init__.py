"""Reports: one render function per format, chosen by name from `FORMATS`; `write` puts a
report in a file without ever leaving a half-written one.

A renderer's module is imported when its format is first asked for (`renderer`), so that a run
that writes JSON does not load the SARIF and text renderers; `FORMATS` (all of them, by name)
is built on first access."""

from __future__ import annotations

from importlib import import_module

from distrust.report.options import Render, RenderOptions
from distrust.report.write import write

FORMAT_MODULES: dict[str, str] = {
    "text": "distrust.report.text",
    "json": "distrust.report.jsonfmt",
    "sarif": "distrust.report.sarif",
}


def renderer(name: str) -> Render:
    """The render function of the format `name` (a key of `FORMAT_MODULES`)."""
    render: Render = import_module(FORMAT_MODULES[name]).render
    return render


def __getattr__(name: str) -> dict[str, Render]:
    if name == "FORMATS":
        return {format_name: renderer(format_name) for format_name in FORMAT_MODULES}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["FORMATS", "FORMAT_MODULES", "Render", "RenderOptions", "renderer", "write"]
