"""The fast paths compute the same thing as the plain ones (no timing here: see nst_course.bench)."""

import pytest
import torch

from nst_course import Objective, load_vgg, speed, stages, stylize
from nst_course.bench import PlainNST
from nst_course.losses import gram_matrix
from nst_course.stages import schedule_sizes
from nst_course.tiled import TiledObjective


def test_channels_last_features_and_gradients_match_plain_nchw(astronaut64, swirls64):
    plain = PlainNST(astronaut64, swirls64)  # nn.Sequential, NCHW, out-of-place ReLU
    vgg = load_vgg()
    x = astronaut64.clone().requires_grad_(True)
    ours = vgg(x, ["conv1_1", "conv3_1", "conv4_2", "conv5_1"])
    ref = plain.features(astronaut64)
    for name, f in ours.items():
        assert f.is_contiguous()  # the public call still returns NCHW tensors
        assert torch.allclose(f, ref[name], rtol=1e-4, atol=1e-3 * ref[name].abs().max()), name
    fast = speed.features(vgg, x, ["conv4_2"])["conv4_2"]
    assert fast.is_contiguous(memory_format=torch.channels_last)
    (g,) = torch.autograd.grad(fast.pow(2).mean(), x)
    xr = astronaut64.clone().requires_grad_(True)
    plain.x = xr
    (gr,) = torch.autograd.grad(plain.features(xr)["conv4_2"].pow(2).mean(), xr)
    assert ((g - gr).norm() / gr.norm()).item() < 1e-4


def test_plain_reference_loss_equals_objective(astronaut64, swirls64):
    plain = PlainNST(astronaut64, swirls64, style_weight=10.0)
    total, content, style = plain.loss()
    _, parts = Objective(load_vgg(), astronaut64, swirls64, style_weight=10.0)(astronaut64)
    assert content.item() == pytest.approx(parts["content"].item(), rel=1e-4, abs=1e-8)
    assert style.item() == pytest.approx(parts["style"].item(), rel=1e-4)


def assert_same_losses_and_gradients(a, b, x, rel_loss, rel_grad, keys=None):
    """``a(x)`` and ``b(x)`` give the same losses (``keys`` of parts, default all) within
    ``rel_loss`` and gradients with respect to ``x`` within ``rel_grad`` (relative norm)."""
    x = x.detach().clone().requires_grad_(True)
    (ta, pa), (tb, pb) = a(x), b(x)
    for k in keys or pa:
        assert pb[k].item() == pytest.approx(pa[k].item(), rel=rel_loss), k
    (ga,) = torch.autograd.grad(ta, x)
    (gb,) = torch.autograd.grad(tb, x)
    assert ((ga - gb).norm() / ga.norm()).item() < rel_grad
    return pa, pb


@pytest.mark.parametrize("pooling", ["max", "avg"])
def test_banded_objective_equals_direct_one(pooling):
    torch.manual_seed(0)
    vgg = load_vgg("random", pooling)
    c, s, x = torch.rand(1, 3, 101, 72), torch.rand(1, 3, 90, 80), torch.rand(1, 3, 101, 72)
    kw = dict(content_weight=1.0, style_weight=10.0, tv_weight=0.5, style_layer_weights=[1, 2, 3, 4, 5])
    direct, banded = Objective(vgg, c, s, **kw), TiledObjective(vgg, c, s, rows=24, **kw)
    assert_same_losses_and_gradients(direct, banded, x, 1e-5, 1e-5)
    with pytest.raises(ValueError, match="content layers"):
        TiledObjective(vgg, c, s, content_layers=("conv1_2",))


def test_banded_objective_with_bfloat16_network_matches_direct_one(astronaut64, swirls64):
    # the path a 2048 px stylize takes: bands + bfloat16 features straight into the losses
    vgg = load_vgg(precision="bfloat16")
    x = astronaut64.flip(-1)
    direct = Objective(vgg, astronaut64, swirls64, style_weight=10.0)
    banded = TiledObjective(vgg, astronaut64, swirls64, rows=24, style_weight=10.0)
    _, pb = assert_same_losses_and_gradients(direct, banded, x, 1e-4, 5e-3,  # measured 6e-4
                                             keys=("content", "style"))
    assert pb["style"].dtype == torch.float32
    _, exact = Objective(load_vgg(), astronaut64, swirls64, style_weight=10.0)(x)
    assert pb["style"].item() == pytest.approx(exact["style"].item(), rel=0.01)


@pytest.mark.parametrize("precision", ["float32", "bfloat16"])
def test_fast_objective_equals_reference_losses_and_gradients(precision, astronaut64, swirls64):
    # average pooling: with max pooling a rounding-level difference between the NCHW and the
    # channels_last kernels can move a 2x2 window's argmax, and the gradient with it (~1 %)
    vgg = load_vgg(pooling="avg", precision=precision)
    kw = dict(style_weight=10.0, tv_weight=0.3, style_layer_weights=[1, 2, 3, 4, 5])
    ref = Objective(vgg, astronaut64, [swirls64, swirls64.flip(-1)], style_blend=[1, 3], fast=False, **kw)
    fast = Objective(vgg, astronaut64, [swirls64, swirls64.flip(-1)], style_blend=[1, 3], **kw)
    # bfloat16: the reference upcasts each feature map, the fast path each 16k-position block
    assert_same_losses_and_gradients(ref, fast, astronaut64.flip(-2), 1e-5,
                                     1e-5 if precision == "float32" else 5e-3)


