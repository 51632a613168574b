"""schedule="adain" and "auto": where a run starts from AdaIN, how many steps it runs, when it
stops (issue 25.1).

None of these depend on the clock: the rule looks at losses only, the plan at the arguments.
"""

import pytest
import torch

from nst_course import stages, stylize
from nst_course.harness import StopWhenFlat, optimize_image
from nst_course.stages import AUTO_STOP, WARM_MIN_STEPS, WARM_SHARE, Plan, auto_plan


def test_stop_when_flat_compares_the_best_loss_of_the_last_window_with_the_best_before():
    rule = StopWhenFlat(rel_tol=0.01, window=2)
    assert not rule([]) and not rule([100.0]) and not rule([100.0, 50.0])  # needs window + 1 losses
    assert not rule([100.0, 50.0, 40.0])  # 50 -> 40 in the last 2 steps: 20 %
    assert rule([100.0, 50.0, 49.9, 49.8])  # best 50 -> 49.8: 0.4 % < 1 %
    # a step up does not stop it: the best of the window is what counts
    assert not rule([100.0, 50.0, 60.0, 45.0])
    assert rule([100.0, 50.0, 60.0, 50.0])  # no better than before: flat
    assert not StopWhenFlat(0.01, 2, min_steps=10)([100.0, 50.0, 49.9, 49.8])  # too early


def test_stop_when_flat_refuses_a_bad_rule():
    for bad in ((-0.1, 10), (0.01, 0), (0.01, 5, -1)):
        with pytest.raises(ValueError, match="StopWhenFlat"):
            StopWhenFlat(*bad)


def test_optimize_image_stops_once_flat_and_keeps_the_best_image():
    target = torch.full((1, 3, 8, 8), 0.5)

    def objective(x):  # a bowl: L-BFGS is at its bottom in a few steps, then flat
        total = ((x - target) ** 2).sum()
        zero = torch.tensor(0.0)
        return total, {"content": total, "style": zero, "tv": zero, "total": total}

    start = torch.zeros(1, 3, 8, 8)
    rule = StopWhenFlat(rel_tol=0.01, window=3, min_steps=5)
    r = optimize_image(objective, start, steps=100, progress=False, stop=rule)
    assert r.stopped == "flat" and 5 <= len(r.history) < 100
    assert rule([h.total_loss for h in r.history])
    assert not rule([h.total_loss for h in r.history[:-1]])  # it stopped at the first flat step
    assert torch.allclose(r.image, target, atol=1e-3) and r.final.total_loss < 1e-4
    assert optimize_image(objective, start, steps=12, progress=False).stopped == "done"


def test_schedule_adain_runs_a_share_of_the_steps_from_adains_picture():
    plan = auto_plan("adain", 256, 300)
    assert plan == Plan("adain", round(WARM_SHARE * 300), AUTO_STOP)
    assert plan.steps <= 0.35 * 300  # the goal: at most 35 % of the time (AdaIN is ~1 step)
    assert auto_plan("adain", 64, 40).steps == WARM_MIN_STEPS and auto_plan("adain", 64, 10).steps == 10
    assert auto_plan("adain", 64, 300, init="adain").init == "adain"
    with pytest.raises(ValueError, match="starts from AdaIN"):
        auto_plan("adain", 64, 300, init="noise")


def test_auto_is_single_scale_from_the_photo_until_a_size_is_measured(monkeypatch):
    assert stages.WARM_FROM is None  # the sweep has measured no size where it pays yet
    for size in (128, 256, 512, 2048):
        assert auto_plan("auto", size, 300, style_weight=100.0) == Plan("content", 300)


def test_auto_plan_warm_starts_only_where_the_sweep_measured_it(monkeypatch):
    monkeypatch.setattr(stages, "WARM_FROM", 512)
    warm = auto_plan("auto", 512, 300, style_weight=100.0)
    assert warm == auto_plan("adain", 512, 300)
    assert auto_plan("auto", 1024, 300, style_weight=10.0).init == "adain"
    assert auto_plan("auto", 512, 300, style_weight=4000.0).init == "adain"
    as_asked = [auto_plan("auto", 511, 300, style_weight=100.0),  # below the size measured
                auto_plan("auto", 512, 300, style_weight=5.0),  # weights not measured
                auto_plan("auto", 512, 300, style_weight=1e5),
                auto_plan("auto", 512, 300, style_weight=100.0, n_styles=2),  # a blend
                auto_plan("auto", 512, 300, style_weight=100.0, optimizer="adam"),
                auto_plan("auto", 512, WARM_MIN_STEPS, style_weight=100.0),  # already short
                auto_plan("single", 512, 300, style_weight=100.0),
                auto_plan("coarse-to-fine", 512, 300, style_weight=100.0),
                auto_plan("auto", 512, 300, init="noise", style_weight=100.0)]
    for plan in as_asked[:-1]:
        assert plan == Plan("content", plan.steps) and plan.steps in (300, WARM_MIN_STEPS)
    assert as_asked[-1] == Plan("noise", 300)
    tensor = torch.rand(1, 3, 8, 8)
    assert auto_plan("auto", 512, 300, init=tensor, style_weight=100.0).init is tensor


def test_stylize_adain_runs_the_plan_from_adains_picture(monkeypatch, astronaut64, swirls64):
    seen = {}
    real = stages.adain_start

    def spy(content, styles, blend=None):
        seen["start"] = real(content, styles, blend)
        return seen["start"]

    monkeypatch.setattr(stages, "adain_start", spy)
    r = stylize(astronaut64, swirls64, steps=200, style_weight=100.0, weights="random",
                schedule="adain", progress=False)
    assert seen["start"].shape == astronaut64.shape
    assert r.stopped in ("done", "flat") and len(r.history) <= round(WARM_SHARE * 200)
    seen.clear()
    single = stylize(astronaut64, swirls64, steps=3, style_weight=100.0, weights="random", progress=False)
    assert len(single.history) == 3 and single.stopped == "done" and not seen  # auto, 64 px: the photo


def test_init_adain_is_adains_picture_at_the_contents_size():
    content = torch.rand(1, 3, 68, 70)  # not a multiple of 8: AdaIN crops, the start does not
    style = torch.rand(1, 3, 64, 64)
    start = stages.initial_image("adain", content, style)
    assert start.shape == content.shape and 0 <= start.min() and start.max() <= 1
    assert not torch.allclose(start, content)


def test_the_cli_says_and_prices_what_auto_runs(monkeypatch):
    from types import SimpleNamespace

    from nst_course.cli.stylize import _plan, _steps_said

    args = SimpleNamespace(init_image=None, mask=None, schedule="auto", style="swirls", steps=300,
                           init="content", optimizer="lbfgs", style_weight=10.0)
    assert _steps_said(args, 384, 512) == "300 steps"  # WARM_FROM None: auto is single-scale
    assert _plan(SimpleNamespace(**{**vars(args), "schedule": "adain"}), 192, 256).steps == 90
    monkeypatch.setattr(stages, "WARM_FROM", 512)
    assert _plan(args, 384, 512).steps == round(WARM_SHARE * 300)
    assert _steps_said(args, 384, 512).startswith("90 steps at most from AdaIN's picture")
    assert _steps_said(args, 192, 256) == "300 steps"
    for change in ({"schedule": "single"}, {"init_image": "chelsea"}, {"mask": "m.png"},
                   {"style": "swirls,waves"}, {"init": "noise"}):
        assert _plan(SimpleNamespace(**{**vars(args), **change}), 384, 512).init != "adain", change
