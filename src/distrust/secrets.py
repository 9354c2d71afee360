"""Hard-coded credentials in any text file, and the value tests the Python secret rules share.

Two kinds of evidence, two rule codes:

- `SEC001`: a value in a *known credential format* (cloud keys, service tokens, private key
  blocks, URLs and connection strings that carry a password, JWTs). The format itself says it
  is a credential, whatever name it is stored under. The formats are data (`FORMATS`).
- `SEC002`: a literal value stored under a *name that says secret* (`SECRET_KEY`, `password`,
  `api_key`, `token` ...) when the value itself looks like one: not a placeholder, not empty,
  not a reference to an environment variable or a vault, not a sentence, not a name.

`scan_text(relpath, text)` searches a text file (`.env`, YAML, JSON, INI, TOML, .properties
...) for both; the Python rules (`distrust.rules.secrets_rules`) reuse `find_formats`,
`secret_name` and `looks_secret` on string constants. Every output masks the value: `mask()`
keeps its first characters and stars the rest."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

SEC001 = "SEC001"
SEC002 = "SEC002"
MASK_KEEP = 4
MAX_VALUE = 2000
"""Longer literals under a secret name are data (a key in a known format is SEC001's)."""
MASKED_RULES = frozenset({SEC001, SEC002})
"""Rules whose findings carry a secret value: their snippets are masked and their fingerprints
never see the value; `secrets.allow-paths` silences them."""


@dataclass(frozen=True)
class SecretFormat:
    """A credential format: `pattern` finds it, group `group` is the secret part (0: all of
    it)."""

    kind: str
    pattern: str
    group: int = 0
    hints: tuple[str, ...] = ()
    """Literal texts one of which every match contains: a cheap test before the pattern."""


# Boundaries: a format must not be the middle of a longer token (base64 blobs, hashes).
_B = r"(?<![A-Za-z0-9_+/-])"
_E = r"(?![A-Za-z0-9_+/=-])"

FORMATS: tuple[SecretFormat, ...] = (
    SecretFormat("AWS access key id",
                 r"(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])",
                 hints=("AKIA", "ASIA", "ABIA", "ACCA")),
    SecretFormat("GitHub token", _B + r"gh[pousr]_[A-Za-z0-9]{36,255}" + _E,
                 hints=("ghp_", "gho_", "ghu_", "ghs_", "ghr_")),
    SecretFormat("GitHub fine-grained token",
                 _B + r"github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}" + _E, hints=("github_pat_",)),
    SecretFormat("GitLab token", _B + r"gl(?:pat|ptt|dt|rt|soat|cbt)-[A-Za-z0-9_-]{20,}" + _E,
                 hints=("glpat-", "glptt-", "gldt-", "glrt-", "glsoat-", "glcbt-")),
    SecretFormat("Slack token", _B + r"xox[abposr]-[0-9]{6,}-[A-Za-z0-9-]{10,}" + _E,
                 hints=("xox",)),
    SecretFormat("Slack webhook URL",
                 r"https://hooks\.slack\.com/services/T[A-Z0-9]{8,}/B[A-Z0-9]{8,}/"
                 r"[A-Za-z0-9]{20,}", hints=("hooks.slack.com",)),
    SecretFormat("Stripe live key", _B + r"(?:sk|rk)_live_[A-Za-z0-9]{20,}" + _E,
                 hints=("_live_",)),
    SecretFormat("Stripe webhook secret", _B + r"whsec_[A-Za-z0-9]{32,}" + _E,
                 hints=("whsec_",)),
    SecretFormat("Google API key", _B + r"AIza[A-Za-z0-9_-]{35}" + _E, hints=("AIza",)),
    SecretFormat("Google OAuth client secret", _B + r"GOCSPX-[A-Za-z0-9_-]{28}" + _E,
                 hints=("GOCSPX-",)),
    SecretFormat("OpenAI API key",
                 _B + r"sk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,}|[A-Za-z0-9]{20}"
                 r"T3BlbkFJ[A-Za-z0-9]{20})" + _E, hints=("sk-",)),
    SecretFormat("Anthropic API key", _B + r"sk-ant-(?:api|admin)\d\d-[A-Za-z0-9_-]{80,}" + _E,
                 hints=("sk-ant-",)),
    SecretFormat("SendGrid API key",
                 _B + r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}" + _E, hints=("SG.",)),
    SecretFormat("Twilio API key", _B + r"SK[0-9a-f]{32}" + _E, hints=("SK",)),
    SecretFormat("Mailchimp API key", _B + r"[0-9a-f]{32}-us[0-9]{1,2}" + _E, hints=("-us",)),
    SecretFormat("npm token", _B + r"npm_[A-Za-z0-9]{36}" + _E, hints=("npm_",)),
    SecretFormat("PyPI token", _B + r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}" + _E,
                 hints=("pypi-AgEI",)),
    SecretFormat("Hugging Face token", _B + r"hf_[A-Za-z]{34}" + _E, hints=("hf_",)),
    SecretFormat("Shopify token", _B + r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}" + _E,
                 hints=("shpat_", "shpca_", "shppa_", "shpss_")),
    SecretFormat("DigitalOcean token", _B + r"do[opr]_v1_[a-f0-9]{64}" + _E, hints=("_v1_",)),
    SecretFormat("Square token", _B + r"sq0(?:atp|csp)-[A-Za-z0-9_-]{22,}" + _E,
                 hints=("sq0",)),
    SecretFormat("Azure storage account key", r"AccountKey=([A-Za-z0-9+/]{86}==)", 1,
                 hints=("AccountKey=",)),
    SecretFormat("private key",
                 r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY"
                 r"(?: BLOCK)?-----", hints=("PRIVATE KEY",)),
    SecretFormat("JSON Web Token",
                 _B + r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}" + _E,
                 hints=("eyJ",)),
    SecretFormat("password in a URL",
                 r"://([^\s:/?#@'\"`<>{}\[\]]*):([^\s/?#@'\"`<>\[\]]+)@[A-Za-z0-9._\[-]", 2,
                 hints=("://",)),
    SecretFormat("password in a connection string",
                 r"(?i)(?:^|[;\s\"'])(?:password|pwd)\s*=\s*([^;\s'\"]+)", 1,
                 hints=("assword", "ASSWORD", "pwd", "PWD", "Pwd")),
)

