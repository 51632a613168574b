"""Figures for the lessons, readable from the back of a room, each built on :func:`show_images`.

``show_images`` underlies feature-map grids, reconstruction galleries and the
alpha/beta grid; :class:`LivePreview` updates one output in place during a run.

Classroom rules every helper keeps (:func:`readability_problems` checks a figure):
at most :data:`MAX_WIDTH` inches wide (shown at 100 dpi it fits a page or a slide
without being scaled down), text at least :data:`MIN_FONT` pt, at most
:data:`MAX_COLUMNS` titled columns, one tile shape per grid (other shapes are
letterboxed), and no two texts overlapping.
"""

from __future__ import annotations

import base64
import html
import math
import re
import textwrap
from collections import Counter

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import torch

from .images import png_bytes, to_numpy

MAX_WIDTH = 9.0    # inches: 900 px at the inline backend's 100 dpi, a page column or a slide
MIN_FONT = 11.0    # pt at that size
MAX_COLUMNS = 5    # titled tiles per row
FONT = 12.0        # the lessons' base font size (matplotlib's default is 10)

mpl.rcParams.update({"font.size": FONT, "axes.titlesize": FONT, "axes.labelsize": FONT,
                     "xtick.labelsize": MIN_FONT, "ytick.labelsize": MIN_FONT,
                     "legend.fontsize": MIN_FONT, "figure.titlesize": FONT + 1})


def _as_array(img):
    if isinstance(img, torch.Tensor):
        if img.dim() == 2 or (img.dim() == 3 and img.shape[0] == 1):
            return img.detach().float().cpu().reshape(img.shape[-2:]).numpy()
        return to_numpy(img)
    return np.asarray(img)


def _wrap(title: str, width_in: float, fontsize: float = FONT) -> str:
    """Wrap a title to the width of its tile (about 0.62 em per character)."""
    chars = max(8, int(width_in * 72 / (0.62 * fontsize)))
    return "\n".join(textwrap.fill(line, chars) for line in str(title).splitlines())


def _letterbox(ax, arr, aspect: float) -> None:
    """Show ``arr`` centred in a tile of height/width ``aspect`` (white margins), same for all."""
    h, w = arr.shape[:2]
    if h / w > aspect:  # taller than the tile: margins left and right
        half = h / aspect / 2
        ax.set_xlim(w / 2 - half, w / 2 + half)
        ax.set_ylim(h - 0.5, -0.5)
    else:
        half = w * aspect / 2
        ax.set_xlim(-0.5, w - 0.5)
        ax.set_ylim(h / 2 + half, h / 2 - half)


def show_images(images, titles=None, ncols: int | None = None, size: float = 3.0,
                suptitle: str | None = None, cmap: str = "viridis", axes_off: bool = True):
    """Show a list of images in a grid and return the figure.

    Args:
        images: tensors ``(1, 3, H, W)``/``(3, H, W)`` in [0, 1], single-channel
            maps ``(H, W)``, PIL images or arrays.
        titles: one string per image (or None); long titles wrap to the tile.
        ncols: columns (default: all in one row, at most :data:`MAX_COLUMNS`; more rows after).
        size: inches per tile at most; the figure is never wider than :data:`MAX_WIDTH`.

    Every tile has the shape of the most common image shape; other images are letterboxed.
    """
    images = [_as_array(img) for img in images]
    n = len(images)
    limit = MAX_COLUMNS if titles is not None else 2 * MAX_COLUMNS
    ncols = max(1, min(ncols or n, limit, n))
    nrows = math.ceil(n / ncols)
    aspect = Counter(round(a.shape[0] / a.shape[1], 2) for a in images).most_common(1)[0][0]
    tile = min(size, MAX_WIDTH / ncols)
    lines = max((len(_wrap(t, tile).splitlines()) for t in titles or [] if t), default=0)
    row_h = tile * aspect + lines * FONT * 1.35 / 72 + 0.1
    fig, axes = plt.subplots(nrows, ncols, squeeze=False,
                             figsize=(tile * ncols, row_h * nrows + 0.45 * bool(suptitle)))
    for k, ax in enumerate(axes.flat):
        if k < n:
            arr = images[k]
            ax.imshow(arr, cmap=cmap if arr.ndim == 2 else None)
            _letterbox(ax, arr, aspect)
            if titles is not None and titles[k] is not None:
                ax.set_title(_wrap(titles[k], tile), fontsize=FONT)
        if axes_off or k >= n:
            ax.axis("off")
    if suptitle:
        fig.suptitle(suptitle, fontsize=FONT + 1)
    fig.tight_layout(pad=0.3)
    return fig


