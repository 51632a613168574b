"""Environment check (``nst-course doctor``, lesson 00): are the weights there and verified,
which device and precision runs, and what a run costs here (priced by :mod:`nst_course.budget`).
"""

from __future__ import annotations

import torch

from .budget import (
    TIMED_SIZE,
    estimate_bytes,
    estimate_mode,
    estimate_seconds,
    format_minutes,
    lesson_minutes,
    measured_step,
    time_step,
)
from .config import get_device, get_dtype
from .stages import schedule_sizes
from .weights import VGG19_GATYS, bundled

#: the sizes (px) ``nst-course doctor`` prices a step and a stylize run at
REPORT_SIZES = (256, 512, 1024)


def diagnose(size: int = TIMED_SIZE, seconds_per_step: float | None = None) -> tuple[str, bool]:
    """``(report, ok)``: a few lines (weights, device, torch, a timed step and estimates at
    :data:`REPORT_SIZES`) and whether everything needed is in place (False: the weights are
    missing or fail their check; the report says why).

    ``seconds_per_step``: a step already measured at ``size`` (lesson 00 measures once and
    reuses it, so every estimate it prints agrees); ``None``: :func:`~nst_course.budget.measured_step`,
    the one measurement every lesson's setup cell prices with too. The lesson line prices the
    running mode (demo mode: demo mode's work).
    """
    lines = []
    try:
        path = bundled(VGG19_GATYS)
        lines.append(f"weights: bundled normalised VGG19 found and sha256-verified ({path})")
    except Exception as e:  # report, do not crash: this is the diagnosis tool
        lines.append(f"weights: PROBLEM: {e}")
        return "\n".join(lines), False
    device = get_device()
    lines.append(f"device: {device} (torch {torch.__version__}, {torch.get_num_threads()} threads)")
    if get_dtype("auto", device) == torch.bfloat16:
        lines.append("precision: convolutions in bfloat16 (this processor computes it natively: "
                     "~2x faster than float32; precision='float32' turns it off)")
    else:
        lines.append("precision: convolutions in float32 (no native bfloat16 here)")
    if seconds_per_step is not None:
        t = seconds_per_step
    else:
        t = measured_step(device) if size == TIMED_SIZE else time_step(size, device=device)
    lines.append(f"one step at {size}x{size}: {t:.3f} s")
    for s in REPORT_SIZES:
        per = estimate_seconds(1, s, t, size)
        total = estimate_seconds(300, s, t, size, schedule="auto")
        how = "single scale" if len(schedule_sizes("auto", s, 300)) == 1 else "coarse-to-fine"
        coarse = estimate_seconds(300, s, t, size, schedule="coarse-to-fine")
        lines.append(f"estimate at {s}x{s}: {per:.2f} s/step at full size; "
                     f"stylize's 300 steps, {how} ~ {total / 60:.1f} min "
                     f"(schedule='coarse-to-fine' ~ {coarse / 60:.1f} min), "
                     f"~{estimate_bytes(s, s) / 1e9:.1f} GB of memory")
    mode = estimate_mode()
    lines.append(f"lessons in {mode} mode: " + ", ".join(
        f"{name[:2]} {format_minutes(m)}" for name, m in lesson_minutes(t, size, mode=mode).items()))
    return "\n".join(lines), True


def report(size: int = TIMED_SIZE, seconds_per_step: float | None = None) -> str:
    """The text of :func:`diagnose` (what lesson 00 prints)."""
    return diagnose(size, seconds_per_step)[0]
