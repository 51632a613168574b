"""Each lesson executed once per test run, in fast mode, shared by the tests that read its outputs.

tests/test_slides_fit.py (every deck), tests/test_answers_hidden.py (every lesson with a quiz)
and tests/test_browser.py (lesson 01's site and slides) all need a lesson executed the way
``make slides FAST=1`` executes it. Each used to run it again; now the first test that needs a
lesson runs it (``tools/build_site.execute``, with the answer-key probe) and the others read the
stored copy. The copies live in one folder per test run that every pytest-xdist worker sees
(the parent of the workers' base temporary folders), a file lock per lesson keeps two workers
from running the same lesson at once, and a lesson's copy is reused only while its cells are
unchanged. nbval's own execution of notebooks/ (the check that every cell runs) is separate.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

from filelock import FileLock

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

#: printed by the probe cell, before the JSON list of answer keys
MARK = "NST_ANSWER_KEYS "
#: run after a lesson's last cell: every exercise widget's answer key (nst_course.widgets)
PROBE = ("import json\nfrom nst_course.widgets import answer_keys\n"
         f"print({MARK!r} + json.dumps(answer_keys()))")


def shared_folder(tmp_path_factory) -> Path:
    """The folder of this test run's executed lessons, the same for every xdist worker."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    folder = base / "executed-lessons"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def executed(path: Path, folder: Path):
    """The notebook ``path`` executed in fast mode (a copy of it runs in its own folder, so what
    the lesson saves lands there), run by whichever test asked first. Its metadata
    ``nst_probe["printed"]`` holds the probe's output; ``answer_keys`` reads it."""
    import build_site

    with FileLock(str(folder / f"{path.name}.lock")):
        work = folder / "work" / path.stem
        work.mkdir(parents=True, exist_ok=True)
        copy = work / path.name
        if not copy.exists() or copy.read_bytes() != path.read_bytes():
            shutil.copy2(path, copy)
        return build_site.execute(copy, folder, fast=True, probe=PROBE)


def answer_keys(nb) -> list:
    """The answer keys the probe printed for an executed lesson."""
    printed = nb.metadata["nst_probe"]["printed"]
    return json.loads(printed.split(MARK, 1)[1])
