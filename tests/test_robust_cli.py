"""Issue 15 on the command line: nothing lost, nothing cryptic.

Most tests replace ``stylize`` by a stand-in (the plumbing is what is tested, in
milliseconds) and price one step at 10 ms instead of timing one; a few run a real
1-step stylization at 32-48 px with random weights.
"""

import warnings

import numpy as np
import pytest
import torch
from PIL import Image

from nst_course import budget, doctor, optimize
from nst_course.cli import main
from nst_course.optimize import Result, Step


@pytest.fixture()
def fake_run(monkeypatch):
    """``stylize`` replaced by a stand-in that returns the content; records its calls.

    ``during`` (a function) runs in the middle of the "run": another program writing
    the output, a warning..."""
    calls = []

    def fake_stylize(content, style, **kwargs):
        calls.append(kwargs)
        if fake_stylize.during:
            fake_stylize.during()
        return Result(image=content, history=[Step(1, 1.0, 1.0, 0.0, 2.0, 0.01)])

    fake_stylize.during = None
    fake_stylize.calls = calls
    monkeypatch.setattr(optimize, "stylize", fake_stylize)
    monkeypatch.setattr(budget, "time_step", lambda *a, **k: 0.01)
    return fake_stylize


def run(args, capsys):
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.err


def one_line(err):
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    return lines[0]


# --- 1. a file that appears during the run is not replaced -----------------------------------

def test_output_appearing_during_the_run_is_kept(tmp_path, capsys, fake_run):
    out = tmp_path / "t.png"
    fake_run.during = lambda: out.write_text("keep")  # `echo keep > t.png` while it runs
    code, err = run(["stylize", "astronaut", "swirls", "-o", out, "--size", 48, "--steps", 1], capsys)
    assert code == 1 and out.read_text() == "keep"
    assert "appeared during the run and was kept" in err and "t-1.png" in err
    assert Image.open(tmp_path / "t-1.png").size == (48, 48)  # the result is not lost either
    assert "Wrote" not in err


def test_second_run_to_the_same_new_name_does_not_replace_the_first(tmp_path, capsys, fake_run):
    out = tmp_path / "t.png"
    first = []

    def first_run_finishes_meanwhile():
        Image.new("RGB", (48, 48), "red").save(out)
        first.append(out.read_bytes())

    fake_run.during = first_run_finishes_meanwhile
    code, err = run(["stylize", "astronaut", "swirls", "-o", out, "--size", 48, "--steps", 1], capsys)
    assert code == 1 and out.read_bytes() == first[0]


def test_force_still_overwrites_at_the_end(tmp_path, capsys, fake_run):
    out = tmp_path / "t.png"
    out.write_text("old")
    code, err = run(["stylize", "astronaut", "swirls", "-o", out, "--size", 48, "--steps", 1,
                     "--force"], capsys)
    assert code == 0 and Image.open(out).size == (48, 48)


# --- 4. the output is checked before the run; a failed save goes somewhere and says where -----

def test_output_folder_given_as_out_is_refused_before_the_run(tmp_path, capsys, fake_run):
    folder = tmp_path / "results.png"
    folder.mkdir()
    code, err = run(["stylize", "astronaut", "swirls", "-o", folder, "--force"], capsys)
    assert code == 2 and "is a folder" in one_line(err) and fake_run.calls == []


def test_read_only_folder_is_refused_before_the_run(tmp_path, capsys, fake_run, monkeypatch):
    import tempfile

    def read_only(*a, **k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "NamedTemporaryFile", read_only)  # root ignores chmod: simulate
    code, err = run(["stylize", "astronaut", "swirls", "-o", tmp_path / "o.png"], capsys)
    assert code == 2 and "cannot write into the folder" in one_line(err) and fake_run.calls == []


def test_save_failing_at_the_end_goes_to_a_fallback_and_says_where(tmp_path, capsys, fake_run,
                                                                   monkeypatch):
    import errno

    from nst_course import images

    out = tmp_path / "o.png"
    real = images.write_atomic

    def disk_full_there(path, write, overwrite=False):
        if path.parent == tmp_path:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(path, write, overwrite)

    monkeypatch.setattr(images, "write_atomic", disk_full_there)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "spare"))
    (tmp_path / "spare").mkdir()
    code, err = run(["stylize", "astronaut", "swirls", "-o", out, "--size", 48, "--steps", 1], capsys)
    assert code == 1 and not out.exists()
    assert "No space left" in err and f"saved as {tmp_path / 'spare' / 'o.png'}" in err
    assert Image.open(tmp_path / "spare" / "o.png").size == (48, 48)


# --- 10, 12. numbers are validated before any work -------------------------------------------

