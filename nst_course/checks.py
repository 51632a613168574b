"""Checkers for the coding exercises: your function against the package's, on random tensors.

Each checker prints what it tried and, when something is off, *what* is off
(shape, normalisation, batch handling, transposition), in the spirit of
nn-zero-to-hero's ``cmp()`` (exact / approximate / maxdiff) and CS231n's
relative error. It returns True when the function passes. A stub that raises
``NotImplementedError`` or returns None is reported as "not yet solved".
Introduced in notebooks/03_gram_matrices.ipynb.
"""

from __future__ import annotations

import torch

from .losses import gram_matrix as _ref_gram
from .losses import style_layer_loss

NOT_SOLVED = "not yet solved: fill in the function, run its cell, then run this check again."


class _Stub(Exception):
    """The learner's function is still a stub."""


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


def _fail(message: str) -> bool:
    print("FAIL: " + message)
    return False


def _close(a, b) -> bool:
    return a.shape == b.shape and torch.allclose(a.double(), b.double(), rtol=1e-5, atol=1e-10)


def _diagnose_gram(out: torch.Tensor, f: torch.Tensor) -> str:
    """Why ``out`` (right shape, wrong values) differs from the reference Gram of ``f``."""
    n, c, h, w = f.shape
    ref = _ref_gram(f)
    if _close(out, _ref_gram(f, "hw")):
        return "normalisation: you divided by H*W; this course divides by C*H*W (seed 000)."
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


def check_gram_matrix(fn) -> bool:
    """Check ``fn(features (N, C, H, W)) -> (N, C, C)`` against ``gram_matrix(normalize="chw")``."""
    gen = torch.Generator().manual_seed(3)
    cases = [("one image (1, 4, 3, 5)", (1, 4, 3, 5)), ("a batch (2, 6, 4, 5)", (2, 6, 4, 5))]
    try:
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
            ref = _ref_gram(f)
            if not cmp(f"gram_matrix, {label}", out, ref):
                return _fail(_diagnose_gram(out.detach(), f.detach()))
            if not out.requires_grad:
                return _fail("the result carries no gradient (avoid .detach(), .numpy(), "
                             "torch.tensor(...) inside): the optimiser needs it.")
    except _Stub:
        print(NOT_SOLVED)
        return False
    except Exception as e:  # report, do not crash the lesson
        return _fail(f"your function raised {type(e).__name__}: {e}")
    print("PASS: gram_matrix matches nst_course.gram_matrix (shape, values, batch, gradient).")
    return True


def _variants(features, targets, weights):
    """Reference style loss and common wrong versions: ``{description: value}``."""
    layers = list(targets)
    w = weights or {k: 1.0 / len(layers) for k in layers}

    def total(per_layer, ws=w):
        return sum(ws[k] * per_layer(k) for k in layers)

    def other_norm(norm):  # the features' Grams normalised differently from the targets
        return lambda k: style_layer_loss(_ref_gram(features[k], norm), targets[k])

    ones = dict.fromkeys(layers, 1.0)
    return {
        "ref": total(lambda k: style_layer_loss(_ref_gram(features[k]), targets[k])),
        "the 1/4 of E_l is missing (E_l = 1/4 sum (G - A)^2).":
            total(lambda k: (_ref_gram(features[k]) - targets[k]).pow(2).sum()),
        "you averaged (G - A)^2 over the C*C entries; E_l sums them (times 1/4).":
            total(lambda k: 0.25 * (_ref_gram(features[k]) - targets[k]).pow(2).mean()),
        "you took the norm ||G - A|| instead of its square.":
            total(lambda k: 0.25 * (_ref_gram(features[k]) - targets[k]).pow(2).sum().sqrt()),
        "the layer weights were ignored: multiply each E_l by w_l "
        "(default 1/L, L = number of layers).":
            total(lambda k: style_layer_loss(_ref_gram(features[k]), targets[k]), ones),
        "normalisation: the Gram matrices of the features must be divided by C*H*W, like the "
        "targets; you used the raw F F^T (use your gram_matrix).": total(other_norm("none")),
        "normalisation: the Gram matrices of the features must be divided by C*H*W, like the "
        "targets; you divided by H*W.": total(other_norm("hw")),
    }


def check_style_loss(fn) -> bool:
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
    try:
        for label, weights in cases:
            out = _call(fn, feats, targets, weights)
            if not isinstance(out, torch.Tensor):
                return _fail(f"{label}: return a torch.Tensor, not {type(out).__name__}.")
            if out.numel() != 1:
                return _fail(f"{label}: return one number (shape ()), not shape "
                             f"{tuple(out.shape)}: sum the weighted layer losses.")
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
        if out.numel() != 1 or not _close(out.reshape(()).detach(), ref.detach()):
            return _fail("batch handling: with features (2, C, H, W) and targets (1, C, C) the "
                         "loss should be the sum over both images (broadcast the target).")
        print(f"{'style_loss, batch of 2':28s} | approximate: True")
    except _Stub:
        print(NOT_SOLVED)
        return False
    except Exception as e:  # report, do not crash the lesson
        return _fail(f"your function raised {type(e).__name__}: {e}")
    print("PASS: style_loss matches nst_course.style_loss (E_l, layer weights, batch, gradient).")
    return True
