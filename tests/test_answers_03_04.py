"""The numbers the worked answers of lessons 03 and 04 promise, computed the way the lessons do.

Each test recomputes an answer printed in a ``solution`` cell (or a conversion a lesson's prose
relies on) on random feature maps, so it holds for any images, and compares it with the number
written in the answer.
"""

import math

import pytest
import torch

from nst_course.losses import gatys_ratio, gram_matrix, style_layer_loss
from nst_course.vgg import feature_shapes

LAYER_CHANNELS = {"conv1_1": 64, "conv2_1": 128, "conv3_1": 256, "conv4_1": 512, "conv5_1": 512}


def _features(seed=0, size=(6, 5), batch=1):
    """Random non-negative (post-ReLU-like) feature maps of two images, per style layer."""
    gen = torch.Generator().manual_seed(seed)
    pair = []
    for _ in range(2):
        pair.append({name: torch.rand(batch, c, *size, generator=gen, dtype=torch.float64) ** 2
                     for name, c in LAYER_CHANNELS.items()})
    return pair


def _ours(fx, fs, layers):
    """Our style loss: 1/4 sum (G' - A')^2 per layer, w_l = 1/L."""
    return sum(style_layer_loss(gram_matrix(fx[n]), gram_matrix(fs[n])) / len(layers) for n in layers)


def _ayala_wolters(fx, fs, layers):
    """Ayala & Wolters: ||G' - A'||_F^2 with 1/(CHW) Grams, layers summed."""
    return sum(((gram_matrix(fx[n]) - gram_matrix(fs[n])) ** 2).sum() for n in layers)


# --- lesson 03 ---------------------------------------------------------------------------------

@pytest.mark.parametrize("layer", ["conv1_1", "conv5_1"])
def test_03_ex1_hw_normalisation_is_c_squared_larger(layer):
    fx, fs = _features()
    ratio = (style_layer_loss(gram_matrix(fx[layer], "hw"), gram_matrix(fs[layer], "hw"))
             / style_layer_loss(gram_matrix(fx[layer]), gram_matrix(fs[layer]))).item()
    expected = {"conv1_1": 4096, "conv5_1": 262144}[layer]  # the numbers in the answer
    assert ratio == pytest.approx(expected, rel=1e-9)
    assert expected == LAYER_CHANNELS[layer] ** 2


def test_03_ex4_einsum_gram_equals_the_package():
    f = torch.rand(3, 7, 4, 5, dtype=torch.float64)
    mine = torch.einsum("nchw,ndhw->ncd", f, f) / f[0].numel()
    torch.testing.assert_close(mine, gram_matrix(f))


@pytest.mark.parametrize("seed", [0, 1])
def test_03_ex5_ayala_wolters_loss_is_20_times_ours(seed):
    fx, fs = _features(seed)
    layers = list(LAYER_CHANNELS)
    factor = (_ayala_wolters(fx, fs, layers) / _ours(fx, fs, layers)).item()
    assert factor == pytest.approx(20.0, rel=1e-9)
    assert 10 / factor == pytest.approx(0.5)  # "our 10 is their 0.5"


def test_03_paper_gradient_of_the_style_loss_equals_autograd():
    gen = torch.Generator().manual_seed(3)
    z = torch.randn(1, 8, 5, 6, generator=gen, dtype=torch.float64, requires_grad=True)
    target = torch.rand(1, 8, 5, 6, generator=gen, dtype=torch.float64)
    f = torch.relu(z)
    style_layer_loss(gram_matrix(f), gram_matrix(target)).backward()
    n, m = 8, 30
    f_l = f.detach().reshape(n, m)
    g_raw = f_l @ f_l.T
    a_raw = target.reshape(n, m) @ target.reshape(n, m).T
    paper = (f_l.T @ (g_raw - a_raw)).T / (n**2 * m**2) * (f_l > 0)
    assert (f_l == 0).any() and (f_l > 0).any()  # both cases of the formula are exercised
    torch.testing.assert_close(z.grad.reshape(n, m), paper)


# --- lesson 04 ---------------------------------------------------------------------------------

def test_04_gamma_sweep_converts_to_our_betas():
    fx, fs = _features(2)
    layers = list(LAYER_CHANNELS)
    to_ours = round((_ayala_wolters(fx, fs, layers) / _ours(fx, fs, layers)).item(), 3)
    betas = [g * to_ours for g in (0.1, 0.2, 1.0, 5.0, 10.0)]
    assert betas == [2.0, 4.0, 20.0, 100.0, 200.0]
    # the lesson's grid columns hold three of them, so the sweep reuses grid runs
    assert {2.0, 20.0, 200.0} <= {0.2, 2.0, 20.0, 200.0, 2000.0}


@pytest.mark.parametrize(("h", "w", "expected"), [(85, 128, 1.22e-6), (170, 256, 2.91e-7)])
def test_04_ex1_paper_ratio_of_beta_20(h, w, expected):
    shape = feature_shapes(h, w)["conv4_2"]
    assert shape == {85: (512, 10, 16), 170: (512, 21, 32)}[h]
    assert gatys_ratio(1.0, 20.0, shape) == pytest.approx(expected, rel=5e-3)


def test_04_ex1_chelsea_is_128_by_85_at_128_px():
    from nst_course import load_image

    assert tuple(load_image("chelsea", 128).shape[-2:]) == (85, 128)


def test_04_ex2_three_layers_without_weights_is_12_times_ours():
    fx, fs = _features(4)
    three = ["conv1_1", "conv2_1", "conv3_1"]
    assert (_ayala_wolters(fx, fs, three) / _ours(fx, fs, three)).item() == pytest.approx(12.0, rel=1e-9)


def test_04_ex5_pytorch_tutorial_weight_per_layer():
    fx, fs = _features(5)
    expected = {"conv1_1": 4883, "conv2_1": 1221, "conv3_1": 305, "conv4_1": 76, "conv5_1": 76}
    for name in LAYER_CHANNELS:
        theirs = ((gram_matrix(fx[name]) - gram_matrix(fs[name])) ** 2).mean()
        ours = style_layer_loss(gram_matrix(fx[name]), gram_matrix(fs[name])) / 5
        beta = 1e6 * (theirs / ours).item()
        assert beta == pytest.approx(1e6 * 20 / LAYER_CHANNELS[name] ** 2, rel=1e-9)
        assert math.isclose(beta, expected[name], rel_tol=5e-3)
