"""Mass assignment (CWE-915): a request's whole mapping becomes a model's fields.

`User(**request.json)`, `user.update(**request.get_json())`,
`Item.objects.create(**request.POST.dict())`, `query.update(request.json)`,
`setattr(obj, key, value)` for every key of the request, `obj.__dict__.update(data)`: the client
chooses which columns are written, so it can send `is_admin`, `role`, `balance` or `owner_id`.

The request data is followed through the local variables of one function (`data =
request.get_json()`; `payload = dict(data)`). A mapping the code filtered by key (a
comprehension with a condition, `pop`/`del` of keys, a schema's `load()`) is not the raw request
any more. A validated Pydantic schema splatted with `.dict()`/`.model_dump()` is quiet when the
schema, defined in the same module, declares no privileged field and does not accept extra
fields; it is a finding when it declares one (`role`, `is_admin` ...) without excluding it."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from distrust.model import Confidence, Severity
from distrust.python import nodes as walks
from distrust.python.source import Module
from distrust.rules.mentions import mentions
from distrust.rules.rule import A08, Hit, Rule

H, M = Confidence.HIGH, Confidence.MEDIUM

_BODY_ATTRS = frozenset({"json", "form", "values", "args", "data", "POST", "GET", "get_json",
                         "query_params", "params"})
_REQUEST_NAMES = frozenset({"request", "req"})
_REQUEST_TYPES = frozenset({"Request", "HttpRequest", "WSGIRequest", "ASGIRequest"})
_ROUTE_DECORATORS = frozenset({"route", "get", "post", "put", "patch", "delete",
                               "api_route", "api_view", "action"})
_MAPPING_METHODS = frozenset({"copy", "to_dict", "dict", "items"})
_WRITE_METHODS = frozenset({"create", "update", "update_or_create", "get_or_create", "insert",
                            "create_user", "create_superuser", "set", "bulk_update"})
_QUERY_WORDS = frozenset({"filter", "filter_by", "where", "query", "objects", "exclude",
                          "select_for_update", "all", "scalars", "execute"})
_DICTLIKE = re.compile(r"(?i)(?:dict|kwargs|params|context|ctx|headers|session|cfg|config"
                       r"|options|opts|defaults|settings|meta|extra|cache|env|state|payload"
                       r"|result|response|body|data|values|fields|attrs|mapping|labels|tags)$")
_NOT_MODELS = re.compile(r"(?:Schema|Serializer|Form|Request|Create|Update|In|Input|Payload"
                         r"|DTO|Dto|Params|Query|Response|Out|Error|Exception|Event|Message"
                         r"|Config|Settings|Options|Args|Command|Task|Job|Dict|Tuple)$")
_SCHEMA_BASES = ("BaseModel", "pydantic.BaseModel", "Schema", "TypedDict", "NamedTuple",
                 "BaseSettings", "Struct")
_PRIVILEGED = frozenset({"is_admin", "admin", "is_superuser", "superuser", "is_staff", "staff",
                         "role", "roles", "permissions", "permission", "scopes", "groups",
                         "group", "is_verified", "verified", "email_verified", "balance",
                         "credits", "credit", "owner_id", "owner", "user_id", "account_id",
                         "tenant_id", "org_id", "plan", "tier", "is_active", "is_approved",
                         "approved", "price", "discount", "karma", "reputation", "level",
                         "password_hash", "hashed_password", "id"})


@dataclass
class _Flow:
    raw: set[str] = field(default_factory=set)            # names holding the raw request mapping
    schemas: dict[str, str] = field(default_factory=dict)  # names holding a validated schema
    requests: set[str] = field(default_factory=set)


def _is_request(node: ast.expr, module: Module, flow: _Flow) -> bool:
    if isinstance(node, ast.Name):
        if node.id in flow.requests:
            return True
        return (module.qualname(node) or "").endswith("flask.request") or \
            (module.qualname(node) or "") in ("quart.request", "bottle.request")
    return isinstance(node, ast.Attribute) and node.attr == "request"


def _request_global(module: Module) -> bool:
    return any(v.endswith((".request", "request")) for v in module.imports.values())


def _raw(node: ast.expr | None, module: Module, flow: _Flow) -> bool:
    """Whether `node` is the client's whole mapping."""
    if node is None:
        return False
    if isinstance(node, ast.Await):
        return _raw(node.value, module, flow)
    if isinstance(node, ast.Name):
        return node.id in flow.raw
    if isinstance(node, ast.Attribute):
        return node.attr in _BODY_ATTRS and _is_request(node.value, module, flow)
    if isinstance(node, ast.BoolOp):
        return any(_raw(v, module, flow) for v in node.values)
    if isinstance(node, ast.Dict):
        return any(k is None and _raw(v, module, flow) for k, v in
                   zip(node.keys, node.values, strict=True))
    if isinstance(node, ast.Call):
        func = node.func
        leaf = func.attr if isinstance(func, ast.Attribute) else (
            func.id if isinstance(func, ast.Name) else "")
        if leaf not in _MAPPING_METHODS and leaf not in ("get_json", "json", "form", "dict",
                                                         "loads"):
            return False
        name = (module.qualname(func) or "").replace("()", "")
        if isinstance(func, ast.Attribute):
            if func.attr in _MAPPING_METHODS and _raw(func.value, module, flow):
                return True
            if func.attr in ("get_json", "json", "form") and \
                    _is_request(func.value, module, flow):
                return True
        if name in ("dict", "json.loads", "orjson.loads", "ujson.loads") and node.args:
            arg = node.args[0]
            if _raw(arg, module, flow):
                return True
            return isinstance(arg, ast.Attribute) and arg.attr in ("body", "data") and \
                _is_request(arg.value, module, flow)
    return False


