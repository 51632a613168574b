"""Time every lesson as a learner runs it: ``make time-lessons [MODE=demo] [README=README.md]``.

Each lesson is executed top to bottom with nbclient in a fresh kernel, in a temporary folder
(whatever a lesson saves lands there and is deleted), in the mode given (``full`` by default;
``NST_COURSE_MODE`` reaches the kernel). Prints a markdown table: lesson, mode, seconds and
``nst-course doctor``'s estimate for that mode (``nst_course.budget.lesson_minutes``, priced
with one step timed here; demo mode: demo mode's work, other modes: full mode's), under a
caption naming date, processor and torch. ``--update-readme`` writes it into README.md between
``<!-- lessons:begin -->`` and ``<!-- lessons:end -->``.
Timings are only worth publishing from a quiet machine (nothing else running).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from nst_course.config import MODES

import _lessons as L


def run_lesson(path: Path, mode: str, timeout: float | None = None, keep: Path | None = None,
               ) -> tuple[float, str | None]:
    """``(seconds, None)``, or ``(seconds, error)`` when a cell failed, for one execution of
    ``path`` in ``mode`` in a fresh kernel working in a temporary folder; ``keep``: a folder
    where the executed notebook is written (same file name)."""
    nb = L.read(path)
    env = {"NST_COURSE_MODE": mode, "NST_COURSE_FAST": "1" if mode == "fast" else None,
           "TQDM_DISABLE": "1", "MPLBACKEND": None}  # the kernel's inline backend draws, as for a learner
    error = None
    with tempfile.TemporaryDirectory(prefix="time-lessons-") as folder:
        t0 = time.perf_counter()
        try:
            L.run_notebook(nb, folder, env, timeout=timeout)
        except Exception as e:  # a failing cell: report it, time the rest of the lessons
            error = f"{type(e).__name__}: {str(e).strip().splitlines()[-1][:200] if str(e).strip() else ''}"
        seconds = time.perf_counter() - t0
    if keep is not None:
        import nbformat

        keep.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(keep / path.name))
    return seconds, error


def lesson_name(path: Path) -> str:
    """``"03 Gram matrices"`` from the lesson's title cell, else the file's name."""
    try:
        return L.short_title(L.read(path))
    except (ValueError, IndexError):
        return path.stem


def estimates(step_seconds: float | None = None, size: int = 128, mode: str = "full") -> dict[str, float]:
    """``{"02": minutes, ...}``: doctor's estimate per lesson number (``mode``: "demo" prices demo
    mode's work, anything else full mode's)."""
    from nst_course import budget

    if step_seconds is None:
        step_seconds = budget.time_step(size)
    priced = "demo" if mode == "demo" else "full"
    return {name[:2]: m for name, m in budget.lesson_minutes(step_seconds, size, mode=priced).items()}


def markdown(results: list[dict], mode: str, command: str) -> str:
    """The table: one row per lesson (``results``: dicts with lesson, seconds, error, estimate)."""
    import torch

    from nst_course.bench import processor
    from nst_course.budget import LESSON_FIXED_MINUTES

    total = sum(r["seconds"] for r in results)
    budgets = {r["lesson"]: LESSON_FIXED_MINUTES[r["lesson"]] for r in results
               if r["lesson"] in LESSON_FIXED_MINUTES and mode == "full"}
    without = "".join(f"; {(total / 60 - m):.1f} min without the {m:g}-minute training budget of "
                      f"lesson {lesson[:2]}, which the learner chooses" for lesson, m in budgets.items())
    lines = [f"Measured {time.strftime('%Y-%m-%d')} on {processor()}, {torch.get_num_threads()} threads, "
             f"torch {torch.__version__}: `{command}` (each lesson once, top to bottom, in a fresh kernel; "
             f"{total / 60:.1f} min in all{without}).", "",
             f"| lesson | mode | seconds | doctor's estimate ({'demo' if mode == 'demo' else 'full'} mode) |",
             "|---|---|---|---|"]
    for r in results:
        est = r.get("estimate")
        secs = f"{r['seconds']:.0f}" + (f" (failed: {r['error']})" if r["error"] else "")
        lines.append(f"| {r['lesson']} | {mode} | {secs} | "
                     f"{'–' if est is None else f'{est * 60:.0f} s'} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("notebooks", nargs="*", type=Path, help="lessons to run (default: all of notebooks/)")
    p.add_argument("--mode", choices=MODES, default="full")
    p.add_argument("--update-readme", metavar="README", help="also write the table into this file")
    p.add_argument("--step-seconds", type=float, help="a step at 128 px measured already (for the estimates)")
    p.add_argument("--timeout", type=float, help="seconds a cell may take (default: no limit)")
    p.add_argument("--keep", type=Path, metavar="DIR", help="also save each executed lesson in DIR")
    a = p.parse_args(argv)
    sys.path.insert(0, str(L.ROOT))
    from nst_course.bench import between_markers, update_readme

    if a.update_readme:  # its markers are there before an hour of lessons
        between_markers(Path(a.update_readme).read_text(encoding="utf-8"), "lessons")
    paths = a.notebooks or L.lessons()
    est = estimates(a.step_seconds, mode=a.mode)
    results = []
    for path in paths:
        seconds, error = run_lesson(path, a.mode, a.timeout, a.keep)
        results.append({"lesson": lesson_name(path), "seconds": seconds, "error": error,
                        "estimate": est.get(path.name[:2])})
        print(f"{path.name}: {seconds:.0f} s" + (f" FAILED ({error})" if error else ""), flush=True)
    table = markdown(results, a.mode, f"make time-lessons MODE={a.mode}")
    print(table)
    if a.update_readme:
        update_readme(a.update_readme, table, "lessons")
    return 1 if any(r["error"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
