"""Time to quality: single-scale against coarse-to-fine at the same steps (``--sweep``)."""

from __future__ import annotations

import time

import torch

from ..vgg import load_vgg

SWEEP_PAIRS = (("astronaut", "swirls"), ("chelsea", "waves"))
SWEEP_WEIGHTS = (10.0, 100.0, 1000.0, 4000.0)


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


def time_to_quality_sweep(pairs=SWEEP_PAIRS, style_weights=SWEEP_WEIGHTS, size: int = 512,
                          steps: int = 300, schedule="coarse-to-fine", weights: str = "gatys",
                          out=print) -> list[dict]:
    """For each ``(content, style)`` pair and style weight: ``stylize`` single-scale and with
    ``schedule`` (default ``"coarse-to-fine"``), ``steps`` steps each.

    Both final images are measured with the same objective (same weights and layers) in float32
    at full size. Reports when the ``schedule`` run first reaches the single-scale run's final
    content *and* style loss: its step, seconds (float32 checks taken out of its clock), % of the
    single-scale time and the cost in full-size steps (:func:`full_size_steps`, independent of
    machine load). Checked at every step of its full-size stage (a coarse image would have to be
    upsampled first). The goal: reached in <= 35 % of the single-scale time; where it is not,
    ``schedule="auto"`` must run single-scale (the table's last column says what it does).
    Prints a markdown table (:func:`sweep_lines`) row by row; returns one dict per run pair.
    3-7 minutes per row on a quiet 2-core CPU at 512 px / 300 steps, 50 min for the default
    8 rows (``nst-course bench --sweep``).
    """
    from ..images import load_image

    exact_vgg = load_vgg(weights, precision="float32")
    for line in sweep_lines([], size, steps, schedule):  # the title and the table's header
        out(line)
    rows = []
    for content_src, style_src in pairs:
        content = load_image(content_src, size)
        long = max(content.shape[-2:])
        style = load_image(style_src, long)
        for w in style_weights:
            row = _quality_pair(content, style, w, steps, schedule, weights, exact_vgg)
            row.update(content=content_src if isinstance(content_src, str) else "tensor",
                       style=style_src if isinstance(style_src, str) else "tensor")
            rows.append(row)
            out(sweep_lines([row], size, steps, schedule)[-1])
    return rows


def sweep_lines(rows: list[dict], size: int, steps: int, schedule: str = "coarse-to-fine",
                ) -> list[str]:
    """The sweep's markdown: a title line, the table's header, one line per row of
    :func:`time_to_quality_sweep` (or its JSON). The last column is what ``schedule="auto"``
    does at that size with the code as it is now (:func:`~nst_course.stages.schedule_sizes`)."""
    from ..stages import schedule_sizes

    lines = [f"time to quality at {size} px, {steps} steps, schedule {schedule!r} vs 'single' "
             "(losses measured in float32 at full size)",
             "| content × style | style weight | single: s | content | style | "
             f"{schedule}: s | content | style | reached single's losses | % of single's time | "
             "full-size steps to reach | `auto` runs |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        reached = (f"step {row['reached_step']}, {row['reached_seconds']:.1f} s | "
                   f"{100 * row['reached_fraction']:.0f} % | "
                   f"{row['reached_full_size_steps']:.0f} of {row['full_size_steps']:.0f}"
                   if row["reached_step"] else f"never | – | – of {row['full_size_steps']:.0f}")
        auto = "single" if len(schedule_sizes("auto", size, steps)) == 1 else "coarse-to-fine"
        lines.append(f"| {row['content']} × {row['style']} | {row['style_weight']:g} | "
                     f"{row['single_seconds']:.1f} | {row['single_content']:.4g} | "
                     f"{row['single_style']:.4g} | {row['seconds']:.1f} | {row['content_loss']:.4g} | "
                     f"{row['style_loss']:.4g} | {reached} | {auto} |")
    return lines


def _quality_pair(content, style, w, steps, schedule, weights, exact_vgg) -> dict:
    """One line of :func:`time_to_quality_sweep`: single-scale, then ``schedule``, same weight."""
    from ..objective import Objective
    from ..optimize import stylize
    from ..stages import schedule_sizes

    exact = Objective(exact_vgg, content, style, style_weight=w)

    def float32_losses(img):
        with torch.no_grad():
            _, parts = exact(img)
        return parts["content"].item(), parts["style"].item()

    kw = dict(steps=steps, style_weight=w, weights=weights, progress=False)
    single = stylize(content, style, schedule="single", **kw)
    c_ref, s_ref = float32_losses(single.image)
    hit, checking = {}, {"seconds": 0.0}

    def cb(rec, img):
        near = rec.content_loss <= 1.02 * c_ref and rec.style_loss <= 1.02 * s_ref
        if not hit and img.shape[-2:] == content.shape[-2:] and near:
            t = time.perf_counter()
            c, s = float32_losses(img)
            if c <= c_ref and s <= s_ref:
                hit.update(step=rec.step, seconds=rec.seconds - checking["seconds"])
            checking["seconds"] += time.perf_counter() - t
    ours = stylize(content, style, schedule=schedule, callback=cb, callback_every=1, **kw)
    c_end, s_end = float32_losses(ours.image)
    long = max(content.shape[-2:])
    stages = schedule_sizes(schedule, long, steps)
    return {"style_weight": w, "single_seconds": single.seconds, "single_content": c_ref,
            "single_style": s_ref, "seconds": ours.seconds - checking["seconds"], "content_loss": c_end,
            "style_loss": s_end, "stages": stages, "full_size_steps": full_size_steps(stages, long),
            "reached_step": hit.get("step"), "reached_seconds": hit.get("seconds"),
            "reached_fraction": hit["seconds"] / single.seconds if hit else None,
            "reached_full_size_steps": full_size_steps(stages, long, hit["step"]) if hit else None,
            "images": (single.image, ours.image)}
