"""Smoke AI set: the same lookup with a parameterised query (not vulnerable)."""

import sqlite3

from flask import Flask, request

app = Flask(__name__)


@app.route("/user")
def lookup_user():
    username = request.args.get("username")
    db = sqlite3.connect("app.db")
    rows = db.execute("SELECT id, email FROM users WHERE username = ?", (username,)).fetchall()
    return {"users": rows}
