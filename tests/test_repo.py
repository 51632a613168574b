"""Repository hygiene: notebooks clean in git, the README's promises."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_there_are_lessons():
    assert NOTEBOOKS, "no notebooks found"
    assert (ROOT / "notebooks" / "00_start_here.ipynb").exists()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_without_outputs(path):
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [], f"{path.name}: a cell has outputs (run nbstripout)"
            assert cell.get("execution_count") is None, f"{path.name}: execution counts"
    assert nb["metadata"].get("kernelspec", {}).get("name") == "python3"
    assert "widgets" not in nb["metadata"], f"{path.name}: widget state stored"


def test_nbstripout_has_nothing_to_strip():
    """One nbstripout run for every notebook (it takes ~3 s to start); it names each it would change."""
    p = subprocess.run([sys.executable, "-m", "nbstripout", "--verify", *map(str, NOTEBOOKS)],
                       capture_output=True, text=True)
    assert p.returncode == 0, f"nbstripout would change notebooks: {p.stdout}{p.stderr}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_lesson_opens_and_closes_the_same_way(path):
    nb = json.loads(path.read_text())
    text = ["".join(c["source"]) for c in nb["cells"]]
    assert text[0].startswith("# "), f"{path.name}: first cell is not a title"
    assert any("describe_setup()" in t for t in text), f"{path.name}: no setup cell"
    assert any(re.search(r"^#+ .*Exercises", t, re.M) for t in text), f"{path.name}: no Exercises"


def test_readme_shows_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    assert "make lab" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def _lesson_00():
    nb = json.loads((ROOT / "notebooks" / "00_start_here.ipynb").read_text())
    code = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    prose = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"]
    return "\n".join(code), "\n".join(prose)


def test_lesson_00_estimates_come_from_one_measured_step():
    """Every run-time estimate of lesson 00 reuses one step timed at ~128 px (so no two disagree)."""
    code, prose = _lesson_00()
    assert len(re.findall(r"\b(time_step|measured_step)\(", code)) == 1, "time one step, once"
    # the step doctor and every lesson's setup cell measure (budget.TIMED_SIZE, about 128 px)
    assert re.search(r"^MEASURED\s*=\s*TIMED_SIZE\b", code, re.M)
    assert re.search(r"^sec\s*=\s*measured_step\(\)", code, re.M)
    calls = re.findall(r"\b(estimate_seconds|lesson_minutes)\(([^\n]*)", code)
    assert len(calls) >= 2
    for name, args in calls:
        assert "sec, MEASURED" in args, f"{name}({args}: not from the one measured step"
    assert re.search(r"report\([^)]*seconds_per_step=sec", code), "the report reuses the step"
    # numbers of minutes in the prose are study and lecture times, never a run time
    for m in re.finditer(r"[^.\n]*\b\d+(?:\.\d+)?\s*min\b", prose):
        assert re.search(r"Study|Lecture", m.group(0)), f"a run time typed into the prose: {m.group(0)!r}"


def test_readme_offers_demo_mode_and_keeps_fast_mode_for_tests():
    readme = (ROOT / "README.md").read_text()
    assert "NST_COURSE_MODE=demo" in readme
    fast = readme[readme.index("NST_COURSE_FAST=1` (tiny"):][:200]
    assert "tests only" in fast


def test_make_lab_opens_lesson_00_and_lab_student_serves_the_student_copies():
    # make lab: the working copies in course/ (nst-course lab copies what is missing, keeps the
    # learner's files, opens 00: tests/test_cli_flags.py), never the tracked notebooks/
    lab = subprocess.run(["make", "-n", "--no-print-directory", "lab"], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    assert lab.returncode == 0, lab.stderr
    assert "nst-course lab course" in lab.stdout and "notebooks/" not in lab.stdout.split("nst-course lab")[1]
    assert "course/" in (ROOT / ".gitignore").read_text().splitlines()
    dry = subprocess.run(["make", "-n", "--no-print-directory", "lab-student"], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    assert dry.returncode == 0, dry.stderr
    assert "--ServerApp.root_dir=student" in dry.stdout and "/lab/tree/00_start_here.ipynb" in dry.stdout


def _executed(path: Path) -> None:
    """Give the first code cell of a lesson an output, as a run in JupyterLab autosaves it."""
    nb = json.loads(path.read_text())
    cell = next(c for c in nb["cells"] if c["cell_type"] == "code")
    cell["execution_count"] = 1
    cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["mode: full\n"]}]
    path.write_text(json.dumps(nb, indent=1) + "\n")


def test_make_wheel_refuses_lessons_stored_with_outputs(tmp_path):
    """A lesson run in notebooks/ would ship its outputs in the wheel: make wheel says so and stops
    (before building anything); stripped, the same check lets it through."""
    for name in ("Makefile", "pyproject.toml", "README.md"):
        (tmp_path / name).write_bytes((ROOT / name).read_bytes())
    (tmp_path / "notebooks").mkdir()
    for path in NOTEBOOKS:
        (tmp_path / "notebooks" / path.name).write_bytes(path.read_bytes())
    _executed(tmp_path / "notebooks" / NOTEBOOKS[3].name)
    bin_dir = Path(sys.executable).parent
    # STAMP=Makefile: the venv counts as installed (this one); BIN: its scripts
    cmd = ["make", "--no-print-directory", "wheel", f"BIN={bin_dir}", "STAMP=Makefile"]
    p = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert p.returncode != 0
    assert f"holds outputs: notebooks/{NOTEBOOKS[3].name}" in p.stdout
    assert "make wheel: refused" in p.stdout and "nbstripout notebooks/*.ipynb" in p.stdout
    assert not (tmp_path / "dist").exists()
    lessons = [str(p) for p in (tmp_path / "notebooks").glob("*.ipynb")]
    strip = subprocess.run([sys.executable, "-m", "nbstripout", *lessons], capture_output=True, text=True,
                           timeout=60)
    assert strip.returncode == 0, strip.stderr
    dry = subprocess.run([*cmd, "-n"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert dry.returncode == 0 and "pip wheel" in dry.stdout
    check = subprocess.run([sys.executable, "-m", "nbstripout", "--verify", *lessons], capture_output=True)
    assert check.returncode == 0  # the check make wheel runs first now passes


def test_readme_names_the_student_and_the_lecturer_paths_near_the_top():
    readme = (ROOT / "README.md").read_text()
    top = readme[: readme.index("## Install anywhere")]  # before the wheel, the lessons, the package
    for words in ("make lab-student", "nst-course lessons DIR --student", "make slides", "make html",
                  "NST_COURSE_MODE=demo", "course/"):
        assert words in top, f"the README's first section does not name {words!r}"
    make = (ROOT / "Makefile").read_text()
    for target in ("lab-student:", "slides:", "html:"):
        assert f"\n{target}" in make
