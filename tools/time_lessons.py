"""Time every lesson as a learner runs it: ``make time-lessons [MODE=demo] [README=README.md]``.

Each lesson is executed top to bottom with nbclient in a fresh kernel, in a temporary folder
(whatever a lesson saves lands there and is deleted), in the mode given (``full`` by default;
``NST_COURSE_MODE`` reaches the kernel). Prints a markdown table: lesson, mode, seconds and
``nst-course doctor``'s estimate for that mode (``nst_course.budget.lesson_minutes``, priced
with one step timed here; demo mode: demo mode's work, other modes: full mode's), under a
caption naming date, processor and torch. ``--update-readme`` writes it into README.md between
``<!-- lessons:begin -->`` and ``<!-- lessons:end -->``. ``--compare-allocator ROUNDS`` times
each lesson instead as is and with freed memory kept while each run lasts (the default,
:data:`ARMS`), interleaved, with each kernel's peak memory (README, "Performance").
Timings are only worth publishing from a quiet machine (nothing else running).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from nst_course.allocator import TRIM_THRESHOLD
from nst_course.config import MODES

import _lessons as L

#: the kernel's environment for kept memory for the whole kernel (:mod:`nst_course.allocator`;
#: glibc reads it at start)
KEPT_MEMORY = {"MALLOC_MMAP_MAX_": "0", "MALLOC_TRIM_THRESHOLD_": str(TRIM_THRESHOLD)}
#: ``--compare-allocator``'s kernels: the allocator as it is (not even kept while a run lasts)
#: and the package's default (kept while each run lasts); None: removed from the environment
ARMS = {"as-is": {**dict.fromkeys(KEPT_MEMORY), "NST_COURSE_KEEP_MEMORY": "0"},
        "kept": {**dict.fromkeys(KEPT_MEMORY), "NST_COURSE_KEEP_MEMORY": None}}
#: a cell run after the lesson: the kernel's peak resident memory in kB (Linux; else nothing)
PEAK_CELL = ("import os\nif os.path.exists('/proc/self/status'):\n"
             "    print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')))")


def run_lesson(path: Path, mode: str, timeout: float | None = None, keep: Path | None = None,
               ) -> tuple[float, str | None]:
    """``(seconds, None)``, or ``(seconds, error)`` when a cell failed, for one execution of
    ``path`` in ``mode`` in a fresh kernel working in a temporary folder; ``keep``: a folder
    where the executed notebook is written (same file name)."""
    return execute(path, mode, timeout, keep)[:2]


def execute(path: Path, mode: str, timeout: float | None = None, keep: Path | None = None,
            env: dict | None = None) -> tuple[float, str | None, float | None]:
    """:func:`run_lesson` with ``env`` added to the kernel's environment (None: removed), and
    the kernel's peak resident memory in GB (None where it cannot be read or a cell failed),
    printed by :data:`PEAK_CELL`, run after the lesson's cells (milliseconds)."""
    import nbformat

    nb = L.read(path)
    nb.cells.append(nbformat.v4.new_code_cell(PEAK_CELL))
    env = {"NST_COURSE_MODE": mode, "NST_COURSE_FAST": "1" if mode == "fast" else None,
           "TQDM_DISABLE": "1", "MPLBACKEND": None,  # the kernel's inline backend draws, as for a learner
           **(env or {})}
    error = None
    with tempfile.TemporaryDirectory(prefix="time-lessons-") as folder:
        t0 = time.perf_counter()
        try:
            L.run_notebook(nb, folder, env, timeout=timeout)
        except Exception as e:  # a failing cell: report it, time the rest of the lessons
            error = f"{type(e).__name__}: {str(e).strip().splitlines()[-1][:200] if str(e).strip() else ''}"
        seconds = time.perf_counter() - t0
    text = "".join(o.get("text", "") for o in nb.cells.pop().get("outputs", [])).strip()
    peak = int(text) / 1e6 if text.isdigit() else None
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(keep / path.name))
    return seconds, error, peak


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


