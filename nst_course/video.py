"""Video clips whose motion is known exactly, backward warping, and temporal consistency.

A *synthetic camera* moves over a still photo: frame ``t`` shows the photo through a
homography ``A_t`` (pan, zoom, rotation, perspective), so for every pixel of frame ``t`` we
know exactly where the same point of the photo was in frame ``t - 1``. Introduced in
notebooks/10_video.ipynb.

Conventions (the same in :mod:`nst_course.flow` and the lesson):

* frames: ``(T, 3, H, W)`` in [0, 1]; pixel ``(x, y)`` is column ``x``, row ``y``, centres
  at integer coordinates ``0 ... W-1``, ``0 ... H-1``;
* **backward flow** of pair ``t`` (frames ``t-1 -> t``): ``(2, H, W)``, channel 0 the
  horizontal ``dx``, channel 1 the vertical ``dy``: pixel ``(x, y)`` of frame ``t`` was at
  ``(x + dx, y + dy)`` in frame ``t - 1``. ``flows[k]`` is the flow of pair ``k + 1``;
* **mask** ``(1, H, W)``: 1 where that point was inside frame ``t - 1`` (valid), 0 where it
  entered the view (a disocclusion: nothing to compare it with).

Warping frame ``t - 1`` with the backward flow (:func:`warp`) gives frame ``t`` on the valid
pixels. The **warping error** of Lai et al. (ECCV 2018) measures how much a stylised clip
changes where the scene did not: ``(1/sum M) sum_i M_i ||O_t(i) - warp(O_{t-1})(i)||^2``
(squared over the 3 colours), averaged over the pairs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

#: camera paths :func:`camera_clip` knows
PATHS = ("pan", "zoom", "rotate", "homography")


@dataclass
class Clip:
    """``frames`` ``(T, 3, H, W)``; ``flows`` ``(T-1, 2, H, W)`` and ``masks`` ``(T-1, 1, H, W)``
    of the pairs ``(t-1, t)`` for ``t = 1 ... T-1`` (exact for a synthetic camera)."""

    frames: torch.Tensor
    flows: torch.Tensor
    masks: torch.Tensor
    name: str = "clip"

    def __len__(self) -> int:
        return self.frames.shape[0]

    def __repr__(self) -> str:
        t, _, h, w = self.frames.shape
        return (f"Clip({self.name!r}: {t} frames {w}x{h}, valid pixels per pair "
                f"{self.masks.mean().item():.1%})")


def _pixel_grid(h: int, w: int) -> torch.Tensor:
    """``(3, H*W)`` homogeneous pixel coordinates ``(x, y, 1)``, row by row."""
    ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float64),
                            torch.arange(w, dtype=torch.float64), indexing="ij")
    return torch.stack([xs.flatten(), ys.flatten(), torch.ones(h * w, dtype=torch.float64)])


def _apply(matrix: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
    """``(2, N)`` image of homogeneous ``points`` ``(3, N)`` under the 3x3 ``matrix``."""
    p = matrix @ points
    return p[:2] / p[2:]


def camera_matrices(path: str, frames: int, size: tuple[int, int], photo_size: tuple[int, int],
                    speed: float = 1.0) -> list[torch.Tensor]:
    """One 3x3 homography per frame, mapping frame pixels ``(x, y, 1)`` to photo pixels.

    ``size`` and ``photo_size`` are ``(H, W)``. ``speed`` scales the motion per frame (1: a
    pan of ~2 % of the width, a zoom of 2 %, a rotation of 1 degree per frame).
    """
    if path not in PATHS:
        raise ValueError(f"unknown camera path {path!r}; choose one of {', '.join(PATHS)}")
    (h, w), (ph, pw) = size, photo_size
    to_centre = torch.tensor([[1, 0, -(w - 1) / 2], [0, 1, -(h - 1) / 2], [0, 0, 1]], dtype=torch.float64)
    mats = []
    for t in range(frames):
        s = t * speed
        shift, zoom, angle, tilt = 0.0, 1.0, 0.0, 0.0
        if path in ("pan", "homography"):
            shift = 0.02 * w * s
        if path in ("zoom", "homography"):
            zoom = 0.98 ** s  # < 1: each frame shows less of the photo (zooming in)
        if path in ("rotate", "homography"):
            angle = math.radians(1.0 * s)
        if path == "homography":
            tilt = 0.01 * s / max(h, w)  # a little perspective: 1 % more scale per frame at one edge
        c, si = math.cos(angle), math.sin(angle)
        model = torch.tensor([[zoom * c, -zoom * si, 0], [zoom * si, zoom * c, 0], [tilt, 0, 1]],
                             dtype=torch.float64)
        start = -0.02 * w * (frames - 1) * speed / 2 if path in ("pan", "homography") else 0.0
        place = torch.tensor([[1, 0, (pw - 1) / 2 + start + shift], [0, 1, (ph - 1) / 2], [0, 0, 1]],
                             dtype=torch.float64)
        mats.append(place @ model @ to_centre)
    return mats


def _render(photo: torch.Tensor, matrix: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """Frame ``(3, H, W)``: ``photo`` ``(1, 3, Hp, Wp)`` sampled at ``matrix @ (x, y, 1)``."""
    ph, pw = photo.shape[-2:]
    p = _apply(matrix, _pixel_grid(h, w))
    if (p[0] < 0).any() or (p[0] > pw - 1).any() or (p[1] < 0).any() or (p[1] > ph - 1).any():
        raise ValueError(f"the camera leaves the {pw}x{ph} photo: use a larger photo, fewer frames "
                         "or a lower speed")
    grid = torch.stack([p[0] / (pw - 1) * 2 - 1, p[1] / (ph - 1) * 2 - 1], -1).reshape(1, h, w, 2)
    return F.grid_sample(photo, grid.float(), mode="bicubic", align_corners=True)[0].clamp(0, 1)


def exact_flow(prev_matrix: torch.Tensor, matrix: torch.Tensor, h: int, w: int,
               ) -> tuple[torch.Tensor, torch.Tensor]:
    """Backward flow ``(2, H, W)`` and mask ``(1, H, W)`` of the pair (``prev``, this frame).

    A pixel ``x`` of this frame shows photo point ``A_t x``; frame ``t-1`` showed it at
    ``A_{t-1}^{-1} A_t x``. The mask is 1 where that lies inside frame ``t-1``.
    """
    grid = _pixel_grid(h, w)
    where = _apply(torch.linalg.inv(prev_matrix) @ matrix, grid)
    flow = (where - grid[:2]).reshape(2, h, w)
    inside = (where[0] >= 0) & (where[0] <= w - 1) & (where[1] >= 0) & (where[1] <= h - 1)
    return flow.float(), inside.reshape(1, h, w).float()


def camera_clip(photo: torch.Tensor, frames: int = 8, size: int = 256, path: str = "homography",
                speed: float = 1.0, name: str | None = None) -> Clip:
    """A clip of ``frames`` frames ``size`` px wide (3:4 tall) filmed over ``photo``
    ``(1, 3, Hp, Wp)`` along a camera ``path`` (:data:`PATHS`), with exact flows and masks.

    The photo should be about 1.5x the frame's size so the camera stays on it; otherwise a
    ``ValueError`` says so.
    """
    h, w = round(size * 3 / 4), size
    mats = camera_matrices(path, frames, (h, w), tuple(photo.shape[-2:]), speed)
    clip_frames = torch.stack([_render(photo, m, h, w) for m in mats])
    pairs = [exact_flow(mats[t - 1], mats[t], h, w) for t in range(1, frames)]
    flows = torch.stack([f for f, _ in pairs]) if pairs else torch.zeros(0, 2, h, w)
    masks = torch.stack([m for _, m in pairs]) if pairs else torch.zeros(0, 1, h, w)
    return Clip(clip_frames, flows, masks, name or path)


def warp(image: torch.Tensor, flow: torch.Tensor, mode: str = "bicubic") -> torch.Tensor:
    """Backward warp: ``out[..., y, x] = image[..., y + dy, x + dx]``, interpolated.

    ``mode``: ``"bicubic"`` (default; 16 neighbours: a picture warped again and again, as a
    stylised clip is, blurs about half as much as with ``"bilinear"``, its 4 neighbours),
    ``"bilinear"`` or ``"nearest"``. Bicubic may overshoot [0, 1] by a little at edges.

    ``image`` ``(N, C, H, W)`` or ``(C, H, W)``, ``flow`` ``(N, 2, H, W)`` or ``(2, H, W)``
    (channel 0: ``dx``, channel 1: ``dy``, in pixels). Outside the image the border pixels
    are repeated (the mask marks those pixels invalid anyway). Returns ``image``'s shape.
    """
    single = image.dim() == 3
    if single:
        image, flow = image[None], flow[None]
    n, _, h, w = image.shape
    ys, xs = torch.meshgrid(torch.arange(h, dtype=flow.dtype, device=flow.device),
                            torch.arange(w, dtype=flow.dtype, device=flow.device), indexing="ij")
    gx = (xs + flow[:, 0]) / max(w - 1, 1) * 2 - 1  # align_corners=True: -1 and 1 are pixel centres
    gy = (ys + flow[:, 1]) / max(h - 1, 1) * 2 - 1
    out = F.grid_sample(image, torch.stack([gx, gy], -1).to(image.dtype), mode=mode,
                        padding_mode="border", align_corners=True)
    return out[0] if single else out


def temporal_loss(image: torch.Tensor, warped_prev: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Ruder, Dosovitskiy & Brox (2016): ``(1/D) sum_i c_i (x_i - w_i)^2``, a scalar.

    ``image`` and ``warped_prev`` (the previous stylised frame warped to this one) are
    ``(N, 3, H, W)``; ``mask`` ``c`` is ``(N, 1, H, W)``; ``D = N*3*H*W``, all the numbers
    of the image (disoccluded pixels count in ``D`` but add nothing).
    """
    return (mask * (image - warped_prev) ** 2).sum() / image.numel()


