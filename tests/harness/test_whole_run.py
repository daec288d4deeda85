"""Whole-run verification: what happens after the compared window counts."""

from __future__ import annotations

import pytest

from tests.harness.helpers import flat, report, tiny, verify

pytest.importorskip("torch")


def _pair(tmp_path, old: str, new: str):
    d = tmp_path / "proj"
    d.mkdir()
    (d / "old.py").write_text(old)
    (d / "new.py").write_text(new)
    return d / "old.py", d / "new.py"


def test_a_late_crash_fails_with_side_file_line_and_idiom(tmp_path):
    # matches for the 3 compared steps, then the new side indexes a 0-dim tensor at its
    # first log line (step 6) -- the language-model case of issue 11
    crash = "    if step == 5:\n        print('total', loss.detach()[0])"
    old, new = _pair(tmp_path, tiny(8), tiny(8, crash))
    r = tmp_path / "r.json"
    out = verify(old, new, "--report", r)
    assert out.returncode == 1, out.stdout
    text = flat(out)
    assert "crash: the new script failed (new, under plain torch) after step 6" in text
    assert f"{new}:14" in text
    assert "invalid index of a 0-dim tensor" in text
    assert "TM003" in text  # the idiom the crash points to
    data = report(r)
    assert data["verdict"] == "crash" and data["new"]["crash_at"] == f"{new}:14"
    assert data["compared"]["steps"] == 3


def test_fewer_steps_than_requested_warns_and_strict_fails(tmp_path):
    old, new = _pair(tmp_path, tiny(8), tiny(8))
    out = verify(old, new, "--steps", "10")
    assert out.returncode == 0, out.stdout
    assert "only 8 of the 10 requested step(s) happened" in flat(out)
    out = verify(old, new, "--steps", "10", "--strict")
    assert out.returncode == 1
    assert "short:" in flat(out)


def test_a_divergence_after_the_window_is_caught(tmp_path):
    # the new script changes the learning rate after step 5: losses differ from step 7
    change = "    if step == 4:\n        opt.param_groups[0]['lr'] = 0.05"
    old, new = _pair(tmp_path, tiny(8), tiny(8, change))
    out = verify(old, new)
    assert out.returncode == 1
    assert "diverged after the compared window: step 7 loss differs" in flat(out)


def test_max_steps_stops_both_sides_at_the_same_step(tmp_path):
    old, new = _pair(tmp_path, tiny(50), tiny(50))
    r = tmp_path / "r.json"
    out = verify(old, new, "--max-steps", "5", "--report", r)
    assert out.returncode == 0, out.stdout
    data = report(r)
    assert data["old"]["steps"] == data["new"]["steps"] == 5
    assert data["old"]["stop_reason"] == "max-steps"


def test_printed_numbers_are_compared(tmp_path):
    # identical training, but the new script prints a wrong "accuracy" at the end
    old = tiny(4) + "print('accuracy', 0.75)\n"
    new = tiny(4) + "print('accuracy', 0.0)\n"
    o, n = _pair(tmp_path, old, new)
    out = verify(o, n)
    assert out.returncode == 1
    assert "printed output differs at line 5" in flat(out)
    out = verify(o, n, "--compare-output", "warn")
    assert out.returncode == 0
    assert "warning: printed output differs" in flat(out)


def test_report_says_what_was_compared(tmp_path):
    old, new = _pair(tmp_path, tiny(5), tiny(5))
    r = tmp_path / "r.json"
    out = verify(old, new, "--report", r)
    assert out.returncode == 0, out.stdout
    data = report(r)
    c = data["compared"]
    assert c["steps"] == 3 and c["tensors"] == 12 and c["elements"] == 3 * 2 * (8 + 2)
    assert set(c["max_abs"]) == {"loss", "grad", "param"}
    assert data["run"]["old_steps"] == 5 and data["run"]["compared"] == 2
    assert data["peak_rss_mb"]["parent"] > 0
    assert "compared 3 step(s) in full: 12 tensors, 60 elements" in flat(out)