def test_fused_gram_equals_the_reference_gram_and_its_gradient():
    f = torch.randn(2, 5, 4, 3, dtype=torch.float64)
    for layout in (torch.contiguous_format, torch.channels_last):
        x = f.contiguous(memory_format=layout).requires_grad_(True)
        for norm in ("chw", "hw", "none"):
            torch.testing.assert_close(speed.gram_matrix(x, norm), gram_matrix(x, norm))
        assert torch.autograd.gradcheck(speed.gram_matrix, (x,))
        (g,) = torch.autograd.grad((speed.gram_matrix(x) ** 2).sum(), x)
        assert g.is_contiguous(memory_format=layout)  # the gradient keeps the features' layout


def test_gram_of_bfloat16_features_is_float32_in_chunks(monkeypatch):
    monkeypatch.setattr(speed.FusedGram, "CHUNK", 300)  # 40*50 positions: 7 chunks
    f = torch.randn(1, 8, 40, 50).contiguous(memory_format=torch.channels_last).bfloat16()
    low, exact = f.clone().requires_grad_(True), f.float().requires_grad_(True)
    g_low, g_exact = speed.gram_matrix(low), gram_matrix(exact)
    assert g_low.dtype == torch.float32
    torch.testing.assert_close(g_low, g_exact, rtol=1e-5, atol=1e-6)  # same products, float32 sums
    w = torch.randn(1, 8, 8)
    (g_low * w).sum().backward()
    (g_exact * w).sum().backward()
    assert low.grad.dtype == torch.bfloat16 and low.grad.is_contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(low.grad.float(), exact.grad, rtol=1e-2, atol=1e-4)


def test_schedules_and_their_stages():
    # auto is single-scale: the sweep found coarse-to-fine ends with higher losses (README)
    for long_side in (256, 512, 2048):
        assert schedule_sizes("auto", long_side, 300) == [(long_side, 300)]
    assert schedule_sizes("coarse-to-fine", 512, 300) == [(128, 100), (256, 100), (512, 100)]
    assert schedule_sizes("coarse-to-fine", 384, 7) == [(96, 2), (192, 2), (384, 3)]
    assert schedule_sizes("single", 1024, 10) == [(1024, 10)]
    assert schedule_sizes([50, 100], 100, 5) == [(50, 2), (100, 3)]
    with pytest.raises(ValueError, match="last size"):
        schedule_sizes([50, 80], 100, 5)
    with pytest.raises(ValueError, match="at least 3 steps"):
        schedule_sizes("coarse-to-fine", 512, 2)
    with pytest.raises(ValueError, match="'auto', 'coarse-to-fine', 'single'"):
        schedule_sizes("coarse", 512, 30)


def test_a_coarse_stage_is_upsampled_with_the_photos_detail_added_back():
    torch.manual_seed(0)
    content = torch.rand(1, 3, 32, 48)
    coarse = torch.nn.functional.interpolate(content, size=(16, 24), mode="bilinear", align_corners=False)
    # a coarse stage that changed nothing gives back the photo itself, fine detail included
    torch.testing.assert_close(stages.upsample_stage(coarse, content, coarse), content)
    changed = (coarse + 0.1).clamp(0, 1)
    up = stages.upsample_stage(changed, content, coarse)
    assert up.shape == content.shape and 0 <= up.min() and up.max() <= 1
    blurry = stages.upsample_stage(coarse, content, None)  # from noise: no photo to add back
    assert (blurry - content).abs().mean() > (stages.upsample_stage(coarse, content, coarse)
                                              - content).abs().mean() + 0.05


def test_coarse_to_fine_returns_full_size_and_one_history(astronaut64, swirls64):
    seen = []
    r = stylize(astronaut64, swirls64, steps=9, schedule=[16, 32, 64], progress=False,
                callback=lambda rec, img: seen.append((rec.step, img.shape[-1])), callback_every=1)
    assert r.image.shape == astronaut64.shape and r.stopped == "done"
    assert [h.step for h in r.history] == list(range(1, 10))
    assert all(b.seconds >= a.seconds for a, b in zip(r.history, r.history[1:]))
    assert [w for _, w in seen] == [16] * 3 + [32] * 3 + [64] * 3
    assert r.history[-1].style_loss < r.history[0].style_loss


def test_lesson_minutes_price_each_lessons_work(monkeypatch):
    from nst_course import budget
    from nst_course.budget import LESSON_FIXED_MINUTES, LESSON_WORK, lesson_minutes

    with monkeypatch.context() as m:  # 900 steps at 256 px = 4x the pixels of the measured 128 px step
        m.setattr(budget, "LESSON_WORK", {"x": [(900, 256)], "y": [(10, 128), (10, 64)]})
        assert lesson_minutes(0.5, 128, overhead=6.0) == pytest.approx({"x": 1806 / 60, "y": 12.25 / 60})
    minutes = lesson_minutes(0.5, 128, overhead=0.0)
    assert list(minutes) == list(LESSON_WORK)
    assert LESSON_FIXED_MINUTES["09 Train a fast network"] == 10.0  # lesson 09's default MINUTES
    assert all(m >= LESSON_FIXED_MINUTES.get(lesson, 0.0) for lesson, m in minutes.items())


def test_stylize_takes_the_fast_path_without_being_asked(astronaut64, swirls64, monkeypatch):
    used = {"features": 0, "gram": 0}
    features, gram = speed.features, speed.gram_matrix

    def counting_features(*a, **k):
        used["features"] += 1
        out = features(*a, **k)
        assert all(f.is_contiguous(memory_format=torch.channels_last) for f in out.values())
        return out

    def counting_gram(*a, **k):
        used["gram"] += 1
        return gram(*a, **k)

    monkeypatch.setattr(speed, "features", counting_features)
    monkeypatch.setattr(speed, "gram_matrix", counting_gram)
    stylize(astronaut64[..., :32, :32], swirls64[..., :32, :32], steps=1, progress=False)
    # targets (content, style) + one step + the final measurement
    assert used["features"] == 4 and used["gram"] == 5 * 3
