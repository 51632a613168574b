"""The C allocator's settings for a process that runs one long optimisation: keep freed memory.

A step at 512 px allocates and frees dozens of activations and gradients of 1-50 MB. glibc's
``malloc`` hands each one over 32 MB (and, by default, many smaller ones) to the system with
``mmap`` and gives it back with ``munmap`` when PyTorch frees it, so the next step's tensor of
the same size arrives as fresh pages: a page fault per 4 KB on first touch, 110,000-130,000 a
step at 512 x 384. Two settings (``mallopt``) make ``malloc`` keep that memory in its heap for
the next step instead:

- ``M_MMAP_MAX = 0``: no allocation is served by ``mmap``; all come from the heap;
- ``M_TRIM_THRESHOLD = 1 GiB``: the heap's free top is not given back until it exceeds 1 GiB.

``nst-course bench --allocator`` measures it in fresh processes, interleaved (README,
"Performance"): a quarter to a sixth of the page faults; steps 0.96x as long at 512 px and 0.82x
at 1024 px in float32, 0.5-0.8x in bfloat16 (shorter steps, so the faults weigh more: 62-64 % of
the conv peak instead of 34-38 % on a machine where they cost much); peak memory 1.09-1.20x over
7 steps (1.01x over 60 at 512 px), and 1.6x where the first blocks run in bands. The settings
are process-wide and last until the process ends, so only ``nst-course stylize`` sets them
(:func:`nst_course.cli.stylize.keep_freed_memory`, for images not run in bands); importing the
package does not: a learner's notebook kernel keeps the allocator it started with. Anything but
glibc (macOS, musl) is left as it is.
"""

from __future__ import annotations

import ctypes
import os

M_TRIM_THRESHOLD, M_MMAP_MAX = -1, -4  # glibc's malloc.h
TRIM_THRESHOLD = 1 << 30  # bytes


def keep_freed_memory() -> bool:
    """Set glibc ``malloc`` to keep freed memory for reuse (this module's docstring).

    Returns True if both settings took, False where there is no glibc or where the environment
    already tunes ``malloc`` (``GLIBC_TUNABLES`` naming ``glibc.malloc``, or ``MALLOC_MMAP_MAX_``
    / ``MALLOC_TRIM_THRESHOLD_``): a setting someone chose is theirs. Call it before the big
    tensors are made; memory already given out is unaffected.
    """
    if "glibc.malloc" in os.environ.get("GLIBC_TUNABLES", "") or any(
            name in os.environ for name in ("MALLOC_MMAP_MAX_", "MALLOC_TRIM_THRESHOLD_")):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(M_MMAP_MAX, 0)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
