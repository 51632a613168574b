"""Bad input, everywhere: each case is converted with a note or refused with one sentence."""

import numpy as np
import pytest
import torch
from PIL import Image

from nst_course import ImageError, load_image, save_image
from nst_course.images import resize


def rgb_array(h=40, w=60):
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (h, w, 3), dtype=np.uint8)


def test_png_loads_as_unit_range_tensor(tmp_path):
    p = tmp_path / "a.png"
    Image.fromarray(rgb_array()).save(p)
    img = load_image(p)
    assert img.shape == (1, 3, 40, 60) and img.dtype == torch.float32
    assert 0 <= img.min() and img.max() <= 1
    assert load_image(str(p), size=30).shape == (1, 3, 20, 30)


def test_resize_by_long_side():
    img = torch.rand(1, 3, 300, 200)
    assert resize(img, 150).shape == (1, 3, 150, 100)
    assert resize(img, None) is img


def test_missing_file(tmp_path):
    with pytest.raises(ImageError, match="no such file"):
        load_image(tmp_path / "nope.jpg")


def test_folder_is_not_an_image(tmp_path):
    with pytest.raises(ImageError, match="folder"):
        load_image(tmp_path)


def test_not_an_image(tmp_path):
    p = tmp_path / "notes.jpg"
    p.write_text("this is text, not a picture")
    with pytest.raises(ImageError, match="not an image"):
        load_image(p)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_truncated_file(tmp_path, fmt):
    p = tmp_path / f"cut.{fmt.lower()}"
    Image.fromarray(rgb_array(200, 200)).save(p, fmt)
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageError, match="truncated"):
        load_image(p)


def test_rgba_is_composited_on_white(tmp_path):
    a = np.zeros((40, 40, 4), np.uint8)
    a[..., 0] = 255  # red, fully transparent on the left half
    a[:, 20:, 3] = 255
    p = tmp_path / "t.png"
    Image.fromarray(a, "RGBA").save(p)
    with pytest.warns(UserWarning, match="transparency"):
        img = load_image(p)
    assert img[0, :, 5, 5].tolist() == [1.0, 1.0, 1.0]  # transparent -> white
    assert img[0, :, 5, 30].tolist() == [1.0, 0.0, 0.0]


def test_palette_image(tmp_path):
    p = tmp_path / "p.png"
    Image.fromarray(rgb_array()).convert("P").save(p)
    assert load_image(p).shape == (1, 3, 40, 60)


def test_cmyk_jpeg(tmp_path):
    p = tmp_path / "c.jpg"
    Image.fromarray(rgb_array()).convert("CMYK").save(p)
    with pytest.warns(UserWarning, match="CMYK"):
        assert load_image(p).shape == (1, 3, 40, 60)


def test_16_bit_greyscale(tmp_path):
    a = (np.linspace(0, 65535, 40 * 50).reshape(40, 50)).astype(np.uint16)
    p = tmp_path / "deep.png"
    Image.fromarray(a).save(p)
    with pytest.warns(UserWarning, match="16-bit"):
        img = load_image(p)
    assert img.shape == (1, 3, 40, 50)
    assert img.max().item() == pytest.approx(1.0, abs=0.01)  # full range kept


def test_greyscale_is_copied_to_three_channels(tmp_path):
    p = tmp_path / "g.png"
    Image.fromarray(rgb_array()[..., 0]).save(p)
    with pytest.warns(UserWarning, match="greyscale"):
        img = load_image(p)
    assert torch.equal(img[0, 0], img[0, 1])


def test_exif_rotation_is_applied(tmp_path):
    p = tmp_path / "rot.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    Image.fromarray(rgb_array(40, 60)).save(p, exif=exif)
    with pytest.warns(UserWarning, match="EXIF"):
        img = load_image(p)
    assert img.shape == (1, 3, 60, 40)


def test_enormous_image_is_refused(tmp_path):
    p = tmp_path / "huge.png"
    Image.new("1", (10_000, 10_000)).save(p)  # 100 MP, tiny file
    with pytest.raises(ImageError, match="100 MP"):
        load_image(p)


def test_tiny_image_is_refused(tmp_path):
    p = tmp_path / "tiny.png"
    Image.fromarray(rgb_array(20, 20)).save(p)
    with pytest.raises(ImageError, match="at least 32 px"):
        load_image(p)


def test_save_refuses_to_overwrite(tmp_path):
    p = tmp_path / "o.png"
    save_image(torch.rand(1, 3, 8, 8), p)
    with pytest.raises(FileExistsError, match="--force"):
        save_image(torch.rand(1, 3, 8, 8), p, overwrite=False)
    with pytest.raises(ImageError, match="unknown image type"):
        save_image(torch.rand(1, 3, 8, 8), tmp_path / "o.txt")


def test_round_trip_is_exact_for_8bit(tmp_path):
    a = rgb_array()
    p = tmp_path / "r.png"
    Image.fromarray(a).save(p)
    q = save_image(load_image(p), tmp_path / "r2.png")
    assert np.array_equal(np.asarray(Image.open(q)), a)
