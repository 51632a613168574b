"""Checkers for the coding exercises: your function against the package's, on random tensors.

Each checker prints what it tried and, when something is off, *what* is off
(shape, normalisation, batch handling, transposition), in the spirit of
nn-zero-to-hero's ``cmp()`` (exact / approximate / maxdiff) and CS231n's
relative error. It returns True when the function passes. A stub that raises
``NotImplementedError`` or returns None is reported as "not yet solved"; any
other input a learner can type (a value instead of a function, a crash, NaN,
the wrong type) gets one sentence about that input, never a traceback.

Where each is used: :func:`check_gram_matrix`, :func:`check_style_loss`:
notebooks/03_gram_matrices.ipynb; :func:`check_stop_when_flat`:
notebooks/06_resolution_and_regularisation.ipynb; :func:`check_adain`:
notebooks/07_beyond_gatys.ipynb; the "write it yourself" checkers:
notebooks/08_write_it_yourself.ipynb; lesson 09's checker: :mod:`nst_course.checks_training`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from types import SimpleNamespace

import torch

from .losses import gram_matrix as _ref_gram
from .losses import per_layer_weights, style_layer_loss

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


def _checker(check: Callable[..., bool]) -> Callable[..., bool]:
    """Decorator of every checker: a learner's stub is "not yet solved", and a crash of the
    learner's code is one sentence, never a traceback in the lesson."""
    @functools.wraps(check)
    def run(*args, **kwargs) -> bool:
        try:
            return check(*args, **kwargs)
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


def _variants(features, targets, weights):
    """Reference style loss and common wrong versions: ``{description: value}``."""
    layers = list(targets)
    w = per_layer_weights(layers, weights)

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


# --- lesson 06: a callback that stops when the loss is flat --------------------------------------

def _says(answer) -> str:
    return "None (return True or False)" if answer is None else repr(answer)


@_checker
def check_stop_when_flat(make: Callable[[float], Callable]) -> bool:
    """Check ``make(rel_tol) -> callback(record, image) -> bool`` (notebooks/06).

    The callback must remember the losses it has seen (``record.total_loss``) and
    return True once a step lowers the loss by less than ``rel_tol`` times the
    previous loss; each call of ``make`` starts a fresh memory. Tried on the
    losses 100, 50, 40, 39.9 with ``rel_tol=0.01``: only the last says stop.
    """
    why = _not_a_function("check_stop_when_flat", make)
    if why:
        return _fail(why)
    losses, expected = (100.0, 50.0, 40.0, 39.9), [False, False, False, True]
    try:
        cb = _call(make, 0.01)
    except TypeError as e:
        return _fail(f"stop_when_flat(0.01) raised TypeError: {e}. check_stop_when_flat needs "
                     "your function itself, check_stop_when_flat(stop_when_flat), the one that "
                     "takes rel_tol and makes a callback (not a callback it made).")
    if not callable(cb):
        return _fail(f"stop_when_flat(0.01) returned a {type(cb).__name__}; return the "
                     "callback function itself (def callback(record, image): ...; return callback).")
    answers = []
    for v in losses:
        try:
            answers.append(cb(SimpleNamespace(total_loss=v, step=len(answers) + 1), None))
        except (IndexError, KeyError) as e:
            return _fail(f"your callback raised {type(e).__name__} at loss {v:g} (step "
                         f"{len(answers) + 1}): with fewer than two losses seen there is no "
                         "previous one; return False until there is.")
    if answers != expected:
        said = [bool(a) for a in answers if a is not None]
        msg = (f"for losses 100, 50, 40, 39.9 your callback said "
               f"[{', '.join(_says(a) for a in answers)}], expected {expected}")
        if any(a is None for a in answers):
            hint = "every call must return True (stop) or False (go on)."
        elif said == [False] * 4:
            hint = ("it never stopped: stop when the drop losses[-2] - losses[-1] is smaller "
                    "than rel_tol * losses[-2] (a relative tolerance, not an absolute one).")
        elif said[:3] != [False] * 3 and not said[3]:
            hint = ("it stops while the loss still falls fast and goes on when it is flat: "
                    "the comparison is the wrong way round (stop when the drop is *smaller*).")
        elif said[0]:
            hint = "the first step has no previous loss to compare with: return False."
        else:
            hint = "compare the last drop with rel_tol times the previous loss."
        return _fail(f"{msg}: {hint}")
    fresh = _call(make, 0.01)
    # a fresh callback's first answer is False; one that shares the old memory sees a flat step
    if fresh is cb or (callable(fresh) and fresh(SimpleNamespace(total_loss=39.9, step=1), None)):
        return _fail("each call of stop_when_flat must start a fresh memory of losses "
                     "(create the list inside stop_when_flat, not outside or as a default "
                     "argument).")
    print("PASS: stop_when_flat stops at the first flat step, and each run starts afresh.")
    return True


