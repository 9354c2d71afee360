"""Smoke AI set: an assistant's ping endpoint that runs a shell (vulnerable, CWE-78)."""

import os

from flask import Flask, request

app = Flask(__name__)


@app.route("/ping")
def ping():
    host = request.args.get("host", "127.0.0.1")
    return str(os.system("ping -c 1 " + host))
