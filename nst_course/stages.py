"""The stage driver of :func:`~nst_course.stylize`: which sizes a run optimises at, where each
stage starts, and which objective measures it (beside :mod:`nst_course.speed`: none of this
changes the method, only what it costs).

* :func:`schedule_sizes`: ``[(long side, steps), ...]`` for a ``schedule``;
* :func:`auto_plan`: what ``schedule="auto"`` does: where the README's sweep measured it to
  pay, start from AdaIN's picture and stop once the loss is flat (:data:`AUTO_STOP`);
* :func:`initial_image` and :func:`upsample_stage`: the start of the first and of a later stage;
* :func:`objective_class`: above :data:`TILED_ABOVE` pixels the early layers run in bands
  (:class:`~nst_course.tiled.TiledObjective`);
* :func:`run_stages`: the stages one after the other, one history over all of them.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .config import CONTENT_LAYERS, Init, Schedule
from .harness import Result, StopWhenFlat, optimize_image
from .images import load_image, resize
from .interrupts import first_interrupt_only
from .objective import Objective
from .pyramid import LEVELS as PYRAMID_LEVELS
from .tiled import SPLIT, TILED_ABOVE, TiledObjective
from .vgg import LAYERS


def schedule_sizes(schedule: Schedule, long_side: int, steps: int) -> list[tuple[int, int]]:
    """``[(long side, steps), ...]`` of the stages :func:`~nst_course.stylize` runs for ``schedule``.

    ``"coarse-to-fine"``: a third of the steps at 1/4 of ``long_side``, a third at 1/2, the rest
    at full size. ``"single"`` (or None): every step at ``long_side``. ``"auto"``: every step at
    ``long_side`` too: ``nst-course bench --sweep`` found coarse-to-fine ending with higher
    full-size losses than single-scale after the same 300 steps, at every style weight tried;
    what ``"auto"`` changes instead (the start and the number of steps) is :func:`auto_plan`'s.
    ``"pyramid"``: every step at ``long_side``, on the levels of a
    :class:`~nst_course.pyramid.Pyramid` (:func:`auto_plan`). Or increasing long sides ending at
    ``long_side`` (steps split evenly)."""
    if schedule in ("auto", "single", "adain", "pyramid", None):
        return [(long_side, steps)]
    if schedule == "coarse-to-fine":
        if steps < 3:
            raise ValueError(f"coarse-to-fine needs at least 3 steps (one per size), got {steps}")
        sizes = [round(long_side / 4), round(long_side / 2), long_side]
    elif isinstance(schedule, str):
        raise ValueError(f"schedule must be 'auto', 'coarse-to-fine', 'single', 'adain', 'pyramid' or "
                         f"increasing sizes, not {schedule!r}")
    else:
        sizes = [int(s) for s in schedule]
        if not sizes or sizes != sorted(sizes) or min(sizes) < 16:
            raise ValueError("schedule must be 'auto', 'coarse-to-fine', 'single', 'adain', 'pyramid' or "
                             f"increasing sizes, not {schedule!r}")
        if sizes[-1] != long_side:
            raise ValueError(f"the last size of schedule {sizes} must be the image's {long_side} px")
        if steps < len(sizes):
            raise ValueError(f"{steps} steps cannot be split over {len(sizes)} sizes")
    split = [steps // len(sizes)] * len(sizes)
    split[-1] += steps - sum(split)
    return list(zip(sizes, split))


#: ``schedule="adain"`` runs this share of ``steps`` from AdaIN's picture (at least
#: :data:`WARM_MIN_STEPS`), stopping earlier once the loss is flat (:data:`AUTO_STOP`)
WARM_SHARE = 0.3
WARM_MIN_STEPS = 30
AUTO_STOP = StopWhenFlat(rel_tol=0.002, window=10, min_steps=WARM_MIN_STEPS)
#: ``schedule="auto"`` runs ``"adain"``'s plan for a long side of at least this (None: never).
#: None: it does not pay at any size measured. The sweep (README, "Time to quality") at 256 px
#: and, on 2026-12-07, at 512 px on both pairs at weights 10-4000: 27-31 % of single-scale's
#: time, 1.20-2.20x its total loss, never within 5 %; and at the lessons' 256 px it would change
#: what lessons 05-07 show. Set it where ``nst-course bench --sweep --sweep-schedules adain`` at
#: that size shows it pays (within 5 % of single-scale's total loss in <= 35 % of its time)
WARM_FROM: int | None = None
#: ... and for style weights in this range (those the sweep measures)
WARM_WEIGHTS = (10.0, 4000.0)


@dataclass(frozen=True)
class Plan:
    """What a run does with a ``schedule`` (:func:`auto_plan`): its start, its steps at most,
    its stopping rule (None: all ``steps``) and the levels of the image the optimiser changes
    (1: the pixels; more: a :class:`~nst_course.pyramid.Pyramid`)."""

    init: Init
    steps: int
    stop: StopWhenFlat | None = None
    levels: int = 1


def auto_plan(schedule: Schedule, long_side: int, steps: int, *, init: Init = "content",
              optimizer: str = "lbfgs", style_weight: float = 1.0, n_styles: int = 1) -> Plan:
    """The :class:`Plan` of a run with ``schedule``: what ``"adain"``, ``"pyramid"`` and
    ``"auto"`` change.

    ``"pyramid"``: the run as asked, its image optimised as a
    :class:`~nst_course.pyramid.Pyramid` of :data:`~nst_course.pyramid.LEVELS` levels.

    ``"adain"``: a run from the photo (``init="content"``, the default) starts from AdaIN's
    picture instead (``init="adain"``, the cost of about one step) and runs
    :data:`WARM_SHARE` of ``steps``, fewer once its loss is flat (:data:`AUTO_STOP`); the
    idea is that 30 % of the steps from a picture that has the style's statistics already
    get as low as all of them from the photo (the README's sweep measures it). Another
    ``init`` is refused: the schedule is the start.

    ``"auto"``: the same for an L-BFGS run of one style from the photo at a long side of at
    least :data:`WARM_FROM` px and a style weight within :data:`WARM_WEIGHTS`, where
    ``nst-course bench --sweep`` measured it to pay; anything else runs as asked:
    ``Plan(init, steps)``."""
    share = Plan("adain", min(steps, max(WARM_MIN_STEPS, round(WARM_SHARE * steps))), AUTO_STOP)
    if schedule == "adain":
        if not (isinstance(init, str) and init in ("content", "adain")):
            raise ValueError("schedule 'adain' starts from AdaIN's picture; leave init at 'content' "
                             "or use schedule 'single' with your init.")
        return share
    if schedule == "pyramid":
        return Plan(init, steps, levels=PYRAMID_LEVELS)
    lo, hi = WARM_WEIGHTS
    warm = (schedule == "auto" and WARM_FROM is not None and isinstance(init, str) and init == "content"
            and optimizer == "lbfgs" and n_styles == 1 and long_side >= WARM_FROM
            and lo <= style_weight <= hi and steps > WARM_MIN_STEPS)
    return share if warm else Plan(init, steps)


def adain_start(content_img: torch.Tensor, style_imgs: Sequence[torch.Tensor],
                blend: Sequence[float] | None = None) -> torch.Tensor:
    """AdaIN's picture (:func:`~nst_course.adain.adain_stylize`, ``alpha=1``) of ``content_img``
    ``(1, 3, H, W)`` in the style(s), at the content's size (AdaIN crops to a multiple of 8)."""
    from .adain import adain_stylize

    img = adain_stylize(content_img, list(style_imgs), style_blend=blend,
                        device=content_img.device).image
    return F.interpolate(img, size=content_img.shape[-2:], mode="bilinear",
                         align_corners=False).clamp(0, 1)


def initial_image(init: Init, content_img: torch.Tensor, style_img: torch.Tensor, seed: int = 0,
                  ) -> torch.Tensor:
    """The starting image ``(1, 3, H, W)`` (content's size) for ``init``: ``"content"``,
    ``"noise"``, ``"style"`` (stretched to the content's shape), ``"adain"``
    (:func:`adain_start`) or a tensor."""
    if isinstance(init, torch.Tensor):
        start = resize(init.to(content_img.device), max(content_img.shape[-2:])).clone()
        if start.shape[-2:] != content_img.shape[-2:]:
            raise ValueError(f"init is {init.shape[-1]}x{init.shape[-2]}, not the shape of the content "
                             f"({content_img.shape[-1]}x{content_img.shape[-2]}); resize or crop it.")
        return start
    if init == "content":
        return content_img.clone()
    if init == "style":
        return F.interpolate(style_img, size=content_img.shape[-2:], mode="bilinear",
                             align_corners=False)
    if init == "noise":
        gen = torch.Generator().manual_seed(seed)
        return torch.rand(content_img.shape, generator=gen).to(content_img.device)
    if init == "adain":
        return adain_start(content_img, [style_img])
    raise ValueError(f"init must be 'content', 'noise', 'style', 'adain' or a tensor, not {init!r}")


def upsample_stage(image: torch.Tensor, content: torch.Tensor, coarse_content: torch.Tensor | None,
                   ) -> torch.Tensor:
    """A coarse stage's result ``(1, 3, h, w)`` brought to ``content``'s size ``(1, 3, H, W)``.

    With ``coarse_content`` (the content image at that stage's size) the photo's fine detail,
    which the coarse stage could not hold, is added back: ``up(image) + content -
    up(coarse_content)``, i.e. the photo plus the changes the coarse stage made. Without it
    (a run from noise) the upsampled image alone."""
    def up(x):
        return F.interpolate(x, size=content.shape[-2:], mode="bilinear", align_corners=False)

    if coarse_content is None:
        return up(image).clamp(0, 1)
    return (up(image) + content - up(coarse_content)).clamp(0, 1)


def objective_class(content_img: torch.Tensor, content_layers: Sequence[str]) -> type[Objective]:
    """:class:`~nst_course.tiled.TiledObjective` for a content image ``(1, 3, H, W)`` of more
    than :data:`TILED_ABOVE` pixels whose content layers all lie past the bands, else
    :class:`~nst_course.objective.Objective` (the same numbers)."""
    tiled = content_img[0, 0].numel() > TILED_ABOVE and all(
        LAYERS.index(n) > LAYERS.index(SPLIT) for n in content_layers)
    return TiledObjective if tiled else Objective


def run_stages(vgg, content_img: torch.Tensor, styles: Sequence[torch.Tensor],
               stages: Sequence[tuple[int, int]], *, init: Init = "content", seed: int = 0,
               style_scale: float = 1.0, objective_kwargs: dict | None = None,
               **optimize_kwargs) -> Result:
    """Optimise ``content_img`` ``(1, 3, H, W)`` in ``styles`` stage after stage.

    ``stages`` is :func:`schedule_sizes`' list; the style images are loaded at each stage's
    long side times ``style_scale``; ``objective_kwargs`` go to the objective (layers,
    weights, blend), ``optimize_kwargs`` to :func:`~nst_course.harness.optimize_image`
    (``stop`` among them: the rule applies to each stage's steps).
    A later stage starts from the previous result upsampled (:func:`upsample_stage`); the
    history is one list over all stages (``step`` and ``seconds`` keep increasing; the
    seconds count the start image too, e.g. AdaIN's pass for ``init="adain"``).
    """
    objective_kwargs = objective_kwargs or {}
    content_layers = objective_kwargs.get("content_layers", CONTENT_LAYERS)
    full = max(content_img.shape[-2:])
    result, step0, t0 = Result(image=content_img), 0, time.perf_counter()
    history, snapshots, prev_content = [], {}, None
    with first_interrupt_only():  # a Ctrl-C ends the run; a second one cannot lose its result
        for k, (long, n) in enumerate(stages):
            c_img = content_img if long == full else resize(content_img, long)
            s_imgs = [load_image(s, round(long * style_scale)).to(c_img.device) for s in styles]
            objective = objective_class(c_img, content_layers)(vgg, c_img, s_imgs, **objective_kwargs)
            if k == 0 and isinstance(init, str) and init == "adain":  # every style, blended
                start = adain_start(c_img, s_imgs, objective_kwargs.get("style_blend"))
            elif k == 0:
                start = initial_image(init, c_img, s_imgs[0], seed)
            else:  # the previous stage's picture, upsampled: only detail is left to find
                start = upsample_stage(result.image, c_img, prev_content)
            # a run that starts from the photo keeps the photo's fine detail from stage to stage
            prev_content = c_img if isinstance(init, str) and init == "content" else None
            desc = "stylize" if len(stages) == 1 else f"stylize {c_img.shape[-1]}x{c_img.shape[-2]}"
            result = optimize_image(objective, start, steps=n, desc=desc, step_offset=step0,
                                    time_offset=time.perf_counter() - t0, **optimize_kwargs)
            history += result.history
            snapshots.update(result.snapshots)
            step0 += n
            if result.stopped not in ("done", "flat"):
                break
        if result.image.shape[-2:] != content_img.shape[-2:]:  # stopped early in a coarse stage
            result.image = F.interpolate(result.image, size=content_img.shape[-2:], mode="bilinear",
                                         align_corners=False).clamp(0, 1)
        result.history, result.snapshots = history, snapshots
    return result
