"""The style weight calibrated to the style (``style_calibration="target"``, issue 25): its maths,
where it is the default, and that the lessons' formula paths still compute the paper's loss."""

import inspect
import json
from pathlib import Path

import pytest
import torch

from nst_course import control, explorer, optimize
from nst_course.losses import per_layer_weights, style_layer_loss, style_size
from nst_course.objective import REFERENCE_STYLE_SIZE, STYLE_CALIBRATIONS, Objective

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
GEN = torch.Generator().manual_seed(0)
FEATS = {"a": torch.rand(1, 3, 5, 4, generator=GEN), "b": torch.rand(1, 4, 3, 3, generator=GEN)}


def scaled_net(scale: float = 1.0):
    """A toy network: fixed features times the image's mean (times ``scale`` for a "style")."""
    return lambda img, layers: {k: FEATS[k] * img.mean() * scale for k in layers}


def test_style_size_is_the_style_loss_of_all_zero_features():
    targets = {k: torch.rand(1, f.shape[1], f.shape[1], generator=GEN) for k, f in FEATS.items()}
    weights = per_layer_weights(targets, [0.3, 0.7])
    expected = sum(w * 0.25 * targets[k].pow(2).sum() for k, w in weights.items())
    torch.testing.assert_close(style_size(targets, weights), expected)
    zero = {k: torch.zeros_like(a) for k, a in targets.items()}
    torch.testing.assert_close(style_size(targets, weights),
                               sum(w * style_layer_loss(zero[k], targets[k]) for k, w in weights.items()))


@pytest.mark.parametrize("scale", [0.1, 3.0])
def test_calibrated_style_term_does_not_depend_on_the_size_of_the_styles_gram_matrices(scale):
    """Features times s make every Gram matrix s^2 larger and the style loss s^4 larger: the
    calibrated term (effective weight x style loss) is the same, the reported loss the paper's."""
    img, style = torch.full((1, 3, 4, 4), 0.5), torch.full((1, 3, 4, 4), 0.25)
    kw = dict(style_layers=("a", "b"), style_weight=10.0, fast=False)
    one = Objective(scaled_net(), None, style, style_calibration="target", **kw)
    big = Objective(scaled_net(scale), None, style, style_calibration="target", **kw)
    paper = Objective(scaled_net(scale), None, style, **kw)
    _, p1 = one(img)
    _, p2 = big(img)
    _, p3 = paper(img)
    assert big.style_factor == pytest.approx(one.style_factor / scale**4, rel=1e-5)
    torch.testing.assert_close(p2["total"], p1["total"])  # the same term, whatever the scale
    torch.testing.assert_close(p2["style"], p3["style"])  # reported: the paper's L_s
    torch.testing.assert_close(p3["total"], 10.0 * p3["style"])  # "none": the paper's weighting
    torch.testing.assert_close(p2["total"], big.effective_style_weight * p2["style"])
    size = style_size(big.style_targets, big.style_layer_weights).item()
    assert big.effective_style_weight == pytest.approx(10.0 * REFERENCE_STYLE_SIZE / size)
    assert "calibrated" in repr(big) and "calibrated" not in repr(paper)


def test_calibration_without_a_style_is_a_factor_of_one():
    content = torch.rand(1, 3, 4, 4)
    obj = Objective(scaled_net(), content, None, content_layers=("a",), style_calibration="target",
                    fast=False)
    assert obj.style_factor == 1.0 and obj(content)[1]["total"].item() == 0


def test_a_wrong_calibration_is_one_sentence(astronaut64, swirls64):
    with pytest.raises(ValueError, match="style_calibration must be one of 'none', 'target', not 'on'"):
        Objective(scaled_net(), None, torch.rand(1, 3, 4, 4), style_layers=("a",), style_calibration="on")
    with pytest.raises(ValueError, match="style_calibration must be one of"):
        optimize.stylize(astronaut64, swirls64, steps=1, style_calibration="auto", progress=False)


