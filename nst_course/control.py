"""Control over what is transferred: colour, place, scale, resolution.

* Colour preservation (Gatys et al. 2017, "Controlling Perceptual Factors in
  Neural Style Transfer"), their two methods: transfer only the luminance and keep
  the content's colour (:func:`luminance_transfer`), or recolour the style image
  first with a linear map that gives its pixels the content's colour mean and
  covariance (:func:`match_colour_linear`, their "colour histogram matching").
  :func:`match_colour_histogram` is a variant (per-channel histogram matching,
  scikit-image): each channel's whole distribution, not the channels' correlations.
* Spatial control: :func:`masked_stylize` puts a style only where a mask is 1
  (or one style per region); :class:`MaskedObjective` computes each style's
  Gram matrix over its own region only.

Several styles blended with weights, the style scale and coarse-to-fine are
arguments of :func:`~nst_course.stylize` (``style=[...]``, ``style_blend``,
``style_scale``, ``schedule=[128, 256, 512]``).
Introduced in notebooks/07_beyond_gatys.ipynb.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from .config import (
    CONTENT_LAYERS,
    STYLE_LAYERS,
    Device,
    ImageSource,
    Precision,
    as_list,
    get_device,
    source_size,
)
from .harness import Result, optimize_image
from .images import as_image_tensor, load_image
from .losses import LayerWeights, style_size, weighted_style_loss
from .objective import REFERENCE_STYLE_SIZE, Images, Objective, style_list
from .optimize import DEFAULT_STYLE_CALIBRATION, DEFAULT_STYLE_WEIGHT, stylize
from .vgg import Weights, load_vgg

# RGB -> YIQ (NTSC), the colour space of Gatys et al. 2017: Y is the luminance
_RGB2YIQ = torch.tensor([[0.299, 0.587, 0.114],
                         [0.595716, -0.274453, -0.321263],
                         [0.211456, -0.522591, 0.311135]])
_YIQ2RGB = torch.linalg.inv(_RGB2YIQ)


def rgb_to_yiq(img: torch.Tensor) -> torch.Tensor:
    """``(N, 3, H, W)`` RGB -> YIQ (channel 0 = luminance Y, 1-2 = chroma I, Q)."""
    return torch.einsum("ij,njhw->nihw", _RGB2YIQ.to(img), img)


def yiq_to_rgb(img: torch.Tensor) -> torch.Tensor:
    """``(N, 3, H, W)`` YIQ -> RGB (not clamped)."""
    return torch.einsum("ij,njhw->nihw", _YIQ2RGB.to(img), img)


def combine_luminance(luminance_from: torch.Tensor, colour_from: torch.Tensor) -> torch.Tensor:
    """Y of ``luminance_from`` with the I, Q (chroma) of ``colour_from``; both ``(1, 3, H, W)``.

    Returns RGB ``(1, 3, H, W)`` clamped to [0, 1].
    """
    y = rgb_to_yiq(luminance_from)[:, :1]
    iq = rgb_to_yiq(colour_from)[:, 1:]
    return yiq_to_rgb(torch.cat([y, iq], dim=1)).clamp(0, 1)


def _grey(img: torch.Tensor) -> torch.Tensor:
    return rgb_to_yiq(img)[:, :1].expand(-1, 3, -1, -1).contiguous()


def luminance_transfer(content: ImageSource, style: ImageSource, *, size: int | None = None,
                       **stylize_kwargs) -> Result:
    """Style transfer on luminance only; the colours stay the content's (Gatys et al. 2017).

    Both images are turned into their luminance Y; the style's Y is shifted and
    scaled to the content's mean and std (so a dark style does not darken the
    photo); :func:`~nst_course.stylize` runs on the grey images; the result's Y is
    combined with the content's chroma. ``stylize_kwargs`` go to ``stylize``.

    Returns:
        :class:`~nst_course.Result` whose ``image`` ``(1, 3, H, W)`` is in colour.
    """
    content_img = load_image(content, source_size(content, size))
    style_img = load_image(style, max(content_img.shape[-2:]))
    yc, ys = _grey(content_img), _grey(style_img)
    ys = ((ys - ys.mean()) / (ys.std() + 1e-8) * yc.std() + yc.mean()).clamp(0, 1)
    result = stylize(yc, ys, **stylize_kwargs)
    return dataclasses.replace(result, image=combine_luminance(result.image, content_img.to(result.image)))


def _colour_stats(img: torch.Tensor, eps: float) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Pixels ``(3, H*W)`` of a ``(1, 3, H, W)`` image in float64, their mean ``(3, 1)`` and
    covariance ``(3, 3)`` (+ ``eps`` on the diagonal, so a flat image stays invertible)."""
    x = img[0].reshape(3, -1).double()
    mu = x.mean(dim=1, keepdim=True)
    d = x - mu
    cov = d @ d.T / x.shape[1] + eps * torch.eye(3, dtype=x.dtype, device=x.device)
    return x, mu, cov