def _schema_dump(node: ast.expr, flow: _Flow) -> str | None:
    """`payload.dict()` / `payload.model_dump()` of a schema parameter: the schema's name, or
    None (also when fields are excluded or included explicitly)."""
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
        return None
    if node.func.attr not in ("dict", "model_dump"):
        return None
    base = node.func.value
    if not isinstance(base, ast.Name) or base.id not in flow.schemas:
        return None
    if any(k.arg in ("include", "exclude") for k in node.keywords):
        return None
    return flow.schemas[base.id]


def _class_fields(cls: ast.ClassDef) -> tuple[set[str], bool]:
    fields: set[str] = set()
    extra_allowed = False
    for stmt in ast.walk(cls):
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            fields.add(stmt.target.id)
        elif isinstance(stmt, ast.keyword) and stmt.arg == "extra":
            extra_allowed |= "allow" in ast.unparse(stmt.value)
        elif isinstance(stmt, ast.Assign):
            for t in stmt.targets:
                if isinstance(t, ast.Name) and t.id == "extra":
                    extra_allowed |= "allow" in ast.unparse(stmt.value)
    return fields, extra_allowed


def _schema_risk(module: Module, name: str) -> str | None:
    """Why splatting this schema is mass assignment: a privileged field or extra fields
    allowed; None when it is safe or unknown."""
    node = module.definitions.get(name)
    if not isinstance(node, ast.ClassDef):
        return None
    fields, extra = _class_fields(node)
    # Fields of schema base classes defined in the same module.
    for base in node.bases:
        if isinstance(base, ast.Name):
            parent = module.definitions.get(base.id)
            if isinstance(parent, ast.ClassDef):
                more, more_extra = _class_fields(parent)
                fields |= more
                extra |= more_extra
    privileged = sorted(fields & _PRIVILEGED)
    if privileged:
        return f"`{name}` declares `{privileged[0]}`"
    if extra:
        return f"`{name}` accepts extra fields"
    return None


def _is_route(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for dec in fn.decorator_list:
        target = dec.func if isinstance(dec, ast.Call) else dec
        if isinstance(target, ast.Attribute) and target.attr in _ROUTE_DECORATORS:
            return True
        if isinstance(target, ast.Name) and target.id in _ROUTE_DECORATORS:
            return True
    return False


def _ann_name(ann: ast.expr | None) -> str | None:
    if isinstance(ann, ast.Name):
        return ann.id
    if isinstance(ann, ast.Attribute):
        return ann.attr
    if isinstance(ann, ast.Subscript):
        return _ann_name(ann.value)
    return None


def _params(fn: ast.FunctionDef | ast.AsyncFunctionDef, module: Module, flow: _Flow) -> None:
    route = _is_route(fn)
    for a in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]:
        ann = _ann_name(a.annotation)
        if a.arg in _REQUEST_NAMES or ann in _REQUEST_TYPES:
            flow.requests.add(a.arg)
        elif route and ann in ("dict", "Dict", "Mapping", "Any"):
            flow.raw.add(a.arg)
        elif route and ann is not None and ann[:1].isupper():
            cls = module.definitions.get(ann)
            if isinstance(cls, ast.ClassDef):
                flow.schemas[a.arg] = ann


