"""The speed layer: the same numbers as the reference code, computed faster.

Nothing here is needed to understand the method; the lessons teach
:mod:`nst_course.losses` and :class:`~nst_course.objective.Objective`. The
objective switches this layer on by itself (``Objective(..., fast=True)``, the
default; ``fast=False`` is the reference), and ``tests/test_speed_features.py``
checks that both give the same losses and gradients. What each piece buys (CPU,
measured with ``nst-course bench``):

* **channels_last** (:func:`features`): VGG19 keeps its weights and activations
  NHWC in memory, where a CPU runs 3x3 convolutions fastest; the objective reads
  the features in that layout instead of copying them back to NCHW.
* **bfloat16** (``load_vgg(precision="auto")``, see :func:`nst_course.config.get_dtype`):
  conv1_2 ... conv5_4 in bfloat16 on CPUs that compute it natively, ~2x faster.
  The Gram matrices of such features are taken in float32 (:func:`gram_matrix`).
* **one-matmul Gram backward** (:class:`FusedGram`): ~10 % of a step.
* **banded early layers** (:mod:`nst_course.tiled`): bounded memory for big images.
* **coarse-to-fine** (``stylize(schedule=...)``): most steps at small sizes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from .losses import gram_divisor
from .vgg import VGG19

#: feature dtypes whose Gram matrix is taken in float32
LOW_PRECISION = (torch.bfloat16, torch.float16)


class FusedGram(torch.autograd.Function):
    """``G = F F^T`` for ``F`` of shape ``(N, C, M)``, with a one-matmul backward.

    Autograd's own backward of ``bmm(F, F^T)`` computes ``dG F`` and ``dG^T F``
    separately and adds them (two big products and a big sum). Since
    ``dL/dF = (dG + dG^T) F``, symmetrising the small ``C x C`` matrix first needs
    one product, and writing it as ``(F^T S)^T`` returns it in ``F``'s own memory
    layout (channels_last features stay channels_last).

    Bfloat16 features (from a bfloat16 network) are multiplied in float32, a block
    of ``CHUNK`` positions at a time: ``G`` is float32 and no float32 copy of the
    whole map is kept (~0.4 GB less at 2048x2048). Their gradient is bfloat16, and
    so is its product (``(dG + dG^T)`` rounded to bfloat16: about 4x faster on a
    CPU with bfloat16 instructions, and as close to the float32 gradient as the
    rounding of the result itself, ~2e-3).
    """

    CHUNK = 16384

    @staticmethod
    def _mm(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """``b @ a`` for ``b`` (N, C, C) symmetric, in ``a``'s memory layout."""
        if a.stride(1) == 1:  # channels_last: a^T is the contiguous one
            return torch.bmm(a.transpose(1, 2), b).transpose(1, 2)
        return torch.bmm(b, a)

    @staticmethod
    def forward(ctx, f: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(f)
        if f.dtype not in LOW_PRECISION:
            return torch.bmm(f, f.transpose(1, 2))
        gram = f.new_zeros((f.shape[0], f.shape[1], f.shape[1]), dtype=torch.float32)
        for part in f.split(FusedGram.CHUNK, dim=2):
            p = part.float()
            gram.baddbmm_(p, p.transpose(1, 2))
        return gram

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        (f,) = ctx.saved_tensors
        sym = grad + grad.transpose(1, 2)
        # (dG + dG^T) F, in F's layout; for bfloat16 features in bfloat16: the gradient is
        # bfloat16 anyway, and a float32 product of upcast blocks took 4-5x longer
        return FusedGram._mm(f, sym.to(f.dtype))


def gram_matrix(features: torch.Tensor, normalize: str = "chw") -> torch.Tensor:
    """:func:`nst_course.losses.gram_matrix` (same arguments, same numbers) with the
    :class:`FusedGram` backward; float32 also for bfloat16 ``features`` ``(N, C, H, W)``."""
    n, c, h, w = features.shape
    return FusedGram.apply(features.reshape(n, c, h * w)) / gram_divisor(normalize, c, h, w)


def features(vgg: Callable[..., dict[str, torch.Tensor]], img: torch.Tensor, layers: Sequence[str],
             ) -> dict[str, torch.Tensor]:
    """``vgg(img, layers)`` left in the network's own layout and dtype (no copies).

    For a :class:`~nst_course.vgg.VGG19`: ``channels_last`` and, from a bfloat16
    network, bfloat16 (``keep_format=True``). Any other callable ``vgg(img, layers)``
    (a stand-in network in a test) is simply called.
    """
    if isinstance(vgg, VGG19):
        return vgg(img, layers, keep_format=True)
    return vgg(img, layers)
