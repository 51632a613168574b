"""Lesson 03 (notebooks/03_gram_matrices.ipynb): ``check_gram_matrix``, ``check_style_loss``."""

from __future__ import annotations

from collections.abc import Callable

import torch

from ..losses import gram_matrix as _ref_gram
from ..losses import per_layer_weights, style_layer_loss, weighted_style_loss
from ._core import (
    _call,
    _checker,
    _close,
    _fail,
    _not_a_function,
    _not_finite,
    cmp,
)


def _diagnose_gram(out: torch.Tensor, f: torch.Tensor) -> str:
    """Why ``out`` (right shape, wrong values) differs from the reference Gram of ``f``."""
    n, c, h, w = f.shape
    ref = _ref_gram(f)
    if _close(out, _ref_gram(f, "hw")):
        return "normalisation: you divided by H*W; this course divides by C*H*W (as Ayala & Wolters do)."
    if _close(out, _ref_gram(f, "none")):
        return "normalisation: you returned the raw F F^T; divide it by C*H*W."
    if _close(out, ref * (h * w) / c):
        return "normalisation: you divided by C only; divide by C*H*W."
    scrambled = f.reshape(n, h * w, c).transpose(1, 2)  # reshape without keeping channels apart
    if _close(out, _ref_gram(scrambled.reshape(n, c, h, w))):
        return ("reshape: view (N, C, H, W) as (N, C, H*W) (features.view(n, c, h * w)); "
                "reshaping to (N, H*W, C) mixes channels and positions.")
    if n > 1 and _close(out, ref[:1].expand_as(ref)):
        return "batch handling: every image got the Gram matrix of the first one."
    ratio = out.double() / ref.double()
    if torch.allclose(ratio, ratio.flatten()[0].expand_as(ratio), rtol=1e-4):
        return (f"normalisation: your values are {ratio.flatten()[0].item():.4g} x the "
                f"reference (C*H*W = {c * h * w}).")
    return "values differ and no common mistake explains it; compare with the formula above."


@_checker
def check_gram_matrix(fn: Callable[[torch.Tensor], torch.Tensor]) -> bool:
    """Check ``fn(features (N, C, H, W)) -> (N, C, C)`` against ``gram_matrix(normalize="chw")``."""
    why = _not_a_function("check_gram_matrix", fn)
    if why:
        return _fail(why)
    gen = torch.Generator().manual_seed(3)
    cases = [("one image (1, 4, 3, 5)", (1, 4, 3, 5)), ("a batch (2, 6, 4, 5)", (2, 6, 4, 5))]
    for label, shape in cases:
        f = torch.rand(shape, generator=gen, dtype=torch.float64).requires_grad_(True)
        n, c, h, w = shape
        out = _call(fn, f)
        if not isinstance(out, torch.Tensor):
            return _fail(f"{label}: return a torch.Tensor, not {type(out).__name__}.")
        want = (n, c, c)
        if tuple(out.shape) != want:
            got = tuple(out.shape)
            if got == (c, c):
                why = "batch handling: keep the batch dimension, (N, C, C) even when N = 1."
            elif got in ((n, h * w, h * w), (h * w, h * w)):
                why = ("transposed: you computed F^T F (positions x positions); "
                       "the Gram matrix is F F^T (channels x channels).")
            elif got == (n * c, n * c):
                why = "batch handling: the batch got mixed into the channels; use torch.bmm."
            else:
                why = "expected one C x C matrix per image."
            return _fail(f"{label}: shape {got}, expected {want}. {why}")
        if not torch.isfinite(out).all():
            return _fail(_not_finite(label, out))
        ref = _ref_gram(f)
        if not cmp(f"gram_matrix, {label}", out, ref):
            return _fail(_diagnose_gram(out.detach(), f.detach()))
        if not out.requires_grad:
            return _fail("the result carries no gradient (avoid .detach(), .numpy(), "
                         "torch.tensor(...) inside): the optimiser needs it.")
    print("PASS: gram_matrix matches nst_course.gram_matrix (shape, values, batch, gradient).")
    return True


