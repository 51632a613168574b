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


# --- what load_image (and so stylize, adain_stylize) takes as an image (found by the sweep) -------

def _png(tmp_path):
    import numpy as np
    from PIL import Image

    path = tmp_path / "good.png"
    Image.fromarray((np.random.default_rng(0).random((48, 64, 3)) * 255).astype(np.uint8)).save(path)
    return path


def test_bytes_file_urls_and_arrays_load_as_images(tmp_path):
    """The sweep: bytes and numpy arrays failed with "[Errno 36] File name too long" (their str()
    was taken for a path) and file:// URLs with "file:/...: no such file"."""
    import numpy as np

    from nst_course import load_image

    path = _png(tmp_path)
    from_file = load_image(path)
    assert torch.equal(load_image(path.read_bytes()), from_file)
    assert torch.equal(load_image(path.as_uri()), from_file)
    assert torch.equal(load_image(f"file://{path}"), from_file)
    arr = (from_file[0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
    assert torch.allclose(load_image(arr), from_file, atol=1 / 255)
    assert load_image(np.full((40, 50), 0.5, np.float32)).shape == (1, 3, 40, 50)


@pytest.mark.parametrize("source, expected", [
    (b"", "the image data is empty"),
    (b"not an image at all", "the image data (19 bytes) is not an image file"),
    ("file:///no/such/dir/none.png", "file:///no/such/dir/none.png: no such file"),
    (123, "not int"),
    (None, "not NoneType"),
    ([1, 2], "not list"),
    ("numpy7", "not shape (48, 64, 7)"),
])
def test_sources_that_are_not_images_are_one_sentence(source, expected):
    import numpy as np

    from nst_course import load_image
    from nst_course.images import ImageError

    if source == "numpy7":
        source = np.zeros((48, 64, 7), np.uint8)
    with pytest.raises(ImageError) as e:
        load_image(source)
    msg = str(e.value)
    assert expected in msg and len(msg.splitlines()) == 1 and "Errno" not in msg, msg


def test_stylize_takes_bytes_and_file_urls(tmp_path):
    path = _png(tmp_path)
    for content in (path.read_bytes(), path.as_uri()):
        r = stylize(content, "swirls", steps=1, size=32, weights="random", progress=False)
        assert r.image.shape == (1, 3, 24, 32)