# --- lesson 07: adaptive instance normalisation ---------------------------------------------------

def _adain_variants(c: torch.Tensor, s: torch.Tensor, eps: float = 1e-5) -> dict[str, torch.Tensor]:
    """Common wrong versions of AdaIN(c, s): ``{what is wrong: value}``."""
    def stats(f, dims=(2, 3), unbiased=True):
        return f.mean(dims, keepdim=True), (f.var(dims, keepdim=True, unbiased=unbiased) + eps).sqrt()

    (cm, cs), (sm, ss) = stats(c), stats(s)
    (cmb, csb), (smb, ssb) = stats(c, unbiased=False), stats(s, unbiased=False)
    (cma, csa), (sma, ssa) = stats(c, (1, 2, 3)), stats(s, (1, 2, 3))
    (cmn, csn), (smn, ssn) = stats(c, (0, 2, 3)), stats(s, (0, 2, 3))
    return {
        "the standard deviation: use the unbiased variance (torch.var's default, as "
        "nst_course.adain.mean_std) plus eps, then the square root.": ssb * (c - cmb) / csb + smb,
        "eps belongs inside the square root: sqrt(var + eps), not sqrt(var) + eps.":
            (s.std((2, 3), keepdim=True) + eps) * (c - cm) / (c.std((2, 3), keepdim=True) + eps) + sm,
        "you normalised the content but did not give it the style's statistics: multiply by "
        "sigma(style), then add mu(style).": (c - cm) / cs,
        "content and style are swapped in the statistics: subtract mu(content), divide by "
        "sigma(content), then multiply by sigma(style) and add mu(style).": cs * (c - sm) / ss + cm,
        "the statistics are per image *and channel*: average over H and W only (dims 2, 3), not "
        "over the channels too.": ssa * (c - cma) / csa + sma,
        "the statistics are per image: average over H and W only (dims 2, 3), not over the batch.":
            ssn * (c - cmn) / csn + smn,
        "you only moved the mean: also divide by sigma(content) and multiply by sigma(style).":
            c - cm + sm,
    }


