import json
import math
import re
import time
from pathlib import Path

import pytest
import torch

from nst_course import bench


def test_step_gflop_counts_forward_and_input_backward():
    # conv1_1 ... conv5_1 (+ conv4_3, conv4_4 on the way) at 512x384: ~0.72 MFLOP per pixel forward
    g = bench.step_gflop(384, 512)
    assert 270 < g < 300
    assert bench.step_gflop(768, 1024) == 4 * g or abs(bench.step_gflop(768, 1024) / g - 4) < 1e-3


def test_bench_prints_a_table_with_the_ratio():
    lines = []
    res = bench.run((64,), steps=1, rounds=1, memory=False, out=lines.append, adain=None)
    assert "conv peak" in lines[0] and "bfloat16" in lines[0] and "/ plain" in lines[1]
    row = res["rows"][0]
    assert (row["width"], row["height"]) == (64, 48)
    assert all(row[impl]["s_per_step"] > 0 for impl in ("plain", "ours", "ours_fp32"))
    assert row["ours_fp32"]["dtype"] == "float32" and row["plain"]["dtype"] == "float32"
    assert len(lines) == 5 and "ours fp32" in lines[4]


def test_peak_memory_is_the_childs_own():
    # Linux carries ru_maxrss over exec: a child of a big process used to report the parent's size
    import torch

    ballast = torch.ones(1536 * 2**20 // 4)  # this process: > 1.5 GB resident
    parent = bench.peak_rss_mb()
    child = bench.peak_memory_mb("ours", 64, 1)
    assert parent > 1536 and 100 < child < parent - 300, (parent, child)
    del ballast


def _fake_result():
    """What run() returns, without measuring anything."""
    def impl(sec, dtype):
        return {"s_per_step": sec, "gflops": 71 / sec, "peak_mb": float("nan"), "dtype": dtype}
    return {"conv_peak_gflops": {"float32": 200.0, "bfloat16": 400.0}, "date": "2026-11-26",
            "processor": bench.processor(), "torch": "2.14.1", "threads": 2, "steps": 3, "rounds": 2,
            "rows": [{"width": 256, "height": 192, "gflop": 71.0, "plain": impl(0.5, "float32"),
                      "ours": impl(0.25, "bfloat16"), "ours_fp32": impl(0.45, "float32")}]}


def test_markdown_table_parses_and_names_machine_and_date():
    text = bench.markdown(_fake_result())
    table = bench.parse_markdown(text)
    assert table["date"] == "2026-11-26" and table["machine"] == bench.processor()
    assert table["threads"] == 2 and table["torch"] == "2.14.1"
    assert [r["impl"] for r in table["rows"]] == ["plain", "`stylize` (bfloat16)", "`stylize` float32"]
    assert table["rows"][1]["/ plain"] == "**0.50**" and table["rows"][1]["% of conv peak"] == "71 %"
    assert table["rows"][0]["peak memory"] == "–"  # not measured


def test_run_result_makes_a_markdown_table(monkeypatch):
    # the measurement monkeypatched away: run()'s own bookkeeping, in well under a second
    monkeypatch.setattr(bench, "conv_peak", lambda dtype=None, **kw: 100.0)
    monkeypatch.setattr(bench, "images", lambda width: (torch.rand(1, 3, width * 3 // 4, width),) * 2)
    monkeypatch.setattr(bench, "IMPLS", {k: (lambda c, s, n: [0.01] * (n - 1)) for k in bench.IMPLS})
    res = bench.run((64,), steps=2, rounds=1, memory=False, out=lambda line: None, adain=None)
    table = bench.parse_markdown(bench.markdown(res, "nst-course bench --sizes 64"))
    assert len(table["rows"]) == 3 and table["machine"] == bench.processor()
    assert table["date"] == time.strftime("%Y-%m-%d")


def test_processor_names_the_cpu_and_its_bfloat16():
    name = bench.processor()
    assert "cores" in name and torch.backends.cpu.get_cpu_capability() in name
    assert "bf16" in name or "no native bfloat16" in name


def test_readme_table_parses_and_names_its_machine_and_date():
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    table = bench.parse_markdown(bench.between_markers(readme, "bench"))
    assert re.fullmatch(r"20\d\d-\d\d-\d\d", table["date"]) and len(table["machine"]) > 3
    sizes = {r["size"] for r in table["rows"]}
    assert {"256×192", "512×384"} <= sizes
    assert all({r["impl"] for r in table["rows"] if r["size"] == s} >= {"plain"} for s in sizes)


def test_update_readme_replaces_only_between_the_markers(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# T\n\nbefore\n<!-- bench:begin -->\nold table\n<!-- bench:end -->\nafter\n")
    bench.update_readme(readme, bench.markdown(_fake_result()))
    text = readme.read_text()
    assert text.startswith("# T\n\nbefore\n<!-- bench:begin -->\nMeasured 2026-11-26")
    assert text.endswith("|\n<!-- bench:end -->\nafter\n") and "old table" not in text
    bench.parse_markdown(bench.between_markers(text))
    readme.write_text("no markers")
    with pytest.raises(ValueError, match="markers"):
        bench.update_readme(readme, "x")


def test_main_prints_markdown_from_json_without_measuring(tmp_path, capsys):
    saved = tmp_path / "bench.json"
    saved.write_text(json.dumps(_fake_result() | {"command": "nst-course bench --sizes 256"}))
    readme = tmp_path / "README.md"
    readme.write_text("<!-- bench:begin -->\n<!-- bench:end -->\n")
    assert bench.main(["--sizes", "256", "--from-json", str(saved), "--markdown",
                       "--update-readme", str(readme)]) == 0
    out = capsys.readouterr().out
    assert "`nst-course bench --sizes 256`" in out
    assert bench.parse_markdown(bench.between_markers(readme.read_text()))["date"] == "2026-11-26"
    readme.write_text("no markers")  # refused before any measuring
    assert bench.main(["--sizes", "256", "--update-readme", str(readme)]) == 2


def test_adain_flops_and_timing():
    # encoder to conv4_1 ~ 0.48 MFLOP per pixel, the decoder as much: ~380 GFLOP at 512x512
    assert 370 < bench.adain_gflop(512, 512) < 390
    assert abs(bench.adain_gflop(512, 512) - bench.adain_gflop(512, 512, style=False) - 126.5) < 1
    a = bench.time_adain(64, repeats=1)
    assert a["seconds"] > 0 and a["cached_seconds"] > 0 and a["dtype"] in ("float32", "bfloat16")
    res = _fake_result() | {"adain": a}
    text = bench.markdown(res)
    assert "AdaIN (`adain_stylize`" in text and "cached" in text
    bench.parse_markdown(text)  # the extra line leaves the table readable


def test_full_size_steps_counts_stages_by_pixels():
    stages = [(128, 100), (256, 100), (512, 100)]
    assert bench.full_size_steps(stages, 512) == 100 * (1 / 16 + 1 / 4 + 1)
    assert bench.full_size_steps(stages, 512, 150) == 100 / 16 + 50 / 4
    assert bench.full_size_steps([(64, 10)], 64, 4) == 4


def test_time_to_quality_sweep_at_tiny_size():
    lines = []
    rows = bench.time_to_quality_sweep([("astronaut", "swirls")], [10.0, 1000.0], size=64, steps=6,
                                       schedule=[32, 64], weights="random", out=lines.append)
    assert len(rows) == 2 and len(lines) == 3 + 2
    assert lines[1].startswith("| content × style | style weight |") and "[32, 64]: s" in lines[1]
    for row, line in zip(rows, lines[3:]):
        assert line.startswith(f"| astronaut × swirls | {row['style_weight']:g} |") and line.count("|") == 13
        assert row["stages"] == [(32, 3), (64, 3)] and row["full_size_steps"] == 3 / 4 + 3
        assert row["single_seconds"] > 0 and row["seconds"] > 0
        losses = (row["single_content"], row["single_style"], row["content_loss"], row["style_loss"])
        assert all(math.isfinite(v) and v > 0 for v in losses), losses  # 6 steps moved the photo
        assert row["images"][0].shape == row["images"][1].shape == (1, 3, 64, 64)
        if row["reached_step"]:  # only at full size: after the 3 coarse steps
            assert 3 < row["reached_step"] <= 6 and 0 < row["reached_fraction"]
            assert row["reached_full_size_steps"] == 3 / 4 + row["reached_step"] - 3
        else:
            assert "never" in line


def test_main_sweep_writes_its_table_into_the_readme(tmp_path, monkeypatch, capsys):
    def fake_sweep(pairs, weights, size, steps, out=print):
        out(f"time to quality at {size} px")
        out("| header |")
        out("|---|")
        out(f"| {pairs[0][0]} × {pairs[0][1]} | {weights[0]:g} |")
        return [{"style_weight": weights[0], "images": (torch.zeros(1),)}]
    monkeypatch.setattr(bench, "time_to_quality_sweep", fake_sweep)
    readme, saved = tmp_path / "README.md", tmp_path / "sweep.json"
    readme.write_text("a\n<!-- sweep:begin -->\nold\n<!-- sweep:end -->\nb\n")
    assert bench.main(["--sweep", "--sweep-size", "64", "--sweep-weights", "7", "--update-readme",
                       str(readme), "--json", str(saved)]) == 0
    table = bench.between_markers(readme.read_text(), "sweep")
    assert table.startswith("\nMeasured ") and "| astronaut × swirls | 7 |" in table and "old" not in table
    assert "--sweep-size 64" in table and bench.processor() in table
    assert json.loads(saved.read_text())["rows"] == [{"style_weight": 7.0}]
    assert "| astronaut × swirls | 7 |" in capsys.readouterr().out


def test_sweep_table_is_rendered_again_from_its_json_with_what_auto_does_now(tmp_path, capsys):
    row = {"style_weight": 10.0, "single_seconds": 200.0, "single_content": 2.0, "single_style": 0.09,
           "seconds": 88.0, "content_loss": 2.6, "style_loss": 0.0874, "stages": [[128, 100], [256, 100],
           [512, 100]], "full_size_steps": 131.25, "reached_step": None, "reached_seconds": None,
           "reached_fraction": None, "reached_full_size_steps": None, "content": "astronaut",
           "style": "swirls"}
    saved, readme = tmp_path / "sweep.json", tmp_path / "README.md"
    saved.write_text(json.dumps({"caption": "Measured then.", "size": 512, "steps": 300, "rows": [row]}))
    readme.write_text("<!-- sweep:begin -->\nold\n<!-- sweep:end -->\n")
    assert bench.main(["--sweep", "--from-json", str(saved), "--update-readme", str(readme)]) == 0
    table = bench.between_markers(readme.read_text(), "sweep")
    assert table.startswith("\nMeasured then.") and "| `auto` runs |" in table
    line = ("| astronaut × swirls | 10 | 200.0 | 2 | 0.09 | 88.0 | 2.6 | 0.0874 | never | – | – of 131 "
            "| single |")
    assert line in table
    assert "never" in capsys.readouterr().out


def test_readme_has_the_sweep_and_lessons_markers():
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    for kind in ("sweep", "lessons"):
        assert bench.between_markers(readme, kind).strip()


def test_readme_sweep_table_says_what_auto_does_now():
    import re

    from nst_course.stages import schedule_sizes

    table = bench.between_markers((Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8"),
                                  "sweep")
    size, steps = map(int, re.search(r"--sweep-size (\d+) --sweep-steps (\d+)", table).groups())
    rows = [line for line in table.splitlines() if line.startswith("| ") and "×" in line
            and "content × style" not in line]
    assert len(rows) == 8  # 2 pairs x 4 style weights
    auto = "single" if len(schedule_sizes("auto", size, steps)) == 1 else "coarse-to-fine"
    assert all(line.rstrip(" |").rsplit("|", 1)[1].strip() == auto for line in rows)