def _scope(fn: ast.AST) -> list[ast.AST]:
    """The nodes below `fn`, depth first in source order, not entering nested functions and
    classes."""
    out: list[ast.AST] = []
    stack: list[ast.AST] = walks.children(fn)
    stack.reverse()
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        out.append(node)
        inner = walks.children(node)
        inner.reverse()
        stack.extend(inner)
    return out


def _may_sink(node: ast.AST) -> bool:
    """A call `_sinks` or `_helpers` may look at: one with `**`, an `update`, a `setattr`."""
    assert isinstance(node, ast.Call)
    func = node.func
    return any(k.arg is None for k in node.keywords) or (
        isinstance(func, ast.Attribute) and func.attr == "update") or (
        isinstance(func, ast.Name) and func.id == "setattr")


def _can_report(fn: ast.AST, module: Module) -> bool:
    """Whether `_check` can report in `fn`: it holds a call `_may_sink` accepts, or calls a
    module-level function that holds one (a helper). Computed from per-module line indexes,
    without walking the function."""
    sinks = walks.lines_where(module.tree, "mass.sinks", (ast.Call,), _may_sink)
    if not sinks:
        return False
    if walks.any_line_in(sinks, fn):
        return True
    return walks.any_line_in(walks.memo(module.tree, "mass.helper-calls", _helper_calls), fn)


def _helper_calls(tree: ast.AST) -> list[int]:
    """The lines of calls of module-level functions that hold a call `_may_sink` accepts."""
    assert isinstance(tree, ast.Module)
    sinks = walks.lines_where(tree, "mass.sinks", (ast.Call,), _may_sink)
    helpers = {stmt.name for stmt in tree.body
               if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef)
               and walks.any_line_in(sinks, stmt)}
    return walks.lines_where(
        tree, "mass.helper-calls.lines", (ast.Call,),
        lambda n: isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
        and n.func.id in helpers)


def _filtered(nodes: list[ast.AST], name: str) -> bool:
    """The code removes keys from `name` (`data.pop("role")`, `del data["is_admin"]`) or
    checks keys against a list."""
    for n in nodes:
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and \
                n.func.attr == "pop" and isinstance(n.func.value, ast.Name) and \
                n.func.value.id == name:
            return True
        if isinstance(n, ast.Delete):
            for t in n.targets:
                if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) and \
                        t.value.id == name:
                    return True
    return False


def _track(nodes: list[ast.AST], module: Module, flow: _Flow) -> None:
    for _ in range(2):
        for n in nodes:
            if isinstance(n, ast.Assign | ast.AnnAssign) and n.value is not None:
                targets = n.targets if isinstance(n, ast.Assign) else [n.target]
                names = [t.id for t in targets if isinstance(t, ast.Name)]
                if _raw(n.value, module, flow):
                    flow.raw.update(names)
    for name in list(flow.raw):
        if _filtered(nodes, name):
            flow.raw.discard(name)


def _callee_class(func: ast.expr, module: Module) -> tuple[str, bool] | None:
    """(class name, defined here as an ORM model) for a call of a class that may be a model."""
    name = func.id if isinstance(func, ast.Name) else (
        func.attr if isinstance(func, ast.Attribute) else None)
    if name is None or not name[:1].isupper() or name.isupper() or _NOT_MODELS.search(name):
        return None
    qual = module.qualname(func) or ""
    if qual.startswith(("builtins", "collections", "typing", "dataclasses", "pydantic",
                        "fastapi", "flask", "starlette", "werkzeug", "django.http",
                        "rest_framework", "marshmallow", "attr")):
        return None
    cls = module.definitions.get(name)
    if isinstance(cls, ast.ClassDef):
        bases = " ".join(ast.unparse(b) for b in cls.bases)
        decorated = " ".join(ast.unparse(d) for d in cls.decorator_list)
        if any(s in bases for s in _SCHEMA_BASES) or "dataclass" in decorated or \
                "Exception" in bases or "Error" in bases:
            return None
        orm = any(s in bases for s in ("Model", "Base", "Document", "SQLModel", "db."))
        return name, orm
    return name, False


