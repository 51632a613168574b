"""tools/coordinates_probe.py: its coordinates start at the photo and stay images, and its table
reads the runs it made (tiny sizes; the README's figures come from the tool at 256 and 512 px)."""

import json
import sys
from pathlib import Path

import pytest
import torch
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import coordinates_probe as P  # noqa: E402


@pytest.mark.parametrize("variant", ["pixels", "sigmoid", "fourier1", "fourier0.5", "pyramid3",
                                     "colour", "pyramid3c"])
def test_every_parameterisation_starts_at_the_photo_and_clamps_to_an_image(variant):
    photo = torch.rand(1, 3, 20, 27) * 0.98 + 0.01
    x = P.coordinates(variant, photo)
    assert torch.allclose(x.image(), photo, atol=2e-3 if variant == "sigmoid" else 1e-5)
    with torch.no_grad():
        for p in x.levels:
            p.add_(torch.randn_like(p))
    x.clamp_(0, 1)
    assert x.image().min() >= -1e-5 and x.image().max() <= 1 + 1e-5


def test_fourier_scale_weights_low_frequencies_more():
    x = P.Fourier(torch.rand(1, 3, 16, 16), decay=1.0)
    # the constant counts as one cycle per image, like the lowest frequency; the highest weighs least
    assert x.scale[0, 0] == x.scale[0, 1] > x.scale[4, 4] > x.scale[8, 8]
    assert x.scale.mean().item() == pytest.approx(1.0)


def test_probe_runs_and_its_table_reads_the_measurements(capsys, tmp_path):
    out = tmp_path / "probe.json"
    assert P.main(["--size", "32", "--steps", "4", "--every", "2", "--variants", "bounds",
                   "pyramid3", "--json", str(out), "--images", str(tmp_path / "pictures")]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = {line.split(" | ")[0].strip("| `"): line.split(" | ") for line in lines if line.startswith("| `")}
    assert set(rows) == {"pixels", "bounds", "pyramid3"}  # the reference is always measured
    assert rows["pixels"][1] == "1.000" and rows["pixels"][2].startswith("step 4")
    measured = json.loads(out.read_text())
    assert [s for s, *_ in measured["bounds"]] == [0, 2, 4]
    ratio = measured["pyramid3"][-1][2] / measured["pixels"][-1][2]
    assert rows["pyramid3"][1] == f"{ratio:.3f}"
    assert measured["pixels"][-1][2] < measured["pixels"][0][2]  # four steps lowered the loss
    for v in ("pixels", "bounds", "pyramid3"):  # every variant's last picture, at the photo's size
        assert Image.open(tmp_path / "pictures" / f"{v}.png").size == (32, 32)


def test_picture_names_have_no_spaces_or_colons():
    assert P.picture_name("pixels") == "pixels.png"
    assert P.picture_name("pyramid4 from half40:adain0.5") == "pyramid4_from_half40-adain0.5.png"


def test_adain_starts_are_run_for_every_variant_against_the_photo_s_pixels(capsys, monkeypatch):
    calls = []

    def fake_adain(content, style, alpha):
        calls.append(alpha)
        return type("R", (), {"image": torch.full((1, 3, 16, 16), 0.5), "seconds": 0.25})()
    monkeypatch.setattr(P, "adain_stylize", fake_adain)
    assert P.main(["--size", "32", "--steps", "2", "--every", "2", "--variants", "pixels", "pyramid3",
                   "--starts", "adain0.5"]) == 0
    rows = [line.split(" | ")[0].strip("| `") for line in capsys.readouterr().out.splitlines()
            if line.startswith("| `")]
    assert rows == ["pixels", "pixels from adain0.5", "pyramid3 from adain0.5"] and calls == [0.5]
    image, seconds = P.start_image("adain", torch.rand(1, 3, 20, 30), torch.rand(1, 3, 30, 30))
    assert image.shape == (1, 3, 20, 30) and seconds == 0.25 and calls[-1] == 1.0  # the content's size
    for bad in ("adainx", "adain2", "noise"):
        with pytest.raises(SystemExit):
            P.start_image(bad, torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 8))


def test_the_bundled_network_start_is_its_picture_of_one_of_its_own_styles():
    image, seconds = P.start_image("net", torch.rand(1, 3, 20, 32), torch.rand(1, 3, 32, 32),
                                   "starry_night")
    assert image.shape == (1, 3, 20, 32) and 0 < seconds and 0 <= image.min() <= image.max() <= 1
    with pytest.raises(SystemExit, match="great_wave"):  # says which styles it knows
        P.start_image("net", torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 8), "swirls")


