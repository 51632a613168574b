"""The speed layer: the same numbers as the reference code, computed faster.

Nothing here is needed to understand the method; the lessons teach
:mod:`nst_course.losses` and :class:`~nst_course.objective.Objective`. The
objective switches this layer on by itself (``Objective(..., fast=True)``, the
default; ``fast=False`` is the reference), and ``tests/test_speed_features.py``
checks that both give the same losses and gradients. What each piece buys (CPU,
measured with ``nst-course bench``):

* **channels_last** (:class:`FastVGG19`, :func:`features`): the plain
  :class:`~nst_course.vgg.VGG19` converted to keep its weights and activations NHWC in
  memory, where a CPU runs 3x3 convolutions fastest (~2x), with in-place ReLUs; the
  objective reads the features in that layout instead of copying them back to NCHW.
* **bfloat16** (``load_vgg(precision="auto")``, see :func:`nst_course.config.get_dtype`):
  conv1_2 ... conv5_4 in bfloat16 on CPUs that compute it natively, ~2x faster.
  The Gram matrices of such features are taken in float32 (:func:`gram_matrix`).
* **one-matmul Gram backward** (:class:`FusedGram`): ~10 % of a step.
* **banded early layers** (:mod:`nst_course.tiled`): bounded memory for big images.
* **coarse-to-fine** (``stylize(schedule=...)``): most steps at small sizes.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from copy import deepcopy

import torch
from torch import nn

from .losses import gram_divisor

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


class _CastIn(nn.Module):
    """A convolution that first casts its input to its own dtype (entering the bfloat16 layers)."""

    def __init__(self, conv: nn.Conv2d):
        super().__init__()
        self.conv = conv

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x.to(self.conv.weight.dtype))


class FastVGG19(nn.Module):
    """A plain :class:`~nst_course.vgg.VGG19` (same weights, same layer names) converted
    for speed: weights and activations ``channels_last``, the ReLUs in place (a
    convolution's backward needs no output), and with ``dtype=torch.bfloat16``
    conv1_2 ... conv5_4 in bfloat16 (the preprocessing and conv1_1 stay float32, so
    the input image is not rounded).

    ``net(x, layers)`` returns float32 NCHW features like the plain network;
    :meth:`native` returns them as computed (``channels_last``, the network's dtype:
    what the objectives read, no copies); :meth:`run` is the plain ``run``. ``copy=False``
    converts ``plain`` itself (it must not be used as a plain network afterwards).
    """

    def __init__(self, plain: nn.Module, dtype: torch.dtype = torch.float32, copy: bool = True):
        super().__init__()
        net = (deepcopy(plain) if copy else plain).to(memory_format=torch.channels_last)
        net.convs[1:].to(dtype)
        for k in range(1, len(net.convs)):
            net.convs[k] = _CastIn(net.convs[k])
        net.relu = nn.ReLU(inplace=True)
        self.net, self.dtype = net, dtype
        self.weights, self.pooling, self.padding = plain.weights, plain.pooling, plain.padding

    @property
    def convs(self) -> nn.ModuleList:
        return self.net.convs

    def preprocess(self, x: torch.Tensor) -> torch.Tensor:
        """The plain network's preprocessing of ``(N, 3, H, W)``, ``channels_last``."""
        return self.net.preprocess(x.contiguous(memory_format=torch.channels_last))

    def run(self, x: torch.Tensor, first: str, last: str, wanted: Sequence[str] = ()) -> dict:
        return self.net.run(x, first, last, wanted)

    def native(self, x: torch.Tensor, layers: Sequence[str] | None = None) -> dict[str, torch.Tensor]:
        """``{name: (N, C, H', W')}`` in ``channels_last`` layout and the network's dtype."""
        return self.net(x.contiguous(memory_format=torch.channels_last), layers)

    def forward(self, x: torch.Tensor, layers: Sequence[str] | None = None) -> dict[str, torch.Tensor]:
        return {k: v.float().contiguous() for k, v in self.native(x, layers).items()}

    def extra_repr(self) -> str:
        return f"dtype={self.dtype}"


_CONVERTED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def as_fast(vgg) -> FastVGG19 | None:
    """``vgg`` if it is a :class:`FastVGG19`; a plain VGG19 converted (float32, once per
    network); None for any other callable (a stand-in network in a test)."""
    if isinstance(vgg, FastVGG19):
        return vgg
    if isinstance(vgg, nn.Module) and all(hasattr(vgg, a) for a in ("convs", "preprocess", "run")):
        if vgg not in _CONVERTED:
            _CONVERTED[vgg] = FastVGG19(vgg)
        return _CONVERTED[vgg]
    return None


def features(vgg: Callable[..., dict[str, torch.Tensor]], img: torch.Tensor, layers: Sequence[str],
             ) -> dict[str, torch.Tensor]:
    """``vgg(img, layers)`` from the network converted by :func:`as_fast`, left in its own
    layout and dtype (no copies). Any other callable ``vgg(img, layers)`` is simply called.
    """
    fast = as_fast(vgg)
    return fast.native(img, layers) if fast is not None else vgg(img, layers)
