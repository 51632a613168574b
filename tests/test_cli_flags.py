"""The neural-style options of ``nst-course stylize``, and the ``adain``, ``lessons`` and ``lab`` commands.

Each option: documented in ``--help`` with its default, one happy path, one bad input. Runs are
tiny (32-64 px, 2-4 steps); ``--weights random`` where the pictures do not matter. Where only
what reaches :func:`nst_course.stylize` matters, a spy stands in for it (no optimisation at all).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
from PIL import Image

import nst_course.cli as cli
import nst_course.optimize as optimize
from nst_course.cli import main
from nst_course.control import rgb_to_yiq
from nst_course.images import load_image
from nst_course.optimize import Result

# styles drawn in well under a second ("swirls" takes ~20 s to draw on a busy 2-core machine)
TINY = ["--size", "48", "--steps", "2", "--weights", "random", "--precision", "float32"]
NEW_FLAGS = ["--original-colors", "--style-scale", "--style-blend-weights", "--init-image",
             "--save-every", "--print-every", "--schedule", "--mask", "--content-layers", "--style-layers",
             "--learning-rate"]


def stylize_cli(tmp_path, *extra, style="waves", out="out.png"):
    return main(["stylize", "astronaut", style, "-o", str(tmp_path / out), *TINY, *map(str, extra)])


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.fixture
def spy(monkeypatch):
    """Replace the optimisation by a recorder: ``calls`` holds ``(content, style, kwargs)``."""
    calls = []

    def fake(content, style, **kwargs):
        calls.append((content, style, kwargs))
        img = content if isinstance(content, torch.Tensor) else load_image(content, 48)
        return Result(image=img.clone())

    monkeypatch.setattr(optimize, "stylize", fake)
    return calls


def _help_blocks(command: str, capsys) -> dict[str, str]:
    with pytest.raises(SystemExit) as e:
        main([command, "--help"])
    assert e.value.code == 0
    blocks, name = {}, None
    for line in capsys.readouterr().out.splitlines():
        if line.startswith("  -"):
            name = re.findall(r"--[a-z][a-z-]*", line)[0]  # "-o OUTPUT, --output OUTPUT": --output
            blocks[name] = line
        elif name and line.startswith(" " * 10):
            blocks[name] += " " + line.strip()
        else:
            name = None
    return blocks


def test_help_documents_every_new_flag_with_its_default(capsys):
    blocks = _help_blocks("stylize", capsys)
    for flag in NEW_FLAGS:
        assert flag in blocks, flag
        assert "default" in blocks[flag], f"{flag}: no default in --help: {blocks[flag]}"
    on_off = {"--help", "--output", "--force", "--allow-long-run"}  # flags without a value, required -o
    silent = [f for f, text in blocks.items() if f not in on_off and "default" not in text]
    assert not silent, f"options whose --help shows no default: {silent}"
    adain = _help_blocks("adain", capsys)
    assert "default: 1.0" in adain["--alpha"] and "default: 512" in adain["--size"]
    with pytest.raises(SystemExit):
        main(["lessons", "--help"])
    text = " ".join(capsys.readouterr().out.split()).replace("- ", "-")  # argparse breaks at hyphens
    assert "(default: nst-course-lessons)" in text


# --- --original-colors ---------------------------------------------------------------------------

def test_original_colors_keeps_the_contents_colours(tmp_path):
    assert stylize_cli(tmp_path, "--original-colors") == 0
    out = load_image(str(tmp_path / "out.png"))
    content = load_image("astronaut", 48)
    chroma = (rgb_to_yiq(out)[:, 1:] - rgb_to_yiq(content)[:, 1:]).abs().mean().item()
    assert chroma < 0.03, chroma  # I and Q are the content's (up to 8-bit rounding and clamping)


def test_original_colors_takes_only_0_or_1(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        stylize_cli(tmp_path, "--original-colors", "2")
    assert e.value.code == 2 and "--original-colors" in capsys.readouterr().err


# --- --style-scale -------------------------------------------------------------------------------

def test_style_scale_sizes_the_style_image(tmp_path, spy):
    assert stylize_cli(tmp_path, "--style-scale", "1.5") == 0
    (_, style, kwargs), = spy
    assert max(style.shape[-2:]) == 72 and kwargs["style_scale"] == 1.5


@pytest.mark.parametrize("value, expected", [("0", "above 0"), ("-1", "above 0"), ("nan", "above 0"),
                                             ("0.2", "at least 32 px")])
def test_style_scale_refuses_bad_values(tmp_path, capsys, value, expected):
    assert stylize_cli(tmp_path, "--style-scale", value) == 2
    line = one_error_line(capsys)
    assert "--style-scale" in line and expected in line


# --- several styles, --style-blend-weights -------------------------------------------------------

def test_several_styles_blend_with_weights(tmp_path, spy):
    assert stylize_cli(tmp_path, "--style-blend-weights", "1,3", style="waves,composition") == 0
    (_, styles, kwargs), = spy
    assert len(styles) == 2 and kwargs["style_blend"] == [1.0, 3.0]


def test_several_styles_really_run(tmp_path):
    assert stylize_cli(tmp_path, "--style-blend-weights", "2,1", style="waves,composition") == 0
    assert Image.open(tmp_path / "out.png").size == (48, 48)


@pytest.mark.parametrize("style, weights, expected", [
    ("waves,composition", "1", "2 style images"),
    ("waves,composition", "1,x", "comma-separated numbers"),
    ("waves,composition", "-1,2", "negative"),
    ("waves,composition", "0,0", "all be 0"),
    ("waves,,composition", None, "empty item"),
])
def test_bad_blends_are_refused(tmp_path, capsys, style, weights, expected):
    extra = [f"--style-blend-weights={weights}"] if weights else []  # "-1,2" is no option
    assert stylize_cli(tmp_path, *extra, style=style) == 2
    assert expected in one_error_line(capsys)
    assert not (tmp_path / "out.png").exists()


# --- --init-image --------------------------------------------------------------------------------

def test_init_image_starts_from_that_image(tmp_path, spy):
    assert stylize_cli(tmp_path, "--init-image", "chelsea") == 0
    (content, _, kwargs), = spy
    init = kwargs["init"]
    assert isinstance(init, torch.Tensor) and init.shape == content.shape
    assert not torch.allclose(init, content)


def test_init_image_really_runs(tmp_path):
    assert stylize_cli(tmp_path, "--init-image", "coffee") == 0
    assert (tmp_path / "out.png").exists()


def test_missing_init_image_is_named(tmp_path, capsys):
    assert stylize_cli(tmp_path, "--init-image", tmp_path / "nope.jpg") == 2
    assert "nope.jpg" in one_error_line(capsys)


# --- --save-every, --print-every -----------------------------------------------------------------

def test_save_every_writes_numbered_images_and_print_every_prints(tmp_path, capsys):
    assert stylize_cli(tmp_path, "--steps", "4", "--save-every", "2", "--print-every", "1") == 0
    assert sorted(p.name for p in tmp_path.glob("*.png")) == ["out.png", "out_2.png"]  # last = out.png
    out = capsys.readouterr().out
    assert [ln.split(":")[0] for ln in out.splitlines() if ln.startswith("Iteration")] == \
        [f"Iteration {k} / 4" for k in (1, 2, 3, 4)]


def test_save_every_never_replaces_an_existing_file(tmp_path, capsys):
    (tmp_path / "out_2.png").write_bytes(b"keep me")
    assert stylize_cli(tmp_path, "--steps", "4", "--save-every", "2") == 2
    assert "out_2.png" in one_error_line(capsys) and (tmp_path / "out_2.png").read_bytes() == b"keep me"
    assert not (tmp_path / "out.png").exists()  # refused before the run


@pytest.mark.parametrize("flag", ["--save-every", "--print-every"])
def test_negative_every_is_refused(tmp_path, capsys, flag):
    assert stylize_cli(tmp_path, flag, "-1") == 2
    assert flag in one_error_line(capsys)


# --- --schedule ----------------------------------------------------------------------------------

def test_schedule_sizes_run_coarse_to_fine(tmp_path, capsys):
    assert stylize_cli(tmp_path, "--steps", "4", "--schedule", "32,48", "--print-every", "2") == 0
    assert Image.open(tmp_path / "out.png").size == (48, 48)
    assert "Iteration 4 / 4" in capsys.readouterr().out


@pytest.mark.parametrize("schedule", ["auto", "coarse-to-fine", "single", "pyramid"])
def test_schedule_words_reach_stylize(tmp_path, spy, schedule):
    enough = ("--steps", "3", "--size", "128") if schedule == "coarse-to-fine" else ()  # 3 sizes
    assert stylize_cli(tmp_path, "--schedule", schedule, *enough) == 0
    assert spy[0][2]["schedule"] == schedule


@pytest.mark.parametrize("schedule, expected", [("48,32", "increasing"), ("a,b", "whole numbers"),
                                                ("32,40", "must be the image's 48 px"),
                                                ("16,32,48", "cannot be split")])
def test_bad_schedules_are_refused(tmp_path, capsys, schedule, expected):
    assert stylize_cli(tmp_path, "--schedule", schedule) == 2
    line = one_error_line(capsys)
    assert "--schedule" in line and expected in line


# --- layers, learning rate, neural-style's names ------------------------------------------------

def test_layers_and_learning_rate_reach_stylize(tmp_path, spy):
    assert stylize_cli(tmp_path, "--content-layers", "conv3_2", "--style-layers", "conv1_1,conv2_1",
                       "--learning-rate", "0.5", "--init", "random") == 0
    (_, _, kwargs), = spy
    assert kwargs["content_layers"] == ("conv3_2",) and kwargs["style_layers"] == ("conv1_1", "conv2_1")
    assert kwargs["lr"] == 0.5 and kwargs["init"] == "noise"  # neural-style's -init random


def test_layers_really_run(tmp_path):
    assert stylize_cli(tmp_path, "--style-layers", "conv1_1,conv2_1", "--content-layers", "conv2_2",
                       "--optimizer", "adam", "--learning-rate", "0.05") == 0


def test_neural_style_names_of_size_and_steps():
    args = cli.build_parser().parse_args(["stylize", "a", "b", "-o", "o.png", "--image-size", "96",
                                     "--num-iterations", "7"])
    assert (args.size, args.steps) == (96, 7)


@pytest.mark.parametrize("extra, expected", [(["--content-layers", "conv9_9"], "not a VGG19 layer"),
                                             (["--style-layers", "conv1_1,relu2_1"], "relu2_1"),
                                             (["--learning-rate", "0"], "--learning-rate"),
                                             (["--learning-rate", "nan"], "--learning-rate")])
def test_bad_layers_and_learning_rates_are_refused(tmp_path, capsys, extra, expected):
    assert stylize_cli(tmp_path, *extra) == 2
    assert expected in one_error_line(capsys)


# --- --mask --------------------------------------------------------------------------------------

def _half_mask(tmp_path):
    m = np.zeros((48, 48), np.uint8)
    m[:, :24] = 255
    Image.fromarray(m).save(tmp_path / "left.png")
    return tmp_path / "left.png"


def test_mask_styles_only_the_white_part(tmp_path):
    assert stylize_cli(tmp_path, "--mask", _half_mask(tmp_path), "--steps", "3", "--save-every", "2") == 0
    content = load_image("astronaut", 48)
    for name in ("out.png", "out_2.png"):
        out = load_image(str(tmp_path / name))
        right = (out - content)[..., 28:].abs().max().item()
        assert right < 2 / 255, (name, right)  # black in the mask: the content as it is


@pytest.mark.parametrize("case, expected", [("count", "one mask per style"),
                                            ("colours", "cannot be combined with --original-colors"),
                                            ("missing", "nope.png"),
                                            ("schedule", "cannot be combined with --schedule coarse-to-fine"),
                                            ("seed", "cannot be combined with --seed: a masked run starts "
                                                     "from the content photo")])
def test_bad_masks_are_refused(tmp_path, capsys, case, expected):
    """Also: a mask with --schedule or --seed was run without them (silently); now refused."""
    mask = str(_half_mask(tmp_path))
    extra = {"count": ["--mask", f"{mask},{mask}"], "colours": ["--mask", mask, "--original-colors"],
             "missing": ["--mask", str(tmp_path / "nope.png")],
             "schedule": ["--mask", mask, "--schedule", "coarse-to-fine"],
             "seed": ["--mask", mask, "--seed", "3"]}[case]
    assert stylize_cli(tmp_path, *extra) == 2
    assert expected in one_error_line(capsys)


# --- adain ---------------------------------------------------------------------------------------

def test_adain_writes_the_picture(tmp_path, capsys):
    for alpha in ("0", "1"):
        assert main(["adain", "astronaut", "waves", "-o", str(tmp_path / f"a{alpha}.png"),
                     "--size", "64", "--alpha", alpha]) == 0
    a0, a1 = (np.asarray(Image.open(tmp_path / f"a{a}.png"), float) for a in "01")
    assert a0.shape == (64, 64, 3) and np.abs(a0 - a1).mean() > 5  # the style shows at alpha 1
    assert "alpha 1" in capsys.readouterr().err


@pytest.mark.parametrize("extra, expected", [(["--alpha", "1.5"], "--alpha"), (["--alpha", "nan"], "--alpha"),
                                             (["--size", "8"], "--size"),
                                             (["--style-blend-weights", "1,2"], "--style-blend-weights"),
                                             (["-o", "{tmp}/keep.png"], "exists already"),
                                             (["-o", "{tmp}/a.txt"], "unknown image type")])
def test_adain_bad_input(tmp_path, capsys, extra, expected):
    (tmp_path / "keep.png").write_bytes(b"keep me")
    extra = [e.format(tmp=tmp_path) for e in extra]
    out = [] if "-o" in extra else ["-o", str(tmp_path / "a.png")]
    assert main(["adain", "astronaut", "waves", *out, "--size", "64", *extra]) == 2
    assert expected in one_error_line(capsys)
    assert (tmp_path / "keep.png").read_bytes() == b"keep me"


# --- lessons, lab --------------------------------------------------------------------------------

def test_lessons_copies_and_never_replaces_your_work(tmp_path, capsys):
    from nst_course.lessons import lesson_files

    bundled = [p.name for p in lesson_files()]
    assert main(["lessons", str(tmp_path / "course")]) == 0
    assert sorted(p.name for p in (tmp_path / "course").glob("*.ipynb")) == bundled
    mine = tmp_path / "course" / bundled[0]
    mine.write_text(mine.read_text() + " ")
    assert main(["lessons", str(tmp_path / "course")]) == 0
    assert mine.read_text().endswith(" ") and "Kept" in capsys.readouterr().out
    assert main(["lessons", str(tmp_path / "course"), "--force"]) == 0
    assert not mine.read_text().endswith(" ")


def test_lessons_student_copies_hold_no_solutions_and_no_lecture_plans(tmp_path):
    assert main(["lessons", str(tmp_path / "s"), "--student"]) == 0
    assert main(["lessons", str(tmp_path / "full")]) == 0
    copies = sorted((tmp_path / "s").glob("*.ipynb"))
    assert copies
    for path in copies:
        cells = nbformat.read(str(path), as_version=4).cells
        assert not [c for c in cells if "solution" in c.metadata.get("tags", [])], path.name
        assert not [c for c in cells if "lecture-plan" in c.metadata.get("tags", [])], path.name
        full = nbformat.read(str(tmp_path / "full" / path.name), as_version=4).cells
        assert [c for c in full if "lecture-plan" in c.metadata.get("tags", [])], path.name


def test_lessons_into_a_file_is_refused(tmp_path, capsys):
    (tmp_path / "f").write_text("x")
    assert main(["lessons", str(tmp_path / "f")]) == 2
    assert "is a file" in one_error_line(capsys)


def test_lab_copies_then_opens_lesson_00(tmp_path, monkeypatch, capsys):
    seen = []
    monkeypatch.setattr(cli.course, "_launch", lambda cmd, folder: seen.append((cmd, folder)) or 0)
    assert main(["lab", str(tmp_path / "course"), "--no-browser"]) == 0
    (cmd, folder), = seen
    assert (folder / "00_start_here.ipynb").exists()
    assert cmd[1:4] == ["-m", "jupyterlab", "00_start_here.ipynb"]
    assert "--LabApp.default_url=/lab/tree/00_start_here.ipynb" in cmd  # the printed link opens it too
    assert ("--allow-root" in cmd) == (os.geteuid() == 0) and "--no-browser" in cmd
    # make lab runs this again each time: a learner's edited copy is never replaced
    mine = sorted(folder.glob("[0-9][0-9]_*.ipynb"))[3]
    mine.write_text(mine.read_text() + " ")
    edited = mine.read_text()
    capsys.readouterr()
    assert main(["lab", str(tmp_path / "course"), "--no-browser"]) == 0
    assert mine.read_text() == edited
    out = capsys.readouterr().out
    assert "Kept" in out and "1 of them differ from this version of the course" in out
    assert out.rstrip().endswith(mine.name)


def test_lab_into_a_file_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(cli.course, "_launch", lambda cmd, folder: pytest.fail("must not start"))
    (tmp_path / "f").write_text("x")
    assert main(["lab", str(tmp_path / "f")]) == 2
    assert "is a file" in one_error_line(capsys)


def test_readme_lists_every_new_flag_and_command():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    for word in [*NEW_FLAGS, "nst-course adain", "--alpha", "nst-course lessons", "nst-course lab",
                 "--student"]:
        assert f"`{word}" in readme or f"{word} " in readme, f"README does not mention {word}"