def _query_receiver(node: ast.expr) -> bool:
    cur: ast.expr = node
    while True:
        if isinstance(cur, ast.Call):
            cur = cur.func
        elif isinstance(cur, ast.Attribute):
            if cur.attr in _QUERY_WORDS:
                return True
            cur = cur.value
        else:
            return False


def _check(node: ast.AST, module: Module) -> Iterator[Hit]:
    assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    if not _can_report(node, module):
        return
    flow = _Flow()
    _params(node, module, flow)
    if not flow.requests and not flow.raw and not flow.schemas and \
            not _request_global(module) and not mentions(module, (".request",)):
        return
    nodes = _scope(node)
    _track(nodes, module, flow)
    yield from _sinks(nodes, module, flow)
    # Helpers of the same module that assign a mapping they receive wholesale.
    helpers = _helpers(module)
    if not helpers:
        return
    for n in nodes:
        if not isinstance(n, ast.Call) or not isinstance(n.func, ast.Name):
            continue
        for index, what in helpers.get(n.func.id, ()):
            arg = _argument(n, index, module)
            if arg is not None and _raw(arg, module, flow):
                yield Hit(n, message=f"`{n.func.id}()` receives every field of the request "
                          f"and passes them to {what}: the client chooses which attributes "
                          "are set")
                break


def _sinks(nodes: list[ast.AST], module: Module, flow: _Flow) -> Iterator[Hit]:
    dict_names = {t.id for n in nodes if isinstance(n, ast.Assign)
                  and isinstance(n.value, ast.Dict | ast.DictComp)
                  for t in n.targets if isinstance(t, ast.Name)}
    for n in nodes:
        if isinstance(n, ast.Call):
            yield from _call_sink(n, module, flow, dict_names)
        elif isinstance(n, ast.For):
            yield from _setattr_loop(n, module, flow)


def _argument(call: ast.Call, index: int, module: Module) -> ast.expr | None:
    fn = module.definitions.get(call.func.id) if isinstance(call.func, ast.Name) else None
    if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
        return None
    params = [a.arg for a in (*fn.args.posonlyargs, *fn.args.args)]
    if index < len(call.args) and not any(isinstance(a, ast.Starred) for a in call.args):
        return call.args[index]
    for kw in call.keywords:
        if index < len(params) and kw.arg == params[index]:
            return kw.value
    return None


_helper_cache: list[tuple[ast.Module, dict[str, list[tuple[int, str]]]]] = []


def _helpers(module: Module) -> dict[str, list[tuple[int, str]]]:
    """Module-level functions that assign a mapping parameter wholesale: name → (parameter
    index, what receives it). Computed once per module."""
    if _helper_cache and _helper_cache[0][0] is module.tree:
        return _helper_cache[0][1]
    out: dict[str, list[tuple[int, str]]] = {}
    for stmt in module.tree.body:
        if not isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) or _is_route(stmt):
            continue
        params = [a.arg for a in (*stmt.args.posonlyargs, *stmt.args.args)]
        if not params:
            continue
        nodes = _scope(stmt)
        if not any(isinstance(n, ast.keyword) and n.arg is None for n in nodes) and \
                not any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name | ast.Attribute)
                        and (getattr(n.func, "id", "") == "setattr"
                             or getattr(n.func, "attr", "") == "update") for n in nodes):
            continue
        for index, param in enumerate(params):
            flow = _Flow(raw={param})
            _track(nodes, module, flow)
            hit = next(iter(_sinks(nodes, module, flow)), None)
            if hit is not None and isinstance(hit.node, ast.Call):
                out.setdefault(stmt.name, []).append((index, _receiver_text(hit.node)))
    _helper_cache[:] = [(module.tree, out)]
    return out