def _variants(features, targets, layer_weights):
    """Reference style loss and common wrong versions: ``{description: value}``."""
    layers = list(targets)
    w = per_layer_weights(layers, layer_weights)

    def total(per_layer, ws=w):
        return sum(ws[k] * per_layer(k) for k in layers)

    def other_norm(norm):  # the features' Grams normalised differently from the targets
        return lambda k: style_layer_loss(_ref_gram(features[k], norm), targets[k])

    ones = dict.fromkeys(layers, 1.0)
    return {
        "ref": weighted_style_loss({k: _ref_gram(features[k]) for k in layers}, targets, w),
        "the 1/4 of E_l is missing (E_l = 1/4 sum (G - A)^2).":
            total(lambda k: (_ref_gram(features[k]) - targets[k]).pow(2).sum()),
        "you averaged (G - A)^2 over the C*C entries; E_l sums them (times 1/4).":
            total(lambda k: 0.25 * (_ref_gram(features[k]) - targets[k]).pow(2).mean()),
        "you took the norm ||G - A|| instead of its square.":
            total(lambda k: 0.25 * (_ref_gram(features[k]) - targets[k]).pow(2).sum().sqrt()),
        "the layer weights were ignored: multiply each E_l by w_l "
        "(default 1/L, L = number of layers).":
            total(lambda k: style_layer_loss(_ref_gram(features[k]), targets[k]), ones),
        "two mistakes: the 1/4 of E_l is missing (E_l = 1/4 sum (G - A)^2), and the layer "
        "weights were ignored (multiply each E_l by w_l, default 1/L).":
            total(lambda k: (_ref_gram(features[k]) - targets[k]).pow(2).sum(), ones),
        "normalisation: the Gram matrices of the features must be divided by C*H*W, like the "
        "targets; you used the raw F F^T (use your gram_matrix).": total(other_norm("none")),
        "normalisation: the Gram matrices of the features must be divided by C*H*W, like the "
        "targets; you divided by H*W.": total(other_norm("hw")),
    }


@_checker
def check_style_loss(fn: Callable[..., torch.Tensor]) -> bool:
    """Check ``fn(features, target_grams, layer_weights=None) -> scalar`` against the package.

    ``features``: ``{layer: (1, C, H, W)}``; ``target_grams``: ``{layer: (1, C, C)}``
    (C*H*W-normalised); ``layer_weights``: ``{layer: w_l}`` or None (``1/L`` each).
    """
    gen = torch.Generator().manual_seed(4)
    shapes = {"conv1_1": (1, 3, 6, 5), "conv2_1": (1, 5, 3, 4)}
    feats = {k: torch.rand(s, generator=gen, dtype=torch.float64).requires_grad_(True)
             for k, s in shapes.items()}
    targets = {k: _ref_gram(torch.rand(s, generator=gen, dtype=torch.float64))
               for k, s in shapes.items()}
    cases = [("default weights (1/L)", None), ("weights {conv1_1: 0.8, conv2_1: 0.2}",
                                               {"conv1_1": 0.8, "conv2_1": 0.2})]
    why = _not_a_function("check_style_loss", fn)
    if why:
        return _fail(why)
    for label, weights in cases:
        out = _call(fn, feats, targets, weights)
        if not isinstance(out, torch.Tensor):
            return _fail(f"{label}: return a torch.Tensor, not {type(out).__name__}.")
        if out.numel() != 1:
            return _fail(f"{label}: return one number (shape ()), not shape "
                         f"{tuple(out.shape)}: sum the weighted layer losses.")
        if not torch.isfinite(out).all():
            return _fail(_not_finite(label, out))
        variants = _variants(feats, targets, weights)
        ref = variants.pop("ref")
        if not cmp(f"style_loss, {label}", out.reshape(()), ref):
            for why, value in variants.items():
                if _close(out.reshape(()).detach(), value.detach()):
                    return _fail(why)
            ratio = out.item() / ref.item()
            return _fail(f"your value is {ratio:.4g} x the reference; no common mistake "
                         "explains it: compare with L_style = sum_l w_l E_l.")
        if not out.requires_grad:
            return _fail("the result carries no gradient (avoid .item(), .detach()).")
    # batch handling: two generated images against one target each sum their losses
    batch = {k: torch.cat([v, v.flip(-1)]).detach() for k, v in feats.items()}
    out = _call(fn, batch, targets, None)
    ref = _variants(batch, targets, None)["ref"]
    if not isinstance(out, torch.Tensor) or out.numel() != 1 \
            or not _close(out.reshape(()).detach(), ref.detach()):
        return _fail("batch handling: with features (2, C, H, W) and targets (1, C, C) the "
                     "loss should be the sum over both images (broadcast the target).")
    print(f"{'style_loss, batch of 2':28s} | approximate: True")
    print("PASS: style_loss matches nst_course.style_loss (E_l, layer weights, batch, gradient).")
    return True
