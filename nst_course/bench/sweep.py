"""Time to quality: how soon a schedule's picture is as good as 300 single-scale steps (``--sweep``).

"As good": a total loss (content + weight x style, measured in float32 at full size with the
same objective) within :data:`QUALITY` of the single-scale run's final one.
"""

from __future__ import annotations

import time

SWEEP_PAIRS = (("astronaut", "swirls"), ("chelsea", "waves"))
SWEEP_WEIGHTS = (10.0, 100.0, 1000.0, 4000.0)
#: the runs measured against single-scale from the photo (``--sweep-schedules``)
SWEEP_SCHEDULES = ("adain",)
#: "as good as single-scale": a float32 total loss at most this times single-scale's final one
QUALITY = 1.05
#: the float32 total loss is measured every this many steps (and on the final image)
CHECK_EVERY = 10


def full_size_steps(stages, long_side: int, upto: int | None = None) -> float:
    """Cost of the first ``upto`` steps (default all) of ``stages`` ``[(long side, steps), ...]``
    in full-size steps: ``sum(steps * (stage size / full size)^2)``. Unlike seconds, it does not
    depend on what else runs on the machine."""
    done, cost = 0, 0.0
    for side, n in stages:
        n = n if upto is None else max(0, min(n, upto - done))
        cost += n * (side / long_side) ** 2
        done += n
    return cost


def start_cost(init: str, height: int, width: int) -> float:
    """The start image's cost in full-size steps of ``height`` x ``width``: AdaIN's conv FLOPs
    over a step's for ``init="adain"`` (about 1 at 512 px), else 0."""
    from .timing import adain_gflop, step_gflop

    if init != "adain":
        return 0.0
    return adain_gflop(height - height % 8, width - width % 8) / step_gflop(height, width)


def plan_label(schedule, long_side: int, steps: int, style_weight: float) -> str:
    """What ``stylize(schedule=schedule)`` runs for a photo of ``long_side`` px and one style
    (:func:`~nst_course.stages.auto_plan`, :func:`~nst_course.stages.schedule_sizes`), in a
    few words: ``"single"``, ``"coarse-to-fine"``, ``"AdaIN start, stop when flat"``, ..."""
    from ..stages import auto_plan, schedule_sizes

    plan = auto_plan(schedule, long_side, steps, style_weight=style_weight)
    if plan.init == "adain":
        return f"AdaIN start, {plan.steps} steps or flat"
    if plan.levels > 1:
        return f"{plan.levels}-level pyramid"
    sizes = [s for s, _ in schedule_sizes(schedule, long_side, steps)]
    if len(sizes) == 1:
        return "single"
    return "coarse-to-fine" if schedule == "coarse-to-fine" else "sizes " + ", ".join(map(str, sizes))


def time_to_quality_sweep(pairs=SWEEP_PAIRS, style_weights=SWEEP_WEIGHTS, size: int = 512,
                          steps: int = 300, schedules=SWEEP_SCHEDULES, weights: str = "gatys",
                          out=print, images_dir=None, on_row=None) -> list[dict]:
    """For each ``(content, style)`` pair and style weight: ``stylize`` single-scale from the
    photo, then with each of ``schedules`` (default ``"adain"``: AdaIN start, a share of the
    steps), ``steps`` steps at most.

    Every final image is measured with the same objective in float32 at full size, and so is
    each run's image every :data:`CHECK_EVERY` steps: when it first gets within
    :data:`QUALITY` (5 %) of the single-scale run's final total loss, that step, its seconds
    (the float32 checks taken out of the clock), the % of the single-scale time and the cost
    in full-size steps (:func:`full_size_steps` plus the start image's :func:`start_cost`,
    independent of machine load). Single-scale's own row says when 300 steps' quality was
    reached on the way. The runs of a row follow each other (compare ratios on a busy machine).
    Prints a markdown table (:func:`sweep_lines`) row by row; returns one dict per pair and
    weight: ``runs`` (single first), each with the numbers above (``images``: the pictures).
    ``images_dir``: also save each run's picture there, ``CONTENT_STYLE_WEIGHT_SCHEDULE.png``;
    ``on_row(rows)`` is called with the rows so far after each one (e.g. to save them: an
    interrupted sweep keeps its finished rows).
    About 4-8 minutes per row on a quiet 2-core CPU at 512 px / 300 steps
    (``nst-course bench --sweep``).
    """
    from ..images import load_image
    from ..vgg import load_vgg

    exact_vgg = load_vgg(weights, precision="float32")
    for line in sweep_lines([], size, steps):  # the title and the table's header
        out(line)
    rows = []
    for content_src, style_src in pairs:
        content = load_image(content_src, size)
        style = load_image(style_src, max(content.shape[-2:]))
        for w in style_weights:
            row = {"content": content_src if isinstance(content_src, str) else "tensor",
                   "style": style_src if isinstance(style_src, str) else "tensor", "style_weight": w,
                   "runs": _quality_runs(content, style, w, steps, schedules, weights, exact_vgg)}
            rows.append(row)
            for line in sweep_lines([row], size, steps)[3:]:
                out(line)
            if images_dir is not None:
                from pathlib import Path

                from ..images import save_image

                for run in row["runs"]:
                    name = f"{row['content']}_{row['style']}_{w:g}_{run['schedule']}.png"
                    save_image(run["image"], Path(images_dir) / name.replace(" ", ""))
            if on_row is not None:
                on_row(rows)
    return rows


