"""Built-in taint models for the standard library and common frameworks. Data only."""

from __future__ import annotations

from distrust.model import Confidence
from distrust.taint.spec import ALL_KINDS, Sanitizer, Sink, Source, Spec

H, M, L = Confidence.HIGH, Confidence.MEDIUM, Confidence.LOW

SQL = "sql"
SHELL = "shell"
CODE = "code"
DESERIALIZE = "deserialize"
PATH = "path"
URL = "url"
HTML = "html"
REDIRECT = "redirect"
XXE = "xxe"
LDAP = "ldap"
XPATH = "xpath"
HEADER = "header"
LOG = "log"
SESSION = "session"
WEAK_HASH = "weak-hash"

_RUN = frozenset({"shell", "code", "deserialize"})

SOURCES: tuple[Source, ...] = (
    Source(
        "flask.request",
        "Flask request data",
        exclude=(
            "flask.request.method",
            "flask.request.is_json",
            "flask.request.is_secure",
            "flask.request.content_length",
            "flask.request.endpoint",
            "flask.request.blueprint",
            "flask.request.remote_addr",
        ),
    ),
    Source("quart.request", "Quart request data"),
    Source("bottle.request", "Bottle request data"),
    Source("input", "console input", M, call=True),
    Source("raw_input", "console input", M, call=True),
    Source("sys.argv", "command-line argument", L),
    Source("sys.stdin", "standard input", L),
    # Whoever sets the environment runs the program: a variable that names a folder, a URL or
    # a log level is configuration. Only running it as code or a command stays worth a look.
    Source("os.environ", "environment variable", L, items=True, only=_RUN),
    Source("os.environ.get", "environment variable", L, call=True, only=_RUN),
    Source("os.getenv", "environment variable", L, call=True, only=_RUN),
    Source("os.environb", "environment variable", L, items=True, only=_RUN),
    Source("os.environb.get", "environment variable", L, call=True, only=_RUN),
    Source("*.recv", "socket data", M, call=True),
    Source("*.recvfrom", "socket data", M, call=True),
    Source("*.recv_into", "socket data", M, call=True),
    # What a `http.server` handler reads from the request (`self.path` in a subclass).
    *(Source(f"http.server.{base}.{attr}", "HTTP request data")
      for base in ("BaseHTTPRequestHandler", "SimpleHTTPRequestHandler", "CGIHTTPRequestHandler")
      for attr in ("path", "headers", "rfile", "requestline", "raw_requestline")),
    *(Source(f"socketserver.{base}.{attr}", "socket data", M)
      for base in ("StreamRequestHandler", "DatagramRequestHandler", "BaseRequestHandler")
      for attr in ("rfile", "request")),
)

# Attributes of a request object (Django, Starlette/FastAPI, aiohttp, DRF, Flask) that carry
# client-controlled data. A parameter named like `request` or annotated with a request type is a
# request object.
REQUEST_ATTRIBUTES = frozenset(
    {
        "GET", "POST", "COOKIES", "FILES", "META", "body", "data", "headers", "path",
        "path_info", "get_full_path", "build_absolute_uri", "query_params", "path_params",
        "cookies", "json", "form", "stream", "url", "query_string", "match_info", "query",
        "rel_url", "post", "read", "text", "content", "args", "values", "get_json", "view_args",
        "full_path", "files", "environ", "get_data", "scope", "raw_path", "user_agent",
    }
)
# Request attributes that name a place on this host (the path of the current request): an
# attacker shapes them, but a redirect or request to them stays on this site.
HOST_BOUND = frozenset({"path", "path_info", "get_full_path", "full_path", "build_absolute_uri",
                        "url", "base_url", "url_root", "host_url", "script_root", "raw_path"})
REQUEST_NAMES = frozenset({"request", "req", "http_request"})
REQUEST_TYPES = frozenset(
    {
        "Request", "HttpRequest", "WSGIRequest", "ASGIRequest", "BaseRequest", "web.Request",
        "fastapi.Request", "starlette.requests.Request", "aiohttp.web.Request",
        "django.http.HttpRequest", "rest_framework.request.Request", "WebSocket",
    }
)

_LOGGERS = ("logging", "logging.getLogger()", "logging.root", "flask.Flask().logger",
            "flask.current_app.logger")
_LOG_LEVELS = ("debug", "info", "warning", "warn", "error", "critical", "exception", "fatal")
_LOG_ARGS = (0, 1, 2, 3, 4, 5, 6, 7)

_SHELL_FUNCS = ("call", "run", "Popen", "check_call", "check_output", "getoutput",
                "getstatusoutput")

