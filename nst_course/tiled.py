"""Big images in bounded memory: the first two VGG blocks evaluated in horizontal bands.

At 2048x1536 px the activations of conv1_1 and conv1_2 alone are ~0.8 GB each,
and a backward pass keeps all of them. But the layers up to ``pool2`` only see
a few pixels around each output (a reach of < 10 px), and a Gram matrix is a
sum over positions. So :class:`TiledObjective` computes the same loss as
:class:`~nst_course.objective.Objective` in two passes:

1. forward, no autograd graph: bands of rows (plus a halo of ``HALO`` rows on
   each side, cut away afterwards) through conv1_1 ... pool2; the Gram sums of
   the style layers there add up band by band, and the pool2 output is pasted
   together. The deeper layers (1/16 of the pixels) run on it as usual.
2. backward: autograd hands back ``dL/dG`` and ``dL/d pool2``; each band is
   recomputed *with* a graph and backpropagated with the surrogate loss
   ``<dL/dG, G_band> + <dL/dpool2, pool2_band>``; the input gradients of the
   bands (halo included) add up to exactly the full-image gradient.

Costs one extra forward pass of the first two blocks (~+15 % per step); the
memory of the early layers is that of one band. Part of the speed layer
(:mod:`nst_course.speed`): ``stylize`` switches to it above ``TILED_ABOVE`` pixels,
and ``tests/test_speed_features.py`` checks it equals the plain objective.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from . import speed
from .config import CONTENT_LAYERS
from .objective import Objective
from .speed import gram_matrix
from .vgg import LAYERS, feature_shapes

#: the layers computed in bands: conv1_1 ... pool2
SPLIT = "pool2"

#: above this many pixels conv1_1 ... pool2 run in bands (:mod:`nst_course.stages` picks
#: :class:`TiledObjective` there): 2048 px fits in < 4 GB
TILED_ABOVE = 1.5e6

#: input rows added on each side of a band; a multiple of 4 (two 2x2 pools) above pool2's reach
HALO = 16


def _scale(name: str) -> int:
    """Input pixels per feature row at ``name`` (1 in block 1, 2 in block 2, 4 after pool2)."""
    return 2 ** sum(1 for n in LAYERS[: LAYERS.index(name) + 1] if n.startswith("pool"))


def band_rows(width: int, budget_bytes: float = 160e6) -> int:
    """Rows per band so that one 64-channel float activation of a band stays under ``budget_bytes``."""
    return max(32, int(budget_bytes // (64 * 4 * width)) // 4 * 4)


def _bands(height: int, rows: int):
    r0 = 0
    while r0 < height:
        r1 = height if height - r0 < rows + rows // 2 else r0 + rows
        yield r0, r1, max(0, r0 - HALO), min(height, r1 + HALO)
        r0 = r1


def _front(vgg, x_band, names):
    """conv1_1 ... pool2 on a band of the image."""
    return vgg.run(vgg.preprocess(x_band), LAYERS[0], SPLIT, names)


def _crop(feat, name, r0, r1, lo):
    s = _scale(name)
    return feat[..., (r0 - lo) // s: (r0 - lo) // s + r1 // s - r0 // s, :]


class _BandedFront(torch.autograd.Function):
    """``x -> (pool2, raw Gram sums of names...)`` computed band by band (see the module doc)."""

    @staticmethod
    def forward(ctx, x, vgg, names, rows):
        h = x.shape[-2]
        grams, out = [0] * len(names), None
        with torch.no_grad():
            for r0, r1, lo, hi in _bands(h, rows):
                feats = _front(vgg, x[..., lo:hi, :], names)
                for k, name in enumerate(names):
                    grams[k] = grams[k] + gram_matrix(_crop(feats[name], name, r0, r1, lo), "none")
                band_out = _crop(feats[SPLIT], SPLIT, r0, r1, lo)
                if out is None:
                    out = band_out.new_empty(*band_out.shape[:2], h // 4, band_out.shape[-1])
                out[..., r0 // 4: r0 // 4 + band_out.shape[-2], :] = band_out
        ctx.save_for_backward(x)
        ctx.vgg, ctx.names, ctx.rows = vgg, names, rows
        return (out, *grams)

    @staticmethod
    def backward(ctx, d_out, *d_grams):
        (x,) = ctx.saved_tensors
        grad = torch.zeros_like(x)
        for r0, r1, lo, hi in _bands(x.shape[-2], ctx.rows):
            xb = x[..., lo:hi, :].detach().requires_grad_(True)
            with torch.enable_grad():
                feats = _front(ctx.vgg, xb, ctx.names)
                band_out = _crop(feats[SPLIT], SPLIT, r0, r1, lo)
                surrogate = (band_out * d_out[..., r0 // 4: r0 // 4 + band_out.shape[-2], :]).sum()
                for name, dg in zip(ctx.names, d_grams):
                    if dg is not None:
                        band_gram = gram_matrix(_crop(feats[name], name, r0, r1, lo), "none")
                        surrogate = surrogate + (band_gram * dg).sum()
                (g,) = torch.autograd.grad(surrogate, xb)
            grad[..., lo:hi, :] += g
        return grad, None, None, None


class TiledObjective(Objective):
    """:class:`~nst_course.objective.Objective` (same arguments, same numbers) with
    conv1_1 ... pool2 evaluated in bands of ``rows`` rows: for big images.

    Only :meth:`representations` differs; content layers must lie after pool2
    (the default conv4_2 does).
    """

    def __init__(self, vgg, content_img=None, style_imgs=None, *, rows: int | None = None, **kwargs):
        content_layers = kwargs.get("content_layers", CONTENT_LAYERS) if content_img is not None else ()
        if any(LAYERS.index(n) <= LAYERS.index(SPLIT) for n in content_layers):
            raise ValueError(f"TiledObjective needs content layers after {SPLIT}")
        self.rows = rows
        super().__init__(vgg, content_img, style_imgs, **kwargs)

    def representations(self, img: torch.Tensor, content_layers: Sequence[str],
                        style_layers: Sequence[str]) -> tuple[dict, dict]:
        """As :meth:`Objective.representations`: the style layers up to pool2 come out of
        the bands as Gram sums; pool2's output, pasted together, feeds the deeper layers."""
        split = LAYERS.index(SPLIT)
        front = tuple(n for n in style_layers if LAYERS.index(n) <= split)
        deep = tuple(dict.fromkeys(n for n in (*content_layers, *style_layers) if LAYERS.index(n) > split))
        net = (speed.as_fast(self.vgg) if self.fast else None) or self.vgg
        out, *raw = _BandedFront.apply(img, net, front, self.rows or band_rows(img.shape[-1]))
        shapes = feature_shapes(*img.shape[-2:])
        grams = {name: g / math.prod(shapes[name]) for name, g in zip(front, raw)}
        feats = {}
        if deep:
            last = max(deep, key=LAYERS.index)
            feats = net.run(out, LAYERS[split + 1], last, deep)
        grams.update({name: self.gram(feats[name]) for name in style_layers if name not in grams})
        return {name: feats[name] for name in content_layers}, grams