def test_the_product_path_calibrates_and_the_objective_keeps_the_papers_weighting():
    def default(fn, name):
        return inspect.signature(fn).parameters[name].default

    assert STYLE_CALIBRATIONS == ("none", "target")
    assert default(Objective.__init__, "style_calibration") == "none"  # lessons 03-05 teach it
    assert optimize.DEFAULT_STYLE_CALIBRATION == "target"
    assert default(optimize.stylize, "style_calibration") == "target"
    assert default(control.masked_stylize, "style_calibration") == "target"
    from nst_course.cli import build_parser

    args = build_parser().parse_args(["stylize", "a", "b", "-o", "o.png"])
    assert args.style_calibration == "target"
    args = build_parser().parse_args(["stylize", "a", "b", "-o", "o.png", "--style-calibration", "none"])
    assert args.style_calibration == "none"


def test_stylize_reports_the_papers_losses_and_weighs_them_calibrated(astronaut64, swirls64):
    from nst_course import load_vgg

    vgg = load_vgg()
    calibrated = Objective(vgg, astronaut64, swirls64, style_weight=5.0, style_calibration="target")
    paper = Objective(vgg, astronaut64, swirls64, style_weight=5.0)
    with torch.no_grad():
        _, pc = calibrated(astronaut64)
        _, pp = paper(astronaut64)
    r = optimize.stylize(astronaut64, swirls64, steps=1, style_weight=5.0, progress=False,
                         precision="float32")
    assert r.history[0].style_loss == pytest.approx(pp["style"].item(), rel=1e-4)
    assert r.history[0].total_loss == pytest.approx(pc["total"].item(), rel=1e-4)
    assert calibrated.style_factor != pytest.approx(1.0, rel=0.05)  # swirls is not the reference


def test_lesson_04s_runs_use_the_papers_weighting(monkeypatch, astronaut64, swirls64):
    seen = []

    def fake_stylize(content, style, **kw):
        seen.append(kw.get("style_calibration"))
        return optimize.Result(image=content)

    monkeypatch.setattr(explorer, "stylize", fake_stylize)
    monkeypatch.setattr(explorer, "measure", lambda *a, **kw: (1.0, 1.0))
    explorer.run_one(astronaut64, swirls64, style_weight=2.0, steps=1)
    explorer.quadrant_runs(astronaut64, swirls64, steps=1)
    assert seen == ["none"] * 5


def _code(nb: str) -> str:
    cells = json.loads((NOTEBOOKS / nb).read_text())["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")


@pytest.mark.parametrize("nb, call", [
    ("03_gram_matrices.ipynb", "with_photo = stylize("),  # the style weight 1 vs 10 of its prose
    ("08_write_it_yourself.ipynb", "ref = stylize("),      # compared with the learner's objective
    ("09_train_a_fast_network.ipynb", "gatys = stylize("),  # measured by the training objective
])
def test_lessons_that_compare_stylize_with_the_formula_ask_for_the_papers_weighting(nb, call):
    code = _code(nb)
    start = code.index(call)
    end = code.index(")\n", start)
    assert 'style_calibration="none"' in code[start:end], f"{nb}: {code[start:end]}"


def test_the_gallery_draws_every_style_in_both_weightings_and_writes_a_small_png(tmp_path):
    from PIL import Image

    from nst_course import gallery
    from nst_course.harness import Step

    step = Step(step=1, content_loss=1.0, style_loss=0.5, tv_loss=0.0, total_loss=6.0, seconds=0.1)
    runs = {(cal, name): optimize.Result(image=torch.rand(1, 3, 24, 32), history=[step])
            for cal in ("none", "target") for name in ("starry_night", "swirls")}
    fig = gallery.painting_grid(runs, sizes={"starry_night": 2.4, "swirls": 6.3})
    titles = [" ".join(ax.get_title().split()) for ax in fig.axes]
    assert "The Starry Night (van Gogh), S(A) = 2.4" in titles and "swirls (generated), S(A) = 6.3" in titles
    assert sum(t.startswith("calibrated") for t in titles) == 2
    assert sum(t.startswith("paper's weighting") for t in titles) == 2
    path = gallery.save_small_png(fig, tmp_path / "grid.png")
    assert Image.open(path).mode == "P"  # a palette PNG


def test_the_readme_shows_every_bundled_painting_at_the_default():
    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text()
    assert "![The cat photo (chelsea) stylized with each of the five bundled paintings" in readme
    assert "](docs/every_painting.png)" in readme
    assert (root / "docs" / "every_painting.png").stat().st_size < 300_000
