"""Figures readable from the back of a room; loss curves that keep a zero; the live preview."""

import math
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from nst_course.explorer import LAYER_SETS, Run, grid_figure  # noqa: E402
from nst_course.plotting import (  # noqa: E402
    MAX_COLUMNS,
    LivePreview,
    describe_figure,
    plot_history,
    readability_problems,
    show_feature_maps,
    show_images,
)


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _img(h=48, w=64, seed=0):
    return torch.rand(1, 3, h, w, generator=torch.Generator().manual_seed(seed))


def _run(w, layers, k):
    return Run(_img(seed=k), w, 1.0, layers, 1234.5 * k + 1, 0.0123 / w, 1e-4 / w, 1e-4 / w, 10,
               "content", 0.1)


@pytest.fixture
def runs():
    weights = [0.1, 1.0, 10.0, 100.0, 1000.0]
    return {(lbl, w): _run(w, lbl, 3 * i + j)
            for i, lbl in enumerate(LAYER_SETS) for j, w in enumerate(weights)}


def test_the_alpha_beta_grid_is_readable_and_has_its_numbers_in_a_table(runs):
    fig = grid_figure(runs, suptitle="more style →   (content weight 1, style weight β)")
    assert readability_problems(fig) == []
    images = [ax for ax in fig.axes if ax.images]
    assert len(images) == 15
    assert [ax.get_title() for ax in images[:5]] == ["β = 0.1", "β = 1", "β = 10", "β = 100", "β = 1000"]
    assert all("\n" not in ax.get_title() for ax in images), "one-line tile titles"
    shapes = {tuple(round(v, 3) for v in ax.get_position().size) for ax in images}
    assert len(shapes) == 1, "one tile shape"
    (table,) = [t for ax in fig.axes for t in ax.tables]
    cells = {(r, c): cell.get_text().get_text() for (r, c), cell in table.get_celld().items()}
    run = runs["conv1_1…conv5_1", 10.0]
    assert run.content_loss == 9877.0 and cells[4, 3] == "9.9e3 / 0.0012"  # row 4: conv1_1…conv5_1
    assert cells[1, 0] == "α/β (paper)" and cells[1, 1] == "0.001"


def test_the_grid_refuses_more_than_five_columns(runs):
    more = {("conv1_1", w): _run(w, "conv1_1", k) for k, w in enumerate([0.1, 1, 2, 3, 4, 5])}
    with pytest.raises(ValueError, match="at most 5 columns"):
        grid_figure(more)


def test_show_images_wraps_rows_caps_width_and_letterboxes_other_shapes():
    images = [_img(seed=k) for k in range(6)] + [_img(64, 64)]
    titles = ["style: swirls"] + [f"γ = {g}: a title that is long enough to wrap"
                                  for g in (0.1, 0.2, 1, 5, 10, 20)]
    fig = show_images(images, titles, size=3)
    assert readability_problems(fig) == []
    axes = [ax for ax in fig.axes if ax.images]
    assert len({round(ax.get_position().x0, 3) for ax in axes}) == MAX_COLUMNS
    assert len({tuple(round(v, 3) for v in ax.get_position().size) for ax in axes}) == 1
    square = axes[-1]
    (x0, x1), (y0, y1) = square.get_xlim(), square.get_ylim()
    width, height = abs(x1 - x0), abs(y0 - y1)
    assert height / width == pytest.approx(48 / 64, rel=0.02), "the square image sits in a landscape tile"


def test_feature_map_grid_is_readable():
    fig = show_feature_maps(torch.rand(1, 64, 16, 16), n=16, title="conv1_1: 16 of 64 channels, 16x16")
    assert readability_problems(fig) == []
    assert "channels" in fig._suptitle.get_text()


def test_readability_problems_flags_small_text_wide_figures_and_overlaps():
    fig, ax = plt.subplots(figsize=(13, 3))
    ax.set_title("tiny", fontsize=8)
    ax.text(0.5, 0.5, "here", fontsize=12)
    ax.text(0.5, 0.5, "here too", fontsize=12)
    problems = " | ".join(readability_problems(fig))
    assert "13.0 in wide" in problems and "'tiny' is 8 pt" in problems and "overlap" in problems


