"""nst_course.allocator: the C allocator kept from returning freed memory: for the whole of a CLI process,
and while an optimisation runs."""

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
    from nst_course.tiled import TILED_ABOVE

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


def scoped_code(env_note: str = "") -> str:
    """A child that frees and touches 64 MB buffers inside ``kept_while_running`` (ending in an
    exception, as Ctrl-C would), then after it, and prints the faults and resident memory."""
    return (
    "import ctypes, json, resource\n"
    "from nst_course.allocator import kept_while_running\n"
    "libc = ctypes.CDLL('libc.so.6'); libc.malloc.restype = ctypes.c_void_p\n"
    "libc.free.argtypes = [ctypes.c_void_p]\n"
    "def faults(): return resource.getrusage(resource.RUSAGE_SELF).ru_minflt\n"
    "def rss(): return int(open('/proc/self/statm').read().split()[1]) * 4096\n"
    "def touch():\n"
    f"    p = libc.malloc({2 * MMAP_THRESHOLD}); ctypes.memset(p, 1, {2 * MMAP_THRESHOLD}); libc.free(p)\n"
    "out = {}\n"
    "try:\n"
    "    with kept_while_running() as kept:\n"
    "        touch(); f = faults()\n"
    "        for _ in range(5): touch()\n"
    "        out.update(kept=kept, inside=faults() - f, rss_inside=rss())\n"
    "        raise KeyboardInterrupt\n"
    "except KeyboardInterrupt:\n"
    "    pass\n"
    "out['rss_after'] = rss(); touch(); f = faults()\n"
    "for _ in range(5): touch()\n"
    "out['after'] = faults() - f\n"
    "print(json.dumps(out))"
    )


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc: Linux only")
def test_a_run_keeps_freed_memory_and_gives_it_back_after():
    out = _child(scoped_code())
    pages = 5 * 2 * MMAP_THRESHOLD // 4096
    assert out["kept"] is True
    assert out["inside"] < 0.05 * pages, out  # during the run: the heap kept the buffer
    assert out["after"] > 0.9 * pages, out  # after it (an exception ended it): mmap as by default
    # the 64 MB kept in the heap went back to the system when the run ended
    assert out["rss_inside"] - out["rss_after"] > 0.9 * 2 * MMAP_THRESHOLD, out


@pytest.mark.parametrize("code", ["from nst_course import allocator; allocator.KEEP_WHILE_RUNNING = False",
                                  "from nst_course import allocator; assert allocator.keep_freed_memory()"])
def test_a_run_leaves_the_allocator_when_told_or_already_kept(code):
    out = _child(code + "\n" + scoped_code())
    assert out["kept"] is False


@pytest.mark.parametrize("env", [{"MALLOC_TRIM_THRESHOLD_": "4096"}, {"NST_COURSE_KEEP_MEMORY": "0"}])
def test_a_run_in_the_environment_s_setting_leaves_it(env):
    assert _child(scoped_code(), **env)["kept"] is False


class RefusingLibc:
    """``mallopt`` that records every call and refuses the trim threshold's 1 GiB."""

    def __init__(self):
        self.calls, self.trimmed = [], 0

    def mallopt(self, param, value):
        self.calls.append((param, value))
        return int((param, value) != (allocator.M_TRIM_THRESHOLD, allocator.TRIM_THRESHOLD))

    def malloc_trim(self, pad):
        self.trimmed += 1
        return 1


@pytest.mark.parametrize("how", ["run", "process"])
def test_a_half_applied_setting_is_undone(monkeypatch, how):
    libc = RefusingLibc()
    monkeypatch.setattr(allocator, "_libc", lambda: libc)
    if how == "run":
        with allocator.kept_while_running() as kept:
            assert kept is False
    else:
        monkeypatch.setattr(allocator, "_process_wide", False)
        assert allocator.keep_freed_memory() is False
        assert allocator._process_wide is False
    # mmap off took, the trim threshold did not: mmap back to glibc's default, nothing else touched
    assert libc.calls == [(allocator.M_MMAP_MAX, 0), (allocator.M_TRIM_THRESHOLD, allocator.TRIM_THRESHOLD),
                          (allocator.M_MMAP_MAX, allocator.DEFAULT_MMAP_MAX)]
    assert libc.trimmed == 0  # nothing was kept, so nothing to give back


