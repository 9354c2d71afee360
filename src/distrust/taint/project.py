"""The project as the taint engine sees it: every function and class of the scanned modules,
indexed by qualified name, and the route parameters that frameworks fill from the request."""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

from distrust.python import nodes
from distrust.python.source import Module

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
ROUTE_METHODS = frozenset(
    {"route", "get", "post", "put", "patch", "delete", "head", "options", "api_route",
     "websocket", "view", "add_url_rule"}
)
CLEAN_ANNOTATIONS = frozenset(
    {"int", "float", "bool", "UUID", "uuid.UUID", "datetime", "date", "datetime.datetime",
     "datetime.date", "Decimal", "PositiveInt", "conint", "EmailStr", "HttpUrl", "IPvAnyAddress"}
)
DEPENDENCY_MARKERS = frozenset({"Depends", "Security", "fastapi.Depends", "fastapi.Security"})
CLEAN_FLASK_CONVERTERS = frozenset({"int", "float", "uuid"})


@dataclass(frozen=True)
class FunctionOutline:
    """A function as the index sees it without the module's tree: where it is (`line` and
    `column` of its `def`; `first_line` counts its decorators, `last_line` ends its body)."""

    qualname: str
    cls: str | None
    params: tuple[str, ...]
    line: int
    column: int
    first_line: int
    last_line: int
    routed: bool = False  # a decorator routes a URL path to it: `@app.get("/items")`


@dataclass(frozen=True)
class ClassOutline:
    qualname: str
    bases: tuple[str, ...]
    methods: tuple[str, ...]


@dataclass(frozen=True)
class Outline:
    """What the index needs of one module: its functions and classes. An earlier scan keeps
    it, so that an unchanged module is parsed only if the analysis enters it."""

    functions: tuple[FunctionOutline, ...]
    classes: tuple[ClassOutline, ...]


