"""tools/time_lessons.py (`make time-lessons`) on tiny fake notebooks, not the real lessons."""

import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

from nst_course import bench  # noqa: E402

import time_lessons as T  # noqa: E402


def _notebook(path: Path, title: str, code: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(title), nbformat.v4.new_code_cell(code)]
    nbformat.write(nb, str(path))
    return path


@pytest.fixture
def lessons(tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    code = ("import os, pathlib, time\n"
            "time.sleep(0.3)\n"
            "pathlib.Path('made_by_the_lesson.txt').write_text(os.environ['NST_COURSE_MODE'])\n"
            "assert os.environ['NST_COURSE_MODE'] == 'demo' and 'NST_COURSE_FAST' not in os.environ")
    good = _notebook(folder / "01_fake.ipynb", "# 01 — Fake lesson: a pause\n\nWaits.", code)
    bad = _notebook(folder / "02_broken.ipynb", "# 02 — Broken lesson\n\nFails.", "1 / 0")
    return good, bad


def test_time_lessons_prints_a_table_and_writes_the_readme(lessons, tmp_path, capsys, monkeypatch):
    good, bad = lessons
    monkeypatch.chdir(tmp_path)
    readme = tmp_path / "README.md"
    readme.write_text("# R\n<!-- lessons:begin -->\nold\n<!-- lessons:end -->\nend\n")
    rc = T.main([str(good), str(bad), "--mode", "demo", "--step-seconds", "0.05",
                 "--update-readme", str(readme)])
    assert rc == 1  # a failing lesson is reported, the others timed
    out = capsys.readouterr().out
    assert "| 01 Fake lesson | demo |" in out and "ZeroDivisionError" in out
    table = bench.between_markers(readme.read_text(), "lessons")
    assert "Measured " in table and bench.processor() in table and "old" not in table
    rows = [line for line in table.splitlines() if line.startswith("| 0")]
    assert len(rows) == 2
    seconds = float(rows[0].split("|")[3])
    assert 0.3 <= seconds < 120
    doctors = T.estimates(0.05, mode="demo")["01"]  # doctor's estimate of demo mode
    assert rows[0].split("|")[4].strip() == f"{doctors * 60:.0f} s"
    assert not list(tmp_path.rglob("made_by_the_lesson.txt"))  # ran in a temporary folder, removed


def test_run_lesson_gives_the_kernel_the_mode(lessons, monkeypatch):
    good, _ = lessons
    monkeypatch.setenv("NST_COURSE_FAST", "1")
    seconds, error = T.run_lesson(good, "demo")
    assert error is None and seconds >= 0.3  # the cell asserts the kernel's environment
    import os

    assert os.environ["NST_COURSE_FAST"] == "1"  # restored afterwards


def test_keep_saves_the_executed_lesson_and_the_caption_names_lesson_07s_budget(lessons, tmp_path):
    good, _ = lessons
    seconds, error = T.run_lesson(good, "demo", keep=tmp_path / "kept")
    import nbformat

    kept = nbformat.read(str(tmp_path / "kept" / good.name), as_version=4)
    assert error is None and kept.cells[1].execution_count == 1
    rows = [{"lesson": "07 Beyond Gatys", "seconds": 120.0, "error": None, "estimate": None},
            {"lesson": "09 Train a fast network", "seconds": 660.0, "error": None, "estimate": None}]
    caption = T.markdown(rows, "full", "make time-lessons").splitlines()[0]
    assert "13.0 min in all; 3.0 min without the 10-minute training budget of lesson 09" in caption
    assert "without" not in T.markdown(rows, "demo", "make time-lessons").splitlines()[0]


def test_compare_allocator_turns_kept_memory_off_in_one_kernel_and_reads_its_peak(tmp_path, capsys):
    code = ("import os\n"
            "print(os.environ.get('MALLOC_MMAP_MAX_'), os.environ.get('NST_COURSE_KEEP_MEMORY'))\n"
            "assert os.environ.get('MALLOC_MMAP_MAX_') in (None, '0')")
    lesson = _notebook(tmp_path / "03_env.ipynb", "# 03 — Env lesson\n\nPrints.", code)
    seen = {}
    for label, env in [("whole kernel", T.KEPT_MEMORY), *T.ARMS.items()]:
        seconds, error, peak = T.execute(lesson, "demo", env=env, keep=tmp_path / label)
        kept = nbformat.read(str(tmp_path / label / lesson.name), as_version=4)
        assert error is None and len(kept.cells) == 2  # the peak cell is not left in the lesson
        seen[label] = kept.cells[1].outputs[0]["text"].split()
        assert peak is None or 0.01 < peak < 10  # GB, read on Linux
    assert seen["whole kernel"] == ["0", "None"]  # that setting, for a comparison by hand
    assert seen["as-is"] == ["None", "0"] and seen["kept"] == ["None", "None"]  # kept: the default
    assert T.main([str(lesson), "--mode", "demo", "--compare-allocator", "2"]) == 0
    out = capsys.readouterr().out
    assert out.count("03_env.ipynb (kept)") == 2 and out.count("03_env.ipynb (as-is)") == 2
    assert "| 03 Env lesson | demo |" in out
    rows = [{"lesson": "06 Big", "as-is": [(120.0, None, 1.5), (118.0, None, 1.6)],
             "kept": [(105.0, None, 1.6), (101.0, None, None)]}]
    line = T.allocator_markdown(rows, "full", "cmd").splitlines()[-1]
    assert line == "| 06 Big | full | 119 | 103 | 0.87 | 1.55 GB | 1.60 GB |"  # medians of the rounds