@pytest.mark.parametrize("flags, expected", [
    (["--style-weight", "nan"], "--style-weight must be a finite number"),
    (["--style-weight", "inf"], "--style-weight must be a finite number"),
    (["--content-weight", "nan"], "--content-weight must be a finite number"),
    (["--tv-weight", "inf"], "--tv-weight must be a finite number"),
    (["--content-weight", "0", "--style-weight", "0"], "both 0"),
    (["--seed", str(2**64), "--init", "noise"], "--seed must be a whole number from 0"),
    (["--seed", "-1"], "--seed must be"),
    (["--steps", "0"], "--steps must be at least 1"),
    (["--size", "31"], "--size must be at least 32"),
])
def test_bad_numbers_are_refused_before_any_work(tmp_path, capsys, fake_run, flags, expected):
    code, err = run(["stylize", "astronaut", "swirls", "-o", tmp_path / "o.png", *flags], capsys)
    assert code == 2 and expected in one_line(err) and fake_run.calls == []
    assert not (tmp_path / "o.png").exists()


def test_largest_seed_runs_with_noise_init(tmp_path, capsys):
    # 12: "Overflow when unpacking long long" beyond 63 bits; 2**64 - 1 is the largest seed torch takes
    code, err = run(["stylize", "astronaut", "swirls", "-o", tmp_path / "o.png", "--size", 32,
                     "--steps", 1, "--init", "noise", "--seed", 2**64 - 1, "--weights", "random"],
                    capsys)
    assert code == 0, err


# --- 11. estimates before the run: memory, time; no silent enlarging ------------------------

def test_run_that_cannot_fit_in_memory_is_refused_with_the_size_that_would(tmp_path, capsys,
                                                                          fake_run, monkeypatch):
    monkeypatch.setattr(budget, "available_bytes", lambda device=None: 1.5e9)
    code, err = run(["stylize", "astronaut", "swirls", "-o", tmp_path / "o.png", "--size", 512], capsys)
    line = one_line(err)
    assert code == 2 and f"needs about {budget._gb(budget.estimate_bytes(512, 512))}" in line \
        and "1.5 GB is available" in line
    fits = int(line.split("the largest --size that fits is about ")[1].rstrip("."))
    assert budget.estimate_bytes(fits, fits) <= 1.5e9 < budget.estimate_bytes(fits + 10, fits + 10)
    assert fake_run.calls == []


def test_run_over_an_hour_needs_the_flag(tmp_path, capsys, fake_run, monkeypatch):
    monkeypatch.setattr(budget, "time_step", lambda *a, **k: 0.05)
    args = ["stylize", "astronaut", "swirls", "-o", tmp_path / "o.png", "--size", 32,
            "--steps", 10**9]
    code, err = run(args, capsys)
    assert code == 2 and "--allow-long-run" in one_line(err) and fake_run.calls == []
    code, err = run(args + ["--allow-long-run"], capsys)
    assert code == 0 and len(fake_run.calls) == 1


def test_estimate_is_printed_before_the_run(tmp_path, capsys, fake_run):
    code, err = run(["stylize", "astronaut", "swirls", "-o", tmp_path / "o.png", "--size", 64,
                     "--steps", 300], capsys)
    assert code == 0 and "estimated about" in err and "GB of memory" in err


def test_size_8000_notes_the_enlarging_and_100000_is_one_line(tmp_path, capsys, fake_run):
    code, err = run(["stylize", "astronaut", "swirls", "-o", tmp_path / "o.png", "--size", 100_000],
                    capsys)
    assert code == 2 and "more than the 64 MP" in one_line(err)
    code, err = run(["stylize", "astronaut", "swirls", "-o", tmp_path / "o.png", "--size", 8000,
                     "--allow-long-run"], capsys)
    assert "note: astronaut is 512x512; enlarged to 8000x8000" in err


# --- 6. wide images -----------------------------------------------------------------------------

def test_wide_image_says_what_size_would_work(tmp_path, capsys, fake_run):
    p = tmp_path / "wide.png"
    Image.fromarray(np.zeros((40, 2000, 3), np.uint8)).save(p)
    code, err = run(["stylize", p, "swirls", "-o", tmp_path / "o.png", "--size", 256], capsys)
    assert code == 2 and "use a size of at least 1600" in one_line(err)


def test_wide_image_too_thin_for_coarse_to_fine(tmp_path, capsys, fake_run):
    p = tmp_path / "wide.png"
    Image.fromarray(np.zeros((40, 2000, 3), np.uint8)).save(p)
    code, err = run(["stylize", p, "swirls", "-o", tmp_path / "o.png", "--size", 1600,
                     "--steps", 3, "--schedule", "coarse-to-fine"], capsys)
    assert code == 2 and "--schedule single" in one_line(err) and fake_run.calls == []
    code, err = run(["stylize", p, "swirls", "-o", tmp_path / "o.png", "--size", 1600,
                     "--steps", 3, "--schedule", "single"], capsys)
    assert code == 0, err


