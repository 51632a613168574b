"""The numbers in the worked answers and prose of lessons 00-02, computed the way the lessons do.

Each test names the lesson cell it backs; if one fails, the lesson's text is wrong too.
"""

import pytest
import torch
from torch import nn

from nst_course import content_loss, load_vgg, reconstruct, stylize, total_variation_loss
from nst_course.budget import estimate_seconds, format_minutes, lesson_minutes
from nst_course.config import STYLE_LAYERS
from nst_course.doctor import report
from nst_course.features import layer_stats
from nst_course.stages import schedule_sizes
from nst_course.vgg import LAYERS, feature_shapes, receptive_field

# --- lesson 00 ---------------------------------------------------------------------------------

def test_00_every_estimate_comes_from_one_measured_step():
    """The environment report and the lesson table price the same step: they must agree."""
    sec = 0.05
    text = report(size=128, seconds_per_step=sec)
    assert "one step at 128x128: 0.050 s" in text
    table = ", ".join(f"{name[:2]} {format_minutes(m)}" for name, m in lesson_minutes(sec, 128).items())
    assert text.splitlines()[-1] == "lessons in full mode: " + table


def test_00_small_estimates_say_less_than_a_minute():
    assert format_minutes(0.2) == "< 1 min"
    assert format_minutes(0.99) == "< 1 min"
    assert format_minutes(16.6) == "~17 min"
    assert format_minutes(lesson_minutes(0.05, 128)["01 CNN features"]) == "< 1 min"


def test_00_exercise4_cli_at_256px_is_single_scale_300_steps():
    """`nst-course stylize ... --size 256`: 300 steps at 256 px = 4x the pixels of a 128 px step."""
    assert schedule_sizes("auto", 256, 300) == [(256, 300)]
    assert estimate_seconds(300, 256, 0.05, 128) == pytest.approx(300 * 0.05 * 4)


# --- lesson 01 ---------------------------------------------------------------------------------

def test_01_exercise1_padding_gives_4x4_maps_and_the_hand_sum_matches():
    torch.manual_seed(0)
    x = torch.arange(27, dtype=torch.float32).reshape(1, 3, 3, 3) / 10
    conv = nn.Conv2d(3, 4, kernel_size=2, stride=1, padding=1)
    out = conv(x).detach()
    assert out.shape == (1, 4, 4, 4)
    xp = nn.functional.pad(x, (1, 1, 1, 1))
    w, b = conv.weight.detach(), conv.bias.detach()
    by_hand = torch.stack([torch.stack([torch.stack([(w[o] * xp[0, :, i:i + 2, j:j + 2]).sum() + b[o]
                                                     for j in range(4)]) for i in range(4)])
                           for o in range(4)])[None]
    assert torch.allclose(by_hand, out, atol=1e-6)


def test_01_exercise2_conv3_1_has_295168_parameters():
    vgg = load_vgg("random")
    assert feature_shapes(64)["conv2_2"][0] == 128 and feature_shapes(64)["conv3_1"][0] == 256
    assert vgg.convs[4].weight.numel() == 3 * 3 * 128 * 256 == 294_912
    assert vgg.convs[4].bias.numel() == 256


def test_01_exercise3_no_conv_layer_sees_256px_pool5_does():
    assert receptive_field("conv5_4") == 252
    assert next(n for n in LAYERS if receptive_field(n) >= 256) == "pool5"
    assert receptive_field("pool5") == 268
    assert receptive_field("conv1_1") == 3 and receptive_field("conv5_1") == 156


def test_01_fully_connected_layers_hold_most_parameters_and_fix_224px():
    conv_params = sum(p.numel() for p in load_vgg("random").convs.parameters())
    fc = (7 * 7 * 512 * 4096 + 4096) + (4096 * 4096 + 4096) + (4096 * 1000 + 1000)
    assert conv_params == 20_024_384
    assert fc == 123_642_856
    assert conv_params + fc == 143_667_240  # VGG19's published parameter count
    assert round(fc / (conv_params + fc), 2) == 0.86
    assert feature_shapes(224)["pool5"] == (512, 7, 7)
    assert feature_shapes(256)["pool5"] == (512, 8, 8)  # 32768 values: fc6 could not take it


