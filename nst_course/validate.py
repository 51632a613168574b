"""Checks of user input, each once: one sentence per mistake, before any work starts.

The command line (:mod:`nst_course.cli`) and the library (``style_blend`` of
:class:`~nst_course.objective.Objective` and :func:`~nst_course.adain.adain_stylize`)
call these, so a rule and its wording live in one place. Each raises ``ValueError``
with a sentence naming the option (``name``) and what to give instead.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from .images import IMAGE_SUFFIXES, MIN_SIDE


def image_output(path: str | Path) -> Path:
    """``path`` as a :class:`~pathlib.Path` whose suffix is an image type :func:`save_image` writes."""
    out = Path(path).expanduser()
    if out.suffix.lower() not in IMAGE_SUFFIXES:
        raise ValueError(f"{out}: unknown image type '{out.suffix}'; use .png or .jpg.")
    return out


def at_least(name: str, value: int, minimum: int = 1) -> int:
    """``value`` if it is at least ``minimum``."""
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}.")
    return value


def image_side(name: str, value: int) -> int:
    """A long side in pixels: at least :data:`~nst_course.images.MIN_SIDE`."""
    return at_least(name, whole(name, value, MIN_SIDE), MIN_SIDE)


def whole(name: str, value, minimum: int = 1) -> int:
    """``value`` if it is a whole number (``int``, not ``bool``) of at least ``minimum``."""
    import numbers

    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be a whole number of at least {minimum}, got {value!r}.")
    return at_least(name, int(value), minimum)


def positive(name: str, value: float) -> float:
    """``value`` if it is a finite number above 0."""
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a number above 0, got {value}.")
    return value


def non_negative(name: str, value: float) -> float:
    """``value`` if it is a finite number, not negative."""
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{name} must be a finite number, not negative; got {value}.")
    return value


def in_range(name: str, value: float, low: float, high: float) -> float:
    """``value`` if it is finite and ``low <= value <= high``."""
    if not (math.isfinite(value) and low <= value <= high):
        raise ValueError(f"{name} must be between {low:g} and {high:g}, got {value}.")
    return value


def blend_weights(weights: Sequence[float] | None, n: int, name: str = "style_blend") -> list[float]:
    """The weights of ``n`` styles (default equal), checked: one per style, finite, none
    negative, not all 0 (a blend divides by their sum)."""
    if weights is None:
        return [1.0] * n
    weights = [float(w) for w in weights]
    if len(weights) != n:
        raise ValueError(f"{name} has {len(weights)} weights for {n} style images; give one weight "
                         "per style.")
    if not all(math.isfinite(w) for w in weights):
        raise ValueError(f"{name} {weights}: every weight must be finite.")
    if not math.isfinite(sum(weights)):  # 1e308 + 1e308: the blend would divide by infinity
        raise ValueError(f"{name} {weights}: the weights are too large (their sum is not finite); "
                         "give smaller numbers, e.g. 1,1.")
    if sum(weights) == 0:
        raise ValueError(f"{name} {weights} sums to 0: the weights must not be negative and must "
                         "not all be 0.")
    if min(weights) < 0:
        raise ValueError(f"{name} {weights}: the weights must not be negative and must not all be 0.")
    return weights
