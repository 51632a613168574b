"""Issue 26, round 3: inputs and outputs that are not plain files (black-box: CLI and public API)."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nst_course import load_image
from nst_course.files import check_writable
from nst_course.images import ImageError
from nst_course.lessons import copy_lessons

ROOT = Path(__file__).resolve().parents[1]


def cli(args, tmp_path, timeout=60):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TQDM_DISABLE": "1"}
    r = subprocess.run([sys.executable, "-m", "nst_course", *map(str, args)], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=timeout)
    assert "Traceback" not in r.stderr, r.stderr
    return r


def test_fifo_as_input_is_refused_not_waited_on(tmp_path):
    os.mkfifo(tmp_path / "pipe.png")
    with pytest.raises(ImageError, match="not a regular file"):
        load_image(tmp_path / "pipe.png")  # before the fix: waits forever for a writer


def test_fifo_as_adain_input_is_one_line(tmp_path):
    os.mkfifo(tmp_path / "pipe.png")
    r = cli(["adain", "pipe.png", "swirls", "-o", "o.png"], tmp_path, timeout=30)
    assert r.returncode == 2 and "not a regular file" in r.stderr


def test_float_tiff_in_0_1_loads_with_its_brightness(tmp_path):
    arr = np.full((40, 40), 0.5, dtype=np.float32)
    Image.fromarray(arr, mode="F").save(tmp_path / "f.tif")
    with pytest.warns(UserWarning):
        img = load_image(tmp_path / "f.tif")
    assert img.mean().item() == pytest.approx(0.5, abs=0.01)  # before: ~0.002, all black


@pytest.mark.parametrize("make", ["dangling", "loop"])
def test_symlink_as_output_counts_as_existing_before_the_run(tmp_path, make):
    out = tmp_path / "o.png"
    if make == "dangling":
        out.symlink_to(tmp_path / "nowhere.png")
    else:
        out.symlink_to(out)
    with pytest.raises(FileExistsError, match="exists already"):
        check_writable(out)


def test_symlink_output_refused_by_the_cli_before_the_run(tmp_path):
    (tmp_path / "o.png").symlink_to(tmp_path / "nowhere.png")
    Image.new("RGB", (40, 40), "red").save(tmp_path / "c.png")
    r = cli(["stylize", "c.png", "swirls", "-o", "o.png", "--steps", "1", "--size", "32",
             "--weights", "random"], tmp_path)
    assert r.returncode == 2 and "exists already" in r.stderr and "Stylizing" not in r.stderr


def test_fifty_two_style_names_are_a_sentence_not_file_name_too_long(tmp_path):
    Image.new("RGB", (40, 40), "red").save(tmp_path / "c.png")
    names = ",".join(f"no_such_style_number_{k}" for k in range(52))
    r = cli(["stylize", "c.png", names, "-o", "o.png", "--steps", "1", "--size", "32",
             "--weights", "random"], tmp_path)
    assert r.returncode == 2 and "too long" not in r.stderr.lower()
    assert "no_such_style_number_0" in r.stderr


def test_lessons_into_a_folder_whose_lesson_is_a_folder(tmp_path):
    (tmp_path / "L" / "00_start_here.ipynb").mkdir(parents=True)
    r = cli(["lessons", "L"], tmp_path)
    assert r.returncode == 2 and "is a folder where the lesson" in r.stderr
    assert "Kept" not in r.stdout


def test_copy_lessons_refuses_a_folder_in_a_lessons_place(tmp_path):
    (tmp_path / "00_start_here.ipynb").mkdir()
    with pytest.raises(OSError, match="is a folder where the lesson"):
        copy_lessons(tmp_path, overwrite=True)


def test_fifo_as_net_is_refused(tmp_path):
    os.mkfifo(tmp_path / "n.pt")
    r = cli(["apply", "n.pt", "astronaut", "-o", "o.png"], tmp_path, timeout=30)
    assert r.returncode == 2 and "not a regular file" in r.stderr


def test_a_device_that_is_not_there_is_one_sentence(tmp_path):
    r = cli(["adain", "astronaut", "swirls", "-o", "o.png", "--device", "cuda:99"], tmp_path)
    assert r.returncode == 2 and "this machine has" in r.stderr and "use cpu" in r.stderr
    assert "NVIDIA driver" not in r.stderr


def test_lessons_onto_a_disk_that_refuses_writes_is_a_sentence(tmp_path):
    import resource
    import signal

    def small_files():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (200, 200))

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-m", "nst_course", "lessons", "L"], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=60, preexec_fn=small_files)
    assert r.returncode == 2 and "cannot write the lessons into L" in r.stderr
    assert "Errno" not in r.stderr and "Traceback" not in r.stderr


def test_adain_onto_a_disk_that_refuses_writes_takes_the_fallback_path(tmp_path):
    import resource
    import signal

    def small_files():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (200, 200))

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-m", "nst_course", "adain", "astronaut", "swirls", "-o",
                        "o.png", "--size", "64"], cwd=tmp_path, env=env, capture_output=True,
                       text=True, timeout=120, preexec_fn=small_files)
    line = r.stderr.strip().splitlines()[-1]
    assert r.returncode == 2 and "could not write o.png" in line and "failed too" in line, r.stderr
    assert "Errno" not in r.stderr


def test_lessons_into_an_empty_folder_name_is_refused(tmp_path):
    r = cli(["lessons", ""], tmp_path)
    assert r.returncode == 2 and "folder name is empty" in r.stderr
    assert not list(tmp_path.glob("*.ipynb"))


@pytest.mark.parametrize("dtype", ["float32", "uint16"])
def test_rgb_tiffs_pil_cannot_read_load_with_their_brightness(tmp_path, dtype):
    """The sweep: an RGB float32 TIFF (tifffile, scikit-image) was 'not an image file PIL can
    read'; round 3 had fixed only the one-channel float TIFF."""
    import tifffile

    grey = np.random.default_rng(0).random((40, 48)).astype(np.float32) * 0.5 + 0.25  # mean 0.5
    data = np.stack([grey] * 3, -1)
    if dtype == "uint16":
        data = (data * 65535).astype(np.uint16)
    tifffile.imwrite(tmp_path / "rgb.tif", data)
    img = load_image(tmp_path / "rgb.tif")
    assert img.shape == (1, 3, 40, 48) and abs(img.mean().item() - 0.5) < 0.01


@pytest.mark.parametrize("name, expected", [
    ("x" * 300 + ".png", "(304 characters) cannot be a file here (File name too long)"),
    ("good\n.png", "'good\\n.png': no such file"),
    ("http://127.0.0.1:9/a.png", "(Connection refused; offline?)"),
])
def test_odd_names_are_one_line_without_errno(tmp_path, name, expected, monkeypatch):
    """The sweep: a 300-character name was "OSError: [Errno 36] File name too long", a newline in
    a name split the message over two lines, a closed port said "[Errno 111] Connection refused"."""
    monkeypatch.setenv("NST_COURSE_CACHE", str(tmp_path / "cache"))
    with pytest.raises(ImageError) as e:
        load_image(name)
    msg = str(e.value)
    assert expected in msg and "\n" not in msg and "Errno" not in msg, msg
