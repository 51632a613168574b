"""Device choice, the course's modes and course-wide defaults.

Three modes (:func:`mode`), chosen by the environment before Jupyter starts:

* ``full`` (default): ~256 px images, the real pictures, minutes per lesson on a laptop CPU.
* ``demo`` (``NST_COURSE_MODE=demo``): ~128 px and enough steps that every figure still
  shows its effect; for students short of time and for live lecture demos.
* ``fast`` (``NST_COURSE_FAST=1``, set by ``make test``): tiny images, a handful of steps;
  for the tests (CI) only, its pictures need not teach.

Lessons choose sizes and step counts with :func:`pick` and read the same in every mode.

Importing this module does not import PyTorch (its functions do, when called): the command
line reads its defaults from here and refuses a bad argument before paying for torch.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, Union, get_args

if TYPE_CHECKING:
    import torch

#: Gatys et al.: content from conv4_2, style from the first conv of every block.
CONTENT_LAYERS = ("conv4_2",)
STYLE_LAYERS = ("conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1")
#: image long side (px) when a source is a path, URL or sample name and no size is given
DEFAULT_SIZE = 256
#: ``stylize``'s steps and style weight: a good picture at 256-512 px with the Gatys weights and
#: these loss conventions
DEFAULT_STEPS = 300
DEFAULT_STYLE_WEIGHT = 10.0
#: stylize's style weight is calibrated to each style's size (``Objective(style_calibration=)``):
#: with the paper's weighting ("none") the same weight hardly stylizes some paintings
DEFAULT_STYLE_CALIBRATION = "target"


#: types of the public API, one name each
#: an image: a tensor ``(1, 3, H, W)`` in [0, 1], a path, an http(s) URL or a sample name
ImageSource = Union["torch.Tensor", str, os.PathLike]
#: ``callback(step_record, image) -> True to stop`` (the record is an ``harness.Step``)
Callback = Callable[[Any, "torch.Tensor"], bool | None]
#: where an optimisation starts: ``"content"``, ``"noise"``, ``"style"`` or an image tensor
Init = Union[str, "torch.Tensor"]
#: ``"auto"``, ``"coarse-to-fine"``, ``"single"`` (or None), ``"adain"``, ``"pyramid"`` or
#: increasing long sides ``[128, 256, 512]``
Schedule = str | Sequence[int] | None
#: ``"cpu"``, ``"cuda"``, ``"mps"``, a ``torch.device`` or None (the best available)
Device = Union[str, "torch.device", None]


def as_list(one_or_many) -> list:
    """``[x]`` for one image (tensor, path, name) or mask, ``list(x)`` for a list or tuple of them."""
    return list(one_or_many) if isinstance(one_or_many, list | tuple) else [one_or_many]


def source_size(source: object, size: int | None = None) -> int | None:
    """The long side to load ``source`` at: ``size`` if given, else :data:`DEFAULT_SIZE` for a
    path, URL or sample name and None (as it is) for a tensor."""
    import torch

    if size is not None:
        return size
    return None if isinstance(source, torch.Tensor) else DEFAULT_SIZE


def fast_mode() -> bool:
    """True when ``NST_COURSE_FAST`` is set to something other than 0/false/empty."""
    return os.environ.get("NST_COURSE_FAST", "").strip().lower() not in ("", "0", "false", "no")


MODES = ("full", "demo", "fast")
_MODE_TEXT = {
    "full": "full (~256 px, the real pictures; NST_COURSE_MODE=demo is quicker)",
    "demo": "demo (~128 px, fewer steps: quicker, every figure still shows its effect)",
    "fast": "fast (NST_COURSE_FAST=1: tiny images, few steps; for tests only, the pictures do not teach)",
}


def mode() -> str:
    """``"fast"`` when ``NST_COURSE_FAST`` is set (the tests), else ``NST_COURSE_MODE``
    (``"demo"``, ``"full"``; also ``"fast"``), else ``"full"``."""
    if fast_mode():
        return "fast"
    wanted = os.environ.get("NST_COURSE_MODE", "").strip().lower() or "full"
    if wanted not in MODES:
        raise ValueError(f"NST_COURSE_MODE={wanted!r} is not a mode: use one of {', '.join(MODES)}")
    return wanted


def pick(full, fast, demo=None):
    """The value for the running :func:`mode`: ``full``, ``fast``, or ``demo`` (``full`` if not given).

    E.g. ``SIZE = pick(256, 64, demo=128)`` for an image size, likewise step counts, grid sizes.
    """
    return {"full": full, "fast": fast, "demo": full if demo is None else demo}[mode()]


def get_device(device: Device = None) -> torch.device:
    """CUDA if available, else Apple MPS, else CPU; ``device`` overrides.

    ``NST_COURSE_DEVICE`` in the environment overrides the automatic choice too.
    """
    import torch

    source = "device"
    if device is None:
        device, source = os.environ.get("NST_COURSE_DEVICE") or None, "NST_COURSE_DEVICE"
    if device is not None:
        try:
            chosen = torch.device(device)
        except (RuntimeError, TypeError):  # torch's message does not say where the name came from
            raise ValueError(f"{source}={device!r} is not a device torch knows; use cpu, cuda, "
                             "cuda:1 or mps.") from None
        _check_present(chosen, source)
        return chosen
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def _check_present(device: torch.device, source: str) -> None:
    """Refuse a CUDA or MPS device this machine does not have, in one sentence (not torch's)."""
    import torch

    if device.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if (device.index or 0) >= count:
            have = f"{count} CUDA device(s)" if count else "no CUDA GPU"
            raise ValueError(f"{source}={str(device)!r}: this machine has {have}; use cpu "
                             "(or leave the device out to pick the best available).")
    elif device.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise ValueError(f"{source}='mps': Apple's GPU (MPS) is not available here; use cpu.")


#: ``precision`` values accepted by :func:`get_dtype` (and ``stylize``, ``reconstruct``, ``load_vgg``)
Precision = Literal["auto", "float32", "bfloat16"]
PRECISIONS = get_args(Precision)


def native_bfloat16(device: Device = None) -> bool:
    """True when ``device`` multiplies bfloat16 in hardware: an x86 CPU with AVX512-BF16 or
    AMX (Intel Cooper Lake / Sapphire Rapids and later, AMD Zen 4 and later) or a CUDA GPU
    that supports it. Elsewhere bfloat16 convolutions are emulated and slower than float32.
    """
    import torch

    device = get_device(device)
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type != "cpu":
        return False
    caps = torch.cpu.get_capabilities()
    return bool(caps.get("avx512_bf16") or caps.get("amx_bf16"))


def get_dtype(precision: Precision = "auto", device: Device = None) -> torch.dtype:
    """The dtype VGG19's convolutions run in while optimising an image.

    ``"float32"``: everything in float32. ``"bfloat16"``: conv1_2 ... conv5_4 in
    bfloat16 (8-bit mantissa, float32's range); the image, conv1_1, the Gram
    matrices and the losses stay float32. ``"auto"`` (default): bfloat16 where
    :func:`native_bfloat16` (about 2x faster per step; equally good pictures, not identical pixels), else
    float32. ``NST_COURSE_PRECISION`` in the environment overrides ``"auto"``.
    """
    import torch

    source = "precision"
    if precision == "auto" and os.environ.get("NST_COURSE_PRECISION", "auto") != "auto":
        precision, source = os.environ["NST_COURSE_PRECISION"], "NST_COURSE_PRECISION"
    if precision == "auto":
        precision = "bfloat16" if native_bfloat16(device) else "float32"
    if precision not in PRECISIONS[1:]:
        raise ValueError(f"{source} must be one of {', '.join(PRECISIONS)}, not {precision!r}")
    return torch.bfloat16 if precision == "bfloat16" else torch.float32


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch so a run can be repeated exactly on CPU."""
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def describe_setup(device: torch.device | None = None) -> str:
    """One line for a lesson's setup cell: device, torch version, the mode running."""
    import torch

    device = get_device(device)
    where = {"cpu": "CPU (no GPU found: runs are slower but fine at the lesson sizes)"}.get(
        device.type, device.type.upper()
    )
    line = f"torch {torch.__version__} on {where}, {torch.get_num_threads()} threads"
    if get_dtype("auto", device) == torch.bfloat16:
        line += ", bfloat16 convolutions"
    line += f" | mode: {_MODE_TEXT[mode()]}"
    return line


def bars_off(progress: bool = True) -> bool:
    """True when progress bars should stay hidden: ``progress=False`` or ``TQDM_DISABLE`` set.

    tqdm reads ``TQDM_DISABLE`` only when no ``disable=`` is passed; the course
    passes one, so it reads the variable itself (``TQDM_DISABLE=1`` hides the bars).
    """
    flag = os.environ.get("TQDM_DISABLE", "").strip().lower()
    return not progress or flag not in ("", "0", "false", "no", "off")