def show_feature_maps(features: torch.Tensor, n: int = 16, ncols: int = 8, size: float = 1.4,
                      title: str | None = None, channels=None):
    """Grid of ``n`` channels of one feature map ``(1, C, H, W)``, each scaled to its own range.

    By default the ``n`` most active channels (largest mean) are shown. The tiles carry no
    titles (the channel numbers, in order, go under the title) so up to 10 fit in a row.
    """
    f = features.detach().float().cpu()[0]
    if channels is None:
        channels = f.mean(dim=(1, 2)).argsort(descending=True)[:n].tolist()
    maps = []
    for c in channels:
        m = f[c]
        maps.append(((m - m.min()) / (m.max() - m.min() + 1e-8)).numpy())
    said = bool(title) and title.rstrip().lower().endswith("channels")  # no "channels channels"
    listed = ("" if said else "channels ") + ", ".join(str(c) for c in channels[:12]) \
        + (" …" if len(channels) > 12 else "")
    head = f"{title}\n{listed}" if title else listed
    return show_images(maps, None, ncols=ncols, size=size, suptitle=_wrap(head, MAX_WIDTH, FONT + 1),
                       cmap="magma")


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


#: each curve of :func:`plot_history` differs in line style and marker, not only in colour
_LINE_STYLES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1, 1, 1)))
_MARKERS = ("o", "s", "^", "D", "v")


_END_LABEL = "nst-end-label"  # the gid of plot_history's direct labels


