"""Archives and temporary files.

ARC001  archive extraction that can write outside the target folder (CWE-22): `tarfile`
        `extractall`/`extract` without an extraction filter or a member check,
        `shutil.unpack_archive` of a tar without a filter, and member names of a zip or tar
        joined to a folder and written without a containment check. `zipfile`'s own
        `extract`/`extractall` drop absolute paths and `..` from member names, so they are not
        findings.
TMP001  insecure temporary files (CWE-377): `tempfile.mktemp`, and files written under a
        shared folder (`/tmp`, `/var/tmp`, `/dev/shm`) by a predictable name."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from distrust.model import Confidence, Edit, Fix, Severity
from distrust.python import nodes as walks
from distrust.python.source import Module
from distrust.rules.mentions import mentions
from distrust.rules.rule import A01, Hit, Rule

H, M = Confidence.HIGH, Confidence.MEDIUM

_TAR_OPENERS = ("tarfile.open", "tarfile.TarFile", "tarfile.TarFile.open",
                "tarfile.TarFile.taropen", "tarfile.TarFile.gzopen", "tarfile.TarFile.bz2open",
                "tarfile.TarFile.xzopen")
_UNSAFE_FILTERS = ("fully_trusted", "tarfile.fully_trusted_filter", "fully_trusted_filter",
                   "None")
_MEMBER_LISTS = frozenset({"namelist", "infolist", "getmembers", "getnames"})
_CONTAINMENT = frozenset({"realpath", "abspath", "normpath", "commonpath", "commonprefix",
                          "resolve", "is_relative_to", "relative_to", "startswith", "basename",
                          "secure_filename", "safe_join", "isabs", "is_absolute"})
_CHECK_HELPER = re.compile(r"(?i)within|inside|contain|safe|sanit|travers|relative_to"
                           r"|is_under|escape|subpath|data_filter")
_SHARED_DIRS = ("/tmp/", "/var/tmp/", "/dev/shm/", "/usr/tmp/")
_RANDOM_CALLS = frozenset({"uuid4", "uuid1", "token_hex", "token_urlsafe", "mkstemp",
                           "mkdtemp", "urandom", "randbits", "getrandbits", "NamedTemporaryFile",
                           "TemporaryDirectory", "gettempprefix"})
_WRITE_METHODS = frozenset({"write_text", "write_bytes", "touch"})
_ARCHIVE_WORDS = ("tarfile", "zipfile", "unpack_archive")
_TEMPFILE_WORDS = ("mktemp", "tmp", "/dev/shm", "gettempdir", "tempnam")
_HANDLERS = ("FileHandler", "RotatingFileHandler", "TimedRotatingFileHandler",
             "WatchedFileHandler")


def _scope_nodes(scope: ast.AST) -> Iterator[ast.AST]:
    """The nodes of one function (or of the module outside functions), not of nested ones."""
    stack: list[ast.AST] = walks.children(scope)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        yield node
        stack.extend(walks.children(node))


def _qual(module: Module, node: ast.expr) -> str:
    return (module.qualname(node) or "").replace("()", "")


def _const_str(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


# -- ARC001 -------------------------------------------------------------------------------------

def _tar_names(nodes: list[ast.AST], module: Module) -> set[str]:
    out: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.withitem) and isinstance(node.optional_vars, ast.Name) and \
                _is_tar_open(node.context_expr, module):
            out.add(node.optional_vars.id)
        elif isinstance(node, ast.Assign) and _is_tar_open(node.value, module):
            out.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return out


def _is_tar_open(node: ast.expr, module: Module) -> bool:
    return isinstance(node, ast.Call) and _qual(module, node.func) in _TAR_OPENERS


def _has_check(nodes: list[ast.AST]) -> bool:
    """Whether the code looks at where a member would land: a containment test, `..`, or an
    extraction filter set on the archive."""
    for node in nodes:
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else (
                func.id if isinstance(func, ast.Name) else "")
            if name in _CONTAINMENT or _CHECK_HELPER.search(name):
                return True
        elif _dotdot(node) or _sets_filter(node):
            return True
    return False


def _dotdot(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value in ("..", "../", "/..")


def _sets_filter(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "extraction_filter" and \
        isinstance(node.ctx, ast.Store)


def _filter_fix(module: Module, call: ast.Call) -> Fix | None:
    end_line = call.end_lineno or call.lineno
    end_col = call.end_col_offset
    if end_col is None:
        return None
    text = module.line_text(end_line)
    close = module.column(end_line, end_col) - 1  # 1-based column of ")"
    if close < 1 or close > len(text) or text[close - 1] != ")":
        return None
    before = text[: close - 1].rstrip()
    previous = end_line
    while not before and previous > call.lineno:  # `)` alone on its line
        previous -= 1
        before = module.line_text(previous).split("#", 1)[0].rstrip()
    if call.args or call.keywords:
        insert = " filter=\"data\"" if before.endswith(",") else ", filter=\"data\""
    else:
        insert = "filter=\"data\""
    return Fix('extract with filter="data" (refuses absolute paths, "..", links out of the '
               'folder and device files)',
               (Edit(module.path, end_line, close, end_line, close, insert),))


def _archive(node: ast.AST, module: Module) -> Iterator[Hit]:
    if not mentions(module, _ARCHIVE_WORDS):
        return
    nodes = list(_scope_nodes(node))
    tars = _tar_names(nodes, module)
    checked = _has_check(nodes) or mentions(module, ("extraction_filter",))
    for n in nodes:
        if not isinstance(n, ast.Call):
            continue
        func = n.func
        kw = {k.arg: k.value for k in n.keywords if k.arg}
        if isinstance(func, ast.Attribute) and func.attr in ("extractall", "extract"):
            receiver = func.value
            is_tar = (isinstance(receiver, ast.Name) and receiver.id in tars) or \
                _is_tar_open(receiver, module)
            if not is_tar or _safe_filter(kw.get("filter")):
                continue
            if func.attr == "extractall" and "members" in kw and \
                    not _lists_members(kw["members"]):
                continue  # a member list the code chose (checked) is passed
            if checked:
                continue
            yield Hit(n, message=f"tarfile {func.attr}() without an extraction filter: a "
                      "member named `../x` or `/etc/x`, or a link, writes outside the folder",
                      fix=_filter_fix(module, n))
        elif _qual(module, func) == "shutil.unpack_archive":
            fmt = _const_str(kw.get("format")) or (_const_str(n.args[2]) if len(n.args) > 2
                                                   else None)
            name = _const_str(n.args[0]) if n.args else None
            if fmt == "zip" or (name or "").lower().endswith(".zip") or \
                    _safe_filter(kw.get("filter")):
                continue
            yield Hit(n, message="shutil.unpack_archive() without filter= extracts tar "
                      "members outside the folder", confidence=M, fix=_filter_fix(module, n))
    if not checked:
        yield from _manual_extraction(nodes)


def _safe_filter(value: ast.expr | None) -> bool:
    if value is None:
        return False
    text = ast.unparse(value)
    return text.strip("'\"") not in _UNSAFE_FILTERS


def _lists_members(value: ast.expr) -> bool:
    return isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and \
        value.func.attr == "getmembers"


def _manual_extraction(nodes: list[ast.AST]) -> Iterator[Hit]:
    """for name in zf.namelist(): open(os.path.join(dest, name), "wb") ..."""
    for loop in nodes:
        if not isinstance(loop, ast.For) or not isinstance(loop.iter, ast.Call):
            continue
        func = loop.iter.func
        if not isinstance(func, ast.Attribute) or func.attr not in _MEMBER_LISTS:
            continue
        member = _names(loop.target)
        body = [n for stmt in loop.body for n in ast.walk(stmt)]
        derived = set(member)
        for n in body:  # names computed from a member name: path = os.path.join(dest, name)
            if isinstance(n, ast.Assign) and _names(n.value) & derived:
                derived |= {t.id for t in n.targets if isinstance(t, ast.Name)}
        for n in body:
            target = _written_path(n)
            if target is not None and _names(target) & derived:
                yield Hit(n, message="An archive member's name chooses the path of a file "
                          "written here, with no check that it stays in the folder")
                break


def _written_path(node: ast.AST) -> ast.expr | None:
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    if isinstance(func, ast.Name) and func.id == "open" and node.args:
        mode = _const_str(node.args[1]) if len(node.args) > 1 else None
        for k in node.keywords:
            if k.arg == "mode":
                mode = _const_str(k.value)
        if mode and any(c in mode for c in "wax+"):
            return node.args[0]
    if isinstance(func, ast.Attribute) and func.attr in ("write_bytes", "write_text"):
        return func.value
    return None


# -- TMP001 -------------------------------------------------------------------------------------

def _shared_path(node: ast.expr | None, module: Module, env: dict[str, ast.expr],
                 depth: int = 0) -> bool:
    """Whether `node` is a path in a shared temporary folder with a predictable name."""
    if node is None or depth > 4:
        return False
    if any(isinstance(n, ast.Call) and _call_name(n) in _RANDOM_CALLS for n in ast.walk(node)):
        return False
    if isinstance(node, ast.Name):
        return node.id in env and _shared_path(env[node.id], module, env, depth + 1)
    text = _const_str(node)
    if text is not None:
        return text.startswith(_SHARED_DIRS) and len(text) > text.rfind("/") + 1
    if isinstance(node, ast.JoinedStr) and node.values:
        first = _const_str(node.values[0])
        return first is not None and first.startswith(_SHARED_DIRS)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
        left: ast.expr = node
        while isinstance(left, ast.BinOp) and isinstance(left.op, ast.Add | ast.Mod):
            left = left.left
        first = _const_str(left)
        return first is not None and first.startswith(_SHARED_DIRS)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        return _shared_dir(node.left, module, env, depth + 1)
    if isinstance(node, ast.Call):
        name = _qual(module, node.func)
        if name in ("os.path.join", "posixpath.join") and len(node.args) >= 2:
            return _shared_dir(node.args[0], module, env, depth + 1)
        if isinstance(node.func, ast.Attribute) and node.func.attr == "format":
            first = _const_str(node.func.value)
            return first is not None and first.startswith(_SHARED_DIRS)
        if name in ("pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath") and node.args:
            return _shared_path(node.args[0], module, env, depth + 1)
    return False


def _shared_dir(node: ast.expr, module: Module, env: dict[str, ast.expr],
                depth: int = 0) -> bool:
    if depth > 4:
        return False  # `p = q; q = p`: names that refer to each other
    text = _const_str(node)
    if text is not None:
        return text.rstrip("/") + "/" in _SHARED_DIRS
    if isinstance(node, ast.Call):
        name = _qual(module, node.func)
        if name in ("tempfile.gettempdir", "tempfile.gettempdirb"):
            return True
        if name in ("pathlib.Path", "pathlib.PurePath") and node.args:
            return _shared_dir(node.args[0], module, env, depth + 1)
    if isinstance(node, ast.Name) and node.id in env:
        return _shared_dir(env[node.id], module, env, depth + 1)
    return False


def _call_name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else (
        func.id if isinstance(func, ast.Name) else "")


def _write_target(call: ast.Call, module: Module) -> ast.expr | None:
    """The path a call creates or writes, when it is a write."""
    func = call.func
    name = _qual(module, func)
    kw = {k.arg: k.value for k in call.keywords if k.arg}
    if name in ("open", "io.open", "codecs.open") and call.args:
        mode = _const_str(call.args[1]) if len(call.args) > 1 else _const_str(kw.get("mode"))
        if mode and any(c in mode for c in "wa+") and "x" not in mode:
            return call.args[0]
        return None
    if name == "os.open" and len(call.args) >= 2:
        flags = ast.unparse(call.args[1])
        if "O_CREAT" in flags and "O_EXCL" not in flags:
            return call.args[0]
        return None
    if name.endswith(_HANDLERS) and (call.args or "filename" in kw):
        return call.args[0] if call.args else kw["filename"]
    if name in ("shutil.copy", "shutil.copyfile", "shutil.copy2", "shutil.move") and \
            len(call.args) >= 2:
        return call.args[1]
    if isinstance(func, ast.Attribute) and func.attr in _WRITE_METHODS:
        return func.value
    if isinstance(func, ast.Attribute) and func.attr == "open" and call.args:
        mode = _const_str(call.args[0])
        if mode and any(c in mode for c in "wa+") and "x" not in mode:
            return func.value
    if isinstance(func, ast.Attribute) and func.attr in ("to_csv", "to_json", "to_pickle",
                                                          "savefig", "save", "dump") \
            and call.args:
        return call.args[0]
    return None


def _tempfiles(node: ast.AST, module: Module) -> Iterator[Hit]:
    if not mentions(module, _TEMPFILE_WORDS):
        return
    nodes = list(_scope_nodes(node))
    env: dict[str, ast.expr] = {}
    for n in nodes:
        if isinstance(n, ast.Assign) and len(n.targets) == 1 and \
                isinstance(n.targets[0], ast.Name):
            env[n.targets[0].id] = n.value
    for n in nodes:
        if not isinstance(n, ast.Call):
            continue
        name = _qual(module, n.func)
        if name in ("tempfile.mktemp", "os.tempnam", "os.tmpnam"):
            yield Hit(n, message=f"{name}() returns a name that another process can create "
                      "first (use tempfile.mkstemp or NamedTemporaryFile)")
            continue
        target = _write_target(n, module)
        if target is not None and _shared_path(target, module, env):
            yield Hit(n, message="A file in a shared temporary folder is written by a "
                      "predictable name: another user can create it first or plant a link "
                      "there")


RULES: tuple[Rule, ...] = (
    Rule("ARC001", "unsafe-archive-extraction", 22, A01, Severity.HIGH, H,
         "Archive extraction can write outside the target folder",
         node_types=(ast.Module, ast.FunctionDef, ast.AsyncFunctionDef), check=_archive,
         words=_ARCHIVE_WORDS),
    Rule("TMP001", "insecure-temporary-file", 377, A01, Severity.MEDIUM, H,
         "Insecure temporary file", node_types=(ast.Module, ast.FunctionDef,
                                                ast.AsyncFunctionDef), check=_tempfiles,
         words=_TEMPFILE_WORDS),
)
