"""``nst-course lessons`` and ``nst-course lab``: the course's lessons out of the installed package."""

from __future__ import annotations

import sys
from pathlib import Path

from .common import Help


def add_parser(sub) -> None:
    fmt = Help
    default_dir = "nst-course-lessons"
    L = sub.add_parser("lessons", formatter_class=fmt,
                       help="copy the course's lessons (notebooks) out of the installed package into DIR")
    L.add_argument("dir", nargs="?", default=default_dir, metavar="DIR",
                   help="folder for the lessons (created if missing)")
    L.add_argument("--student", action="store_true",
                   help="student copies: solutions out (stubs in), lecture plans out, outputs cleared")
    L.add_argument("--force", action="store_true",
                   help="replace lessons already in DIR (changes made there are lost)")
    lab = sub.add_parser("lab", formatter_class=fmt,
                         help="copy the lessons into DIR if needed, then open lesson 00 in JupyterLab")
    lab.add_argument("dir", nargs="?", default=default_dir, metavar="DIR", help="folder of the lessons")
    lab.add_argument("--student", action="store_true", help="copy student copies (when copying)")
    lab.add_argument("--no-browser", action="store_true", help="start JupyterLab without opening a browser")
    L.set_defaults(func=run_lessons)
    lab.set_defaults(func=run_lab)


def _copy_course(folder: Path, student: bool, force: bool) -> None:
    from ..lessons import copy_lessons, lesson_files, lessons_dir

    if folder.exists() and not folder.is_dir():
        raise ValueError(f"{folder} is a file; give a folder for the lessons.")
    try:
        written = copy_lessons(folder, student=student, overwrite=force)
    except PermissionError as e:
        raise ValueError(f"cannot write into {e.filename or folder}; choose a folder you can write to.") \
            from None
    except OSError as e:  # a read-only or full disk: say which folder and why, in one sentence
        from ..files import OutputError, why

        if isinstance(e, FileExistsError) or (isinstance(e, OutputError) and e.reason is None):
            raise  # already a sentence about the path (a folder in a lesson's place, ...)
        raise ValueError(f"cannot write the lessons into {folder} ({why(e)}); choose "
                         "another folder or free some space.") from None
    kept = [p.name for p in lesson_files(folder) if folder / p.name not in written]
    kind = "student copies of the lessons" if student else "lessons"
    if written:
        print(f"Copied {len(written)} {kind} into {folder}:")
        for p in written:
            print(f"  {p.name}")
    if kept:
        print(f"Kept {len(kept)} already in {folder} as they are (your changes stay; --force "
              "replaces them): " + ", ".join(kept))
        src = lessons_dir()
        differ = [n for n in kept if not student and (src / n).is_file()
                  and (src / n).read_bytes() != (folder / n).read_bytes()]
        if differ:
            print(f"  {len(differ)} of them differ from this version of the course (your edits and "
                  "outputs, or an older lesson): rename one to get the current lesson there: "
                  + ", ".join(differ))


def run_lessons(args) -> int:
    if not args.dir.strip():  # Path("") is the current folder: not what an empty name meant
        raise ValueError("the lessons' folder name is empty; give a folder, e.g. "
                         "`nst-course lessons nst-lessons`.")
    folder = Path(args.dir).expanduser()
    _copy_course(folder, args.student, args.force)
    print(f"Open them with: nst-course lab {args.dir}")
    return 0


def run_lab(args) -> int:
    import importlib.util

    folder = Path(args.dir).expanduser()
    _copy_course(folder, args.student, force=False)  # the missing ones; yours stay as they are
    if importlib.util.find_spec("jupyterlab") is None:
        raise ValueError("JupyterLab is not installed in this Python: `pip install jupyterlab`, "
                         f"or open {folder} in the Jupyter you use.")
    return _launch(lab_command(args.no_browser), folder)


def lab_command(no_browser: bool = False) -> list[str]:
    """The JupyterLab command ``nst-course lab`` (and so ``make lab``) runs in the lessons' folder."""
    import os

    from ..lessons import FIRST_LESSON

    # the lesson as argument opens it in the browser started here; default_url makes the printed
    # link (--no-browser, a remote machine) open it too
    cmd = [sys.executable, "-m", "jupyterlab", FIRST_LESSON, f"--LabApp.default_url=/lab/tree/{FIRST_LESSON}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # containers run as root; JupyterLab refuses root otherwise
    if no_browser:
        cmd.append("--no-browser")
    return cmd


def _launch(cmd: list[str], folder: Path) -> int:
    import subprocess

    print(f"Opening {folder / cmd[3]} in JupyterLab (Ctrl-C twice to stop)", file=sys.stderr)
    return subprocess.call(cmd, cwd=folder)
