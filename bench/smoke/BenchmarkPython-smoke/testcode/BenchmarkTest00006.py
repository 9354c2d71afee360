"""Smoke case 6 (hash, not real): a password is hashed with SHA-256."""

import hashlib

from flask import request


def init(app):
    @app.route("/smoke/hash-00/BenchmarkTest00006", methods=["POST"])
    def BenchmarkTest00006_post():
        password = request.form.get("password", "")
        digest = hashlib.sha256(password.encode("utf-8")).hexdigest()
        with open("passwords.txt", "a", encoding="utf-8") as handle:
            handle.write(digest + "\n")
        return "stored"