def _receiver_text(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Name):
        return f"`{func.id}(...)`"
    if isinstance(func, ast.Attribute):
        return f"`.{func.attr}(...)`"
    return "a model"


def _splatted(call: ast.Call, module: Module, flow: _Flow) -> tuple[str, Confidence] | None:
    for kw in call.keywords:
        if kw.arg is not None:
            continue
        if _raw(kw.value, module, flow):
            return "every field of the request", H
        schema = _schema_dump(kw.value, flow)
        if schema is not None:
            risk = _schema_risk(module, schema)
            if risk is not None:
                return f"every field of the schema ({risk})", M
    return None


def _call_sink(call: ast.Call, module: Module, flow: _Flow, dict_names: set[str]
               ) -> Iterator[Hit]:
    func = call.func
    splat = _splatted(call, module, flow)
    if splat is not None:
        what, conf = splat
        cls = _callee_class(func, module)
        if cls is not None:
            name, orm = cls
            yield Hit(call, message=f"`{name}(...)` receives {what}: the client chooses "
                      "which attributes are set",
                      confidence=conf if orm else min(conf, M))
            return
        if isinstance(func, ast.Attribute) and func.attr in _WRITE_METHODS:
            receiver = func.value
            plain_dict = isinstance(receiver, ast.Name) and (
                receiver.id in dict_names or bool(_DICTLIKE.search(receiver.id)))
            if func.attr in ("update", "set") and plain_dict:
                return
            query = _query_receiver(receiver)
            yield Hit(call, message=f"`.{func.attr}(...)` receives {what}: the client "
                      "chooses which columns are written",
                      confidence=conf if query else min(conf, M))
            return
    if isinstance(func, ast.Attribute) and func.attr == "update" and call.args:
        schema = _schema_dump(call.args[0], flow)
        risk = _schema_risk(module, schema) if schema is not None else None
        if risk is not None and _query_receiver(func.value):
            yield Hit(call, message=f"A query's update() receives every field of the schema "
                      f"({risk}): the client chooses which columns are written", confidence=M)
            return
        if not _raw(call.args[0], module, flow):
            return
        receiver = func.value
        if isinstance(receiver, ast.Attribute) and receiver.attr == "__dict__":
            yield Hit(call, message="The request's fields are written into an object's "
                      "__dict__: the client chooses which attributes are set")
        elif isinstance(receiver, ast.Call) and isinstance(receiver.func, ast.Name) and \
                receiver.func.id == "vars":
            yield Hit(call, message="The request's fields are written into vars(obj): the "
                      "client chooses which attributes are set")
        elif _query_receiver(receiver):
            yield Hit(call, message="The request's fields are passed whole to a query's "
                      "update(): the client chooses which columns are written")


def _setattr_loop(loop: ast.For, module: Module, flow: _Flow) -> Iterator[Hit]:
    it = loop.iter
    source = it.func.value if isinstance(it, ast.Call) and isinstance(it.func, ast.Attribute) \
        and it.func.attr in ("items", "keys") else it
    if not _raw(source, module, flow):
        return
    target = loop.target
    key = target.elts[0] if isinstance(target, ast.Tuple) and target.elts else target
    if not isinstance(key, ast.Name):
        return
    body = [n for stmt in loop.body for n in ast.walk(stmt)]
    for n in body:
        if isinstance(n, ast.Compare) and any(isinstance(op, ast.In | ast.NotIn)
                                              for op in n.ops) and \
                isinstance(n.left, ast.Name) and n.left.id == key.id:
            return  # the key is checked against a list
    for n in body:
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and \
                n.func.id == "setattr" and len(n.args) >= 2 and \
                isinstance(n.args[1], ast.Name) and n.args[1].id == key.id:
            yield Hit(n, message="setattr() with every key of the request: the client "
                      "chooses which attributes are set")
            return


RULES: tuple[Rule, ...] = (
    Rule("MASS001", "mass-assignment", 915, A08, Severity.HIGH, H,
         "Request data is assigned to a model's fields wholesale",
         node_types=(ast.FunctionDef, ast.AsyncFunctionDef), check=_check),
)
