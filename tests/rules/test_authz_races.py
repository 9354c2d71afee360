"""Behaviour of the authorization (AUTHZ001, AUTHZ002) and race (RACE001) rules beyond their
fixtures: confidence levels, the conservative cases, and odd input that must never raise."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from distrust.config import Config
from distrust.model import Confidence, Finding
from distrust.rules import ALL_RULES
from distrust.scan import scan, select_rules


def _scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: str,
          name: str = "app.py") -> list[Finding]:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(code), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    outcome = scan([Path(".")], Config(), rules=select_rules(ALL_RULES, ["AUTHZ", "RACE"], []))
    assert not outcome.failures, outcome.failures
    return list(outcome.result.findings)


FLASK_ORDERS = """
from flask import Blueprint, abort
from flask_login import current_user, login_required
from .models import Order, db

bp = Blueprint("orders", __name__)

@bp.route("/orders/<int:order_id>")
@login_required
def show(order_id):
    order = Order.query.get_or_404(order_id)
    if order.user_id != current_user.id:
        abort(403)
    return order.to_dict()

@bp.route("/orders/<int:order_id>/pdf")
{decorator}
def pdf(order_id):
    return Order.query.get_or_404(order_id).pdf()
"""


def test_idor_confidence_follows_what_the_route_knows_of_its_user(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    logged_in = _scan(tmp_path, monkeypatch, FLASK_ORDERS.format(decorator="@login_required"))
    assert [(f.rule, f.confidence) for f in logged_in] == [("AUTHZ001", Confidence.MEDIUM)]
    anonymous = _scan(tmp_path, monkeypatch, FLASK_ORDERS.format(decorator=""))
    assert [(f.rule, f.confidence) for f in anonymous] == [("AUTHZ001", Confidence.LOW)]


def test_idor_needs_the_modules_convention(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    code = FLASK_ORDERS.format(decorator="@login_required").replace(
        "    if order.user_id != current_user.id:\n        abort(403)\n", "")
    assert _scan(tmp_path, monkeypatch, code) == []


def test_idor_read_of_a_model_checked_only_on_writes_is_quiet(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code = """
    from flask import Blueprint, abort
    from flask_login import current_user, login_required
    from .models import Post, db

    bp = Blueprint("blog", __name__)

    @bp.route("/posts/<int:post_id>")
    def show(post_id):
        return Post.query.get_or_404(post_id).to_dict()

    @bp.route("/posts/<int:post_id>/edit", methods=["POST"])
    @login_required
    def edit(post_id):
        post = Post.query.get_or_404(post_id)
        if post.author_id != current_user.id:
            abort(403)
        post.body = "x"
        db.session.commit()

    @bp.route("/posts/<int:post_id>/delete", methods=["POST"])
    @login_required
    def delete(post_id):
        post = Post.query.get_or_404(post_id)
        db.session.delete(post)
        db.session.commit()
    """
    found = _scan(tmp_path, monkeypatch, code)
    assert [(f.rule, f.location.line) for f in found] == [("AUTHZ001", 24)]  # the delete


def test_missing_auth_is_quiet_in_a_mixed_module(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    routes = "\n".join(
        f"""
@bp.route("/items/{i}/{verb}", methods=["POST"])
{"@login_required" if protected else ""}
def {verb}_item_{i}():
    Item.query.filter_by(id={i}).delete()
    db.session.commit()
