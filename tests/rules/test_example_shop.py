"""The example shop: the scan reports the authorization and race flaws a reviewer would report
in `examples/shop`, and nothing in its fixed twin `examples/shop-safe`."""

from __future__ import annotations

from pathlib import Path

import pytest

from distrust.config import Config
from distrust.rules import ALL_RULES
from distrust.scan import scan, select_rules

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CODES = ["AUTHZ", "RACE"]

# (file, rule, function the finding is in, text of the flagged line)
EXPECTED = {
    ("shop/orders.py", "AUTHZ001", "order = Order.query.get_or_404(order_id)", "order_invoice"),
    ("shop/orders.py", "AUTHZ001", "order = db.session.get(Order, order_id)", "cancel_order"),
    ("shop/orders.py", "RACE001", "wallet.balance -= total", "checkout"),
    ("shop/orders.py", "RACE001", "product.stock -= quantity", "checkout"),
    ("shop/orders.py", "AUTHZ002", "def restock(product_id):", "restock"),
}


def _enclosing_function(path: Path, line: int) -> str:
    name = ""
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if number > line:
            break
        if text.startswith("def "):
            name = text[4:].split("(")[0]
    return name


def _findings(folder: str, monkeypatch: pytest.MonkeyPatch) -> set[tuple[str, str, str, str]]:
    root = EXAMPLES / folder
    monkeypatch.chdir(root)
    outcome = scan([Path(".")], Config(), rules=select_rules(ALL_RULES, CODES, []))
    assert not outcome.failures
    return {(f.location.path, f.rule, f.snippet.strip(),
             _enclosing_function(root / f.location.path, f.location.line))
            for f in outcome.result.findings if f.rule.startswith(tuple(CODES))}


def test_vulnerable_shop_reports_what_a_reviewer_would(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _findings("shop", monkeypatch) == EXPECTED


def test_fixed_shop_is_quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _findings("shop-safe", monkeypatch) == set()