def _quality_runs(content, style, w, steps, schedules, weights, exact_vgg) -> list[dict]:
    """The runs of one row of :func:`time_to_quality_sweep`: single-scale, then ``schedules``."""
    import torch

    from ..objective import Objective
    from ..optimize import stylize
    from ..stages import auto_plan, schedule_sizes

    exact = Objective(exact_vgg, content, style, style_weight=w)
    h, wd = content.shape[-2:]
    long = max(h, wd)

    def float32_losses(img):
        with torch.no_grad():
            _, parts = exact(img)
        return {k: parts[k].item() for k in ("content", "style", "total")}

    runs = []
    for schedule in ("single", *schedules):
        checks, clock = [], {"seconds": 0.0}

        def cb(rec, img, checks=checks, clock=clock):
            if rec.step % CHECK_EVERY == 0 and img.shape[-2:] == content.shape[-2:]:
                t = time.perf_counter()
                checks.append((rec.step, rec.seconds - clock["seconds"], float32_losses(img)["total"]))
                clock["seconds"] += time.perf_counter() - t

        # the paper's weighting (as the objective that measures it): the table's weights are beta
        result = stylize(content, style, steps=steps, style_weight=w, weights=weights,
                         style_calibration="none", schedule=schedule, callback=cb,
                         callback_every=1, progress=False)
        plan = auto_plan(schedule, long, steps, style_weight=w)
        stages = schedule_sizes(schedule, long, plan.steps)
        extra = start_cost(plan.init, h, wd)
        done = result.history[-1].step if result.history else 0
        final = float32_losses(result.image)
        seconds = result.seconds - clock["seconds"]
        checks = [c for c in checks if c[0] != done] + [(done, seconds, final["total"])]  # the image returned
        runs.append({"schedule": schedule if isinstance(schedule, str) else list(schedule),
                     "plan": plan_label(schedule, long, steps, w), "steps": done, "stopped": result.stopped,
                     "seconds": seconds, "full_size_steps": extra + full_size_steps(stages, long, done),
                     **final, "checks": checks, "start_cost": extra, "stages": stages,
                     "image": result.image})
    reference = runs[0]["total"]
    for run in runs:
        hit = next(((s, t) for s, t, total in run["checks"] if total <= QUALITY * reference), None)
        run.update(reached_step=hit and hit[0], reached_seconds=hit and hit[1],
                   reached_fraction=hit and hit[1] / runs[0]["seconds"],
                   reached_full_size_steps=hit and run["start_cost"] + full_size_steps(
                       run["stages"], long, hit[0]))
    return runs


#: the columns of the sweep's table
SWEEP_HEADER = ("content × style", "style weight", "run", "steps", "s", "% of single's time",
                "full-size steps", "content", "style", "total", "total / single's",
                f"within {100 * (QUALITY - 1):.0f} % of single's total at")


def sweep_lines(rows: list[dict], size: int, steps: int) -> list[str]:
    """The sweep's markdown: a title line, the table's header, a line per run of each row of
    :func:`time_to_quality_sweep` (or of its JSON): single-scale first, then the others."""
    lines = [f"time to quality at {size} px: {steps} single-scale steps from the photo against "
             f"other schedules ({steps} steps at most; the paper's weighting, style_calibration='none'; "
             "losses measured in float32 at full size)",
             "| " + " | ".join(SWEEP_HEADER) + " |", "|" + "---|" * len(SWEEP_HEADER)]
    for row in rows:
        single = row["runs"][0]
        for k, run in enumerate(row["runs"]):
            reached = (f"step {run['reached_step']}, {run['reached_seconds']:.1f} s "
                       f"({100 * run['reached_fraction']:.0f} %), "
                       f"{run['reached_full_size_steps']:.0f} full-size steps"
                       if run["reached_step"] else "never")
            name = ("single" if k == 0 else f"`{run['schedule']}`: {run['plan']}"
                    if run["schedule"] in ("auto", "adain", "pyramid") else f"`{run['schedule']}`")
            pair = f"{row['content']} × {row['style']} | {row['style_weight']:g}" if k == 0 else " | "
            lines.append(f"| {pair} | {name} | {run['steps']} | {run['seconds']:.1f} | "
                         f"{100 * run['seconds'] / single['seconds']:.0f} % | "
                         f"{run['full_size_steps']:.0f} | {run['content']:.4g} | {run['style']:.4g} | "
                         f"{run['total']:.4g} | {run['total'] / single['total']:.3f} | {reached} |")
    return lines
