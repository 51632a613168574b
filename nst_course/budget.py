"""Will a run fit? Memory and time of a ``stylize`` run, estimated before it starts.

The command line refuses, in one sentence, a run that cannot fit in this
machine's memory (naming the largest size that would) and a run estimated at
more than :data:`LONG_RUN_SECONDS` unless ``--allow-long-run`` says go.

Memory: peak resident memory of a whole ``stylize`` process as measured by
``nst-course bench`` (README, "Performance"): about 1 GB (torch, weights)
plus 3.2 KB per pixel of the image (VGG19's activations kept for the backward
pass and what the allocator keeps for the next step while a run lasts,
:mod:`nst_course.allocator`) plus the L-BFGS history once it is full
(:func:`~nst_course.loop.lbfgs_history`: 236 MB at 512x384, 400 MB from about
667x500 on); above ``TILED_ABOVE`` pixels the first
blocks run in bands (:mod:`nst_course.tiled`): about 2.3 GB plus 0.45 KB per
pixel. Time: one step measured here (:func:`time_step`), scaled with the number of pixels
(:func:`estimate_seconds`): ``t(size) ~= t(ref) * (size / ref)^2`` (the conv FLOPs are
exactly proportional to the pixels; small images run at a lower GFLOP/s, so an estimate
from a small measured size errs on the long side). A coarse-to-fine schedule sums its
stages. One step is measured once per process (:func:`measured_step`); every lesson's setup
cell (:func:`lesson_estimate`), lesson 00 and ``nst-course doctor`` price each lesson's work
(:data:`LESSON_WORK`, :data:`DEMO_WORK` in demo mode) with it in :func:`lesson_minutes`.
"""

from __future__ import annotations

import os
import time

import torch

from .config import CONTENT_LAYERS, STYLE_LAYERS, Device, Schedule, get_device, mode
from .loop import lbfgs_history
from .objective import Objective
from .stages import TILED_ABOVE, schedule_sizes
from .vgg import Weights, load_vgg

#: A command-line run estimated longer than this needs ``--allow-long-run``.
LONG_RUN_SECONDS = 3600.0
#: One step is timed on a square image this large (or the run's size if smaller) before a run:
#: ~0.1 s. Small images run at lower GFLOP/s, so the estimate errs on the long side.
TIMED_SIZE = 128


def estimate_bytes(height: int, width: int) -> float:
    """Peak memory (bytes) of a ``stylize`` process for an image of ``height`` x ``width``."""
    pixels = height * width
    if pixels > TILED_ABOVE:
        return 2.3e9 + 450.0 * pixels
    image = 3 * 4 * pixels  # float32 RGB
    return 1.0e9 + 3200.0 * pixels + 2 * image * lbfgs_history(image)


def estimate_forward_bytes(height: int, width: int) -> float:
    """Peak memory (bytes) of one forward pass without gradients at ``height`` x ``width``:
    ``adain`` (VGG19 to relu4_1 and its decoder) and ``apply`` (a trained network).

    A few float32 maps of 64 channels live at full size at once (~400 B per pixel: ``adain
    --size 8000`` grew to about 24 GB), plus the process itself (torch, the weights).
    """
    return 0.6e9 + 400.0 * height * width


#: parameters of a fast style network per width**2 (424,899 at ``--width 16``; the convolutions,
#: which dominate, grow with the square of the width)
_NET_PARAMETERS_PER_WIDTH2 = 424_899 / 16**2


def estimate_train_bytes(size: int, batch_size: int = 4, net_width: int = 16) -> float:
    """Peak memory (bytes) of ``train``: VGG19's forward and backward on ``batch_size`` crops of
    ``size`` x ``size`` (as :func:`estimate_bytes` per pixel), the network's own maps (~80 B per
    pixel per channel of width) and its parameters with gradients and Adam's two moments."""
    pixels = batch_size * size * size
    parameters = _NET_PARAMETERS_PER_WIDTH2 * net_width**2
    return 0.9e9 + pixels * (2400.0 + 80.0 * net_width) + 16.0 * parameters


