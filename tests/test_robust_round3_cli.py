"""Issue 26, round 3 on the command line: nothing lost, nothing cryptic (black-box, subprocesses).

Real runs are 1-2 steps at 32 px with random VGG weights: the plumbing is what is tested.
"""

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from nst_course.files import claim

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--size", "32", "--weights", "random"]


def cli(args, tmp_path, env=None, timeout=120, preexec_fn=None, merge=False):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TQDM_DISABLE": "1", **(env or {})}
    env = {k: v for k, v in env.items() if v is not None}
    r = subprocess.run([sys.executable, "-m", "nst_course", *map(str, args)], cwd=tmp_path, env=env,
                       capture_output=not merge, stdout=subprocess.PIPE if merge else None,
                       stderr=subprocess.STDOUT if merge else None, text=True, timeout=timeout,
                       preexec_fn=preexec_fn)
    assert "Traceback" not in (r.stdout or "") + (r.stderr or ""), r.stderr
    return r


def one_line(err):
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    return lines[0]


@pytest.fixture()
def photo(tmp_path):
    p = tmp_path / "photo.png"
    Image.new("RGB", (40, 32), (120, 80, 200)).save(p)
    return p


# --- data loss --------------------------------------------------------------------------------

def test_second_train_to_one_output_is_refused_before_training(tmp_path):
    out = tmp_path / "n.pt"
    with claim(out):  # a first run holds the name
        r = cli(["train", "swirls", "-o", out, "--steps", "1", *TINY], tmp_path)
    assert r.returncode == 2
    assert "another run is writing" in one_line(r.stderr)
    assert not out.exists()


def test_train_save_that_fails_goes_to_a_free_name(tmp_path):
    """A checkpoint that cannot be written (here its folder is gone) is saved elsewhere, with a note."""
    code = (
        "import torch, warnings\n"
        "from nst_course.feedforward import StyleNet\n"
        "from nst_course.training import train, make_objectives\n"
        "from nst_course.vgg import load_vgg\n"
        "s = [torch.rand(1, 3, 32, 32)]\n"
        "r = train(StyleNet(['a'], width=4), s, [torch.rand(1, 3, 64, 64)], steps=1, crop=32,\n"
        "          objectives=make_objectives(s, load_vgg('random')), checkpoint='gone/n.pt',\n"
        "          progress=False)\n"
        "print(r.saved_to)\n")
    (tmp_path / "t").mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp_path / "t")}
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    saved = Path(r.stdout.strip())
    assert saved == tmp_path / "t" / "n.pt" and saved.stat().st_size > 0
    assert "saved as" in r.stderr


def _small_files():
    """In the child: files over 200 bytes cannot be written (like a full disk)."""
    import resource

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (200, 200))


def test_failed_snapshot_is_a_note_and_the_run_goes_on(tmp_path, photo):
    r = cli(["stylize", photo, "swirls", "-o", "o.png", "--steps", "3", "--save-every", "1", *TINY],
            tmp_path, preexec_fn=_small_files)
    notes = [ln for ln in r.stderr.splitlines() if "could not write the snapshot" in ln]
    assert notes and "the run goes on" in notes[0], r.stderr
    assert "could not write o.png" in r.stderr.splitlines()[-1]  # the run reached its final save


def test_train_seed_minus_one_is_refused(tmp_path):
    r = cli(["train", "swirls", "-o", "n.pt", "--steps", "1", "--seed", "-1", *TINY], tmp_path)
    assert r.returncode == 2 and "--seed" in one_line(r.stderr)


# --- one line, never a traceback ------------------------------------------------------------

@pytest.mark.parametrize("content, args, expected", [
    (None, ["--from-json", "missing.json", "--markdown"], "no such file"),
    ("{bad", ["--from-json", "b.json", "--markdown"], "not valid JSON"),
    ("[1, 2]", ["--from-json", "b.json", "--markdown"], "was not written by"),
    ('{"rows": 1, "conv_peak_gflops": 2, "date": 3, "steps": 4}', ["--from-json", "b.json",
                                                                     "--markdown"], "does not hold"),
    ('{"a": 1}', ["--sweep", "--from-json", "b.json"], "was not written by"),
    (None, ["--sweep", "--sweep-size", "0"], "--sweep-size"),
    (None, ["--sweep", "--sweep-steps", "0"], "--sweep-steps"),
    (None, ["--sweep", "--sweep-weights", "nan"], "--sweep-weights"),
    (None, ["--steps", "x"], "invalid int value"),
])
def test_bench_bad_input_is_one_line(tmp_path, content, args, expected):
    if content is not None:
        (tmp_path / "b.json").write_text(content)
    r = cli(["bench", *args], tmp_path, timeout=60)
    assert r.returncode == 2
    line = one_line(r.stderr)
    assert expected in line
    assert line.startswith("nst-course: error: "), line  # one prefix, as every other command


def test_every_refusal_has_the_one_prefix_of_the_cli(tmp_path):
    """bench said "nst-course bench: error:" for some refusals and "nst-course: error:" for others,
    argparse "nst-course stylize: error:": one prefix, whichever part refuses."""
    for args in (["bench", "--steps", "0"], ["bench", "--from-json", "none.json", "--markdown"],
                 ["bench", "--nope"], ["stylize", "a.png", "swirls", "-o", "o.png", "--size", "abc"],
                 ["stylize", "missing.png", "swirls", "-o", "o.png"], ["nope"]):
        r = cli(args, tmp_path, timeout=60)
        line = one_line(r.stderr)
        assert r.returncode == 2 and line.startswith("nst-course: error: "), (args, line)


