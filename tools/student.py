"""Write student copies of the lessons: solutions out, stubs in, outputs cleared.

Every cell tagged ``solution`` is removed when it defines nothing new: an earlier cell
already holds the stub it replaces (the lessons' usual pattern: stub cell, solution cell,
check cell), or it only shows the answer (``sorting.reveal()``). Otherwise it
becomes a stub: each function keeps its signature and docstring and raises
``NotImplementedError`` (the checks report that as "not yet solved"), each assigned name
becomes ``None``, and a markdown solution becomes a one-line note. Outputs, execution
counts and stored widget state are cleared; other files beside the lessons are copied.

    python tools/student.py                 # notebooks/ -> student/
    python tools/student.py SRC OUT
"""

from __future__ import annotations

import argparse
import ast
import shutil
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _lessons as L  # noqa: E402

SOLUTION = "solution"
MARKDOWN_STUB = "*The solution is not part of the student copy: try it yourself first.*"


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
    """A student copy of ``nb`` (a new object; ``nb`` is not changed)."""
    nb = nbformat.from_dict(nb)
    cells, seen = [], set()
    for cell in nb.cells:
        text = L.source(cell)
        if SOLUTION not in L.tags(cell):
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
        rest = [t for t in L.tags(cell) if t != SOLUTION]
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


def build(src: Path = L.NOTEBOOKS, out: Path = L.ROOT / "student") -> list[Path]:
    """Write the student copies of every notebook in ``src`` to ``out``; return their paths."""
    src, out = Path(src), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sorted(src.iterdir()):
        if path.name.startswith(".") or path.name == "__pycache__":
            continue
        target = out / path.name
        if path.suffix == ".ipynb":
            nb = student_notebook(L.read(path))
            nbformat.validate(nb)
            target.write_text(nbformat.writes(nb) + "\n")
            written.append(target)
        elif path.is_dir():
            shutil.copytree(path, target, dirs_exist_ok=True)
        else:
            shutil.copy2(path, target)
    return written


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("src", nargs="?", type=Path, default=L.NOTEBOOKS)
    ap.add_argument("out", nargs="?", type=Path, default=L.ROOT / "student")
    args = ap.parse_args(argv)
    for p in build(args.src, args.out):
        print("wrote", p.relative_to(L.ROOT) if p.is_relative_to(L.ROOT) else p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
