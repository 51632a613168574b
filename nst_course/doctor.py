"""Environment check and run-time estimates (``nst-course doctor``, lesson 00).

One optimisation step = one VGG19 forward and backward pass up to conv5_1 on the
generated image. Its cost grows with the number of pixels, so a step measured
at one size predicts the others: ``t(size) ~= t(ref) * (size / ref)^2`` (the
conv FLOPs are exactly proportional to the pixels; small images run at a
lower GFLOP/s, so an estimate from a small measured size errs on the long
side). A coarse-to-fine schedule runs a third of the steps at 1/4, 1/2 and full size:
``estimate_seconds(..., schedule="coarse-to-fine")`` sums those stages, and
``schedule="auto"`` counts what ``stylize``'s default does (single-scale,
:func:`~nst_course.optimize.schedule_sizes`). The same step is what ``nst-course bench`` times.
"""

from __future__ import annotations

import time

import torch

from .budget import estimate_bytes
from .config import (
    CONTENT_LAYERS,
    STYLE_LAYERS,
    Device,
    Schedule,
    get_device,
    get_dtype,
)
from .objective import Objective
from .vgg import load_vgg
from .weights import VGG19_GATYS, bundled

#: the sizes (px) ``nst-course doctor`` prices a step and a stylize run at
REPORT_SIZES = (256, 512, 1024)


def time_step(size: int = 128, repeats: int = 3, device: Device = None, weights: str = "gatys") -> float:
    """Median seconds of one forward+backward step at ``size`` x ``size`` (after a warm-up)."""
    device = get_device(device)
    vgg = load_vgg(weights, device=device, precision="auto")  # what stylize runs
    gen = torch.Generator().manual_seed(0)
    img = torch.rand(1, 3, size, size, generator=gen).to(device)
    objective = Objective(vgg, img, img.flip(-1), content_layers=CONTENT_LAYERS,
                          style_layers=STYLE_LAYERS)
    x = img.clone().requires_grad_(True)
    times = []
    for _ in range(repeats + 1):
        t0 = time.perf_counter()
        total, _ = objective(x)
        total.backward()
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    return sorted(times[1:])[len(times[1:]) // 2]


def estimate_seconds(steps: int, size: int, seconds_per_step: float, measured_size: int,
                     schedule: Schedule = "single") -> float:
    """Seconds for ``steps`` steps at ``size`` px from one measured step at ``measured_size``.

    ``schedule`` as in :func:`~nst_course.stylize` (``"coarse-to-fine"``: its three stages);
    the default ``"single"`` counts every step at ``size``.
    """
    from .optimize import schedule_sizes

    return sum(n * seconds_per_step * (s / measured_size) ** 2
               for s, n in schedule_sizes(schedule, size, steps))


#: Full-mode optimisation work of each lesson, ``[(steps, long side in px), ...]``, for
#: :func:`lesson_minutes`. Kept next to the estimate; update it with a lesson's STEPS/SIZE.
#: Lesson 02's and 03's runs up to conv1_1 ... conv5_1 together cost about 2.2 full steps
#: per step (shallow layers are cheap); 03 adds 3 textures, a photo-style run and 2 single-layer
#: reconstructions; 04 runs ~24 60-step runs (3x5 grid, sweep, layers, quiz, answers) and 6 from noise.
LESSON_WORK = {
    "01 CNN features": [],  # forward passes only
    # 02: five reconstructions (2.2), two more conv5_1 seeds, a regularised one, two stylizations
    # and the exercises' answers (about 4.7 full steps per step)
    "02 Layer-wise reconstruction": [((2.2 + 2 + 1 + 2 + 4.7) * 150, 256)],
    "03 Gram matrices": [(2.2 * 150 + 150 + 1.8 * 150, 128), (3 * 150, 160)],
    "04 Loss weighting": [(24 * 60, 128), (3 * 100, 128), (3 * 100, 256)],
    # old 05 (1070) split at its section 6; old 06 (1370) split off its part 2 and gave 06 its
    # coarse-to-fine run (~235); estimates from the old totals, not yet re-measured per lesson
    "05 Gatys optimization": [(450, 256)],  # main run, the three starts at 160 px, 2 x 40 s budget
    "06 Resolution and regularisation": [(855, 256)],  # 512/384 px timings, coarse-to-fine, TV, seeds
    "07 Beyond Gatys": [(1000, 256)],  # colour, mask, scale, blend, AdaIN, answers
    "08 Write it yourself": [(130, 256)],  # your loop and stylize's, the answers
    "09 Train a fast network": [(300, 256)],  # + its training budget, LESSON_FIXED_MINUTES
}
#: Minutes a lesson spends on a time budget rather than on steps (lesson 09 trains for MINUTES).
LESSON_FIXED_MINUTES = {"09 Train a fast network": 10.0}


def lesson_minutes(seconds_per_step: float, measured_size: int, overhead: float = 10.0,
                   ) -> dict[str, float]:
    """Estimated full-mode minutes per lesson: :data:`LESSON_WORK` priced with one measured step
    (plus ``overhead`` seconds for loading, plotting, forward-only cells, and the time budgets of
    :data:`LESSON_FIXED_MINUTES`)."""
    return {lesson: (overhead + sum(estimate_seconds(n, s, seconds_per_step, measured_size)
                                    for n, s in work)) / 60 + LESSON_FIXED_MINUTES.get(lesson, 0.0)
            for lesson, work in LESSON_WORK.items()}


def format_minutes(minutes: float) -> str:
    """``"< 1 min"`` below a minute, else ``"~N min"`` (what the lessons and ``doctor`` print)."""
    return "< 1 min" if minutes < 1 else f"~{minutes:.0f} min"


def report(size: int = 128, seconds_per_step: float | None = None) -> str:
    """A few lines: weights, device, torch, a timed step and estimates at :data:`REPORT_SIZES`.

    ``seconds_per_step``: a step already measured at ``size`` (lesson 00 measures once and
    reuses it, so every estimate it prints agrees); ``None`` measures one here.
    """
    from .optimize import schedule_sizes

    lines = []
    try:
        path = bundled(VGG19_GATYS)
        lines.append(f"weights: bundled normalised VGG19 found and sha256-verified ({path})")
    except Exception as e:  # report, do not crash: this is the diagnosis tool
        lines.append(f"weights: PROBLEM: {e}")
        return "\n".join(lines)
    device = get_device()
    lines.append(f"device: {device} (torch {torch.__version__}, {torch.get_num_threads()} threads)")
    if get_dtype("auto", device) == torch.bfloat16:
        lines.append("precision: convolutions in bfloat16 (this processor computes it natively: "
                     "~2x faster than float32; precision='float32' turns it off)")
    else:
        lines.append("precision: convolutions in float32 (no native bfloat16 here)")
    t = time_step(size, device=device) if seconds_per_step is None else seconds_per_step
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
    lines.append("lessons in full mode: " + ", ".join(
        f"{name[:2]} {format_minutes(m)}" for name, m in lesson_minutes(t, size).items()))
    return "\n".join(lines)
