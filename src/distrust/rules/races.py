"""Check-then-act races on money-like values (RACE001): a balance, stock or quota is read,
compared, then written back from the value read, with no row lock and no atomic conditional
update between them. Two concurrent requests both pass the check and both write.

The analysis is within one function: it orders the reads, the comparisons and the writes by
position. A lock anywhere in the function (`SELECT ... FOR UPDATE`, `with_for_update()`,
`select_for_update()`, `BEGIN IMMEDIATE`, a `with ...lock...:` block) keeps it quiet;
`transaction.atomic()` alone does not."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from distrust.model import Confidence, Severity
from distrust.python import nodes
from distrust.python.source import Module
from distrust.rules.rule import A04, Hit, Rule
from distrust.rules.sqltext import argument as _sql_arg
from distrust.rules.sqltext import constants as _sql_constants
from distrust.rules.sqltext import last_name as _last_name
from distrust.rules.sqltext import string as _string

Function = ast.FunctionDef | ast.AsyncFunctionDef

MONEY_WORDS = frozenset({
    "balance", "balances", "credit", "credits", "stock", "inventory", "quota", "quotas",
    "points", "seats", "available", "remaining", "capacity", "tickets", "funds", "wallet",
    "uses", "usage", "redemptions", "redeemed", "allowance", "budget", "slots", "spots",
    "used", "tokens", "coins", "limit", "allocation", "onhand", "in_stock",
})
# `quantity` is a stock only on a product-like object (a cart line's quantity is the buyer's).
STOCK_ONLY = frozenset({"quantity", "qty", "count", "units"})
STOCK_OWNERS = frozenset({"product", "products", "inventory", "stock", "variant", "sku",
                          "warehouse", "ticket", "tickets", "event", "item_stock", "listing",
                          "offer", "coupon", "voucher", "promo", "seat", "room", "slot"})
LOCK_TEXT = re.compile(r"\bFOR\s+(?:NO\s+KEY\s+)?UPDATE\b|\bFOR\s+SHARE\b|\bBEGIN\s+(?:IMMEDIATE|"
                       r"EXCLUSIVE)\b|\bLOCK\s+TABLES?\b|\bSERIALIZABLE\b|\badvisory_x?act_lock|"
                       r"\bpg_advisory_lock|\bGET_LOCK\s*\(", re.IGNORECASE)
LOCK_CALLS = frozenset({"with_for_update", "select_for_update", "with_lockmode", "lock",
                        "acquire", "advisory_lock", "for_update"})
PERSIST_CALLS = frozenset({"commit", "save", "flush", "save_model", "commit_unless_managed"})
TX_CONTEXT = re.compile(r"atomic|begin|transaction|session_scope|commit", re.IGNORECASE)
SELECT = re.compile(r"^\s*SELECT\b", re.IGNORECASE)
UPDATE_SET = re.compile(r"^\s*UPDATE\s+\S+\s+SET\s+(?P<set>.*?)(?:\bWHERE\b(?P<where>.*))?$",
                        re.IGNORECASE | re.DOTALL)
FETCH_CALLS = frozenset({"fetchone", "fetchall", "fetchmany", "scalar", "scalar_one",
                         "scalar_one_or_none", "first", "one", "one_or_none", "fetchval",
                         "fetchrow", "fetch", "mappings", "all"})
CAPWORDS = re.compile(r"^[A-Z][A-Za-z0-9]*$")


def _words(text: str) -> list[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1_\2", text)
    return [w for w in re.split(r"[^a-z0-9]+", spaced.lower()) if w]


def _is_money(name: str, owner: str = "") -> bool:
    words = _words(name)
    if any(w in MONEY_WORDS for w in words) or "in_stock" in name.lower():
        return True
    return any(w in STOCK_ONLY for w in words) and bool(set(_words(owner)) & STOCK_OWNERS)


def _maybe_money(name: str) -> bool:
    """Whether `name` is money-like on some object (a cheap test before the full one)."""
    return _is_money(name) or any(w in STOCK_ONLY for w in _words(name))


def _walk(node: ast.AST) -> list[ast.AST]:
    """Every node below `node` (inclusive), not descending into nested functions or classes
    (computed once per function: several checks walk the same function)."""
    return nodes.scope(node)


def _pos(node: ast.AST) -> tuple[int, int]:
    return getattr(node, "lineno", 0), getattr(node, "col_offset", 0)




def _text(node: ast.AST) -> str:
    try:
        return ast.unparse(node)
    except (ValueError, RecursionError, AttributeError, TypeError):
        return ""




MAX_CHAIN = 16  # deeper attribute chains are not money reads: checks stay linear


def _root(expr: ast.AST) -> ast.AST:
    """The name a chain starts from (a chain deeper than MAX_CHAIN has none)."""
    for _ in range(MAX_CHAIN):
        if isinstance(expr, ast.Call):
            expr = expr.func
        elif isinstance(expr, ast.Await | ast.Attribute | ast.Subscript):
            expr = expr.value
        else:
            return expr
    return ast.Constant(value=None)


def _is_class_ref(expr: ast.AST) -> bool:
    """`Account` in `Account.balance`: a column, not a value read from a row."""
    return isinstance(expr, ast.Name) and bool(CAPWORDS.match(expr.id))


# --------------------------------------------------------------------------- the function's facts

@dataclass(frozen=True)
class Derived:
    origin: str          # "obj:<base>" or "sql"
    money: bool
    line: int


def _has_lock(func: Function) -> bool:
    for node in _walk(func):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and LOCK_TEXT.search(node.value):
            return True
        if isinstance(node, ast.Attribute) and node.attr in LOCK_CALLS:
            return True
        if isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                if re.search(r"lock|mutex|semaphore", _text(item.context_expr), re.IGNORECASE):
                    return True
        if isinstance(node, ast.keyword) and node.arg in ("isolation_level", "nowait") \
                and "SERIALIZABLE" in _text(node.value).upper():
            return True
    return False


def _persists(func: Function) -> bool:
    for node in _walk(func):
        if isinstance(node, ast.Call) and _last_name(node.func) in PERSIST_CALLS:
            return True
        if isinstance(node, ast.With | ast.AsyncWith) and any(
                TX_CONTEXT.search(_text(i.context_expr)) for i in node.items):
            return True
    return False


def _money_attr(node: ast.AST) -> tuple[str, str] | None:
    """(base text, attribute) for a load of `acct.balance`, `request.user.profile.credits`."""
    if isinstance(node, ast.Attribute) and not _is_class_ref(node.value) \
            and isinstance(node.ctx, ast.Load) and _maybe_money(node.attr) \
            and isinstance(_root(node.value), ast.Name):
        base = _text(node.value)
        if base and _is_money(node.attr, base):
            return base, node.attr
    return None






def _sql_select_call(node: ast.AST, consts: dict[str, str]) -> tuple[bool, bool] | None:
    """(is a read, names a money column) for `cur.execute("SELECT ...")`, or
    `select(Account.balance)` / `session.query(Account.balance)`."""
    if not isinstance(node, ast.Call):
        return None
    name = _last_name(node.func)
    if name in ("execute", "fetch", "fetchrow", "fetchval", "query", "exec_driver_sql") \
            and node.args:
        sql = _sql_arg(node.args[0], consts)
        if sql is not None:
            if not SELECT.match(sql):
                return None
            return True, any(_is_money(w) for w in re.split(r"[^A-Za-z0-9_]+", sql) if w)
    if name in ("select", "query", "values_list", "values") and node.args:
        money = any(isinstance(a, ast.Attribute) and _is_money(a.attr) for a in node.args) or \
            any(_is_money(s) for a in node.args if (s := _string(a)))
        if money:
            return True, True
    return None


def _derived(func: Function, consts: dict[str, str]) -> dict[str, Derived]:
    """Names bound (in order) from a money read or from other derived names."""
    out: dict[str, Derived] = {}
    cursors: dict[str, bool] = {}  # cursor name -> its last SELECT named a money column
    events: list[tuple[tuple[int, int], ast.stmt | ast.NamedExpr]] = []
    for node in _walk(func):
        if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign | ast.Expr
                      | ast.NamedExpr | ast.For):
            events.append((_pos(node), node))
    events.sort(key=lambda e: e[0])
    for _, node in events:
        if isinstance(node, ast.Expr):
            value: ast.AST | None = node.value
            targets: list[ast.AST] = []
        elif isinstance(node, ast.For):
            value, targets = node.iter, [node.target]
        elif isinstance(node, ast.Assign):
            value, targets = node.value, list(node.targets)
        elif isinstance(node, ast.AnnAssign | ast.AugAssign | ast.NamedExpr):
            value, targets = node.value, [node.target]
        else:
            continue
        if value is None:
            continue
        origin: str | None = None
        money = False
        for sub in _walk(value):
            select = _sql_select_call(sub, consts)
            if select is not None:
                origin, money = "sql", money or select[1]
                receiver = sub.func.value if isinstance(sub, ast.Call) and isinstance(
                    sub.func, ast.Attribute) else None
                if isinstance(receiver, ast.Name):
                    cursors[receiver.id] = select[1]
            elif isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) \
                    and sub.func.attr in FETCH_CALLS and isinstance(sub.func.value, ast.Name) \
                    and sub.func.value.id in cursors:
                origin, money = "sql", money or cursors[sub.func.value.id]
            found = _money_attr(sub)
            if found is not None:
                origin, money = f"obj:{found[0]}", True
            if isinstance(sub, ast.Name) and sub.id in out and isinstance(sub.ctx, ast.Load):
                d = out[sub.id]
                origin = origin or d.origin
                money = money or d.money or (isinstance(value, ast.Subscript)
                                             and _money_key(value))
        if origin is None:
            continue
        for target in targets:
            for name in _walk(target):
                if isinstance(name, ast.Name):
                    out[name.id] = Derived(origin, money or _is_money(name.id), node.lineno)
    return out


def _money_key(node: ast.Subscript) -> bool:
    key = _string(node.slice)
    return bool(key and _is_money(key))


def _money_origins(expr: ast.AST, derived: dict[str, Derived]) -> set[str]:
    """The origins of the money values `expr` uses: `acct.balance`, a derived money name, or
    `row["balance"]` / `row.balance` of a derived row."""
    origins: set[str] = set()
    for sub in _walk(expr):
        found = _money_attr(sub)
        if found is not None:
            origins.add(f"obj:{found[0]}")
        elif isinstance(sub, ast.Name) and sub.id in derived and derived[sub.id].money:
            origins.add(derived[sub.id].origin)
        elif isinstance(sub, ast.Subscript | ast.Attribute) and isinstance(
                sub.value, ast.Name) and sub.value.id in derived and (
                (isinstance(sub, ast.Subscript) and _money_key(sub))
                or (isinstance(sub, ast.Attribute) and _is_money(sub.attr))):
            origins.add(derived[sub.value.id].origin)
    return origins


def _compares(func: Function, derived: dict[str, Derived]) -> list[tuple[int, set[str]]]:
    """Each comparison of a money value: its line and the origins it compares."""
    out: list[tuple[int, set[str]]] = []
    for node in _walk(func):
        # `is None` / `in` tests do not check an amount
        if isinstance(node, ast.Compare) and all(
                isinstance(op, ast.Lt | ast.LtE | ast.Gt | ast.GtE | ast.Eq | ast.NotEq)
                for op in node.ops):
            origins = _money_origins(node, derived)
            if origins:
                out.append((node.lineno, origins))
    return out


def _mentions(expr: ast.AST, derived: dict[str, Derived], origin: str, base: str,
              attr: str) -> bool:
    for sub in _walk(expr):
        if isinstance(sub, ast.Name) and sub.id in derived and derived[sub.id].origin == origin:
            return True
        found = _money_attr(sub)
        if found is not None and found[0] == base:
            return True
    del attr
    return False


def _is_relative(expr: ast.AST) -> bool:
    """`F("balance") - x`, `Account.balance - x`: computed by the database at write time."""
    for sub in _walk(expr):
        if isinstance(sub, ast.Call) and _last_name(sub.func) == "F":
            return True
        if isinstance(sub, ast.Attribute) and _is_class_ref(sub.value) and _is_money(sub.attr):
            return True
    return False


@dataclass(frozen=True)
class Write:
    node: ast.AST
    origin: str
    relative: bool
    what: str


def _writes(func: Function, derived: dict[str, Derived], consts: dict[str, str]
            ) -> Iterator[Write]:
    for node in _walk(func):
        if isinstance(node, ast.Assign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if not (isinstance(target, ast.Attribute) and not _is_class_ref(target.value)):
                    continue
                if not _maybe_money(target.attr) or not isinstance(_root(target.value),
                                                                    ast.Name):
                    continue
                base = _text(target.value)
                if not _is_money(target.attr, base):
                    continue
                origin = f"obj:{base}"
                relative = _is_relative(node.value)
                if relative and not _is_decrement(node.value):
                    continue
                if isinstance(node, ast.AugAssign) or relative or _mentions(
                        node.value, derived, origin, base, target.attr):
                    yield Write(node, origin, relative, f"{base}.{target.attr}")
        elif isinstance(node, ast.Call):
            yield from _call_write(node, derived, consts)


def _call_write(node: ast.Call, derived: dict[str, Derived], consts: dict[str, str]
                ) -> Iterator[Write]:
    name = _last_name(node.func)
    # SQL text: UPDATE accounts SET balance = ? WHERE id = ?
    if name in ("execute", "exec_driver_sql") and node.args:
        sql = _sql_arg(node.args[0], consts)
        match = UPDATE_SET.match(sql) if sql else None
        if match is None:
            return
        sets = match.group("set")
        where = match.group("where") or ""
        columns = [c for c in re.findall(r"(\w+)\s*=", sets) if _is_money(c)]
        if not columns:
            return
        if any(re.search(rf"\b{re.escape(c)}\b\s*(?:>=|>|<=|<)", where) for c in columns):
            return  # the conditional update: WHERE balance >= ?
        # `SET balance = balance - ?`: an atomic decrement (an increment cannot overdraw)
        relative = any(re.search(rf"\b{re.escape(c)}\s*=\s*{re.escape(c)}\s*-", sets)
                       for c in columns)
        params = node.args[1:] + [k.value for k in node.keywords]
        origins = set().union(*(_money_origins(p, derived) for p in params)) if params else set()
        if origins:
            yield Write(node, sorted(origins)[0], False, columns[0])
        elif relative:
            yield Write(node, "sql", True, columns[0])
        return
    # Django: Account.objects.filter(...).update(balance=...)
    # SQLAlchemy: update(Account).where(...).values(balance=...)
    if name in ("update", "values"):
        money_kw = [k for k in node.keywords if k.arg and _is_money(k.arg)]
        if not money_kw:
            return
        chain = _text(node.func)
        if re.search(r"__(?:gte|gt|lte|lt)\b", chain) or re.search(
                r"\.\w*(?:balance|stock|credit|quota|seats|inventory|points)\w*\s*(?:>=|>|<=|<)",
                chain, re.IGNORECASE):
            return  # conditional: .filter(balance__gte=x) / .where(Account.balance >= x)
        for kw in money_kw:
            if _is_relative(kw.value):
                if _is_decrement(kw.value):
                    yield Write(node, "*", True, kw.arg or "")
                return
            origins = _money_origins(kw.value, derived)
            if origins:
                yield Write(node, sorted(origins)[0], False, kw.arg or "")
                return


def _is_decrement(expr: ast.AST) -> bool:
    return isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Sub)


def _loaded_here(func: Function, base: str) -> bool:
    """Whether the object `base` is bound in this function from a call (a query), or is the
    request's user, rather than a parameter whose caller may hold a lock."""
    root = base.split(".")[0].split("[")[0]
    if root in ("current_user", "request", "g"):
        return True
    for node in _walk(func):
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == root for t in node.targets):
            value = node.value.value if isinstance(node.value, ast.Await) else node.value
            if isinstance(value, ast.Call | ast.Subscript | ast.Attribute):
                return True
        if isinstance(node, ast.For) and isinstance(node.target, ast.Name) \
                and node.target.id == root:
            return True
    return False