def test_optimize_image_keeps_memory_unless_in_bands(monkeypatch):
    import contextlib

    import torch

    from nst_course import harness
    from nst_course.tiled import TILED_ABOVE

    wanted = []

    @contextlib.contextmanager
    def spy(want=True):
        wanted.append(want)
        yield want
    monkeypatch.setattr(harness, "kept_while_running", spy)
    def objective(x):
        loss = (x ** 2).mean()
        return loss, dict.fromkeys(("content", "style", "tv", "total"), loss)
    harness.optimize_image(objective, torch.rand(1, 3, 8, 8), steps=1, progress=False)
    assert wanted == [True]
    side = int(TILED_ABOVE ** 0.5) + 1
    assert harness._keeps_memory(torch.empty(1, 3, side, side)) is False
    assert harness._keeps_memory(torch.empty(1, 3, 384, 512)) is True


def test_time_allocator_interleaves_the_three_arms(monkeypatch):
    # round 2: the machine was busy for 'as is'
    fake = {"as is": [1.0, 2.0, 1.0], "per run": [0.95, 1.2, 0.9], "kept": [0.9, 1.0, 0.8]}
    order = []

    def fresh(width, steps, arm):
        order.append(arm)
        return {"kept": None if arm == "as is" else True, "s_per_step": fake[arm].pop(0),
                "faults_per_step": 50 if arm == "as is" else 10, "peak_mb": 100 if arm == "as is" else 105}
    monkeypatch.setattr(timing, "_fresh_run", fresh)
    gf = timing.step_gflop(48, 64)  # GFLOP of a step at 64x48 px; the highest peak measured is
    peaks = [gf, 2 * gf, 1.5 * gf, 0.5 * gf]  # 2 * gf a second: the first and last read lower
    monkeypatch.setattr(timing, "conv_peak", lambda dtype: peaks.pop(0))
    lines = []
    res = bench.time_allocator((64,), steps=1, rounds=3, out=lines.append)
    row = res["rows"][0]
    assert order == list(timing.ALLOCATOR_ARMS) * 3  # interleaved, round by round
    assert row["s_ratio"] == pytest.approx({"kept": 0.8, "per run": 0.9})  # medians of rounds' ratios
    assert row["faults_ratio"]["kept"] == pytest.approx(0.2)
    assert row["peak_ratio"]["per run"] == pytest.approx(1.05)
    assert len(lines) == 2 + 3 * 3 + 1 and "before every round" in lines[0]
    assert "per run: s/step 0.90" in lines[-1]
    # the median steps, 1.0 s as is and 0.9 s kept: half and 1 / 1.8 of the highest peak
    assert row["conv_peak_gflops"] == pytest.approx(2 * gf) and res["conv_peaks_gflops"] == pytest.approx(
        [gf, 2 * gf, 1.5 * gf, 0.5 * gf]) and not peaks  # before each of 3 rounds, after the last
    assert row["conv_peak_share"] == pytest.approx({"as is": 0.5, "per run": 1 / 1.9, "kept": 1 / 1.8})
    assert "as is 50 %, per run 53 %, kept 56 % of it" in lines[-1]


def test_time_allocator_says_when_there_is_nothing_to_compare(monkeypatch):
    monkeypatch.setattr(timing, "_fresh_run", lambda w, s, arm: {
        "kept": None if arm == "as is" else False, "s_per_step": 1.0, "faults_per_step": 1, "peak_mb": 1})
    with pytest.raises(RuntimeError, match="did not take"):
        bench.time_allocator((64,), 1, 1, out=lambda line: None)


@pytest.mark.parametrize("arm", ["kept", "per run"])
def test_fresh_run_measures_a_real_step(arm):
    m = timing._fresh_run(64, 1, arm)
    assert m["kept"] is True and m["s_per_step"] > 0 and m["peak_mb"] > 100 and m["faults_per_step"] >= 0


def test_allocator_refuses_other_modes(capsys):
    assert bench.main(["--allocator", "--sweep"]) == 2
    assert "--allocator" in capsys.readouterr().err
