"""Hand-built findings full of hostile text, and a tiny rule catalogue, for the renderer tests."""

from __future__ import annotations

from pathlib import Path

from distrust.model import (
    Confidence,
    Edit,
    Finding,
    Fix,
    Location,
    Severity,
    Step,
    fingerprint,
)
from distrust.rules.rule import A02, A03, Rule

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO / ".." / "shared"

ESC_SNIPPET = 'print("\x1b[2J\x1b[31mpwned\x1b[0m")  # \u202eevil\u202c \u2066x\u2069\tend'
BIDI_MESSAGE = "call quotes \u202etxt.exe\u202c"
SPACE_PATH = "dir with space/ünï cødé.py"
NEWLINE_PATH = "odd\nname.py"
SURROGATE_PATH = "bad\udcffname.py"
SKIPPED_HOSTILE = "weird\udcfe\x1b[0m.py"

DOCS = {
    "TST001": (
        "# TST001 sql-injection\n\n## What it does\n\nFinds untrusted data in SQL text.\n\n"
        "## Why is this bad?\n\nAn attacker rewrites the query.\n\n## Example\n\n```python\n"
        'cur.execute(f"SELECT * FROM t WHERE id = {x}")\n```\n\nUse instead:\n\n```python\n'
        'cur.execute("SELECT * FROM t WHERE id = ?", (x,))\n```\n\n## References\n\n'
        "- CWE-89\n"
    ),
    "TST002": (
        "# TST002 command-injection\n\n## What it does\n\nFinds shell commands built from "
        "input.\n\n## Why is this bad?\n\nThe shell runs what the attacker types.\n\n"
        "## Example\n\n```python\nos.system(cmd)\n```\n\nUse instead:\n\n```python\n"
        "subprocess.run([prog, arg])\n```\n\n## References\n\n- CWE-78\n"
    ),
    "TST003": (
        "# TST003 weak-hash\n\n## What it does\n\nFinds MD5 used for secrets.\n\n"
        "## Why is this bad?\n\nIt is broken.\n\n## Example\n\n```python\nhashlib.md5(p)\n```\n\n"
        "Use instead:\n\n```python\nhashlib.sha256(p)\n```\n\n## References\n\n- CWE-327\n"
    ),
}


def loc(path: str, line: int, column: int, end_line: int, end_column: int) -> Location:
    return Location(path, line, column, end_line, end_column)


def make_finding(
    rule: str,
    name: str,
    location: Location,
    snippet: str,
    *,
    message: str = "message",
    severity: Severity = Severity.HIGH,
    confidence: Confidence = Confidence.HIGH,
    steps: tuple[Step, ...] = (),
    cwe: int | None = None,
    suppressed: bool = False,
    justification: str = "",
    fix: Fix | None = None,
    ai_authored: bool | None = None,
) -> Finding:
    return Finding(
        rule=rule,
        name=name,
        message=message,
        severity=severity,
        confidence=confidence,
        location=location,
        snippet=snippet,
        fingerprint=fingerprint(rule, ascii(location.path), ascii(snippet)),
        steps=steps,
        cwe=cwe,
        suppressed=suppressed,
        justification=justification,
        fix=fix,
        ai_authored=ai_authored,
    )


SQL_LINE = "    cur.execute(f\"SELECT * FROM users WHERE name = '{name}'\")"
SQL_SPAN = (12, 5, 12, len(SQL_LINE) + 1)


def taint_finding() -> Finding:
    steps = (
        Step(loc("app/views.py", 7, 12, 7, 28), "source: flask.request.args"),
        Step(loc("app/views.py", 8, 5, 8, 20), "argument `name` of `find_user`"),
        Step(loc("app/db.py", 12, 5, 12, 16), "sink: sqlite3.Cursor.execute"),
    )
    fix = Fix(
        "Pass the value as a query parameter",
        (
            Edit(
                "app/db.py",
                12,
                17,
                12,
                len(SQL_LINE),
                '"SELECT * FROM users WHERE name = ?", (name,)',
            ),
        ),
    )
    return make_finding(
        "TST001",
        "sql-injection",
        loc("app/db.py", *SQL_SPAN),
        SQL_LINE,
        message="Untrusted data from `request.args` reaches the text of a SQL query",
        steps=steps,
        cwe=89,
        fix=fix,
        ai_authored=True,
    )


def hostile_findings() -> list[Finding]:
    start = ESC_SNIPPET.index("print")
    return [
        make_finding(
            "TST002",
            "command-injection",
            loc(SPACE_PATH, 3, start + 1, 3, len(ESC_SNIPPET) + 1),
            ESC_SNIPPET,
            message=BIDI_MESSAGE,
            severity=Severity.CRITICAL,
            confidence=Confidence.MEDIUM,
            steps=(Step(loc(SPACE_PATH, 2, 1, 2, 4), "source: \x1b]0;title\x07 \u202ename"),),
        ),
        make_finding(
            "TST003",
            "weak-hash",
            loc(NEWLINE_PATH, 1, 1, 1, 15),
            "hashlib.md5(p)",
            severity=Severity.LOW,
            confidence=Confidence.LOW,
            suppressed=True,
            justification="legacy [click](1) \u202eok",
        ),
        make_finding(
            "TST003",
            "weak-hash",
            loc(SURROGATE_PATH, 2, 5, 2, 24),
            "x = hashlib.md5(b'\udcff')",
            message="MD5 of bytes \udcff\udcfe",
            severity=Severity.LOW,
            confidence=Confidence.LOW,
        ),
        make_finding(
            "UNKNOWN9",
            "another-engine",
            loc("multi.py", 4, 9, 6, 6),
            "    x = call(\n        arg,\n    )",
            severity=Severity.MEDIUM,
            confidence=Confidence.MEDIUM,
            cwe=20,
        ),
    ]


def catalogue() -> dict[str, Rule]:
    """Three rules; their docs come from `DOCS` once the `rules` fixture patched `rule_doc`."""
    rules = (
        Rule(
            "TST001",
            "sql-injection",
            89,
            A03,
            Severity.HIGH,
            Confidence.HIGH,
            "Untrusted data reaches the text of a SQL query",
            sink_kind="sql",
        ),
        Rule(
            "TST002",
            "command-injection",
            78,
            A03,
            Severity.CRITICAL,
            Confidence.MEDIUM,
            "Untrusted data reaches a shell command",
            sink_kind="shell",
        ),
        Rule(
            "TST003",
            "weak-hash",
            327,
            A02,
            Severity.LOW,
            Confidence.LOW,
            "MD5 protects a secret",
        ),
    )
    return {rule.code: rule for rule in rules}
