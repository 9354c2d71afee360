"""Smoke case 8 (deserialization, not real): request text is parsed as JSON."""

import json

from flask import request


def init(app):
    @app.route("/smoke/deserialization-00/BenchmarkTest00008", methods=["POST"])
    def BenchmarkTest00008_post():
        state = json.loads(request.form.get("state", "{}"))
        return str(state)
