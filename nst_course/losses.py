"""Gram matrices and the losses of Gatys et al., as the lessons write them.

Where each is taught:

* :func:`content_loss`: notebooks/02_reconstruction.ipynb;
* :func:`gram_matrix`, :func:`style_layer_loss`, :func:`style_loss`:
  notebooks/03_gram_matrices.ipynb;
* the weights ``alpha``/``beta`` (:func:`gatys_ratio`) and per-layer weights
  (:func:`per_layer_weights`): notebooks/04_loss_weighting.ipynb;
* :func:`total_variation_loss`: notebooks/05_gatys_optimization.ipynb, which also
  assembles them into one :class:`~nst_course.objective.Objective`.

Shapes: a feature map ``F`` is ``(N, C, H, W)``; with ``M = H * W`` it is read
as ``N`` matrices of shape ``(C, M)``. This is the reference code: the faster
version of the same numbers (used by the objective) is in :mod:`nst_course.speed`.

Conventions (the lessons compare them; see :data:`GRAM_NORMALISATIONS`):

* ``content_loss``: ``"mean"`` = ``1/(CHW) ||F - P||^2`` (Ayala & Wolters,
  *Style Transfer*; the same number at any image size) or ``"gatys"`` =
  ``1/2 sum (F - P)^2`` (Gatys, Ecker & Bethge, CVPR 2016).
* ``gram_matrix``: ``G = F F^T`` divided by ``C*H*W`` (default), ``H*W``, or 1.
* ``style_loss`` per layer: Gatys' ``E_l = 1/(4 N^2 M^2) sum (G - A)^2`` with
  raw Gram matrices, which equals ``1/4 sum (G' - A')^2`` with ``G' = G/(CHW)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

#: divisor of F F^T for each normalisation name, given (C, H, W)
GRAM_NORMALISATIONS = {
    "chw": lambda c, h, w: c * h * w,  # Ayala & Wolters; makes E_l size-independent
    "hw": lambda c, h, w: h * w,  # an average over positions
    "none": lambda c, h, w: 1,  # the raw inner products of the paper
}

#: per-layer weights as a user may give them: ``{layer: w}``, ``[w, ...]`` in layer order, or None
LayerWeights = Mapping[str, float] | Sequence[float] | None


def gram_divisor(normalize: str, c: int, h: int, w: int) -> int:
    """The divisor of ``F F^T`` for a ``(C, H, W)`` feature map: C*H*W, H*W or 1."""
    if normalize not in GRAM_NORMALISATIONS:
        raise ValueError(f"normalize must be one of {', '.join(map(repr, GRAM_NORMALISATIONS))}, "
                         f"not {normalize!r}")
    return GRAM_NORMALISATIONS[normalize](c, h, w)


def gram_matrix(features: torch.Tensor, normalize: str = "chw") -> torch.Tensor:
    """``G = F F^T / norm``: the channel-by-channel inner products of a feature map.

    Args:
        features: ``(N, C, H, W)`` (or ``(C, H, W)``).
        normalize: ``"chw"`` (divide by C*H*W), ``"hw"`` or ``"none"``.
    Returns:
        ``(N, C, C)`` (or ``(C, C)``), ``G[n, i, j] = sum_k F[n, i, k] F[n, j, k] / norm``.
    """
    if not isinstance(features, torch.Tensor) or features.dim() not in (3, 4):
        from .validate import tensor

        tensor("gram_matrix's features", features)
    if features.dim() == 3:
        return gram_matrix(features[None], normalize)[0]
    n, c, h, w = features.shape
    f = features.reshape(n, c, h * w)  # (N, C, M)
    return torch.bmm(f, f.transpose(1, 2)) / gram_divisor(normalize, c, h, w)


def content_loss(features: torch.Tensor, target: torch.Tensor, form: str = "mean") -> torch.Tensor:
    """Squared distance between feature maps ``F`` and ``P``, both ``(N, C, H, W)``.

    ``form="mean"``: ``1/(NCHW) sum (F - P)^2``; ``form="gatys"``: ``1/2 sum (F - P)^2``.
    Returns a scalar.
    """
    if not (isinstance(features, torch.Tensor) and isinstance(target, torch.Tensor)
            and features.shape == target.shape):
        from .validate import same_shape, tensor

        tensor("content_loss's features", features, (1, 2, 3, 4))
        tensor("content_loss's target", target, (1, 2, 3, 4))
        same_shape("content_loss", features, target)
    diff2 = (features - target).pow(2)
    if form == "mean":
        return diff2.mean()
    if form == "gatys":
        return 0.5 * diff2.sum()
    raise ValueError(f"form must be 'mean' or 'gatys', not {form!r}")


def style_layer_loss(gram: torch.Tensor, target_gram: torch.Tensor) -> torch.Tensor:
    """Gatys' ``E_l = 1/4 sum_ij (G_ij - A_ij)^2`` for C*H*W-normalised Gram matrices.

    ``gram`` is ``(N, C, C)``, ``target_gram`` ``(N or 1, C, C)`` (broadcast); summed
    over the batch. With raw Gram matrices divide by ``(C*H*W)^2`` yourself.
    """
    return 0.25 * (gram - target_gram).pow(2).sum()


def per_layer_weights(layers: Sequence[str], weights: LayerWeights = None) -> dict[str, float]:
    """``{layer: w_l}`` for ``layers``: the one place that reads per-layer weights.

    ``weights`` is None (``1/L`` each, as in the paper), a mapping (layers it does
    not name get 0) or a sequence of ``L`` numbers in the order of ``layers``.
    """
    layers = list(layers)
    if weights is None:
        return {name: 1.0 / len(layers) for name in layers}
    if isinstance(weights, Mapping):
        unknown = [k for k in weights if k not in layers]
        if unknown:
            raise ValueError(f"layer weight for {unknown[0]!r}, which is not a style layer "
                             f"({', '.join(layers)})")
        return {name: float(weights.get(name, 0.0)) for name in layers}
    weights = list(weights)
    if len(weights) != len(layers):
        raise ValueError(f"{len(weights)} layer weights for {len(layers)} style layers")
    return {name: float(w) for name, w in zip(layers, weights)}


def weighted_style_loss(grams: Mapping[str, torch.Tensor], target_grams: Mapping[str, torch.Tensor],
                        layer_weights: Mapping[str, float]) -> torch.Tensor:
    """``sum_l w_l E_l(G_l, A_l)``: the one sum over style layers of the course.

    :func:`style_loss`, :class:`~nst_course.objective.Objective`,
    :class:`~nst_course.control.MaskedObjective` and the exercise checker all add up
    their layers here.

    Args:
        grams: ``{layer: (N, C, C)}`` Gram matrices of the generated image.
        target_grams: ``{layer: (N or 1, C, C)}`` targets.
        layer_weights: ``{layer: w_l}`` (:func:`per_layer_weights`); layers with ``w_l = 0`` are skipped.
    Returns:
        a scalar, summed over the batch.
    """
    return sum((w * style_layer_loss(grams[name], target_grams[name])
                for name, w in layer_weights.items() if w), torch.tensor(0.0))


def style_size(target_grams: Mapping[str, torch.Tensor], layer_weights: Mapping[str, float],
               ) -> torch.Tensor:
    """``sum_l w_l E_l(0, A_l) = 1/4 sum_l w_l ||A_l||_F^2``: how far the style is from features
    that are all zero, i.e. the size of its Gram matrices in the style loss's own units.

    At 160 px the bundled paintings differ in it ~6x, 0.52-3.3
    (:data:`~nst_course.objective.STYLE_CALIBRATIONS` uses it to calibrate the style weight).
    ``target_grams`` ``{layer: (1, C, C)}``; a scalar.
    """
    return weighted_style_loss({name: torch.zeros_like(a) for name, a in target_grams.items()},
                               target_grams, layer_weights)


def style_loss(features: Mapping[str, torch.Tensor], target_grams: Mapping[str, torch.Tensor],
               layer_weights: LayerWeights = None) -> torch.Tensor:
    """``L_style = sum_l w_l E_l`` over the layers of ``target_grams``.

    Args:
        features: ``{layer: (N, C, H, W)}`` of the generated image.
        target_grams: ``{layer: (N or 1, C, C)}`` C*H*W-normalised Gram targets.
        layer_weights: ``w_l`` per layer (mapping or sequence in the same order);
            default ``1 / number of layers`` each, as in the paper.
    Returns:
        a scalar, summed over the batch.
    """
    weights = per_layer_weights(list(target_grams), layer_weights)
    grams = {name: gram_matrix(features[name]) for name, w in weights.items() if w}
    return weighted_style_loss(grams, target_grams, weights)


def total_variation_loss(img: torch.Tensor) -> torch.Tensor:
    """Mean squared difference between neighbouring pixels of ``(N, 3, H, W)``; a scalar."""
    dh = (img[..., 1:, :] - img[..., :-1, :]).pow(2).mean()
    dw = (img[..., :, 1:] - img[..., :, :-1]).pow(2).mean()
    return dh + dw


def gatys_ratio(content_weight: float, style_weight: float, content_shape: Sequence[int]) -> float:
    """The paper's ``alpha/beta`` for our weights (mean content loss, E_l style loss).

    Our ``content_weight * mean`` equals ``(2 * content_weight / CHW) * (1/2 sum)``,
    so ``alpha = 2 * content_weight / (C*H*W)`` for ``content_shape = (C, H, W)``
    (e.g. ``vgg.feature_shapes(h, w)["conv4_2"]``).
    """
    c, h, w = content_shape[-3:]
    return 2.0 * content_weight / (c * h * w) / style_weight

