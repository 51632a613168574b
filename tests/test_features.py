"""Feature statistics and pictures of lesson 01."""

import torch

from nst_course import load_vgg
from nst_course.features import (
    SORT_LETTERS,
    format_stats,
    layer_sorting_exercise,
    layer_stats,
    pca_rgb,
    representation_images,
)


def test_layer_stats_against_hand_counts():
    f = torch.tensor([[0.0, 1.0], [0.0, 3.0]]).reshape(1, 1, 2, 2)
    g = torch.zeros(1, 2, 1, 1)
    rows = layer_stats({"conv1_1": f, "conv5_1": g})
    assert rows[0] == {"layer": "conv1_1", "C": 1, "H": 2, "W": 2, "values": 4, "sparsity": 0.5,
                       "mean": 1.0, "receptive_field": 3}
    assert rows[1]["sparsity"] == 1.0 and rows[1]["receptive_field"] == 156
    table = format_stats(rows)
    assert "conv5_1" in table and "50.0%" in table and "2 x 1 x 1" in table


def test_pca_rgb_recovers_a_two_region_layout():
    # left half one feature vector, right half another: the first component splits them
    f = torch.zeros(1, 8, 4, 6)
    f[0, :, :, :3] = torch.arange(8.0).reshape(8, 1, 1)
    f[0, :, :, 3:] = -torch.arange(8.0).reshape(8, 1, 1)
    rgb = pca_rgb(f, size=(8, 12))
    assert rgb.shape == (1, 3, 8, 12)
    assert rgb.min() >= 0 and rgb.max() <= 1
    red = rgb[0, 0]
    assert torch.allclose(red[:, :6], red[0, 0].expand(8, 6))  # constant within a region
    assert (red[:, :6].mean() - red[:, 6:].mean()).abs() > 0.9  # and opposite across them


def test_pca_rgb_with_fewer_than_three_channels():
    rgb = pca_rgb(torch.rand(1, 2, 5, 5))
    assert rgb.shape == (1, 3, 5, 5) and torch.all(rgb[0, 2] == 0)


def test_depth_makes_features_sparser_and_coarser(astronaut64):
    vgg = load_vgg()
    with torch.no_grad():
        feats = vgg(astronaut64, ["conv1_1", "conv5_1"])
    low, high = layer_stats(feats)
    assert high["sparsity"] > low["sparsity"]
    assert high["H"] == low["H"] // 16 and high["C"] == 8 * low["C"]
    reps = representation_images(vgg, astronaut64, ["conv1_1", "conv5_1"])
    assert all(r.shape == astronaut64.shape for r in reps.values())


def test_layer_sorting_exercise_matches_seed(astronaut64):
    ex = layer_sorting_exercise(load_vgg("random"), astronaut64)
    assert ex.labels == list("ETLSY") and ex.answer == "STYLE"
    assert [SORT_LETTERS[t] for t in ex.titles] == list("ETLSY")  # each image is its letter's layer
    assert ex.check("STYLE", quiet=True) and not ex.check("ETLSY", quiet=True)
    # conv1_1 (S) is at full resolution, conv5_1 (E) is 16x16 blocks
    s_img, e_img = ex.images[3], ex.images[0]
    assert s_img.shape == e_img.shape == astronaut64.shape
    assert torch.equal(e_img[..., :16, :16], e_img[..., :1, :1].expand(1, 3, 16, 16))
