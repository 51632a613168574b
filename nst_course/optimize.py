"""Optimise an image: style transfer, reconstruction from one layer, texture synthesis.

The network is frozen; the *generated image* is the only parameter. Each step
updates the pixels with L-BFGS (the paper's choice) or Adam. Introduced in
notebooks/05_gatys_optimization.ipynb.

**One step = one loss evaluation** (one VGG19 forward and backward pass) with
the configuration used here: Adam always, and L-BFGS as :func:`optimize_image`
sets it up, ``max_iter=1`` and no line search. PyTorch's L-BFGS may evaluate
the loss more than once per ``step()`` call: up to ``max_iter`` times with
``max_iter > 1`` (its default is 20), and several times per iteration with
``line_search_fn="strong_wolfe"``. Step counts (and the times and estimates in
the lessons) then no longer equal evaluations.
"""

from __future__ import annotations

import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from .config import (
    CONTENT_LAYERS,
    DEFAULT_SIZE,
    STYLE_LAYERS,
    Callback,
    Device,
    ImageSource,
    Init,
    Schedule,
    get_device,
    source_size,
)
from .images import as_image_inputs, load_image, resize
from .losses import LayerWeights
from .objective import Objective
from .tiled import SPLIT, TiledObjective
from .vgg import LAYERS, load_vgg

__all__ = ["DEFAULT_SIZE", "DEFAULT_STEPS", "DEFAULT_STYLE_WEIGHT", "Result", "Step", "initial_image",
           "make_optimizer", "optimize_image", "reconstruct", "schedule_sizes", "stylize",
           "synthesize_texture", "upsample_stage"]

#: a good picture at 256-512 px with the Gatys weights and these loss conventions
DEFAULT_STYLE_WEIGHT = 10.0
DEFAULT_STEPS = 300
#: memory L-BFGS may spend on its history (2 vectors of the image's size per entry)
LBFGS_HISTORY_BYTES = 400e6
#: above this many pixels conv1_1 ... pool2 run in bands (nst_course.tiled): 2048 px fits in < 4 GB
TILED_ABOVE = 1.5e6


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
        stopped: ``"done"``, ``"interrupted"`` (Ctrl-C), ``"nan"`` or ``"callback"``.
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


