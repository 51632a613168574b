"""Write student copies of the lessons: solutions out, stubs in, outputs cleared.

The work is done by :mod:`nst_course.lessons` (also ``nst-course lessons DIR --student``
from an installed wheel); see its docstring for what a student copy holds.
This is the repository's command line for it (``make student``).

    python tools/student.py                 # notebooks/ -> student/
    python tools/student.py SRC OUT
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nst_course.lessons import (  # noqa: F401  (the names the tests and tools use)
    MARKDOWN_STUB,
    SOLUTION,
    copy_lessons,
    defined_names,
    stub_code,
    student_notebook,
)

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _lessons as L  # noqa: E402


def build(src: Path = L.NOTEBOOKS, out: Path = L.ROOT / "student") -> list[Path]:
    """Write the student copies of every notebook in ``src`` to ``out``; return the notebooks' paths."""
    written = copy_lessons(out, student=True, src=src, overwrite=True)
    return [p for p in written if p.suffix == ".ipynb"]


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
