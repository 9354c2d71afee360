"""Fixes: edits in code points, line endings and encodings kept, verification by re-scan."""

from __future__ import annotations

from pathlib import Path

import pytest

from distrust.cli import main
from distrust.fixes import FixConflict, apply_edits, propose, verify
from distrust.model import Confidence, Edit, Finding, Fix, Location, Severity

TLS = "import requests\r\n\r\n\r\ndef get(url):\r\n    return requests.get(url, verify=False)\r\n"


def test_edits_count_code_points_and_keep_line_endings() -> None:
    text = "x = 'café'\r\ny = 1\r\n"
    out = apply_edits(text, (Edit("a.py", 1, 6, 1, 10, "tea"), Edit("a.py", 2, 5, 2, 6, "2")))
    assert out == "x = 'tea'\r\ny = 2\r\n"
    inserted = apply_edits(text, (Edit("a.py", 1, 1, 1, 1, "import hmac\n"),))
    assert inserted == "import hmac\r\nx = 'café'\r\ny = 1\r\n"


@pytest.mark.parametrize("edits", [
    (Edit("a.py", 1, 1, 1, 3, "a"), Edit("a.py", 1, 2, 1, 4, "b")),
    (Edit("a.py", 9, 1, 9, 1, "x"),),
    (Edit("a.py", 1, 50, 1, 50, "x"),),
])
def test_bad_edits_are_refused(edits: tuple[Edit, ...]) -> None:
    with pytest.raises(FixConflict):
        apply_edits("abcdef\n", edits)


def finding(path: str, edits: tuple[Edit, ...], rule: str = "TST001") -> Finding:
    loc = Location(path, 1, 1, 1, 2)
    return Finding(rule, "test", "m", Severity.HIGH, Confidence.HIGH, loc, "", "fp",
                   fix=Fix("d", edits))


def test_unparsable_results_and_collisions_are_rejected() -> None:
    text = "x = 1\ny = 2\n"
    good = finding("a.py", (Edit("a.py", 1, 5, 1, 6, "3"),))
    clash = finding("a.py", (Edit("a.py", 1, 1, 1, 6, "z = 0"),))
    broken = finding("a.py", (Edit("a.py", 2, 1, 2, 2, "("),))
    fixes, rejected = propose([good, clash, broken], {"a.py": text})
    assert fixes["a.py"].fixed == "x = 3\ny = 2\n"
    assert sorted(r.reason for r in rejected) == ["edits overlap",
                                                  "the fixed file would not parse"]


def test_a_fix_that_leaves_the_finding_is_not_kept() -> None:
    f = finding("a.py", (Edit("a.py", 1, 5, 1, 6, "3"),))
    fixes, _ = propose([f], {"a.py": "x = 1\n"})
    kept, rejected = verify(fixes, [f], lambda overlay: [f])
    assert kept == {}
    assert rejected[0].reason == "the finding is still reported after the fix"
    kept, rejected = verify(fixes, [f], lambda overlay: [])
    assert list(kept) == ["a.py"] and not rejected


def test_diff_then_fix_from_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "client.py").write_bytes(TLS.encode())
    monkeypatch.chdir(tmp_path)
    assert main(["scan", "--diff"]) == 1
    out, _ = capsys.readouterr()
    assert "-    return requests.get(url, verify=False)" in out
    assert "+    return requests.get(url, verify=True)" in out
    assert (tmp_path / "client.py").read_bytes() == TLS.encode()  # --diff changes nothing
    assert main(["scan", "--fix"]) == 0
    _, err = capsys.readouterr()
    assert "fixed 1 finding(s) in 1 file(s)" in err
    assert (tmp_path / "client.py").read_bytes() == TLS.replace("False", "True").encode()
    assert main(["scan"]) == 0
