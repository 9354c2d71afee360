"""Smoke case 4 (cmdi, not real): the branch that would use the form value is never taken."""

import subprocess

from flask import request


def init(app):
    @app.route("/smoke/cmdi-00/BenchmarkTest00004", methods=["POST"])
    def BenchmarkTest00004_post():
        value = request.form.get("host", "localhost")
        limit = 86
        host = value if limit * 2 < 100 else "localhost"
        result = subprocess.run("ping -c 1 " + host, shell=True, capture_output=True)
        return result.stdout
