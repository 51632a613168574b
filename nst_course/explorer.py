"""Runs over style weights and style-layer sets, computed once, and ways to look at them.

* :func:`run_grid` stylizes one content/style pair for every (layer set, style weight);
  :func:`grid_figure` shows the runs as Gatys Fig. 3 (rows: layer sets, columns: weights),
  each tile titled with its weights, the paper's alpha/beta and its *measured* losses.
* :func:`quadrant_runs` makes the four images of the in-class problem (large/small content
  loss x large/small style loss) honestly, by different weights, inits and step counts;
  :func:`classify_quadrants` checks from the measured losses which quadrant each is in.
* :class:`WeightExplorer`: sliders over precomputed runs; moving one only looks a result up.

Introduced in notebooks/04_loss_weighting.ipynb.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch

from .config import CONTENT_LAYERS, STYLE_LAYERS, Init
from .images import png_bytes
from .losses import LayerWeights, gatys_ratio
from .objective import Objective
from .optimize import stylize
from .vgg import VGG19, feature_shapes, load_vgg

#: style-layer sets of Gatys Fig. 3 (rows A, C, E of the paper)
LAYER_SETS = {
    "conv1_1": STYLE_LAYERS[:1],
    "conv1_1…conv3_1": STYLE_LAYERS[:3],
    "conv1_1…conv5_1": STYLE_LAYERS,
}

#: the in-class problem of Ayala & Wolters, *Style Transfer*: (content, style) loss sizes
QUADRANTS = {
    ("large", "large"): "large content loss & large style loss",
    ("small", "large"): "small content loss & large style loss",
    ("small", "small"): "small content loss & small style loss",
    ("large", "small"): "large content loss & small style loss",
}


@dataclass
class Run:
    """One stylization and its losses, measured on the final image (unweighted)."""

    image: torch.Tensor
    style_weight: float
    content_weight: float
    layers: tuple
    content_loss: float
    style_loss: float
    total_loss: float
    alpha_beta: float  # the paper's alpha/beta for these weights (inf when style weight is 0)
    steps: int
    init: str
    seconds: float

    def __repr__(self) -> str:
        return (f"Run(style_weight={self.style_weight:g}, content_weight={self.content_weight:g}, "
                f"layers={'+'.join(self.layers)}, init={self.init!r}, steps={self.steps}, "
                f"content={self.content_loss:.4g}, style={self.style_loss:.4g}, "
                f"total={self.total_loss:.4g}, {self.seconds:.1f} s)")


def measure(image: torch.Tensor, content_img: torch.Tensor, style_img: torch.Tensor, *,
            style_layers: Sequence[str] = STYLE_LAYERS, content_layers: Sequence[str] = CONTENT_LAYERS,
            style_layer_weights: LayerWeights = None, vgg: VGG19 | None = None) -> tuple[float, float]:
    """Unweighted ``(content_loss, style_loss)`` of ``image`` ``(1, 3, H, W)``."""
    vgg = vgg or load_vgg()
    obj = Objective(vgg, content_img, style_img, content_layers=content_layers,
                    style_layers=style_layers, style_layer_weights=style_layer_weights)
    with torch.no_grad():
        _, parts = obj(image)
    return parts["content"].item(), parts["style"].item()


def alpha_beta(content_img: torch.Tensor, content_weight: float, style_weight: float) -> float:
    """The paper's alpha/beta for our weights (content layer conv4_2 of ``content_img``)."""
    if not style_weight:
        return math.inf
    return gatys_ratio(content_weight, style_weight, feature_shapes(*content_img.shape[-2:])["conv4_2"])