def test_argparse_type_error_is_one_line(tmp_path):
    r = cli(["stylize", "a.png", "swirls", "-o", "o.png", "--size", "abc"], tmp_path)
    assert r.returncode == 2
    assert "invalid int value" in one_line(r.stderr) and "--help" in r.stderr


def test_version_exits_zero(tmp_path):
    r = cli(["--version"], tmp_path)
    assert r.returncode == 0 and re.fullmatch(r"nst-course \d+\.\d+\.\d+\s*", r.stdout)


def test_tqdm_disable_hides_the_bars(tmp_path, photo):
    r = cli(["stylize", photo, "swirls", "-o", "o.png", "--steps", "2", *TINY], tmp_path)
    assert r.returncode == 0, r.stderr
    assert "it/s" not in r.stderr and "s/it" not in r.stderr and "%|" not in r.stderr


def test_print_every_lines_stay_whole_beside_the_bar(tmp_path, photo):
    r = cli(["stylize", photo, "swirls", "-o", "o.png", "--steps", "3", "--print-every", "1", *TINY],
            tmp_path, env={"TQDM_DISABLE": None}, merge=True)
    assert r.returncode == 0, r.stdout
    lines = [ln.rsplit("\r", 1)[-1] for ln in r.stdout.split("\n") if "Iteration" in ln]
    assert len(lines) == 3 and all(ln.startswith("Iteration") for ln in lines), r.stdout


def test_ctrl_c_twice_during_train_keeps_a_valid_file_and_prints_no_traceback(tmp_path):
    import time

    from nst_course.feedforward import load_net

    env = {**os.environ, "PYTHONPATH": str(ROOT), "TQDM_DISABLE": "1"}
    p = subprocess.Popen([sys.executable, "-m", "nst_course", "train", "swirls", "-o", "n.pt",
                          "--minutes", "2", *TINY], cwd=tmp_path, env=env, stderr=subprocess.PIPE,
                         text=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    first = p.stderr.readline()
    assert first.startswith("Training"), first
    time.sleep(8)  # into the training loop
    p.send_signal(signal.SIGINT)
    time.sleep(0.02)
    p.send_signal(signal.SIGINT)
    err = first + p.communicate(timeout=120)[1]
    assert "Traceback" not in err and "Exception ignored" not in err, err
    assert p.returncode in (0, 130), err
    if p.returncode == 0:
        assert "interrupted" in err
        assert load_net(tmp_path / "n.pt").styles == ["swirls"]


# --- memory checks before adain, apply, train (no machine has these terabytes) -----------------

@pytest.mark.parametrize("args, flag", [
    (["adain", "astronaut", "swirls", "-o", "o.png", "--size", "100000"], "--size"),
    (["apply", "missing.pt", "astronaut", "-o", "o.png", "--size", "100000"], "--size"),
    (["train", "swirls", "-o", "n.pt", "--width", "100000"], "--width"),
    (["train", "swirls", "-o", "n.pt", "--size", "30000", "--batch-size", "16"], "--size"),
])
def test_runs_that_cannot_fit_in_memory_are_refused_before_they_start(tmp_path, args, flag):
    r = cli(args, tmp_path, timeout=60)
    line = one_line(r.stderr)
    assert r.returncode == 2 and "of memory but only" in line and flag in line


def test_train_onto_a_full_disk_says_so_in_one_line_without_torch_internals(tmp_path):
    """torch.save reports a failed write as a RuntimeError (inline_container); it is an OSError
    the fallback understands: here the fallback fails too (the limit holds everywhere)."""
    r = cli(["train", "swirls", "-o", "n.pt", "--steps", "1", *TINY], tmp_path,
            preexec_fn=_small_files)
    line = r.stderr.strip().splitlines()[-1]
    assert r.returncode == 2 and "could not write n.pt" in line, r.stderr
    assert "inline_container" not in r.stderr and "enforce fail" not in r.stderr


def test_bench_from_json_fifo_and_missing_readme_are_one_line(tmp_path):
    os.mkfifo(tmp_path / "pipe.json")
    r = cli(["bench", "--from-json", "pipe.json", "--markdown"], tmp_path, timeout=30)
    assert r.returncode == 2 and "not a regular file" in one_line(r.stderr)
    r = cli(["bench", "--from-json", "x.json", "--update-readme", "none.md"], tmp_path, timeout=30)
    line = one_line(r.stderr)
    assert r.returncode == 2 and "none.md: no such file" in line and "Errno" not in line


def test_sigterm_during_train_leaves_no_stray_file_beside_the_output(tmp_path):
    import time

    env = {**os.environ, "PYTHONPATH": str(ROOT), "TQDM_DISABLE": "1"}
    p = subprocess.Popen([sys.executable, "-m", "nst_course", "train", "swirls", "-o", "n.pt",
                          "--minutes", "2", *TINY], cwd=tmp_path, env=env, stderr=subprocess.PIPE,
                         text=True)
    assert p.stderr.readline().startswith("Training")
    time.sleep(2)
    p.terminate()
    p.communicate(timeout=60)
    assert [q.name for q in tmp_path.iterdir() if q.name != "n.pt"] == []
