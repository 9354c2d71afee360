"""Smoke case 7 (deserialization, real): request bytes are unpickled."""

import base64
import pickle

from flask import request


def init(app):
    @app.route("/smoke/deserialization-00/BenchmarkTest00007", methods=["POST"])
    def BenchmarkTest00007_post():
        blob = base64.b64decode(request.form.get("state", ""))
        state = pickle.loads(blob)
        return str(state)