@pytest.mark.parametrize("side", [64, 128, 256])
def test_01_values_fall_32x_from_conv1_1_to_conv5_1(side):
    shapes = feature_shapes(side)
    (c1, h1, w1), (c5, h5, w5) = shapes["conv1_1"], shapes["conv5_1"]
    assert (h1 * w1) / (h5 * w5) == 256 and c5 / c1 == 8
    assert (c1 * h1 * w1) / (c5 * h5 * w5) == 32


def test_01_exercise6_training_makes_deep_layers_sparse(astronaut64):
    with torch.no_grad():
        trained = layer_stats(load_vgg()(astronaut64, STYLE_LAYERS))
        random = layer_stats(load_vgg("random")(astronaut64, STYLE_LAYERS))
    assert max(trained, key=lambda r: r["sparsity"])["layer"] == "conv5_1"  # the sparsest of the five
    assert trained[-1]["sparsity"] > 0.65  # about three quarters
    assert all(0.4 < r["sparsity"] < 0.62 for r in random)  # about half, every layer


# --- lesson 02 ---------------------------------------------------------------------------------

def test_02_the_two_forms_differ_by_chw_over_2(astronaut64):
    vgg = load_vgg()
    with torch.no_grad():
        P = vgg(astronaut64, ["conv4_2"])["conv4_2"]
        F = vgg(torch.rand_like(astronaut64), ["conv4_2"])["conv4_2"]
    ratio = content_loss(F, P, "gatys") / content_loss(F, P, "mean")
    assert ratio.item() == pytest.approx(F[0].numel() / 2, rel=1e-4)


def test_02_the_papers_content_gradient_equals_autograd(astronaut64):
    """dL/dZ = (F - P) where the ReLU is on, 0 where it is off (Z: conv4_2 before its ReLU)."""
    vgg = load_vgg()
    noise = torch.rand_like(astronaut64)
    with torch.no_grad():
        P = vgg(astronaut64, ["conv4_2"])["conv4_2"]
        F = vgg(noise, ["conv4_2"])["conv4_2"]
        below = vgg(noise, ["conv4_1"])["conv4_1"]
    Z = vgg.convs[9](below).detach().requires_grad_(True)
    F_x = torch.relu(Z)
    assert torch.allclose(F_x, F, atol=1e-4)  # convs[9] is conv4_2
    (grad,) = torch.autograd.grad(0.5 * ((F_x - P) ** 2).sum(), Z)
    formula = torch.where(Z > 0, F_x - P, torch.zeros_like(Z))
    assert torch.allclose(grad, formula, atol=1e-6)
    assert (Z <= 0).any() and (grad[Z <= 0] == 0).all()


def test_02_total_variation_is_mahendran_vedaldis_beta2_term_as_a_mean():
    img = torch.rand(1, 3, 16, 16)
    dh = img[..., 1:, :] - img[..., :-1, :]
    dw = img[..., :, 1:] - img[..., :, :-1]
    r_v2 = (dh ** 2).sum() + (dw ** 2).sum()  # R_{V^beta} with beta = 2 (valid neighbour pairs)
    assert dh.numel() == dw.numel()  # square image: as many vertical as horizontal pairs
    assert total_variation_loss(img).item() == pytest.approx((r_v2 / dh.numel()).item(), rel=1e-5)


def test_02_another_noise_seed_gives_another_reconstruction(astronaut64):
    img = astronaut64[..., :48, :48]
    a = reconstruct(img, "conv5_1", steps=4, seed=0, progress=False).image
    again = reconstruct(img, "conv5_1", steps=4, seed=0, progress=False).image
    b = reconstruct(img, "conv5_1", steps=4, seed=1, progress=False).image
    assert torch.equal(a, again)
    assert (a - b).pow(2).mean().sqrt() > 0.01


def test_02_a_tv_weight_with_content_only_smooths_the_reconstruction(astronaut64):
    """Section 6: stylize with style_weight=0 and tv_weight is the regularised inversion."""
    img = astronaut64[..., :48, :48]
    kw = dict(content_layers=("conv5_1",), style_weight=0.0, init="noise", steps=10, seed=0,
              schedule="single", progress=False)
    plain = stylize(img, img, tv_weight=0.0, **kw)
    smooth = stylize(img, img, tv_weight=30.0, **kw)  # the lesson's TV_WEIGHT
    assert total_variation_loss(smooth.image) < 0.7 * total_variation_loss(plain.image)
