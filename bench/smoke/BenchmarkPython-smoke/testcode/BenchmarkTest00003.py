"""Smoke case 3 (cmdi, real): a form value reaches a shell command."""

import subprocess

from flask import request


def init(app):
    @app.route("/smoke/cmdi-00/BenchmarkTest00003", methods=["POST"])
    def BenchmarkTest00003_post():
        host = request.form.get("host", "localhost")
        result = subprocess.run("ping -c 1 " + host, shell=True, capture_output=True)
        return result.stdout
