import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from nst_course.cli import main


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "nst_course", *map(str, args)],
                          capture_output=True, text=True, timeout=300)


def test_stylize_happy_path_writes_png(tmp_path):
    out = tmp_path / "out.png"
    p = run_cli("stylize", "astronaut", "swirls", "-o", out, "--size", 64, "--steps", 3)
    assert p.returncode == 0, p.stderr
    img = Image.open(out)
    assert img.size == (64, 64) and img.mode == "RGB"
    assert "Wrote" in p.stderr


def test_bad_input_exits_nonzero_with_one_line(tmp_path):
    p = run_cli("stylize", tmp_path / "missing.jpg", "swirls", "-o", tmp_path / "o.png")
    assert p.returncode != 0
    assert "Traceback" not in p.stderr
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "missing.jpg" in lines[0] and "no such file" in lines[0]


def _bad_cases(tmp_path):
    notimg = tmp_path / "notes.png"
    notimg.write_text("hello")
    tiny = tmp_path / "tiny.png"
    Image.fromarray(np.zeros((10, 10, 3), np.uint8)).save(tiny)
    exists = tmp_path / "exists.png"
    exists.write_bytes(b"keep me")
    o = tmp_path / "o.png"
    return {
        "not an image": (["stylize", notimg, "swirls", "-o", o], "not an image"),
        "tiny": (["stylize", tiny, "swirls", "-o", o], "at least 32 px"),
        "exists": (["stylize", "astronaut", "swirls", "-o", exists], "--force"),
        "suffix": (["stylize", "astronaut", "swirls", "-o", tmp_path / "o.txt"], "unknown image type"),
        "no folder": (["stylize", "astronaut", "swirls", "-o", tmp_path / "no/o.png"], "does not exist"),
        "size": (["stylize", "astronaut", "swirls", "-o", o, "--size", 8], "--size"),
        "steps": (["stylize", "astronaut", "swirls", "-o", o, "--steps", 0], "--steps"),
        "weight": (["stylize", "astronaut", "swirls", "-o", o, "--style-weight", -1], "negative"),
        "url": (["stylize", "http://127.0.0.1:9/x.jpg", "swirls", "-o", o], "could not reach"),
    }


@pytest.mark.parametrize("case", ["not an image", "tiny", "exists", "suffix", "no folder",
                                  "size", "steps", "weight", "url"])
def test_every_bad_input_gives_one_clear_line(tmp_path, capsys, case):
    args, expected = _bad_cases(tmp_path)[case]
    code = main([str(a) for a in args])
    err = capsys.readouterr().err
    assert code != 0
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and expected in lines[0], err
    assert "Traceback" not in err
    assert (tmp_path / "exists.png").read_bytes() == b"keep me"  # nothing lost


def test_force_overwrites(tmp_path, capsys):
    out = tmp_path / "o.png"
    out.write_bytes(b"old")
    code = main(["stylize", "astronaut", "swirls", "-o", str(out), "--size", "48", "--steps", "1",
                 "--force", "--precision", "float32"])
    assert code == 0 and Image.open(out).size == (48, 48)


def test_conversions_are_noted(tmp_path, capsys):
    grey = tmp_path / "grey.png"
    Image.fromarray(np.full((64, 64), 128, np.uint8)).save(grey)
    code = main(["stylize", str(grey), "swirls", "-o", str(tmp_path / "g.png"), "--size", "48",
                 "--steps", "1"])
    err = capsys.readouterr().err
    assert code == 0 and "note:" in err and "greyscale" in err


def test_samples_lists_names(capsys):
    assert main(["samples"]) == 0
    out = capsys.readouterr().out
    for name in ("astronaut", "swirls", "mosaic", "waves", "starry_night"):
        assert name in out
    bundled, downloaded = out.split("Paintings (public domain, bundled: offline):")[1].split(
        "downloaded on first use")
    for name in ("starry_night", "the_scream", "shipwreck", "udnie", "great_wave"):
        assert name in bundled
    assert "composition_vii" in downloaded and "composition_vii" not in bundled


def test_doctor_reports_weights_and_estimates(capsys):
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "sha256-verified" in out and "estimate at 512x512" in out and "s/step" in out
    assert "convolutions in bfloat16" in out or "convolutions in float32" in out
    assert "lessons in full mode: 00 " in out and "06 ~" in out  # 01 may read "< 1 min"


def test_every_command_module_registers_itself_and_runs():
    """The protocol later command modules follow: ``add_parser(sub)`` sets ``func``; ``run`` returns."""
    import argparse

    from nst_course import cli

    for command, names in cli.COMMANDS.items():
        sub = argparse.ArgumentParser().add_subparsers()
        command.add_parser(sub)
        assert tuple(sub.choices) == names, command.__name__  # what build_parser registers by name
        for name, parser in sub.choices.items():
            assert callable(parser.get_default("func")), (command.__name__, name)
    assert cli.main(["samples"]) == 0


def test_stylize_keeps_no_tensors_on_the_arguments(tmp_path, monkeypatch):
    import torch

    from nst_course import budget, optimize
    from nst_course.cli import stylize
    from nst_course.harness import Result

    seen = {}
    real_run = stylize._run_stylize

    def spy(args, content, inputs, **kwargs):
        seen["args"] = vars(args)
        return real_run(args, content, inputs, **kwargs)

    monkeypatch.setattr(stylize, "_run_stylize", spy)
    monkeypatch.setattr(optimize, "stylize", lambda content, style, **k: Result(image=content))
    monkeypatch.setattr(budget, "time_step", lambda *a, **k: 0.01)
    assert main(["stylize", "astronaut", "waves", "-o", str(tmp_path / "o.png"), "--size", "48",
                 "--steps", "1", "--init-image", "chelsea"]) == 0
    assert not [k for k, v in seen["args"].items() if isinstance(v, torch.Tensor) or (
        isinstance(v, list) and any(isinstance(t, torch.Tensor) for t in v))]


def test_a_refused_stylize_answers_without_loading_torch():
    """``import nst_course`` and the checks of ``stylize`` need no PyTorch (about 2 s to import):
    a mistyped option or a bad number is refused at once; a real run still loads it."""
    code = ("import sys\nfrom nst_course.cli import main\nimport nst_course\n"
            "assert 'torch' not in sys.modules, 'import nst_course loaded torch'\n"
            "for argv in ([], ['--steps', '0'], ['--size', 'abc'], ['--style-weight', 'nan'],\n"
            "             ['--style-scale', '0.01'], ['--mask', 'm.png']):\n"
            "    try:\n"
            "        code = main(['stylize', 'a.png', 'swirls,waves', '-o', 'o.png', *argv[:2]]\n"
            "                    if argv else ['stylze'])\n"
            "    except SystemExit as e:\n"
            "        code = e.code\n"
            "    assert code == 2, (argv, code)\n"
            "    assert 'torch' not in sys.modules, f'{argv} loaded torch'\n"
            "from nst_course import stylize\n"
            "assert 'torch' in sys.modules and stylize.__module__ == 'nst_course.optimize'\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr


def test_the_public_names_come_from_their_modules():
    import importlib

    import nst_course

    star = {}
    exec("from nst_course import *", star)
    assert set(nst_course.__all__) <= set(star) and set(nst_course.__all__) <= set(dir(nst_course))
    for name, module in nst_course._WHERE.items():
        assert getattr(nst_course, name) is getattr(importlib.import_module(f"nst_course.{module}"), name)
    with pytest.raises(AttributeError, match="no attribute 'stylise'"):
        nst_course.stylise  # noqa: B018
