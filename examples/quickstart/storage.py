import sqlite3


def find_notes(author):
    db = sqlite3.connect("notes.db")
    query = f"SELECT id, body FROM notes WHERE author = '{author}'"
    return db.execute(query).fetchall()
