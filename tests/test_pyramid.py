"""schedule="pyramid": the image as levels (nst_course.pyramid), the same objective and loop."""

import pytest
import torch
import torch.nn.functional as F

from nst_course import stylize
from nst_course.harness import optimize_image
from nst_course.loop import make_optimizer
from nst_course.pyramid import LEVELS, Pyramid
from nst_course.stages import Plan, auto_plan, schedule_sizes


def test_a_new_pyramid_is_its_start_with_coarser_levels_at_zero():
    start = torch.rand(1, 3, 37, 50)
    p = Pyramid(start, levels=4, ratio=0.5)
    assert [tuple(z.shape[-2:]) for z in p.levels] == [(37, 50), (19, 25), (10, 13), (5, 7)]
    assert all(z.requires_grad and z.is_leaf for z in p.levels)
    assert torch.equal(p.detach(), start) and not p.detach().requires_grad
    p.levels[2].data.fill_(1.0)  # a coarse level moves the whole picture: 0.5^2 everywhere
    assert torch.allclose(p.detach(), start + 0.25)
    with pytest.raises(ValueError, match="at least one level"):
        Pyramid(start, levels=0)


def test_clamp_projects_onto_valid_images_through_the_finest_level():
    p = Pyramid(torch.full((1, 3, 16, 16), 0.9), levels=3)
    p.levels[1].data.fill_(1.0)  # 0.9 + 0.7: above 1
    coarse = [z.detach().clone() for z in p.levels[1:]]
    assert p.clamp_(0, 1) is p
    x = p.detach()
    assert torch.allclose(x, torch.ones_like(x), atol=1e-6)
    assert all(torch.equal(a, z) for a, z in zip(coarse, p.levels[1:]))


def test_the_gradient_of_a_coarse_level_is_the_pixel_gradient_summed_over_its_region():
    start, w = torch.rand(1, 3, 16, 16), torch.randn(1, 3, 16, 16)
    p = Pyramid(start, levels=2, ratio=0.7)
    (p.image() * w).sum().backward()
    assert torch.equal(p.levels[0].grad, w)  # the finest level is the pixels
    v = torch.randn(1, 3, 8, 8)  # <grad_1, v> = <w, 0.7 up(v)>: the adjoint of upsampling
    up = F.interpolate(v, size=(16, 16), mode="bilinear", align_corners=False)
    assert torch.allclose((p.levels[1].grad * v).sum(), 0.7 * (w * up).sum(), rtol=1e-5)


def test_the_optimiser_changes_every_level():
    p = Pyramid(torch.rand(1, 3, 16, 16), levels=LEVELS)
    opt = make_optimizer(p)
    assert [q for g in opt.param_groups for q in g["params"]] == p.levels
    assert [q for g in make_optimizer(p, "adam").param_groups for q in g["params"]] == p.levels


def test_the_plan_is_single_scale_on_a_pyramid():
    assert auto_plan("pyramid", 512, 300) == Plan("content", 300, levels=LEVELS)
    assert schedule_sizes("pyramid", 512, 300) == [(512, 300)]
    assert auto_plan("single", 512, 300).levels == 1 and auto_plan("auto", 512, 300).levels == 1


def test_optimize_image_on_levels_finds_the_same_minimum():
    target = torch.rand(1, 3, 12, 12) * 0.8 + 0.1

    def objective(x):  # a bowl whose bottom is a valid image
        total = ((x - target) ** 2).sum()
        zero = torch.tensor(0.0)
        return total, {"content": total, "style": zero, "tv": zero, "total": total}

    r = optimize_image(objective, torch.zeros(1, 3, 12, 12), steps=30, progress=False, levels=3)
    assert r.stopped == "done" and torch.allclose(r.image, target, atol=1e-3)
    assert 0 <= r.image.min() and r.image.max() <= 1


def test_a_pyramid_run_gets_lower_than_pixel_steps_on_the_real_network(astronaut64, swirls64):
    # the sweep's finding at 256 px (README), at 64 px and 40 steps: same steps, lower loss
    kw = dict(steps=40, style_weight=100.0, style_calibration="none", progress=False)
    single = stylize(astronaut64, swirls64, schedule="single", **kw)
    pyramid = stylize(astronaut64, swirls64, schedule="pyramid", **kw)
    assert pyramid.stopped == "done" and len(pyramid.history) == 40
    assert pyramid.image.shape == astronaut64.shape
    assert 0 <= pyramid.image.min() and pyramid.image.max() <= 1
    assert pyramid.best.total_loss < 0.95 * single.best.total_loss
