"""Optical flow estimated from the frames alone, for clips whose motion nobody knows.

scikit-image (already a dependency of the course) gives two estimators:

* ``"tvl1"``: TV-L1 (Zach, Pock & Bischof 2007; Wedel et al. 2009), a global variational
  method: a data term (brightness constancy, L1) plus total variation of the flow, solved
  coarse to fine. Accurate, a second or more per 256 px pair on a CPU.
* ``"ilk"``: iterative Lucas-Kanade (Le Besnerais & Champagnat 2005), a local least-squares
  fit in a window around every pixel, also coarse to fine. Several times faster, blurrier at
  motion boundaries, lost in flat regions.

Both take greyscale frames and return ``(rows, cols)`` displacements such that
``moving[r + v_r, c + v_c] ~ reference[r, c]``; with ``reference`` = frame ``t`` and ``moving`` =
frame ``t-1`` that is exactly the *backward* flow of :mod:`nst_course.video` (channels
swapped to ``(dx, dy)``). Introduced in notebooks/10_video.ipynb.

Where a pixel is valid without a known mask: the forward-backward check of Ruder et al. (2016,
after Sundaram et al. 2010): following the backward flow and then the forward flow from there
should come back to the start; where it does not (a disocclusion, or a wrong flow) the
pixel is masked out.
"""

from __future__ import annotations

import numpy as np
import torch

from .video import warp

#: estimators :func:`estimate_flow` knows
ESTIMATORS = ("tvl1", "ilk")


def _grey(frame: torch.Tensor) -> np.ndarray:
    """``(3, H, W)`` in [0, 1] -> ``(H, W)`` float32 luminance (ITU-R 601 weights)."""
    r, g, b = frame.detach().float().cpu()
    return (0.299 * r + 0.587 * g + 0.114 * b).numpy().astype(np.float32)


def estimate_flow(frame: torch.Tensor, prev: torch.Tensor, method: str = "tvl1") -> torch.Tensor:
    """Backward flow ``(2, H, W)`` (``dx``, ``dy``) of ``frame`` ``(3, H, W)`` to ``prev``:
    pixel ``(x, y)`` of ``frame`` is taken to be at ``(x + dx, y + dy)`` in ``prev``."""
    from skimage.registration import optical_flow_ilk, optical_flow_tvl1

    if method not in ESTIMATORS:
        raise ValueError(f"unknown flow estimator {method!r}; choose one of {', '.join(ESTIMATORS)}")
    ref, moving = _grey(frame), _grey(prev)
    if method == "tvl1":
        v_row, v_col = optical_flow_tvl1(ref, moving)
    else:
        v_row, v_col = optical_flow_ilk(ref, moving, radius=7)
    return torch.from_numpy(np.stack([v_col, v_row]).astype(np.float32))


def consistency_mask(backward: torch.Tensor, forward: torch.Tensor) -> torch.Tensor:
    """``(1, H, W)``: 1 where the backward flow ``(2, H, W)`` of frame ``t`` and the forward
    flow of frame ``t-1`` undo each other and the point stays inside the frame (Ruder et al.:
    ``|b + f(x + b)|^2 <= 0.01 (|b|^2 + |f(x + b)|^2) + 0.5``)."""
    _, h, w = backward.shape
    f_there = warp(forward, backward)  # the forward flow at the point each pixel came from
    gap = ((backward + f_there) ** 2).sum(0)
    ok = gap <= 0.01 * ((backward ** 2).sum(0) + (f_there ** 2).sum(0)) + 0.5
    ys, xs = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    x, y = xs + backward[0], ys + backward[1]
    inside = (x >= 0) & (x <= w - 1) & (y >= 0) & (y <= h - 1)
    return (ok & inside)[None].float()


def estimate_clip_flows(frames: torch.Tensor, method: str = "tvl1", progress: bool = False,
                        ) -> tuple[torch.Tensor, torch.Tensor]:
    """Backward flows ``(T-1, 2, H, W)`` and forward-backward masks ``(T-1, 1, H, W)`` of
    ``frames`` ``(T, 3, H, W)``: two estimates per pair."""
    from tqdm.auto import tqdm

    flows, masks = [], []
    for t in tqdm(range(1, frames.shape[0]), desc=f"flow ({method})", disable=not progress, leave=False):
        backward = estimate_flow(frames[t], frames[t - 1], method)
        forward = estimate_flow(frames[t - 1], frames[t], method)
        flows.append(backward)
        masks.append(consistency_mask(backward, forward))
    h, w = frames.shape[-2:]
    if not flows:
        return torch.zeros(0, 2, h, w), torch.zeros(0, 1, h, w)
    return torch.stack(flows), torch.stack(masks)


def endpoint_error(flow: torch.Tensor, exact: torch.Tensor, mask: torch.Tensor | None = None) -> float:
    """Mean end-point error in pixels, ``|flow - exact|`` (the length of the difference
    vector) averaged over the pixels where ``mask`` (``(..., 1, H, W)``) is 1."""
    epe = ((flow - exact) ** 2).sum(-3, keepdim=True).sqrt()
    if mask is None:
        return epe.mean().item()
    return ((epe * mask).sum() / mask.sum().clamp_min(1)).item()
