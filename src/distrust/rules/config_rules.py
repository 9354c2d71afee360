"""Debug mode and unsafe web configuration: the settings an assistant flips to make a demo work.

DBG001  the Werkzeug interactive debugger is on (Flask `debug=True`, `app.debug = True`,
        `DEBUG` in the app config, `run_simple(use_debugger=True)`): CWE-489, code execution.
DBG002  a framework shows debug pages (Django `DEBUG = True` in a settings module, FastAPI /
        Starlette `debug=True`): CWE-215, stack traces and settings leak.
CFG001  Django `ALLOWED_HOSTS` accepts any Host header: CWE-346.
COOK001 a session or auth cookie is sent without `Secure`: CWE-614.
COOK002 a session or auth cookie is readable by scripts (`HttpOnly` off): CWE-1004.
CORS001 CORS allows every origin *with credentials*: CWE-942.

A value read from the environment (`debug=os.environ.get(...)`) is the deployment's choice and
stays quiet; so do settings modules and config classes meant for development or tests
(`settings/dev.py`, `class DevelopmentConfig`)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass

from distrust.model import Confidence, Edit, Fix, Severity
from distrust.python import nodes
from distrust.python.source import Module
from distrust.rules import edits
from distrust.rules.mentions import mentions
from distrust.rules.rule import A05, Hit, Rule
from distrust.secrets import name_words

H, M, L = Confidence.HIGH, Confidence.MEDIUM, Confidence.LOW

_DEV = frozenset({"dev", "develop", "development", "local", "test", "tests", "testing",
                  "debug", "ci", "sandbox", "example", "examples", "demo", "docs", "doc",
                  "conftest", "testsuite", "dummy", "integration", "fixtures", "fixture",
                  "e2e", "smoke", "t", "unittest", "unittests", "functional"})
_KEYWORDS = ("debug", "DEBUG", "COOKIE", "cookie", "ALLOWED_HOSTS", "CORS", "cors",
             "use_debugger", "evalex", "https_only")
_SECURE_SETTINGS = frozenset({"SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
                              "REMEMBER_COOKIE_SECURE", "LANGUAGE_COOKIE_SECURE",
                              "JWT_COOKIE_SECURE"})
_HTTPONLY_SETTINGS = frozenset({"SESSION_COOKIE_HTTPONLY", "REMEMBER_COOKIE_HTTPONLY"})
_READABLE_COOKIES = re.compile(r"(?i)csrf|xsrf|theme|lang|locale|consent|pref")


@dataclass
class _Scope:
    dev: bool
    settings: bool


def _is_true(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _is_false(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is False


def _dev_name(name: str) -> bool:
    return any(w in _DEV for w in name_words(name))


def _dev_path(path: str) -> bool:
    """A module for development or tests, by its path (`settings/dev.py`, `tests/`). A file
    about debugging (`debug.py`, `debug_toolbar/`) is not one."""
    return any(w in _DEV and w != "debug"
               for part in path.split("/") for w in name_words(part.removesuffix(".py")))


def _settings_module(module: Module) -> bool:
    """A Django settings module: named settings.py / in a settings package, or defining
    INSTALLED_APPS or MIDDLEWARE."""
    path = module.path
    if path.endswith("settings.py") or "/settings/" in f"/{path}" or path.startswith("settings/"):
        return True
    for stmt in module.tree.body:
        if isinstance(stmt, ast.Assign):
            for t in stmt.targets:
                if isinstance(t, ast.Name) and t.id in ("INSTALLED_APPS", "MIDDLEWARE",
                                                        "ROOT_URLCONF"):
                    return True
    return False


def _setting_targets(module: Module) -> list[tuple[str, ast.expr, ast.AST, bool]]:
    """The settings-style assignments of the module, found once per module (several rules
    read them)."""
    return nodes.memo(module.tree, "config.settings", lambda _: list(_find_settings(module)))


def _find_settings(module: Module) -> Iterator[tuple[str, ast.expr, ast.AST, bool]]:
    """(NAME, value, node, in_dev_scope) for every settings-style assignment: module and class
    level `NAME = value`, `app.config["NAME"] = value`, `app.config.update(NAME=value)` /
    `.from_mapping(...)` / `.update({...})` anywhere."""
    stack: list[tuple[ast.AST, bool, bool]] = [(module.tree, _dev_path(module.path), True)]
    # Statements hold no statement inside an expression: the expressions need a look only
    # for the config calls in them.
    inner: type | tuple[type, ...] = (ast.stmt, ast.expr) if any(
        _config_call(call) for call in nodes.instances(module.tree, ast.Call)) else ast.stmt
    while stack:
        node, dev, top = stack.pop()
        if isinstance(node, ast.ClassDef):
            cls_dev = dev or _dev_name(node.name)
            stack.extend((s, cls_dev, True) for s in node.body)
            continue
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            fn_dev = dev or _dev_name(node.name)
            stack.extend((s, fn_dev, False) for s in node.body)
            continue
        if isinstance(node, ast.Assign):
            for t in node.targets:
                if isinstance(t, ast.Name) and top:
                    yield t.id, node.value, node, dev
                elif isinstance(t, ast.Subscript) and _is_config(t.value):
                    key = t.slice
                    if isinstance(key, ast.Constant) and isinstance(key.value, str):
                        yield key.value, node.value, node, dev
        if isinstance(node, ast.Call) and _config_call(node):
            assert isinstance(node.func, ast.Attribute)
            for kw in node.keywords:
                if kw.arg:
                    yield kw.arg, kw.value, kw.value, dev
            for arg in node.args:
                if isinstance(arg, ast.Dict):
                    for k, v in zip(arg.keys, arg.values, strict=True):
                        if isinstance(k, ast.Constant) and isinstance(k.value, str):
                            yield k.value, v, v, dev
        if isinstance(node, ast.If):
            # `if ENV == "dev": DEBUG = True` is the deployment's choice.
            test = ast.unparse(node.test) if len(node.body) < 50 else ""
            cond_dev = dev or _dev_name(test) or "environ" in test or \
                "getenv" in test
            stack.extend((s, cond_dev, top) for s in node.body)
            stack.extend((s, dev, top) for s in node.orelse)
            continue
        stack.extend((c, dev, False if isinstance(c, ast.expr) else top)
                     for c in nodes.children(node)
                     if isinstance(c, inner))


def _config_call(node: ast.Call) -> bool:
    """`app.config.update(...)` / `config.from_mapping(...)`."""
    return isinstance(node.func, ast.Attribute) and \
        node.func.attr in ("update", "from_mapping") and _is_config(node.func.value)


def _is_config(node: ast.expr) -> bool:
    """`app.config`, `self.config`, `application.config`, `config` (a Flask config mapping)."""
    return (isinstance(node, ast.Attribute) and node.attr == "config") or (
        isinstance(node, ast.Name) and node.id in ("config", "app_config"))


def _relevant(module: Module) -> bool:
    if module.path.endswith("django/conf/global_settings.py"):
        return False  # the framework's own defaults, not a deployment's settings
    return mentions(module, _KEYWORDS)


# -- fixes -------------------------------------------------------------------------------------

def _env_fix(module: Module, node: ast.expr, variable: str) -> Fix | None:
    """Replace a literal `True` with `os.environ.get(VARIABLE) == "1"`, importing `os` when
    the module does not (no fix when the name `os` means something else there)."""
    line, end_line = node.lineno, node.end_lineno or node.lineno
    ref = edits.module_ref(module, "os")
    if line != end_line or ref is None:
        return None
    name, imports = ref
    replace = Edit(module.path, line, module.column(line, node.col_offset), end_line,
                   module.column(end_line, node.end_col_offset or node.col_offset),
                   f'{name}.environ.get("{variable}") == "1"')
    return Fix(f"read the debug switch from the environment ({variable}=1 turns it on)",
               (*imports, replace))


# -- DBG001 / DBG002 ----------------------------------------------------------------------------

def _flask_module(module: Module) -> bool:
    return any(v.startswith(("flask", "werkzeug", "flask_socketio", "quart"))
               for v in module.imports.values())


def _app_like(node: ast.expr) -> bool:
    name = node.attr if isinstance(node, ast.Attribute) else (
        node.id if isinstance(node, ast.Name) else "")
    return "app" in name.lower() or name in ("socketio", "server", "application")


def _debug_mode(node: ast.AST, module: Module) -> Iterator[Hit]:
    assert isinstance(node, ast.Module)
    if not _relevant(module):
        return
    flask = _flask_module(module)
    dev_file = _dev_path(module.path)
    for child in nodes.subtree(node):
        if isinstance(child, ast.Call):
            yield from _debug_call(child, module, flask, dev_file)
        elif isinstance(child, ast.Assign) and flask and _is_true(child.value) and \
                not dev_file:
            for t in child.targets:
                if isinstance(t, ast.Attribute) and t.attr == "debug" and _app_like(t.value):
                    yield Hit(child.value, message="Flask debug mode is switched on: the "
                              "Werkzeug debugger runs any Python sent to it",
                              fix=_env_fix(module, child.value, "FLASK_DEBUG"))
    if flask or module.path.rpartition("/")[2] in ("config.py", "configs.py"):
        for name, value, _where, dev in _setting_targets(module):
            if name in ("DEBUG", "FLASK_DEBUG") and _is_true(value) and not dev and \
                    not _settings_module(module):
                yield Hit(value, message="Flask DEBUG is switched on in the app config",
                          fix=_env_fix(module, value, "FLASK_DEBUG"))


def _debug_call(call: ast.Call, module: Module, flask: bool, dev_file: bool) -> Iterator[Hit]:
    name = (module.qualname(call.func) or "").replace("()", "")
    kw = {k.arg: k.value for k in call.keywords if k.arg}
    if name.endswith("run_simple") and (_is_true(kw.get("use_debugger"))
                                        or _is_true(kw.get("use_evalex"))):
        key = "use_debugger" if _is_true(kw.get("use_debugger")) else "use_evalex"
        yield Hit(kw[key], message="The Werkzeug debugger is served: anyone who reaches it "
                  "runs Python on the server", fix=_env_fix(module, kw[key], "WERKZEUG_DEBUG"))
    elif name.endswith("DebuggedApplication") and _is_true(kw.get("evalex")):
        yield Hit(kw["evalex"], message="The Werkzeug debugger console is enabled")
    elif isinstance(call.func, ast.Attribute) and call.func.attr == "run" and \
            _is_true(kw.get("debug")) and (flask or _app_like(call.func.value)) and \
            not name.startswith(("uvicorn", "asyncio", "subprocess")) and not dev_file:
        yield Hit(kw["debug"], message="The app runs in debug mode: the Werkzeug debugger "
                  "runs any Python sent to it", fix=_env_fix(module, kw["debug"], "FLASK_DEBUG"))


def _framework_debug(node: ast.AST, module: Module) -> Iterator[Hit]:
    assert isinstance(node, ast.Module)
    if not _relevant(module):
        return
    if _settings_module(module) and not _dev_path(module.path):
        for name, value, _where, dev in _setting_targets(module):
            if name == "DEBUG" and _is_true(value) and not dev:
                conf = M if module.path.endswith(("base.py", "common.py")) else H
                yield Hit(value, message="Django DEBUG is on in a settings module: error pages "
                          "show settings, SQL and source to anyone", confidence=conf,
                          fix=_env_fix(module, value, "DJANGO_DEBUG"))
    for child in nodes.instances(node, ast.Call):
        if not any(kw.arg == "debug" and _is_true(kw.value) for kw in child.keywords):
            continue  # (what the loop below reports, tested first)
        name = (module.qualname(child.func) or "").replace("()", "")
        if name in ("fastapi.FastAPI", "starlette.applications.Starlette", "fastapi.APIRouter",
                    "starlette.Starlette"):
            for kw in child.keywords:
                if kw.arg == "debug" and _is_true(kw.value):
                    yield Hit(kw.value, message="The app returns tracebacks to clients "
                              "(debug=True)", fix=_env_fix(module, kw.value, "APP_DEBUG"))


# -- CFG001 -------------------------------------------------------------------------------------

def _allowed_hosts(node: ast.AST, module: Module) -> Iterator[Hit]:
    assert isinstance(node, ast.Module)
    if not mentions(module, ("ALLOWED_HOSTS",)) or not _settings_module(module) or \
            _dev_path(module.path):
        return
    for name, value, _where, dev in _setting_targets(module):
        if name != "ALLOWED_HOSTS" or dev:
            continue
        if isinstance(value, ast.List | ast.Tuple | ast.Set):
            for elt in value.elts:
                if isinstance(elt, ast.Constant) and elt.value == "*":
                    yield Hit(elt)


# -- COOK001 / COOK002 --------------------------------------------------------------------------

def _cookie_name(call: ast.Call) -> str:
    first = call.args[0] if call.args else None
    for kw in call.keywords:
        if kw.arg == "key":
            first = kw.value
    return first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) \
        else ""


def _cookies(node: ast.AST, module: Module, flag: str, settings: frozenset[str]
             ) -> Iterator[Hit]:
    assert isinstance(node, ast.Module)
    if not _relevant(module):
        return
    for name, value, _where, dev in _setting_targets(module):
        if name in settings and _is_false(value) and not dev:
            yield Hit(value, message=f"{name} is False: the cookie is sent "
                      + ("over plain HTTP too" if flag == "secure" else "to scripts too"))
    if _dev_path(module.path):
        return
    for child in nodes.instances(node, ast.Call):
        if not isinstance(child.func, ast.Attribute):
            continue
        method = child.func.attr
        if method in ("set_cookie", "set_signed_cookie"):
            for kw in child.keywords:
                if kw.arg == flag and _is_false(kw.value):
                    cookie = _cookie_name(child)
                    if flag == "httponly" and _READABLE_COOKIES.search(cookie):
                        continue
                    label = f"`{cookie}`" if cookie else "a"
                    yield Hit(kw.value, message=f"set_cookie sets {label} cookie with "
                              f"{flag}=False")
        elif flag == "secure" and method == "add_middleware" and child.args:
            mw = (module.qualname(child.args[0]) or "")
            if mw.endswith("SessionMiddleware"):
                for kw in child.keywords:
                    if kw.arg == "https_only" and _is_false(kw.value):
                        yield Hit(kw.value, message="SessionMiddleware with https_only=False "
                                  "sends the session cookie over plain HTTP")


def _cookie_secure(node: ast.AST, module: Module) -> Iterator[Hit]:
    return _cookies(node, module, "secure", _SECURE_SETTINGS)


def _cookie_httponly(node: ast.AST, module: Module) -> Iterator[Hit]:
    return _cookies(node, module, "httponly", _HTTPONLY_SETTINGS)


# -- CORS001 ------------------------------------------------------------------------------------

def _wildcard(node: ast.expr | None) -> bool:
    if node is None:
        return False
    if isinstance(node, ast.Constant):
        return node.value in ("*", ".*", r".*", "^.*$", "https?://.*")
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return any(_wildcard(e) for e in node.elts)
    if isinstance(node, ast.Dict):  # flask_cors resources={r"/api/*": {"origins": "*"}}
        for k, v in zip(node.keys, node.values, strict=True):
            if isinstance(k, ast.Constant) and k.value == "origins" and _wildcard(v):
                return True
            if isinstance(v, ast.Dict) and _wildcard(v):
                return True
    return False


def _cors(node: ast.AST, module: Module) -> Iterator[Hit]:
    assert isinstance(node, ast.Module)
    if not mentions(module, ("CORS", "cors")):
        return
    yield from _django_cors(module)
    for child in nodes.instances(node, ast.Call):
        if not any(k.arg in ("supports_credentials", "allow_credentials") and _is_true(k.value)
                   for k in child.keywords):
            continue  # (every report below needs one of these switched on)
        name = (module.qualname(child.func) or "").replace("()", "")
        kw = {k.arg: k.value for k in child.keywords if k.arg}
        if name in ("flask_cors.CORS", "flask_cors.cross_origin"):
            if not _is_true(kw.get("supports_credentials")):
                continue
            origins = kw.get("origins")
            if origins is None and "resources" in kw and isinstance(kw["resources"], ast.Dict):
                origins = kw["resources"]
            if origins is None or _wildcard(origins):
                yield Hit(child, message="flask_cors allows every origin with credentials: "
                          "any site can send requests with the user's cookies and read the "
                          "answers")
            continue
        first = (module.qualname(child.args[0]) or "") if child.args else ""
        add = isinstance(child.func, ast.Attribute) and child.func.attr == "add_middleware"
        options = kw if (add and first.endswith("CORSMiddleware")) or \
            name.endswith("CORSMiddleware") or \
            (name.endswith("Middleware") and first.endswith("CORSMiddleware")) else None
        if options is not None and _is_true(options.get("allow_credentials")) and (
                _wildcard(options.get("allow_origins"))
                or _wildcard(options.get("allow_origin_regex"))):
            yield Hit(child, message="CORSMiddleware allows every origin with credentials: "
                      "any site can send requests with the user's cookies and read the answers")


def _django_cors(module: Module) -> Iterator[Hit]:
    allow_all: list[ast.expr] = []
    credentials = False
    for name, value, _where, dev in _setting_targets(module):
        if dev:
            continue
        if name in ("CORS_ALLOW_ALL_ORIGINS", "CORS_ORIGIN_ALLOW_ALL") and _is_true(value):
            allow_all.append(value)
        elif name == "CORS_ALLOW_CREDENTIALS" and _is_true(value):
            credentials = True
    if credentials:
        for value in allow_all:
            yield Hit(value, message="django-cors-headers allows every origin with "
                      "credentials: any site can send requests with the user's cookies and "
                      "read the answers")


RULES: tuple[Rule, ...] = (
    Rule("DBG001", "werkzeug-debugger-enabled", 489, A05, Severity.HIGH, H,
         "Debug mode turns on the Werkzeug debugger, which runs code sent to it",
         node_types=(ast.Module,), check=_debug_mode, words=_KEYWORDS),
    Rule("DBG002", "framework-debug-enabled", 215, A05, Severity.MEDIUM, H,
         "Debug mode shows tracebacks and settings to clients",
         node_types=(ast.Module,), check=_framework_debug, words=_KEYWORDS),
    Rule("CFG001", "allowed-hosts-wildcard", 346, A05, Severity.MEDIUM, H,
         "ALLOWED_HOSTS accepts any Host header", node_types=(ast.Module,),
         check=_allowed_hosts, words=("ALLOWED_HOSTS",)),
    Rule("COOK001", "cookie-without-secure", 614, A05, Severity.MEDIUM, H,
         "A cookie is sent without the Secure flag", node_types=(ast.Module,),
         check=_cookie_secure, words=_KEYWORDS),
    Rule("COOK002", "cookie-without-httponly", 1004, A05, Severity.MEDIUM, H,
         "A cookie is readable by scripts (HttpOnly is off)", node_types=(ast.Module,),
         check=_cookie_httponly, words=_KEYWORDS),
    Rule("CORS001", "cors-any-origin-with-credentials", 942, A05, Severity.HIGH, H,
         "CORS allows every origin with credentials", node_types=(ast.Module,), check=_cors,
         words=("CORS", "cors")),
)
