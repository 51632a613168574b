"""Ctrl-C during a long run: the first one stops it, the later ones are ignored until it returns.

A run (:func:`~nst_course.harness.optimize_image`, :func:`~nst_course.training.train`, the
video loop) catches the first ``KeyboardInterrupt`` and returns what it has: the best image,
the finished frames, a saved network. A second Ctrl-C pressed while that happens (an impatient
learner, the notebook's interrupt button twice) would land in the unwinding, where an
interrupted ``__del__`` prints "Exception ignored in ...", or in the final save, or lose the
result on its way out. Inside :func:`first_interrupt_only` it cannot.

The first Ctrl-C is handled as before (the handler that was there runs: Python's raises
``KeyboardInterrupt``); from that moment ``SIGINT`` is ignored until the ``with`` block ends,
and then the handler that was there is put back. Nested blocks are one block: the outermost
decides (a stylize of several stages holds a later Ctrl-C until the last stage has returned).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator


@contextlib.contextmanager
def first_interrupt_only() -> Iterator[None]:
    """Within the block, the first Ctrl-C interrupts and every later one is ignored.

    Does nothing outside the main thread (only it receives signals), over a handler that is not
    a Python function (``SIG_IGN``, ``SIG_DFL``: nothing to interrupt), or inside another such
    block (which already holds the signal).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    if not callable(previous) or getattr(previous, "_first_only", False):
        yield
        return

    def first(signum, frame):
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        previous(signum, frame)

    first._first_only = True
    signal.signal(signal.SIGINT, first)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
