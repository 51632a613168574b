"""Figures for the lessons, each built on :func:`show_images`.

``show_images`` underlies feature-map grids, reconstruction galleries and the
alpha/beta grid; :class:`LivePreview` updates one output in place during a run.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import torch

from .images import to_numpy


def _as_array(img):
    if isinstance(img, torch.Tensor):
        if img.dim() == 2 or (img.dim() == 3 and img.shape[0] == 1):
            return img.detach().float().cpu().reshape(img.shape[-2:]).numpy()
        return to_numpy(img)
    return np.asarray(img)


def show_images(images, titles=None, ncols: int | None = None, size: float = 3.0,
                suptitle: str | None = None, cmap: str = "viridis", axes_off: bool = True):
    """Show a list of images in a grid and return the figure.

    Args:
        images: tensors ``(1, 3, H, W)``/``(3, H, W)`` in [0, 1], single-channel
            maps ``(H, W)``, PIL images or arrays.
        titles: one string per image (or None).
        ncols: columns (default: all in one row up to 6).
        size: inches per tile.
    """
    images = list(images)
    n = len(images)
    ncols = ncols or min(n, 6)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.4 * bool(suptitle)),
                             squeeze=False)
    for k, ax in enumerate(axes.flat):
        if k < n:
            arr = _as_array(images[k])
            ax.imshow(arr, cmap=cmap if arr.ndim == 2 else None)
            if titles is not None and titles[k] is not None:
                ax.set_title(titles[k], fontsize=10)
        if axes_off or k >= n:
            ax.axis("off")
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def show_feature_maps(features: torch.Tensor, n: int = 16, ncols: int = 8, size: float = 1.4,
                      title: str | None = None, channels=None):
    """Grid of ``n`` channels of one feature map ``(1, C, H, W)``, each scaled to its own range.

    By default the ``n`` most active channels (largest mean) are shown.
    """
    f = features.detach().float().cpu()[0]
    if channels is None:
        channels = f.mean(dim=(1, 2)).argsort(descending=True)[:n].tolist()
    maps = []
    for c in channels:
        m = f[c]
        maps.append(((m - m.min()) / (m.max() - m.min() + 1e-8)).numpy())
    return show_images(maps, [f"ch {c}" for c in channels], ncols=ncols, size=size,
                       suptitle=title, cmap="magma")


def show_gram(gram: torch.Tensor, ax=None, title: str | None = None, max_channels: int = 64):
    """Heatmap of a Gram matrix ``(C, C)`` or ``(1, C, C)`` (first ``max_channels``)."""
    g = gram.detach().float().cpu().reshape(gram.shape[-2:])[:max_channels, :max_channels]
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    im = ax.imshow(g.numpy(), cmap="magma")
    ax.set_xlabel("channel j")
    ax.set_ylabel("channel i")
    if title:
        ax.set_title(title)
    plt.colorbar(im, ax=ax, fraction=0.046)
    return ax


def plot_history(history, keys=("content_loss", "style_loss", "total_loss"), x: str = "step",
                 ax=None, log: bool = True, label_prefix: str = ""):
    """Loss curves from a :class:`~nst_course.optimize.Result` history (log scale)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    xs = [rec[x] for rec in history]
    for key in keys:
        ys = [rec[key] for rec in history]
        if any(ys):
            ax.plot(xs, ys, label=f"{label_prefix}{key.replace('_', ' ')}")
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("seconds" if x == "seconds" else "step")
    ax.set_ylabel("loss")
    ax.legend()
    return ax


class LivePreview:
    """Show the image being optimised, updated in place (one display handle, no flicker).

    Use as the ``callback`` of :func:`~nst_course.stylize`::

        preview = LivePreview(width=256)
        result = stylize(content_img, style_img, callback=preview, callback_every=10)
    """

    def __init__(self, width: int = 256):
        self.width = width
        self.handle = None

    def __call__(self, record, image) -> None:
        from IPython.display import display

        from .images import tensor_to_pil

        pil = tensor_to_pil(image)
        pil = pil.resize((self.width, round(pil.height * self.width / pil.width)))
        caption = f"step {record.step}: total loss {record.total_loss:.4g}, {record.seconds:.1f} s"
        if self.handle is None:
            self.handle = display(pil, display_id=True)
            self.caption = display(caption, display_id=True)
        else:
            self.handle.update(pil)
            self.caption.update(caption)
