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

#: VGG19 halves the size 4 times before conv5_1: files need at least this short side.
MIN_SIDE = 32
#: Below this short side a pooling layer before conv5_1 has nothing left (2**4): refused.
MIN_NETWORK_SIDE = 16
#: File types :func:`~nst_course.images.save_image` writes (the format comes from the suffix).
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")


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


def _real(name: str, value) -> float:
    import numbers

    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a number, got {value!r}.")
    return value


def positive(name: str, value: float) -> float:
    """``value`` if it is a finite number above 0."""
    if not (math.isfinite(_real(name, value)) and value > 0):
        raise ValueError(f"{name} must be a number above 0, got {value}.")
    return value


def non_negative(name: str, value: float) -> float:
    """``value`` if it is a finite number, not negative."""
    if not (math.isfinite(_real(name, value)) and value >= 0):
        raise ValueError(f"{name} must be a finite number, not negative; got {value}.")
    return value


def in_range(name: str, value: float, low: float, high: float) -> float:
    """``value`` if it is finite and ``low <= value <= high``."""
    if not (math.isfinite(_real(name, value)) and low <= value <= high):
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


def loss_weights(content_weight: float, style_weight: float, tv_weight: float, cli: bool = False) -> None:
    """The three loss weights of ``stylize``: finite, not negative, content and style not both 0
    (``cli``: named as the command line's options, ``--content-weight``)."""
    def flag(n):
        return f"--{n.replace('_', '-')}" if cli else n
    values = dict(content_weight=content_weight, style_weight=style_weight, tv_weight=tv_weight)
    for n, v in values.items():
        non_negative(flag(n), v)
    if content_weight == 0 and style_weight == 0:
        raise ValueError(f"{flag('content_weight')} and {flag('style_weight')} are both 0: nothing to "
                         "optimise (the output would be the start image); make one of them positive.")


def tensor(name: str, x, dims: Sequence[int] = (3, 4)) -> None:
    """``x`` is a tensor of ``dims`` dimensions, e.g. a feature map ``(N, C, H, W)``."""
    import torch

    if not isinstance(x, torch.Tensor):
        raise ValueError(f"{name} must be a tensor (N, C, H, W), not {type(x).__name__}.")
    if x.dim() not in dims:
        raise ValueError(f"{name} has shape {tuple(x.shape)}; it must have "
                         f"{' or '.join(map(str, dims))} dimensions, e.g. (N, C, H, W).")


def same_shape(name: str, a, b) -> None:
    """Two tensors compared element by element (a loss) have one shape."""
    if tuple(a.shape) != tuple(b.shape):
        raise ValueError(f"{name}: the two feature maps have shapes {tuple(a.shape)} and "
                         f"{tuple(b.shape)}; compare one layer's features of images of one size.")