def test_an_unknown_variant_is_refused():
    with pytest.raises(SystemExit):
        P.main(["--variants", "newton"])


def test_a_pyramid_variant_can_name_its_level_weight_ratio(capsys):
    photo = torch.rand(1, 3, 20, 27)
    x = P.coordinates("pyramid4r1.4", photo)
    assert len(x.levels) == 4 and x.ratio == 1.4 and torch.allclose(x.image(), photo)
    assert P.coordinates("pyramid3", photo).ratio == 0.7  # the default ratio, pyramid.RATIO
    named = ("pyramid5", "pyramid2r2", "pyramid4b", "pyramid4r0.5b", "pyramid4c", "pyramid4r0.5bc")
    assert [P.variant_name(v) for v in named] == list(named)
    bounded = P.coordinates("pyramid4r0.5b", photo)  # the b changes the run, not the coordinates
    assert len(bounded.levels) == 4 and bounded.ratio == 0.5
    for bad in ("pyramid", "pyramid4r", "pyramidxr1", "pyramid4r1.4.2", "pyramid0", "fourier",
                "pyramid4bb", "pyramidb", "pyramid4br1", "pyramid4cb", "pyramid4cc"):
        with pytest.raises(SystemExit):
            P.main(["--size", "32", "--steps", "1", "--variants", bad])
        assert f"unknown variant {bad!r}" in capsys.readouterr().err  # one line, naming the forms
    with pytest.raises(SystemExit, match="pyramidLrR"):  # run() itself, called from Python
        P.run("pyramid4r", None, None, photo, 1, 1)


def test_a_coarse_start_runs_pyramid_steps_at_half_size_then_upsamples():
    content, style = torch.rand(1, 3, 32, 48), torch.rand(1, 3, 48, 48)
    image, seconds = P.start_image("half3:photo", content, style)
    assert image.shape == content.shape and seconds > 0 and 0 <= image.min() <= image.max() <= 1
    # three steps changed it: not the photo halved and put back
    halved = torch.nn.functional.interpolate(P.resize(content, 24), size=(32, 48), mode="bilinear")
    assert (image - halved).abs().mean() > 1e-3
    same, _ = P.start_image("half0", content, style)  # no steps: the photo at half size, upsampled
    assert torch.allclose(same, halved.clamp(0, 1), atol=1e-6)
    for bad in ("halfx:photo", "half3:half2", "half3:noise"):
        with pytest.raises(SystemExit):
            P.start_image(bad, content, style)


def test_a_bounded_pyramid_masks_the_pixels_gradient_and_remembers_the_step_it_took(monkeypatch):
    made = []

    class Recording(torch.optim.LBFGS):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)
    monkeypatch.setattr(torch.optim, "LBFGS", Recording)

    def objective(image):  # pulls every pixel to 1.5, past the bound: after two steps all are at 1
        total = ((image - 1.5) ** 2).sum()
        return total, {"total": total, "content": total, "style": total}

    start = torch.rand(1, 3, 16, 24, generator=torch.Generator().manual_seed(0)) * 0.6 + 0.2
    assert P.bounded("pyramid3b") and P.bounded("pyramid4r0.5b") and not P.bounded("pyramid3")

    def after(variant, steps):
        made.clear()
        checks, image = P.run(variant, objective, objective, start, steps, 1)
        opt = made[0]
        return P.flat(opt.param_groups[0]["params"]), opt.state[opt.param_groups[0]["params"][0]], image

    levels2, _, image2 = after("pyramid3b", 2)
    assert image2.min() > 1 - 1e-6  # at the bound, up to the pyramid's rounding
    levels3, state, _ = after("pyramid3b", 3)
    # every pixel at the bound pulling out: no gradient reaches any level
    assert state["prev_flat_grad"].abs().max() == 0
    # the pair L-BFGS forms next is the step taken, the clamp's projection included
    assert torch.allclose(state["d"] * state["t"], levels3 - levels2, atol=1e-6)
    _, unbounded, _ = after("pyramid3", 3)
    assert unbounded["prev_flat_grad"].abs().max() > 1  # without bounds the levels still get it