def test_loss_curve_keeps_a_content_loss_that_starts_at_zero():
    hist = [dict(step=k, content_loss=0.0 if k == 0 else 10.0 / k, style_loss=100 / (k + 1),
                 total_loss=100 / (k + 1) + 1) for k in range(20)]
    ax = plot_history(hist)
    assert ax.get_yscale() == "symlog" and ax.get_ylim()[0] == 0
    content = ax.get_lines()[0]
    # the first point (0 at step 0) is drawn inside the axes, not dropped as on a log axis
    y0 = ax.transData.transform((0, content.get_ydata()[0]))[1]
    bottom, top = ax.transAxes.transform((0, 0))[1], ax.transAxes.transform((0, 1))[1]
    assert bottom - 1 <= y0 <= top and math.isfinite(y0)
    assert readability_problems(ax.figure) == []
    wide = [dict(step=k, content_loss=1e-8 * k, style_loss=1e7 / (k + 1)) for k in range(30)]
    ax = plot_history(wide, keys=("content_loss", "style_loss"))
    assert readability_problems(ax.figure) == [], "15 decades and a zero: labels must not crowd"
    positive = plot_history([dict(step=k, content_loss=1 / (k + 1)) for k in range(5)],
                            keys=("content_loss",))
    assert positive.get_yscale() == "log"


def test_figures_describe_what_they_show_then_their_titles(runs):
    text = describe_figure(show_images([_img(), _img()], ["content: chelsea", "style: swirls"]))
    assert text == "two colour pictures side by side, with the titles 'content: chelsea'; 'style: swirls'"
    text = describe_figure(grid_figure(runs, suptitle="more style"))
    assert text.startswith("more style: 15 colour pictures in three rows of five, with the titles 'β = 0.1'")
    assert "the rows: 'conv1_1" in text
    hist = plot_history([dict(step=k, content_loss=1.0, style_loss=2.0, total_loss=3.0) for k in range(3)])
    assert describe_figure(hist.figure) == ("a line plot of loss (log scale) against step with three "
                                            "curves: content loss, style loss, total loss")


def test_live_preview_is_one_wide_figure_with_a_plain_caption(monkeypatch):
    shown = []

    class Handle:
        def update(self, obj):
            shown.append(obj)

    def display(obj, display_id=False):
        shown.append(obj)
        return Handle()

    monkeypatch.setattr("IPython.display.display", display)
    preview = LivePreview(width=64)
    rec = type("Rec", (), dict(step=10, total_loss=12.345678, seconds=1.25))()
    preview(rec, _img(32, 48))
    rec.step = 20
    preview(rec, _img(32, 48))
    assert len(shown) == 2, "one output, updated in place (no second display)"
    page = shown[-1]._repr_html_()
    assert "<figcaption>step 20: total loss 12.35, 1.2 s</figcaption>" in page or "1.3 s" in page
    assert "'step" not in page and '"step' not in page, "the caption is not a quoted Python string"
    assert re.search(r"width:(\d+)px", page) and int(re.search(r"width:(\d+)px", page)[1]) >= 256
    assert "pixelated" in page and 'alt="the image being optimised' in page.replace("'", '"')


def test_several_runs_on_one_axes_get_apart_end_labels_and_no_legend():
    """Lesson 05's L-BFGS vs Adam: two runs whose curves end close together, one call each."""
    ax = None
    for name, end in (("lbfgs", 4.6), ("adam", 5.0)):
        hist = [dict(step=k, total_loss=end + 20.0 / (k + 1)) for k in range(40)]
        ax = plot_history(hist, keys=("total_loss",), ax=ax, label_prefix=f"{name}: ")
    assert ax.get_legend() is None, "the end labels name the curves; a legend would repeat them"
    labels = [t for t in ax.texts if t.get_text().endswith("total loss")]
    assert [t.get_text() for t in labels] == ["lbfgs: total loss", "adam: total loss"]
    ax.figure.canvas.draw()
    a, b = (t.get_window_extent() for t in labels)
    assert not a.overlaps(b), "the second run's label lies on the first's"
    assert readability_problems(ax.figure) == []
