import hashlib

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required, login_user, logout_user

from .models import User, Wallet, db

auth = Blueprint("auth", __name__)


@auth.route("/register", methods=["GET", "POST"])
def register():
    if request.method == "POST":
        email = request.form["email"].strip().lower()
        password = request.form["password"]
        user = User(email=email, password_hash=hashlib.sha256(password.encode()).hexdigest())
        db.session.add(user)
        db.session.add(Wallet(user=user, balance=0))
        db.session.commit()
        login_user(user)
        return redirect(url_for("account.profile"))
    return render_template("register.html")


@auth.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "POST":
        user = User.query.filter_by(email=request.form["email"].strip().lower()).first()
        password_hash = hashlib.sha256(request.form["password"].encode()).hexdigest()
        if user and user.password_hash == password_hash:
            login_user(user)
            return redirect(url_for("account.profile"))
        flash("Invalid email or password")
    return render_template("login.html")


@auth.route("/logout")
@login_required
def logout():
    logout_user()
    return redirect(url_for("auth.login"))