def compare_allocator(paths, mode: str, rounds: int = 1, timeout: float | None = None) -> list[dict]:
    """Each lesson in fresh kernels with the allocator as it is and as the package keeps it
    while each run lasts (:data:`ARMS`), ``rounds`` times, the order alternating:
    ``[{lesson, as-is, kept}]`` with ``(seconds, error, peak GB)`` lists."""
    rows = []
    for path in paths:
        row = {"lesson": lesson_name(path), "as-is": [], "kept": []}
        for r in range(rounds):
            for label in ("as-is", "kept") if r % 2 == 0 else ("kept", "as-is"):
                row[label].append(execute(path, mode, timeout, env=ARMS[label]))
                seconds, error, peak = row[label][-1]
                print(f"{path.name} ({label}): {seconds:.0f} s, peak {peak or 0:.2f} GB"
                      + (f" FAILED ({error})" if error else ""), flush=True)
        rows.append(row)
    return rows


def allocator_markdown(rows: list[dict], mode: str, command: str) -> str:
    """The comparison's table: medians over the rounds."""
    import statistics

    import torch

    from nst_course.bench import processor

    def gb(v):
        return "–" if v is None else f"{v:.2f} GB"

    def med(runs, k):
        values = [run[k] for run in runs if run[k] is not None]
        return statistics.median(values) if values else None

    rounds = len(rows[0]["kept"]) if rows else 0
    lines = [f"Measured {time.strftime('%Y-%m-%d')} on {processor()}, {torch.get_num_threads()} threads, "
             f"torch {torch.__version__}: `{command}` (each lesson {rounds}x as is and {rounds}x with "
             f"freed memory kept while each run lasts, the default, in fresh kernels, interleaved; "
             f"medians; peak: the kernel's resident memory).",
             "", "| lesson | mode | s as is | s kept | kept / as is | peak as is | peak kept |",
             "|---|---|---|---|---|---|---|"]
    for row in rows:
        a, k = med(row["as-is"], 0), med(row["kept"], 0)
        pa, pk = med(row["as-is"], 2), med(row["kept"], 2)
        failed = any(run[1] for run in row["as-is"] + row["kept"])
        lines.append(f"| {row['lesson']} | {mode} | {a:.0f} | {k:.0f} | "
                     f"{k / a:.2f}{' (a run failed)' if failed else ''} | {gb(pa)} | {gb(pk)} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("notebooks", nargs="*", type=Path, help="lessons to run (default: all of notebooks/)")
    p.add_argument("--mode", choices=MODES, default="full")
    p.add_argument("--update-readme", metavar="README", help="also write the table into this file")
    p.add_argument("--step-seconds", type=float, help="a step at 128 px measured already (for the estimates)")
    p.add_argument("--timeout", type=float, help="seconds a cell may take (default: no limit)")
    p.add_argument("--keep", type=Path, metavar="DIR", help="also save each executed lesson in DIR")
    p.add_argument("--compare-allocator", type=int, metavar="ROUNDS",
                   help="time each lesson ROUNDS times as is and with memory kept while runs last "
                   "(the default) instead, interleaved")
    a = p.parse_args(argv)
    sys.path.insert(0, str(L.ROOT))
    from nst_course.bench import between_markers, update_readme

    if a.update_readme:  # its markers are there before an hour of lessons
        between_markers(Path(a.update_readme).read_text(encoding="utf-8"), "lessons")
    paths = a.notebooks or L.lessons()
    if a.compare_allocator:
        rows = compare_allocator(paths, a.mode, a.compare_allocator, a.timeout)
        names = " ".join(f"notebooks/{p.name}" for p in a.notebooks) if a.notebooks else ""
        print(allocator_markdown(rows, a.mode, f"python tools/time_lessons.py --mode {a.mode} "
                                 f"--compare-allocator {a.compare_allocator} {names}".strip()))
        return 1 if any(run[1] for row in rows for run in row["as-is"] + row["kept"]) else 0
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
