"""Issue 26, round 3: one time estimate everywhere.

Each lesson's setup cell timed a step at 64 px while lesson 00 and ``nst-course doctor`` timed
at 128 px: one lesson got two different numbers of minutes (05: 16.7 vs 11.0, lesson 10's setup
14.4 min for a 5.8 min run). Now one measurement (``budget.measured_step``), one estimate
(``budget.lesson_minutes``), and demo mode prices demo mode's work.
"""

import json
import re
from pathlib import Path

import pytest

from nst_course import budget
from nst_course.doctor import report

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _setup_cell(path):
    nb = json.loads(path.read_text())
    code = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    return next(c for c in code if "describe_setup()" in c), "\n".join(code)


def _doctor_minutes(text):
    line = next(ln for ln in text.splitlines() if ln.startswith("lessons in "))
    mode = line.split()[2]
    return mode, dict(re.findall(r"(\d\d) (~\d+ min|< 1 min)", line))


@pytest.mark.parametrize("mode", ["full", "demo"])
def test_setup_cells_and_doctor_print_one_estimate_in_one_process(monkeypatch, mode):
    """Lessons 02, 05 and 10 as their setup cells print them and as doctor does, in one process."""
    monkeypatch.delenv("NST_COURSE_FAST", raising=False)
    monkeypatch.setenv("NST_COURSE_MODE", mode)
    calls = []
    monkeypatch.setattr(budget, "_MEASURED", {})
    monkeypatch.setattr(budget, "time_step",
                        lambda size, **k: calls.append(size) or 0.037 * (size / 128) ** 2)
    doctor_mode, doctor = _doctor_minutes(report())
    assert doctor_mode == mode
    for lesson in ("02", "05", "10"):
        line = budget.lesson_estimate(lesson)
        assert f"in {mode} mode" in line and "one step at 128 px: 0.037 s" in line, line
        assert line.split("runs: ")[1].split(" in ")[0] == doctor[lesson], (lesson, line, doctor)
    assert calls == [budget.TIMED_SIZE], "one measurement, at one size, for all of them"


def test_demo_mode_estimates_demo_mode():
    full = budget.lesson_minutes(0.05, mode="full")
    demo = budget.lesson_minutes(0.05, mode="demo")
    assert list(full) == list(demo) == list(budget.LESSON_WORK) == list(budget.DEMO_WORK)
    assert all(demo[k] < full[k] for k in full), "demo mode is the quicker one in every lesson"
    assert demo["09 Train a fast network"] >= budget.DEMO_FIXED_MINUTES["09 Train a fast network"]


def test_lesson_10_counts_its_frames_pixels_not_a_square():
    """The clip's frames are 3:4 (128 x 96): a square of 128 px overcounted their pixels by 1/3."""
    (steps, size), = budget.LESSON_WORK["10 Video"]
    assert size == 128 and steps == pytest.approx(0.75 * (5 * 80 + 2 * (80 + 4 * 25)))


def test_lesson_09_estimate_follows_the_learners_training_budget():
    base = budget.lesson_estimate("09", 0.05, fixed_minutes=10)
    longer = budget.lesson_estimate("09", 0.05, fixed_minutes=30)
    assert int(re.search(r"~(\d+) min", longer)[1]) - int(re.search(r"~(\d+) min", base)[1]) == 20


def test_an_unknown_lesson_is_one_sentence():
    with pytest.raises(ValueError, match="no lesson '42'"):
        budget.lesson_estimate("42", 0.05)


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name[:2])
def test_every_setup_cell_prints_the_shared_estimate(path):
    setup, code = _setup_cell(path)
    number = path.name[:2]
    assert f'lesson_estimate("{number}"' in setup, f"{path.name}: its setup cell prices itself elsewhere"
    assert "time_step(64)" not in code and not re.search(r"\bsec, 64\)", code), path.name
    assert "lesson_minutes(sec, 64)" not in code