def plot_history(history, keys=("content_loss", "style_loss", "total_loss"), x: str = "step",
                 ax=None, log: bool = True, label_prefix: str = ""):
    """Loss curves from a :class:`~nst_course.optimize.Result` history (log scale).

    Each curve is named by a label at its end (no legend to match by colour); the labels of
    every call on the same ``ax`` (several runs on one plot) are moved apart so none overlaps.

    A loss that is 0 somewhere (the content loss of a run that starts from the content
    image) stays visible: the axis is then logarithmic above the smallest positive value
    and linear below it, down to 0.
    """
    if isinstance(history, str | bytes) or not hasattr(history, "__iter__"):
        raise TypeError(f"history is a list of step records (a Result's .history), not "
                        f"{type(history).__name__}.")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))

    def get(rec, key):
        return rec.get(key) if isinstance(rec, dict) else getattr(rec, key, None)

    xs = [get(rec, x) for rec in history]
    positive, zero = [], False
    for key in keys:
        ys = [get(rec, key) for rec in history]
        if all(y is None for y in ys):
            continue
        ys = [np.nan if y is None else float(y) for y in ys]
        label = f"{label_prefix}{key.replace('_', ' ')}"
        if not any(y for y in ys if not math.isnan(y)):
            label += " (0 throughout)"
        k = len(ax.lines)  # curves already on these axes (several runs share one plot)
        style, marker = _LINE_STYLES[k % len(_LINE_STYLES)], _MARKERS[k % len(_MARKERS)]
        (line,) = ax.plot(xs, ys, label=label, linestyle=style, marker=marker,
                          markevery=max(1, len(xs) // 8), markersize=4)
        last = next(((xv, yv) for xv, yv in zip(reversed(xs), reversed(ys))
                     if xv is not None and not math.isnan(yv)), None)
        if last is not None:  # a direct label at the line's end: colour is not needed to tell them apart
            ax.annotate(label, last, xytext=(4, 0), textcoords="offset points", va="center",
                        fontsize=FONT, color=line.get_color(), gid=_END_LABEL)
        positive += [y for y in ys if y > 0]
        zero = zero or any(y <= 0 for y in ys)
    if log:
        if zero and positive:  # the linear part (0 up to the smallest value) gets room for its labels
            lo, hi = math.floor(math.log10(min(positive))), math.ceil(math.log10(max(positive)))
            # the linear part ends at the decade 10^lo, so its label sits a full band above "0"
            ax.set_yscale("symlog", linthresh=10.0 ** lo, linscale=max(1.0, (hi - lo) / 6))
            step = max(1, math.ceil((hi - lo) / 5))  # at most about six labelled ticks
            ticks = [0] + [10.0 ** e for e in range(lo, hi + 1, step)]
            ax.yaxis.set_major_locator(mpl.ticker.FixedLocator(ticks))
            ax.yaxis.set_minor_locator(mpl.ticker.NullLocator())
            ax.yaxis.set_major_formatter(mpl.ticker.FuncFormatter(
                lambda v, _: "0" if v == 0 else f"$10^{{{round(math.log10(v))}}}$"))
            ax.set_ylim(bottom=0)
        elif positive:
            ax.set_yscale("log")
    ax.get_ylim()  # the limits as drawn (autoscaling is lazy), before labels are placed by them
    _spread(ax, [t for t in ax.texts if t.get_gid() == _END_LABEL])  # every run's labels on these axes
    ax.set_xlabel("seconds" if x == "seconds" else "step")
    ax.set_ylabel("loss")
    return ax


def _spread(ax, labels, gap: float = FONT + 1.0) -> None:
    """Move direct labels apart vertically (at least ``gap`` points) where their curves end close."""
    if len(labels) < 2:
        return
    to_points = 72.0 / ax.figure.dpi
    ys = [ax.transData.transform(a.xy)[1] * to_points for a in labels]
    placed = []
    for y, a in sorted(zip(ys, labels), key=lambda p: p[0]):
        target = max(y, placed[-1] + gap) if placed else y
        placed.append(target)
        a.set_position((4, target - y))


def _texts(fig):
    """The texts ``fig`` draws: titles, labels, tick labels, legends, annotations, tables."""
    texts = [getattr(fig, "_suptitle", None), *fig.texts]
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        texts += [ax.title, ax._left_title, ax._right_title, *ax.texts]
        if ax.axison:
            texts += [ax.xaxis.label, ax.yaxis.label]
            for axis in (ax.xaxis, ax.yaxis):
                lo, hi = sorted(axis.get_view_interval())
                texts += [t for tick, t in zip(axis.get_majorticklocs(), axis.get_majorticklabels())
                          if lo - 1e-9 <= tick <= hi + 1e-9]
        if ax.get_legend() is not None:
            texts += list(ax.get_legend().get_texts())
        for table in ax.tables:
            texts += [cell.get_text() for cell in table.get_celld().values()]
    unique = {id(t): t for t in texts if t is not None and t.get_visible() and t.get_text().strip()}
    return list(unique.values())


def _text_boxes(fig):
    """(text, bbox in display pixels, fontsize) of every text ``fig`` draws."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    return [(t.get_text(), t.get_window_extent(renderer), t.get_fontsize()) for t in _texts(fig)]


def readability_problems(fig, max_width: float = MAX_WIDTH, min_font: float = MIN_FONT) -> list[str]:
    """What keeps ``fig`` from being read from the back of a room (empty list: nothing).

    Checks the rules of this module: width, font sizes, overlapping texts.
    """
    problems = []
    width = fig.get_figwidth()
    if width > max_width + 1e-6:
        problems.append(f"{width:.1f} in wide (at most {max_width:g}: it would be scaled down)")
    boxes = _text_boxes(fig)
    for text, _, size in boxes:
        if size < min_font - 1e-6:
            problems.append(f"text {text[:30]!r} is {size:g} pt (at least {min_font:g})")
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            a, b = boxes[i][1], boxes[j][1]
            if a.overlaps(b) and min(a.width, a.height, b.width, b.height) > 0:
                inter_w = min(a.x1, b.x1) - max(a.x0, b.x0)
                inter_h = min(a.y1, b.y1) - max(a.y0, b.y0)
                if inter_w > 2 and inter_h > 2:
                    problems.append(f"texts {boxes[i][0][:20]!r} and {boxes[j][0][:20]!r} overlap")
    return problems


_NUMBER_WORDS = "no one two three four five six seven eight nine ten eleven twelve".split()


def _count(n: int, noun: str) -> str:
    """``"four pictures"``, ``"one curve"``, ``"15 pictures"``."""
    return f"{_NUMBER_WORDS[n] if n < len(_NUMBER_WORDS) else n} {noun}{'' if n == 1 else 's'}"


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _picture_kind(ax) -> str:
    """What an axes with an image shows: a colour picture, a greyscale one, or a heat map."""
    im = ax.images[0]
    arr = np.asarray(im.get_array())
    if arr.ndim == 3:
        return "colour picture" if arr.shape[-1] >= 3 else "greyscale picture"
    return "greyscale picture" if im.get_cmap().name in ("gray", "Greys", "grey", "binary") else "heat map"


def _pictures(axes) -> str:
    """``axes`` that each show one image: how many, of what kind, how laid out, their titles."""
    kinds = Counter(_picture_kind(ax) for ax in axes)
    kind = kinds.most_common(1)[0][0] if len(kinds) == 1 else "picture"
    spans = [ax.get_subplotspec() for ax in axes]
    if all(sp is not None for sp in spans):
        rows, cols = len({sp.rowspan.start for sp in spans}), len({sp.colspan.start for sp in spans})
    else:  # axes placed by hand (explorer.grid_figure): rows and columns from where they sit
        boxes = [ax.get_position() for ax in axes]
        rows, cols = len({round(b.y0, 2) for b in boxes}), len({round(b.x0, 2) for b in boxes})
    n = len(axes)
    what = _count(n, kind)
    if n == 1:
        arr = np.asarray(axes[0].images[0].get_array())
        what += f" ({arr.shape[1]}x{arr.shape[0]} px)" if arr.ndim >= 2 else ""
        xl, yl = _one_line(axes[0].get_xlabel()), _one_line(axes[0].get_ylabel())
        if xl and yl and axes[0].axison:
            what += f", {yl} down and {xl} across"
    elif rows == 1:
        what += " side by side"
    elif cols == 1:
        what += " one above the other"
    else:
        what += f" in {_count(rows, 'row')} of {_NUMBER_WORDS[cols] if cols < len(_NUMBER_WORDS) else cols}"
    titles = list(dict.fromkeys(t for t in (_one_line(ax.get_title()) for ax in axes) if t))
    if titles:
        what += (", titled " if n == 1 else ", with the titles ") + "; ".join(f"'{t}'" for t in titles)
    row_labels = list(dict.fromkeys(t for t in (_one_line(ax.get_ylabel()) for ax in axes) if t))
    if row_labels and rows > 1:
        what += "; the rows: " + "; ".join(f"'{t}'" for t in row_labels)
    return what


def _plot(ax) -> str:
    """One axes of lines, bars or points: the kind of chart, its axes and its curves."""
    lines = [ln for ln in ax.lines if ln.get_visible()]
    kind = "line plot" if lines else "bar chart" if ax.patches else "scatter plot"
    title = _one_line(ax.get_title())
    what = f"a {kind}" + (f" '{title}'" if title else "")
    xl, yl = _one_line(ax.get_xlabel()), _one_line(ax.get_ylabel())
    if xl or yl:
        scale = " (log scale)" if ax.get_yscale() in ("log", "symlog") else ""
        what += f" of {yl or 'values'}{scale} against {xl or 'x'}"
    legend = ax.get_legend()
    labels = ([t.get_text() for t in legend.get_texts()] if legend is not None
              else [ln.get_label() for ln in lines if not ln.get_label().startswith("_")])
    if labels:
        what += f" with {_count(len(labels), 'curve' if lines else 'series')}: " + ", ".join(labels)
    return what


def describe_figure(fig) -> str:
    """Alt text for ``fig``: what it shows (how many pictures or heat maps, side by side or in a
    grid, colour or greyscale; line plots with their axes and curves), then the texts it carries
    (suptitle first, the tiles' titles, row labels, curve names), each said once.

    E.g. ``"two colour pictures side by side, with the titles 'content: chelsea'; 'style: swirls'"``.
    """
    visible = [ax for ax in fig.axes if ax.get_visible() and not hasattr(ax, "_colorbar")]
    with_images = [ax for ax in visible if ax.images]
    plots = [ax for ax in visible if not ax.images and (ax.lines or ax.collections or ax.patches)]
    parts = []
    if with_images:
        parts.append(_pictures(with_images))
    parts += [_plot(ax) for ax in plots]
    for ax in visible:
        for tab in ax.tables:
            cells = tab.get_celld()
            heads = [_one_line(cells[0, j].get_text().get_text())
                     for j in sorted({j for _, j in cells}) if (0, j) in cells]
            rows = len({i for i, _ in cells}) - 1
            parts.append(f"a table of {_count(rows, 'row')} with the columns "
                         + "; ".join(f"'{h}'" for h in heads))
    sup = getattr(fig, "_suptitle", None)
    head = _one_line(sup.get_text()) if sup is not None else ""
    text = "; ".join(parts)
    if head:
        text = f"{head}: {text}" if text else head
    text = re.sub(r"\b(\w+)(?: \1\b)+", r"\1", text)  # a title's last word repeated by the next line
    return text[:600]


def describe_figures() -> None:
    """In an IPython kernel: give every matplotlib figure shown alt text from its titles.

    The PNG of each figure carries ``{"alt": describe_figure(fig)}`` and the problems of
    :func:`readability_problems` (``"nst_readability"``) in its output metadata; the site
    and slides builder (tools/build_site.py) turns them into ``<img alt=...>`` and warnings.
    """
    from IPython import get_ipython
    from matplotlib.figure import Figure

    shell = get_ipython()
    if shell is None:
        return
    import matplotlib_inline.backend_inline  # noqa: F401 - registers the inline PNG formatter

    png = shell.display_formatter.formatters["image/png"]
    try:
        plain = png.lookup_by_type(Figure)
    except KeyError:
        return
    if getattr(plain, "_nst_described", False):
        return

    def described(fig):
        data = plain(fig)
        meta = {"alt": describe_figure(fig)}
        try:
            problems = readability_problems(fig)
        except Exception:  # noqa: BLE001 - a check must never break a figure
            problems = []
        if problems:
            meta["nst_readability"] = problems
        return data, meta

    described._nst_described = True
    png.for_type(Figure, described)


class LivePreview:
    """Show the image being optimised, updated in place (one display handle, no flicker).

    Use as the ``callback`` of :func:`~nst_course.stylize`::

        preview = LivePreview(width=256)
        result = stylize(content_img, style_img, callback=preview, callback_every=10)

    The picture is shown at least ``min_width`` (256) pixels wide on screen, however small
    the image (pixels stay sharp), with the step and the loss as a caption under it.
    """

    min_width = 256

    def __init__(self, width: int = 256):
        self.width = width
        self.handle = None

    def html(self, record, image) -> str:
        """The preview as HTML: the picture (PNG inline) and its caption."""
        png = png_bytes(image)
        shown = max(self.width, self.min_width)
        pixelated = "image-rendering:pixelated;" if shown > image.shape[-1] else ""
        caption = (f"step {record.step}: total loss {record.total_loss:.4g}, "
                   f"{record.seconds:.1f} s")
        alt = f"the image being optimised, {caption}"
        return (f"<figure style='margin:0'><img src='data:image/png;base64,"
                f"{base64.b64encode(png).decode()}' alt='{html.escape(alt, quote=True)}' "
                f"style='width:{shown}px;max-width:100%;height:auto;{pixelated}'>"
                f"<figcaption>{html.escape(caption)}</figcaption></figure>")

    def __call__(self, record, image) -> None:
        from IPython.display import HTML, display

        page = HTML(self.html(record, image))
        if self.handle is None:
            self.handle = display(page, display_id=True)
        else:
            self.handle.update(page)
