"""The harness around the optimisation kernel (:func:`nst_course.loop.optimization_loop`).

The kernel is the loop lesson 05 teaches; what a real run needs besides is here, and
nothing here changes a step the kernel takes:

* the record of every step (:class:`Step`, :class:`Result`), measured on the image
  *before* that step's update, and snapshots;
* the image returned: the best one seen, and the final pixels re-measured so that the
  image and its losses agree;
* the L-BFGS gradient scale for losses with tiny gradients (:func:`lbfgs_loss_scale`);
* a tqdm progress bar, the user's callback, and the safety nets: a NaN or infinite
  loss stops the run with the last good image, Ctrl-C returns the best image so far;
* a stopping rule for a loss that has gone flat (:class:`StopWhenFlat`);
* while the loop runs, freed memory kept for the next step (:mod:`nst_course.allocator`).

In the spirit of pystiche's ``image_optimization`` (a loop) and ``OptimProgressBar``
(what is reported around it).
"""

from __future__ import annotations

import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch

from .allocator import kept_while_running
from .config import Callback
from .interrupts import first_interrupt_only
from .loop import make_optimizer, optimization_loop
from .pyramid import Pyramid
from .tiled import TILED_ABOVE


@dataclass
class Step:
    """One record of :attr:`Result.history` (losses are unweighted, total is weighted)."""

    step: int
    content_loss: float
    style_loss: float
    tv_loss: float
    total_loss: float
    seconds: float

    def __getitem__(self, key):  # also usable like a dict: rec["total_loss"]
        return getattr(self, key)


@dataclass
class Result:
    """What an optimisation returns.

    Attributes:
        image: ``(1, 3, H, W)`` in ``[0, 1]``, the best image found (lowest total loss).
        history: one :class:`Step` per step (each measured on the image *before* that
            step's update).
        best: the :class:`Step` measured on ``image`` itself (see :attr:`final`).
        stopped: ``"done"``, ``"interrupted"`` (Ctrl-C), ``"nan"``, ``"callback"`` or
            ``"flat"`` (a ``stop`` rule such as :class:`StopWhenFlat` ended it).
        snapshots: ``{step: image (1, 3, h, w)}`` every ``snapshot_every`` steps (keyed
            by step also in a coarse-to-fine run, whose early images are smaller).
    """

    image: torch.Tensor
    history: list[Step] = field(default_factory=list)
    stopped: str = "done"
    snapshots: dict[int, torch.Tensor] = field(default_factory=dict)
    best: Step | None = None

    @property
    def seconds(self) -> float:
        return self.history[-1].seconds if self.history else 0.0

    @property
    def final(self) -> Step | None:
        """The losses of the returned :attr:`image`: usually those of the last pixels, but
        when L-BFGS jumps up late in a run the image is an earlier, better one, and so are
        these losses (``history[-1]`` is the last step's record)."""
        if self.best is not None:
            return self.best
        return self.history[-1] if self.history else None

    def __repr__(self) -> str:
        h, w = self.image.shape[-2:]
        last = self.final
        losses = (f", content={last.content_loss:.4g}, style={last.style_loss:.4g}, "
                  f"total={last.total_loss:.4g}" if last else "")
        return (f"Result({w}x{h}, {len(self.history)} steps in {self.seconds:.1f} s"
                f"{losses}, stopped={self.stopped!r})")


#: :func:`optimize_image` scales a loss whose first gradient has a smaller L1 norm up to this
#: (for L-BFGS only; see :func:`lbfgs_loss_scale`)
LBFGS_MIN_GRAD_L1 = 1.0


def lbfgs_loss_scale(grad: torch.Tensor) -> float:
    """The factor L-BFGS's gradient is multiplied by: ``max(1, LBFGS_MIN_GRAD_L1 / |grad|_1)``
    for the first gradient ``grad`` of a run.

    torch's L-BFGS keeps a curvature pair only when ``s^T y > 1e-10``, an absolute threshold.
    A loss with a tiny gradient (a random network's features, lesson 02's exercise 6) would
    never keep one and crawl along the gradient for ever. A constant factor changes neither
    the minimum nor the steps L-BFGS takes once it has pairs, and it is 1 for every run whose
    gradient is large enough already (all of the trained network's)."""
    norm = grad.abs().sum().item()
    return 1.0 if not norm > 0 or norm >= LBFGS_MIN_GRAD_L1 else LBFGS_MIN_GRAD_L1 / norm


