"""Looking at VGG features: what changes with depth, measured and shown.

* :func:`layer_stats`: per layer the shape, the fraction of zeros after the ReLU
  (sparsity), the mean activation and the receptive field.
* :func:`pca_rgb`: a whole ``(C, H, W)`` representation as one picture, the three
  main directions of its C channels shown as red, green and blue.
* :func:`representation_images`: one such picture per layer at the input's size.
* :func:`reconstruction_images`: what each layer keeps, as an image reconstructed from
  that layer alone (lesson 02's method); all at one resolution, so the sorting exercise
  (which layer is which?) is read from content, not from the size of a pooling grid.

Introduced in notebooks/01_cnn_features.ipynb.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

from .config import STYLE_LAYERS
from .vgg import VGG19, receptive_field

if TYPE_CHECKING:  # widgets imports ipywidgets: only when the exercise is made
    from .widgets import SortingExercise


def layer_stats(features: Mapping[str, torch.Tensor]) -> list[dict]:
    """One row per layer: ``layer, C, H, W, values, sparsity, mean, receptive_field``.

    Args:
        features: ``{layer: (1, C, H, W)}`` rectified responses (``model(x, layers)``).
    Returns:
        rows (dicts) in the given order; ``sparsity`` is the fraction of exact zeros.
    """
    rows = []
    for name, f in features.items():
        f = f.detach()
        _, c, h, w = f.shape
        rows.append({
            "layer": name, "C": c, "H": h, "W": w, "values": c * h * w,
            "sparsity": (f == 0).float().mean().item(),
            "mean": f.mean().item(),
            "receptive_field": receptive_field(name),
        })
    return rows


def format_stats(rows: list[dict]) -> str:
    """The rows of :func:`layer_stats` as a fixed-width text table."""
    head = (f"{'layer':8s} {'C x H x W':>15s} {'values':>9s} {'zeros':>7s} {'mean':>8s} "
            f"{'sees (px)':>9s}")
    lines = [head, "-" * len(head)]
    for r in rows:
        shape = f"{r['C']} x {r['H']} x {r['W']}"
        lines.append(f"{r['layer']:8s} {shape:>15s} {r['values']:>9d} {r['sparsity']:>7.1%} "
                     f"{r['mean']:>8.3g} {r['receptive_field']:>9d}")
    return "\n".join(lines)


def pca_rgb(features: torch.Tensor, size: tuple[int, int] | None = None) -> torch.Tensor:
    """Project ``(1, C, H, W)`` features on their 3 principal components -> RGB ``(1, 3, H, W)``.

    Each component is scaled to [0, 1] by its 1st and 99th percentile; ``size``
    ``(H, W)`` upsamples the result (nearest, so the coarse grid stays visible).
    """
    f = features.detach().float()[0]
    c, h, w = f.shape
    x = f.reshape(c, h * w).T  # (HW, C): one C-dim vector per position
    x = x - x.mean(dim=0, keepdim=True)
    k = min(3, c, h * w)
    _, _, v = torch.linalg.svd(x, full_matrices=False)
    comps = x @ v[:k].T  # (HW, k)
    # fix each component's sign so that its largest values are positive (stable colours)
    flip = torch.where(comps.max(0).values.abs() >= comps.min(0).values.abs(), 1.0, -1.0)
    comps = comps * flip
    if k < 3:
        comps = torch.cat([comps, comps.new_zeros(h * w, 3 - k)], dim=1)
    lo = torch.quantile(comps, 0.01, dim=0)
    hi = torch.quantile(comps, 0.99, dim=0)
    comps = ((comps - lo) / (hi - lo).clamp_min(1e-8)).clamp(0, 1)
    rgb = comps.T.reshape(1, 3, h, w)
    if size is not None and tuple(size) != (h, w):
        rgb = F.interpolate(rgb, size=tuple(size), mode="nearest")
    return rgb


def representation_images(model: VGG19, img: torch.Tensor, layers: Sequence[str]) -> dict[str, torch.Tensor]:
    """``{layer: (1, 3, H, W)}``: :func:`pca_rgb` of each layer, all at ``img``'s size."""
    with torch.no_grad():
        feats = model(img, layers)
    return {name: pca_rgb(feats[name], size=tuple(img.shape[-2:])) for name in layers}


#: the in-class problem of Ayala & Wolters, *Style Transfer*: conv1_1 ... conv5_1 are S, T, Y,
#: L, E (the right order spells STYLE) and they are shown in the order E T L S Y
SORT_LETTERS = dict(zip(STYLE_LAYERS, "STYLE"))
SORT_SHOWN = "ETLSY"


def reconstruction_images(img: torch.Tensor, layers: Sequence[str], steps: int,
                          seed: int = 0) -> dict[str, torch.Tensor]:
    """``{layer: (1, 3, H, W)}``: an image reconstructed from white noise so that ``layer``'s
    features match those of ``img`` ``(1, 3, H, W)`` (``steps`` L-BFGS steps, the bundled
    Gatys-normalised VGG19). Every picture has ``img``'s resolution."""
    from .optimize import reconstruct

    return {name: reconstruct(img, name, steps=steps, seed=seed, progress=False).image
            for name in layers}


def layer_sorting_exercise(model: VGG19, img: torch.Tensor, steps: int | None = None) -> SortingExercise:
    """Ayala & Wolters' in-class problem for ``img``: five representations labelled E T L S Y.

    Returns a :class:`~nst_course.widgets.SortingExercise` (answer ``"STYLE"``) whose
    images are conv1_1 ... conv5_1, shown shuffled: :func:`reconstruction_images` with
    ``steps`` steps (all at one resolution), or :func:`pca_rgb` pictures when ``steps`` is None.
    """
    from .widgets import SortingExercise

    by_letter = {letter: layer for layer, letter in SORT_LETTERS.items()}
    shown = [by_letter[letter] for letter in SORT_SHOWN]
    if steps is None:
        reps = representation_images(model, img, shown)
    else:
        reps = reconstruction_images(img, shown, steps)
    return SortingExercise([reps[name] for name in shown], labels=SORT_SHOWN, answer="STYLE",
                           titles=shown,
                           hint="low layers keep the exact pixels and colours; deep layers keep "
                                "where the objects are and lose colours and fine detail.")
