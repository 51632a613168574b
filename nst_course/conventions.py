"""The style-loss conventions of the common tutorials, and a style-weight converter.

Taught in notebooks/cheat_sheet.md (and lessons 03, 04). Every convention compares
the Gram matrices of the generated image (features ``F``) and of the style image
(features ``S``), each ``(1, C, H, W)`` per layer, ``M = H * W``; they differ in what
they divide by and how they combine layers (``L`` = number of style layers):

========================  ========================================================
``"ours"`` / ``"gatys"``  ``sum_l (1/L) 1/(4 C^2 M^2) sum (FF^T - SS^T)^2`` (the paper)
``"ayala_wolters"``       ``sum_l ||G' - A'||_F^2``, ``G' = FF^T/(CHW)``: ``4 L`` x ours
``"pytorch"``, ``"d2l"``  ``sum_l mean_{C^2 entries} (G' - A')^2``: ``4 E_l / C^2`` per layer
``"tensorflow"``          ``(1/L) sum_l mean (G'' - A'')^2``, ``G'' = FF^T/(HW)``: 4 x ours
``"keras"``               ``(1/L) sum_l sum (FF^T - SS^T)^2 / (4 * 3^2 * P^2)``, P = image pixels
``"calibrated"``          ours x ``REFERENCE_STYLE_SIZE / style_size(A)``: how ``stylize``
                          weighs it by default (``style_calibration="target"``)
========================  ========================================================

(The Keras example divides by 3 channels and the *image's* pixel count, not the layer's;
``"calibrated"`` by the size of the style's own Gram matrices,
``style_size(A) = 1/4 sum_l (1/L) ||A'_l||^2``, so its ratio to ours depends on the style image.)
The optimiser only sees ``alpha L_c + beta L_s``, so the same picture needs
``beta_to = beta_from * L_from / L_to``. This converts the style term only: it assumes
the same content-loss form (a mean; the Keras example's content loss is a sum, the
paper's a half-sum, which changes the content weight too), the same network and the same
layers. The code bases also choose their own layers: the PyTorch tutorial's ``conv_1`` ...
``conv_5`` are conv1_1, conv1_2, conv2_1, conv2_2, conv3_1 before the ReLU (content
``conv_4`` = conv2_2); d2l's content layer is conv4_4; the TensorFlow and Keras code take
block5_conv2 (conv5_2). Their defaults (content, style, TV weight): PyTorch 1, 1e6, none;
d2l 1, 1e4, 10; TensorFlow 1e4, 1e-2, 30; Keras 2.5e-8, 1e-6, 1e-6.
"""
from __future__ import annotations

from collections.abc import Mapping

import torch

from .losses import gram_matrix
from .objective import REFERENCE_STYLE_SIZE

CONVENTIONS = ("ours", "gatys", "ayala_wolters", "pytorch", "d2l", "tensorflow", "keras", "calibrated")
# conventions whose loss is a fixed multiple of ours, as a function of the number of layers
_CONSTANT = {"ours": lambda n: 1.0, "gatys": lambda n: 1.0,
             "ayala_wolters": lambda n: 4.0 * n, "tensorflow": lambda n: 4.0}


def _check(name: str) -> None:
    if name not in CONVENTIONS:
        raise ValueError(f"unknown convention {name!r}: choose one of {', '.join(CONVENTIONS)}.")


def style_loss_in(convention: str, features: Mapping[str, torch.Tensor],
                  style_features: Mapping[str, torch.Tensor], image_pixels: int | None = None
                  ) -> torch.Tensor:
    """The style loss of ``convention``, written as that code base writes it.

    Args:
        convention: one of :data:`CONVENTIONS`.
        features, style_features: ``{layer: (1, C, H, W)}`` of the generated and the
            style image (same layers, same H, W: raw Gram matrices must match in size).
        image_pixels: height x width of the image, needed by ``"keras"`` only.
    Returns:
        a scalar tensor.
    """
    _check(convention)
    if convention == "keras" and not image_pixels:
        raise ValueError("the Keras convention divides by the image's pixel count: pass image_pixels.")
    n = len(features)
    total = torch.tensor(0.0, dtype=next(iter(features.values())).dtype)
    size = 0.0  # "calibrated": style_size of the style's Gram matrices
    for name, f in features.items():
        s = style_features[name]
        c, m = f.shape[1], f.shape[2] * f.shape[3]
        if convention in ("ours", "gatys", "calibrated"):
            raw = ((gram_matrix(f, "none") - gram_matrix(s, "none")) ** 2).sum()
            total = total + raw / (4 * c**2 * m**2) / n
        elif convention == "ayala_wolters":
            total = total + ((gram_matrix(f) - gram_matrix(s)) ** 2).sum()
        elif convention in ("pytorch", "d2l"):
            total = total + ((gram_matrix(f) - gram_matrix(s)) ** 2).mean()
        elif convention == "tensorflow":
            total = total + ((gram_matrix(f, "hw") - gram_matrix(s, "hw")) ** 2).mean() / n
        else:  # keras
            raw = ((gram_matrix(f, "none") - gram_matrix(s, "none")) ** 2).sum()
            total = total + raw / (4.0 * 3**2 * image_pixels**2) / n
        size = size + gram_matrix(s).pow(2).sum() / 4 / n
    return total * REFERENCE_STYLE_SIZE / size if convention == "calibrated" else total


def convert_style_weight(value: float, from_: str, to: str,
                         features: Mapping[str, torch.Tensor] | None = None,
                         style_features: Mapping[str, torch.Tensor] | None = None,
                         image_pixels: int | None = None, n_layers: int = 5) -> float:
    """The style weight in convention ``to`` that gives the same picture as ``value`` in ``from_``.

    Between ``"ours"``, ``"gatys"``, ``"ayala_wolters"`` and ``"tensorflow"`` the ratio is a
    constant (``n_layers`` style layers). The others weigh layers by ``1/C^2`` or by the
    image size, so their ratio depends on the images: pass the features of a typical
    pair (``{layer: (1, C, H, W)}``, and ``image_pixels`` for Keras).
    """
    _check(from_)
    _check(to)
    if from_ in _CONSTANT and to in _CONSTANT:
        return float(value * _CONSTANT[from_](n_layers) / _CONSTANT[to](n_layers))
    if features is None or style_features is None:
        raise ValueError(f"from {from_!r} to {to!r} the ratio depends on the images: pass the "
                         "features of the generated and the style image.")
    ratio = (style_loss_in(from_, features, style_features, image_pixels)
             / style_loss_in(to, features, style_features, image_pixels))
    return float(value * ratio)
