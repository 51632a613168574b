"""Issue 26: files the course writes get the mode the umask gives a normal write (black-box)."""

import os
import subprocess
import sys
from pathlib import Path

import torch

from nst_course import save_image
from nst_course.lessons import copy_lessons

ROOT = Path(__file__).resolve().parents[1]


def _with_umask(mask, fn):
    old = os.umask(mask)
    try:
        return fn()
    finally:
        os.umask(old)


def test_save_image_mode_follows_umask(tmp_path):
    p = _with_umask(0o022, lambda: save_image(torch.rand(1, 3, 32, 32), tmp_path / "a.png"))
    assert p.stat().st_mode & 0o777 == 0o644


def test_lesson_copies_mode_follows_umask(tmp_path):
    paths = _with_umask(0o022, lambda: copy_lessons(tmp_path / "L", student=True))
    assert paths and all(p.stat().st_mode & 0o777 == 0o644 for p in paths)


def test_cli_lessons_mode_follows_umask(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-m", "nst_course", "lessons", str(tmp_path / "L")],
                       capture_output=True, text=True, env=env, preexec_fn=lambda: os.umask(0o022))
    assert r.returncode == 0 and "Traceback" not in r.stderr
    assert all(p.stat().st_mode & 0o777 == 0o644 for p in (tmp_path / "L").glob("*.ipynb"))
