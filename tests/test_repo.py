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


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_nbstripout_has_nothing_to_strip(path):
    p = subprocess.run([sys.executable, "-m", "nbstripout", "--verify", str(path)],
                       capture_output=True, text=True)
    assert p.returncode == 0, f"{path.name} would be changed by nbstripout: {p.stdout}{p.stderr}"


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
