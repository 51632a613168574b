"""Property-based bad input (hypothesis): whatever bytes, shapes, dtypes and numbers come in,

* ``load_image`` returns a ``(1, 3, H, W)`` float32 tensor in [0, 1] or raises ``ImageError``;
* ``save_image`` writes a readable image or raises ``ValueError`` (``ImageError``) /
  ``FileExistsError``, and never changes an existing file unless ``overwrite=True``
  and the save succeeds;
* the command line returns an exit status with at most a one-line error (argparse's usage
  errors exit 2), never a traceback, and never changes an existing OUTPUT without ``--force``.

Kept fast: few examples, tiny images, ``stylize`` replaced by a stand-in in the CLI test.
"""

import io
import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from PIL import Image

from nst_course import ImageError, budget, load_image, optimize, save_image
from nst_course.cli import main
from nst_course.optimize import Result

FAST = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _valid_image_bytes(fmt: str) -> bytes:
    buf = io.BytesIO()
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (40, 48, 3), dtype=np.uint8)).save(buf, fmt)
    return buf.getvalue()


VALID = {fmt: _valid_image_bytes(fmt) for fmt in ("PNG", "JPEG", "GIF", "BMP", "WEBP")}


@st.composite
def damaged_images(draw):
    """A valid small image file with bytes flipped, cut off or appended."""
    data = bytearray(VALID[draw(st.sampled_from(sorted(VALID)))])
    for _ in range(draw(st.integers(0, 8))):
        i = draw(st.integers(0, len(data) - 1))
        data[i] = draw(st.integers(0, 255))
    cut = draw(st.integers(1, len(data)))
    return bytes(data[:cut]) + draw(st.binary(max_size=16))


def _check_loaded(img):
    assert img.dim() == 4 and img.shape[:2] == (1, 3) and img.dtype == torch.float32
    assert torch.isfinite(img).all() and 0 <= img.min() and img.max() <= 1


@FAST
@given(data=st.one_of(st.binary(max_size=512), damaged_images()),
       suffix=st.sampled_from([".png", ".jpg", ".gif", ".bin", ""]),
       size=st.one_of(st.none(), st.integers(-3, 400)))
def test_load_image_of_any_bytes_is_an_image_or_an_image_error(data, suffix, size):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / f"input{suffix}"
        path.write_bytes(data)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                img = load_image(path, size)
        except ImageError as e:
            assert str(path) in str(e) or "size" in str(e)
        else:
            _check_loaded(img)


tensor_dtypes = st.sampled_from([torch.float32, torch.float64, torch.float16, torch.bfloat16,
                                 torch.uint8, torch.int64, torch.bool])
shapes = st.lists(st.integers(0, 40), min_size=1, max_size=5).map(tuple)
fill = st.one_of(st.floats(allow_nan=True, allow_infinity=True, width=32), st.just(None))


@st.composite
def any_tensor(draw):
    shape, dtype, value = draw(shapes), draw(tensor_dtypes), draw(fill)
    x = torch.rand(shape) if value is None else torch.full(shape, value)
    if dtype == torch.uint8:
        x = (x.nan_to_num() * 255).clamp(0, 255)
    try:
        return x.to(dtype)
    except (RuntimeError, OverflowError):
        return x


@FAST
@given(x=any_tensor(), overwrite=st.booleans(), suffix=st.sampled_from([".png", ".jpg", ".txt"]))
def test_save_image_writes_an_image_or_refuses_and_never_damages_a_file(x, overwrite, suffix):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / f"existing{suffix}"
        path.write_bytes(b"precious")
        try:
            save_image(x, path, overwrite=overwrite)
        except (ValueError, FileExistsError):
            assert path.read_bytes() == b"precious"
        else:
            assert overwrite, "an existing file was replaced without overwrite"
            with Image.open(path) as im:
                assert im.mode == "RGB"
        assert sorted(p.name for p in Path(d).iterdir()) == [path.name]  # no temporary left


@FAST
@given(x=any_tensor())
def test_load_image_of_any_tensor_is_an_image_or_a_value_error(x):
    try:
        img = load_image(x, 32)
    except ValueError as e:
        assert str(e).startswith("image ")
    else:
        assert img.dtype == torch.float32 and 0 <= img.min() <= img.max() <= 1


numbers = st.one_of(
    st.sampled_from(["1", "3", "0.5", "10", "7"]),  # valid: half the runs get through
    st.sampled_from(["nan", "inf", "-inf", "-1", "0", "1e309", "abc", "", "3.5", "1e-3", str(2**64),
                     str(2**70), "-0", "0x10", "1_000"]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-2**70, 2**70).map(str))
flag = st.sampled_from(["--size", "--steps", "--seed", "--content-weight", "--style-weight",
                        "--tv-weight", "--style-scale", "--save-every", "--print-every"])
sizes = st.sampled_from(["32", "48", "32", "48", "-1", "0", "31", "10000000", str(2**70), "nan", "x"])
extras = st.lists(st.sampled_from(["--force", "--allow-long-run", "--init", "noise", "--optimizer",
                                   "adam", "--schedule", "single", "--schedule", "32,48", "-o",
                                   "--bogus", "--weights", "random", "-h"]), max_size=3)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(pairs=st.lists(st.tuples(flag, numbers), max_size=2), size=sizes, extra=extras,
       content=st.sampled_from(["astronaut", "astronaut", "astronaut", "astronuat",
                                "HTTP://127.0.0.1:9/x.png", "\x00", ""]),
       target=st.sampled_from(["new.png", "new.png", "exists.png", "no/new.png", "exists.png/x.png",
                               "new.txt"]))
def test_cli_never_tracebacks_and_never_clobbers(tmp_path_factory, capsys, pairs, size, extra,
                                                 content, target):
    d = tmp_path_factory.mktemp("cli")
    existing = d / "exists.png"
    existing.write_bytes(b"keep me")
    argv = ["stylize", content, "swirls", "-o", str(d / target), "--size", size]
    argv += [x for pair in pairs for x in pair] + extra
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(optimize, "stylize", lambda c, s, **k: Result(image=c))
        mp.setattr(budget, "time_step", lambda *a, **k: 0.01)
        try:
            code = main(argv)
        except SystemExit as e:  # argparse: usage error (2) or --help (0)
            code = e.code
    out, err = capsys.readouterr()
    event(f"exit status {code}")  # --hypothesis-show-statistics: how many runs got through
    assert isinstance(code, int) and "Traceback" not in err
    if code not in (0,):  # also argparse's errors: one line since issue 26
        assert len([ln for ln in err.splitlines() if ln.startswith("nst-course")
                    and ": error:" in ln]) == 1, err
    if "--force" not in argv or target != "exists.png":
        assert existing.read_bytes() == b"keep me"
    if code == 0 and "usage:" not in out and target == "new.png":
        assert Image.open(d / target).mode == "RGB"
    shutil.rmtree(d)