def _compares_anything(func: Function) -> bool:
    """A cheap first look: most functions compare nothing money-like and are done here."""
    for node in _walk(func):
        if isinstance(node, ast.Compare) and any(
                isinstance(op, ast.Lt | ast.LtE | ast.Gt | ast.GtE | ast.Eq | ast.NotEq)
                for op in node.ops):
            return True
    return False


_WRITE_TYPES = (ast.Assign, ast.AugAssign, ast.Call)


def _may_write(node: ast.AST) -> bool:
    """Whether `_writes` can give a write at `node`: a test that needs no facts of the
    function, run once over the module (most functions write nothing money-like)."""
    if isinstance(node, ast.Assign | ast.AugAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return any(isinstance(t, ast.Attribute) and not _is_class_ref(t.value)
                   and _maybe_money(t.attr) for t in targets)
    if isinstance(node, ast.Call):
        name = _last_name(node.func)
        if name in ("execute", "exec_driver_sql"):
            return bool(node.args)
        if name in ("update", "values"):
            return any(k.arg is not None and _is_money(k.arg) for k in node.keywords)
    return False


def _check(node: ast.AST, module: Module) -> Iterable[ast.AST | Hit]:
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return
    if not nodes.any_line_in(nodes.lines_where(module.tree, "race.writes", _WRITE_TYPES,
                                                 _may_write), node):
        return  # nothing in the function can be a write
    if not _compares_anything(node) or _has_lock(node):
        return
    consts = _sql_constants(node)
    derived = _derived(node, consts)
    compares = _compares(node, derived)
    if not compares:
        return
    persisted: bool | None = None
    reported: set[int] = set()
    for write in sorted(_writes(node, derived, consts), key=lambda w: _pos(w.node)):
        line = getattr(write.node, "lineno", 0)
        earlier = [c for c, origins in compares if c < line and (
            write.origin in origins or (write.origin == "*" and origins)
            or (write.origin == "sql" and "sql" in origins))]
        if not earlier or line in reported:
            continue
        is_object = write.origin.startswith("obj:")
        if is_object and isinstance(write.node, ast.Assign | ast.AugAssign):
            if persisted is None:
                persisted = _persists(node)
            if not persisted:
                continue  # an in-memory value: nothing is written back
        check_line = earlier[0]
        reported.add(line)
        if write.relative:
            yield Hit(
                write.node,
                message=(f"`{write.what}` is checked on line {check_line} against a value read "
                         f"earlier, then updated without re-checking: the update is atomic but "
                         f"two concurrent requests can both pass the check (add the condition "
                         f"to the UPDATE's WHERE clause and check the row count)"),
                confidence=Confidence.LOW,
            )
            continue
        loaded = not is_object or _loaded_here(node, write.origin[4:])
        yield Hit(
            write.node,
            message=(f"`{write.what}` is read, checked on line {check_line}, then written back "
                     f"from the value read, with no row lock: two concurrent requests can both "
                     f"pass the check (lock the row with SELECT ... FOR UPDATE / "
                     f"`with_for_update()` / `select_for_update()`, or do one conditional "
                     f"UPDATE ... WHERE {write.what.rpartition('.')[2]} >= ?)"),
            confidence=Confidence.MEDIUM if loaded else Confidence.LOW,
        )


RULES: tuple[Rule, ...] = (
    Rule("RACE001", "check-then-act-race", 362, A04, Severity.HIGH, Confidence.MEDIUM,
         "A balance, stock or quota is read, checked and written back without a lock or an "
         "atomic conditional update",
         node_types=(ast.FunctionDef, ast.AsyncFunctionDef), check=_check),
)
