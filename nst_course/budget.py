"""Will a run fit? Memory and time of a ``stylize`` run, estimated before it starts.

The command line refuses, in one sentence, a run that cannot fit in this
machine's memory (naming the largest size that would) and a run estimated at
more than :data:`LONG_RUN_SECONDS` unless ``--allow-long-run`` says go.

Memory: peak resident memory of a whole ``stylize`` process as measured by
``nst-course bench`` (README, "Performance"): about 0.9 GB (torch, weights)
plus 2.4 KB per pixel of the image (VGG19's activations kept for the
backward pass, L-BFGS history); above ``TILED_ABOVE`` pixels the first
blocks run in bands (:mod:`nst_course.tiled`): about 2.3 GB plus 0.45 KB per
pixel. Time: one step measured here, scaled with
:func:`nst_course.doctor.estimate_seconds`.
"""

from __future__ import annotations

import os

#: A command-line run estimated longer than this needs ``--allow-long-run``.
LONG_RUN_SECONDS = 3600.0
#: One step is timed on a square image this large (or the run's size if smaller) before a run:
#: ~0.1 s. Small images run at lower GFLOP/s, so the estimate errs on the long side.
TIMED_SIZE = 128


def estimate_bytes(height: int, width: int) -> float:
    """Peak memory (bytes) of a ``stylize`` process for an image of ``height`` x ``width``."""
    from .stages import TILED_ABOVE

    pixels = height * width
    if pixels > TILED_ABOVE:
        return 2.3e9 + 450.0 * pixels
    return 0.9e9 + 2400.0 * pixels


def available_bytes(device=None) -> float | None:
    """Memory a run may use: free GPU memory on CUDA, else the system's available RAM.

    ``None`` where it cannot be told (then nothing is refused).
    """
    import torch

    from .config import get_device

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


def largest_fitting_size(height: int, width: int, available: float) -> int | None:
    """The largest long side (px) at which an image of this shape fits in ``available`` bytes."""
    long_side, short_side = max(height, width), min(height, width)
    for size in range(long_side, 15, -max(1, long_side // 100)):
        short = max(1, round(short_side * size / long_side))
        if estimate_bytes(size, short) <= available:
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


def check_memory(height: int, width: int, device=None, flag: str = "--size") -> str:
    """Refuse an image that cannot fit in memory; return a short estimate, e.g. ``"1.2 GB"``.

    Raises:
        ValueError: one sentence with the estimate, what is available and the
            largest ``flag`` (long side) that would fit.
    """
    need, have = estimate_bytes(height, width), available_bytes(device)
    if have is not None and need > have:
        fits = largest_fitting_size(height, width, have)
        advice = f"the largest {flag} that fits is about {fits}" if fits else "close other programs"
        raise ValueError(f"a {width}x{height} run needs about {_gb(need)} of memory but only "
                         f"{_gb(have)} is available here; {advice}.")
    return f"{_gb(need)} of memory"


def check_time(height: int, width: int, steps: int, *, schedule="auto", device=None,
               weights: str = "gatys", allow_long: bool = False, flag: str = "--allow-long-run",
               seconds_per_step: float | None = None) -> float:
    """Estimated seconds of ``steps`` steps at ``height`` x ``width``; refuse a run over an hour.

    One step is timed here at :data:`TIMED_SIZE` px (or the long side if
    smaller) unless ``seconds_per_step`` (at that size) is given. Raises
    ``ValueError`` naming ``flag`` when the estimate exceeds
    :data:`LONG_RUN_SECONDS` and ``allow_long`` is false.
    """
    from . import doctor

    long_side = max(height, width)
    timed = min(TIMED_SIZE, long_side)
    if seconds_per_step is None:
        seconds_per_step = doctor.time_step(timed, repeats=1, device=device, weights=weights)
    # estimate_seconds counts square images of the long side: scale by the true pixel count
    seconds = doctor.estimate_seconds(steps, long_side, seconds_per_step, timed,
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