def _sqrtm(cov: torch.Tensor) -> torch.Tensor:
    """Symmetric square root of a ``(3, 3)`` covariance (eigendecomposition)."""
    vals, vecs = torch.linalg.eigh(cov)
    return vecs @ torch.diag(vals.clamp_min(0).sqrt()) @ vecs.T


def match_colour_linear(style: ImageSource, content: ImageSource, *, method: str = "eig",
                        eps: float = 1e-5) -> torch.Tensor:
    """The style image recoloured by a linear map to the content's colour mean and covariance.

    Gatys et al. 2017 (section 5.2, "colour histogram matching"): every RGB pixel
    ``p`` of the style becomes ``A p + b`` with ``b = mu_c - A mu_s`` and ``A`` such that
    ``A Sigma_s A^T = Sigma_c``; the stylisation then runs on the recoloured style. Two
    choices of ``A`` that the paper describes: ``"eig"`` ``A = Sigma_c^(1/2) Sigma_s^(-1/2)``
    (symmetric square roots by eigendecomposition, the colour transfer of Image
    Analogies; the authors' colour-control example code uses this one) and
    ``"cholesky"`` ``A = L_c L_s^(-1)`` (``Sigma = L L^T``).

    Args:
        style: ``(1, 3, H, W)`` in [0, 1], or a path or sample name.
        content: ``(1, 3, H', W')`` in [0, 1] (any size), or a path or sample name.
        method: ``"eig"`` or ``"cholesky"``.
        eps: added to the covariances' diagonals (a flat image has none).
    Returns:
        ``(1, 3, H, W)`` float32 in [0, 1] on the style's device. Clamping to [0, 1]
        can move the statistics a little where the map leaves the colour cube.
    Raises:
        ValueError: one sentence for an unknown ``method`` or an input that is not an image.
    """
    if method not in ("eig", "cholesky"):
        raise ValueError(f"method must be 'eig' or 'cholesky', not {method!r}.")
    style_img = load_image(as_image_tensor(style, "style", min_side=1))
    content_img = load_image(as_image_tensor(content, "content", min_side=1)).to(style_img.device)
    xs, mu_s, cov_s = _colour_stats(style_img, eps)
    _, mu_c, cov_c = _colour_stats(content_img, eps)
    if method == "eig":
        a = _sqrtm(cov_c) @ torch.linalg.inv(_sqrtm(cov_s))
    else:
        a = torch.linalg.cholesky(cov_c) @ torch.linalg.inv(torch.linalg.cholesky(cov_s))
    out = a @ (xs - mu_s) + mu_c
    return out.reshape(style_img.shape).float().clamp(0, 1)


def match_colour_histogram(style: ImageSource, content: ImageSource) -> torch.Tensor:
    """The style image ``(1, 3, H', W')`` recoloured so each RGB channel's histogram
    matches the content's (``skimage.exposure.match_histograms``).

    A variant, not Gatys et al.'s method (:func:`match_colour_linear`): it matches
    each channel's whole distribution but ignores how the channels vary together."""
    from skimage.exposure import match_histograms

    def arr(img):
        return img[0].detach().cpu().permute(1, 2, 0).double().numpy()

    style_img, content_img = load_image(style), load_image(content)
    matched = match_histograms(arr(style_img), arr(content_img), channel_axis=-1)
    out = torch.from_numpy(np.ascontiguousarray(matched)).float().permute(2, 0, 1)[None]
    return out.clamp(0, 1).to(style_img.device)


# ---------------------------------------------------------------- spatial control

