"""The optimisation kernel of notebooks/05_gatys_optimization.ipynb: the optimiser and the loop.

This is the code lesson 05 prints and every optimisation-based run goes through
(:func:`~nst_course.stylize`, :func:`~nst_course.reconstruct`,
:func:`~nst_course.control.masked_stylize`). Recording the losses, the progress bar,
the safety nets (NaN, Ctrl-C) and the choice of the best image are the harness
around it (:mod:`nst_course.harness`); sizes and stages are :mod:`nst_course.stages`.

**One step = one loss evaluation** (one VGG19 forward and backward pass) with the
optimisers of :func:`make_optimizer`: Adam always, and L-BFGS with ``max_iter=1`` and
no line search. PyTorch's L-BFGS may evaluate the loss more than once per
``step()`` call: up to ``max_iter`` times with ``max_iter > 1`` (its default is 20),
and several times per iteration with ``line_search_fn="strong_wolfe"``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

#: memory L-BFGS may spend on its history (2 vectors of the image's size per entry)
LBFGS_HISTORY_BYTES = 400e6


def lbfgs_history(nbytes: int) -> int:
    """L-BFGS pairs kept for parameters of ``nbytes``: 50, fewer where 2 copies each would pass
    :data:`LBFGS_HISTORY_BYTES`, 3 at least."""
    return int(max(3, min(50, LBFGS_HISTORY_BYTES // (2 * nbytes))))


def make_optimizer(x: torch.Tensor, optimizer: str = "lbfgs", lr: float | None = None,
                   ) -> torch.optim.Optimizer:
    """The optimiser of the pixels ``x``: one ``opt.step(closure)`` = one loss evaluation.
    (``x`` may also be a :class:`~nst_course.pyramid.Pyramid`: its levels are the parameters.)

    ``"lbfgs"`` (the paper's choice): one L-BFGS iteration per step (``max_iter=1``) and no
    line search, so the closure runs exactly once per step; tolerances off, so it never stops
    on its own; a history of 50 pairs, fewer for huge images (each pair is 2 copies of the
    image, :data:`LBFGS_HISTORY_BYTES` in all, 3 pairs at least). ``"adam"``: one
    evaluation per step, ``lr`` 0.02 by default.
    """
    params = getattr(x, "levels", [x])
    if optimizer == "lbfgs":
        history = lbfgs_history(sum(p.numel() * p.element_size() for p in params))
        return torch.optim.LBFGS(params, lr=lr or 1.0, max_iter=1, history_size=history,
                                 tolerance_grad=-1, tolerance_change=-1)
    if optimizer == "adam":
        return torch.optim.Adam(params, lr=lr or 0.02)
    raise ValueError(f"optimizer must be 'lbfgs' or 'adam', not {optimizer!r}")


def optimization_loop(objective: Callable[[torch.Tensor], tuple[torch.Tensor, dict]],
                      x: torch.Tensor, optimizer: torch.optim.Optimizer, steps: int,
                      after_step: Callable[[int, torch.Tensor], bool | None] | None = None) -> None:
    """Change the pixels of ``x`` ``(1, 3, H, W)`` (a leaf that requires grad) for ``steps``
    steps to lower ``objective(x) -> (total, parts)``; ``after_step(step, x)`` returning
    True stops early."""
    def closure():
        optimizer.zero_grad()
        total, parts = objective(x)  # features of x, compared with the targets
        total.backward()  # gradient of the loss with respect to the pixels
        return total

    for step in range(1, steps + 1):
        optimizer.step(closure)  # change the pixels (L-BFGS calls closure once: max_iter=1)
        with torch.no_grad():
            x.clamp_(0, 1)  # stay a valid image
        if after_step is not None and after_step(step, x):
            break