_COMPILED = tuple(re.compile(f.pattern) for f in FORMATS)
# What every format starts with, in two parts: a case-insensitive branch in the same pattern
# would make `re` try every position of the text (the two searches take half the time).
_FIRST = re.compile(
    r"AKIA|ASIA|ABIA|ACCA|gh[pousr]_|github_pat_|gl(?:pat|ptt|dt|rt|soat|cbt)-|xox|hooks\.slack"
    r"|_live_|whsec_|AIza|GOCSPX-|sk-|SG\.|SK[0-9a-f]|-us[0-9]|npm_|pypi-|hf_|shp|_v1_|sq0"
    r"|AccountKey=|PRIVATE KEY|eyJ|://")
_FIRST_PASSWORD = re.compile(r"(?i:password|pwd)\s*=")
_CONN_CONTEXT = re.compile(
    r"(?i)(?:server|data source|host|hostname|address|addr|database|initial catalog|dsn"
    r"|user id|uid|user(?:name)?)\s*=")
_KEY_BODY = re.compile(r"[A-Za-z0-9+/=]{40,}")
_LOOPBACK = re.compile(r"(?:localhost|127\.\d+\.\d+\.\d+|0\.0\.0\.0|\[::1\])(?![\w.-])")

# -- placeholders -------------------------------------------------------------------------------

_PLACEHOLDER_WORDS = (
    "example", "changeme", "change-me", "change_me", "changeit", "placeholder", "your-",
    "your_", "yourkey", "yoursecret", "yourpassword", "dummy", "sample", "redacted", "xxxx",
    "****", "<", ">", "${", "{{", "}}", "%(", "$(", "...", "…", "replace", "insert",
    "fixme", "todo", "notreal", "not-real", "not_real", "fake", "mock", "bogus", "foobar",
    "lorem", "here", "test", "filtered", "[", "abcdef", "bcdefg", "123456", "qwerty",
)
_DEFAULT_PASSWORDS = frozenset({
    "password", "passwd", "pass", "pwd", "secret", "guest", "postgres", "root", "admin", "test",
    "dev", "user", "mysql", "redis", "rabbitmq", "changeme", "default", "none", "null",
    "token", "key", "apikey", "api_key", "example", "sa",
})
_ENV_REFERENCE = re.compile(
    r"^(?:\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|%[A-Za-z_][A-Za-z0-9_]*%|env\(.*\)|ENC\(.*\)"
    r"|!vault\b.*|vault:.*|secretsmanager:.*|arn:aws:.*|op://.*|ssm:.*|ref\+.*)$")
