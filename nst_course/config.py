"""Device choice, fast mode and course-wide defaults.

Fast mode (``NST_COURSE_FAST=1``, set by ``make test``) shrinks every lesson:
small images, a handful of steps. The lessons read the same in both modes.
"""

from __future__ import annotations

import os
import random

import numpy as np
import torch

#: Gatys et al.: content from conv4_2, style from the first conv of every block.
CONTENT_LAYERS = ("conv4_2",)
STYLE_LAYERS = ("conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1")


def fast_mode() -> bool:
    """True when ``NST_COURSE_FAST`` is set to something other than 0/false/empty."""
    return os.environ.get("NST_COURSE_FAST", "").strip().lower() not in ("", "0", "false", "no")


def pick(full, fast):
    """Return ``fast`` in fast mode, else ``full`` (sizes, step counts, grid sizes)."""
    return fast if fast_mode() else full


def get_device(device: str | torch.device | None = None) -> torch.device:
    """CUDA if available, else Apple MPS, else CPU; ``device`` overrides.

    ``NST_COURSE_DEVICE`` in the environment overrides the automatic choice too.
    """
    if device is None:
        device = os.environ.get("NST_COURSE_DEVICE") or None
    if device is not None:
        return torch.device(device)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch so a run can be repeated exactly on CPU."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def describe_setup(device: torch.device | None = None) -> str:
    """One line for a lesson's setup cell: device, torch version, fast mode."""
    device = get_device(device)
    where = {"cpu": "CPU (no GPU found: runs are slower but fine at the lesson sizes)"}.get(
        device.type, device.type.upper()
    )
    line = f"torch {torch.__version__} on {where}, {torch.get_num_threads()} threads"
    if fast_mode():
        line += " | FAST MODE is on (NST_COURSE_FAST=1): tiny images, few steps"
    return line
