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
are process-wide. ``nst-course stylize`` sets them for the whole process
(:func:`keep_freed_memory`, via :func:`nst_course.cli.stylize.keep_freed_memory`, for images not
run in bands). In a notebook kernel (importing the package changes nothing) the optimisation
harness keeps freed memory only while a run lasts (:func:`kept_while_running`, used by
:func:`~nst_course.harness.optimize_image` for images not run in bands) and afterwards gives
the allocator back in the state glibc reaches by itself in a process that frees big tensors (an
``mmap`` threshold of 32 MB, a trim threshold of 64 MB), with the freed memory returned to the
system (``malloc_trim``). Anything but glibc (macOS, musl), and a setting someone chose in the
environment, is left as it is.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
from collections.abc import Iterator

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_MMAP_MAX = -1, -3, -4  # glibc's malloc.h
TRIM_THRESHOLD = 1 << 30  # bytes
#: glibc's defaults after a run (malloc.c): at most this many mmap'ed chunks, and the largest
#: mmap threshold its dynamic rule reaches on 64-bit (the trim threshold follows it at twice that)
DEFAULT_MMAP_MAX, DYNAMIC_MMAP_THRESHOLD_MAX = 65536, 32 << 20
#: False (or the environment's ``NST_COURSE_KEEP_MEMORY=0``): :func:`kept_while_running` leaves
#: the allocator as it is (to compare, or by choice)
KEEP_WHILE_RUNNING = True
_process_wide = False  # keep_freed_memory() took: a run leaves the setting as it is


def _libc():
    """glibc's ``mallopt`` and ``malloc_trim``, or None where there is no glibc or where the
    environment already tunes ``malloc`` (a setting someone chose is theirs)."""
    if "glibc.malloc" in os.environ.get("GLIBC_TUNABLES", "") or any(
            name in os.environ for name in ("MALLOC_MMAP_MAX_", "MALLOC_TRIM_THRESHOLD_")):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt.argtypes, libc.mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
        libc.malloc_trim.argtypes, libc.malloc_trim.restype = [ctypes.c_size_t], ctypes.c_int
    except (OSError, AttributeError):
        return None
    return libc


def _keep(libc) -> bool:
    """Both settings, or neither: where ``mallopt`` refuses the second, the first is undone."""
    if not libc.mallopt(M_MMAP_MAX, 0):
        return False
    if libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD):
        return True
    libc.mallopt(M_MMAP_MAX, DEFAULT_MMAP_MAX)  # glibc's default; the threshold stays dynamic
    return False


def _defaults(libc) -> None:
    """glibc's state after a run that freed big tensors (this module's docstring)."""
    libc.mallopt(M_MMAP_MAX, DEFAULT_MMAP_MAX)
    libc.mallopt(M_MMAP_THRESHOLD, DYNAMIC_MMAP_THRESHOLD_MAX)
    libc.mallopt(M_TRIM_THRESHOLD, 2 * DYNAMIC_MMAP_THRESHOLD_MAX)


def keep_freed_memory() -> bool:
    """Set glibc ``malloc`` to keep freed memory for reuse until the process ends (this module's
    docstring).

    Returns True if both settings took, False where there is no glibc or where the environment
    already tunes ``malloc`` (``GLIBC_TUNABLES`` naming ``glibc.malloc``, or ``MALLOC_MMAP_MAX_``
    / ``MALLOC_TRIM_THRESHOLD_``): a setting someone chose is theirs. Call it before the big
    tensors are made; memory already given out is unaffected.
    """
    global _process_wide
    libc = _libc()
    _process_wide = libc is not None and _keep(libc)
    return _process_wide


@contextlib.contextmanager
def kept_while_running(wanted: bool = True) -> Iterator[bool]:
    """Keep freed memory while the ``with`` block runs (one optimisation), then give the
    allocator back: glibc's defaults for ``mmap`` with the threshold its dynamic rule reaches
    (:data:`DYNAMIC_MMAP_THRESHOLD_MAX`), and the memory freed during the run returned to the
    system (``malloc_trim(0)``), also after an exception or Ctrl-C.

    Yields True if the settings took; False (nothing changed) when ``wanted`` is False,
    :data:`KEEP_WHILE_RUNNING` is False or ``NST_COURSE_KEEP_MEMORY`` is ``0``,
    :func:`keep_freed_memory` already holds for the process, or :func:`_libc` finds no glibc or
    a setting in the environment.
    """
    on = wanted and KEEP_WHILE_RUNNING and os.environ.get("NST_COURSE_KEEP_MEMORY", "1") != "0"
    libc = _libc() if on and not _process_wide else None
    if libc is None or not _keep(libc):
        yield False
        return
    try:
        yield True
    finally:
        _defaults(libc)
        libc.malloc_trim(0)