""" for i, (verb, protected) in enumerate(
            [("archive", True), ("pin", True), ("move", False), ("copy", False),
             ("tag", False)]))
    code = ("from flask import Blueprint\nfrom flask_login import login_required\n"
            "from .models import Item, db\nbp = Blueprint('items', __name__)\n" + routes)
    # Two protected routes and three unprotected ones: public by design, not a slip.
    assert _scan(tmp_path, monkeypatch, code) == []


def test_race_confidence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code = """
    from .models import Account, db

    def debit(account, amount):
        if account.balance < amount:
            raise ValueError("insufficient funds")
        account.balance -= amount
        db.session.commit()

    def debit_by_id(account_id, amount):
        account = db.session.get(Account, account_id)
        if account.balance < amount:
            raise ValueError("insufficient funds")
        account.balance -= amount
        db.session.commit()

    def debit_sql(conn, account_id, amount):
        balance = conn.execute("SELECT balance FROM accounts WHERE id = ?",
                               (account_id,)).fetchone()[0]
        if balance < amount:
            raise ValueError("insufficient funds")
        conn.execute("UPDATE accounts SET balance = balance - ? WHERE id = ?",
                     (amount, account_id))
    """
    found = _scan(tmp_path, monkeypatch, code)
    assert [(f.location.line, f.confidence) for f in found] == [
        (7, Confidence.LOW),      # a parameter: the caller may hold the lock
        (14, Confidence.MEDIUM),  # loaded here without a lock
        (22, Confidence.LOW),     # atomic decrement after a stale check
    ]


def test_race_quiet_with_a_lock_or_without_a_write(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    code = """
    import threading
    from .models import Account, db

    LOCK = threading.Lock()

    def debit(account_id, amount):
        with LOCK:
            account = db.session.get(Account, account_id)
            if account.balance < amount:
                raise ValueError("insufficient funds")
            account.balance -= amount
            db.session.commit()

    def can_afford(account_id, amount):
        account = db.session.get(Account, account_id)
        return account.balance >= amount

    def reset(account_id):
        account = db.session.get(Account, account_id)
        if account.balance < 0:
            account.balance = 0
        db.session.commit()
    """
    assert _scan(tmp_path, monkeypatch, code) == []


ODD = [
    "@app.route()\ndef f(): pass\n",
    "@app.route(*paths)\ndef f(order_id): return Order.query.get(order_id)\n",
    "from fastapi import Depends\n@r.get('/x')\ndef f(u=Depends()): db.execute()\n",
    "@bp.route('/x')\n@login_required\ndef f(id): cur.execute(123, (id,))\n",
    "class V(*bases):\n    model = None\n"
    "    def get(self, request, pk): return X.objects.get(pk=pk)\n",
    "class V(DetailView):\n    queryset = 3\n",
    "@handlers[0]\ndef f(): pass\n",
    "def f(a):\n    if (b := a.balance) > 1:\n        a.balance = b - 1\n        a.save()\n",
    "def f(x):\n    match x.balance:\n        case 1: x.balance -= 1\n",
    "async def f(s):\n    a = await (await s.get(A, 1))\n"
    "    if a.stock < 1: a.stock -= 1\n    await s.commit()\n",
    "def f(c):\n    c.execute('UPDATE t SET balance = ', ())\n    c.execute(f'SELECT {x}')\n",
    "x = lambda order_id: Order.query.get(order_id)\n",
    "def f(r):\n    r.objects.filter().update(**{'balance': 1})\n",
    "@app.get('/' * 3)\nasync def f(*args, **kw): ...\n",
    "def f():\n    a.b[1:2].c().balance -= 1\n    a.b[1:2].c().balance < 2\n    s.commit()\n",
    "def view(request, pk):\n    return Order.objects.get(pk=pk)\n",
]


@pytest.mark.parametrize("code", ODD)
def test_odd_input_never_raises(code: str, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    _scan(tmp_path, monkeypatch, "from django.db import models\n" + code, "app/views.py")


def test_long_chains_stay_fast(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    chain = "request" + ".user" * 2000
    code = (
        "from flask import Blueprint\nfrom flask_login import login_required\n"
        "bp = Blueprint('b', __name__)\n"
        "@bp.route('/a/<int:order_id>')\n@login_required\ndef a(order_id):\n"
        f"    if {chain}.balance > 3:\n        {chain}.balance -= 1\n"
        "        db.session.commit()\n"
        f"    return {'x().' * 2000}y\n"
    )
    _scan(tmp_path, monkeypatch, code)