def run_one(content_img: torch.Tensor, style_img: torch.Tensor, *, style_weight: float, steps: int,
            content_weight: float = 1.0, style_layers: Sequence[str] = STYLE_LAYERS,
            style_layer_weights: LayerWeights = None, init: Init = "content", seed: int = 0,
            **kwargs) -> Run:
    """:func:`~nst_course.stylize` without a progress bar, measured on its final image.

    With the paper's weighting (``style_calibration="none"``, unless ``kwargs`` say otherwise):
    lesson 04's weights are the paper's, converted to its alpha/beta."""
    kwargs.setdefault("style_calibration", "none")
    r = stylize(content_img, style_img, steps=steps, content_weight=content_weight,
                style_weight=style_weight, style_layers=style_layers,
                style_layer_weights=style_layer_weights, init=init, seed=seed, progress=False,
                **kwargs)
    lc, ls = measure(r.image, content_img, style_img, style_layers=style_layers,
                     style_layer_weights=style_layer_weights)
    return Run(r.image, style_weight, content_weight, tuple(style_layers), lc, ls,
               content_weight * lc + style_weight * ls,
               alpha_beta(content_img, content_weight, style_weight), steps,
               init if isinstance(init, str) else "tensor", r.seconds)


def run_grid(content_img: torch.Tensor, style_img: torch.Tensor, style_weights: Sequence[float],
             layer_sets: Mapping[str, Sequence[str]] = LAYER_SETS, *, steps: int,
             **kwargs) -> dict[tuple[str, float], Run]:
    """One :class:`Run` per (layer-set label, style weight); ``kwargs`` go to :func:`run_one`."""
    return {(label, w): run_one(content_img, style_img, style_weight=w, steps=steps,
                                style_layers=tuple(layers), **kwargs)
            for label, layers in layer_sets.items() for w in style_weights}


def tile_title(run: Run) -> str:
    """``style weight``, the paper's alpha/beta and the measured losses, on two lines."""
    ab = "" if math.isinf(run.alpha_beta) else f" (α/β={run.alpha_beta:.0e})"
    return (f"β={run.style_weight:g}{ab}\n"
            f"L_c={run.content_loss:.3g}  L_s={run.style_loss:.3g}")


def _short(x: float) -> str:
    """Two significant digits, short: ``1.2e2``, ``0.012``, ``1.2e-5``."""
    text = f"{x:.2g}"
    if "e" in text:
        mant, exp = text.split("e")
        text = f"{mant}e{int(exp)}"
    return text