@dataclass(frozen=True)
class StopWhenFlat:
    """A stopping rule: ``rule(totals) -> True`` once the loss has gone flat.

    ``totals`` are the total losses of the steps so far (:attr:`Step.total_loss`, one per
    step). The rule says stop at step ``t >= min_steps`` when the best loss of the last
    ``window`` steps is at most ``rel_tol`` (a fraction) below the best loss before them.
    The best, not the last: L-BFGS without a line search sometimes steps up for a step or two.
    Lesson 06's ``stop_when_flat`` exercise is the same idea with ``window`` = the callback's
    interval and the last loss. It looks at losses only, never at the clock, so a run stops at
    the same step on a fast and on a busy machine.
    """

    rel_tol: float
    window: int
    min_steps: int = 0

    def __post_init__(self):
        if not (self.rel_tol >= 0 and self.window >= 1 and self.min_steps >= 0):
            raise ValueError(f"StopWhenFlat needs rel_tol >= 0, window >= 1 and min_steps >= 0, not "
                             f"{self.rel_tol!r}, {self.window!r}, {self.min_steps!r}")

    def __call__(self, totals: Sequence[float]) -> bool:
        t = len(totals)
        if t < max(self.min_steps, self.window + 1):
            return False
        before, now = min(totals[: t - self.window]), min(totals)
        return before - now <= self.rel_tol * abs(before)


class _NonFinite(Exception):
    """The loss became NaN or infinite (raised before its backward pass)."""


class _Recorder:
    """``objective`` as the kernel calls it, keeping the last ``parts`` and the image they were
    measured on; a non-finite loss raises :class:`_NonFinite` instead of stepping on it."""

    def __init__(self, objective: Callable[[torch.Tensor], tuple[torch.Tensor, dict]]):
        self.objective, self.parts, self.image = objective, {}, None

    def __call__(self, x: torch.Tensor) -> tuple[torch.Tensor, dict]:
        total, parts = self.objective(x)
        if not torch.isfinite(total):
            raise _NonFinite(total.item())
        self.parts, self.image = parts, x.detach().clone()
        return total, parts


def _scale_lbfgs_gradients(params: Sequence[torch.Tensor]) -> None:
    """Multiply every gradient of ``params`` (the pixels, or a pyramid's levels) by
    :func:`lbfgs_loss_scale` of the first gradient (one factor for all: a scaled loss)."""
    scale = []

    def hook(grad):
        if not scale:
            scale.append(lbfgs_loss_scale(grad))
        return grad if scale[0] == 1.0 else grad * scale[0]

    for p in params:
        p.register_hook(hook)