_FORMAT_MARKERS = re.compile(r"%[sdr]|%\(|\{[A-Za-z0-9_]*\}|\$\{|\$[A-Z_]{2,}")


def is_placeholder(value: str) -> bool:
    """A value that stands for a secret rather than being one: `changeme`, `your-api-key-here`,
    `<token>`, `${VAR}`, `xxx`, `***`, `example...`, runs of one character."""
    v = value.strip().strip("'\"")
    if not v:
        return True
    low = v.lower()
    if any(word in low for word in _PLACEHOLDER_WORDS):
        return True
    if _ENV_REFERENCE.match(v) or _FORMAT_MARKERS.search(v):
        return True
    if len(set(low)) <= 2:  # "xxx", "aaaa", "0000", "*-*-"
        return True
    return low in ("12345678", "123456", "1234567890", "abcdef", "abc123", "qwerty")


# -- values that look like secrets -------------------------------------------------------------

def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    if not value:
        return 0.0
    counts: dict[str, int] = {}
    for ch in value:
        counts[ch] = counts.get(ch, 0) + 1
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def _classes(value: str) -> int:
    return sum((any(c.islower() for c in value), any(c.isupper() for c in value),
                any(c.isdigit() for c in value), any(not c.isalnum() for c in value)))


_IDENTIFIER_LIKE = re.compile(r"^_*[a-z]+(?:[_.:-][a-z]+)*$|^_*[A-Z]+(?:_[A-Z]+)*$")
_PATH_OR_URL = re.compile(r"^(?:/|\./|\.\./|~/|[a-z]+://|[A-Za-z]:\\)")
_NOT_A_SECRET_VALUE = re.compile(
    r"^(?:[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+"  # a dotted import path
    r"|\d+/[smhd](?:/\w+)?(?:,\d+/[smhd](?:/\w+)?)*"           # a rate limit: 5/m/user
    r"|[\^~<>=!]{0,2}v?\d+(?:\.[\dx*]+)*(?:[-+.][\w.]+)?"       # a version: ^1.0.0
    r"|(?:my|new|old|your)?(?:password|passwd|pass|pwd|secret|passphrase)[0-9!@#$%._-]*"
    r")$", re.IGNORECASE)
_HASHED = re.compile(r"^(?:\$(?:1|2[abxy]?|5|6|y|7|gy|argon2(?:id|i|d)|scrypt|pbkdf2[\w-]*)\$"
                     r"|(?:pbkdf2_sha256|pbkdf2_sha1|argon2|bcrypt_sha256|bcrypt|scrypt)\$)")
_AUTH_SCHEME = re.compile(r"^(?:Bearer|Token|Basic|Bot|ApiKey)\s+(?=\S)", re.IGNORECASE)
_SECRET_WORD_IN_VALUE = re.compile(r"(?i)passw|secret|token|api.?key|private.?key|credential")


def looks_secret(value: str, kind: str, name: str = "") -> bool:
    """Whether a literal stored under a secret name (`kind`: "signing-key", "password" or
    "token"; `name`: the name itself) is plausibly a real secret rather than a placeholder, a
    label or a name."""
    v = _AUTH_SCHEME.sub("", value.strip(), count=1)
    if len(v) > MAX_VALUE or is_placeholder(v) or v.lower() in _DEFAULT_PASSWORDS:
        return False
    if name and name_words(v) == name_words(name):
        return False  # "password1": "password1", app.secret_key = "secret_key"
    if _NOT_A_SECRET_VALUE.match(v):
        return False
    if _PATH_OR_URL.match(v) or v.startswith(("-", "@")):
        return False
    if kind == "signing-key":
        # Any real-looking literal signs sessions: even "supersecretkey" or a phrase, but not
        # a description of one ("a signing key", "secret key goes here").
        if any(ch.isspace() for ch in v) and set(name_words(v)) & set(name_words(name)):
            return False
        return len(v) >= 8 and not _looks_like_sentence(v)
    if any(ch.isspace() for ch in v):
        return False
    if _IDENTIFIER_LIKE.match(v) and _SECRET_WORD_IN_VALUE.search(v):
        return False  # "auth_token", "X-API-KEY", "PASSWORD": the name of a field or header
    if _HASHED.match(v):
        return False  # a crypt/bcrypt/argon2/Django hash: not the secret itself
    if kind == "password":
        if _IDENTIFIER_LIKE.match(v):
            return False  # "ssh_askpass", "keyring": the name of a mechanism, not a password
        # A single word ("letmein", "Bonjour") reads as an example; real hard-coded
        # passwords in code carry a digit or a symbol ("admin123", "hunter2", "P@ss").
        return len(v) >= 6 and not v.isalpha()
    # API keys and tokens: long and random-looking.
    if len(v) < 12 or _IDENTIFIER_LIKE.match(v):
        return False
    return entropy(v) >= 3.0 and _classes(v) >= 2