class _FunctionNodes:
    """The function nodes of one module by position, found when first asked for."""

    def __init__(self, module: Module, known: dict[tuple[int, int], FunctionNode] | None
                 ) -> None:
        self.module = module
        self.found = known

    def at(self, line: int, column: int) -> FunctionNode:
        if self.found is None:
            self.found = {(n.lineno, n.col_offset): n for n in nodes.walk(self.module.tree)
                          if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
        return self.found[(line, column)]


@dataclass(frozen=True)
class Function:
    qualname: str
    module: Module
    cls: str | None
    params: tuple[str, ...]
    first_line: int
    last_line: int
    line: int
    column: int
    nodes: _FunctionNodes = field(repr=False, compare=False)
    routed: bool = False

    @cached_property
    def node(self) -> FunctionNode:
        return self.nodes.at(self.line, self.column)


@dataclass(frozen=True)
class ClassInfo:
    qualname: str
    module: Module
    bases: tuple[str, ...]
    methods: frozenset[str]


@dataclass(frozen=True)
class Project:
    modules: tuple[Module, ...]
    functions: dict[str, Function]
    classes: dict[str, ClassInfo]
    aliases: dict[str, str]
    outlines: dict[str, Outline] = field(default_factory=dict)

    def canonical(self, name: str) -> str:
        """`name` with a module prefix known by another name (its path) rewritten."""
        if not self.aliases or name in self.functions or name in self.classes:
            return name
        cut = len(name)
        while True:
            cut = name.rfind(".", 0, cut)
            if cut < 0:
                return name
            real = self.aliases.get(name[:cut])
            if real is not None:
                return real + name[cut:]

    def method(self, cls: str, name: str) -> Function | None:
        seen: set[str] = set()
        stack = [cls]
        while stack:
            current = stack.pop(0)
            if current in seen:
                continue
            seen.add(current)
            fn = self.functions.get(f"{current}.{name}")
            if fn is not None:
                return fn
            info = self.classes.get(current)
            if info is not None:
                stack.extend(info.bases)
        return None


def param_names(node: FunctionNode) -> tuple[str, ...]:
    a = node.args
    names = [p.arg for p in (*a.posonlyargs, *a.args)]
    if a.vararg:
        names.append(a.vararg.arg)
    names.extend(p.arg for p in a.kwonlyargs)
    if a.kwarg:
        names.append(a.kwarg.arg)
    return tuple(names)


def index(modules: tuple[Module, ...], outlines: Mapping[str, Outline] | None = None
          ) -> Project:
    """The project's functions and classes. A module with an outline in `outlines` is not
    parsed for it."""
    functions: dict[str, Function] = {}
    classes: dict[str, ClassInfo] = {}
    aliases: dict[str, str] = {}
    kept: dict[str, Outline] = {}
    for module in modules:
        outline = outlines.get(module.path) if outlines else None
        found: dict[tuple[int, int], FunctionNode] | None = None
        if outline is None:
            outline, found = outline_of(module)
        kept[module.path] = outline
        where = _FunctionNodes(module, found)
        for f in outline.functions:
            functions.setdefault(f.qualname, Function(
                f.qualname, module, f.cls, f.params, f.first_line, f.last_line, f.line,
                f.column, where, f.routed))
        for c in outline.classes:
            classes.setdefault(c.qualname, ClassInfo(c.qualname, module, c.bases,
                                                     frozenset(c.methods)))
        for alias in module.aliases:
            aliases.setdefault(alias, module.name)
    return Project(modules, functions, classes, aliases, kept)


def _routed(node: FunctionNode) -> bool:
    return any(isinstance(dec, ast.Call) and dec.args and isinstance(dec.args[0], ast.Constant)
               and isinstance(dec.args[0].value, str) and dec.args[0].value.startswith("/")
               for dec in node.decorator_list)


def outline_of(module: Module) -> tuple[Outline, dict[tuple[int, int], FunctionNode]]:
    """The module's outline, and its function nodes by position."""
    functions: list[FunctionOutline] = []
    classes: list[ClassOutline] = []
    found: dict[tuple[int, int], FunctionNode] = {}
    stack: list[tuple[ast.AST, str, str | None]] = [
        (stmt, module.name, None) for stmt in reversed(module.tree.body)
    ]
    while stack:
        node, scope, cls = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            qual = f"{scope}.{node.name}" if scope else node.name
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            functions.append(FunctionOutline(qual, cls, param_names(node), node.lineno,
                                             node.col_offset, first,
                                             node.end_lineno or node.lineno, _routed(node)))
            found[(node.lineno, node.col_offset)] = node
            inner = f"{qual}.<locals>"
            stack.extend((s, inner, None) for s in reversed(node.body))
        elif isinstance(node, ast.ClassDef):
            qual = f"{scope}.{node.name}" if scope else node.name
            bases = tuple(b for b in (module.qualname(e) for e in node.bases) if b)
            methods = tuple(
                s.name for s in node.body
                if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)
            )
            classes.append(ClassOutline(qual, bases, methods))
            stack.extend((s, qual, qual) for s in reversed(node.body))
        elif isinstance(node, ast.If | ast.Try | ast.With | ast.For | ast.While):
            for child in nodes.children(node):
                if isinstance(child, ast.stmt):
                    stack.append((child, scope, cls))
                elif isinstance(child, ast.ExceptHandler):
                    stack.extend((s, scope, cls) for s in child.body)
    return Outline(tuple(functions), tuple(classes)), found


@dataclass(frozen=True)
class RouteParams:
    """Parameters a web framework fills from the request: `tainted` maps a parameter name to a
    label; `request` names the parameters that are request objects."""

    tainted: dict[str, str]
    request: frozenset[str]
    route: str | None = None