SINKS: tuple[Sink, ...] = (
    # SQL: only the query text is a sink; parameters are safe by construction.
    Sink("*.execute", SQL),
    Sink("*.executemany", SQL),
    Sink("*.executescript", SQL),
    Sink("*.exec_driver_sql", SQL),
    Sink("*.raw", SQL),
    Sink("*.extra", SQL, args=(), keywords=("where", "select", "tables", "order_by")),
    Sink("*.mogrify", SQL),
    Sink("sqlalchemy.text", SQL),
    Sink("sqlalchemy.sql.text", SQL),
    Sink("sqlalchemy.sql.expression.text", SQL),
    Sink("django.db.models.expressions.RawSQL", SQL),
    Sink("django.db.models.RawSQL", SQL),
    Sink("pandas.read_sql", SQL),
    Sink("pandas.read_sql_query", SQL),
    # OS commands.
    Sink("os.system", SHELL),
    Sink("os.popen", SHELL),
    Sink("os.popen2", SHELL),
    Sink("commands.getoutput", SHELL),
    Sink("subprocess.getoutput", SHELL),
    Sink("subprocess.getstatusoutput", SHELL),
    *(Sink(f"subprocess.{f}", SHELL, keywords=("args",), when_keyword="shell")
      for f in _SHELL_FUNCS),
    *(Sink(f"subprocess.{f}", SHELL, keywords=("args", "executable"), program=True)
      for f in _SHELL_FUNCS),
    Sink("asyncio.create_subprocess_shell", SHELL),
    Sink("asyncio.create_subprocess_exec", SHELL, program=True),
    *(Sink(f"os.{f}", SHELL, program=True)
      for f in ("execl", "execle", "execlp", "execlpe", "execv", "execve", "execvp",
                "execvpe")),
    *(Sink(f"os.{f}", SHELL, args=(1,), program=True)
      for f in ("spawnl", "spawnle", "spawnlp", "spawnlpe", "spawnv", "spawnve", "spawnvp",
                "spawnvpe")),
    # Code.
    Sink("eval", CODE),
    Sink("exec", CODE),
    Sink("compile", CODE),
    Sink("builtins.eval", CODE),
    Sink("builtins.exec", CODE),
    # Deserialization.
    *(Sink(f"{m}.{f}", DESERIALIZE)
      for m in ("pickle", "cPickle", "_pickle", "dill", "cloudpickle", "marshal")
      for f in ("loads", "load", "Unpickler")),
    Sink("jsonpickle.decode", DESERIALIZE),
    Sink("jsonpickle.loads", DESERIALIZE),
    Sink("shelve.open", DESERIALIZE),
    Sink("pandas.read_pickle", DESERIALIZE),
    Sink("yaml.unsafe_load", DESERIALIZE),
    Sink("yaml.unsafe_load_all", DESERIALIZE),
    Sink("yaml.full_load", DESERIALIZE),
    Sink("yaml.full_load_all", DESERIALIZE),
    *(Sink(f"yaml.{f}", DESERIALIZE,
           unless_keyword=(("Loader", ("SafeLoader", "CSafeLoader", "BaseLoader",
                                       "yaml.SafeLoader", "yaml.CSafeLoader",
                                       "yaml.BaseLoader")),))
      for f in ("load", "load_all")),
    Sink("torch.load", DESERIALIZE, unless_keyword=(("weights_only", ("True",)),)),
    Sink("numpy.load", DESERIALIZE, when_keyword="allow_pickle"),
    # Files.
    Sink("open", PATH, keywords=("file",)),
    Sink("io.open", PATH, keywords=("file",)),
    Sink("codecs.open", PATH, keywords=("filename",)),
    Sink("os.open", PATH),
    Sink("os.remove", PATH),
    Sink("os.unlink", PATH),
    Sink("os.rmdir", PATH),
    Sink("os.rename", PATH, args=(0, 1)),
    Sink("os.replace", PATH, args=(0, 1)),
    Sink("os.listdir", PATH),
    Sink("os.makedirs", PATH),
    Sink("os.mkdir", PATH),
    # Existence and metadata checks tell an attacker which files exist.
    *(Sink(f"os.path.{f}", PATH)
      for f in ("exists", "isfile", "isdir", "getsize", "getmtime", "lexists")),
    Sink("os.stat", PATH),
    Sink("os.access", PATH),
    Sink("shutil.rmtree", PATH),
    Sink("shutil.copy", PATH, args=(0, 1)),
    Sink("shutil.copyfile", PATH, args=(0, 1)),
    Sink("shutil.move", PATH, args=(0, 1)),
    Sink("flask.send_file", PATH, keywords=("path_or_file",)),
    Sink("starlette.responses.FileResponse", PATH, keywords=("path",)),
    Sink("fastapi.responses.FileResponse", PATH, keywords=("path",)),
    Sink("django.http.FileResponse", PATH),
    Sink("aiohttp.web.FileResponse", PATH, keywords=("path",)),
    *(Sink(f"pathlib.Path().{m}", PATH, args=(), receiver=True)
      for m in ("open", "read_text", "read_bytes", "write_text", "write_bytes", "unlink",
                "rmdir", "mkdir", "touch", "rename", "replace", "iterdir", "exists",
                "is_file", "is_dir", "stat")),
    *(Sink(f"pathlib.PurePath().{m}", PATH, args=(), receiver=True)
      for m in ("open", "read_text", "read_bytes", "write_text", "write_bytes", "unlink")),
    # Outgoing requests (SSRF).
    *(Sink(f"requests.{f}", URL, keywords=("url",))
      for f in ("get", "post", "put", "patch", "delete", "head", "options")),
    Sink("requests.request", URL, args=(1,), keywords=("url",)),
    *(Sink(f"requests.Session().{f}", URL, keywords=("url",))
      for f in ("get", "post", "put", "patch", "delete", "head", "options")),
    Sink("requests.Session().request", URL, args=(1,), keywords=("url",)),
    *(Sink(f"httpx.{f}", URL, keywords=("url",))
      for f in ("get", "post", "put", "patch", "delete", "head", "options", "stream")),
    Sink("httpx.request", URL, args=(1,), keywords=("url",)),
    *(Sink(f"httpx.{c}().{f}", URL, keywords=("url",))
      for c in ("Client", "AsyncClient")
      for f in ("get", "post", "put", "patch", "delete", "head", "options", "stream")),
    *(Sink(f"httpx.{c}().request", URL, args=(1,), keywords=("url",))
      for c in ("Client", "AsyncClient")),
    *(Sink(f"aiohttp.ClientSession().{f}", URL, keywords=("url",))
      for f in ("get", "post", "put", "patch", "delete", "head", "options")),
    Sink("aiohttp.ClientSession().request", URL, args=(1,), keywords=("url",)),
    Sink("urllib.request.urlopen", URL, keywords=("url",)),
    Sink("urllib.request.Request", URL, keywords=("url",)),
    Sink("urllib.request.urlretrieve", URL),
    Sink("urllib2.urlopen", URL),
    Sink("http.client.HTTPConnection", URL, keywords=("host",)),
    Sink("http.client.HTTPSConnection", URL, keywords=("host",)),
    Sink("socket.create_connection", URL),
    # HTML.
    Sink("markupsafe.Markup", HTML),
    Sink("flask.Markup", HTML),
    Sink("jinja2.Markup", HTML),
    Sink("django.utils.safestring.mark_safe", HTML),
    Sink("django.utils.html.format_html", HTML),
    Sink("django.http.HttpResponse", HTML, keywords=("content",), content_type=("content_type",)),
    Sink("flask.render_template_string", HTML, keywords=("source",)),
    Sink("flask.make_response", HTML, program=True),
    Sink("flask.Response", HTML, keywords=("response",),
         content_type=("mimetype", "content_type")),
    Sink("werkzeug.wrappers.Response", HTML, keywords=("response",),
         content_type=("mimetype", "content_type")),
    Sink("starlette.responses.HTMLResponse", HTML, keywords=("content",)),
    Sink("fastapi.responses.HTMLResponse", HTML, keywords=("content",)),
    # aiohttp sends text as text/plain unless told otherwise.
    Sink("aiohttp.web.Response", HTML, args=(), keywords=("text", "body"),
         content_type=("content_type",), html_by_default=False),
    Sink("jinja2.Template", HTML),
    Sink("jinja2.Environment().from_string", HTML),
    # Jinja2 without autoescape inserts values as they are (the engine marks such objects).
    Sink("jinja2.Environment():autoescape-off.from_string", HTML),
    *(Sink(f"{template}.{f}", HTML, args=(0,), keywords=("*",))
      for template in ("jinja2.Template():autoescape-off",
                       "jinja2.Environment():autoescape-off.from_string()",
                       "jinja2.Environment():autoescape-off.get_template()")
      for f in ("render", "render_async", "stream", "generate")),
    # Redirects.
    Sink("flask.redirect", REDIRECT, keywords=("location",)),
    Sink("werkzeug.utils.redirect", REDIRECT, keywords=("location",)),
    Sink("django.shortcuts.redirect", REDIRECT, keywords=("to",)),
    Sink("django.http.HttpResponseRedirect", REDIRECT, keywords=("redirect_to",)),
    Sink("django.http.HttpResponsePermanentRedirect", REDIRECT, keywords=("redirect_to",)),
    Sink("starlette.responses.RedirectResponse", REDIRECT, keywords=("url",)),
    Sink("fastapi.responses.RedirectResponse", REDIRECT, keywords=("url",)),
    Sink("aiohttp.web.HTTPFound", REDIRECT, keywords=("location",)),
    # XML parsers that resolve entities.
    # lxml resolves only internal entities unless a parser says `resolve_entities=True`.
    Sink("lxml.etree.fromstring", XXE, keywords=("text",),
         when_arg_type=(1, "parser", ":external-entities")),
    Sink("lxml.etree.parse", XXE, keywords=("source",),
         when_arg_type=(1, "parser", ":external-entities")),
    Sink("lxml.etree.XML", XXE, keywords=("text",),
         when_arg_type=(1, "parser", ":external-entities")),
    # The standard library's parsers resolve no external entities unless told to.
    *(Sink(f"xml.dom.{m}.{f}", XXE, keywords=("string", "file"),
           when_arg_type=(1, "parser", ":external-entities"))
      for m in ("minidom", "pulldom") for f in ("parse", "parseString")),
    Sink("xml.sax.make_parser():external-entities.parse", XXE),
    # LDAP filters and DNs.
    Sink("*.search_s", LDAP, args=(0, 2), keywords=("base", "filterstr")),
    Sink("*.search_st", LDAP, args=(0, 2), keywords=("base", "filterstr")),
    Sink("*.search_ext_s", LDAP, args=(0, 2), keywords=("base", "filterstr")),
    Sink("*.search_ext", LDAP, args=(0, 2), keywords=("base", "filterstr")),
    Sink("ldap3.Connection().search", LDAP, args=(0, 1),
         keywords=("search_base", "search_filter")),
    Sink("*.simple_bind_s", LDAP, args=(0,), keywords=("who",)),
    # XPath.
    Sink("*.xpath", XPATH, keywords=("_path",)),
    Sink("elementpath.select", XPATH, args=(1,), keywords=("path",)),
    Sink("elementpath.iter_select", XPATH, args=(1,), keywords=("path",)),
    Sink("elementpath.Selector", XPATH, keywords=("path",)),
    Sink("lxml.etree.XPath", XPATH, keywords=("path",)),
    Sink("lxml.etree.ETXPath", XPATH),
    *(Sink(f"{tree}.{f}", XPATH, keywords=("path",))
      for tree in ("lxml.etree.parse()", "lxml.etree.fromstring()", "lxml.etree.XML()",
                   "lxml.etree.parse().getroot()", "xml.etree.ElementTree.parse()",
                   "xml.etree.ElementTree.fromstring()", "xml.etree.ElementTree.XML()",
                   "xml.etree.ElementTree.parse().getroot()")
      for f in ("find", "findall", "iterfind", "findtext")),
    # Response headers (CRLF injection).
    Sink("*.add_header", HEADER, args=(0, 1)),
    Sink("*.set_header", HEADER, args=(0, 1)),
    Sink("*.headers.__setitem__", HEADER, args=(0, 1)),
    # Log lines: the message and the values %-formatted into it (`log.info("user %s", name)`
    # writes `name` as it is).
    *(Sink(f"{logger}.{f}", LOG, args=_LOG_ARGS, keywords=("msg",))
      for logger in _LOGGERS for f in _LOG_LEVELS),
    *(Sink(f"{logger}.log", LOG, args=tuple(i + 1 for i in _LOG_ARGS), keywords=("msg",))
      for logger in _LOGGERS),
    # What a user sends (a password, a token, personal data) hashed with a broken algorithm.
    *(Sink(f"hashlib.{alg}", WEAK_HASH, keywords=("string", "data"),
           unless_keyword=(("usedforsecurity", ("False",)),))
      for alg in ("md5", "sha1")),
    *(Sink(f"hashlib.new:{alg}", WEAK_HASH, args=(1,), keywords=("string", "data"),
           unless_keyword=(("usedforsecurity", ("False",)),))
      for alg in ("md5", "sha1")),
    *(Sink(f"{ctor}().update", WEAK_HASH)
      for ctor in ("hashlib.md5", "hashlib.sha1", "hashlib.new:md5", "hashlib.new:sha1")),
    # Trust boundary: untrusted data stored in the session.
    Sink("flask.session.__setitem__", SESSION, args=(0, 1)),
    Sink("flask.session.update", SESSION),
    Sink("flask.session.setdefault", SESSION, args=(1,)),
    Sink("*.session.__setitem__", SESSION, args=(0, 1)),
)

