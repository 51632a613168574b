"""Five ways to stylise a clip, from flickering to steady. Introduced in notebooks/10_video.ipynb.

====  =============  ===========================================================================
(a)   ``gatys``      Gatys et al. on every frame from its own white noise: each frame finds
                     another local minimum, so the strokes jump from frame to frame (flicker).
(b)   ``warm``       frame ``t`` starts from the stylised frame ``t-1`` (Ruder et al.'s "prev"
                     initialisation): fewer steps, but strokes stay where the *previous* frame
                     had them while the scene moves under them.
(c)   ``temporal``   Ruder, Dosovitskiy & Brox (2016): start from the previous result *warped*
                     along the flow, and add the masked temporal loss
                     ``temporal_weight * (1/D) sum_i c_i (x_i - warp(x_{t-1})_i)^2``.
(d)   ``net``        a feed-forward network (Johnson et al.; lesson 09) on every frame.
(e)   ``net-blend``  (d), then every valid pixel blended with the warped previous *output*:
                     ``o_t = (1 - c*b) n_t + c*b warp(o_{t-1})`` for blend ``b``, a cheap
                     stand-in for the temporal losses Huang et al. (2017) and ReCoNet (Gao et
                     al. 2018) train their networks with.
====  =============  ===========================================================================

Methods (c) and (e) need flows and masks ``(T-1, 2, H, W)`` / ``(T-1, 1, H, W)``
(:mod:`nst_course.video` for a synthetic camera, :mod:`nst_course.flow` for any clip).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from .config import CONTENT_LAYERS, STYLE_LAYERS
from .feedforward import apply_net
from .interrupts import first_interrupt_only
from .objective import Objective
from .video import temporal_loss, warp

#: the methods, in the lesson's order (a) ... (e)
METHODS = ("gatys", "warm", "temporal", "net", "net-blend")
OPTIMISED = METHODS[:3]
#: content weight 1; below ``stylize``'s 10: a frame started from noise gets only ~100 steps,
#: and at 10 the photo's content has not yet appeared after them (at 128 px)
STYLE_WEIGHT = 3.0
#: Ruder et al.'s temporal term, scaled to this course's loss normalisation
TEMPORAL_WEIGHT = 2000.0
#: share of the warped previous output kept in (e)
BLEND = 0.6


@dataclass
class VideoResult:
    """What :func:`stylize_clip` returns: ``frames`` ``(T', 3, H, W)`` (``T' < T`` when
    interrupted), seconds per frame, and the losses of each frame where measured."""

    method: str
    frames: torch.Tensor
    seconds: list[float] = field(default_factory=list)
    content_loss: list[float] = field(default_factory=list)
    style_loss: list[float] = field(default_factory=list)
    stopped: str = "done"

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds)

    def __repr__(self) -> str:
        return (f"VideoResult({self.method!r}: {self.frames.shape[0]} frames in "
                f"{self.total_seconds:.1f} s, stopped={self.stopped!r})")


def _optimise(objective: Objective, start: torch.Tensor, steps: int,
              extra: Callable[[torch.Tensor], torch.Tensor] | None = None) -> tuple[torch.Tensor, dict]:
    """Lesson 05's loop: L-BFGS on the pixels, one loss evaluation per step, clamped to [0, 1];
    ``extra(x)`` is added to the loss (the temporal term). Returns the image and its losses."""
    x = start.detach().clone().contiguous().requires_grad_(True)
    opt = torch.optim.LBFGS([x], lr=1.0, max_iter=1, history_size=50,
                            tolerance_grad=-1, tolerance_change=-1)
    good = x.detach().clone()

    def closure():
        opt.zero_grad(set_to_none=True)
        total, _ = objective(x)
        if extra is not None:
            total = total + extra(x)
        total.backward()
        return total

    for _ in range(steps):
        loss = opt.step(closure)
        if not torch.isfinite(loss):
            break  # keep the last good image
        with torch.no_grad():
            x.clamp_(0, 1)
            good = x.detach().clone()
    with torch.no_grad():
        _, parts = objective(good)
    return good, {k: v.item() for k, v in parts.items()}


def _noise(like: torch.Tensor, seed: int) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return torch.rand(like.shape, generator=gen).to(like.device)


def stylize_clip(frames: torch.Tensor, method: str, *, style_img: torch.Tensor | None = None,
                 vgg=None, net=None, style=0, flows: torch.Tensor | None = None,
                 masks: torch.Tensor | None = None, steps: int = 60, first_steps: int | None = None,
                 style_weight: float = STYLE_WEIGHT, temporal_weight: float = TEMPORAL_WEIGHT,
                 blend: float = BLEND, seed: int = 0, progress: bool = True,
                 on_frame: Callable[[int, torch.Tensor], None] | None = None) -> VideoResult:
    """Stylise ``frames`` ``(T, 3, H, W)`` in [0, 1] by ``method`` (:data:`METHODS`).

    Optimised methods need ``style_img`` ``(1, 3, H', W')`` and a ``vgg``; ``first_steps``
    (default ``steps``) is spent on frame 0 and, for ``gatys``, on every frame (each starts
    from noise). The network methods need ``net`` (a :class:`~nst_course.feedforward.StyleNet`)
    and ``style`` (its index, name or mix). ``on_frame(t, image (1, 3, H, W))`` runs when a
    frame is done (e.g. to save it). Ctrl-C stops after the frames already finished
    (``stopped="interrupted"``; a second Ctrl-C before it has returned is ignored).
    """
    from tqdm.auto import tqdm

    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    needs_flow = method in ("temporal", "net-blend") and frames.shape[0] > 1
    if needs_flow and (flows is None or masks is None):
        raise ValueError(f"method {method!r} needs flows and masks (nst_course.flow.estimate_clip_flows)")
    if method in OPTIMISED and (style_img is None or vgg is None):
        raise ValueError(f"method {method!r} optimises pixels: give style_img and vgg")
    if method not in OPTIMISED and net is None:
        raise ValueError(f"method {method!r} needs a trained network (net=...)")
    first_steps = steps if first_steps is None else first_steps
    objective = None
    if method in OPTIMISED:
        objective = Objective(vgg, frames[:1], style_img, content_layers=CONTENT_LAYERS,
                              style_layers=STYLE_LAYERS, style_weight=style_weight)
    result, done = VideoResult(method, frames[:0]), []
    bar = tqdm(total=frames.shape[0], desc=method, disable=not progress, leave=False)
    with first_interrupt_only():  # a second Ctrl-C cannot lose the finished frames
        try:
            for t in range(frames.shape[0]):
                t0 = time.perf_counter()
                frame = frames[t:t + 1]
                if objective is not None:
                    objective.set_content(frame)
                    extra = None
                    if method == "gatys" or t == 0:
                        start, n = _noise(frame, seed + t), first_steps
                    elif method == "warm":
                        start, n = done[-1], steps
                    else:
                        start, n = warp(done[-1], flows[t - 1:t]).clamp(0, 1), steps
                        target, c = start.detach(), masks[t - 1:t]
                        extra = lambda x, target=target, c=c: (  # noqa: E731
                            temporal_weight * temporal_loss(x, target, c))
                    out, parts = _optimise(objective, start, n, extra)
                    result.content_loss.append(parts["content"])
                    result.style_loss.append(parts["style"])
                else:
                    out = apply_net(net, frame, style)
                    if method == "net-blend" and t > 0:
                        keep = blend * masks[t - 1:t]
                        out = ((1 - keep) * out + keep * warp(done[-1], flows[t - 1:t])).clamp(0, 1)
                done.append(out)
                result.seconds.append(time.perf_counter() - t0)
                if on_frame is not None:
                    on_frame(t, out)
                bar.update(1)
        except KeyboardInterrupt:
            result.stopped = "interrupted"
            print(f"Interrupted: keeping the {len(done)} finished frame(s).", file=sys.stderr)
        finally:
            bar.close()
        result.frames = torch.cat(done) if done else frames[:0]
    return result


@torch.no_grad()
def frame_losses(stylised: torch.Tensor, frames: torch.Tensor, style_img: torch.Tensor, vgg,
                 style_weight: float = STYLE_WEIGHT) -> tuple[list[float], list[float]]:
    """Content and style loss of each stylised frame ``(T, 3, H, W)`` against its frame, with
    the objective of the optimised methods (so every method is measured on one scale)."""
    objective = Objective(vgg, frames[:1], style_img, content_layers=CONTENT_LAYERS,
                          style_layers=STYLE_LAYERS, style_weight=style_weight)
    content, style = [], []
    for out, frame in zip(stylised, frames):
        objective.set_content(frame[None])
        _, parts = objective(out[None])
        content.append(parts["content"].item())
        style.append(parts["style"].item())
    return content, style
