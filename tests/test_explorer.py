"""Explorer, grid and the in-class quadrant images of lesson 04."""

import math

import pytest
import torch

from nst_course.explorer import (
    QUADRANTS,
    Run,
    WeightExplorer,
    alpha_beta,
    classify_quadrants,
    grid_figure,
    quadrant_runs,
    tile_title,
)


def fake_run(weight, label_layers=("conv1_1",), value=0.5, content=1.0, style=2.0):
    img = torch.full((1, 3, 8, 12), value)
    return Run(img, weight, 1.0, label_layers, content, style, content + weight * style,
               1e-4 / weight, 10, "content", 0.1)


@pytest.fixture
def runs():
    out = {}
    for i, label in enumerate(["A", "B"]):
        for j, w in enumerate([0.1, 1.0, 10.0]):
            out[label, w] = fake_run(w, value=(3 * i + j) / 10, content=i + j + 0.5, style=10.0 - j)
    return out


def test_sliders_show_the_precomputed_run(runs):
    ex = WeightExplorer(runs, width=48)
    assert repr(ex) == "WeightExplorer(3 style weights x 2 layer sets, 6 runs)"
    seen = set()
    for (label, w), run in runs.items():
        ex.layer_buttons.value = label  # as a user clicking: observers fire
        ex.weight_slider.value = w
        assert ex.current is run
        assert f"{run.content_loss:.4g}" in ex.info.value and f"{w:g}" in ex.info.value
        seen.add(bytes(ex.image.value))
    assert len(seen) == 6  # every combination shows its own picture
    assert ex.select(0.1, "A") is runs["A", 0.1]


def test_slider_offers_only_computed_weights(runs):
    del runs["B", 10.0]
    ex = WeightExplorer(runs, width=48)
    ex.select(10.0, "A")
    ex.layer_buttons.value = "B"  # 10 is not there: the nearest computed weight is shown
    assert [w for _, w in ex.weight_slider.options] == [0.1, 1.0]
    assert ex.current is runs["B", 1.0] and f"{1.0:g}" in ex.info.value
    with pytest.raises(ValueError, match="not computed"):
        ex.select(10.0, "B")
    ex.layer_buttons.value = "A"
    assert [w for _, w in ex.weight_slider.options] == [0.1, 1.0, 10.0]
    with pytest.raises(ValueError):
        WeightExplorer({})


def test_grid_titles_tell_the_truth(runs):
    fig = grid_figure(runs)  # column titles name the weights; the measured losses sit in a table
    titles = [ax.get_title() for ax in fig.axes if ax.images]
    assert titles == ["β = 0.1", "β = 1", "β = 10", "", "", ""]
    cells = [c.get_text().get_text() for ax in fig.axes for t in ax.tables for c in t.get_celld().values()]
    assert "2.5 / 8" in cells and "β = 10" in cells  # run ("A", 10.0): content 2.5, style 8
    assert "β=10" in tile_title(runs["A", 10.0]) and "L_s=8" in tile_title(runs["A", 10.0])


def test_alpha_beta_matches_the_paper_convention():
    img = torch.zeros(1, 3, 64, 64)
    # conv4_2 of 64x64 is 512 x 8 x 8; alpha = 2 * content_weight / (C*H*W)
    assert alpha_beta(img, 1.0, 10.0) == pytest.approx(2 / (512 * 64) / 10)
    assert math.isinf(alpha_beta(img, 1.0, 0.0))
    # pooling floors: a 70 px side is 8 px at conv4_2, not ceil(70/8) = 9 (which was ~20 % off)
    odd = torch.zeros(1, 3, 70, 70)
    assert alpha_beta(odd, 1.0, 10.0) == pytest.approx(2 / (512 * 8 * 8) / 10)


def test_classify_quadrants_ranks_by_measured_losses():
    runs = {desc: fake_run(1.0, content=c, style=s)
            for desc, (c, s) in zip(QUADRANTS.values(), [(9, 9), (1, 8), (2, 1), (8, 2)])}
    assert classify_quadrants(runs) == {d: d for d in runs}
    swapped = dict(zip(list(runs)[::-1], runs.values()))
    assert classify_quadrants(swapped) != {d: d for d in swapped}


def test_quadrant_images_really_are_in_their_quadrants():
    """The four in-class images, generated for real (lesson 04's pair, its fast-mode size and
    step count): the measured losses put each in the quadrant it claims."""
    from nst_course import load_image

    runs = quadrant_runs(load_image("chelsea", 48), load_image("swirls", 48), steps=16)
    assert set(runs) == set(QUADRANTS.values())
    assert classify_quadrants(runs) == {d: d for d in runs}, runs
