"""The machinery every checker shares: comparing (``cmp``, ``rel_error``), calling the learner's
function safely (a stub is "not yet solved", a crash one sentence), and a generic loss check."""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import threading
from collections.abc import Callable

import torch

NOT_SOLVED = "not yet solved: fill in the function, run its cell, then run this check again."


class _Stub(Exception):
    """The learner's function is still a stub."""


class _TimeUp(BaseException):
    """The learner's code ran past the time limit (a BaseException: their ``except Exception``
    does not swallow it)."""


def time_limit_seconds() -> float:
    """How long a checker lets the learner's code run on its tiny inputs: 30 s, or
    ``NST_COURSE_CHECK_SECONDS``."""
    try:
        return max(0.01, float(os.environ.get("NST_COURSE_CHECK_SECONDS", "30")))
    except ValueError:
        return 30.0


_limit_active = False


@contextlib.contextmanager
def _time_limit(seconds: float):
    """Raise :class:`_TimeUp` in the main thread after ``seconds`` (``SIGALRM``); elsewhere
    (Windows, other threads) or inside another limit, no limit."""
    global _limit_active
    if _limit_active or not hasattr(signal, "setitimer") \
            or threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_alarm(signum, frame):
        raise _TimeUp

    old = signal.signal(signal.SIGALRM, on_alarm)
    _limit_active = True
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        _limit_active = False


def rel_error(x: torch.Tensor, y: torch.Tensor) -> float:
    """CS231n's relative error ``max |x - y| / max(1e-8, |x| + |y|)``."""
    x, y = x.detach().double(), y.detach().double()
    return ((x - y).abs() / (x.abs() + y.abs()).clamp_min(1e-8)).max().item()


def cmp(name: str, got: torch.Tensor, expected: torch.Tensor) -> bool:
    """Print ``name | exact | approximate | maxdiff | rel error`` and return approximate."""
    got, expected = got.detach().double(), expected.detach().double()
    exact = torch.equal(got, expected)
    approx = torch.allclose(got, expected, rtol=1e-5, atol=1e-10)
    maxdiff = (got - expected).abs().max().item()
    print(f"{name:28s} | exact: {str(exact):5s} | approximate: {str(approx):5s} | "
          f"maxdiff: {maxdiff:.2e} | rel error: {rel_error(got, expected):.2e}")
    return approx


def _call(fn, *args, **kwargs):
    try:
        out = fn(*args, **kwargs)
    except NotImplementedError as e:
        raise _Stub from e
    if out is None:
        raise _Stub
    return out


def _checker(check: Callable[..., bool]) -> Callable[..., bool]:
    """Decorator of every checker: a learner's stub is "not yet solved", and a crash of the
    learner's code is one sentence, never a traceback in the lesson."""
    @functools.wraps(check)
    def run(*args, **kwargs) -> bool:
        seconds = time_limit_seconds()
        try:
            with _time_limit(seconds):
                return check(*args, **kwargs)
        except _TimeUp:
            return _fail(f"your function was still running after {seconds:g} s on tiny inputs "
                         "(the check needs well under a second): look for a loop that never ends, "
                         "e.g. a `while` whose condition never becomes False.")
        except _Stub:
            print(NOT_SOLVED)
            return False
        except Exception as e:  # report, do not crash the lesson
            return _fail(f"your function raised {type(e).__name__}: {e}")

    return run


def _fail(message: str) -> bool:
    print("FAIL: " + message)
    return False


def _close(a, b) -> bool:
    return a.shape == b.shape and torch.allclose(a.double(), b.double(), rtol=1e-5, atol=1e-10)


def _not_finite(label: str, out: torch.Tensor) -> str:
    """The sentence for a result with NaN or infinite values."""
    what = "NaN" if torch.isnan(out).any() else "infinite values"
    return (f"{label}: your result contains {what} (for finite random inputs): look for a "
            "division by zero, a log or sqrt of a negative number, or an uninitialised tensor "
            "(torch.empty).")



def _not_a_function(name: str, fn) -> str | None:
    """A sentence when ``fn`` is not something the checker can call (a learner passed a value)."""
    if callable(fn):
        return None
    return (f"{name} needs your function itself, e.g. {name}(my_function) without parentheses "
            f"after my_function; you passed a {type(fn).__name__} ({str(fn)[:40]!r}).")


def _scalar(label: str, out) -> str | None:
    """A sentence when ``out`` is not a one-number tensor carrying a gradient."""
    if isinstance(out, int | float):
        return (f"{label}: you returned a Python number ({out:.4g}); return the torch tensor: "
                ".item() and float() cut the gradient the optimiser needs.")
    if not isinstance(out, torch.Tensor):
        return f"{label}: return a torch.Tensor, not {type(out).__name__}."
    if out.numel() != 1:
        return (f"{label}: return one number (shape ()), not shape {tuple(out.shape)}: "
                "reduce the squared differences to a single value.")
    return None


def _first_match(out: torch.Tensor, variants: dict) -> str | None:
    for why, value in variants.items():
        if _close(out.reshape(()).detach(), value.detach()):
            return why
    return None


@_checker
def _check_loss(name: str, fn, reference, cases, variants, zero, formula: str, passed: str,
                per_position: str | None = None) -> bool:
    """Check a learner's scalar loss ``fn(*inputs)`` against ``reference(*inputs)``.

    ``cases``: ``[(label, inputs), ...]``; ``zero``: ``(inputs, sentence)`` that must give 0;
    ``variants(*inputs)``: ``{what is wrong: its value}``; ``per_position``: the sentence for a
    loss returned unreduced (same shape as the first input), or None.
    """
    why = _not_a_function(f"check_{name}", fn)
    if why:
        return _fail(why)
    zero_inputs, zero_says = zero
    out = _call(fn, *zero_inputs)
    if isinstance(out, torch.Tensor | float | int) and torch.as_tensor(out).numel() == 1 \
            and abs(float(out)) > 1e-12:
        return _fail(f"{zero_says}; yours gives {float(out):.4g}.")
    for label, inputs in cases:
        out = _call(fn, *inputs)
        if per_position and isinstance(out, torch.Tensor) and out.shape == inputs[0].shape:
            return _fail(f"{label}: {per_position} (shape {tuple(out.shape)}); reduce it to one "
                         "number with .mean().")
        why = _scalar(label, out)
        if why:
            return _fail(why)
        expected = reference(*inputs)
        if not cmp(f"{name}, {label}", out.reshape(()), expected):
            why = _first_match(out, variants(*inputs))
            if why:
                return _fail(why)
            return _fail(f"your value is {out.item() / expected.item():.4g} x the reference; no "
                         f"common mistake explains it: compare with {formula}.")
        if not out.requires_grad:
            return _fail("the result carries no gradient (avoid .detach(), .item(), "
                         "torch.tensor(...) inside): the optimiser needs it.")
    print(passed)
    return True


def _rand(gen: torch.Generator, *shape: int, grad: bool = False) -> torch.Tensor:
    return torch.rand(shape, generator=gen, dtype=torch.float64).requires_grad_(grad)
