"""Issue 26, round 3: the checkers never hang, never say PASS wrongly, and name combined mistakes."""

import pytest
import torch

from nst_course import checks
from nst_course.losses import gram_matrix
from nst_course.widgets import SortingExercise, check_order


def forever(*args, **kwargs):
    while True:
        pass


@pytest.mark.parametrize("name", ["check_gram_matrix", "check_style_loss", "check_stop_when_flat",
                                  "check_adain", "check_content_loss", "check_tv_loss",
                                  "check_optimisation_loop"])
def test_a_learner_loop_that_never_ends_gets_a_sentence(name, monkeypatch, capsys):
    monkeypatch.setenv("NST_COURSE_CHECK_SECONDS", "0.5")
    assert getattr(checks, name)(forever) is False
    out = capsys.readouterr().out
    assert "FAIL" in out and "still running after 0.5 s" in out


def test_a_learner_that_catches_everything_is_still_stopped(monkeypatch, capsys):
    def stubborn(f):
        while True:
            try:
                while True:
                    pass
            except Exception:
                continue

    monkeypatch.setenv("NST_COURSE_CHECK_SECONDS", "0.3")
    assert checks.check_gram_matrix(stubborn) is False
    assert "still running" in capsys.readouterr().out


def _loop_returning(value):
    def loop(objective, start, steps):
        x = start.clone().requires_grad_(True)
        for _ in range(steps):
            total, _ = objective(x)
            total.backward()
            with torch.no_grad():
                x -= 0.1 * x.grad
                x.grad = None
        return value(x)
    return loop


def test_optimisation_loop_returning_nan_is_not_a_pass(capsys):
    loop = _loop_returning(lambda x: torch.full_like(x, float("nan")))
    assert checks.check_optimisation_loop(loop) is False
    out = capsys.readouterr().out
    assert "PASS" not in out and "NaN" in out


def test_optimisation_loop_stub_is_not_yet_solved(capsys):
    def stub(objective, start, steps):
        raise NotImplementedError

    assert checks.check_optimisation_loop(stub) is False
    assert checks.NOT_SOLVED in capsys.readouterr().out


def test_optimisation_loop_type_error_is_a_sentence(capsys):
    def wrong(objective, start):  # forgot steps
        return start

    assert checks.check_optimisation_loop(wrong) is False
    out = capsys.readouterr().out
    assert "TypeError" in out and "FAIL" in out


def test_style_loss_missing_quarter_and_layer_weights_names_both(capsys):
    def style_loss(features, targets, layer_weights=None):
        return sum((gram_matrix(features[k]) - targets[k]).pow(2).sum() for k in targets)

    assert checks.check_style_loss(style_loss) is False
    out = capsys.readouterr().out
    assert "two mistakes" in out and "1/4" in out and "layer" in out
    assert "no common mistake" not in out


def test_check_order_on_a_huge_string_answers_at_once(capsys):
    import time

    t0 = time.perf_counter()
    assert check_order("ST" * 5_000_000) is False
    assert time.perf_counter() - t0 < 2
    assert "characters long" in capsys.readouterr().out


def test_ordering_by_steps_says_first_and_last(capsys):
    imgs = [torch.rand(1, 3, 8, 8) for _ in range(3)]
    quiz = SortingExercise.shuffled(imgs, titles=["step 1", "step 5", "step 10"], labels="ABC")
    assert quiz.ends == ("earliest", "latest")
    quiz.check("")
    assert "earliest first" in capsys.readouterr().out
    layers = SortingExercise.shuffled(imgs, titles=["conv1_1", "conv2_1", "conv3_1"], labels="ABC")
    assert layers.ends == ("lowest", "highest")
