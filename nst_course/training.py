"""Train a :class:`~nst_course.feedforward.StyleNet` with the course's perceptual loss.

Johnson et al.'s recipe, sized for a laptop CPU: the loss is Gatys' objective (content at
``conv2_2``, the relu2_2 of Johnson et al.; Gram matrices at ``conv1_1 ... conv4_1``; total
variation), now computed on the *network's output* for a batch of photo crops, and Adam
updates the network's weights instead of the pixels. The photos all ship inside installed
packages (scikit-image, scikit-learn, matplotlib), so training runs offline; the photos in
:data:`HELD_OUT` are never trained on. Introduced in notebooks/09_train_a_fast_network.ipynb.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from .feedforward import StyleNet, apply_net, save_net
from .images import load_image
from .interrupts import first_interrupt_only
from .vgg import load_vgg

#: the feed-forward network's loss layers (not config's Gatys layers): Johnson et al. take
#: content at relu2_2 (our conv2_2) for style transfer
TRAIN_CONTENT_LAYERS = ("conv2_2",)
#: Gatys' style layers up to conv4_1 (conv5_1 adds ~30 % per step and little at 128 px crops)
TRAIN_STYLE_LAYERS = ("conv1_1", "conv2_1", "conv3_1", "conv4_1")
CONTENT_WEIGHT, STYLE_WEIGHT, TV_WEIGHT = 1.0, 20.0, 10.0
#: photos the networks learn from (``photo(name)``), and the ones they never see
TRAIN_PHOTOS = ("astronaut", "coffee", "rocket", "motorcycle", "hubble_deep_field", "camera",
                "coins", "china", "flower")
HELD_OUT = ("chelsea", "grace_hopper")


def photo(name: str, size: int | None = None) -> torch.Tensor:
    """An offline photo ``(1, 3, H, W)`` in [0, 1] (greyscale ones copied into RGB).

    scikit-image: astronaut, chelsea, coffee, rocket, camera, coins, hubble_deep_field,
    motorcycle (the left view of ``stereo_motorcycle``); scikit-learn: china, flower;
    matplotlib: grace_hopper. ``size``: long side in pixels.
    """
    import skimage.data

    if name in ("china", "flower"):
        from sklearn.datasets import load_sample_image

        arr = load_sample_image(f"{name}.jpg")
    elif name == "grace_hopper":
        from matplotlib import cbook

        arr = np.asarray(Image.open(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)))
    elif name == "motorcycle":
        arr = skimage.data.stereo_motorcycle()[0]
    elif name in TRAIN_PHOTOS + HELD_OUT:
        arr = getattr(skimage.data, name)()
    else:
        raise ValueError(f"unknown photo {name!r}; choose from {', '.join(TRAIN_PHOTOS + HELD_OUT)}")
    return load_image(Image.fromarray(arr).convert("RGB"), size)


class PhotoCrops:
    """Random square crops of a few photos: random scale, position and left-right mirror.

    Each crop first resizes its photo so the long side is ``crop * scale`` for a random
    ``scale`` in ``scales``: the network sees objects at the sizes they have in a photo of
    about ``2 * crop`` px. ``crops(n)`` returns ``(n, 3, crop, crop)`` in [0, 1].
    """

    def __init__(self, photos, crop: int = 128, scales=(1.25, 2.5), seed: int = 0):
        self.photos = list(photos)
        self.crop, self.scales = crop, scales
        self.gen = torch.Generator().manual_seed(seed)
        if not self.photos:
            raise ValueError("PhotoCrops needs at least one photo")

    def _rand(self, lo: float, hi: float) -> float:
        return lo + (hi - lo) * torch.rand((), generator=self.gen).item()

    def __call__(self, n: int) -> torch.Tensor:
        out = []
        for _ in range(n):
            img = self.photos[torch.randint(len(self.photos), (), generator=self.gen)]
            h, w = img.shape[-2:]
            f = max(self._rand(*self.scales) * self.crop / max(h, w), self.crop / min(h, w))
            size = (max(self.crop, round(h * f)), max(self.crop, round(w * f)))
            img = F.interpolate(img, size=size, mode="bilinear", antialias=True, align_corners=False)
            y = torch.randint(size[0] - self.crop + 1, (), generator=self.gen)
            x = torch.randint(size[1] - self.crop + 1, (), generator=self.gen)
            img = img[..., y: y + self.crop, x: x + self.crop]
            out.append(img.flip(-1) if torch.rand((), generator=self.gen) < 0.5 else img)
        return torch.cat(out).clamp(0, 1)

    def __repr__(self) -> str:
        return f"PhotoCrops({len(self.photos)} photos, {self.crop} px crops, scales {self.scales})"


def make_objectives(style_imgs, vgg=None, **loss_weights) -> list:
    """One :class:`~nst_course.Objective` per style image ``(1, 3, H, W)``, on
    :data:`TRAIN_CONTENT_LAYERS` and :data:`TRAIN_STYLE_LAYERS`; ``loss_weights``: ``content_weight``,
    ``style_weight``, ``tv_weight`` (defaults :data:`CONTENT_WEIGHT` ...). ``vgg``: default
    :func:`~nst_course.load_vgg` with ``precision="auto"``. The content targets are set
    per batch with ``objective.set_content(batch)``."""
    from .objective import Objective

    vgg = vgg if vgg is not None else load_vgg(precision="auto")
    kw = {"content_weight": CONTENT_WEIGHT, "style_weight": STYLE_WEIGHT, "tv_weight": TV_WEIGHT,
          **loss_weights}
    # the style image stands in as content until the first set_content(batch)
    return [Objective(vgg, s, s, content_layers=TRAIN_CONTENT_LAYERS, style_layers=TRAIN_STYLE_LAYERS,
                      **kw)
            for s in style_imgs]


@dataclass
class TrainStep:
    """One record of :attr:`Training.history`: unweighted losses of the batch, its style."""

    step: int
    style: int
    content_loss: float
    style_loss: float
    tv_loss: float
    total_loss: float
    seconds: float

    def __getitem__(self, key):
        return getattr(self, key)


@dataclass
class Training:
    """What :func:`train` returns; ``stopped``: ``"done"``, ``"interrupted"``, ``"nan"``, ``"callback"``."""

    net: StyleNet
    history: list[TrainStep] = field(default_factory=list)
    stopped: str = "done"
    #: where the weights were last saved (``checkpoint``, or a free name if that failed)
    saved_to: Path | None = None

    @property
    def seconds(self) -> float:
        return self.history[-1].seconds if self.history else 0.0

    def __repr__(self) -> str:
        last = f", last total loss {self.history[-1].total_loss:.4g}" if self.history else ""
        return f"Training({len(self.history)} steps in {self.seconds:.0f} s{last}, stopped={self.stopped!r})"


def train(net: StyleNet, style_imgs, photos=None, *, minutes: float | None = None,
          steps: int | None = None, batch_size: int = 4, crop: int = 128, lr: float = 2e-3,
          objectives=None, seed: int = 0, callback=None, callback_every: int = 25, preview=None,
          checkpoint=None, checkpoint_every: float = 60.0, overwrite: bool = True,
          progress: bool = True) -> Training:
    """Train ``net`` on random crops of ``photos`` until ``minutes`` or ``steps`` run out.

    Args:
        net: a :class:`StyleNet` with one style per image of ``style_imgs``.
        style_imgs: list of ``(1, 3, H, W)`` style images (size them like the photos
            you will stylise: stroke size is learned in pixels).
        photos: list of ``(1, 3, H, W)`` photos (default: :data:`TRAIN_PHOTOS`).
        batch_size, crop: ``batch_size`` crops of ``crop`` x ``crop`` px per step; step
            ``k`` trains style ``k % S``.
        objectives: from :func:`make_objectives` (default: built here, bfloat16 VGG where native).
        callback: ``callback(record, image)`` every ``callback_every`` steps with ``image``
            ``net(preview)`` (if ``preview`` is given, else None); True stops the run
            (e.g. :class:`~nst_course.plotting.LivePreview`).
        checkpoint: a path: the weights are saved there every ``checkpoint_every`` seconds
            and at the end (:func:`~nst_course.feedforward.save_net`); with
            ``overwrite=False`` a file that is there before the first save is never replaced.
    Ctrl-C stops the run and keeps the weights of the last complete step (a second Ctrl-C is
    ignored until they are saved); so does a non-finite loss (``stopped="nan"``).
    """
    if minutes is None and steps is None:
        raise ValueError("give minutes or steps (or both: whichever runs out first)")
    from . import validate

    if minutes is not None:
        validate.positive("minutes", minutes)
    if steps is not None:
        validate.whole("steps", steps)
    validate.whole("batch_size", batch_size)
    validate.whole("callback_every", callback_every)
    validate.whole("seed", seed, 0)
    validate.positive("lr", lr)
    from tqdm.auto import tqdm

    from .config import bars_off

    device = net.out.weight.device
    if len(style_imgs) != len(net.styles):
        raise ValueError(f"{len(style_imgs)} style images for a network of {len(net.styles)} styles")
    objectives = objectives or make_objectives([s.to(device) for s in style_imgs])
    photos = photos if photos is not None else [photo(n, 3 * crop) for n in TRAIN_PHOTOS]
    crops = PhotoCrops([p.to(device) for p in photos], crop, seed=seed)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    budget = math.inf if minutes is None else 60.0 * minutes
    result, good = Training(net), _copy_state(net)
    bar = tqdm(total=steps or round(budget), unit=" steps" if steps else " s", disable=bars_off(progress),
               desc="train")
    t0 = last_save = time.perf_counter()
    with first_interrupt_only():  # a second Ctrl-C can cut short neither the unwinding nor the save
        net.train()
        try:
            for k in range(steps or 10**9):
                if time.perf_counter() - t0 >= budget:
                    break
                s, batch = k % len(objectives), crops(batch_size)
                objectives[s].set_content(batch)
                total, parts = objectives[s](net(batch, s))
                if not torch.isfinite(total):
                    result.stopped = "nan"
                    break
                opt.zero_grad(set_to_none=True)
                total.backward()
                opt.step()
                good = _copy_state(net)
                rec = TrainStep(k + 1, s, *(parts[p].item() for p in ("content", "style", "tv", "total")),
                                seconds=time.perf_counter() - t0)
                result.history.append(rec)
                bar.update(1 if steps else round(rec.seconds) - bar.n)
                bar.set_postfix(loss=f"{rec.total_loss:.3g}")
                if checkpoint and time.perf_counter() - last_save > checkpoint_every:
                    checkpoint = _save(net, checkpoint, result, overwrite)
                    overwrite, last_save = True, time.perf_counter()  # from now on the file is ours
                if callback and (k + 1) % callback_every == 0:
                    image = apply_net(net, preview, s) if preview is not None else None
                    if callback(rec, image):
                        result.stopped = "callback"
                        break
        except KeyboardInterrupt:
            result.stopped = "interrupted"
        finally:
            bar.close()
            net.load_state_dict(good)  # the weights of the last complete, finite step
            net.eval()
        if checkpoint:
            _save(net, checkpoint, result, overwrite)
    return result


def _save(net, path, result: Training, overwrite: bool) -> Path:
    """Save a checkpoint; if ``path`` fails (full disk, a file that appeared), a free name, with a note.

    Returns the path used, where later checkpoints go too: a trained network is never thrown away.
    """
    import warnings
    from functools import partial

    from .files import save_or_fallback

    where, problem = save_or_fallback(partial(save_net, net, extra=_extra(result)), path,
                                      overwrite=overwrite)
    if problem:
        warnings.warn(problem, stacklevel=2)
    result.saved_to = where
    return where


def _copy_state(net) -> dict:
    return {k: v.detach().clone() for k, v in net.state_dict().items()}


def _extra(result: Training) -> dict:
    last = result.history[-1] if result.history else None
    return {"steps": len(result.history), "seconds": result.seconds,
            "total_loss": last.total_loss if last else None}