def optimize_image(objective: Callable[[torch.Tensor], tuple[torch.Tensor, dict]],
                   start: torch.Tensor, *, steps: int, optimizer: str = "lbfgs",
                   lr: float | None = None, callback: Callback | None = None, callback_every: int = 10,
                   snapshot_every: int | None = None, progress: bool = True,
                   desc: str = "optimize", step_offset: int = 0, time_offset: float = 0.0,
                   stop: Callable[[Sequence[float]], bool] | None = None, levels: int = 1) -> Result:
    """Minimise ``objective(image)`` over the pixels of ``start`` ``(1, 3, H, W)`` for ``steps``
    steps with :func:`~nst_course.loop.optimization_loop`, recording each step.

    ``step_offset`` / ``time_offset`` shift the recorded ``step`` and ``seconds``
    (a later stage of a coarse-to-fine run continues the first one's history).
    ``stop(totals)`` (e.g. :class:`StopWhenFlat`), asked after every step with the total
    losses of this run's steps so far, ends the run early when it returns True
    (``stopped="flat"``). ``levels > 1``: the optimiser changes a
    :class:`~nst_course.pyramid.Pyramid` of that many levels instead of the pixels (same
    objective, same loop, other coordinates).
    Ctrl-C returns the best image so far (``stopped="interrupted"``; a second Ctrl-C before
    it has returned is ignored: :mod:`~nst_course.interrupts`); a NaN or
    infinite loss stops the run and returns the last good image (``stopped="nan"``).
    While the loop runs the C allocator keeps freed memory for the next step (CPU images not run
    in bands; :func:`~nst_course.allocator.kept_while_running`).
    """
    from tqdm.auto import tqdm

    from .config import bars_off

    recorder, result = _Recorder(objective), Result(image=start.detach().clone())
    if levels > 1:
        x, kernel_objective = Pyramid(start, levels), lambda p: recorder(p.image())
    else:
        x, kernel_objective = start.detach().clone().contiguous().requires_grad_(True), recorder
    if optimizer == "lbfgs":
        _scale_lbfgs_gradients(getattr(x, "levels", [x]))
    t0, last_step = time.perf_counter() - time_offset, step_offset + steps
    bar = tqdm(total=steps, desc=desc, disable=bars_off(progress), leave=False)

    def after_step(i: int, x: torch.Tensor) -> bool:
        step, parts = step_offset + i, recorder.parts
        rec = Step(step, parts["content"].item(), parts["style"].item(), parts["tv"].item(),
                   parts["total"].item(), time.perf_counter() - t0)
        result.history.append(rec)
        if result.best is None or rec.total_loss < result.best.total_loss:
            result.image, result.best = recorder.image.clamp(0, 1), rec  # the image it measured
        if snapshot_every and step % snapshot_every == 0:
            result.snapshots[step] = x.detach().clone()
        bar.update(1)
        if step % 10 == 0 or step == last_step:
            bar.set_postfix(loss=f"{rec.total_loss:.4g}")
        if callback is not None and (step % callback_every == 0 or step == last_step):
            if callback(rec, x.detach()):
                result.stopped = "callback"
                return True
        if stop is not None and stop([r.total_loss for r in result.history]):
            result.stopped = "flat"
            return True
        return False

    # a second Ctrl-C cannot lose the result; no page faults for each step's tensors
    with first_interrupt_only(), kept_while_running(_keeps_memory(start)):
        try:
            optimization_loop(kernel_objective, x, make_optimizer(x, optimizer, lr), steps, after_step)
        except _NonFinite as e:
            warnings.warn(f"step {step_offset + len(result.history) + 1}: the loss became {e.args[0]}; "
                          "stopped and returned the last good image (try a smaller lr or weights).",
                          RuntimeWarning, stacklevel=2)
            result.stopped = "nan"
        except KeyboardInterrupt:
            result.stopped = "interrupted"
            bar.close()  # the message goes under a closed bar, not into it
            print(f"Interrupted after {len(result.history)} steps: returning the best image so far.",
                  file=sys.stderr)
        finally:
            bar.close()
        if result.stopped in ("done", "callback", "flat") and result.history:
            _measure_final(objective, x.detach().clamp(0, 1), result)
    return result


def _keeps_memory(start: torch.Tensor) -> bool:
    """Keep freed memory during the run (:func:`~nst_course.allocator.kept_while_running`) for a
    CPU image not run in bands: there it would peak 1.6x higher (README, "Performance")."""
    return start.device.type == "cpu" and start[0, 0].numel() <= TILED_ABOVE


def _measure_final(objective, x: torch.Tensor, result: Result) -> None:
    """The final pixels are usually the best: measure them so that image and losses agree."""
    with torch.no_grad():
        total, parts = objective(x)
    if torch.isfinite(total) and total.item() <= result.best.total_loss:
        last = result.history[-1]
        result.image = x.detach().clone()
        result.best = Step(last.step, parts["content"].item(), parts["style"].item(),
                           parts["tv"].item(), total.item(), last.seconds)
