"""Write student copies of the lessons: solutions out, stubs in, outputs cleared.

The work is done by :mod:`nst_course.lessons` (also ``nst-course lessons DIR --student``
from an installed wheel); see its docstring for what a student copy holds.
This is the repository's command line for it (``make student``).

    python tools/student.py                 # notebooks/ -> student/
    python tools/student.py SRC OUT

A copy that exists already is kept, never overwritten (delete it for a fresh one).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nst_course.lessons import copy_lessons

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _lessons as L  # noqa: E402


def build(src: Path = L.NOTEBOOKS, out: Path = L.ROOT / "student") -> list[Path]:
    """Write the student copies of the notebooks in ``src`` that ``out`` does not hold yet; return
    their paths. A copy already in ``out`` is never replaced: it holds a learner's work."""
    written = copy_lessons(out, student=True, src=src)
    return [p for p in written if p.suffix == ".ipynb"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("src", nargs="?", type=Path, default=L.NOTEBOOKS)
    ap.add_argument("out", nargs="?", type=Path, default=L.ROOT / "student")
    args = ap.parse_args(argv)
    written = build(args.src, args.out)
    for p in written:
        print("wrote", p.relative_to(L.ROOT) if p.is_relative_to(L.ROOT) else p)
    kept = sorted({p.name for p in args.src.glob("*.ipynb")} - {p.name for p in written})
    if kept:
        print(f"kept {len(kept)} student copies already in {args.out} (your work); delete one to "
              "get a fresh copy")
    return 0


if __name__ == "__main__":
    sys.exit(main())