def pair_warping_errors(frames: torch.Tensor, flows: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """``(T-1,)``: Lai et al.'s warping error of each pair, ``sum_i M_i ||O_t - warp(O_{t-1})||^2
    / sum_i M_i`` (squares summed over the colours) for frames ``(T, 3, H, W)``."""
    warped = warp(frames[:-1], flows)
    sq = ((frames[1:] - warped) ** 2).sum(1, keepdim=True)  # (T-1, 1, H, W)
    return (sq * masks).sum((1, 2, 3)) / masks.sum((1, 2, 3)).clamp_min(1)


def warping_error(frames: torch.Tensor, flows: torch.Tensor, masks: torch.Tensor) -> float:
    """Lai et al. (2018)'s warping error of a clip: :func:`pair_warping_errors` averaged."""
    if frames.shape[0] < 2:
        raise ValueError("the warping error needs at least 2 frames")
    return pair_warping_errors(frames, flows, masks).mean().item()


def difference_strip(frames: torch.Tensor, flows: torch.Tensor, masks: torch.Tensor,
                     gain: float = 4.0) -> torch.Tensor:
    """``(T-1, 3, H, W)``: ``gain * |O_t - warp(O_{t-1})|`` on valid pixels, blue where the
    mask is 0 (no previous pixel): what the warping error sums, as pictures."""
    diff = (frames[1:] - warp(frames[:-1], flows)).abs().mean(1, keepdim=True) * gain
    blue = torch.tensor([0.2, 0.3, 0.8]).view(1, 3, 1, 1)
    return (diff.clamp(0, 1).expand(-1, 3, -1, -1) * masks + blue * (1 - masks))
