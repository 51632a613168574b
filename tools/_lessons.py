"""Shared helpers for the course tools: find the lessons, read their titles, write notebooks back."""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat

from nst_course.lessons import lesson_files

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
TITLE_RE = re.compile(r"^#\s+(\d\d)\s*[—–-]+\s*(.+?)\s*$")


def lessons(folder: Path = NOTEBOOKS) -> list[Path]:
    """The numbered lessons ``NN_name.ipynb`` in ``folder``, in order (the package's one list:
    :func:`nst_course.lessons.lesson_files`, read from the files)."""
    return lesson_files(folder)


def run_notebook(nb, folder: Path | str, env: dict, timeout: float | None = None, **client) -> None:
    """Execute ``nb`` in place in a fresh kernel working in ``folder``, with the environment
    variables ``env`` set (None: removed) for that kernel only; cells with nbval's
    ``NBVAL_RAISES_EXCEPTION`` get nbclient's ``raises-exception`` tag. ``client``: more
    ``NotebookClient`` arguments. Used by build_site.py and time_lessons.py."""
    from nbclient import NotebookClient

    for cell in nb.cells:  # nbclient knows the tag, not nbval's comment
        if "NBVAL_RAISES_EXCEPTION" in source(cell) and "raises-exception" not in tags(cell):
            cell.metadata.setdefault("tags", []).append("raises-exception")
    saved = {k: os.environ.get(k) for k in env}

    def put(values):
        for key, value in values.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    put(env)
    try:
        NotebookClient(nb, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(folder)}}, **client).execute()
    finally:
        put(saved)


def source(cell) -> str:
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def title(nb) -> tuple[str, str]:
    """``("03", "Gram matrices: what "style" is made of")`` from the first cell ``# 03 — ...``."""
    first = source(nb.cells[0]).strip().splitlines()[0] if nb.cells else ""
    m = TITLE_RE.match(first)
    if not m:
        raise ValueError(f"first cell should start with '# NN — Title', found {first[:60]!r}")
    return m.group(1), m.group(2)


def short_title(nb) -> str:
    """``"03 Gram matrices"``: the number and the title up to its first colon."""
    num, text = title(nb)
    return f"{num} {text.split(':')[0].strip()}"


def summary(nb) -> str:
    """The lesson's one-sentence description: the first non-heading paragraph of the title cell."""
    lines = source(nb.cells[0]).strip().splitlines()[1:]
    para = []
    for line in lines:
        if not line.strip():
            if para:
                break
            continue
        if line.lstrip().startswith(("#", "**You will", "-")):
            break
        para.append(line.strip())
    return " ".join(para).strip("*_ ")


def read(path: Path):
    return nbformat.read(str(path), as_version=4)


def write_if_changed(nb, path: Path) -> bool:
    """Write ``nb`` in nbformat's own layout; return True when the file changed."""
    text = nbformat.writes(nb) + "\n"
    if Path(path).read_text() == text:
        return False
    Path(path).write_text(text)
    return True


def run_update_tool(update, description: str, script: str, argv=None) -> int:
    """Command line shared by the notebook-rewriting tools: ``[folder] [--check]``.

    ``update(folder, write)`` returns the notebooks it changed (or would change);
    with ``--check`` nothing is written and the exit status is 1 when any is out of date.
    """
    import argparse
    import sys

    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("folder", nargs="?", type=Path, default=NOTEBOOKS)
    ap.add_argument("--check", action="store_true", help="change nothing; exit 1 if out of date")
    args = ap.parse_args(argv)
    changed = update(args.folder, write=not args.check)
    for p in changed:
        print(("out of date: " if args.check else "updated: ") + p.name)
    if args.check and changed:
        print(f"run: python {script}", file=sys.stderr)
        return 1
    return 0