def grid_figure(runs: Mapping[tuple[str, float], Run], style_weights=None, labels=None,
                size: float = 2.4, suptitle: str | None = None, table: bool = True):
    """Gatys Fig. 3: rows = style-layer sets, columns = style weights (content weight 1).

    Readable from the back of a room (see :mod:`nst_course.plotting`): at most five
    columns, one-line column titles (``β = 10``), and the measured numbers in a small table
    under the pictures (the paper's α/β per column; content / style loss per tile).
    """
    import textwrap

    import matplotlib.pyplot as plt

    from .images import to_numpy
    from .plotting import FONT, MAX_COLUMNS, MAX_WIDTH, MIN_FONT

    labels = list(labels or dict.fromkeys(k[0] for k in runs))
    style_weights = list(style_weights or sorted({k[1] for k in runs}))
    if len(style_weights) > MAX_COLUMNS:
        raise ValueError(f"{len(style_weights)} style weights: show at most {MAX_COLUMNS} columns "
                         f"(pass style_weights=...)")
    ncols, nrows = len(style_weights), len(labels)
    first = next(iter(runs.values()))
    aspect = first.image.shape[-2] / first.image.shape[-1]
    left, gap, line = 0.6, 0.05, FONT * 1.4 / 72  # inches: row labels (two lines), gaps, a text line
    tile = min(size, (MAX_WIDTH - left - gap * ncols) / ncols)
    width = left + ncols * (tile + gap)
    tile_h = tile * aspect
    top = line + 0.1 + (line + 0.15) * bool(suptitle)
    table_h = (nrows + 2) * 0.3 if table else 0.0
    height = top + nrows * (tile_h + gap) + (table_h + 0.15 if table else 0.05)
    fig = plt.figure(figsize=(width, height))

    def box(x, y, w, h):  # inches from the top left -> figure fractions
        return [x / width, 1 - (y + h) / height, w / width, h / height]

    for i, label in enumerate(labels):
        for j, w in enumerate(style_weights):
            ax = fig.add_axes(box(left + j * (tile + gap), top + i * (tile_h + gap), tile, tile_h))
            ax.set_xticks([])
            ax.set_yticks([])
            run = runs.get((label, w))
            if run is not None:
                ax.imshow(to_numpy(run.image), aspect="auto")
            if i == 0:
                ax.set_title(f"β = {w:g}", fontsize=FONT)
            if j == 0:
                chars = max(8, int(tile_h * 72 / (0.6 * MIN_FONT)))
                ax.set_ylabel("\n".join(textwrap.wrap(label, chars, break_on_hyphens=False)
                                        if "…" not in label or len(label) <= chars
                                        else label.replace("…", "…\n", 1).splitlines()),
                              fontsize=MIN_FONT)
    if table:
        ax = fig.add_axes(box(0.05, height - table_h - 0.1, width - 0.1, table_h))
        ax.axis("off")

        def ratio(w):
            run = next((runs[lbl, w] for lbl in labels if (lbl, w) in runs), None)
            return "–" if run is None or math.isinf(run.alpha_beta) else _short(run.alpha_beta)

        def losses(label, w):
            run = runs.get((label, w))
            return "–" if run is None else f"{_short(run.content_loss)} / {_short(run.style_loss)}"

        cells = [["α/β (paper)"] + [ratio(w) for w in style_weights]]
        cells += [[lbl] + [losses(lbl, w) for w in style_weights] for lbl in labels]
        first_w = 0.24 if ncols > 2 else 0.4
        heads = ["L_content / L_style"] + [f"β = {w:g}" for w in style_weights]
        tab = ax.table(cellText=cells, colLabels=heads,
                       colWidths=[first_w] + [(1 - first_w) / ncols] * ncols, bbox=[0, 0, 1, 1],
                       cellLoc="center")
        tab.auto_set_font_size(False)
        tab.set_fontsize(MIN_FONT)
    if suptitle:
        fig.suptitle(suptitle, fontsize=FONT + 1, y=1 - 0.08 / height, va="top")
    return fig


