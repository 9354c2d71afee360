"""Smoke case 1 (sqli, real): a query parameter is formatted into SQL and executed."""

import sqlite3

from flask import request


def init(app):
    @app.route("/smoke/sqli-00/BenchmarkTest00001", methods=["GET"])
    def BenchmarkTest00001_get():
        name = request.args.get("name", "")
        connection = sqlite3.connect("smoke.db")
        cursor = connection.cursor()
        cursor.execute(f"SELECT * FROM users WHERE name = '{name}'")
        return str(cursor.fetchall())
