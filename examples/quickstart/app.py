"""A small notes service, written the way an assistant often writes it."""

import sqlite3
import subprocess

from flask import Flask, jsonify, request

from storage import find_notes

app = Flask(__name__)


@app.route("/notes")
def list_notes():
    author = request.args.get("author", "")
    return jsonify(find_notes(author))


@app.route("/notes/<int:note_id>")
def show_note(note_id):
    db = sqlite3.connect("notes.db")
    row = db.execute("SELECT body FROM notes WHERE id = %d" % note_id).fetchone()
    return jsonify(body=row[0] if row else None)


@app.route("/export")
def export():
    fmt = request.args.get("format", "csv")
    out = subprocess.run(f"notes-export --format {fmt}", shell=True, capture_output=True)
    return out.stdout
