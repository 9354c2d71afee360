"""Smoke AI set: an assistant's user lookup that formats the query (vulnerable, CWE-89)."""

import sqlite3

from flask import Flask, request

app = Flask(__name__)


@app.route("/user")
def lookup_user():
    username = request.args.get("username")
    db = sqlite3.connect("app.db")
    rows = db.execute(f"SELECT id, email FROM users WHERE username = '{username}'").fetchall()
    return {"users": rows}
