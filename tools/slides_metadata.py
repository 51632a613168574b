"""Give every lesson cell slideshow metadata (RISE and ``nbconvert --to slides``) by rules.

Rules, first match wins (a tag named after a slide type, e.g. ``subslide``, overrides them):

- the title cell, and markdown cells opening with ``## `` -> ``slide``
- navigation cells, the setup cell, ``# NBVAL``/``nbval-*`` test plumbing, empty cells -> ``skip``
- cells tagged ``notes`` or markdown opening with ``Lecturer:`` / ``Note for the lecturer`` -> ``notes``
- markdown opening with ``### `` -> ``subslide``
- cells tagged ``solution`` or ``reveal`` (the answer to an in-class exercise) -> ``fragment``
- a cell that would overflow the current slide (about 22 lines of text, a figure counts as 14)
  -> ``subslide``; anything else -> ``-`` (continues the current slide)

Idempotent: the result depends only on the cells' sources and tags.

    python tools/slides_metadata.py            # rewrite notebooks/
    python tools/slides_metadata.py --check    # exit 1 if anything would change
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _lessons as L  # noqa: E402

TYPES = ("slide", "subslide", "fragment", "skip", "notes", "-")
BUDGET = 22  # lines that fit on a 960x700 reveal.js slide
FIGURE = re.compile(r"show_images|show_feature_maps|plt\.|imshow|\.plot\(|display\(|show_gram|Image\(|"
                    r"SortingExercise|MatchingExercise|Explorer|interact")
NOTES = re.compile(r"^\s*(\*\*)?(lecturer|note for the lecturer|speaker notes?)\b", re.IGNORECASE)


def is_setup(cell) -> bool:
    return cell.cell_type == "code" and ("describe_setup(" in L.source(cell) or "setup" in L.tags(cell))


def weight(cell) -> int:
    """Rough height of a cell on a slide, in lines."""
    text = L.source(cell).strip()
    lines = text.count("\n") + 1 if text else 0
    if cell.cell_type == "code":
        return lines + 2 + (14 if FIGURE.search(text) else 3)
    return lines + text.count("$$") // 2 * 2 + text.count("\n|") // 2


def slide_types(nb) -> list[str]:
    out, used = [], 0
    for i, cell in enumerate(nb.cells):
        text, tagset = L.source(cell).lstrip(), set(L.tags(cell))
        forced = [t for t in TYPES[:-1] if t in tagset and t != "notes"]
        if forced:
            kind = forced[0]
        elif i == 0 or (cell.cell_type == "markdown" and text.startswith("## ")):
            kind = "slide"
        elif "navigation" in tagset or is_setup(cell) or not text \
                or text.startswith("# NBVAL") or any(t.startswith("nbval") for t in tagset):
            kind = "skip"
        elif "notes" in tagset or (cell.cell_type == "markdown" and NOTES.match(text)):
            kind = "notes"
        elif cell.cell_type == "markdown" and text.startswith("### "):
            kind = "subslide"
        elif tagset & {"solution", "reveal"}:
            kind = "fragment"
        elif used and used + weight(cell) > BUDGET:
            kind = "subslide"
        else:
            kind = "-"
        if kind in ("slide", "subslide"):
            used = 0
        if kind not in ("skip", "notes"):
            used += weight(cell)
        out.append(kind)
    return out


def apply(nb) -> None:
    for cell, kind in zip(nb.cells, slide_types(nb)):
        cell.metadata["slideshow"] = {"slide_type": kind}


def update(folder: Path = L.NOTEBOOKS, write: bool = True) -> list[Path]:
    changed = []
    for path in L.lessons(folder):
        nb = L.read(path)
        apply(nb)
        if write:
            if L.write_if_changed(nb, path):
                changed.append(path)
        elif L.nbformat.writes(nb) + "\n" != path.read_text():
            changed.append(path)
    return changed


def main(argv=None) -> int:
    return L.run_update_tool(update, __doc__.splitlines()[0], "tools/slides_metadata.py", argv)


if __name__ == "__main__":
    sys.exit(main())