@_checker
def check_adain(fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> bool:
    """Check ``fn(content_feat (N, C, H, W), style_feat (N, C, H', W')) -> (N, C, H, W)`` against
    :func:`nst_course.adain.adain` (notebooks/07): ``sigma(s) (c - mu(c)) / sigma(c) + mu(s)``
    with per-image, per-channel statistics over H and W."""
    from .adain import adain, mean_std

    why = _not_a_function("check_adain", fn)
    if why:
        return _fail(why)
    gen = torch.Generator().manual_seed(0)
    c = torch.randn(2, 6, 5, 7, generator=gen) * 2 + 1
    s = torch.rand(2, 6, 4, 9, generator=gen) * 3
    out = _call(fn, c.clone(), s.clone())
    if not isinstance(out, torch.Tensor):
        return _fail(f"return a torch.Tensor, not {type(out).__name__}.")
    if out.shape != c.shape:
        hint = (" (the style's shape: the result keeps the content's layout)"
                if out.shape == s.shape else "")
        return _fail(f"shape {tuple(out.shape)}, expected the content's {tuple(c.shape)}{hint}.")
    if not torch.isfinite(out).all():
        return _fail(_not_finite("adain", out))
    ref = adain(c, s)
    err = (out.float() - ref).abs().max().item()
    if err > 1e-4:
        for why, value in _adain_variants(c, s).items():
            if torch.allclose(out.float(), value, rtol=1e-4, atol=1e-4):
                return _fail(f"max difference {err:.2e} from nst_course.adain.adain: {why}")
        m, _ = mean_std(out.float())
        hint = ("the means are right, check the standard deviation (var + eps, then sqrt; "
                "unbiased var)" if torch.allclose(m, mean_std(s)[0], atol=1e-4)
                else "the per-channel means differ from the style's: average over H and W only")
        return _fail(f"max difference {err:.2e} from nst_course.adain.adain: {hint}")
    print(f"PASS: adain matches nst_course.adain.adain (max difference {err:.1e}).")
    return True


# --- "write it yourself" (lesson 08): content loss, TV loss, the optimisation loop ----------


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


def _content_variants(f, p):
    d = f - p
    return {
        "you used the paper's 1/2 sum (F - P)^2; this course's content loss is the mean, "
        "1/(C*H*W) ||F - P||^2 (divide by the number of elements).": 0.5 * d.pow(2).sum(),
        "you summed the squared differences; divide by the number of elements "
        "(use .mean()).": d.pow(2).sum(),
        "you forgot to square the differences: (F - P).mean() lets positive and negative "
        "differences cancel.": d.mean(),
        "you took absolute differences |F - P| (an L1 loss); square them instead.": d.abs().mean(),
        "you took the norm ||F - P|| instead of its square.": d.pow(2).sum().sqrt(),
        "you took the square root of the mean (an RMS); the loss is the mean itself.":
            d.pow(2).mean().sqrt(),
        "you divided by H*W only; divide by C*H*W (all elements).":
            d.pow(2).sum() / (f.shape[-1] * f.shape[-2]),
    }


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


def check_content_loss(fn) -> bool:
    """Check ``fn(features (N, C, H, W), target (N, C, H, W)) -> scalar`` against
    ``nst_course.content_loss`` (``1/(C*H*W) ||F - P||^2``, the mean over all elements).
    Introduced in notebooks/08_write_it_yourself.ipynb.
    """
    from .losses import content_loss

    gen = torch.Generator().manual_seed(5)
    same = _rand(gen, 1, 2, 3, 3)
    cases = [(label, (_rand(gen, *shape, grad=True), _rand(gen, *shape)))
             for label, shape in [("one image (1, 4, 3, 5)", (1, 4, 3, 5)),
                                  ("a batch (2, 3, 4, 2)", (2, 3, 4, 2))]]
    return _check_loss(
        "content_loss", fn, content_loss, cases, _content_variants,
        zero=((same, same.clone()), "features equal to the target must give a loss of 0"),
        formula="L = mean((F - P)^2)",
        passed="PASS: content_loss matches nst_course.content_loss (mean of squares, batch, gradient).",
        per_position="you returned the squared difference at every position")


def _tv_variants(x):
    dh, dw = x[..., 1:, :] - x[..., :-1, :], x[..., :, 1:] - x[..., :, :-1]
    dc = x[:, 1:] - x[:, :-1]
    return {
        "only vertical differences (along H); add the horizontal ones (along W).": dh.pow(2).mean(),
        "only horizontal differences (along W); add the vertical ones (along H).": dw.pow(2).mean(),
        "you took absolute differences (the L1 form of total variation); this course squares "
        "them: mean(dh^2) + mean(dw^2).": dh.abs().mean() + dw.abs().mean(),
        "you summed the squared differences; take the mean of each direction "
        "(the same number at any image size).": dh.pow(2).sum() + dw.pow(2).sum(),
        "you averaged the two directions; add them: mean(dh^2) + mean(dw^2).":
            (dh.pow(2).mean() + dw.pow(2).mean()) / 2,
        "torch.roll wraps around, so the last row is compared with the first; slice instead: "
        "x[..., 1:, :] - x[..., :-1, :].":
            (x.roll(-1, -2) - x).pow(2).mean() + (x.roll(-1, -1) - x).pow(2).mean(),
        "you took differences between colour channels (dim 1); take them along H (dim -2) and "
        "W (dim -1).": dc.pow(2).mean(),
        "you used the isotropic form sqrt(dh^2 + dw^2) (Mahendran & Vedaldi's regulariser with "
        "beta = 1); this course's term is the squared form: mean(dh^2) + mean(dw^2).":
            (dh[..., :, :-1].pow(2) + dw[..., :-1, :].pow(2)).sqrt().mean(),
    }


def check_tv_loss(fn) -> bool:
    """Check ``fn(image (N, 3, H, W)) -> scalar`` against ``nst_course.total_variation_loss``
    (``mean(dh^2) + mean(dw^2)`` over neighbouring pixels).
    Introduced in notebooks/08_write_it_yourself.ipynb.
    """
    from .losses import total_variation_loss

    gen = torch.Generator().manual_seed(6)
    cases = [(label, (_rand(gen, *shape, grad=True),))
             for label, shape in [("one image (1, 3, 5, 7)", (1, 3, 5, 7)),
                                  ("a batch (2, 3, 6, 4)", (2, 3, 6, 4))]]
    flat = torch.full((1, 3, 4, 4), 0.3, dtype=torch.float64)
    return _check_loss(
        "tv_loss", fn, total_variation_loss, cases, _tv_variants,
        zero=((flat,), "a flat image has no variation, so its loss is 0"),
        formula="mean(dh^2) + mean(dw^2)",
        passed="PASS: tv_loss matches nst_course.total_variation_loss (both directions, squares, means).")


class _ToyObjective:
    """``(total, parts)`` like :class:`~nst_course.losses.Objective` for the quadratic
    ``sum (x - target)^2``, with a known minimum; records how it was called."""

    def __init__(self, target: torch.Tensor):
        self.target, self.calls, self.stale_grad, self.no_grad = target, 0, False, False

    def __call__(self, x):
        self.calls += 1
        if not isinstance(x, torch.Tensor) or not x.requires_grad:
            self.no_grad = True
        elif x.grad is not None and x.grad.abs().sum() > 0:
            self.stale_grad = True  # a gradient from the previous evaluation is still there
        total = (x - self.target).pow(2).sum()
        zero = total.new_zeros(())
        return total, {"content": total, "style": zero, "tv": zero, "total": total}


_LOOP_HINTS = (
    ("does not require grad", "the image you optimise needs requires_grad_(True), and the objective "
     "must be called on that same tensor."),
    ("in-place", "clamp the pixels inside `with torch.no_grad():` (x.clamp_(0, 1))."),
    ("closure", "L-BFGS needs a closure: opt.step(closure), where closure() zeroes the gradients, "
     "evaluates the loss, calls backward() and returns the loss."),
    ("second time", "compute the loss anew in every step (inside the closure), not once before the loop."),
)


def _run_loop(fn, objective, start, steps):
    """``(image, None)`` or ``(None, sentence)`` for one run of the learner's loop."""
    kept = start.clone()
    try:
        out = _call(fn, objective, start, steps)
    except _Stub:
        raise
    except Exception as e:  # name the usual causes of the usual errors
        first = f"{type(e).__name__}: {e}".splitlines()[0][:160]
        hint = next((h for key, h in _LOOP_HINTS if key in str(e)),
                    "read the message, fix that line, and run the check again.")
        return None, f"your loop raised {first} -> {hint}"
    if not torch.equal(start, kept):
        return None, ("your loop changed `start` in place; optimise a copy: "
                      "x = start.clone().requires_grad_(True).")
    if objective.calls == 0:
        return None, "your loop never evaluated the objective; call objective(x) in every step."
    if not isinstance(out, torch.Tensor):
        return None, f"return the optimised image (a tensor), not {type(out).__name__}."
    if out.shape != start.shape:
        return None, (f"you returned shape {tuple(out.shape)}; return the image, shape "
                      f"{tuple(start.shape)}.")
    if objective.no_grad:
        return None, ("the objective got an image without requires_grad: optimise x = "
                      "start.clone().requires_grad_(True) and pass that x to the objective.")
    if objective.stale_grad:
        return None, ("gradients accumulate: call opt.zero_grad() before loss.backward() in every "
                      "step (inside the closure for L-BFGS), or each step adds the old gradient.")
    if objective.calls > steps + 1:
        return None, (f"the objective ran {objective.calls} times for {steps} steps; one step "
                      "should be one evaluation: torch.optim.LBFGS(..., max_iter=1) (its default "
                      "max_iter=20 runs up to 20 iterations, 25 evaluations, per .step()).")
    if objective.calls < steps:
        return None, (f"the objective ran {objective.calls} times for {steps} steps: loop "
                      "`steps` times, one opt.step(...) each.")
    out = out.detach()
    if torch.equal(out, start):
        return None, "you returned the starting image unchanged; return the optimised x."
    return out, None


def check_optimisation_loop(fn, steps: int = 40) -> bool:
    """Check ``fn(objective, start (1, 3, H, W), steps) -> image (1, 3, H, W)``.

    ``objective(x)`` returns ``(total, parts)`` like :class:`nst_course.Objective`. The loop
    must optimise a copy of ``start`` (``start`` stays unchanged), evaluate the objective once
    per step (L-BFGS with ``max_iter=1``, or Adam), clear the gradients before each backward,
    keep the pixels in ``[0, 1]`` and return the optimised image. Two quadratics test it: one
    with its minimum inside ``[0, 1]`` (does the loop get there?) and one beyond 1 (are the
    pixels clamped?). Introduced in notebooks/08_write_it_yourself.ipynb.
    """
    why = _not_a_function("check_optimisation_loop", fn)
    if why:
        return _fail(why)
    gen = torch.Generator().manual_seed(7)
    target = torch.rand(1, 3, 6, 5, generator=gen) * 0.8 + 0.1
    start = torch.full_like(target, 0.5)
    try:
        objective = _ToyObjective(target)
        out, why = _run_loop(fn, objective, start, steps)
        if why:
            return _fail(why)
        start_err, err = (start - target).pow(2).sum().item(), (out - target).pow(2).sum().item()
        if err > 0.05 * start_err:
            return _fail(f"after {steps} steps the image is still far from the minimum (squared "
                         f"distance {err:.3g}, {start_err:.3g} at the start): is each step applied "
                         "to x (opt.step), with the gradient of the loss at x, and a large enough lr?")
        beyond, why = _run_loop(fn, _ToyObjective(torch.full_like(target, 1.5)),
                                torch.full_like(target, 0.97), 3)
        if why:
            return _fail(why)
        if beyond.min() < -1e-6 or beyond.max() > 1 + 1e-6:
            return _fail(f"pixels outside [0, 1] (up to {beyond.max():.3f} when the loss pulls "
                         "them beyond 1): clamp after each step, "
                         "`with torch.no_grad(): x.clamp_(0, 1)`.")
    except _Stub:
        print(NOT_SOLVED)
        return False
    print(f"optimisation loop | {objective.calls} evaluations for {steps} steps | squared distance "
          f"to the minimum {start_err:.3g} -> {err:.2g} | pixels kept in [0, 1]")
    print("PASS: the loop optimises a copy of the image, one evaluation per step, fresh gradients, "
          "pixels in [0, 1].")
    return True
