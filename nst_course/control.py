"""Control over what is transferred: colour, place, scale, resolution.

* Colour preservation (Gatys et al. 2017, "Controlling Perceptual Factors in
  Neural Style Transfer"): transfer only the luminance and keep the content's
  colour (:func:`luminance_transfer`), or give the style image the content's
  colour histogram first (:func:`match_colour_histogram`).
* Spatial control: :func:`masked_stylize` puts a style only where a mask is 1
  (or one style per region); :class:`MaskedObjective` computes each style's
  Gram matrix over its own region only.
* Coarse-to-fine: :func:`coarse_to_fine` optimises small, upsamples, refines.

Several styles blended with weights and the style scale are arguments of
:func:`~nst_course.stylize` (``style=[...]``, ``style_blend``, ``style_scale``).
Introduced in notebooks/06_beyond_gatys.ipynb.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import torch
import torch.nn.functional as F

from .config import CONTENT_LAYERS, STYLE_LAYERS, get_device
from .images import load_image
from .losses import Objective, content_loss, style_layer_loss, total_variation_loss
from .optimize import DEFAULT_STYLE_WEIGHT, Result, optimize_image, stylize
from .vgg import load_vgg

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


def luminance_transfer(content, style, *, size: int | None = None, **stylize_kwargs) -> Result:
    """Style transfer on luminance only; the colours stay the content's (Gatys et al. 2017).

    Both images are turned into their luminance Y; the style's Y is shifted and
    scaled to the content's mean and std (so a dark style does not darken the
    photo); :func:`~nst_course.stylize` runs on the grey images; the result's Y is
    combined with the content's chroma. ``stylize_kwargs`` go to ``stylize``.

    Returns:
        :class:`~nst_course.Result` whose ``image`` ``(1, 3, H, W)`` is in colour.
    """
    content_img = load_image(content, size or (256 if isinstance(content, str) else None))
    style_img = load_image(style, max(content_img.shape[-2:]))
    yc, ys = _grey(content_img), _grey(style_img)
    ys = ((ys - ys.mean()) / (ys.std() + 1e-8) * yc.std() + yc.mean()).clamp(0, 1)
    result = stylize(yc, ys, **stylize_kwargs)
    return dataclasses.replace(result, image=combine_luminance(result.image, content_img.to(result.image)))


def match_colour_histogram(style, content) -> torch.Tensor:
    """The style image ``(1, 3, H', W')`` recoloured so each RGB channel's histogram
    matches the content's (``skimage.exposure.match_histograms``)."""
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

    Style ``k``'s Gram target comes from its whole image; the generated image's
    Gram for style ``k`` is :func:`masked_gram` over ``masks[k]`` ``(1, 1, H, W)``
    (1 = this style here). The content loss covers the whole image.
    """

    def __init__(self, vgg, content_img, style_imgs, masks, **kwargs):
        style_imgs = list(style_imgs) if isinstance(style_imgs, list | tuple) else [style_imgs]
        masks = list(masks) if isinstance(masks, list | tuple) else [masks]
        if len(masks) != len(style_imgs):
            raise ValueError(f"{len(style_imgs)} style images but {len(masks)} masks")
        blend = kwargs.pop("style_blend", None) or [1.0] * len(style_imgs)
        self.masks, self.blend = masks, [b / sum(blend) * len(blend) for b in blend]
        super().__init__(vgg, content_img, style_imgs[0], **kwargs)
        self.per_style = [Objective(vgg, None, s, style_layers=self.style_layers).style_targets
                          for s in style_imgs]

    def __call__(self, img: torch.Tensor):
        feats = self.vgg(img, self.layers)
        lc = img.new_zeros(())
        for name in self.content_layers:
            lc = lc + content_loss(feats[name], self.content_targets[name], self.content_form)
        weights = self.style_layer_weights or {n: 1.0 / len(self.style_layers)
                                               for n in self.style_layers}
        if not isinstance(weights, dict):
            weights = dict(zip(self.style_layers, weights, strict=True))
        ls = img.new_zeros(())
        for mask, targets, b in zip(self.masks, self.per_style, self.blend):
            if float(mask.sum()) == 0:
                continue
            for name in self.style_layers:
                gram = masked_gram(feats[name], mask)
                ls = ls + b * weights.get(name, 0.0) * style_layer_loss(gram, targets[name])
        ltv = total_variation_loss(img) if self.tv_weight else img.new_zeros(())
        total = self.content_weight * lc + self.style_weight * ls + self.tv_weight * ltv
        return total, {"content": lc, "style": ls, "tv": ltv, "total": total}


def masked_stylize(content, style, masks, *, steps: int = 200, size: int | None = None,
                   content_layers=CONTENT_LAYERS, style_layers=STYLE_LAYERS,
                   content_weight: float = 1.0, style_weight: float = DEFAULT_STYLE_WEIGHT,
                   tv_weight: float = 0.0, style_scale: float = 1.0, style_blend=None,
                   weights: str = "gatys", pooling: str = "max", device=None,
                   precision: str = "auto", **optimize_kwargs) -> Result:
    """Style transfer with one style per region.

    Args:
        content: ``(1, 3, H, W)`` in [0, 1], path or sample name.
        style: one style or a list, one per mask.
        masks: ``(1, 1, H, W)`` in [0, 1] per style (1 = this style here). Where
            the masks add up to less than 1 the content's own pixels are kept:
            the optimised image is ``m * x + (1 - m) * content`` with ``m`` the
            sum of the masks, so style cannot leak into the rest.
    Returns:
        :class:`~nst_course.Result`.
    """
    device = get_device(device)
    content_img = load_image(content, size or (256 if isinstance(content, str) else None))
    content_img = content_img.to(device)
    styles = list(style) if isinstance(style, list | tuple) else [style]
    masks = [m.to(device) for m in (masks if isinstance(masks, list | tuple) else [masks])]
    long_side = round(max(content_img.shape[-2:]) * style_scale)
    style_imgs = [load_image(s, long_side).to(device) for s in styles]
    vgg = load_vgg(weights, pooling, device=device, precision=precision)
    inner = MaskedObjective(vgg, content_img, style_imgs, masks, content_layers=content_layers,
                            style_layers=style_layers, content_weight=content_weight,
                            style_weight=style_weight, tv_weight=tv_weight,
                            style_blend=style_blend)
    keep = F.interpolate(sum(masks), size=content_img.shape[-2:], mode="bilinear",
                         align_corners=False).clamp(0, 1)

    def composite(x):
        return keep * x + (1 - keep) * content_img

    def objective(x):
        return inner(composite(x))

    result = optimize_image(objective, content_img, steps=steps, desc="masked stylize",
                            **optimize_kwargs)
    return dataclasses.replace(result, image=composite(result.image).detach())


# ---------------------------------------------------------------- coarse to fine

def coarse_to_fine(content, style, *, sizes=(128, 256, 512), steps=(200, 100, 50),
                   **stylize_kwargs) -> Result:
    """Optimise at ``sizes[0]``, upsample the result, refine at the next size, ...

    Each stage starts from the previous stage's image (bilinear upsampling) so
    the large sizes only refine detail: fewer expensive steps. The style image
    is resized with the content at every stage (``style_scale`` relative).

    Returns:
        :class:`~nst_course.Result` of the last stage; its ``history`` covers all
        stages (``seconds`` cumulative) and ``snapshots`` maps each size to its image.
    """
    if len(sizes) != len(steps):
        raise ValueError(f"{len(sizes)} sizes but {len(steps)} step counts")
    stylize_kwargs.pop("init", None)
    full = load_image(content, max(sizes))
    style_img = load_image(style)
    init, history, stages, offset, step0 = "content", [], {}, 0.0, 0
    t0 = time.perf_counter()
    for size, n in zip(sizes, steps):
        content_img = load_image(full, size)
        if isinstance(init, torch.Tensor):
            init = F.interpolate(init, size=content_img.shape[-2:], mode="bilinear",
                                 align_corners=False).clamp(0, 1)
        result = stylize(content_img, style_img, steps=n, init=init, **stylize_kwargs)
        history += [dataclasses.replace(r, step=r.step + step0, seconds=r.seconds + offset)
                    for r in result.history]
        step0, offset = step0 + n, time.perf_counter() - t0
        stages[size] = result.image
        init = result.image
    return dataclasses.replace(result, history=history, snapshots=stages)

