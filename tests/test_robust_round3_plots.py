"""Issue 26, round 3: loss curves told apart without colour, the log axis readable, alt text clean."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

from nst_course.plotting import (  # noqa: E402
    describe_figure,
    plot_history,
    show_feature_maps,
    show_gram,
    show_images,
)

HISTORY = [dict(step=i, content_loss=0.0 if i == 0 else 9e-4 * i, style_loss=100 / (i + 1),
                total_loss=100 / (i + 1) + 9e-4 * i) for i in range(40)]


def test_curves_differ_in_line_style_and_marker_and_are_labelled_directly():
    ax = plot_history(HISTORY)
    styles = {(ln.get_linestyle(), ln.get_marker()) for ln in ax.lines}
    assert len(styles) == len(ax.lines) == 3
    direct = {t.get_text() for t in ax.texts}
    assert {"content loss", "style loss", "total loss"} <= direct
    plt.close(ax.figure)


def test_zero_tick_does_not_sit_on_the_lowest_decade():
    ax = plot_history(HISTORY)
    fig = ax.figure
    fig.canvas.draw()
    ticks = sorted(ax.get_yticks())
    assert ticks[0] == 0
    y0, y1 = (ax.transData.transform((0, t))[1] for t in ticks[:2])
    assert y1 - y0 > 20  # pixels between "0" and "10^-4": the labels do not overlap
    plt.close(fig)


def test_feature_map_alt_text_says_channels_once():
    fig = show_feature_maps(torch.rand(1, 8, 6, 6), n=4, title="conv1_1: the 4 most active channels")
    alt = describe_figure(fig)
    assert "channels channels" not in alt and "channels" in alt
    plt.close(fig)


def test_alt_text_says_what_the_picture_shows_not_only_its_titles():
    """Round 3: "4 images | A | B | C | D" and "the photo" repeated the titles; a reader who cannot
    see the figure learns what kind of picture it is, how many and how they are laid out."""
    rgb = torch.rand(1, 3, 24, 32)
    alt = describe_figure(show_images([rgb] * 4, list("ABCD")))
    assert alt == "four colour pictures side by side, with the titles 'A'; 'B'; 'C'; 'D'"
    alt = describe_figure(show_images([rgb], ["the photo"]))
    assert alt == "one colour picture (32x24 px), titled 'the photo'"
    alt = describe_figure(show_images([rgb] * 6, list("ABCDEF"), ncols=3))
    assert alt.startswith("six colour pictures in two rows of three")
    maps = show_feature_maps(torch.rand(1, 8, 6, 6), n=4, title="conv1_1: the 4 most active channels")
    alt = describe_figure(maps)
    assert alt.endswith(": four heat maps side by side") and alt.count("channels") == 1
    alt = describe_figure(show_gram(torch.rand(8, 8), title="Gram of conv1_1").figure)
    assert alt == "one heat map (8x8 px), channel i down and channel j across, titled 'Gram of conv1_1'"
    alt = describe_figure(plot_history(HISTORY).figure)
    assert alt.startswith("a line plot of loss (log scale) against step with three curves: content loss")
    plt.close("all")