def _looks_like_sentence(value: str) -> bool:
    words = value.split()
    return len(words) >= 4 and sum(w.isalpha() for w in words) >= 3


# -- names that say secret ----------------------------------------------------------------------

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SPLIT = re.compile(r"[^A-Za-z0-9]+")
_SIGNING = frozenset({"secret_key", "secretkey", "signing_key", "jwt_secret", "jwt_key",
                      "jwt_secret_key", "jwt_signing_key", "session_secret", "app_secret",
                      "app_secret_key", "cookie_secret", "flask_secret_key", "hmac_key",
                      "hmac_secret", "encryption_key", "fernet_key", "secret_key_base",
                      "django_secret_key", "jwt_private_key", "token_secret"})
_PASSWORD_WORDS = frozenset({"password", "passwd", "pwd", "passphrase", "pass", "pw",
                             "passcode"})
_KEY_QUALIFIERS = frozenset({"api", "access", "secret", "private", "signing", "encryption",
                             "auth", "master", "client", "app", "jwt", "hmac", "aes",
                             "fernet", "license", "consumer", "account", "service", "webhook",
                             "sendgrid", "stripe", "openai", "anthropic", "twilio", "mailgun"})
_TOKEN_WORDS = frozenset({"token", "secret", "apikey", "credential", "credentials", "bearer"})
_NOT_SECRET = frozenset({
    "type", "types", "name", "names", "field", "fields", "label", "url", "uri", "urls",
    "path", "file", "filename", "dir", "endpoint", "header", "headers", "param", "params",
    "prefix", "suffix", "length", "len", "size", "min", "max", "count", "expiry", "expires",
    "expiration", "exp", "ttl", "lifetime", "age", "timeout", "algorithm", "algorithms",
    "alg", "policy", "pattern", "regex", "format", "fmt", "template", "message", "msg",
    "subject", "text", "title", "hint", "help", "prompt", "error", "errors", "placeholder",
    "validator", "validators", "required", "hash", "hashed", "digest", "salt", "env", "var",
    "setting", "settings", "option", "column", "col", "attr", "attribute", "id", "ids",
    "arn", "vault", "location", "loc", "store", "storage", "provider", "backend", "class",
    "mode", "method", "scheme", "scope", "scopes", "style", "version", "kind",
    "status", "state", "regexp", "input", "widget", "form", "view", "route", "link", "key_id",
    "keyid", "index", "enabled", "disabled", "strength", "rules", "rule",
    "attempts", "retries", "reset_subject", "changed", "sent", "display", "description",
    "doc", "usage", "example", "examples", "default", "choices", "question", "verbose",
    "encoding", "charset", "cache", "lock", "queue", "topic", "channel", "event", "events",
    "pool", "host", "port", "user", "username", "login", "email", "mail", "mask", "masked",
    "visible", "hidden", "show", "toggle", "icon", "css", "js", "html", "button", "btn",
    "confirm", "confirmation", "old", "is", "has", "should", "use", "allow", "check",
    "validate", "valid", "invalid", "bits", "bytes", "sha", "md5", "filter",
    "strategy", "handler", "module", "factory", "generator", "adapter", "serializer",
    "limit", "limits", "rate", "throttle", "callback", "func", "function", "views",
    "mechanism", "mechanisms", "prompts", "manager", "helper", "plugin", "command",
    "cmd", "program", "script", "source", "sources", "lookup",
})
# A name that starts with a verb names an action (`reset_password`, `change_password`), not
# the password itself.
_ACTION_VERBS = frozenset({"change", "reset", "forgot", "forget", "set", "update", "verify",
                           "check", "validate", "require", "requires", "enter", "show", "hide",
                           "send", "recover", "enable", "disable", "use", "get", "make",
                           "generate", "create", "delete", "remove", "rotate", "refresh",
                           "parse", "read", "load", "store", "save", "hash", "encrypt",
                           "decrypt", "encode", "decode"})


