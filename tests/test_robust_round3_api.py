"""Issue 26, round 3: the library refuses what the command line refuses, with one sentence."""

import pytest
import torch

from nst_course import stylize


@pytest.fixture(scope="module")
def pictures():
    g = torch.Generator().manual_seed(0)
    return torch.rand(1, 3, 32, 32, generator=g), torch.rand(1, 3, 32, 32, generator=g)


@pytest.mark.parametrize("kwargs, expected", [
    (dict(steps=0), "steps must be at least 1"),
    (dict(steps=-1), "steps must be at least 1"),
    (dict(steps=1.5), "steps must be a whole number"),
    (dict(steps=True), "steps must be a whole number"),
    (dict(size=20), "size must be at least 32"),
    (dict(blend=[1e308, 1e308]), "sum is not finite"),
    (dict(blend=[-1, 2]), "must not be negative"),
])
def test_stylize_refuses_bad_numbers_with_a_sentence(pictures, kwargs, expected):
    content, style = pictures
    kwargs = {"steps": 1, **kwargs}
    if "blend" in kwargs:
        kwargs["style_blend"] = kwargs.pop("blend")
        style = [style, style]
    with pytest.raises(ValueError, match=expected):
        stylize(content, style, weights="random", progress=False, **kwargs)


def test_cli_blend_weights_whose_sum_overflows_are_refused(tmp_path, capsys):
    from PIL import Image

    from nst_course.cli import main

    Image.new("RGB", (40, 40), "red").save(tmp_path / "c.png")
    code = main(["stylize", str(tmp_path / "c.png"), "swirls,swirls", "-o", str(tmp_path / "o.png"),
                   "--size", "32", "--steps", "1", "--weights", "random",
                   "--style-blend-weights", "1e308,1e308"])
    err = capsys.readouterr().err
    assert code == 2 and "sum is not finite" in err and not (tmp_path / "o.png").exists()
