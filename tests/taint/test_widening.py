"""Summaries stay small: a parameter whose attributes reach a sink one by one (code that
probes an argument: `a.shape`, `a.flat`, ...) is summarised as the whole parameter once more
than `MAX_ATTRS` attributes are told apart. No flow is lost."""

from __future__ import annotations

import textwrap

from distrust.python.source import Module, ParseFailure, parse
from distrust.taint import engine
from distrust.taint.catalog import BUILTIN_SPEC
from distrust.taint.project import index

ATTRS = ["shape", "flat", "readline", "args", "func", "name", "value", "kind"]


def probe(n: int) -> str:
    probed = " + ".join(f"a.{attr}" for attr in ATTRS[:n])
    return f"def convert(a, b):\n    eval({probed})\n    return b\n"


APP = """\
from flask import Flask, request

from lib import convert

app = Flask(__name__)


@app.route("/calc")
def calc():
    return str(convert(request.args["expr"], 1))
"""


def run(lib: str) -> tuple[engine.Engine, list[engine.Flow]]:
    modules = []
    for path, text in (("lib.py", lib), ("app.py", APP)):
        text = textwrap.dedent(text)
        tree = parse(text, path)
        assert not isinstance(tree, ParseFailure)
        modules.append(Module(path, path.removesuffix(".py"), text, tree))
    project = index(tuple(modules))
    eng = engine.Engine(project, BUILTIN_SPEC)
    return eng, eng.run()


def test_few_attributes_are_told_apart() -> None:
    eng, flows = run(probe(engine.MAX_ATTRS))
    sinks = eng.summaries["lib.convert"].sinks
    assert sorted(ps.attr or "" for ps in sinks if ps.kind == "code") == \
        sorted(ATTRS[:engine.MAX_ATTRS])
    assert {(f.kind, f.location.path, f.location.line) for f in flows} == \
        {("code", "lib.py", 2)}


def test_many_attributes_become_the_whole_parameter() -> None:
    eng, flows = run(probe(engine.MAX_ATTRS + 1))
    sinks = [ps for ps in eng.summaries["lib.convert"].sinks if ps.kind == "code"]
    assert [(ps.index, ps.attr) for ps in sinks] == [(0, None)]
    assert {(f.kind, f.location.path, f.location.line) for f in flows} == \
        {("code", "lib.py", 2)}


def test_returned_attributes_widen_the_same_way() -> None:
    many = "def pick(a):\n    return " + " + ".join(f"a.{x}" for x in ATTRS) + "\n"
    few = "def pick(a):\n    return a.shape + a.flat\n"
    eng, _ = run(probe(1) + "\n\n" + many)
    assert {lab.origin for lab in eng.summary("lib.pick").ret} == {"param:0"}
    eng, _ = run(probe(1) + "\n\n" + few)
    assert {lab.origin for lab in eng.summary("lib.pick").ret} == \
        {"param:0.shape", "param:0.flat"}