def stylize(content: ImageSource, style: ImageSource | Sequence[ImageSource], *,
            steps: int = DEFAULT_STEPS, size: int | None = None,
            content_layers: Sequence[str] = CONTENT_LAYERS, style_layers: Sequence[str] = STYLE_LAYERS,
            content_weight: float = 1.0, style_weight: float = DEFAULT_STYLE_WEIGHT,
            tv_weight: float = 0.0, style_layer_weights: LayerWeights = None,
            style_blend: Sequence[float] | None = None, style_scale: float = 1.0,
            init: Init = "content", optimizer: str = "lbfgs", lr: float | None = None,
            weights: str = "gatys", pooling: str = "max", seed: int = 0, device: Device = None,
            callback: Callback | None = None, callback_every: int = 10,
            snapshot_every: int | None = None, progress: bool = True,
            schedule: Schedule = "auto", precision: str = "auto") -> Result:
    """Gatys et al. style transfer: an image with ``content``'s layout in ``style``'s style.

    Args:
        content: ``(1, 3, H, W)`` tensor in [0, 1], path, URL or sample name.
        style: the same kinds, or a list of them blended with ``style_blend``.
        steps: optimisation steps (one VGG forward + backward each).
        size: long side of the content image (default: tensors as they are,
            sources at ``DEFAULT_SIZE``). The style image is resized to the
            content's long side times ``style_scale``.
        init: ``"content"``, ``"noise"`` (white noise, as in the paper),
            ``"style"`` or a tensor ``(1, 3, H, W)``.
        optimizer: ``"lbfgs"`` or ``"adam"``; ``lr`` overrides its step size. Either
            way one step is one loss evaluation (see the module docstring).
        callback: ``callback(step_record, image)`` every ``callback_every`` steps;
            returning True stops the run.
        schedule: ``"auto"`` (default) or ``"single"``: every step at full size (see
            :func:`schedule_sizes` for why ``"auto"`` is single-scale). ``"coarse-to-fine"``:
            a third of the steps at 1/4 size, a third at 1/2, a third at full size, each
            stage starting from the previous result upsampled with the photo's fine detail
            added back (:func:`upsample_stage`): 44 % of the pixels of ``"single"``, a
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
    device = get_device(device)
    content_img = load_image(content, source_size(content, size)).to(device)
    styles = style if isinstance(style, list | tuple) else [style]
    styles = [load_image(s).to(device) if not isinstance(s, torch.Tensor) else s for s in styles]
    vgg = load_vgg(weights, pooling, device=device, precision=precision)
    stages = schedule_sizes(schedule, max(content_img.shape[-2:]), steps)
    result, step0, t0 = Result(image=content_img), 0, time.perf_counter()
    history, snapshots, prev_content = [], {}, None
    for k, (long, n) in enumerate(stages):
        c_img = content_img if long == max(content_img.shape[-2:]) else resize(content_img, long)
        s_imgs = [load_image(s, round(long * style_scale)).to(device) for s in styles]
        tiled = c_img[0, 0].numel() > TILED_ABOVE and all(
            LAYERS.index(n) > LAYERS.index(SPLIT) for n in content_layers)
        objective = (TiledObjective if tiled else Objective)(
                              vgg, c_img, s_imgs, content_layers=content_layers,
                              style_layers=style_layers, content_weight=content_weight,
                              style_weight=style_weight, tv_weight=tv_weight,
                              style_layer_weights=style_layer_weights, style_blend=style_blend)
        if k == 0:
            start = initial_image(init, c_img, s_imgs[0], seed)
        else:  # the previous stage's picture, upsampled: only detail is left to find
            start = upsample_stage(result.image, c_img, prev_content)
        # a run that starts from the photo keeps the photo's fine detail from stage to stage
        prev_content = c_img if isinstance(init, str) and init == "content" else None
        desc = "stylize" if len(stages) == 1 else f"stylize {c_img.shape[-1]}x{c_img.shape[-2]}"
        result = optimize_image(objective, start, steps=n, optimizer=optimizer, lr=lr,
                                callback=callback, callback_every=callback_every,
                                snapshot_every=snapshot_every, progress=progress, desc=desc,
                                step_offset=step0, time_offset=time.perf_counter() - t0)
        history += result.history
        snapshots.update(result.snapshots)
        step0 += n
        if result.stopped != "done":
            break
    if result.image.shape[-2:] != content_img.shape[-2:]:  # stopped early in a coarse stage
        result.image = F.interpolate(result.image, size=content_img.shape[-2:], mode="bilinear",
                                     align_corners=False).clamp(0, 1)
    result.history, result.snapshots = history, snapshots
    return result


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


def schedule_sizes(schedule: Schedule, long_side: int, steps: int) -> list[tuple[int, int]]:
    """``[(long side, steps), ...]`` of the stages :func:`stylize` runs for ``schedule``.

    ``"coarse-to-fine"``: a third of the steps at 1/4 of ``long_side``, a third at 1/2, the rest
    at full size. ``"single"`` (or None): every step at ``long_side``. ``"auto"``: the schedule
    measured to pay, which is single-scale at every size today: ``nst-course bench --sweep``
    (the README's sweep table) found coarse-to-fine ending with higher full-size losses than
    single-scale after the same 300 steps, at every style weight tried. Or increasing long
    sides ending at ``long_side`` (steps split evenly)."""
    if schedule in ("auto", "single", None):
        return [(long_side, steps)]
    if schedule == "coarse-to-fine":
        if steps < 3:
            raise ValueError(f"coarse-to-fine needs at least 3 steps (one per size), got {steps}")
        sizes = [round(long_side / 4), round(long_side / 2), long_side]
    elif isinstance(schedule, str):
        raise ValueError(f"schedule must be 'auto', 'coarse-to-fine', 'single' or increasing sizes, "
                         f"not {schedule!r}")
    else:
        sizes = [int(s) for s in schedule]
        if not sizes or sizes != sorted(sizes) or min(sizes) < 16:
            raise ValueError("schedule must be 'auto', 'coarse-to-fine', 'single' or increasing "
                             f"sizes, not {schedule!r}")
        if sizes[-1] != long_side:
            raise ValueError(f"the last size of schedule {sizes} must be the image's {long_side} px")
        if steps < len(sizes):
            raise ValueError(f"{steps} steps cannot be split over {len(sizes)} sizes")
    split = [steps // len(sizes)] * len(sizes)
    split[-1] += steps - sum(split)
    return list(zip(sizes, split))


def reconstruct(target: ImageSource, layers: str | Sequence[str], *, kind: str = "content",
                steps: int = 200, size: int | None = None, weights: str = "gatys",
                pooling: str = "max", seed: int = 0, init: Init = "noise", optimizer: str = "lbfgs",
                device: Device = None, progress: bool = True, precision: str = "auto",
                **kwargs) -> Result:
    """Find an image whose ``layers`` features (``kind="content"``) or Gram matrices
    (``kind="style"``) match those of ``target``, starting from white noise.

    Gatys Fig. 1: content from one of conv1_1 ... conv5_1 (its content reconstructions); style
    from growing sets conv1_1, conv1_1+conv2_1, ... (its style reconstructions). ``precision`` as in
    :func:`stylize`.
    """
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
                       style_layers: Sequence[str] = STYLE_LAYERS, weights: str = "gatys",
                       **kwargs) -> Result:
    """Texture synthesis: style loss only (content weight 0), from white noise."""
    return reconstruct(style, style_layers, kind="style", steps=steps, size=size,
                       weights=weights, **kwargs)


def initial_image(init: Init, content_img: torch.Tensor, style_img: torch.Tensor, seed: int = 0,
                  ) -> torch.Tensor:
    """The starting image ``(1, 3, H, W)`` (content's size) for ``init``."""
    if isinstance(init, torch.Tensor):
        start = resize(init.to(content_img.device), max(content_img.shape[-2:])).clone()
        if start.shape[-2:] != content_img.shape[-2:]:
            raise ValueError(f"init is {init.shape[-1]}x{init.shape[-2]}, not the shape of the content "
                             f"({content_img.shape[-1]}x{content_img.shape[-2]}); resize or crop it.")
        return start
    if init == "content":
        return content_img.clone()
    if init == "style":
        return torch.nn.functional.interpolate(style_img, size=content_img.shape[-2:],
                                               mode="bilinear", align_corners=False)
    if init == "noise":
        gen = torch.Generator().manual_seed(seed)
        return torch.rand(content_img.shape, generator=gen).to(content_img.device)
    raise ValueError(f"init must be 'content', 'noise', 'style' or a tensor, not {init!r}")


def make_optimizer(x: torch.Tensor, optimizer: str = "lbfgs", lr: float | None = None,
                   ) -> torch.optim.Optimizer:
    """The optimiser of the pixels ``x``: one ``opt.step(closure)`` = one loss evaluation.

    ``"lbfgs"`` (the paper's choice): one L-BFGS iteration per step (``max_iter=1``) and no
    line search, so the closure runs exactly once per step; tolerances off, so it never stops
    on its own; a history of 50 pairs, fewer for huge images (each pair is 2 copies of the
    image, :data:`LBFGS_HISTORY_BYTES` in all, 3 pairs at least). With ``max_iter > 1`` (the
    PyTorch default is 20) a step would evaluate the loss up to ``max_iter`` times, and
    ``line_search_fn="strong_wolfe"`` adds evaluations in every iteration. ``"adam"``: one
    evaluation per step, ``lr`` 0.02 by default.
    """
    if optimizer == "lbfgs":
        history = int(max(3, min(50, LBFGS_HISTORY_BYTES // (2 * x.numel() * x.element_size()))))
        return torch.optim.LBFGS([x], lr=lr or 1.0, max_iter=1, history_size=history,
                                 tolerance_grad=-1, tolerance_change=-1)
    if optimizer == "adam":
        return torch.optim.Adam([x], lr=lr or 0.02)
    raise ValueError(f"optimizer must be 'lbfgs' or 'adam', not {optimizer!r}")


#: :func:`optimize_image` scales a loss whose first gradient has a smaller L1 norm up to this
#: (for L-BFGS only; see :func:`lbfgs_loss_scale`)
LBFGS_MIN_GRAD_L1 = 1.0


def lbfgs_loss_scale(grad: torch.Tensor) -> float:
    """The factor L-BFGS's loss is multiplied by: ``max(1, LBFGS_MIN_GRAD_L1 / |grad|_1)`` for
    the first gradient ``grad`` of a run.

    torch's L-BFGS keeps a curvature pair only when ``s^T y > 1e-10``, an absolute threshold.
    A loss with a tiny gradient (a random network's features, lesson 02's exercise 6) would
    never keep one and crawl along the gradient for ever. A constant factor changes neither
    the minimum nor the steps L-BFGS takes once it has pairs, and it is 1 for every run whose
    gradient is large enough already (all of the trained network's)."""
    norm = grad.abs().sum().item()
    return 1.0 if not norm > 0 or norm >= LBFGS_MIN_GRAD_L1 else LBFGS_MIN_GRAD_L1 / norm


def optimize_image(objective: Callable[[torch.Tensor], tuple[torch.Tensor, dict]],
                   start: torch.Tensor, *, steps: int, optimizer: str = "lbfgs",
                   lr: float | None = None, callback: Callback | None = None, callback_every: int = 10,
                   snapshot_every: int | None = None, progress: bool = True,
                   desc: str = "optimize", step_offset: int = 0, time_offset: float = 0.0,
                   ) -> Result:
    """Minimise ``objective(image)`` over the pixels of ``start`` for ``steps`` steps.

    ``step_offset`` / ``time_offset`` shift the recorded ``step`` and ``seconds``
    (a later stage of a coarse-to-fine run continues the first one's history).

    Ctrl-C returns the best image so far (``stopped="interrupted"``); a NaN or
    infinite loss stops the run and returns the last good image (``stopped="nan"``).

    Each step calls ``objective`` once (one forward + backward): L-BFGS is set up with
    ``max_iter=1`` and no line search (:func:`make_optimizer`).
    """
    from tqdm.auto import tqdm

    x = start.detach().clone().contiguous().requires_grad_(True)
    opt = make_optimizer(x, optimizer, lr)

    result = Result(image=start.detach().clone())
    best, parts_box = float("inf"), {}

    scale = {}

    def closure():
        opt.zero_grad(set_to_none=True)
        total, parts = objective(x)
        if torch.isfinite(total):
            total.backward()
        parts_box.update(parts, image=x.detach().clone())
        if optimizer == "lbfgs" and x.grad is not None:  # what L-BFGS sees, not what is recorded
            if "c" not in scale:
                scale["c"] = lbfgs_loss_scale(x.grad)
            if scale["c"] != 1.0:
                x.grad.mul_(scale["c"])
                total = total * scale["c"]
        return total

    t0 = time.perf_counter() - time_offset
    bar = tqdm(total=steps, desc=desc, disable=not progress, leave=False)
    try:
        for step in range(step_offset + 1, step_offset + steps + 1):
            opt.step(closure)
            parts = parts_box
            if not torch.isfinite(parts["total"]):
                warnings.warn(f"step {step}: the loss became {parts['total'].item()}; stopped and "
                              "returned the last good image (try a smaller lr or weights).",
                              RuntimeWarning, stacklevel=2)
                result.stopped = "nan"
                break
            with torch.no_grad():
                x.clamp_(0, 1)
            rec = Step(step, parts["content"].item(), parts["style"].item(), parts["tv"].item(),
                       parts["total"].item(), time.perf_counter() - t0)
            result.history.append(rec)
            if rec.total_loss < best:  # the image this loss was measured on
                best, result.image, result.best = rec.total_loss, parts["image"].clamp(0, 1), rec
            if snapshot_every and step % snapshot_every == 0:
                result.snapshots[step] = x.detach().clone()
            bar.update(1)
            last = step == step_offset + steps
            if step % 10 == 0 or last:
                bar.set_postfix(loss=f"{rec.total_loss:.4g}")
            if callback is not None and (step % callback_every == 0 or last):
                if callback(rec, x.detach()):
                    result.stopped = "callback"
                    break
    except KeyboardInterrupt:
        result.stopped = "interrupted"
        bar.close()  # the message goes under a closed bar, not into it
        print(f"Interrupted after {len(result.history)} steps: returning the best image so far.",
              file=sys.stderr)
    finally:
        bar.close()
    if result.stopped in ("done", "callback") and result.history:
        # the final pixels are usually best; measure them so image and loss agree
        with torch.no_grad():
            total, parts = objective(x)
        if torch.isfinite(total) and total.item() <= best:
            last = result.history[-1]
            result.image = x.detach().clone()
            result.best = Step(last.step, parts["content"].item(), parts["style"].item(),
                               parts["tv"].item(), total.item(), last.seconds)
    return result