def quadrant_runs(content_img: torch.Tensor, style_img: torch.Tensor, *, steps: int, seed: int = 0,
                  reuse: Mapping[str, Run] | None = None) -> dict[str, Run]:
    """The four images of the in-class problem, keyed by their :data:`QUADRANTS` description.

    Recipes (all measured with the same objective: conv4_2 content, five style layers):
    large & large: white noise after a few steps; small content & large style: style weight
    0.01 from the content image; small & small: style weight 10 from the content image;
    large content & small style: texture synthesis (content weight 0) from noise.
    ``reuse`` may supply already computed runs (same layers) by description.
    """
    recipes = {
        QUADRANTS["large", "large"]: dict(style_weight=10.0, init="noise", steps=max(2, steps // 25)),
        QUADRANTS["small", "large"]: dict(style_weight=0.01, steps=steps),
        QUADRANTS["small", "small"]: dict(style_weight=10.0, steps=steps),
        QUADRANTS["large", "small"]: dict(style_weight=1.0, content_weight=0.0, init="noise",
                                          steps=steps),
    }
    reuse = reuse or {}
    return {desc: reuse.get(desc) or run_one(content_img, style_img, seed=seed, **recipe)
            for desc, recipe in recipes.items()}


def classify_quadrants(runs: Mapping[str, Run]) -> dict[str, str]:
    """The quadrant each run is in by its measured losses: the two largest are "large"."""
    def sizes(key):
        ranked = sorted(runs, key=lambda d: getattr(runs[d], key))
        return {d: "small" if i < len(ranked) / 2 else "large" for i, d in enumerate(ranked)}

    c, s = sizes("content_loss"), sizes("style_loss")
    return {d: QUADRANTS[c[d], s[d]] for d in runs}


class WeightExplorer:
    """Sliders over precomputed runs: style weight and style-layer set; instant, no optimisation.

    Args:
        runs: ``{(layer-set label, style weight): Run}`` (e.g. from :func:`run_grid`).
        width: display width of the image in pixels.

    ``explorer.widget`` is the ipywidgets box; ``explorer.select(weight, label)`` sets the
    sliders from code (and returns the :class:`Run` shown); ``explorer.current`` is that run.
    """

    def __init__(self, runs: Mapping[tuple[str, float], Run], width: int = 320):
        import ipywidgets as widgets

        if not runs:
            raise ValueError("WeightExplorer needs at least one run")
        self.runs = dict(runs)
        self.labels = list(dict.fromkeys(k[0] for k in self.runs))
        self.weights = sorted({k[1] for k in self.runs})
        # once, up front
        self._pngs = {k: png_bytes(r.image, width, smooth=True) for k, r in self.runs.items()}
        self.weight_slider = widgets.SelectionSlider(
            options=[(f"{w:g}", w) for w in self.weights], value=self.weights[len(self.weights) // 2],
            description="style weight β", continuous_update=True,
            style={"description_width": "initial"}, layout=widgets.Layout(width="420px"))
        self.layer_buttons = widgets.ToggleButtons(options=self.labels, value=self.labels[-1],
                                                   description="style layers")
        self.image = widgets.Image(format="png", width=width)
        self.info = widgets.HTML()
        self.weight_slider.observe(self._update, names="value")
        self.layer_buttons.observe(self._on_layers, names="value")
        self.widget = widgets.VBox([self.weight_slider, self.layer_buttons, self.image, self.info])
        self._on_layers()

    @property
    def current(self) -> Run | None:
        return self.runs.get((self.layer_buttons.value, self.weight_slider.value))

    def select(self, style_weight: float | None = None, label: str | None = None) -> Run | None:
        """Move the sliders (as a user would) and return the run now shown."""
        if label is not None:
            self.layer_buttons.value = label
        if style_weight is not None:
            if (self.layer_buttons.value, style_weight) not in self.runs:
                computed = sorted(w for (lbl, w) in self.runs if lbl == self.layer_buttons.value)
                raise ValueError(f"style weight {style_weight:g} was not computed for "
                                 f"{self.layer_buttons.value}; computed: {computed}")
            self.weight_slider.value = style_weight
        return self.current

    def _on_layers(self, change=None) -> None:
        """Offer only the weights computed for this layer set; keep the nearest one."""
        label = self.layer_buttons.value
        available = [w for w in self.weights if (label, w) in self.runs]
        current = self.weight_slider.value
        nearest = min(available, key=lambda w: abs(math.log(w / current)) if w > 0 < current
                      else abs(w - current))
        self._updating = True
        try:
            self.weight_slider.options = [(f"{w:g}", w) for w in available]
            self.weight_slider.value = nearest
        finally:
            self._updating = False
        self._update()

    def _update(self, change=None) -> None:
        if getattr(self, "_updating", False):
            return
        key = (self.layer_buttons.value, self.weight_slider.value)
        run = self.runs.get(key)
        if run is None:
            self.info.value = f"<b>not computed</b>: style weight {key[1]:g} with {key[0]}"
            return
        self.image.value = self._pngs[key]
        ab = "" if math.isinf(run.alpha_beta) else f" &nbsp; (paper's α/β = {run.alpha_beta:.1e})"
        self.info.value = (f"content weight {run.content_weight:g}, style weight "
                           f"{run.style_weight:g}{ab}<br>measured: content loss "
                           f"<b>{run.content_loss:.4g}</b>, style loss <b>{run.style_loss:.4g}</b>"
                           f", total {run.total_loss:.4g} ({run.steps} steps)")

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        return (f"WeightExplorer({len(self.weights)} style weights x {len(self.labels)} "
                f"layer sets, {len(self.runs)} runs)")
