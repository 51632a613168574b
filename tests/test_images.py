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


# --- issue 15: nothing lost, nothing cryptic -------------------------------------------------

def test_failed_save_leaves_an_existing_file_intact(tmp_path):
    # item 3: a 4-channel tensor cannot be a JPEG; the old file used to be emptied to 0 bytes
    p = tmp_path / "existing.jpg"
    p.write_bytes(b"precious")
    with pytest.raises(ValueError, match="4 channels"):
        save_image(torch.rand(1, 4, 40, 60), p)
    assert p.read_bytes() == b"precious"
    assert [q.name for q in tmp_path.iterdir()] == ["existing.jpg"]  # no temporary file left


def test_disk_full_midway_keeps_the_old_file(tmp_path, monkeypatch):
    # item 2: PIL wrote into the target; a full disk left a cut-off PNG in place of the old one
    import errno

    p = tmp_path / "o.png"
    save_image(torch.rand(1, 3, 40, 60), p)
    before = p.read_bytes()

    def half_then_full(self, fp, *args, **kwargs):
        with open(fp, "wb") as f:
            f.write(before[: len(before) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Image.Image, "save", half_then_full)
    with pytest.raises(OSError, match="No space"):
        save_image(torch.rand(1, 3, 40, 60), p, overwrite=True)
    assert p.read_bytes() == before
    assert [q.name for q in tmp_path.iterdir()] == ["o.png"]


def test_save_without_overwrite_keeps_a_file_that_appears_meanwhile(tmp_path, monkeypatch):
    # item 1 (API side): a file created while the image is being written is never replaced
    p = tmp_path / "race.png"
    real_save = Image.Image.save

    def save_then_someone_else_writes(self, fp, *args, **kwargs):
        real_save(self, fp, *args, **kwargs)
        p.write_bytes(b"theirs")

    monkeypatch.setattr(Image.Image, "save", save_then_someone_else_writes)
    with pytest.raises(FileExistsError, match="appeared"):
        save_image(torch.rand(1, 3, 40, 60), p, overwrite=False)
    assert p.read_bytes() == b"theirs"
    assert [q.name for q in tmp_path.iterdir()] == ["race.png"]


def test_save_image_into_a_folder_name_is_refused(tmp_path):
    (tmp_path / "dir.png").mkdir()
    with pytest.raises(ImageError, match="is a folder"):
        save_image(torch.rand(1, 3, 8, 8), tmp_path / "dir.png")


@pytest.mark.parametrize("wh, size, need", [((2000, 40), 256, 1600), ((120, 40), 32, 96)])
def test_wide_image_is_checked_after_resizing(tmp_path, wh, size, need):
    # item 6: the short side was checked before resizing; VGG19 then died in max-pooling
    p = tmp_path / "wide.png"
    Image.fromarray(rgb_array(wh[1], wh[0])).save(p)
    with pytest.raises(ImageError, match=f"wide.png .*at least {need}"):
        load_image(p, size)
    assert min(load_image(p, need).shape[-2:]) == 32


def test_png_text_chunk_bomb_names_the_file(tmp_path):
    # item 7: ValueError without the file name
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("bomb", "A" * (20 * 2**20), zip=True)  # 20 KB on disk, 20 MB unpacked
    p = tmp_path / "bomb.png"
    Image.fromarray(rgb_array()).save(p, pnginfo=info)
    with pytest.raises(ImageError, match="bomb.png"):
        load_image(p)


def test_image_files_are_closed_after_reading(tmp_path):
    # an animated GIF kept its file open until garbage collection: "unclosed file" ResourceWarning
    import gc
    import warnings

    p = tmp_path / "anim.gif"
    frames = [Image.fromarray(rgb_array()), Image.fromarray(255 - rgb_array())]
    frames[0].save(p, save_all=True, append_images=frames[1:])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        img = load_image(p)
        gc.collect()
    assert img.shape == (1, 3, 40, 60)
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)], caught


def test_misspelled_sample_gets_did_you_mean():
    with pytest.raises(ImageError, match="no such file.*Did you mean 'starry_night'"):
        load_image("starry_nite")
    with pytest.raises(ImageError, match="Did you mean 'astronaut'"):
        load_image("astronuat")


def test_uppercase_scheme_is_a_url():
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with pytest.raises(ImageError, match="could not reach HTTP://"):
        load_image(f"HTTP://127.0.0.1:{port}/x.png")


def test_enlarging_is_noted_and_huge_sizes_refused_before_allocating(tmp_path):
    # item 11: --size 8000 silently upscaled; --size 100000 died in the allocator
    p = tmp_path / "a.png"
    Image.fromarray(rgb_array()).save(p)
    with pytest.warns(UserWarning, match="enlarged to 120x80"):
        load_image(p, 120)
    with pytest.raises(ImageError, match=r"MP\), more than the 64 MP"):
        load_image("astronaut", 100_000)


BAD_TENSORS = {
    "2-D": (torch.rand(40, 40), "shape"),
    "batch": (torch.rand(2, 3, 40, 40), "batch of 2"),
    "4 channels": (torch.rand(1, 4, 40, 40), "4 channels"),
    "int64": (torch.randint(0, 255, (1, 3, 40, 40)), "int64"),
    "0-255 floats": (torch.rand(1, 3, 40, 40) * 255, "divide by 255"),
    "NaN": (torch.full((1, 3, 40, 40), float("nan")), "NaN"),
    "8x8": (torch.rand(1, 3, 8, 8), "only 8x8"),
    "normalised": (torch.randn(1, 3, 40, 40) * 2, "values from"),
    "empty": (torch.rand(0, 3, 40, 40), "empty"),
}


@pytest.mark.parametrize("case", list(BAD_TENSORS))
def test_bad_tensors_get_one_clear_value_error(case):
    from nst_course.images import as_image_tensor

    x, expected = BAD_TENSORS[case]
    with pytest.raises(ValueError, match=expected) as e:
        as_image_tensor(x, "content")
    assert str(e.value).startswith("content ")


def test_documented_tensor_conversions():
    from nst_course.images import as_image_tensor

    x = torch.rand(1, 3, 40, 40)
    assert torch.equal(as_image_tensor(x.double()), x)  # float64 -> float32
    assert as_image_tensor(x[0]).shape == (1, 3, 40, 40)  # (3, H, W) gets a batch dimension
    grey = as_image_tensor(x[:, :1])
    assert grey.shape == (1, 3, 40, 40) and torch.equal(grey[0, 0], grey[0, 2])
    u8 = as_image_tensor((x * 255).round().to(torch.uint8))
    assert u8.dtype == torch.float32 and (u8 - x).abs().max() < 0.003
    assert as_image_tensor("astronaut") == "astronaut"  # not a tensor: left to load_image
    with pytest.raises(ValueError, match="image is empty"):
        load_image(torch.rand(0, 3, 40, 40))  # load_image takes batches, but not empty ones
