"""Smoke case 5 (hash, real): a password is hashed with MD5."""

import hashlib

from flask import request


def init(app):
    @app.route("/smoke/hash-00/BenchmarkTest00005", methods=["POST"])
    def BenchmarkTest00005_post():
        password = request.form.get("password", "")
        digest = hashlib.md5(password.encode("utf-8")).hexdigest()
        with open("passwords.txt", "a", encoding="utf-8") as handle:
            handle.write(digest + "\n")
        return "stored"
