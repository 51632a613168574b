"""How fast is one Gatys step here? ``nst-course bench`` (also ``python -m nst_course.bench``).

For each size it times a step of :func:`~nst_course.stylize` (as it runs by
default: ``precision="auto"``, and again with ``precision="float32"``) and, in
the same run and interleaved with them (plain, ours, ours fp32, plain, ...), a
step of a *plain* tutorial-style implementation: NCHW float32, VGG19 cut after
the last loss layer, targets precomputed, L-BFGS. All use the same weights,
layers (conv4_2 / conv1_1...conv5_1) and losses. It prints seconds per step
(median), effective GFLOP/s (conv FLOPs of the forward pass plus the backward
pass to the input), the machine's conv peak (one 3x3 conv, channels_last, in
float32 and bfloat16) and the peak memory of each (a fresh process per
measurement), then AdaIN at 512x512 (a new style and the same style again, with
GFLOP/s). ``--markdown`` prints the README's table (date, processor, threads and torch
in its caption), ``--update-readme README.md`` writes it between the README's markers;
``--sweep`` runs :func:`time_to_quality_sweep` instead, ``--allocator`` :func:`time_allocator`
(the C allocator as it is, as a run keeps it and as ``nst-course stylize`` sets it). Not a
test: numbers depend on the machine and on whatever else runs on it.

The pieces, one concept each: :mod:`.plain` (the reference), :mod:`.timing`, :mod:`.sweep`,
:mod:`.tables` (the README's tables, shared with ``tools/``); the command line is here.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from .._lazy import lazy_attributes
from .sweep import SWEEP_PAIRS, SWEEP_SCHEDULES, SWEEP_WEIGHTS

#: the names this package offers and the module of each, imported on first use (PEP 562), so
#: a refused ``nst-course bench`` answers before PyTorch is loaded (about 2 s)
_WHERE = {
    "PlainNST": "plain",
    **dict.fromkeys(("QUALITY", "SWEEP_PAIRS", "SWEEP_SCHEDULES", "SWEEP_WEIGHTS", "full_size_steps",
                     "plan_label", "start_cost", "sweep_lines", "time_to_quality_sweep"), "sweep"),
    **dict.fromkeys(("MARKERS", "TABLE_HEADER", "between_markers", "markdown", "parse_markdown",
                     "processor", "update_readme"), "tables"),
    **dict.fromkeys(("ASPECT", "IMPLS", "adain_gflop", "conv_peak", "images", "peak_memory_mb",
                     "peak_rss_mb", "run", "step_gflop", "time_adain", "time_allocator"), "timing"),
}
__all__ = sorted([*_WHERE, "main"], key=lambda name: (not name[0].isupper(), name))


__getattr__, __dir__ = lazy_attributes(__name__, _WHERE, globals())


def main(argv=None) -> int:
    from ..cli.common import Parser, fail
    from . import between_markers, markdown, update_readme  # through the package: a test may patch them

    p = Parser(prog="nst-course bench", description=__doc__.split("\n")[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[256, 512, 1024], help="image widths")
    p.add_argument("--steps", type=int, default=3, help="timed steps per run (after 1 warm-up)")
    p.add_argument("--rounds", type=int, default=2, help="runs of each implementation, interleaved")
    p.add_argument("--no-memory", action="store_true", help="skip the peak-memory processes")
    p.add_argument("--json", help="also write the numbers to this file")
    p.add_argument("--markdown", action="store_true", help="also print the README's table (markdown)")
    p.add_argument("--update-readme", metavar="README", help="write that table into this file, between "
                   "<!-- bench:begin --> and <!-- bench:end -->")
    p.add_argument("--from-json", metavar="FILE", nargs="+", help="no measuring: the numbers of an "
                   "earlier --json (with --sweep: of one or more earlier --sweep --json, rows in order)")
    p.add_argument("--sweep", action="store_true", help="instead: time to quality, single-scale vs "
                   "--sweep-schedules, for each sample pair and style weight (~1 h at 512 px; "
                   "--update-readme writes it between <!-- sweep:begin --> and <!-- sweep:end -->)")
    p.add_argument("--allocator", action="store_true", help="instead: ours in fresh processes with "
                   "the C allocator as it is, as a run keeps it (the default) and as nst-course "
                   "stylize sets it for its process (keeping freed memory, nst_course.allocator), "
                   "interleaved --rounds times per --sizes: s/step, "
                   "page faults, peak memory, share of the conv peak")
    p.add_argument("--sweep-pairs", nargs="+", metavar="CONTENT:STYLE", default=[
                   f"{c}:{s}" for c, s in SWEEP_PAIRS], help="the sweep's photo and style pairs")
    p.add_argument("--sweep-schedules", nargs="+", default=list(SWEEP_SCHEDULES),
                   choices=["auto", "adain", "coarse-to-fine", "pyramid"],
                   help="the schedules measured against single-scale")
    p.add_argument("--sweep-images", metavar="FOLDER", help="also save each sweep run's picture there")
    p.add_argument("--sweep-size", type=int, default=512, help="the sweep's image long side")
    p.add_argument("--sweep-steps", type=int, default=300, help="the sweep's steps per run")
    p.add_argument("--sweep-weights", type=float, nargs="+", default=list(SWEEP_WEIGHTS),
                   help="the sweep's style weights")
    a = p.parse_args(argv)
    try:
        _check_args(a)
        if a.update_readme:  # its markers are there before minutes of measuring
            if not Path(a.update_readme).is_file():
                raise ValueError(f"--update-readme {a.update_readme}: no such file; give the README "
                                 "that holds the table's markers.")
            between_markers(open(a.update_readme, encoding="utf-8").read(), "sweep" if a.sweep else "bench")
    except (ValueError, OSError) as e:  # refused before the benchmark, in one line
        return fail(str(e))
    if a.allocator:
        from . import time_allocator

        try:
            res = time_allocator(a.sizes, a.steps, a.rounds)
        except RuntimeError as e:
            return fail(str(e))
        if a.json:
            from ..files import write_atomic

            write_atomic(a.json, lambda tmp: tmp.write_text(json.dumps(res, indent=1)), overwrite=True)
        return 0
    if a.sweep:
        try:
            return _main_sweep(a)
        except ValueError as e:
            return fail(str(e))
    if a.from_json:
        if len(a.from_json) > 1:
            return fail("--from-json takes one file (several only with --sweep).")
        try:
            res = _read_json(a.from_json[0], ("rows", "conv_peak_gflops", "date", "steps"), "--json")
        except ValueError as e:
            return fail(str(e))
    else:
        from . import run

        res = run(a.sizes, a.steps, a.rounds, not a.no_memory)
    if a.markdown or a.update_readme:
        try:
            table = markdown(res, res.get("command")
                             or "nst-course bench --sizes " + " ".join(map(str, a.sizes)))
        except (KeyError, TypeError, ValueError, AttributeError):
            return fail(f"{a.from_json[0]} does not hold the numbers of `nst-course bench --json`.")
        if a.markdown:
            print(table)
        if a.update_readme:
            update_readme(a.update_readme, table)
    if a.json:
        res["command"] = "nst-course bench --sizes " + " ".join(map(str, a.sizes))
        from ..files import write_atomic

        write_atomic(a.json, lambda tmp: tmp.write_text(json.dumps(res, indent=1)), overwrite=True)
    return 0


def _main_sweep(a) -> int:
    """``nst-course bench --sweep``: :func:`time_to_quality_sweep`, its table, README and JSON;
    with ``--from-json`` the table of earlier ``--sweep --json`` files (their rows one after the
    other, e.g. pairs measured in two processes; same size and steps)."""
    from . import sweep_lines, update_readme
    if a.from_json:
        files = [_read_json(f, ("size", "steps", "rows", "command", "measured"), "--sweep --json")
                 for f in a.from_json]
        size, steps = files[0]["size"], files[0]["steps"]
        if any((f["size"], f["steps"]) != (size, steps) for f in files):
            raise ValueError("the --from-json files were measured at different --sweep-size or "
                             "--sweep-steps; give files of one size and step count.")
        rows = [r for f in files for r in f["rows"]]
        commands = ", ".join(f"`{f['command']}`" for f in files)
        measured = files[0]["measured"]
        try:
            lines = sweep_lines(rows, size, steps)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError, ZeroDivisionError):
            raise ValueError(f"{' '.join(a.from_json)} does not hold the numbers of "
                             "`nst-course bench --sweep --json`.") from None
        print("\n".join(lines))
    else:
        lines = []

        def out(line):
            print(line, flush=True)
            lines.append(line)

        pairs = [tuple(p.split(":", 1)) for p in a.sweep_pairs]
        command = (f"nst-course bench --sweep --sweep-size {a.sweep_size} --sweep-steps {a.sweep_steps} "
                   "--sweep-weights " + " ".join(f"{w:g}" for w in a.sweep_weights)
                   + ("" if a.sweep_pairs == [f"{c}:{s}" for c, s in SWEEP_PAIRS]
                      else " --sweep-pairs " + " ".join(a.sweep_pairs))
                   + ("" if a.sweep_schedules == list(SWEEP_SCHEDULES)
                      else " --sweep-schedules " + " ".join(a.sweep_schedules)))
        import torch

        from . import processor, time_to_quality_sweep

        measured = (f"{time.strftime('%Y-%m-%d')} on {processor()}, {torch.get_num_threads()} "
                    f"threads, torch {torch.__version__}")

        def save(rows):  # after every row: an interrupted sweep keeps what it measured
            if a.json:
                from ..files import write_atomic

                res = {"measured": measured, "command": command, "size": a.sweep_size,
                       "steps": a.sweep_steps, "rows": _without_images(rows)}
                write_atomic(a.json, lambda tmp: tmp.write_text(json.dumps(res, indent=1)), overwrite=True)

        rows = time_to_quality_sweep(pairs, a.sweep_weights, a.sweep_size, a.sweep_steps,
                                     a.sweep_schedules, out=out, images_dir=a.sweep_images, on_row=save)
        commands = f"`{command}`"
    caption = f"Measured {measured}: {commands} ({lines[0]})."
    if a.update_readme:
        update_readme(a.update_readme, "\n".join([caption, ""] + lines[1:]), "sweep")
    return 0


def _without_images(rows: list[dict]) -> list[dict]:
    return [{**r, "runs": [{k: v for k, v in run.items() if k != "image"} for run in r["runs"]]}
            for r in rows]


def _read_json(path, keys, made_by: str) -> dict:
    """The dict of an earlier ``bench`` JSON file, or a ValueError that says what is wrong with it."""
    from pathlib import Path

    path = Path(path)
    if path.exists() and not path.is_file():  # a folder, or a pipe that would wait forever
        raise ValueError(f"--from-json {path} is not a regular file; give the file --json wrote.")
    try:
        res = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"--from-json {path}: no such file.") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ValueError(f"--from-json {path}: cannot read it ({getattr(e, 'strerror', None) or e}).") \
            from None
    except json.JSONDecodeError as e:
        raise ValueError(f"--from-json {path} is not valid JSON (line {e.lineno}: {e.msg}).") from None
    if not isinstance(res, dict) or any(k not in res for k in keys):
        raise ValueError(f"--from-json {path} was not written by `nst-course bench {made_by} FILE`.")
    return res


def _check_args(a) -> None:
    """Sizes, steps, rounds and the JSON path, checked before minutes of benchmarking. The
    memory checks import PyTorch (through :mod:`~nst_course.budget`): they come last, and
    ``--sizes`` is checked only when it is measured (not with ``--from-json`` or ``--sweep``)."""
    import math

    from ..files import check_writable
    from ..validate import MIN_SIDE

    if a.allocator and (a.sweep or a.from_json or a.markdown or a.update_readme):
        raise ValueError("--allocator prints its own measurement; it does not combine with --sweep, "
                         "--from-json, --markdown or --update-readme.")
    for flag in ("steps", "rounds"):
        if getattr(a, flag) < 1:
            raise ValueError(f"--{flag} must be at least 1, got {getattr(a, flag)}.")
    sweeping = a.sweep and not a.from_json
    if sweeping:
        if a.sweep_images:
            Path(a.sweep_images).mkdir(parents=True, exist_ok=True)
        for pair in a.sweep_pairs:
            if pair.count(":") != 1 or not all(pair.split(":")):
                raise ValueError(f"--sweep-pairs {pair!r}: give CONTENT:STYLE, e.g. astronaut:swirls.")
        if a.sweep_size < MIN_SIDE:
            raise ValueError(f"--sweep-size must be at least {MIN_SIDE} (VGG19's smallest input), "
                             f"got {a.sweep_size}.")
        if a.sweep_steps < 1:
            raise ValueError(f"--sweep-steps must be at least 1, got {a.sweep_steps}.")
        if not all(math.isfinite(w) and w > 0 for w in a.sweep_weights):
            raise ValueError("--sweep-weights must be finite numbers above 0, got "
                             + " ".join(f"{w:g}" for w in a.sweep_weights) + ".")
    if a.json:
        check_writable(a.json, force=True)
    if sweeping:
        from .. import budget

        budget.check_memory(a.sweep_size, a.sweep_size, flag="--sweep-size")
    elif not a.from_json:
        from .. import budget
        from .timing import ASPECT

        smallest = math.ceil(MIN_SIDE / ASPECT)  # the height, 3/4 of the width, needs MIN_SIDE px
        for width in a.sizes:
            if width < smallest:
                raise ValueError(f"--sizes must be at least {smallest} (the height is 3/4 of it and "
                                 f"VGG19 needs {MIN_SIDE} px), got {width}.")
            budget.check_memory(round(width * ASPECT), width, flag="--sizes")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
