"""Checker for lesson 09's exercise: after how many photos does training pay off?

``break_even(train_seconds, gatys_seconds, net_seconds) -> int``: the smallest number of
photos ``n`` for which ``n`` Gatys runs cost at least the training plus ``n`` network
passes, ``train + n * net <= n * gatys``. The checker tries a few cases and, when
something is off, names the mistake (the network's own time forgotten, rounded down
instead of up, a float instead of a count, no answer when the network is not faster).
Used in notebooks/09_train_a_fast_network.ipynb. Kept apart from :mod:`nst_course.checks`
(which is being split) until the lead files it there.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from ._core import _call, _checker, _fail, _not_a_function

__all__ = ["check_break_even", "reference_break_even"]


def reference_break_even(train_seconds: float, gatys_seconds: float, net_seconds: float
                         ) -> int | None:
    """Smallest ``n`` with ``train + n * net <= n * gatys``; None if the network is not faster."""
    saved = gatys_seconds - net_seconds
    if saved <= 0:
        return None
    return max(1, math.ceil(train_seconds / saved))


@_checker
def check_break_even(fn: Callable[[float, float, float], int]) -> bool:
    """Check ``fn(train_seconds, gatys_seconds, net_seconds) -> int`` on four cases."""
    why = _not_a_function("check_break_even", fn)
    if why:
        return _fail(why)
    cases = [(50.0, 4.0, 1.0), (600.0, 60.0, 0.5), (100.0, 10.0, 0.0), (7.0, 2.0, 0.25)]
    for train_s, gatys_s, net_s in cases:
        expected = reference_break_even(train_s, gatys_s, net_s)
        got = _call(fn, train_s, gatys_s, net_s)
        label = f"break_even({train_s:g}, {gatys_s:g}, {net_s:g})"
        if isinstance(got, float) and not float(got).is_integer():
            return _fail(f"{label} returned {got:.3f}: a number of photos is a whole number; "
                         "round up (math.ceil), since a part of a photo saves nothing.")
        if not isinstance(got, int | float):
            return _fail(f"{label} returned a {type(got).__name__}; return a whole number of photos.")
        got = int(got)
        if got == expected:
            continue
        if net_s > 0 and got == math.ceil(train_s / gatys_s):
            hint = ("you divided by the Gatys time alone: each photo also costs the network's "
                    "pass, so it saves gatys_seconds - net_seconds.")
        elif got == math.floor(train_s / (gatys_s - net_s)):
            hint = ("rounded down: after that many photos the saving is still a little short "
                    "of the training time; round up (math.ceil).")
        else:
            hint = "the saving per photo is gatys_seconds - net_seconds; divide the training time by it."
        return _fail(f"{label} returned {got}, expected {expected}: {hint}")
    print(f"OK: break_even agrees with the reference on {len(cases)} cases "
          "(the saving per photo is the Gatys time minus the network's, rounded up).")
    return True