def route_params(
    fn: Function, request_names: frozenset[str], request_types: frozenset[str],
    called: Callable[[str], bool] = lambda name: False,
) -> RouteParams:
    """`called(name)` tells whether project code calls a function of that name: a function
    that takes the request first and that nothing in the project calls is a view, whose other
    parameters come from the URL."""
    node = fn.node
    module = fn.module
    args = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
    if fn.cls is not None and args and args[0].arg in ("self", "cls"):
        args = args[1:]
    request: set[str] = set()
    for a in args:
        ann = module.qualname(a.annotation) if a.annotation is not None else None
        if a.arg in request_names or (ann and (ann in request_types
                                               or ann.rpartition(".")[2] in request_types)):
            request.add(a.arg)
    tainted: dict[str, str] = {}
    route = _route_path(fn)
    defaults = _defaults(node)
    if route is not None:
        flask_style = "<" in route
        converters = _flask_converters(route) if flask_style else {}
        for a in args:
            if a.arg in request:
                continue
            if flask_style:
                conv = converters.get(a.arg)
                if conv is not None and conv not in CLEAN_FLASK_CONVERTERS:
                    tainted[a.arg] = f"route parameter `{a.arg}`"
                continue
            if _is_clean_annotation(module, a.annotation):
                continue
            default = defaults.get(a.arg)
            if default is not None and _is_dependency(module, default):
                continue
            tainted[a.arg] = f"request parameter `{a.arg}`"
    elif args and args[0].arg in request and not called(node.name):
        # A Django-style view: the URL keyword arguments follow the request.
        for a in args[1:]:
            if not _is_clean_annotation(module, a.annotation):
                tainted[a.arg] = f"URL parameter `{a.arg}`"
    return RouteParams(tainted, frozenset(request), route)


def _route_path(fn: Function) -> str | None:
    for dec in fn.node.decorator_list:
        if not isinstance(dec, ast.Call) or not isinstance(dec.func, ast.Attribute):
            continue
        if dec.func.attr not in ROUTE_METHODS or not dec.args:
            continue
        first = dec.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str) and \
                (first.value.startswith("/") or first.value == ""):
            return first.value
    return None


def _flask_converters(route: str) -> dict[str, str]:
    out: dict[str, str] = {}
    pos = 0
    while True:
        start = route.find("<", pos)
        if start < 0:
            return out
        end = route.find(">", start)
        if end < 0:
            return out
        inner = route[start + 1 : end]
        conv, _, name = inner.rpartition(":")
        conv = conv.partition("(")[0]
        out[name.strip()] = conv.strip() or "string"
        pos = end + 1


def _defaults(node: FunctionNode) -> dict[str, ast.expr]:
    a = node.args
    positional = [*a.posonlyargs, *a.args]
    out: dict[str, ast.expr] = {}
    for arg, default in zip(positional[len(positional) - len(a.defaults):], a.defaults,
                            strict=True):
        out[arg.arg] = default
    for arg, kw_default in zip(a.kwonlyargs, a.kw_defaults, strict=True):
        if kw_default is not None:
            out[arg.arg] = kw_default
    return out


def _is_clean_annotation(module: Module, ann: ast.expr | None) -> bool:
    if ann is None:
        return False
    if isinstance(ann, ast.Subscript):  # Annotated[int, Query()] / Optional[int]
        inner = ann.slice
        first = inner.elts[0] if isinstance(inner, ast.Tuple) and inner.elts else inner
        return _is_clean_annotation(module, first)
    if isinstance(ann, ast.BinOp):  # int | None
        return _is_clean_annotation(module, ann.left)
    name = module.qualname(ann) if isinstance(ann, ast.Name | ast.Attribute) else None
    if name is None and isinstance(ann, ast.Name):
        name = ann.id
    if name is None:
        return False
    return name in CLEAN_ANNOTATIONS or name.rpartition(".")[2] in CLEAN_ANNOTATIONS


def _is_dependency(module: Module, default: ast.expr) -> bool:
    if not isinstance(default, ast.Call):
        return False
    name = module.qualname(default.func) or ""
    return name in DEPENDENCY_MARKERS or name.rpartition(".")[2] in ("Depends", "Security")