def name_words(name: str) -> list[str]:
    """`appSecretKey` / `APP_SECRET_KEY` / `app.secret-key` → ["app", "secret", "key"]."""
    parts: list[str] = []
    for chunk in _SPLIT.split(name):
        parts.extend(p.lower() for p in _CAMEL.split(chunk) if p)
    return parts


def secret_name(name: str) -> str | None:
    """The kind of secret a name says it holds ("signing-key", "password", "token") or None.
    `password_reset_subject`, `token_type`, `API_KEY_HEADER`, `is_password_set` say none."""
    words = name_words(name)
    if not words or len(words) > 6:
        return None
    joined = "_".join(words)
    if joined in ("authorization", "auth_header", "authorization_header", "proxy_authorization"):
        return "token"
    if any(w in _NOT_SECRET for w in words) or joined.endswith(("_key_name", "_key_id")):
        return None
    if joined in _SIGNING or joined.endswith(("_secret_key", "_signing_key", "_jwt_secret")):
        return "signing-key"
    if any(w in _PASSWORD_WORDS for w in words) or "password" in joined:
        return None if words[0] in _ACTION_VERBS else "password"
    if "api_key" in joined or "apikey" in joined or any(w in _TOKEN_WORDS for w in words):
        return "token"
    for i, w in enumerate(words):
        if w == "key" and i > 0 and words[i - 1] in _KEY_QUALIFIERS:
            return "token"
    return None


# -- known formats ------------------------------------------------------------------------------

@dataclass(frozen=True)
class FormatMatch:
    kind: str
    start: int
    end: int


def quick_check(text: str) -> bool:
    """False when `text` cannot hold any known format (a cheap test before a closer look)."""
    return "://" in text or _FIRST.search(text) is not None or \
        _FIRST_PASSWORD.search(text) is not None


def find_formats(text: str, following: str = "") -> list[FormatMatch]:
    """Spans of `text` (offsets into it) that hold a credential in a known format, excluding
    placeholders and examples. A private key header counts only when key material follows it,
    in `text` or in `following` (the next lines of a file)."""
    if not quick_check(text):
        return []
    out: list[FormatMatch] = []
    for fmt, regex in zip(FORMATS, _COMPILED, strict=True):
        if fmt.hints and not any(h in text for h in fmt.hints):
            continue
        for m in regex.finditer(text):
            start, end = m.span(fmt.group)
            if start < 0 or not _real(fmt.kind, text, m, fmt.group, following):
                continue
            if any(o.start < end and start < o.end for o in out):
                continue
            out.append(FormatMatch(fmt.kind, start, end))
    out.sort(key=lambda f: f.start)
    return out


def _real(kind: str, text: str, m: re.Match[str], group: int, following: str) -> bool:
    value = m.group(group)
    if kind == "private key":
        body = (text[m.end() : m.end() + 400] + "\n" + following[:400]).replace("\\n", "\n")
        return bool(_KEY_BODY.search(body))
    if kind == "password in a URL":
        user = m.group(1)
        low = value.lower()
        if is_placeholder(value) or low in _DEFAULT_PASSWORDS or low == user.lower():
            return False
        if _LOOPBACK.match(text, m.end() - 1):
            return False  # a throwaway local database (CI service containers, dev setups)
        return not value.startswith(("$", "%", "{")) and not value.isdigit()
    if kind == "password in a connection string":
        low = value.lower()
        if is_placeholder(value) or low in _DEFAULT_PASSWORDS or len(value) < 4:
            return False
        return bool(_CONN_CONTEXT.search(text))
    return not is_placeholder(m.group(0)) and "EXAMPLE" not in m.group(0)


# -- text files ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class SecretHit:
    """A secret found in a file: 1-based line, 1-based columns in code points (`end_column`
    exclusive) spanning the value, the rule code, a message that never contains the value, and
    the kind of secret."""

    line: int
    column: int
    end_column: int
    rule: str
    message: str
    kind: str


_NO_NAMED_VALUES = frozenset({"package-lock.json", "npm-shrinkwrap.json", "composer.lock",
                              "Pipfile.lock", "poetry.lock", "yarn.lock", "pnpm-lock.yaml",
                              "uv.lock", "Cargo.lock"})
