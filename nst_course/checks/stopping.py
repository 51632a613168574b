"""Lesson 06 (notebooks/06_resolution_and_regularisation.ipynb): ``check_stop_when_flat``."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

from ._core import (
    _call,
    _checker,
    _fail,
    _not_a_function,
)

# --- lesson 06: a callback that stops when the loss is flat --------------------------------------

def _says(answer) -> str:
    return "None (return True or False)" if answer is None else repr(answer)


@_checker
def check_stop_when_flat(make: Callable[[float], Callable]) -> bool:
    """Check ``make(rel_tol) -> callback(record, image) -> bool`` (notebooks/06).

    The callback must remember the losses it has seen (``record.total_loss``) and
    return True once a step lowers the loss by less than ``rel_tol`` times the
    previous loss; each call of ``make`` starts a fresh memory. Tried on the
    losses 100, 50, 40, 39.9 with ``rel_tol=0.01``: only the last says stop.
    """
    why = _not_a_function("check_stop_when_flat", make)
    if why:
        return _fail(why)
    losses, expected = (100.0, 50.0, 40.0, 39.9), [False, False, False, True]
    try:
        cb = _call(make, 0.01)
    except TypeError as e:
        return _fail(f"stop_when_flat(0.01) raised TypeError: {e}. check_stop_when_flat needs "
                     "your function itself, check_stop_when_flat(stop_when_flat), the one that "
                     "takes rel_tol and makes a callback (not a callback it made).")
    if not callable(cb):
        return _fail(f"stop_when_flat(0.01) returned a {type(cb).__name__}; return the "
                     "callback function itself (def callback(record, image): ...; return callback).")
    answers = []
    for v in losses:
        try:
            answers.append(cb(SimpleNamespace(total_loss=v, step=len(answers) + 1), None))
        except (IndexError, KeyError) as e:
            return _fail(f"your callback raised {type(e).__name__} at loss {v:g} (step "
                         f"{len(answers) + 1}): with fewer than two losses seen there is no "
                         "previous one; return False until there is.")
    if answers != expected:
        said = [bool(a) for a in answers if a is not None]
        msg = (f"for losses 100, 50, 40, 39.9 your callback said "
               f"[{', '.join(_says(a) for a in answers)}], expected {expected}")
        if any(a is None for a in answers):
            hint = "every call must return True (stop) or False (go on)."
        elif said == [False] * 4:
            hint = ("it never stopped: stop when the drop losses[-2] - losses[-1] is smaller "
                    "than rel_tol * losses[-2] (a relative tolerance, not an absolute one).")
        elif said[:3] != [False] * 3 and not said[3]:
            hint = ("it stops while the loss still falls fast and goes on when it is flat: "
                    "the comparison is the wrong way round (stop when the drop is *smaller*).")
        elif said[0]:
            hint = "the first step has no previous loss to compare with: return False."
        else:
            hint = "compare the last drop with rel_tol times the previous loss."
        return _fail(f"{msg}: {hint}")
    fresh = _call(make, 0.01)
    # a fresh callback's first answer is False; one that shares the old memory sees a flat step
    if fresh is cb or (callable(fresh) and fresh(SimpleNamespace(total_loss=39.9, step=1), None)):
        return _fail("each call of stop_when_flat must start a fresh memory of losses "
                     "(create the list inside stop_when_flat, not outside or as a default "
                     "argument).")
    print("PASS: stop_when_flat stops at the first flat step, and each run starts afresh.")
    return True
