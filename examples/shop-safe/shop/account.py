from decimal import Decimal

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import update

from .models import Order, Wallet, db

account = Blueprint("account", __name__, url_prefix="/account")


@account.route("/")
@login_required
def profile():
    orders = current_user.orders.order_by(Order.id.desc()).limit(10).all()
    return render_template("profile.html", user=current_user, orders=orders)


@account.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    if request.method == "POST":
        current_user.email = request.form["email"].strip().lower()
        db.session.commit()
        flash("Settings saved")
    return render_template("settings.html", user=current_user)


@account.route("/wallet/top-up", methods=["POST"])
@login_required
def top_up():
    amount = Decimal(request.form["amount"])
    if amount <= 0 or amount > 500:
        abort(400)
    # A payment provider would be charged here.
    db.session.execute(
        update(Wallet)
        .where(Wallet.user_id == current_user.id)
        .values(balance=Wallet.balance + amount)
    )
    db.session.commit()
    return redirect(url_for("account.profile"))