def check_train_memory(size: int, batch_size: int, net_width: int, device: Device = None) -> str:
    """Refuse a ``train`` run that cannot fit (one sentence naming the option to lower);
    return the estimate, e.g. ``"1.2 GB of memory"``."""
    need, have = estimate_train_bytes(size, batch_size, net_width), available_bytes(device)
    if have is None or need <= have:
        return f"{_gb(need)} of memory"
    if 16.0 * _NET_PARAMETERS_PER_WIDTH2 * net_width**2 + 0.9e9 > have:
        advice = "use a smaller --width (16 is the default)"
    else:
        fits = next((s for s in range(size, 31, -max(1, size // 100))
                     if estimate_train_bytes(s, batch_size, net_width) <= have), None)
        advice = (f"use --size {fits} or less, or a smaller --batch-size" if fits
                  else "use a smaller --batch-size or --width")
    raise ValueError(f"training {batch_size} crops of {size}x{size} px with --width {net_width} "
                     f"needs about {_gb(need)} of memory but only {_gb(have)} is available here; "
                     f"{advice}.")


def available_bytes(device: Device = None) -> float | None:
    """Memory a run may use: free GPU memory on CUDA, else the system's available RAM.

    ``None`` where it cannot be told (then nothing is refused).
    """
    device = get_device(device)
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return float(free)
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024.0
    except OSError:
        pass
    try:
        return float(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def largest_fitting_size(height: int, width: int, available: float,
                         estimate=estimate_bytes) -> int | None:
    """The largest long side (px) at which an image of this shape fits in ``available`` bytes
    (by ``estimate(height, width)``, default :func:`estimate_bytes`)."""
    long_side, short_side = max(height, width), min(height, width)
    for size in range(long_side, 15, -max(1, long_side // 100)):
        short = max(1, round(short_side * size / long_side))
        if estimate(size, short) <= available:
            return size
    return None


def _gb(x: float) -> str:
    return f"{x / 1e9:.1f} GB"


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def check_memory(height: int, width: int, device: Device = None, flag: str = "--size",
                 estimate=estimate_bytes) -> str:
    """Refuse an image that cannot fit in memory; return a short estimate, e.g. ``"1.2 GB"``.

    ``estimate(height, width)`` gives the bytes (default :func:`estimate_bytes`, a ``stylize``
    run; :func:`estimate_forward_bytes` for one pass without gradients).

    Raises:
        ValueError: one sentence with the estimate, what is available and the
            largest ``flag`` (long side) that would fit.
    """
    need, have = estimate(height, width), available_bytes(device)
    if have is not None and need > have:
        fits = largest_fitting_size(height, width, have, estimate)
        advice = f"the largest {flag} that fits is about {fits}" if fits else "close other programs"
        raise ValueError(f"a {width}x{height} run needs about {_gb(need)} of memory but only "
                         f"{_gb(have)} is available here; {advice}.")
    return f"{_gb(need)} of memory"


def check_time(height: int, width: int, steps: int, *, schedule: Schedule = "auto", device: Device = None,
               weights: Weights = "gatys", allow_long: bool = False, flag: str = "--allow-long-run",
               seconds_per_step: float | None = None) -> float:
    """Estimated seconds of ``steps`` steps at ``height`` x ``width``; refuse a run over an hour.

    One step is timed here at :data:`TIMED_SIZE` px (or the long side if
    smaller) unless ``seconds_per_step`` (at that size) is given. Raises
    ``ValueError`` naming ``flag`` when the estimate exceeds
    :data:`LONG_RUN_SECONDS` and ``allow_long`` is false.
    """
    long_side = max(height, width)
    timed = min(TIMED_SIZE, long_side)
    if seconds_per_step is None:
        seconds_per_step = time_step(timed, repeats=1, device=device, weights=weights)
    # estimate_seconds counts square images of the long side: scale by the true pixel count
    seconds = estimate_seconds(steps, long_side, seconds_per_step, timed,
                                      schedule=schedule) * (height * width) / long_side**2
    if seconds > LONG_RUN_SECONDS and not allow_long:
        raise ValueError(f"this run is estimated at {_duration(seconds)} ({steps} steps at "
                         f"{width}x{height} on this machine), more than "
                         f"{_duration(LONG_RUN_SECONDS)}; add {flag} to start it anyway, or use "
                         "fewer --steps, a smaller --size"
                         + ("" if schedule == "coarse-to-fine" else " or --schedule coarse-to-fine")
                         + ".")
    return seconds


def describe(seconds: float, memory: str) -> str:
    """``"about 3 min and 1.2 GB of memory"``."""
    return f"about {_duration(seconds)} and {memory}"


def time_step(size: int = 128, repeats: int = 3, device: Device = None, weights: Weights = "gatys") -> float:
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
    return sum(n * seconds_per_step * (s / measured_size) ** 2
               for s, n in schedule_sizes(schedule, size, steps))


#: Full-mode optimisation work of each lesson, ``[(steps, long side in px), ...]``, for
#: :func:`lesson_minutes`. Kept next to the estimate; update it with a lesson's STEPS/SIZE.
#: Lesson 02's and 03's runs up to conv1_1 ... conv5_1 together cost about 2.2 full steps
#: per step (shallow layers are cheap); 03 adds 3 textures, a photo-style run and 2 single-layer
#: reconstructions; 04 runs ~24 60-step runs (3x5 grid, sweep, layers, quiz, answers) and 6 from noise.
LESSON_WORK = {
    "00 Start here": [(5 * 60, 160)],  # one stylization and four more in the answers (STEPS, SIZE)
    "01 CNN features": [(2 * 2.2 * 150, 128)],  # two sorting rounds of five reconstructions (2.2 each)
    # 02: five reconstructions (2.2), two more conv5_1 seeds, a regularised one, two stylizations
    # and the exercises' answers (about 4.7 full steps per step)
    "02 Layer-wise reconstruction": [((2.2 + 2 + 1 + 2 + 4.7) * 150, 256)],
    "03 Gram matrices": [(2.2 * 150 + 150 + 1.8 * 150, 128), (3 * 150, 160)],
    "04 Loss weighting": [(24 * 60, 128), (3 * 100, 128), (3 * 100, 256)],
    # old 05 (1070) split at its section 6; old 06 (1370) split off its part 2 and gave 06 its
    # coarse-to-fine run (~235); estimates from the old totals, not yet re-measured per lesson
    # + every bundled painting twice (paper's weighting, calibrated): 10 x 60 steps at 160 px
    "05 Gatys optimization": [(450, 256), (10 * 60, 160)],  # main run, the starts, 2 x 40 s budget
    "06 Resolution and regularisation": [(855, 256)],  # 512/384 px timings, coarse-to-fine, TV, seeds
    "07 Beyond Gatys": [(1000, 256)],  # colour, mask, scale, blend, AdaIN, answers
    "08 Write it yourself": [(130, 256)],  # your loop and stylize's, the answers
    "09 Train a fast network": [(300, 256)],  # + its training budget, LESSON_FIXED_MINUTES
    # 10: (a) 5 frames x 80 steps, (b) and (c) 80 + 4 x 25 steps each, on 128 x 96 frames (3:4):
    # 3/4 of a 128 px square's pixels
    "10 Video": [(0.75 * (5 * 80 + 2 * (80 + 4 * 25)), 128)],
}
#: The same in demo mode (``NST_COURSE_MODE=demo``): each lesson's ``pick(..., demo=...)`` steps
#: and sizes; the lump sums of 05-09 scaled by their main STEPS and SIZE (demo / full).
DEMO_WORK = {
    "00 Start here": [(5 * 40, 128)],
    "01 CNN features": [(2 * 2.2 * 60, 96)],
    "02 Layer-wise reconstruction": [((2.2 + 2 + 1 + 2 + 4.7) * 150, 128)],
    "03 Gram matrices": [(2.2 * 60 + 60 + 1.8 * 60, 128), (3 * 60, 112)],
    "04 Loss weighting": [(24 * 30, 128), (3 * 80, 96), (3 * 80, 192)],
    "05 Gatys optimization": [(450 * 80 / 120, 128)],
    # 06: the 128-512 px timings are the same in demo mode; the comparisons' steps 60 -> 40
    "06 Resolution and regularisation": [(855 * 40 / 60, 256)],
    "07 Beyond Gatys": [(1000 * 50 / 80, 128)],
    "08 Write it yourself": [(130 * 50 / 80, 128)],
    "09 Train a fast network": [(100, 128)],
    "10 Video": [(0.75 * (5 * 60 + 2 * (60 + 4 * 20)), 96)],
}
#: Minutes a lesson spends on a time budget rather than on steps (lesson 09 trains for MINUTES).
LESSON_FIXED_MINUTES = {"09 Train a fast network": 10.0}
DEMO_FIXED_MINUTES = {"09 Train a fast network": 4.0}

_MEASURED: dict = {}


def measured_step(device: Device = None, weights: Weights = "gatys") -> float:
    """Seconds of one step at :data:`TIMED_SIZE` px here, timed once per process (the first call,
    about a second) and reused: every lesson's setup cell, lesson 00 and ``nst-course doctor``
    price their runs from this one measurement, so no two of them disagree. In fast mode (the
    tests, which run every lesson twice) one timed step after the warm-up instead of three."""
    key = (str(get_device(device)), weights)
    if key not in _MEASURED:
        _MEASURED[key] = time_step(TIMED_SIZE, repeats=1 if mode() == "fast" else 3, device=device,
                                   weights=weights)
    return _MEASURED[key]


def estimate_mode() -> str:
    """The mode the estimates price: ``"demo"`` in demo mode, else ``"full"`` (fast mode is the
    tests': its lessons still print full mode's minutes)."""
    return "demo" if mode() == "demo" else "full"


def lesson_minutes(seconds_per_step: float, measured_size: int = TIMED_SIZE, overhead: float = 10.0,
                   mode: str = "full") -> dict[str, float]:
    """Estimated minutes per lesson in ``mode`` (``"full"`` or ``"demo"``): :data:`LESSON_WORK`
    (or :data:`DEMO_WORK`) priced with one measured step (plus ``overhead`` seconds for loading,
    plotting, forward-only cells, and the time budgets of :data:`LESSON_FIXED_MINUTES`)."""
    if mode not in ("full", "demo"):
        raise ValueError(f"mode must be 'full' or 'demo', not {mode!r}.")
    work, fixed = ((LESSON_WORK, LESSON_FIXED_MINUTES) if mode == "full"
                   else (DEMO_WORK, DEMO_FIXED_MINUTES))
    return {lesson: (overhead + sum(estimate_seconds(n, s, seconds_per_step, measured_size)
                                    for n, s in work[lesson])) / 60 + fixed.get(lesson, 0.0)
            for lesson in work}


def lesson_estimate(lesson: str, seconds_per_step: float | None = None,
                    fixed_minutes: float | None = None) -> str:
    """The line a lesson's setup cell prints, e.g. ``"one step at 128 px: 0.120 s here -> lesson
    05's runs: ~11 min in full mode (the estimate nst-course doctor prints too)"``.

    ``lesson``: its number (``"05"``); ``seconds_per_step`` at :data:`TIMED_SIZE` (default
    :func:`measured_step`); the mode is the running one (:func:`estimate_mode`);
    ``fixed_minutes`` replaces the lesson's time budget (lesson 09's ``MINUTES``).
    """
    sec = measured_step() if seconds_per_step is None else seconds_per_step
    mode = estimate_mode()
    name = next((n for n in LESSON_WORK if n[:2] == lesson), None)
    if name is None:
        raise ValueError(f"no lesson {lesson!r} in budget.LESSON_WORK; give its number, e.g. '05'.")
    minutes = lesson_minutes(sec, TIMED_SIZE, mode=mode)[name]
    if fixed_minutes is not None:
        fixed = (LESSON_FIXED_MINUTES if mode == "full" else DEMO_FIXED_MINUTES).get(name, 0.0)
        minutes += fixed_minutes - fixed
    return (f"one step at {TIMED_SIZE} px: {sec:.3f} s here -> lesson {lesson}'s runs: "
            f"{format_minutes(minutes)} in {mode} mode (the estimate nst-course doctor prints too)")


def format_minutes(minutes: float) -> str:
    """``"< 1 min"`` below a minute, else ``"~N min"`` (what the lessons and ``doctor`` print)."""
    return "< 1 min" if minutes < 1 else f"~{minutes:.0f} min"
