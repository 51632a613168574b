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


# --- found by the sweep's api- group: the library checks what the command line checks -------------

def _train(**kw):
    from nst_course.feedforward import StyleNet
    from nst_course.training import train

    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1)
    args = {"steps": 1, "batch_size": 1, "crop": 32, "photos": [torch.rand(1, 3, 64, 64, generator=g)],
            "progress": False, **kw}
    return train(StyleNet(["s"], width=4), [torch.rand(1, 3, 64, 64, generator=g)], **args)


def _refusals():
    from nst_course import gram_matrix, reconstruct, synthesize_texture
    from nst_course.adain import adain_stylize
    from nst_course.losses import content_loss
    from nst_course.plotting import plot_history

    x = torch.rand(1, 3, 32, 32)
    sty = dict(steps=1, weights="random", progress=False)
    return [
        ("style_weight nan", lambda: stylize(x, x, style_weight=float("nan"), **sty), "style_weight"),
        ("tv_weight -1", lambda: stylize(x, x, tv_weight=-1.0, **sty), "tv_weight must be a finite number"),
        ("weights not numbers", lambda: stylize(x, x, style_weight="10", **sty), "must be a number"),
        ("both weights 0", lambda: stylize(x, x, content_weight=0, style_weight=0, **sty), "both 0"),
        ("callback_every 0", lambda: stylize(x, x, callback=lambda r, i: None, callback_every=0, **sty),
         "callback_every must be at least 1"),
        ("style []", lambda: stylize(x, [], **sty), "style is an empty list"),
        ("reconstruct steps 0", lambda: reconstruct(x, "conv1_1", steps=0, weights="random",
                                                    progress=False), "steps must be at least 1"),
        ("texture steps 0", lambda: synthesize_texture(x, steps=0, weights="random", progress=False),
         "steps must be at least 1"),
        ("adain size 20", lambda: adain_stylize(x, x, size=20), "size must be at least 32"),
        ("train steps 0", lambda: _train(steps=0), "steps must be at least 1"),
        ("train minutes -1", lambda: _train(steps=None, minutes=-1), "minutes must be a number above 0"),
        ("train minutes 0", lambda: _train(steps=None, minutes=0), "minutes must be a number above 0"),
        ("train seed -1", lambda: _train(seed=-1), "seed must be at least 0"),
        ("gram of a list", lambda: gram_matrix([[1.0, 2.0]]), "must be a tensor (N, C, H, W), not list"),
        ("content loss shapes", lambda: content_loss(torch.rand(1, 3, 8, 8), torch.rand(1, 4, 8, 8)),
         "shapes (1, 3, 8, 8) and (1, 4, 8, 8)"),
        ("plot_history None", lambda: plot_history(None), "history is a list of step records"),
        ("plot_history 5", lambda: plot_history(5), "not int"),
    ]


@pytest.mark.parametrize("case", range(17))
def test_library_refusals_are_one_sentence(case):
    """Before: NaN and negative weights ran, callback_every=0 divided by zero, style=[] was an
    IndexError, steps=0 "finished", train(minutes=-1) trained, gram_matrix(list) an AttributeError,
    content_loss of two shapes a broadcasting RuntimeError, plot_history(None) 'not iterable'."""
    name, fn, expected = _refusals()[case]
    with pytest.raises((ValueError, TypeError)) as e:
        fn()
    msg = str(e.value)
    assert expected in msg and len(msg.splitlines()) == 1, (name, msg)
    assert type(e.value).__name__ in ("ValueError", "TypeError", "ImageError"), (name, e.value)


def test_save_image_takes_arrays_and_refuses_others_in_a_sentence(tmp_path):
    import os

    import numpy as np

    from nst_course import save_image
    from nst_course.images import ImageError

    p = save_image(np.zeros((40, 50, 3), np.uint8), tmp_path / "a.png")
    assert p.stat().st_size > 0
    with pytest.raises(ImageError, match="not int"):
        save_image(5, tmp_path / "b.png")
    os.mkfifo(tmp_path / "f.png")
    with pytest.raises(OSError, match="is not a regular file"):  # not replaced by a file
        save_image(torch.rand(1, 3, 8, 8), tmp_path / "f.png", overwrite=True)
    assert not (tmp_path / "f.png").is_file()


def test_a_failed_write_names_the_users_file_not_errno_or_the_temporary_one(tmp_path):
    """A full disk said "[Errno 28] No space left on device" (no path); save_or_fallback still
    falls back, and its message says it once."""
    import errno

    from nst_course.files import OutputError, save_or_fallback, write_atomic

    def full(tmp):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp))

    target = tmp_path / "out.png"
    with pytest.raises(OutputError) as e:
        write_atomic(target, full)
    msg = str(e.value)
    assert msg == f"could not write {target} (No space left on device)." and "Errno" not in msg
    assert not list(tmp_path.iterdir())  # no temporary file left
    calls = []

    def save(path, overwrite=False):
        calls.append(path)
        return write_atomic(path, full if len(calls) == 1 else (lambda t: t.write_bytes(b"x")),
                            overwrite=overwrite)
    where, note = save_or_fallback(save, target)
    assert where != target and note.count("could not write") == 1 and "No space left" in note
    where.unlink()
