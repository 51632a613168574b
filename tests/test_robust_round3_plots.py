"""Issue 26, round 3: loss curves told apart without colour, the log axis readable, alt text clean."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

from nst_course.plotting import describe_figure, plot_history, show_feature_maps  # noqa: E402

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