SANITIZERS: tuple[Sanitizer, ...] = (
    *(Sanitizer(name, frozenset({ALL_KINDS}))
      for name in ("int", "float", "bool", "complex", "len", "hash", "id", "ord", "abs", "round",
                   "isinstance", "uuid.UUID", "decimal.Decimal", "datetime.date.fromisoformat",
                   "datetime.datetime.fromisoformat", "ipaddress.ip_address",
                   "hashlib.sha256", "hashlib.md5", "hashlib.sha1", "hmac.new",
                   "*.hexdigest", "*.isdigit", "*.isalnum", "*.isnumeric", "*.count",
                   "*.startswith", "*.endswith", "bcrypt.hashpw", "secrets.token_hex",
                   "*.index", "*.find")),
    Sanitizer("shlex.quote", frozenset({SHELL})),
    Sanitizer("pipes.quote", frozenset({SHELL})),
    Sanitizer("shlex.join", frozenset({SHELL})),
    Sanitizer("html.escape", frozenset({HTML})),
    Sanitizer("cgi.escape", frozenset({HTML})),
    Sanitizer("markupsafe.escape", frozenset({HTML})),
    Sanitizer("markupsafe.Markup.escape", frozenset({HTML})),
    Sanitizer("flask.Markup.escape", frozenset({HTML})),
    Sanitizer("flask.escape", frozenset({HTML})),
    Sanitizer("jinja2.escape", frozenset({HTML})),
    Sanitizer("django.utils.html.escape", frozenset({HTML})),
    Sanitizer("django.utils.html.conditional_escape", frozenset({HTML})),
    Sanitizer("bleach.clean", frozenset({HTML})),
    Sanitizer("werkzeug.utils.secure_filename", frozenset({PATH, SHELL})),
    Sanitizer("os.path.basename", frozenset({PATH})),
    *(Sanitizer(name, frozenset({PATH}))
      for name in ("django.utils._os.safe_join", "werkzeug.security.safe_join",
                   "werkzeug.utils.safe_join", "flask.safe_join")),
    # Template engines escape what they insert (Django always, Jinja2 as Flask configures it).
    *(Sanitizer(name, frozenset({HTML}))
      for name in ("*.render", "django.shortcuts.render", "django.template.loader.render_to_string",
                   "flask.render_template")),
    Sanitizer("django.utils.http.http_date", frozenset({ALL_KINDS})),
    # Percent-encoding leaves `.` and `/` alone: `../` survives, so it does not protect paths.
    Sanitizer("urllib.parse.quote", frozenset({HTML, HEADER, LOG, SHELL})),
    Sanitizer("urllib.parse.quote_plus", frozenset({HTML, HEADER, LOG, SHELL})),
    Sanitizer("urllib.parse.urlencode", frozenset({HTML, HEADER, LOG})),
    Sanitizer("ldap3.utils.conv.escape_filter_chars", frozenset({LDAP})),
    Sanitizer("ldap.filter.escape_filter_chars", frozenset({LDAP})),
    Sanitizer("ldap.dn.escape_dn_chars", frozenset({LDAP})),
    Sanitizer("ldap3.utils.dn.escape_rdn", frozenset({LDAP})),
    # A JSON string is a Python string literal; in HTML `</script>` and in a shell `$(...)`
    # survive it.
    Sanitizer("json.dumps", frozenset({CODE})),
    Sanitizer("*.replace_crlf", frozenset({HEADER, LOG})),
    Sanitizer("defusedxml.ElementTree.fromstring", frozenset({XXE})),
    # URLs built from our own routes: whatever the arguments, the target is this site.
    *(Sanitizer(name, frozenset({REDIRECT, URL}))
      for name in ("django.urls.reverse", "django.urls.reverse_lazy", "django.shortcuts.reverse",
                   "django.core.urlresolvers.reverse", "flask.url_for")),
    Sanitizer("django.utils.http.url_has_allowed_host_and_scheme", frozenset({REDIRECT, URL}),
              predicate=True),
    Sanitizer("django.utils.http.is_safe_url", frozenset({REDIRECT, URL}), predicate=True),
)

BUILTIN_SPEC = Spec(
    host_bound=HOST_BOUND,
    sources=SOURCES,
    sinks=SINKS,
    sanitizers=SANITIZERS,
    request_attributes=REQUEST_ATTRIBUTES,
    request_names=REQUEST_NAMES,
    request_types=REQUEST_TYPES,
)
