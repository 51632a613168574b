"""Optimise an image: style transfer, reconstruction from one layer, texture synthesis.

The network is frozen; the *generated image* is the only parameter. Introduced in
notebooks/05_gatys_optimization.ipynb. The public functions of this module set up an
objective and run it through three layers, each its own module:

* :mod:`nst_course.loop`: the kernel lesson 05 prints: the optimiser and the loop
  (zero_grad, objective, backward, step, clamp); one step = one loss evaluation;
* :mod:`nst_course.harness`: around it, the record of each step (:class:`Result`,
  :class:`Step`), the best image, progress bar and safety nets (NaN, Ctrl-C);
* :mod:`nst_course.stages`: for :func:`stylize`, the sizes (``schedule``), the start of
  each stage and the banded objective for big images.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from . import validate
from .config import (
    CONTENT_LAYERS,
    DEFAULT_STEPS,
    DEFAULT_STYLE_CALIBRATION,
    DEFAULT_STYLE_WEIGHT,
    STYLE_LAYERS,
    Callback,
    Device,
    ImageSource,
    Init,
    Precision,
    Schedule,
    as_list,
    get_device,
    source_size,
)
from .harness import Result, Step, optimize_image
from .images import as_image_inputs, load_image
from .losses import LayerWeights
from .objective import Objective, check_calibration
from .stages import auto_plan, initial_image, run_stages, schedule_sizes
from .vgg import Weights, load_vgg

__all__ = ["DEFAULT_STEPS", "DEFAULT_STYLE_CALIBRATION", "DEFAULT_STYLE_WEIGHT", "Result", "Step",
           "reconstruct", "stylize", "synthesize_texture"]

def stylize(content: ImageSource, style: ImageSource | Sequence[ImageSource], *,
            steps: int = DEFAULT_STEPS, size: int | None = None,
            content_layers: Sequence[str] = CONTENT_LAYERS, style_layers: Sequence[str] = STYLE_LAYERS,
            content_weight: float = 1.0, style_weight: float = DEFAULT_STYLE_WEIGHT,
            tv_weight: float = 0.0, style_layer_weights: LayerWeights = None,
            style_calibration: str = DEFAULT_STYLE_CALIBRATION,
            style_blend: Sequence[float] | None = None, style_scale: float = 1.0,
            init: Init = "content", optimizer: str = "lbfgs", lr: float | None = None,
            weights: Weights = "gatys", pooling: str = "max", seed: int = 0, device: Device = None,
            callback: Callback | None = None, callback_every: int = 10,
            snapshot_every: int | None = None, progress: bool = True,
            schedule: Schedule = "auto", precision: Precision = "auto") -> Result:
    """Gatys et al. style transfer: an image with ``content``'s layout in ``style``'s style.

    Args:
        content: ``(1, 3, H, W)`` tensor in [0, 1], path, URL or sample name.
        style: the same kinds, or a list of them blended with ``style_blend``.
        steps: optimisation steps (one VGG forward + backward each).
        size: long side of the content image (default: tensors as they are,
            sources at ``DEFAULT_SIZE``). The style image is resized to the
            content's long side times ``style_scale``.
        style_calibration: ``"target"`` (default): ``style_weight`` is multiplied by
            ``REFERENCE_STYLE_SIZE / style_size`` of the style's Gram matrices, so every
            painting is stylized about as strongly as The Starry Night at the same weight;
            ``"none"``: the paper's weighting, as lessons 03-05 teach it (and lesson 04's
            weights, the paper's alpha/beta). The reported losses are the paper's either way
            (:data:`~nst_course.objective.STYLE_CALIBRATIONS`).
        init: ``"content"``, ``"noise"`` (white noise, as in the paper),
            ``"style"``, ``"adain"`` (AdaIN's picture of content and style, lesson 07) or a
            tensor ``(1, 3, H, W)``.
        optimizer: ``"lbfgs"`` or ``"adam"``; ``lr`` overrides its step size. Either
            way one step is one loss evaluation (see the module docstring).
        callback: ``callback(step_record, image)`` every ``callback_every`` steps;
            returning True stops the run.
        schedule: ``"auto"`` (default) or ``"single"``: every step at full size from ``init``
            (``"auto"`` may start from AdaIN where a sweep measured that to pay:
            :func:`~nst_course.stages.auto_plan`; no size yet). ``"adain"``: from AdaIN's
            picture (``init="adain"``), 30 % of ``steps``, fewer once the loss is flat
            (``stopped="flat"``); the README's sweep compares it with ``"single"``.
            ``"pyramid"``: every step at full size, the image held as a pyramid of 3 levels
            (:mod:`nst_course.pyramid`: the same objective in other coordinates, where L-BFGS
            moves the picture's large-scale layout sooner; the README's sweep measures it).
            ``"coarse-to-fine"``:
            a third of the steps at 1/4 size, a third at 1/2, a third at full size, each
            stage starting from the previous result upsampled with the photo's fine detail
            added back (:func:`~nst_course.stages.upsample_stage`): 44 % of the pixels of ``"single"``, a
            picture with larger strokes, but higher full-size losses after the same steps
            (the README's sweep). Or a list of long sides, e.g. ``[256, 512]`` (steps split
            evenly). The history is one list over all stages (``step`` and ``seconds`` keep
            increasing; the callback image is the stage's size), and ``snapshots`` is keyed
            by step too.
        precision: ``"auto"`` (default), ``"float32"`` or ``"bfloat16"``: the dtype
            of VGG19's convolutions (:func:`nst_course.config.get_dtype`; the image
            and the losses are always float32). ``"auto"`` picks bfloat16 on CPUs
            that compute it natively: about 2x faster, final losses within ~1 %.
    Returns:
        :class:`Result` with ``image`` ``(1, 3, H, W)`` and ``history``.
    """
    content, style, init = as_image_inputs(content, style, init)  # one clear ValueError each
    validate.whole("steps", steps)
    check_calibration(style_calibration)
    if size is not None:
        validate.image_side("size", size)
    validate.loss_weights(content_weight, style_weight, tv_weight)
    validate.whole("callback_every", callback_every)
    if snapshot_every is not None:
        validate.whole("snapshot_every", snapshot_every)
    if isinstance(style, list | tuple) and not style:
        raise ValueError("style is an empty list; give at least one style image.")
    device = get_device(device)
    content_img = load_image(content, source_size(content, size)).to(device)
    styles = as_list(style)
    styles = [load_image(s).to(device) if not isinstance(s, torch.Tensor) else s for s in styles]
    vgg = load_vgg(weights, pooling, device=device, precision=precision)
    long_side = max(content_img.shape[-2:])
    plan = auto_plan(schedule, long_side, steps, init=init, optimizer=optimizer,
                     style_weight=style_weight, n_styles=len(styles))
    return run_stages(
        vgg, content_img, styles, schedule_sizes(schedule, long_side, plan.steps),
        init=plan.init, seed=seed, style_scale=style_scale, stop=plan.stop, levels=plan.levels,
        objective_kwargs=dict(content_layers=content_layers, style_layers=style_layers,
                              content_weight=content_weight, style_weight=style_weight,
                              tv_weight=tv_weight, style_layer_weights=style_layer_weights,
                              style_blend=style_blend, style_calibration=style_calibration),
        optimizer=optimizer, lr=lr, callback=callback, callback_every=callback_every,
        snapshot_every=snapshot_every, progress=progress)


def reconstruct(target: ImageSource, layers: str | Sequence[str], *, kind: str = "content",
                steps: int = 200, size: int | None = None, weights: Weights = "gatys",
                pooling: str = "max", seed: int = 0, init: Init = "noise", optimizer: str = "lbfgs",
                device: Device = None, progress: bool = True, precision: Precision = "auto",
                **kwargs) -> Result:
    """Find an image whose ``layers`` features (``kind="content"``) or Gram matrices
    (``kind="style"``) match those of ``target``, starting from white noise.

    Gatys Fig. 1: content from one of conv1_1 ... conv5_1 (its content reconstructions); style
    from growing sets conv1_1, conv1_1+conv2_1, ... (its style reconstructions). ``precision`` as in
    :func:`stylize`.
    """
    validate.whole("steps", steps)
    if size is not None:
        validate.image_side("size", size)
    device = get_device(device)
    target_img = load_image(target, source_size(target, size)).to(device)
    layers = (layers,) if isinstance(layers, str) else tuple(layers)
    vgg = load_vgg(weights, pooling, device=device, precision=precision)
    if kind == "content":
        objective = Objective(vgg, target_img, None, content_layers=layers, content_weight=1.0)
    elif kind == "style":
        objective = Objective(vgg, None, target_img, style_layers=layers, style_weight=1.0)
    else:
        raise ValueError(f"kind must be 'content' or 'style', not {kind!r}")
    start = initial_image(init, target_img, target_img, seed)
    return optimize_image(objective, start, steps=steps, optimizer=optimizer, progress=progress,
                          desc=f"{kind} from {'+'.join(layers)}", **kwargs)


def synthesize_texture(style: ImageSource, *, steps: int = 200, size: int | None = None,
                       style_layers: Sequence[str] = STYLE_LAYERS, weights: Weights = "gatys",
                       **kwargs) -> Result:
    """Texture synthesis: style loss only (content weight 0), from white noise."""
    return reconstruct(style, style_layers, kind="style", steps=steps, size=size,
                       weights=weights, **kwargs)
