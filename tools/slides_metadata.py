"""Give every lesson cell slideshow metadata (RISE and ``nbconvert --to slides``) by rules.

Rules, first match wins (a tag named after a slide type, e.g. ``subslide``, overrides them):

- the title cell, and markdown cells opening with ``## `` -> ``slide``
- navigation cells, the setup cell, ``# NBVAL``/``nbval-*`` test plumbing, empty cells -> ``skip``
- cells tagged ``notes`` or markdown opening with ``Lecturer:`` / ``Note for the lecturer`` -> ``notes``
- markdown opening with ``### `` -> ``subslide``
- cells tagged ``solution`` or ``reveal`` (the answer to an in-class exercise) -> ``fragment``
- a cell that would overflow the current slide (about 22 lines of text, a figure counts as 14)
  -> ``subslide``; anything else -> ``-`` (continues the current slide)

Idempotent: the result depends only on the cells' sources and tags. At build time
:func:`fit_cells` cuts what still would not fit (long code, a title with its lists) into
sub-slides of the deck; the notebooks keep their cells.

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
BUDGET = 22  # lines that fit on a 1280x720 reveal.js slide (build_site.SLIDE_SIZE)
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


# --- at build time: cells cut to fit one 1280x720 slide (the notebooks stay as they are) ---------

CODE_LINES = 22  # lines of 16 px code that fit under a heading on a 720 px slide
TEXT_LINES = 18  # rendered lines of 22 px text (about 110 characters each) on one 720 px slide
CHARS_PER_LINE = 110
FENCE = re.compile(r"^\s*(```|~~~)")
HTML_OPEN = re.compile(r"<(details|div|table|ul|ol|blockquote|section)\b", re.IGNORECASE)
HTML_CLOSE = re.compile(r"</(details|div|table|ul|ol|blockquote|section)\s*>", re.IGNORECASE)


def _blocks(text: str) -> list[str]:
    """Markdown split at blank lines, never inside a code fence, a ``$$`` display or an HTML block."""
    out, cur, fenced, maths, depth = [], [], False, False, 0
    for line in text.split("\n"):
        if not line.strip() and not fenced and not maths and depth <= 0:
            if cur:
                out.append("\n".join(cur))
            cur = []
            continue
        cur.append(line)
        fenced ^= bool(FENCE.match(line))
        maths ^= line.count("$$") % 2 == 1
        depth += len(HTML_OPEN.findall(line)) - len(HTML_CLOSE.findall(line))
    if cur:
        out.append("\n".join(cur))
    return out


def _text_lines(block: str) -> int:
    """Rendered lines of a markdown block (long source lines wrap, headings and maths count more)."""
    n = sum(max(1, -(-len(line) // CHARS_PER_LINE)) for line in block.split("\n"))
    return n + 1 + block.count("$$") + (1 if block.startswith("#") else 0)


def _markdown_parts(text: str, title: bool) -> list[tuple[str, str]]:
    """(slide type, markdown) pieces: a new slide at each ``##``, a sub-slide at each ``###``, when
    the text outgrows the slide, and (title cell) after the title's first paragraph."""
    parts: list[tuple[str, list[str]]] = []
    used = 0
    for k, block in enumerate(_blocks(text)):
        lines = _text_lines(block)
        if k and block.startswith("## "):
            parts.append(("slide", []))
            used = 0
        elif k and block.startswith("### ") or (parts and used and used + lines > TEXT_LINES) or \
                (title and len(parts) == 1 and len(parts[0][1]) >= 2):
            parts.append(("subslide", []))
            used = 0
        if not parts:
            parts.append(("", []))
        parts[-1][1].append(block)
        used += lines
    return [(kind, "\n\n".join(blocks)) for kind, blocks in parts]


def _code_parts(text: str) -> list[str]:
    """A long code cell cut at blank lines (between top-level statements where it can) into pieces
    of about CODE_LINES lines or fewer; a stretch without a blank line stays whole."""
    lines, parts, cur = text.split("\n"), [], []
    for k, line in enumerate(lines):
        cur.append(line)
        rest = lines[k + 1:]
        if line.strip() or sum(1 for r in rest if r.strip()) < 4:
            continue
        top = rest[0][:1] not in (" ", "\t", ")", "]", "}")  # the next statement is a top-level one
        if len(cur) >= CODE_LINES * 2 // 3 and (top or len(cur) + len(rest) > CODE_LINES + 4):
            parts.append("\n".join(cur).rstrip("\n"))
            cur = []
    if cur:
        parts.append("\n".join(cur))
    return parts if all(p.strip() for p in parts) else [text]


def fit_cells(nb) -> int:
    """Cut cells that would overflow a slide into several, in the executed copy that becomes the deck.

    Markdown: a ``##`` inside a cell starts a new slide, ``###`` or too much text a sub-slide, the
    title cell keeps its heading and first paragraph (the rest follows on a sub-slide). Code whose
    source is shown and is longer than CODE_LINES: cut at blank lines between statements; the
    outputs stay under the last piece. Solutions and fragments stay whole (they open in place).
    Returns how many cells were added.
    """
    import copy

    cells, added = [], 0
    for i, cell in enumerate(nb.cells):
        kind = cell.metadata.get("slideshow", {}).get("slide_type", "-")
        if kind in ("skip", "notes", "fragment") or set(L.tags(cell)) & {"solution", "reveal"}:
            cells.append(cell)
            continue
        if cell.cell_type == "markdown":
            pieces = _markdown_parts(L.source(cell), title=i == 0)
            for k, (new_kind, text) in enumerate(pieces):
                part = copy.deepcopy(cell) if k else cell
                part.source = text
                if k:
                    part.metadata["slideshow"] = {"slide_type": new_kind}
                    part["id"] = f"{cell.get('id', 'cell')}-{k}"[-64:]
                cells.append(part)
            added += len(pieces) - 1
        elif cell.cell_type == "code" and not cell.metadata.get("transient", {}).get("remove_source") \
                and L.source(cell).count("\n") >= CODE_LINES:
            pieces = _code_parts(L.source(cell))
            for k, text in enumerate(pieces):
                last = k == len(pieces) - 1
                part = copy.deepcopy(cell) if not last else cell
                part.source = text
                if not last:
                    part.outputs, part.execution_count = [], None
                if k:
                    part.metadata["slideshow"] = {"slide_type": "subslide"}
                if not last:
                    part["id"] = f"{cell.get('id', 'cell')}-{k}"[-64:]
                cells.append(part)
            added += len(pieces) - 1
        else:
            cells.append(cell)
    nb.cells = cells
    return added