def masked_gram(features: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Gram matrix ``(N, C, C)`` of ``features`` ``(N, C, H, W)`` over the positions of
    ``mask`` (resized to ``H x W``), normalised by ``C * sum(mask)`` (so a mask of
    ones gives :func:`~nst_course.gram_matrix`). Positions where the mask is 0 do
    not count at all."""
    n, c, h, w = features.shape
    m = F.interpolate(mask.to(features), size=(h, w), mode="bilinear", align_corners=False)
    f = (features * m).reshape(n, c, h * w)
    area = m.sum().clamp_min(1e-8)
    return torch.bmm(f, f.transpose(1, 2)) / (c * area)


class MaskedObjective(Objective):
    """:class:`~nst_course.Objective` with one mask per style image.

    Style ``k``'s Gram target comes from its whole image (computed once); the
    generated image's Gram for style ``k`` is :func:`masked_gram` over ``masks[k]``
    ``(1, 1, H, W)`` (1 = this style here). The content loss covers the whole image.
    ``style_blend`` weighs the styles' losses (default equal).
    """

    def __init__(self, vgg, content_img: torch.Tensor | None, style_imgs: Images,
                 masks: torch.Tensor | Sequence[torch.Tensor], **kwargs):
        n_styles = len(as_list(style_imgs))
        self.masks = as_list(masks)
        if len(self.masks) != n_styles:
            raise ValueError(f"{n_styles} style images but {len(self.masks)} masks")
        super().__init__(vgg, content_img, style_imgs, **kwargs)

    def style_targets_for(self, style_imgs: Images, blend: Sequence[float] | None = None,
                          ) -> list[dict[str, torch.Tensor]]:
        """One ``{layer: (1, C, C)}`` per style image (not blended: each has its region)."""
        imgs, blend = style_list(style_imgs, blend)
        self.blend = [b / sum(blend) * len(blend) for b in blend]
        with torch.no_grad():  # the whole style image: Objective's own (unmasked) Gram matrices
            return [Objective.representations(self, img, (), self.style_layers)[1] for img in imgs]

    def calibration(self) -> float:
        """``REFERENCE_STYLE_SIZE`` over the styles' sizes averaged with their blend weights."""
        size = sum(b * float(style_size(t, self.style_layer_weights))
                   for t, b in zip(self.style_targets, self.blend)) / len(self.blend)
        return REFERENCE_STYLE_SIZE / size if size > 0 else 1.0

    def representations(self, img: torch.Tensor, content_layers: Sequence[str],
                        style_layers: Sequence[str]) -> tuple[dict, dict]:
        """Content features, and per style layer the list of :func:`masked_gram` (one per mask)."""
        feats = self.features(img, tuple(dict.fromkeys((*content_layers, *style_layers))))
        return ({name: feats[name] for name in content_layers},
                {name: [masked_gram(feats[name], m) for m in self.masks] for name in style_layers})

    def style_term(self, style: dict) -> torch.Tensor:
        """``sum_k b_k sum_l w_l E_l(masked Gram_k, A_k)`` over the styles whose mask is not empty."""
        total = torch.tensor(0.0)
        for k, (mask, targets, b) in enumerate(zip(self.masks, self.style_targets, self.blend)):
            if float(mask.sum()) == 0:
                continue
            grams = {name: style[name][k] for name in self.style_layers}
            total = total + b * weighted_style_loss(grams, targets, self.style_layer_weights)
        return total


def masked_stylize(content: ImageSource, style: ImageSource | Sequence[ImageSource],
                   masks: torch.Tensor | Sequence[torch.Tensor], *, steps: int = 200,
                   size: int | None = None, content_layers: Sequence[str] = CONTENT_LAYERS,
                   style_layers: Sequence[str] = STYLE_LAYERS, content_weight: float = 1.0,
                   style_weight: float = DEFAULT_STYLE_WEIGHT, tv_weight: float = 0.0,
                   style_scale: float = 1.0, style_blend: Sequence[float] | None = None,
                   style_layer_weights: LayerWeights = None,
                   style_calibration: str = DEFAULT_STYLE_CALIBRATION, weights: Weights = "gatys",
                   pooling: str = "max", device: Device = None, precision: Precision = "auto",
                   **optimize_kwargs) -> Result:
    """Style transfer with one style per region.

    Args:
        content: ``(1, 3, H, W)`` in [0, 1], path or sample name.
        style: one style or a list, one per mask.
        masks: ``(1, 1, H, W)`` in [0, 1] per style (1 = this style here). Where
            the masks add up to less than 1 the content's own pixels are kept:
            the optimised image is ``m * x + (1 - m) * content`` with ``m`` the
            sum of the masks, so style cannot leak into the rest.
        style_calibration: as in :func:`~nst_course.stylize` (one factor for all the styles,
            from their sizes averaged with the blend weights).
    Returns:
        :class:`~nst_course.Result`.
    """
    device = get_device(device)
    content_img = load_image(content, source_size(content, size)).to(device)
    styles = as_list(style)
    masks = [m.to(device) for m in as_list(masks)]
    long_side = round(max(content_img.shape[-2:]) * style_scale)
    style_imgs = [load_image(s, long_side).to(device) for s in styles]
    vgg = load_vgg(weights, pooling, device=device, precision=precision)
    inner = MaskedObjective(vgg, content_img, style_imgs, masks, content_layers=content_layers,
                            style_layers=style_layers, content_weight=content_weight,
                            style_weight=style_weight, tv_weight=tv_weight,
                            style_blend=style_blend, style_layer_weights=style_layer_weights,
                            style_calibration=style_calibration)
    keep = F.interpolate(sum(masks), size=content_img.shape[-2:], mode="bilinear",
                         align_corners=False).clamp(0, 1)

    def composite(x):
        return keep * x + (1 - keep) * content_img

    def objective(x):
        return inner(composite(x))

    result = optimize_image(objective, content_img, steps=steps, desc="masked stylize",
                            **optimize_kwargs)
    return dataclasses.replace(result, image=composite(result.image).detach())