# --- 13. environment variables ----------------------------------------------------------------

@pytest.mark.parametrize("var, value", [("NST_COURSE_PRECISION", "bogus"),
                                        ("NST_COURSE_DEVICE", "gpu")])
def test_bad_environment_variable_is_named(tmp_path, capsys, monkeypatch, var, value):
    monkeypatch.setenv(var, value)
    code, err = run(["stylize", "astronaut", "swirls", "-o", tmp_path / "o.png", "--size", 32,
                     "--steps", 1, "--weights", "random"], capsys)
    assert code == 2 and var in one_line(err) and repr(value) in err


# --- 5. bench ---------------------------------------------------------------------------------

@pytest.mark.parametrize("args, expected", [
    (["--sizes", "0"], "--sizes must be at least"),
    (["--steps", "0"], "--steps must be at least 1"),
    (["--json", "nodir/x.json"], "the folder nodir does not exist"),
])
def test_bench_refuses_bad_arguments_up_front(capsys, monkeypatch, tmp_path, args, expected):
    from nst_course import bench

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(bench, "run", lambda *a, **k: pytest.fail("the benchmark started"))
    code, err = run(["bench", *args], capsys)
    assert code == 2 and expected in one_line(err)


# --- smaller ------------------------------------------------------------------------------------

def test_doctor_exits_nonzero_when_weights_fail(capsys, monkeypatch):
    from nst_course.weights import WeightsError

    def bad(*a, **k):
        raise WeightsError("sha256 mismatch")

    monkeypatch.setattr(doctor, "bundled", bad)
    assert main(["doctor"]) == 1
    assert "sha256 mismatch" in capsys.readouterr().out


def test_notes_during_the_run_come_after_the_progress_bar(tmp_path, capsys, fake_run):
    import sys

    def run_with_a_warning():
        warnings.warn("step 3: the loss became nan", RuntimeWarning, stacklevel=2)
        print("<bar closed>", file=sys.stderr)  # what optimize_image does as it returns

    fake_run.during = run_with_a_warning
    code, err = run(["stylize", "astronaut", "swirls", "-o", tmp_path / "o.png", "--size", 48,
                     "--steps", 1], capsys)
    assert err.index("<bar closed>") < err.index("note: step 3: the loss became nan")


def test_error_messages_go_to_stderr_only(tmp_path, capfd):
    code = main(["stylize", "astronuat", "swirls", "-o", str(tmp_path / "o.png")])
    out, err = capfd.readouterr()
    assert code == 2 and out == "" and "Did you mean 'astronaut'" in one_line(err)


# --- 14. tensors given to the API ------------------------------------------------------------

def test_stylize_refuses_bad_tensors_before_loading_the_network(monkeypatch, astronaut64):
    monkeypatch.setattr(optimize, "load_vgg", lambda *a, **k: pytest.fail("network loaded"))
    with pytest.raises(ValueError, match="content is only 8x8"):
        optimize.stylize(torch.rand(1, 3, 8, 8), "swirls", steps=1)
    with pytest.raises(ValueError, match="style contains NaN"):
        optimize.stylize(astronaut64, torch.full((1, 3, 64, 64), float("nan")), steps=1)
    with pytest.raises(ValueError, match="style 2 has values from"):
        optimize.stylize(astronaut64, [astronaut64, astronaut64 * 255], steps=1)


def test_stylize_refuses_an_init_of_another_shape(astronaut64, swirls64):
    with pytest.raises(ValueError, match="init is 64x32, not the shape of the content"):
        optimize.stylize(astronaut64, swirls64, steps=1, init=torch.rand(1, 3, 32, 64),
                         weights="random", progress=False)


def test_stylize_converts_float64_and_uint8(astronaut64, swirls64):
    r = optimize.stylize(astronaut64.double(), (swirls64 * 255).round().to(torch.uint8), steps=1,
                         weights="random", progress=False)
    assert r.image.dtype == torch.float32 and r.image.shape == astronaut64.shape


def test_adain_blend_weights_summing_to_zero(astronaut64, swirls64):
    from nst_course.adain import adain_stylize

    with pytest.raises(ValueError, match="sums to 0"):
        adain_stylize(astronaut64, [swirls64, astronaut64], style_blend=[1.0, -1.0], device="cpu")
    with pytest.raises(ValueError, match="content has 4 channels"):
        adain_stylize(torch.rand(1, 4, 64, 64), swirls64, device="cpu")
