"""Smoke case 2 (sqli, not real): the parameter is overwritten by a constant before the query."""

import sqlite3

from flask import request


def init(app):
    @app.route("/smoke/sqli-00/BenchmarkTest00002", methods=["GET"])
    def BenchmarkTest00002_get():
        name = request.args.get("name", "")
        name = "guest"
        connection = sqlite3.connect("smoke.db")
        cursor = connection.cursor()
        cursor.execute(f"SELECT * FROM users WHERE name = '{name}'")
        return str(cursor.fetchall())