_API_SPEC = re.compile(r"""(?m)^\s*["']?(?:openapi|swagger)["']?\s*:\s*["']?[23]\.""")
_ASSIGN = re.compile(
    r"""^\s*(?:export\s+|set\s+|-\s+)?["']?(?P<name>[A-Za-z_][A-Za-z0-9_.\-]*)["']?\s*"""
    r"""(?::|=|:=|=>)\s*(?P<value>.*)$""")
_QUOTED = re.compile(
    r"""^(?P<q>["'])(?P<inner>(?:\\.|(?!(?P=q)).)*)(?P=q)\s*,?\s*(?:(?:#|;|//).*)?$""")


def allowed(relpath: str, globs: tuple[str, ...]) -> bool:
    """Whether `relpath` matches one of the `secrets.allow-paths` globs (test fixtures with
    fake keys). `**` matches any number of folders."""
    path = PurePosixPath(relpath)
    return any(path.match(glob) or _glob_regex(glob).fullmatch(relpath) for glob in globs)


def _glob_regex(glob: str) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        elif glob[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return re.compile("".join(out))


def scan_text(relpath: str, text: str, allow: tuple[str, ...] = ()) -> list[SecretHit]:
    """Hard-coded secrets in a text file: known formats anywhere (SEC001) and `name = value`,
    `name: value`, `"name": "value"` lines whose name says secret and whose value looks like
    one (SEC002). Nothing when `relpath` matches an `allow` glob."""
    if allow and allowed(relpath, allow):
        return []
    hits: list[SecretHit] = []
    lines = text.splitlines()
    # Lock files list package names (`parse-passwd`); API specs hold example values.
    names = relpath.rpartition("/")[2] not in _NO_NAMED_VALUES and not _API_SPEC.search(
        text[:2000])
    for number, line in enumerate(lines, start=1):
        if len(line) > 20_000:
            line = line[:20_000]
        following = "\n".join(lines[number : number + 2]) if "PRIVATE KEY" in line else ""
        found = find_formats(line, following)
        for f in found:
            hits.append(SecretHit(number, f.start + 1, f.end + 1, SEC001,
                                  f"Hard-coded credential: {f.kind}", f.kind))
        if found or not names:
            continue
        hit = _assignment(line, number)
        if hit is not None:
            hits.append(hit)
    return hits


def _assignment(line: str, number: int) -> SecretHit | None:
    stripped = line.lstrip()
    if stripped.startswith(("#", ";", "//", "<!--")):
        return None
    m = _ASSIGN.match(line)
    if m is None:
        return None
    name = m.group("name").rpartition(".")[2]
    kind = secret_name(name)
    if kind is None:
        return None
    raw = m.group("value").rstrip().removesuffix(",").rstrip()
    start = m.start("value")
    # Trailing comments in .env / YAML / INI / TOML.
    q = _QUOTED.match(raw)
    if q is not None:
        value = q.group("inner")
        start += 1
    else:
        if raw[:1] in ("'", '"'):
            return None  # a quoted value that goes on past this line
        value = re.split(r"\s+[#;]", raw, maxsplit=1)[0].rstrip(",")
        if value.startswith(("[", "{", "!", "&", "*", "|", ">")) or value in ("null", "~"):
            return None
    if not value or not looks_secret(value, kind, name):
        return None
    if value.lower() in ("true", "false", "yes", "no", "on", "off"):
        return None
    if value.replace(".", "", 1).isdigit():
        return None
    what = {"signing-key": "signing key", "password": "password", "token": "secret"}[kind]
    return SecretHit(number, start + 1, start + len(value) + 1, SEC002,
                     f"Hard-coded {what} in `{name}`", what)


# -- masking ------------------------------------------------------------------------------------

def mask(line_text: str, start_col: int, end_col: int) -> str:
    """`line_text` with the span [start_col, end_col) (1-based columns in code points, end
    exclusive; an end past the line masks to its end) replaced by its first characters and
    stars. At most `MASK_KEEP` characters are kept, and never more than a third of the span, so
    a short password is not half shown. The length of the line is kept."""
    start = max(start_col - 1, 0)
    end = len(line_text) if end_col - 1 > len(line_text) else max(end_col - 1, start)
    span = line_text[start:end]
    keep = min(MASK_KEEP, len(span) // 3)
    return line_text[:start] + span[:keep] + "*" * (len(span) - keep) + line_text[end:]
