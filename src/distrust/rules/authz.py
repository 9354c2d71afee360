"""Missing authorization: objects loaded by a client-chosen id with no owner check (AUTHZ001), and
routes left without the authentication their siblings have (AUTHZ002).

Both rules are module-level heuristics: they learn the team's convention from the module itself
(which models are owner-checked, which routes need a login) and report only the departures from
it. Both register on `ast.Module` and walk inside with explicit stacks."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from distrust.model import Confidence, Severity
from distrust.python import nodes
from distrust.python.source import Module
from distrust.rules.rule import A01, Hit, Rule
from distrust.rules.sqltext import argument as _sql_arg
from distrust.rules.sqltext import constants as _sql_constants
from distrust.rules.sqltext import last_name as _last_name
from distrust.rules.sqltext import string as _string

Function = ast.FunctionDef | ast.AsyncFunctionDef

ROUTE_METHODS = frozenset({"route", "get", "post", "put", "patch", "delete", "api_route"})
MUTATING_HTTP = frozenset({"POST", "PUT", "PATCH", "DELETE"})
HTTP_METHODS = frozenset({"get", "post", "put", "patch", "delete"})

# Decorator names (last dotted part) that demand an authenticated or authorised user.
_AUTH_DECORATOR = re.compile(
    r"^(?:.*_)?(?:login|auth|authentication|jwt|token|permission|permissions|perm|perms|role|"
    r"roles|admin|staff|superuser|user|api_?key|key|signin|logged_in|member|owner|"
    r"session|scope|scopes|group|groups)_(?:required|accepted|only|needed)$"
    r"|^requires?_(?!http_methods$|get$|post$|safe$|GET$|POST$)\w+$"
    r"|^(?:authenticated|authorized|authorize|protected|secured|user_passes_test|"
    r"jwt_required|fresh_jwt_required|verify_jwt_in_request|auth_required|requires_auth|"
    r"login_required|roles_accepted|roles_required|permission_required|has_role|has_permission|"
    r"admin_only|staff_only)$",
    re.IGNORECASE,
)
# Decorators that grant access only to some users: they are an authorization check by themselves.
_AUTHZ_DECORATOR = re.compile(
    r"permission|perm|role|admin|staff|superuser|owner|user_passes_test|group|scope|"
    r"^requires?$|^allows?$|^authorize",
    re.IGNORECASE,
)
# Names of FastAPI dependencies that identify or authenticate the caller.
_AUTH_DEPENDENCY = re.compile(
    r"user|auth|token|login|admin|jwt|oauth|principal|permission|credential|identity|"
    r"superuser|staff|api_?key|verify|require|guard|account|member|current",
    re.IGNORECASE,
)
_AUTHZ_DEPENDENCY = re.compile(r"admin|superuser|staff|permission|role|owner|scope",
                               re.IGNORECASE)
# Calls that check access to an object or an action.
_AUTHZ_CALL = re.compile(
    r"perm|authoriz|owner|owns|access|allowed|forbid|^can_|_can_|check_user|ensure_user|"
    r"verify_user|require_user|policy",
    re.IGNORECASE,
)
_AUTH_MIXIN = re.compile(r"LoginRequired|PermissionRequired|UserPassesTest|AccessMixin|"
                         r"Staff\w*Required|Superuser\w*Required|Auth\w*Mixin|Group\w*Required",
                         re.IGNORECASE)
_AUTHZ_MIXIN = re.compile(r"PermissionRequired|UserPassesTest|Staff|Superuser|Group|Owner",
                          re.IGNORECASE)

# Route names and path words that are public by design.
PUBLIC_WORDS = frozenset({
    "login", "logout", "logon", "signin", "signout", "signup", "register", "registration",
    "index", "home", "health", "healthz", "healthcheck", "ping", "static", "about",
    "contact", "privacy", "terms", "tos", "help", "faq", "docs", "robots", "sitemap", "favicon",
    "forgot", "reset", "verify", "verification", "confirm", "confirmation", "activate",
    "activation", "callback", "oauth", "oauth2", "webhook", "webhooks", "public", "token",
    "refresh", "landing", "pricing", "version", "ready", "readiness", "liveness", "metrics",
    "auth", "authorize", "sso", "saml", "openid", "unsubscribe", "captcha", "csrf", "welcome",
    "root", "openapi", "swagger", "redoc", "manifest", "error", "errors",
})
# Read-only routes are reported only when they expose data like this.
SENSITIVE_WORDS = frozenset({
    "admin", "user", "users", "account", "accounts", "order", "orders", "invoice", "invoices",
    "payment", "payments", "billing", "transaction", "transactions", "profile", "profiles",
    "settings", "export", "exports", "dashboard", "report", "reports", "customer", "customers",
    "wallet", "balance", "card", "cards", "secret", "secrets", "key", "keys", "audit", "logs",
    "message", "messages", "document", "documents", "payout", "payouts", "refund", "refunds",
    "subscription", "subscriptions", "member", "members", "employee", "employees", "patient",
    "patients", "record", "records",
})

MUTATING_CALLS = frozenset({
    "commit", "add", "add_all", "delete", "save", "bulk_create", "bulk_update", "create",
    "get_or_create", "update_or_create", "insert_one", "insert_many", "update_one",
    "update_many", "delete_one", "delete_many", "replace_one", "merge", "executemany",
    "executescript", "update", "remove", "destroy",
})
DB_ROOTS = frozenset({"db", "session", "cursor", "cur", "conn", "connection", "collection",
                      "database", "con", "engine", "tx", "transaction", "async_session"})
DB_PARTS = frozenset({"query", "objects", "session", "cursor", "execute", "scalars", "scalar"})
DB_FUNCTIONS = frozenset({"get_object_or_404", "get_list_or_404", "get_db", "get_session",
                          "get_connection", "get_cursor"})
SQL_TABLE = re.compile(r"\b(?:from|update|into|join)\s+[\"`\[]?(\w+)", re.IGNORECASE)
SQL_VERB = re.compile(r"^\s*(\w+)")
ID_NAME = re.compile(r"^(?:id|pk|\w+_(?:id|pk)|[a-z]\w*Id)$")
CAPWORDS = re.compile(r"^[A-Z][A-Za-z0-9]*$")
NOT_MODELS = frozenset({"Path", "PurePath", "Decimal", "Enum", "Request", "Response",
                        "HTTPException", "Session", "Depends", "Query", "Body", "Form",
                        "Header", "Cookie", "JSONResponse", "Q", "F"})
LOADER_METHODS = frozenset({"get", "get_or_none", "get_or_404", "filter", "find_one",
                            "get_by_id", "select", "where", "first_or_404", "one_or_404"})
REQUEST_ROOTS = frozenset({"request", "req"})
REQUEST_DATA_CALLS = frozenset({"get_json", "json", "form", "args", "values", "GET", "POST",
                                "data", "query_params", "body", "dict", "model_dump"})

CBV_READ = re.compile(r"Detail|Retrieve|ReadOnlyModelViewSet")
CBV_WRITE = re.compile(r"Update|Delete|Destroy|Edit|(?<!ReadOnly)ModelViewSet")


# --------------------------------------------------------------------------- small helpers

def _walk(node: ast.AST) -> list[ast.AST]:
    """Every node below `node` (inclusive), not descending into nested functions or classes
    (computed once per function: several checks walk the same function)."""
    return nodes.scope(node)




MAX_CHAIN = 48  # longer attribute/call chains are not followed: checks stay linear


def _chain(expr: ast.AST) -> tuple[list[ast.AST], ast.AST]:
    """The links of an attribute/call/subscript chain from the outside in, and its root (a
    chain longer than MAX_CHAIN links ends at a root that is not a name)."""
    links: list[ast.AST] = []
    current = expr
    while len(links) <= MAX_CHAIN:
        if isinstance(current, ast.Await):
            current = current.value
            continue
        if isinstance(current, ast.Attribute | ast.Call | ast.Subscript):
            links.append(current)
            current = current.func if isinstance(current, ast.Call) else current.value
            continue
        return links, current
    return links, ast.Constant(value=None)


def _parts(expr: ast.AST) -> list[str]:
    """The attribute and called names of a chain, root first: `db.session.get` → db, session,
    get."""
    links, root = _chain(expr)
    out = [root.id] if isinstance(root, ast.Name) else []
    for link in reversed(links):
        if isinstance(link, ast.Attribute):
            out.append(link.attr)
    return out


def _words(text: str) -> set[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1_\2", text)
    return {w for w in re.split(r"[^a-z0-9]+", spaced.lower()) if w}




def _all_args(func: Function) -> list[ast.arg]:
    a = func.args
    out = [*a.posonlyargs, *a.args, *a.kwonlyargs]
    if a.vararg:
        out.append(a.vararg)
    if a.kwarg:
        out.append(a.kwarg)
    return out


def _defaults(func: Function) -> dict[str, ast.expr]:
    a = func.args
    positional = [*a.posonlyargs, *a.args]
    out: dict[str, ast.expr] = {}
    for arg, default in zip(positional[len(positional) - len(a.defaults):], a.defaults,
                            strict=False):
        out[arg.arg] = default
    for arg, kw_default in zip(a.kwonlyargs, a.kw_defaults, strict=False):
        if kw_default is not None:
            out[arg.arg] = kw_default
    return out


# --------------------------------------------------------------------------- routes

@dataclass
class Route:
    func: Function
    group: str
    path: str = ""
    methods: frozenset[str] = frozenset()
    decorator_auth: bool = False
    decorator_authz: bool = False
    dependency_auth: bool = False
    dependency_authz: bool = False
    auth_params: frozenset[str] = frozenset()
    service_params: frozenset[str] = frozenset()
    auth_optional: bool = False

    @property
    def protected(self) -> bool:
        return self.decorator_auth or self.dependency_auth


@dataclass
class ModuleFacts:
    routes: list[Route] = field(default_factory=list)
    protected_groups: set[str] = field(default_factory=set)
    dependency_aliases: dict[str, ast.expr] = field(default_factory=dict)
    is_django: bool = False


def _dependency_target(expr: ast.AST | None, aliases: dict[str, ast.expr]) -> ast.Call | None:
    """`Depends(get_current_user)` or `Security(...)` within a default or an annotation."""
    if expr is None:
        return None
    if isinstance(expr, ast.Name) and expr.id in aliases:
        expr = aliases[expr.id]
    stack: list[ast.AST] = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Call) and _last_name(node.func) in ("Depends", "Security"):
            return node
        if isinstance(node, ast.Name) and node.id in aliases and node is not expr:
            stack.append(aliases[node.id])
            continue
        stack.extend(nodes.children(node))
    return None


def _dependency_kind(call: ast.Call) -> tuple[bool, bool]:
    """(authenticates, authorises) for a `Depends(...)`/`Security(...)` call."""
    if _last_name(call.func) == "Security":
        return True, bool(call.keywords)
    target = call.args[0] if call.args else next(
        (k.value for k in call.keywords if k.arg == "dependency"), None)
    if target is None:
        return False, False
    text = ast.unparse(target) if isinstance(target, ast.Call) else ".".join(_parts(target))
    return bool(_AUTH_DEPENDENCY.search(text)), bool(_AUTHZ_DEPENDENCY.search(text))


def _dependency_list_auth(value: ast.AST, aliases: dict[str, ast.expr]) -> tuple[bool, bool]:
    auth = authz = False
    if isinstance(value, ast.List | ast.Tuple):
        for elt in value.elts:
            call = _dependency_target(elt, aliases)
            if call is not None:
                a, z = _dependency_kind(call)
                auth, authz = auth or a, authz or z
    return auth, authz


def _module_facts(module: Module) -> ModuleFacts:
    """The routes and conventions of the module, found once (both rules read them)."""
    return nodes.memo(module.tree, "authz.module-facts", lambda _: _find_module_facts(module))


def _find_module_facts(module: Module) -> ModuleFacts:
    facts = ModuleFacts()
    facts.is_django = any(v.split(".")[0] in ("django", "rest_framework")
                          for v in module.imports.values())
    for node in module.tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [t.id for t in targets if isinstance(t, ast.Name)]
            if not names:
                continue
            if _dependency_target(node.value, {}) is not None:
                for name in names:
                    facts.dependency_aliases[name] = node.value
            if isinstance(node.value, ast.Call) and _last_name(node.value.func) in (
                    "APIRouter", "FastAPI", "Blueprint", "APIBlueprint"):
                for kw in node.value.keywords:
                    if kw.arg == "dependencies" and _dependency_list_auth(kw.value, {})[0]:
                        facts.protected_groups.update(names)
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            # `bp.before_request(require_login)` and `app.include_router(r, dependencies=...)`
            call = node.value
            if isinstance(call.func, ast.Attribute) and call.func.attr in (
                    "before_request", "before_app_request"):
                facts.protected_groups.add(".".join(_parts(call.func.value)))
    for node in module.tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for dec in node.decorator_list:
                if isinstance(dec, ast.Attribute) and dec.attr in ("before_request",
                                                                   "before_app_request"):
                    facts.protected_groups.add(".".join(_parts(dec.value)))
            route = _route(node, module, facts)
            if route is not None:
                facts.routes.append(route)
    return facts


def _route(func: Function, module: Module, facts: ModuleFacts) -> Route | None:
    route: Route | None = None
    for dec in func.decorator_list:
        if (isinstance(dec, ast.Call) and isinstance(dec.func, ast.Attribute)
                and dec.func.attr in ROUTE_METHODS):
            receiver = ".".join(_parts(dec.func.value))
            if not receiver or receiver.split(".")[0] in ("requests", "httpx", "self", "cls"):
                continue
            path = _string(dec.args[0]) if dec.args else None
            if path is None:
                for kw in dec.keywords:
                    if kw.arg in ("path", "rule"):
                        path = _string(kw.value)
            if path is None:
                continue
            if dec.func.attr in ("route", "api_route"):
                methods = _methods(dec) or frozenset({"GET"})
            else:
                methods = frozenset({dec.func.attr.upper()})
            route = Route(func, receiver, path, methods)
            for kw in dec.keywords:
                if kw.arg == "dependencies":
                    auth, authz = _dependency_list_auth(kw.value, facts.dependency_aliases)
                    route.dependency_auth |= auth
                    route.dependency_authz |= authz
        elif _last_name(dec) == "api_view":
            methods = _methods(dec) or frozenset({"GET"})
            if isinstance(dec, ast.Call) and dec.args and isinstance(dec.args[0],
                                                                     ast.List | ast.Tuple):
                methods = frozenset(_string(e).upper() for e in dec.args[0].elts  # type: ignore[union-attr]
                                    if _string(e))
            route = Route(func, "<django>", func.name, methods)
    if route is None and facts.is_django and not func.name.startswith("_") \
            and re.search(r"view|api", module.path.rpartition("/")[2]):
        args = func.args.posonlyargs + func.args.args
        if args and args[0].arg == "request":
            route = Route(func, "<django>", func.name, frozenset())
    if route is None:
        return None
    for dec in func.decorator_list:
        name = _last_name(dec)
        if name == "method_decorator" and isinstance(dec, ast.Call) and dec.args:
            name = _last_name(dec.args[0])
        optional = isinstance(dec, ast.Call) and any(
            k.arg == "optional" and not (isinstance(k.value, ast.Constant)
                                         and k.value.value is False) for k in dec.keywords)
        if _AUTH_DECORATOR.search(name) and not optional:
            route.decorator_auth = True
            if _AUTHZ_DECORATOR.search(name):
                route.decorator_authz = True
        elif optional or re.search(r"optional|login_not_required|public|anonymous|allow_any", name,
                       re.IGNORECASE):
            route.auth_optional = True  # `@jwt_optional`: public on purpose
    defaults = _defaults(func)
    auth_params: set[str] = set()
    service: set[str] = set()
    for arg in _all_args(func):
        call = _dependency_target(defaults.get(arg.arg), facts.dependency_aliases) or \
            _dependency_target(arg.annotation, facts.dependency_aliases)
        if call is None:
            continue
        auth, authz = _dependency_kind(call)
        if auth:
            auth_params.add(arg.arg)
            route.dependency_auth = True
            route.dependency_authz |= authz
        else:
            service.add(arg.arg)
    route.auth_params = frozenset(auth_params)
    route.service_params = frozenset(service)
    return route


def _methods(dec: ast.expr) -> frozenset[str]:
    if not isinstance(dec, ast.Call):
        return frozenset()
    for kw in dec.keywords:
        if kw.arg in ("methods", "http_method_names") and isinstance(kw.value,
                                                                     ast.List | ast.Tuple):
            return frozenset(s.upper() for e in kw.value.elts if (s := _string(e)))
    return frozenset()


# --------------------------------------------------------------------------- who is the user

def _is_user_expr(expr: ast.AST, users: set[str]) -> bool:
    """`current_user`, `g.user`, `request.user`, `self.request.user`, `get_jwt_identity()`,
    `session["user_id"]`, a user dependency parameter or a local bound from one of these, or
    an attribute or item of one (`current_user.id`)."""
    for _ in range(MAX_CHAIN):
        if isinstance(expr, ast.Name):
            return expr.id in users or expr.id in ("current_user", "current_identity")
        if isinstance(expr, ast.Attribute):
            if expr.attr in ("user", "current_user", "auth", "identity", "principal") \
                    and _near_root(expr.value) in ("g", "request", "self", "info", "ctx",
                                                   "flask"):
                return True
            expr = expr.value
        elif isinstance(expr, ast.Call):
            name = _last_name(expr.func).lower()
            if re.search(r"current_user|jwt_identity|get_identity|authenticated_user|"
                         r"get_user_from|user_from_token|logged_in_user|get_jwt$", name):
                return True
            if isinstance(expr.func, ast.Attribute) and expr.func.attr == "get" and expr.args:
                key = _string(expr.args[0])
                return _root_name(expr.func.value) == "session" and bool(key and "user" in key)
            if not (isinstance(expr.func, ast.Attribute)
                    and expr.func.attr in ("get_id", "_get_current_object")):
                return False
            expr = expr.func.value
        elif isinstance(expr, ast.Subscript):
            key = _string(expr.slice)
            if _root_name(expr.value) == "session" and key and "user" in key:
                return True
            expr = expr.value
        elif isinstance(expr, ast.Await):
            expr = expr.value
        else:
            return False
    return False


def _near_root(expr: ast.AST) -> str:
    """The name at most three attributes up: `request` for `self.request`, `info.context`."""
    for _ in range(3):
        if isinstance(expr, ast.Name):
            return expr.id
        if not isinstance(expr, ast.Attribute):
            return ""
        expr = expr.value
    return expr.id if isinstance(expr, ast.Name) else ""


def _root_name(expr: ast.AST) -> str:
    _, root = _chain(expr)
    return root.id if isinstance(root, ast.Name) else ""


def _mentions_user(expr: ast.AST, users: set[str]) -> bool:
    return any(_is_user_expr(n, users) for n in _walk(expr))


def _assignments(func: Function) -> list[tuple[list[str], ast.expr, int]]:
    """(names bound, value, line) of the function's assignments, by line (computed once per
    function; callers must not change the list)."""
    return nodes.memo(func, "authz.assignments", _collect_assignments)


def _collect_assignments(func: ast.AST) -> list[tuple[list[str], ast.expr, int]]:
    out: list[tuple[list[str], ast.expr, int]] = []
    for node in _walk(func):
        if isinstance(node, ast.Assign):
            names = [n.id for t in node.targets
                     for n in ((t,) if isinstance(t, ast.Name) else _walk(t))
                     if isinstance(n, ast.Name)]
            out.append((names, node.value, node.lineno))
        elif isinstance(node, ast.AnnAssign | ast.NamedExpr) and node.value is not None:
            names = [n.id for n in _walk(node.target) if isinstance(n, ast.Name)]
            out.append((names, node.value, node.lineno))
    out.sort(key=lambda item: item[2])
    return out


def _users_of(func: Function, route: Route | None) -> set[str]:
    users = set(route.auth_params) if route else set()
    for arg in _all_args(func):
        if arg.arg in ("current_user", "user", "auth_user", "me", "principal") and route \
                and arg.arg not in route.service_params and not ID_NAME.match(arg.arg):
            users.add(arg.arg)
    for names, value, _ in _assignments(func):
        if _is_user_expr(value, users) or (
                isinstance(value, ast.Call | ast.Await) and _mentions_user(value, users)
                and all(ID_NAME.match(n) or "user" in n.lower() or "owner" in n.lower()
                        for n in names)):
            users.update(names)
    return users


# --------------------------------------------------------------------------- ids from the client

def _ids_of(func: Function, route: Route | None, users: set[str]
            ) -> tuple[set[str], set[str]]:
    """Names holding an id the client chose (id-like parameters of a route: URL or body, and
    locals bound from an id-like field of the request data), and names holding request data."""
    ids: set[str] = set()
    data: set[str] = set()
    skip = (route.auth_params | route.service_params) if route else frozenset()
    for arg in _all_args(func):
        if arg.arg in skip or arg.arg in ("self", "cls", "request") or arg.arg in users:
            continue
        if ID_NAME.match(arg.arg):
            ids.add(arg.arg)
        elif route is not None and arg.annotation is not None:
            data.add(arg.arg)  # a FastAPI body model: `payload.order_id`
    for names, value, _ in _assignments(func):
        if _is_request_data(value, data):
            data.update(names)
        inner = value
        while isinstance(inner, ast.Call) and len(inner.args) == 1 and _last_name(
                inner.func) in ("int", "str", "UUID", "ObjectId", "uuid", "escape"):
            inner = inner.args[0]
        if _is_client_id(inner, ids, data):
            ids.update(n for n in names if n not in users)
    return ids, data


def _is_request_data(expr: ast.AST, data: set[str]) -> bool:
    if isinstance(expr, ast.Await):
        expr = expr.value
    parts = _parts(expr)
    if not parts:
        return False
    if parts[0] in REQUEST_ROOTS and any(p in REQUEST_DATA_CALLS for p in parts[1:]):
        return True
    return parts[0] in data and len(parts) > 1 and parts[-1] in ("dict", "model_dump")


def _is_client_id(expr: ast.AST, ids: set[str], data: set[str]) -> bool:
    if isinstance(expr, ast.Name):
        return expr.id in ids
    key: str | None = None
    receiver: ast.AST | None = None
    if isinstance(expr, ast.Subscript):
        key, receiver = _string(expr.slice), expr.value
    elif isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) \
            and expr.func.attr in ("get", "getlist") and expr.args:
        key, receiver = _string(expr.args[0]), expr.func.value
    elif isinstance(expr, ast.Attribute) and ID_NAME.match(expr.attr):
        key, receiver = expr.attr, expr.value
    if key is None or receiver is None or not ID_NAME.match(key):
        return False
    root = _root_name(receiver)
    return _is_request_data(receiver, data) or root in data


def _mentions_id(expr: ast.AST, ids: set[str], data: set[str]) -> bool:
    return any(_is_client_id(n, ids, data) for n in _walk(expr))


# --------------------------------------------------------------------------- loads by id

@dataclass(frozen=True)
class Load:
    call: ast.Call
    model: str
    keyed: bool          # an argument of the chain is a client-chosen id
    scoped: bool         # the chain itself mentions the current user
    write: bool          # the chain deletes/updates
    target: str | None   # the local the loaded object is bound to


def _outer_calls(func: Function) -> list[ast.Call]:
    inner: set[int] = set()
    calls: list[ast.Call] = []
    for node in _walk(func):
        if isinstance(node, ast.Call):
            calls.append(node)
            links, _ = _chain(node.func)
            inner.update(id(link) for link in links if isinstance(link, ast.Call))
    return [c for c in calls if id(c) not in inner]






def _model_of(call: ast.Call, module: Module, consts: dict[str, str] | None = None
              ) -> tuple[str, bool] | None:
    """The model (or `table:name`) a query chain reads, and whether the chain writes."""
    links, root = _chain(call)
    called = [_last_name(link.func) for link in links if isinstance(link, ast.Call)]
    write = any(n in ("delete", "update") for n in called)
    # SQL text
    for link in links:
        if isinstance(link, ast.Call) and _last_name(link.func) in ("execute", "executemany",
                                                                    "fetch", "fetchrow",
                                                                    "fetchval", "query"):
            sql = _sql_arg(link.args[0], consts or {}) if link.args else None
            if sql:
                table = SQL_TABLE.search(sql)
                verb = SQL_VERB.match(sql)
                if table and verb and verb.group(1).upper() in ("SELECT", "UPDATE", "DELETE"):
                    return (f"table:{table.group(1).lower()}",
                            verb.group(1).upper() in ("UPDATE", "DELETE"))
                return None
    # `Order.query...`, `Invoice.objects...`, `Order.get(id=...)`
    if isinstance(root, ast.Name) and CAPWORDS.match(root.id) and root.id not in NOT_MODELS \
            and module.resolve(root.id) is not None:
        first = links[-1] if links else None
        if isinstance(first, ast.Attribute) and first.attr in ("query", "objects",
                                                               "_default_manager"):
            return root.id, write
        if isinstance(first, ast.Attribute) and first.attr in LOADER_METHODS and len(links) >= 2:
            return root.id, write
    # `db.session.get(Order, id)`, `get_object_or_404(Invoice, pk=pk)`, `select(Order)`
    for link in links:
        if not isinstance(link, ast.Call) or not link.args:
            continue
        fname = _last_name(link.func)
        if fname in ("get", "get_or_404", "get_object_or_404", "get_list_or_404", "query",
                     "select", "first_or_404", "one_or_404", "scalar", "execute", "scalars",
                     "delete", "update", "find"):
            arg = link.args[0]
            if isinstance(arg, ast.Name) and CAPWORDS.match(arg.id) \
                    and arg.id not in NOT_MODELS and module.resolve(arg.id) is not None:
                return arg.id, write or fname in ("delete", "update")
            if isinstance(arg, ast.Call | ast.Attribute):
                nested = _model_of(arg, module, consts) if isinstance(arg, ast.Call) \
                    else None
                if nested is not None:
                    return nested[0], write or nested[1] or fname in ("delete", "update")
                inner_root = _root_name(arg)
                if CAPWORDS.match(inner_root) and inner_root not in NOT_MODELS \
                        and module.resolve(inner_root) is not None \
                        and _parts(arg)[1:2] == ["objects"]:
                    return inner_root, write
    return None


def _candidate_loads(func: Function, module: Module
                     ) -> list[tuple[ast.Call, tuple[str, bool]]]:
    """The outermost calls of the function that read a model, with the model and whether
    they write (computed once per function)."""
    def find(_: ast.AST) -> list[tuple[ast.Call, tuple[str, bool]]]:
        consts = _sql_constants(func)
        out = []
        for call in _outer_calls(func):
            found = _model_of(call, module, consts)
            if found is not None:
                out.append((call, found))
        return out
    return nodes.memo(func, "authz.candidate-loads", find)


def _loads(func: Function, module: Module, ids: set[str], data: set[str], users: set[str]
           ) -> list[Load]:
    targets: dict[int, str] = {}
    for node in _walk(func):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                and isinstance(node.targets[0], ast.Name):
            value = node.value.value if isinstance(node.value, ast.Await) else node.value
            targets[id(value)] = node.targets[0].id
    out: list[Load] = []
    for call, (model, write) in _candidate_loads(func, module):
        args: list[ast.AST] = []
        links, root = _chain(call)
        for link in links:
            if isinstance(link, ast.Call):
                args.extend(link.args)
                args.extend(k.value for k in link.keywords)
        keyed = any(_mentions_id(a, ids, data) for a in args)
        scoped = any(_mentions_user(a, users) for a in args) or _is_user_expr(root, users) \
            or any(_is_user_expr(link, users) for link in links
                   if isinstance(link, ast.Attribute))
        out.append(Load(call, model, keyed, scoped, write, targets.get(id(call))))
    # `session.execute(select(Order).where(...))` holds the load `select(Order)...`: keep the
    # outermost one.
    nested: set[int] = set()
    for load in out:
        nested.update(id(n) for n in ast.walk(load.call) if n is not load.call)
    return [load for load in out if id(load.call) not in nested]


def _mutated(func: Function, name: str) -> bool:
    for node in _walk(func):
        if isinstance(node, ast.Assign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Attribute) and _root_name(t) == name for t in targets):
                return True
        elif isinstance(node, ast.Call):
            if isinstance(node.func, ast.Attribute) and node.func.attr in ("delete", "save",
                                                                           "update") \
                    and _root_name(node.func.value) == name:
                return True
            if _last_name(node.func) in ("delete", "remove", "merge") and any(
                    isinstance(a, ast.Name) and a.id == name for a in node.args):
                return True
    return False


def _guard_tests(func: Function) -> list[ast.expr]:
    tests: list[ast.expr] = []
    for node in _walk(func):
        if isinstance(node, ast.If | ast.While | ast.IfExp | ast.Assert):
            tests.append(node.test)
        elif isinstance(node, ast.comprehension):
            tests.extend(node.ifs)
        elif isinstance(node, ast.Match):
            tests.append(node.subject)
    return tests


def _authz_calls(func: Function) -> list[ast.Call]:
    out = []
    for node in _walk(func):
        if isinstance(node, ast.Call) and _AUTHZ_CALL.search(_last_name(node.func)):
            out.append(node)
    return out


@dataclass
class FunctionFacts:
    func: Function
    route: Route | None
    users: set[str]
    ids: set[str]
    loads: list[Load]
    guarded: bool            # some test or call checks the user or a permission
    checked_names: set[str]  # names that appear next to the user in a test


def _function_facts(func: Function, route: Route | None, module: Module) -> FunctionFacts:
    if not _candidate_loads(func, module):  # users, ids and guards are read only for loads
        return FunctionFacts(func, route, set(), set(), [], False, set())
    users = _users_of(func, route)
    ids, data = _ids_of(func, route, users)
    if route is None:
        ids |= {a.arg for a in _all_args(func) if ID_NAME.match(a.arg)}
    loads = _loads(func, module, ids, data, users)
    guarded = False
    checked: set[str] = set()
    if not loads:  # the guard facts are read only for the loads: none to check
        return FunctionFacts(func, route, users, ids, loads, guarded, checked)
    for test in _guard_tests(func):
        if _mentions_user(test, users):
            guarded = True
            checked.update(n.id for n in _walk(test) if isinstance(n, ast.Name))
    if _authz_calls(func):
        guarded = True  # a permission check: quiet, but not evidence of an owner check
    if route is not None and (route.decorator_authz or route.dependency_authz):
        guarded = True
    return FunctionFacts(func, route, users, ids, loads, guarded, checked)


def _load_is_checked(facts: FunctionFacts, load: Load) -> bool:
    if load.scoped:
        return True
    names = {load.target} if load.target else set()
    if load.target:
        # `result = await db.execute(select(Order)...); order = result.scalar_one()`
        for bound, value, line in _assignments(facts.func):
            if line >= load.call.lineno and any(
                    isinstance(n, ast.Name) and n.id in names for n in _walk(value)):
                names.update(bound)
    names |= {n.id for n in _walk(load.call) if isinstance(n, ast.Name) and n.id in facts.ids}
    if load.target is None:
        # `cur.execute(...); row = cur.fetchone()`: the row is bound after the call
        names |= {n for names_, _, line in _assignments(facts.func)
                  if line >= load.call.lineno for n in names_}
    return bool(names & facts.checked_names)


def _load_writes(facts: FunctionFacts, load: Load) -> bool:
    """Whether the route changes what it loads: the query deletes or updates, the object is
    assigned to or saved, or the route answers only PUT, PATCH, DELETE or POST."""
    if facts.route is not None and facts.route.methods and facts.route.methods <= MUTATING_HTTP:
        return True
    return load.write or (load.target is not None and _mutated(facts.func, load.target))


# --------------------------------------------------------------------------- class-based views

def _class_views(module: Module) -> Iterator[tuple[ast.ClassDef, str, bool, ast.AST]]:
    """Django/DRF generic views: (class, model, writes, node naming the model)."""
    for node in module.tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        bases = " ".join(".".join(_parts(b)) for b in node.bases)
        writes = bool(CBV_WRITE.search(bases))
        if not (writes or CBV_READ.search(bases)):
            continue
        for stmt in node.body:
            if isinstance(stmt, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id in ("model", "queryset")
                    for t in stmt.targets):
                value = stmt.value
                root = _root_name(value)
                if isinstance(value, ast.Name):
                    yield node, value.id, writes, stmt
                elif root and CAPWORDS.match(root) and _parts(value)[1:2] == ["objects"]:
                    yield node, root, writes, stmt


def _class_guarded(cls: ast.ClassDef) -> bool:
    bases = " ".join(".".join(_parts(b)) for b in cls.bases)
    if _AUTHZ_MIXIN.search(bases):
        return True
    for stmt in cls.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and stmt.name in (
                "get_queryset", "get_object", "test_func", "has_permission",
                "check_object_permissions", "dispatch", "has_object_permission"):
            return True
        if isinstance(stmt, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id in ("permission_required",)
                for t in stmt.targets):
            return True
        # Flask `MethodView.decorators`, Flask-RESTful `method_decorators`
        if isinstance(stmt, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id in ("decorators", "method_decorators")
                for t in stmt.targets) and isinstance(stmt.value, ast.List | ast.Tuple) \
                and any(_AUTHZ_DECORATOR.search(_last_name(d)) for d in stmt.value.elts):
            return True
        if isinstance(stmt, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "permission_classes" for t in stmt.targets):
            names = {n.id for n in _walk(stmt.value) if isinstance(n, ast.Name)} | {
                n.attr for n in _walk(stmt.value) if isinstance(n, ast.Attribute)}
            if names - {"IsAuthenticated", "AllowAny", "permissions",
                        "IsAuthenticatedOrReadOnly"}:
                return True
    return any(_AUTHZ_DECORATOR.search(_last_name(d.args[0] if isinstance(d, ast.Call)
                                                  and d.args else d))
               for d in cls.decorator_list)


def _class_scoped_models(module: Module) -> dict[str, set[str]]:
    """Models whose generic views narrow `get_queryset` to the current user."""
    out: dict[str, set[str]] = {}
    for node in module.tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        bases = " ".join(".".join(_parts(b)) for b in node.bases)
        writes = bool(CBV_WRITE.search(bases))
        if not (writes or CBV_READ.search(bases)):
            continue
        for stmt in node.body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and stmt.name in (
                    "get_queryset", "get_object"):
                facts = _function_facts(stmt, None, module)
                for load in facts.loads:
                    if _load_is_checked(facts, load):
                        out.setdefault(load.model, set()).add("write" if writes else "read")
    return out


# --------------------------------------------------------------------------- AUTHZ001

def _check_idor(node: ast.AST, module: Module) -> Iterable[ast.AST | Hit]:
    if not isinstance(node, ast.Module):
        return
    facts = _module_facts(module)
    if not facts.routes and not any(isinstance(n, ast.ClassDef) for n in module.tree.body):
        return  # no route to report on
    routes = {id(r.func): r for r in facts.routes}
    pairs: list[tuple[Function, Route | None]] = []
    stack: list[tuple[ast.AST, ast.ClassDef | None]] = [(n, None) for n in module.tree.body]
    while stack:
        item, owner = stack.pop()
        if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
            route = routes.get(id(item))
            if route is None and owner is not None and item.name in HTTP_METHODS \
                    and re.search(r"View|Resource|Endpoint|Handler", " ".join(
                        ".".join(_parts(b)) for b in owner.bases)):
                # a method of a class-based view: `def get(self, request, pk)`
                route = Route(item, f"<class {owner.name}>", owner.name,
                              frozenset({item.name.upper()}))
                route.decorator_authz = _class_guarded(owner)
            pairs.append((item, route))
        elif isinstance(item, ast.ClassDef):
            stack.extend((n, item) for n in item.body)
    # Only an unguarded route's load by a client id, or a generic view, can be reported: the
    # facts of the other functions (the module's convention) are needed only when one exists.
    routed = {id(item): _function_facts(item, route, module)
              for item, route in pairs if route is not None}
    if not any(not f.guarded and any(load.keyed for load in f.loads) for f in routed.values()) \
            and next(_class_views(module), None) is None:
        return
    functions = [routed.get(id(item)) or _function_facts(item, route, module)
                 for item, route in pairs]
    # The convention: models loaded by id with an owner check somewhere in this module.
    convention: dict[str, set[str]] = _class_scoped_models(module)
    evidence: dict[str, int] = {}
    for f in functions:
        for load in f.loads:
            if load.keyed and _load_is_checked(f, load):
                kind = "write" if _load_writes(f, load) else "read"
                convention.setdefault(load.model, set()).add(kind)
                evidence[load.model] = min(evidence.get(load.model, load.call.lineno),
                                           load.call.lineno)
    if not convention:
        return
    for f in functions:
        if f.route is None or f.guarded:
            continue
        for load in f.loads:
            if not load.keyed or _load_is_checked(f, load):
                continue
            kinds = convention.get(load.model)
            if not kinds:
                continue
            writes = _load_writes(f, load)
            if not writes and "read" not in kinds:
                continue
            what = load.model.removeprefix("table:")
            where = evidence.get(load.model)
            seen = f" (line {where})" if where else ""
            known_user = bool(f.users) or f.route.protected
            yield Hit(
                load.call,
                message=(f"{'Changes' if writes else 'Loads'} the `{what}` named by an id from "
                         f"the request without checking that it belongs to the current user; "
                         f"this module checks the owner of `{what}` elsewhere{seen}"),
                confidence=Confidence.MEDIUM if known_user else Confidence.LOW,
            )
    for cls, model, writes, stmt in _class_views(module):
        kinds = convention.get(model)
        if not kinds or (not writes and "read" not in kinds) or _class_guarded(cls):
            continue
        yield Hit(
            stmt,
            message=(f"`{cls.name}` serves any `{model}` by the id in the URL: it does not "
                     f"narrow `get_queryset()` to the current user as other views of "
                     f"`{model}` in this module do"),
        )


# --------------------------------------------------------------------------- AUTHZ002

def _touches_data(func: Function, module: Module) -> tuple[bool, bool]:
    """(reads or writes a database, writes one)."""
    touches = mutates = False
    for node in _walk(func):
        if not isinstance(node, ast.Call):
            continue
        parts = _parts(node.func)
        name = _last_name(node.func)
        db = bool(parts) and (parts[0] in DB_ROOTS or bool(set(parts[1:]) & DB_PARTS)
                              or name in DB_FUNCTIONS or _model_of(node, module) is not None)
        if name in ("get_object_or_404", "get_list_or_404"):
            db = True
        if not db and isinstance(node.func, ast.Attribute) and name in ("save", "delete") \
                and not node.args:
            db = mutates = True  # `order.save()`, `invoice.delete()`
        if not db:
            continue
        touches = True
        if name in MUTATING_CALLS:
            mutates = True
        if name in ("execute", "executemany") and node.args:
            sql = _string(node.args[0])
            verb = SQL_VERB.match(sql) if sql else None
            if verb and verb.group(1).upper() in ("INSERT", "UPDATE", "DELETE", "REPLACE"):
                mutates = True
    return touches, mutates


def _is_public(route: Route) -> bool:
    """Login, health, index, webhooks...: the first or last word of the function's name or the
    first path segment (after `api`, `v1`) says it is public by design."""
    if route.path.strip() in ("/", "") and route.group != "<django>":
        return True
    name = [w for w in re.split(r"_+", re.sub(r"([a-z])([A-Z])", r"\1_\2", route.func.name)
                                 .lower()) if w]
    if name and (name[0] in PUBLIC_WORDS or name[-1] in PUBLIC_WORDS):
        return True
    if route.group == "<django>":
        return False
    segments = [seg for seg in re.split(r"/+", route.path.lower()) if seg and not re.match(
        r"^(api|v\d+|<.*>|\{.*\})$", seg)]
    return bool(segments) and bool(_words(segments[0]) & PUBLIC_WORDS)


def _is_signup(route: Route) -> bool:
    """`create_user` that takes a password: registration, public by design."""
    if not _words(route.func.name) & {"user", "users", "account", "accounts", "member"}:
        return False
    for node in _walk(route.func):
        text = node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) \
            else node.attr if isinstance(node, ast.Attribute) \
            else node.id if isinstance(node, ast.Name) else ""
        if "password" in text.lower():
            return True
    return False


def _body_knows_user(func: Function, route: Route) -> bool:
    users = _users_of(func, route)
    for node in _walk(func):
        if _is_user_expr(node, users):
            return True
        if isinstance(node, ast.Call):
            name = _last_name(node.func).lower()
            if re.search(r"verify_jwt|decode_token|authenticate|check_auth|require_login|"
                         r"verify_token|get_current|check_token|validate_token|"
                         r"is_authenticated|login_user|require_auth|auth", name):
                return True
        if isinstance(node, ast.Subscript | ast.Call) and _reads_credentials(node):
            return True
    return False


def _reads_credentials(node: ast.Subscript | ast.Call) -> bool:
    """`session["user_id"]`, `request.headers.get("Authorization")`, `request.cookies["token"]`:
    the route checks the caller itself."""
    if isinstance(node, ast.Subscript):
        key, receiver = _string(node.slice), node.value
    elif isinstance(node.func, ast.Attribute) and node.func.attr == "get" and node.args:
        key, receiver = _string(node.args[0]), node.func.value
    else:
        return False
    if not key:
        return False
    parts = _parts(receiver)
    if not parts or not (parts[0] == "session" or {"headers", "cookies", "COOKIES", "META"}
                         & set(parts)):
        return False
    return bool(re.search(r"user|token|auth|api.?key|session", key, re.IGNORECASE))


def _class_view_auth(cls: ast.ClassDef) -> bool | None:
    """Whether a Django/DRF class-based view requires a login (None: not a view)."""
    bases = " ".join(".".join(_parts(b)) for b in cls.bases)
    if not re.search(r"View|ViewSet|Mixin", bases):
        return None
    if _AUTH_MIXIN.search(bases):
        return True
    for dec in cls.decorator_list:
        name = _last_name(dec)
        if name == "method_decorator" and isinstance(dec, ast.Call) and dec.args:
            name = _last_name(dec.args[0])
        if _AUTH_DECORATOR.search(name):
            return True
    for stmt in cls.body:
        if isinstance(stmt, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id in ("permission_classes",
                                                     "authentication_classes")
                for t in stmt.targets):
            names = {n.id for n in _walk(stmt.value) if isinstance(n, ast.Name)} | {
                n.attr for n in _walk(stmt.value) if isinstance(n, ast.Attribute)}
            return bool(names - {"AllowAny", "permissions"})
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            for dec in stmt.decorator_list:
                name = _last_name(dec)
                if name == "method_decorator" and isinstance(dec, ast.Call) and dec.args:
                    name = _last_name(dec.args[0])
                if _AUTH_DECORATOR.search(name):
                    return True
    return False


def _class_knows_user(cls: ast.ClassDef) -> bool:
    """A view that checks its caller itself: it overrides `dispatch`/`get_object`/... or reads
    `self.request.user` somewhere."""
    for stmt in cls.body:
        if not isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if stmt.name in ("dispatch", "get_object", "get_queryset", "test_func",
                         "has_permission", "check_permissions", "initial"):
            return True
        if any(_is_user_expr(n, set()) for n in _walk(stmt)):
            return True
    return False


def _check_missing_auth(node: ast.AST, module: Module) -> Iterable[ast.AST | Hit]:
    if not isinstance(node, ast.Module):
        return
    facts = _module_facts(module)
    groups: dict[str, list[Route]] = {}
    for route in facts.routes:
        if route.group in facts.protected_groups:
            continue
        groups.setdefault(route.group, []).append(route)
    class_views: list[tuple[ast.ClassDef, bool]] = []
    if facts.is_django:
        for stmt in module.tree.body:
            if isinstance(stmt, ast.ClassDef):
                auth = _class_view_auth(stmt)
                if auth is not None:
                    class_views.append((stmt, auth))
        if class_views:
            groups.setdefault("<django>", [])
    for group, routes in groups.items():
        protected = [r for r in routes if r.protected]
        extra = [c for c, auth in class_views if auth] if group == "<django>" else []
        n_protected = len(protected) + len(extra)
        if n_protected < 2:
            continue
        hits: list[Hit] = []
        for route in routes:
            if route.protected or route.auth_optional or _is_public(route) \
                    or _is_signup(route) or _body_knows_user(route.func, route):
                continue
            touches, mutates = _touches_data(route.func, module)
            sensitive = bool((_words(route.func.name) | _words(route.path)) & SENSITIVE_WORDS)
            if not touches or not (mutates or sensitive):
                continue  # a public page over public data: the catalogue, a blog post
            where = "this module" if group == "<django>" else f"`{group}`"
            hits.append(Hit(
                _name_node(route.func, module),
                message=(f"Route `{route.func.name}` has no authentication, while "
                         f"{n_protected} other routes of {where} require it; it "
                         f"{'changes' if mutates else 'reads'} stored data"),
                confidence=Confidence.MEDIUM if mutates else Confidence.LOW,
            ))
        if group == "<django>":
            for cls, auth in class_views:
                bases = " ".join(".".join(_parts(b)) for b in cls.bases)
                if auth or _words(cls.name) & PUBLIC_WORDS or not re.search(
                        r"Create|Update|Delete|Destroy|(?<!ReadOnly)ModelViewSet", bases) \
                        or _class_knows_user(cls):
                    continue
                hits.append(Hit(
                    _name_node(cls, module),
                    message=(f"View `{cls.name}` changes stored data without authentication, "
                             f"while {n_protected} other views of this module require it"),
                    confidence=Confidence.MEDIUM,
                ))
        # Many unprotected routes among few protected ones: a module mixing public and private
        # parts by design, not one forgotten decorator.
        if len(hits) <= 1 or n_protected >= 2 * len(hits):
            yield from hits


def _name_node(node: Function | ast.ClassDef, module: Module) -> ast.AST:
    """A node spanning the name in `def name(` / `class Name(`: the finding points there rather
    than at the whole body."""
    line = module.line_text(node.lineno).encode("utf-8")
    start = line.find(node.name.encode("utf-8"), node.col_offset)
    if start < 0:
        return node
    name = ast.Name(id=node.name, ctx=ast.Load())
    name.lineno = name.end_lineno = node.lineno
    name.col_offset = start
    name.end_col_offset = start + len(node.name.encode("utf-8"))
    return name


RULES: tuple[Rule, ...] = (
    Rule("AUTHZ001", "missing-object-ownership-check", 639, A01, Severity.HIGH,
         Confidence.MEDIUM,
         "An object chosen by an id from the request is loaded without checking that it "
         "belongs to the current user",
         node_types=(ast.Module,), check=_check_idor),
    Rule("AUTHZ002", "route-missing-authentication", 862, A01, Severity.HIGH,
         Confidence.MEDIUM,
         "A route lacks the authentication that the other routes of its module require",
         node_types=(ast.Module,), check=_check_missing_auth),
)
