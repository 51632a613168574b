"""Big images in bounded memory: the first two VGG blocks evaluated in horizontal bands.

At 2048x1536 px the activations of conv1_1 and conv1_2 alone are ~0.8 GB each,
and a backward pass keeps all of them. But the layers up to ``pool2`` only see
a few pixels around each output (a reach of < 10 px), and a Gram matrix is a
sum over positions. So :class:`TiledObjective` computes the same loss as
:class:`~nst_course.losses.Objective` in two passes:

1. forward, no autograd graph: bands of rows (plus a halo of ``HALO`` rows on
   each side, cut away afterwards) through conv1_1 ... pool2; the Gram sums of
   the style layers there add up band by band, and the pool2 output is pasted
   together. The deeper layers (1/16 of the pixels) run on it as usual.
2. backward: autograd hands back ``dL/dG`` and ``dL/d pool2``; each band is
   recomputed *with* a graph and backpropagated with the surrogate loss
   ``<dL/dG, G_band> + <dL/dpool2, pool2_band>``; the input gradients of the
   bands (halo included) add up to exactly the full-image gradient.

Costs one extra forward pass of the first two blocks (~+15 % per step); the
memory of the early layers is that of one band.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch

from .losses import content_loss, gram_matrix, style_layer_loss, total_variation_loss
from .vgg import LAYERS

#: the layers computed in bands: conv1_1 ... pool2
SPLIT = "pool2"
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
    """conv1_1 ... pool2 on a band of the image (channels_last)."""
    x = vgg.preprocess(x_band.contiguous(memory_format=torch.channels_last))
    return vgg.run(x, LAYERS[0], SPLIT, names, as_float=False)


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


class TiledObjective:
    """The loss of :class:`~nst_course.losses.Objective` (same arguments, same numbers),
    with conv1_1 ... pool2 evaluated in bands of ``rows`` rows: for big images.

    Content layers must lie after pool2 (the default conv4_2 does).
    """

    def __init__(self, vgg, content_img=None, style_imgs=None, *, content_layers=("conv4_2",),
                 style_layers=("conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1"),
                 content_weight: float = 1.0, style_weight: float = 1.0, tv_weight: float = 0.0,
                 style_layer_weights=None, style_blend=None, content_form: str = "mean",
                 rows: int | None = None):
        vgg = getattr(vgg, "vgg", vgg)  # accept vgg.fast()
        split = LAYERS.index(SPLIT)
        self.content_layers = tuple(content_layers) if content_img is not None else ()
        self.style_layers = tuple(style_layers) if style_imgs is not None else ()
        if any(LAYERS.index(n) <= split for n in self.content_layers):
            raise ValueError(f"TiledObjective needs content layers after {SPLIT}")
        self.vgg, self.rows, self.content_form = vgg, rows, content_form
        self.content_weight, self.style_weight, self.tv_weight = content_weight, style_weight, tv_weight
        self.front = tuple(n for n in self.style_layers if LAYERS.index(n) <= split)
        self.deep = tuple(dict.fromkeys(n for n in self.content_layers + self.style_layers
                                        if LAYERS.index(n) > split))
        n = len(self.style_layers)
        if style_layer_weights is None:
            self.layer_weights = {name: 1.0 / n for name in self.style_layers} if n else {}
        elif isinstance(style_layer_weights, Mapping):
            self.layer_weights = dict(style_layer_weights)
        else:
            self.layer_weights = dict(zip(self.style_layers, style_layer_weights, strict=True))
        with torch.no_grad():
            self.content_targets = {}
            if self.content_layers:
                _, feats = self._features(content_img)
                self.content_targets = {k: feats[k].float() for k in self.content_layers}
            self.style_targets = {}
            if self.style_layers:
                imgs = style_imgs if isinstance(style_imgs, list | tuple) else [style_imgs]
                blend = style_blend if style_blend is not None else [1.0] * len(imgs)
                total = float(sum(blend))
                for img, b in zip(imgs, blend):
                    grams, _ = self._features(img)
                    for k, g in grams.items():
                        self.style_targets[k] = self.style_targets.get(k, 0) + g * (b / total)

    def _features(self, img):
        """``({style layer: normalised Gram}, {deep layer: features})`` of ``img``."""
        rows = self.rows or band_rows(img.shape[-1])
        out, *raw = _BandedFront.apply(img, self.vgg, self.front, rows)
        h, w = img.shape[-2:]
        grams = {}
        for name, g in zip(self.front, raw):
            s = _scale(name)
            grams[name] = g / (g.shape[-1] * (h // s) * (w // s))
        feats = {}
        if self.deep:
            last = max(self.deep, key=LAYERS.index)
            feats = self.vgg.run(out, LAYERS[LAYERS.index(SPLIT) + 1], last, self.deep, as_float=False)
        for name in self.style_layers:
            if name not in grams:
                grams[name] = gram_matrix(feats[name])
        return grams, feats

    def __call__(self, img: torch.Tensor):
        grams, feats = self._features(img)
        zero = img.new_zeros(())
        lc = zero
        for name in self.content_layers:
            lc = lc + content_loss(feats[name], self.content_targets[name], self.content_form)
        ls = zero
        for name in self.style_layers:
            if self.layer_weights.get(name, 0.0):
                ls = ls + self.layer_weights[name] * style_layer_loss(grams[name], self.style_targets[name])
        ltv = total_variation_loss(img) if self.tv_weight else zero
        total = self.content_weight * lc + self.style_weight * ls + self.tv_weight * ltv
        return total, {"content": lc, "style": ls, "tv": ltv, "total": total}