def test_colour_coordinates_decorrelate_the_start_s_colours():
    g = torch.Generator().manual_seed(0)
    grey = torch.rand(1, 1, 24, 32, generator=g)  # strongly correlated channels, a little colour
    start = (0.8 * grey + 0.2 * torch.rand(1, 3, 24, 32, generator=g)).clamp(0, 1)
    x = P.coordinates("colour", start)
    assert torch.allclose(x.image(), start, atol=1e-5)
    assert torch.linalg.det(x.C).item() == pytest.approx(1.0, rel=1e-4)
    y = x.levels[0].detach().reshape(3, -1)  # the coordinates' colours: uncorrelated, one scale
    cov = torch.cov(y)
    # (up to the 1e-4 the covariance gets on its diagonal, which keeps a grey start invertible)
    assert (cov - torch.diag(torch.diag(cov))).abs().max() < 2e-2 * torch.diag(cov).max()
    assert torch.diag(cov).max() / torch.diag(cov).min() < 1.1
    # the brightness axis, the start's widest, gets the largest steps: C's top eigenvector
    values, vectors = torch.linalg.eigh(x.C)
    assert values[-1] > 3 * values[0] and (vectors[:, -1].abs() > 0.4).all()
    p = P.coordinates("pyramid3c", start)
    assert isinstance(p.inner, P.Pyramid) and len(p.levels) == 3
    assert torch.allclose(p.image(), start, atol=1e-5)


def test_the_line_search_gets_evaluations_of_its_own_and_the_table_counts_them():
    def objective(image):  # nearly flat far from its minimum: a step of length 1 overshoots
        total = torch.log(torch.cosh(10 * (image - 0.9))).sum()
        return total, {"total": total, "content": total, "style": total}

    start = torch.full((1, 3, 8, 8), 0.1)
    checks, _ = P.run("wolfe", objective, objective, start, 5, 1)
    assert [c[0] for c in checks] == list(range(6))
    losses, evaluations = [c[2] for c in checks], [c[5] for c in checks]
    assert losses[-1] < 1e-3 * losses[0]  # it reaches the minimum (max_eval=1 froze it at step 1)
    assert evaluations[-1] > 5
    plain, _ = P.run("pixels", objective, objective, start, 5, 1)
    assert plain[-1][2] > 10 * losses[-1]  # the loop's fixed steps overshoot, back and forth
    assert [c[5] for c in plain] == list(range(6))
    # the table: a run's evaluations where they are not its steps (an earlier JSON has none)
    lines = P.table({"pixels": [(0, 0.0, 9.0, 1, 1, 0), (5, 1.0, 1.0, 1, 1, 5)],
                     "wolfe": [(0, 0.0, 9.0, 1, 1, 0), (5, 2.0, 1.0, 1, 1, 12)],
                     "old": [(0, 0.0, 9.0, 1, 1), (5, 1.5, 1.0, 1, 1)]}, 5)
    assert [line.split(" | ")[2] for line in lines[2:]] == [
        "step 5, 1 s", "step 5 (12 evaluations), 2 s", "step 5, 2 s"]


def test_scipy_s_l_bfgs_b_keeps_its_own_bounds_and_counts_its_evaluations():
    target = torch.linspace(-0.5, 1.5, 3 * 8 * 8).reshape(1, 3, 8, 8)  # half of it out of bounds

    def objective(image):  # coupled: the bounded minimum is not the unbounded one clamped
        total = ((image - target) ** 2).sum() + 0.05 * (image.sum() - 60.0) ** 2
        return total, {"total": total, "content": total, "style": total}

    start = torch.full((1, 3, 8, 8), 0.5)
    bounded = start.clone()  # the bounded minimum, by projected gradient descent
    for _ in range(3000):
        g, = torch.autograd.grad(objective(bounded.requires_grad_(True))[0], bounded)
        bounded = (bounded.detach() - 0.04 * g).clamp(0, 1)
    free = start.clone()  # the unbounded minimum: clamped afterwards, it is not the bounded one
    for _ in range(3000):
        g, = torch.autograd.grad(objective(free.requires_grad_(True))[0], free)
        free = free.detach() - 0.04 * g
    assert (free.clamp(0, 1) - bounded).abs().max() > 0.1

    checks, image = P.run("lbfgsb", objective, objective, start, 30, 5)
    assert (image - bounded).abs().max() < 1e-4  # the bounds were its own, not a clamp at the end
    # every 5 iterations, and where it stopped (here before 30: nothing was left to gain)
    steps = [c[0] for c in checks]
    assert steps[:2] == [0, 5] and steps[-1] <= 30 and checks[-1][5] >= steps[-1]
