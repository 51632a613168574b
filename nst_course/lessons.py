"""The lessons that come with the package, and copies of them for learners.

The wheel carries the notebooks as package data (``nst_course/notebooks/``); in a
clone of the course (also an editable install) they are the repository's
``notebooks/`` folder. :func:`lessons_dir` finds whichever is there.

:func:`copy_lessons` writes them into a folder of your own (``nst-course lessons DIR``),
optionally as **student copies** (``--student``): every cell tagged ``solution`` is
removed when it defines nothing new (an earlier cell already holds the stub it
replaces, the lessons' usual pattern: stub cell, solution cell, check cell; or it only
shows the answer, ``sorting.reveal()``). Otherwise it becomes a stub: each function keeps
its signature and docstring and raises ``NotImplementedError`` (the checks report that as
"not yet solved"), each assigned name becomes ``None``, and a markdown solution becomes a
one-line note. Cells tagged ``lecture-plan`` (the lecturer's plan: what to run before class,
which outputs to clear) are left out. Outputs, execution counts and stored widget state are
cleared.
"""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

from .files import write_atomic

SOLUTION = "solution"
LECTURE_PLAN = "lecture-plan"  # for the lecturer: not in student copies
MARKDOWN_STUB = "*The solution is not part of the student copy: try it yourself first.*"
LESSON_RE = re.compile(r"^(\d\d)_[a-z0-9_]+\.ipynb$")
FIRST_LESSON = "00_start_here.ipynb"


def lessons_dir() -> Path:
    """The folder holding the lessons: the wheel's package data, else the clone's ``notebooks/``."""
    here = Path(__file__).resolve().parent
    for folder in (here / "notebooks", here.parent / "notebooks"):
        if (folder / FIRST_LESSON).is_file():
            return folder
    raise FileNotFoundError(
        f"the lessons are not installed next to {here}: reinstall the course with "
        "`pip install nst-course` (or run `make lab` in a clone of the course).")


def lesson_files(folder=None) -> list[Path]:
    """The numbered lessons ``NN_name.ipynb`` in ``folder`` (default: the bundled ones), in order."""
    folder = lessons_dir() if folder is None else Path(folder)
    return sorted(p for p in folder.glob("*.ipynb") if LESSON_RE.match(p.name))


# --------------------------------------------------------------------- student copies

def _source(cell) -> str:
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def defined_names(code: str) -> list[str]:
    """Top-level functions, classes, imports and assigned names of a cell (IPython magics ignored)."""
    lines = [ln for ln in code.splitlines() if not ln.lstrip().startswith(("%", "!"))]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return []
    names = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.append(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names += [(a.asname or a.name).split(".")[0] for a in node.names]
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names += [t.id for t in targets if isinstance(t, ast.Name)]
    return names


def stub_code(code: str) -> str:
    """Signatures and docstrings of the solution's functions; ``None`` for its assigned names."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return "# YOUR CODE HERE\n"
    lines, out = code.splitlines(), []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            head = lines[first - 1:node.body[0].lineno - 1]  # decorators and signature, as written
            doc = ast.get_docstring(node, clean=False)
            if doc is not None:
                head = lines[first - 1:node.body[0].end_lineno]  # ... and the docstring
            indent = " " * node.body[0].col_offset
            out.append("\n".join([*head, f"{indent}# YOUR CODE HERE", f"{indent}raise NotImplementedError"]))
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            out += [f"{t.id} = None  # YOUR ANSWER HERE" for t in targets if isinstance(t, ast.Name)]
    return "\n\n\n".join(out) + "\n" if out else "# YOUR CODE HERE\n"


def student_notebook(nb):
    """A student copy of the notebook ``nb`` (a new object; ``nb`` is not changed): solutions
    out or stubbed, ``lecture-plan`` cells out, outputs cleared."""
    import nbformat

    nb = nbformat.from_dict(nb)
    cells, seen = [], set()
    for cell in nb.cells:
        text = _source(cell)
        if LECTURE_PLAN in _tags(cell):
            continue
        if SOLUTION not in _tags(cell):
            if cell.cell_type == "code":
                seen.update(defined_names(text))
            cells.append(cell)
            continue
        if cell.cell_type != "code":
            cells.append(nbformat.v4.new_markdown_cell(MARKDOWN_STUB, id=cell.get("id")))
            continue
        names = defined_names(text)
        if set(names) <= seen:
            continue  # the stub is already in the lesson, or the cell only shows the answer
        stub = nbformat.v4.new_code_cell(stub_code(text), id=cell.get("id"))
        rest = [t for t in _tags(cell) if t != SOLUTION]
        if rest:
            stub.metadata["tags"] = rest
        cells.append(stub)
        seen.update(names)
    for cell in cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        for key in ("collapsed", "scrolled", "execution", "ExecuteTime"):
            cell.metadata.pop(key, None)
    nb.cells = cells
    nb.metadata = {k: v for k, v in nb.metadata.items() if k in ("kernelspec", "language_info")}
    return nb


# --------------------------------------------------------------------------- copying


def _write_bytes(path: Path, data: bytes, overwrite: bool) -> None:
    """``data`` into ``path`` atomically (:func:`nst_course.files.write_atomic`): a failure never
    leaves half a notebook, and a file that appears meanwhile is kept unless ``overwrite``."""
    write_atomic(path, lambda tmp: Path(tmp).write_bytes(data), overwrite=overwrite)


def copy_lessons(dest, student: bool = False, *, src=None, overwrite: bool = False) -> list[Path]:
    """Copy the lessons (and any files beside them) into the folder ``dest``.

    Args:
        dest: target folder; created if missing.
        student: write student copies (solutions out, stubs in, outputs cleared).
        src: where the lessons come from (default: :func:`lessons_dir`).
        overwrite: replace files already in ``dest``. By default an existing file is
            kept: it may hold a learner's work.
    Returns:
        The paths written (files kept because they existed are not listed).
    """
    import nbformat

    src = lessons_dir() if src is None else Path(src)
    dest = Path(dest)
    if dest.exists() and not dest.is_dir():
        raise NotADirectoryError(f"{dest} is a file, not a folder; choose a folder for the lessons.")
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sorted(src.iterdir()):
        if path.name.startswith((".", "__")):  # checkpoints, __pycache__, __init__.py
            continue
        target = dest / path.name
        if path.is_dir():  # pictures or data beside the lessons: the same no-clobber rule
            def copy(s, d):
                if overwrite or not Path(d).exists():
                    written.append(Path(shutil.copy2(s, d)))

            shutil.copytree(path, target, dirs_exist_ok=True, copy_function=copy,
                            ignore=shutil.ignore_patterns(".*", "__pycache__"))
            continue
        if target.is_dir():  # neither a learner's work to keep nor a file to replace
            from .files import OutputError

            raise OutputError(f"{target} is a folder where the lesson {path.name} belongs; "
                              "rename or remove it, or choose another folder for the lessons.")
        if target.exists() and not overwrite:
            continue
        if path.suffix == ".ipynb" and student:
            nb = student_notebook(nbformat.read(str(path), as_version=4))
            nbformat.validate(nb)
            _write_bytes(target, (nbformat.writes(nb) + "\n").encode(), overwrite)
        else:
            _write_bytes(target, path.read_bytes(), overwrite)
        written.append(target)
    return written
