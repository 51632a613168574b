"""Every bundled painting on one photo: the README's picture and lesson 05's grid.

:func:`every_painting` stylizes one photo with each style at :func:`~nst_course.stylize`'s
defaults, once with the paper's weighting (``style_calibration="none"``) and once calibrated to
the style (``"target"``, the default); :func:`painting_grid` draws the results, a column per
style; :func:`save_small_png` writes a figure as a palette PNG (the README's image stays small).
``tools/painting_grid.py`` makes the README's picture with them.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from .config import ImageSource
from .images import load_image
from .losses import style_size
from .objective import Objective
from .optimize import DEFAULT_STYLE_WEIGHT, Result, stylize
from .plotting import show_images
from .samples import GENERATED, PAINTINGS
from .vgg import load_vgg

#: the five paintings that ship with the package, in catalog order
BUNDLED = tuple(name for name, p in PAINTINGS.items() if p.bundled)
#: what each calibration is called in a figure
LABELS = {"none": "paper's weighting", "target": "calibrated (default)"}


def style_sizes(styles: Sequence[str], size: int) -> dict[str, float]:
    """``{style: style_size}`` (:func:`~nst_course.losses.style_size`, float32) of each style at
    ``size`` px."""
    vgg, sizes = load_vgg(precision="float32"), {}
    for name in styles:
        obj = Objective(vgg, None, load_image(name, size))  # style targets only
        sizes[name] = float(style_size(obj.style_targets, obj.style_layer_weights))
    return sizes


def every_painting(content: ImageSource = "chelsea", styles: Sequence[str] = BUNDLED, *, size: int = 256,
                   steps: int = 300, calibrations: Sequence[str] = ("none", "target"),
                   style_weight: float = DEFAULT_STYLE_WEIGHT, **kwargs) -> dict[tuple[str, str], Result]:
    """``{(calibration, style): Result}``: ``content`` stylized with every style at ``size`` px.

    ``kwargs`` go to :func:`~nst_course.stylize` (default: no progress bar)."""
    kwargs.setdefault("progress", False)
    photo = load_image(content, size)
    return {(cal, name): stylize(photo, load_image(name, size), steps=steps, style_weight=style_weight,
                                 style_calibration=cal, **kwargs)
            for cal in calibrations for name in styles}


def painting_grid(runs: dict[tuple[str, str], Result], *, size: float = 2.0, suptitle: str | None = None,
                  sizes: dict[str, float] | None = None):
    """A figure: the style images in the first row, then one row per calibration of ``runs``.

    ``sizes`` (:func:`style_sizes`) adds each style's size to its title."""
    calibrations = list(dict.fromkeys(cal for cal, _ in runs))
    styles = list(dict.fromkeys(name for _, name in runs))
    side = max(next(iter(runs.values())).image.shape[-2:])
    images = [load_image(name, side) for name in styles]
    titles = [_title(name) + (f", S(A) = {sizes[name]:.2g}" if sizes else "") for name in styles]
    for cal in calibrations:
        images += [runs[cal, name].image for name in styles]
        titles += [f"{LABELS.get(cal, cal)}: style loss {runs[cal, name].final.style_loss:.3g}"
                   for name in styles]
    return show_images(images, titles, ncols=len(styles), size=size, suptitle=suptitle)


def _title(name: str) -> str:
    if name in PAINTINGS:
        p, words = PAINTINGS[name], PAINTINGS[name].artist.split()
        first = next(i for i in range(len(words) - 1, -1, -1) if i == 0 or not words[i - 1].islower())
        return f"{p.title.split(' (')[0]} ({' '.join(words[first:])})"  # the surname: "van Gogh"
    return f"{name} (generated)" if name in GENERATED else name


def save_small_png(fig, path: str | Path, dpi: int = 90, colours: int = 256) -> Path:
    """``fig`` as an 8-bit palette PNG (``colours`` colours): about a third of a full-colour PNG."""
    from PIL import Image

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    buf.seek(0)
    img = Image.open(buf).convert("RGB").quantize(colours, method=Image.Quantize.MEDIANCUT)
    path = Path(path)
    img.save(path, optimize=True)
    return path


__all__ = ["BUNDLED", "every_painting", "painting_grid", "save_small_png", "style_sizes"]
