"""nst_course.allocator: the C allocator kept from returning freed memory, in the CLI's processes only."""

import json
import os
import subprocess
import sys

import pytest

from nst_course import allocator, bench, cli
from nst_course.bench import timing

MMAP_THRESHOLD = 32 * 2**20  # above glibc's largest dynamic mmap threshold: always mmap by default


def _child(code: str, **env) -> dict:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, **env})
    return json.loads(out.stdout.strip().splitlines()[-1])


def faults_code(keep: bool) -> str:
    """A child that allocates, touches and frees a 64 MB buffer 5 times after a warm-up, and
    prints its page faults."""
    return (
    "import ctypes, json, resource\n"
    "from nst_course.allocator import keep_freed_memory\n"
    f"kept = keep_freed_memory() if {keep} else None\n"
    "libc = ctypes.CDLL('libc.so.6'); libc.malloc.restype = ctypes.c_void_p\n"
    "libc.free.argtypes = [ctypes.c_void_p]\n"
    "def touch():\n"
    f"    p = libc.malloc({2 * MMAP_THRESHOLD}); ctypes.memset(p, 1, {2 * MMAP_THRESHOLD}); libc.free(p)\n"
    "touch(); f = resource.getrusage(resource.RUSAGE_SELF).ru_minflt\n"
    "for _ in range(5): touch()\n"
    "print(json.dumps({'kept': kept, 'faults': resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f}))"
    )


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc: Linux only")
def test_kept_memory_is_reused_without_page_faults():
    as_is = _child(faults_code(False))
    kept = _child(faults_code(True))
    pages = 5 * 2 * MMAP_THRESHOLD // 4096
    assert kept["kept"] is True
    assert as_is["faults"] > 0.9 * pages, as_is  # each buffer came back from mmap as fresh pages
    assert kept["faults"] < 0.05 * pages, kept  # the heap kept the first one's pages


@pytest.mark.parametrize("env", [{"GLIBC_TUNABLES": "glibc.malloc.mmap_max=1"},
                                 {"MALLOC_TRIM_THRESHOLD_": "4096"}])
def test_a_setting_someone_chose_is_left_alone(env):
    kept = _child("import json; from nst_course.allocator import keep_freed_memory; "
                  "print(json.dumps(keep_freed_memory()))", **env)
    assert kept is False


def test_stylize_sets_it_unless_the_image_runs_in_bands(monkeypatch, tmp_path):
    from nst_course.cli import stylize
    from nst_course.stages import TILED_ABOVE

    calls = []
    monkeypatch.setattr(allocator, "keep_freed_memory", lambda: calls.append(1) or True)
    assert stylize.keep_freed_memory(384, 512) is True and calls == [1]
    side = int(TILED_ABOVE**0.5) + 1
    assert stylize.keep_freed_memory(side, side) is False and calls == [1]
    assert cli.main(["stylize", "astronaut", "swirls", "-o", str(tmp_path / "o.png"), "--size", "48",
                     "--steps", "1"]) == 0
    assert calls == [1, 1]  # the command itself
    assert cli.main(["samples"]) == 0 and calls == [1, 1]  # other commands leave it as it is


def test_importing_the_package_leaves_the_allocator_alone():
    # a learner's notebook kernel keeps its allocator: the faults child, without keep, under import
    out = _child("import nst_course, nst_course.optimize\n" + faults_code(False))
    assert out["faults"] > 0.9 * 5 * 2 * MMAP_THRESHOLD // 4096


def test_time_allocator_pairs_each_round(monkeypatch):
    fake = {False: [1.0, 2.0, 1.0], True: [0.9, 1.0, 0.8]}  # round 2: the machine was busy for 'as is'

    def fresh(width, steps, keep):
        return {"kept": keep, "s_per_step": fake[keep].pop(0), "faults_per_step": 10 if keep else 50,
                "peak_mb": 105 if keep else 100}
    monkeypatch.setattr(timing, "_fresh_run", fresh)
    gf = timing.step_gflop(48, 64)  # GFLOP of a step at 64x48 px; the highest peak measured is
    peaks = [gf, 2 * gf, 1.5 * gf, 0.5 * gf]  # 2 * gf a second: the first and last read lower
    monkeypatch.setattr(timing, "conv_peak", lambda dtype: peaks.pop(0))
    lines = []
    res = bench.time_allocator((64,), steps=1, rounds=3, out=lines.append)
    row = res["rows"][0]
    assert row["s_ratio"] == pytest.approx(0.8)  # the rounds' ratios 0.9, 0.5, 0.8: median 0.8
    assert row["faults_ratio"] == pytest.approx(0.2) and row["peak_ratio"] == pytest.approx(1.05)
    assert len(lines) == 2 + 2 * 3 + 1 and "s/step 0.80" in lines[-1] and "before every round" in lines[0]
    # the median steps, 1.0 s as is and 0.9 s kept: half and 1 / 1.8 of the highest peak
    assert row["conv_peak_gflops"] == pytest.approx(2 * gf) and res["conv_peaks_gflops"] == pytest.approx(
        [gf, 2 * gf, 1.5 * gf, 0.5 * gf]) and not peaks  # before each of 3 rounds, after the last
    assert row["conv_peak_share"] == pytest.approx({"as is": 0.5, "kept": 1 / 1.8})
    assert "the median step as is 50 % of it, kept 56 %" in lines[-1]


def test_time_allocator_says_when_there_is_nothing_to_compare(monkeypatch):
    monkeypatch.setattr(timing, "_fresh_run", lambda w, s, keep: {
        "kept": False, "s_per_step": 1.0, "faults_per_step": 1, "peak_mb": 1})
    with pytest.raises(RuntimeError, match="did not take"):
        bench.time_allocator((64,), 1, 1, out=lambda line: None)


def test_fresh_run_measures_a_real_step():
    m = timing._fresh_run(64, 1, keep=True)
    assert m["kept"] is True and m["s_per_step"] > 0 and m["peak_mb"] > 100 and m["faults_per_step"] >= 0


def test_allocator_refuses_other_modes(capsys):
    assert bench.main(["--allocator", "--sweep"]) == 2
    assert "--allocator" in capsys.readouterr().err
