"""The image as a pyramid: the same objective, other coordinates (``stylize(schedule="pyramid")``).

Lesson 05's loop changes the pixels. A pixel's gradient mostly says what its neighbours'
say too, but L-BFGS (one evaluation per step, no line search, a short history) moves the
large-scale layout of the picture only slowly through millions of separate pixels. Here the
image is a sum of levels, each half the size of the one before, as a Laplacian pyramid is
put back together (``up``: bilinear upsampling to the next level's size)::

    x = z_0 + r up(z_1 + r up(z_2 + ... + r up(z_{K-1})))    z_k: (1, 3, ceil(H / 2^k), ceil(W / 2^k))

``z_0`` starts as the start image and the coarser levels at zero, so the first image is the
start itself, and the objective, its minimum and every loss reported are those of the pixels
``x``. Only the optimiser's coordinates change: a step of a coarse level moves a whole
region at once (its gradient is the sum of the full-size gradient over the region, bilinearly
weighted), which is the multi-scale idea of coarse-to-fine without its small stages, whose
picture the full-size steps cannot leave. Staying a valid image, the loop's ``clamp_(0, 1)``,
becomes a projection: the clamped image minus the coarse levels goes back into ``z_0``.

The README's sweep (``nst-course bench --sweep --sweep-schedules pyramid``) measures what it
buys against single-scale steps on the pixels.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

#: levels of ``schedule="pyramid"`` (the full-size one included) and the weight ratio r.
#: Three, not five: at 256 px / 300 steps five levels ended 4-7 % above single-scale's total
#: loss on astronaut x swirls at style weights 1000 and 4000, three 5-12 % below it. The ratio:
#: 0.2-3 tried at 256 px / 150 steps from AdaIN's half-strength start, astronaut x swirls at
#: weight 1000 only (README, "A stylized start"): 0.7 the lowest loss at every step measured.
#: At 512 px from that start five levels reached the plain loop's 5 % 10 steps sooner than four
#: on astronaut x swirls and 10 later on chelsea x waves (six: no better than five)
LEVELS = 3
RATIO = 0.7


class Pyramid:
    """The image ``(1, 3, H, W)`` as ``levels`` leaf tensors (the optimiser's parameters).

    ``pyramid.image()`` is the image (differentiable: the objective's input), ``clamp_(lo, hi)``
    keeps it within ``[lo, hi]``, ``detach()`` is the current image without a graph: the
    methods lesson 05's loop calls on the pixels, so :func:`~nst_course.loop.optimization_loop`
    runs a pyramid unchanged.
    """

    def __init__(self, start: torch.Tensor, levels: int = LEVELS, ratio: float = RATIO):
        if levels < 1:
            raise ValueError(f"a pyramid needs at least one level, not {levels}")
        h, w = start.shape[-2:]
        self.ratio = ratio
        self.levels = [start.detach().clone().contiguous().requires_grad_(True)] + [
            start.new_zeros((*start.shape[:-2], -(-h // 2 ** k), -(-w // 2 ** k))).requires_grad_(True)
            for k in range(1, levels)]

    def image(self) -> torch.Tensor:
        """``z_0 + r up(z_1 + r up(z_2 + ...))``, ``(1, 3, H, W)``: one upsampling per level
        (half the time of upsampling every level to full size: 7 ms at 512x384)."""
        x = self.levels[-1]
        for z in reversed(self.levels[:-1]):
            x = z + self.ratio * F.interpolate(x, size=z.shape[-2:], mode="bilinear", align_corners=False)
        return x

    @torch.no_grad()
    def clamp_(self, lo: float, hi: float) -> Pyramid:
        """Project onto ``lo <= image <= hi``: the clamped image minus the coarse levels is ``z_0``."""
        x = self.image()
        self.levels[0].add_(x.clamp(lo, hi) - x)
        return self

    def detach(self) -> torch.Tensor:
        """The current image ``(1, 3, H, W)``, no graph."""
        with torch.no_grad():
            return self.image()
