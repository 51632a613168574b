"""Lesson 06, part 2 ("write it yourself"): ``check_content_loss``, ``check_tv_loss``,
``check_optimisation_loop``."""

from __future__ import annotations

import torch

from ._core import (
    _call,
    _check_loss,
    _checker,
    _fail,
    _not_a_function,
    _not_finite,
    _rand,
    _Stub,
)


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


def check_content_loss(fn) -> bool:
    """Check ``fn(features (N, C, H, W), target (N, C, H, W)) -> scalar`` against
    ``nst_course.content_loss`` (``1/(C*H*W) ||F - P||^2``, the mean over all elements).
    Introduced in notebooks/08_write_it_yourself.ipynb.
    """
    from ..losses import content_loss

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
    from ..losses import total_variation_loss

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
    """``(total, parts)`` like :class:`~nst_course.objective.Objective` for the quadratic
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
    if not torch.isfinite(out).all():
        return None, _not_finite("your loop's image", out)
    if torch.equal(out, start):
        return None, "you returned the starting image unchanged; return the optimised x."
    return out, None


@_checker
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
    # a stub, a crash and the time limit are the shared wrapper's (_checker)
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
    print(f"optimisation loop | {objective.calls} evaluations for {steps} steps | squared distance "
          f"to the minimum {start_err:.3g} -> {err:.2g} | pixels kept in [0, 1]")
    print("PASS: the loop optimises a copy of the image, one evaluation per step, fresh gradients, "
          "pixels in [0, 1].")
    return True
