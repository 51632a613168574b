"""The one objective: ``L = content_weight * L_content + style_weight * L_style + tv_weight * L_tv``.

Introduced in notebooks/05_gatys_optimization.ipynb (the losses it adds up are
taught in :mod:`nst_course.losses`). A call runs three steps, each a method a
variant may override instead of re-implementing the whole objective:

1. :meth:`Objective.features`: VGG19 once, up to the deepest layer needed;
2. :meth:`Objective.representations`: the content features and the style Gram
   matrices (:class:`~nst_course.tiled.TiledObjective` computes them in bands);
3. :meth:`Objective.style_term` and :meth:`Objective.losses`: the weighted sum
   (:class:`~nst_course.control.MaskedObjective` measures each style in its region).

The targets (content features, style Gram matrices) are computed once, with the
same steps. ``fast=True`` (default) takes the speed layer (:mod:`nst_course.speed`:
channels_last features, the fused Gram backward, float32 Grams of bfloat16
features); ``fast=False`` the reference functions of :mod:`nst_course.losses`.

``style_calibration="target"`` (what :func:`~nst_course.stylize` uses by default; the lessons'
objectives keep ``"none"``, the paper's weighting) multiplies the style weight by
``REFERENCE_STYLE_SIZE / style_size(A)``: the same weight then stylizes a painting with small
Gram matrices as strongly as one with large ones (see :data:`STYLE_CALIBRATIONS`).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from . import speed, validate
from .config import CONTENT_LAYERS, STYLE_LAYERS, as_list
from .losses import (
    LayerWeights,
    content_loss,
    gram_matrix,
    per_layer_weights,
    style_size,
    total_variation_loss,
    weighted_style_loss,
)

Images = torch.Tensor | Sequence[torch.Tensor]

#: ``style_calibration`` values. ``"none"``: ``total = content_weight L_c + style_weight L_s``,
#: the paper's weighting, as lessons 03-05 teach it. ``"target"``: ``style_weight`` is
#: multiplied by ``REFERENCE_STYLE_SIZE / style_size(A)``, with
#: :func:`~nst_course.losses.style_size` ``= sum_l w_l E_l(0, A_l)`` of the style's Gram targets
#: ``A_l``: a weight means the same strength for every style (measured at 160 px, the bundled
#: paintings' sizes differ ~6x, 0.52-3.3, and the generated styles reach 7.6).
#: ``L_s`` itself, and so every reported style loss, is the paper's either way.
STYLE_CALIBRATIONS = ("none", "target")
#: the ``style_size`` at which ``"target"`` leaves the weight as it is: The Starry Night's
#: (2.4 at 256 px), so the course's balanced band of weights (lesson 04) keeps its meaning
REFERENCE_STYLE_SIZE = 2.4


def check_calibration(style_calibration: str) -> None:
    """One sentence for a ``style_calibration`` that is not one of :data:`STYLE_CALIBRATIONS`."""
    if style_calibration not in STYLE_CALIBRATIONS:
        raise ValueError(f"style_calibration must be one of "
                         f"{', '.join(map(repr, STYLE_CALIBRATIONS))}, not {style_calibration!r}")


def style_list(style_imgs: Images, blend: Sequence[float] | None = None,
               ) -> tuple[list[torch.Tensor], list[float]]:
    """The style image(s) as a list and their blend weights (default equal), checked to match."""
    imgs = as_list(style_imgs)
    return imgs, validate.blend_weights(blend, len(imgs))


class Objective:
    """``objective(img) -> (total, parts)`` for a batch ``img`` ``(N, 3, H, W)``.

    ``parts`` has the unweighted ``content``, ``style``, ``tv`` and the weighted
    ``total`` (scalars). Each loss is averaged over the batch, so ``N = 1`` is the
    single-image loss of the lessons.

    Args:
        vgg: a :class:`~nst_course.vgg.VGG19` (or any ``vgg(img, layers) -> {layer: features}``).
        content_img: ``(N, 3, H, W)`` or None (texture synthesis); see :meth:`set_content`.
        style_imgs: one image ``(1, 3, H', W')``, a list of them, or None.
        style_blend: weights of the style images (default equal); the Gram
            targets are blended with them.
        style_layer_weights: ``w_l`` per style layer (default ``1/L``), see
            :func:`~nst_course.losses.per_layer_weights`.
        content_form: ``"mean"`` or ``"gatys"`` (:func:`~nst_course.losses.content_loss`).
        style_calibration: ``"none"`` (default) or ``"target"``, see :data:`STYLE_CALIBRATIONS`;
            the weight actually applied is :attr:`effective_style_weight`.
        fast: use :mod:`nst_course.speed` (same numbers, faster); False: the reference.
    """

    def __init__(self, vgg, content_img: torch.Tensor | None = None, style_imgs: Images | None = None,
                 *, content_layers: Sequence[str] = CONTENT_LAYERS,
                 style_layers: Sequence[str] = STYLE_LAYERS, content_weight: float = 1.0,
                 style_weight: float = 1.0, tv_weight: float = 0.0,
                 style_layer_weights: LayerWeights = None, style_blend: Sequence[float] | None = None,
                 content_form: str = "mean", style_calibration: str = "none", fast: bool = True):
        check_calibration(style_calibration)
        self.vgg, self.fast, self.content_form = vgg, fast, content_form
        self.style_calibration = style_calibration
        self.content_weight, self.style_weight, self.tv_weight = content_weight, style_weight, tv_weight
        self.content_layers = tuple(content_layers) if content_img is not None else ()
        self.style_layers = tuple(style_layers) if style_imgs is not None else ()
        self.layers = tuple(dict.fromkeys(self.content_layers + self.style_layers))
        self.style_layer_weights = per_layer_weights(self.style_layers, style_layer_weights)
        self.content_targets: dict[str, torch.Tensor] = {}
        if content_img is not None:
            self.set_content(content_img)
        self.style_targets = self.style_targets_for(style_imgs, style_blend) if self.style_layers else {}
        self.style_factor = self.calibration() if style_calibration == "target" else 1.0

    @property
    def effective_style_weight(self) -> float:
        """The weight of ``L_s`` in the total: ``style_weight`` times the calibration factor."""
        return self.style_weight * self.style_factor

    def calibration(self) -> float:
        """``REFERENCE_STYLE_SIZE / style_size(A)`` of the style targets (1 without any)."""
        size = float(style_size(self.style_targets, self.style_layer_weights)) if self.style_targets else 0.0
        return REFERENCE_STYLE_SIZE / size if size > 0 else 1.0

    # ------------------------------------------------------------ targets, computed once

    @torch.no_grad()
    def set_content(self, content_img: torch.Tensor) -> None:
        """Content targets ``{layer: (N, C, H', W')}`` of ``content_img`` ``(N, 3, H, W)``;
        the style targets stay (a new photo or batch, e.g. to train a feed-forward network)."""
        content, _ = self.representations(content_img, self.content_layers, ())
        self.content_targets = {name: f.float() for name, f in content.items()}

    @torch.no_grad()
    def style_targets_for(self, style_imgs: Images, blend: Sequence[float] | None = None,
                          ) -> dict[str, torch.Tensor]:
        """``{layer: (1, C, C)}``: the Gram matrices of the style image(s), blended."""
        imgs, blend = style_list(style_imgs, blend)
        targets = {}
        for img, b in zip(imgs, blend):
            _, grams = self.representations(img, (), self.style_layers)
            for name, g in grams.items():
                targets[name] = targets.get(name, 0) + g * (b / sum(blend))
        return targets

    # ------------------------------------------------------------ the steps of a call

    def features(self, img: torch.Tensor, layers: Sequence[str]) -> dict[str, torch.Tensor]:
        """``{layer: (N, C, H', W')}`` of ``img``: one VGG19 pass up to the deepest of ``layers``."""
        return speed.features(self.vgg, img, layers) if self.fast else self.vgg(img, layers)

    def gram(self, features: torch.Tensor) -> torch.Tensor:
        """``(N, C, C)`` C*H*W-normalised Gram matrix of ``(N, C, H, W)`` features."""
        return speed.gram_matrix(features) if self.fast else gram_matrix(features)

    def representations(self, img: torch.Tensor, content_layers: Sequence[str],
                        style_layers: Sequence[str]) -> tuple[dict, dict]:
        """``({content layer: features}, {style layer: Gram matrix})`` of ``img``."""
        feats = self.features(img, tuple(dict.fromkeys(tuple(content_layers) + tuple(style_layers))))
        return ({name: feats[name] for name in content_layers},
                {name: self.gram(feats[name]) for name in style_layers})

    def style_term(self, style: dict) -> torch.Tensor:
        """``sum_l w_l E_l`` of the generated image's style representation, summed over the batch."""
        return weighted_style_loss(style, self.style_targets, self.style_layer_weights)

    def losses(self, img: torch.Tensor, content: dict, style: dict) -> dict[str, torch.Tensor]:
        """Unweighted ``content``, ``style``, ``tv`` of a batch, each averaged over it."""
        n = img.shape[0]
        lc = sum((content_loss(content[name], self.content_targets[name], self.content_form)
                  for name in self.content_layers), torch.tensor(0.0))
        if self.content_form == "gatys":  # a sum over the batch ("mean" is already a mean)
            lc = lc / n
        ls = self.style_term(style) / n if self.style_layers else torch.tensor(0.0)
        ltv = total_variation_loss(img) if self.tv_weight else torch.tensor(0.0)
        return {name: v.to(img.device) for name, v in (("content", lc), ("style", ls), ("tv", ltv))}

    def __call__(self, img: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        content, style = self.representations(img, self.content_layers, self.style_layers)
        parts = self.losses(img, content, style)
        total = (self.content_weight * parts["content"] + self.effective_style_weight * parts["style"]
                 + self.tv_weight * parts["tv"])
        return total, {**parts, "total": total}

    def __repr__(self) -> str:
        calibrated = (f" (calibrated to the style: x {self.effective_style_weight:.3g})"
                      if self.style_factor != 1.0 else "")
        return (f"{type(self).__name__}(content={list(self.content_layers)} x {self.content_weight:g}, "
                f"style={list(self.style_layers)} x {self.style_weight:g}{calibrated}, "
                f"tv x {self.tv_weight:g})")
