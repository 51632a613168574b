"""The numbers the answers of lessons 05-09 state (05 and 06 split from the old 05, 07 and 08 from
the old 06), and the lessons' solutions, checked.

Each test recomputes an answer the way the lesson's solution cell does (or runs the solution
cell itself) and compares it with the number written in the lesson.
"""

import json
import re
from pathlib import Path

import pytest
import torch

from nst_course import checks
from nst_course.budget import estimate_seconds
from nst_course.harness import optimize_image
from nst_course.loop import LBFGS_HISTORY_BYTES, lbfgs_history
from nst_course.stages import schedule_sizes
from nst_course.vgg import feature_shapes

ROOT = Path(__file__).resolve().parents[1]


def _cells(name):
    nb = json.loads((ROOT / "notebooks" / name).read_text())
    return [("".join(c["source"]), c["metadata"].get("tags", [])) for c in nb["cells"]]


def _solution_defining(name, function):
    """Source of the solution cell of lesson ``name`` that defines ``function``."""
    hits = [src for src, tags in _cells(name) if "solution" in tags and f"def {function}(" in src]
    assert len(hits) == 1, f"{name}: expected one solution cell defining {function}"
    return hits[0]


# --- lesson 05 ---------------------------------------------------------------------------------

def lbfgs_history_bytes(h, w, pairs=50):  # as in lesson 05, exercise 6
    return pairs * 2 * 3 * h * w * 4


def test_05_ex6_lbfgs_history_memory():
    assert round(lbfgs_history_bytes(192, 256) / 1e6) == 59
    assert round(lbfgs_history_bytes(2048, 2048) / 1e9, 2) == 5.03
    pairs = lbfgs_history(3 * 2048 * 2048 * 4)  # what stylize keeps for a float32 image that size
    assert pairs == int(max(3, min(50, LBFGS_HISTORY_BYTES // lbfgs_history_bytes(2048, 2048, 1))))
    assert pairs == 3 and round(lbfgs_history_bytes(2048, 2048, pairs) / 1e6) == 302


def test_05_ex6_stylize_really_keeps_three_pairs_at_2048(monkeypatch):
    seen = {}
    real = torch.optim.LBFGS

    def spy(params, **kwargs):
        seen.update(kwargs)
        return real(params, **kwargs)

    monkeypatch.setattr(torch.optim, "LBFGS", spy)
    optimize_image(lambda x: (x.sum(), {}), torch.zeros(1, 3, 2048, 2048), steps=0, progress=False)
    assert seen["history_size"] == 3 and seen["max_iter"] == 1


def _evaluations_per_step(steps=3, **settings):
    """As lesson 05's cell in section 5, on a small quadratic instead of VGG19."""
    target = torch.linspace(-1, 1, 50).reshape(1, 2, 5, 5)
    x = torch.zeros_like(target).requires_grad_(True)
    opt = torch.optim.LBFGS([x], history_size=50, **settings)
    calls = []

    def closure():
        calls.append(1)
        opt.zero_grad()
        total = ((x - target) ** 4).sum()  # not quadratic: L-BFGS keeps iterating
        total.backward()
        return total

    for _ in range(steps):
        opt.step(closure)
    return len(calls) / steps


def test_05_lbfgs_evaluates_once_per_step_with_stylizes_settings():
    assert _evaluations_per_step(max_iter=1) == 1.0
    assert _evaluations_per_step(max_iter=20) > 1.0
    assert _evaluations_per_step(max_iter=20, line_search_fn="strong_wolfe") > 1.0


def test_05_step_cost_at_512_is_one_size_with_schedule_single():
    assert schedule_sizes("single", 512, 3) == [(512, 3)]
    assert [s for s, _ in schedule_sizes("coarse-to-fine", 512, 3)] == [128, 256, 512]  # not one size


def test_05_ex3_prediction_scales_with_the_pixels():
    assert estimate_seconds(300, 384, 0.4, 256) == pytest.approx(300 * 0.4 * 2.25)


def test_05_coarse_to_fine_share_printed_in_section_6():
    t = 1.0
    share = estimate_seconds(300, 512, t, 512, schedule="coarse-to-fine") / (300 * t)
    assert share == pytest.approx((1 / 16 + 1 / 4 + 1) / 3)  # 44 %


def test_05_stop_when_flat_solution_passes_its_check(capsys):
    ns = {}
    exec(_solution_defining("06_resolution_and_regularisation.ipynb", "stop_when_flat"), ns)  # noqa: S102
    assert checks.check_stop_when_flat(ns["stop_when_flat"]), capsys.readouterr().out


# --- lesson 06 ---------------------------------------------------------------------------------

def test_06_ex6_numbers_that_describe_a_style():
    layers = ("conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1")
    channels = {k: c for k, (c, _, _) in feature_shapes(64).items() if k in layers}
    assert channels == {"conv1_1": 64, "conv2_1": 128, "conv3_1": 256, "conv4_1": 512, "conv5_1": 512}
    gram_numbers = sum(c * (c + 1) // 2 for c in channels.values())
    assert gram_numbers == 305_888
    assert 2 * channels["conv4_1"] == 1_024
    assert round(gram_numbers / 1_024) == 299
    text = _solution_defining_text("08_write_it_yourself.ipynb", "gram_numbers")
    assert "305,888" in text and "1,024" in text and "299x" in text


def _solution_defining_text(name, marker):
    hits = [src for src, tags in _cells(name) if "solution" in tags and marker in src]
    assert hits, f"{name}: no solution cell mentions {marker}"
    return hits[0]


@pytest.mark.parametrize("lesson, function, check", [
    ("08_write_it_yourself.ipynb", "my_content_loss", checks.check_content_loss),
    ("08_write_it_yourself.ipynb", "my_tv_loss", checks.check_tv_loss),
    ("08_write_it_yourself.ipynb", "my_optimise", checks.check_optimisation_loop),
    ("07_beyond_gatys.ipynb", "my_adain", checks.check_adain),
])
def test_07_08_solutions_pass_their_checks(lesson, function, check, capsys):
    ns = {"torch": torch}
    exec(_solution_defining(lesson, function), ns)  # noqa: S102
    assert check(ns[function]), capsys.readouterr().out


def test_06_johnson_layers_are_stated_right():
    text = "\n".join(src for src, _ in _cells("07_beyond_gatys.ipynb"))
    johnson = text[text.index("### Johnson et al."):]
    johnson = johnson[: johnson.index("| |")]
    assert "relu2_2" in johnson and "VGG-16" in johnson
    assert re.search(r"content[^.]*relu2_2", johnson) and "relu3_3" not in johnson.split("style")[0]
    assert "exactly Gatys" not in johnson


# --- lesson 09 ---------------------------------------------------------------------------------

def test_09_break_even_solution_passes_its_check(capsys):
    from nst_course.checks import check_break_even

    src = _solution_defining("09_train_a_fast_network.ipynb", "break_even")
    ns = {}
    exec(src.split("if check_break_even")[0], ns)  # noqa: S102 (the definition, not its printout)
    assert check_break_even(ns["break_even"]), capsys.readouterr().out


def test_09_names_the_modern_variant_and_johnsons_layers():
    text = "\n".join(src for src, _ in _cells("09_train_a_fast_network.ipynb"))
    assert "modern variant of Johnson" in text.replace("\n", " ")
    assert "relu1_2, relu2_2, relu3_3 and relu4_3 of VGG-16" in text.replace("\n", " ")
    assert "Yanai & Tanno, ICMR 2017" in text.replace("\n", " ")
    assert "depends only on" not in text
