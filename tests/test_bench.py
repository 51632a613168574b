import json
import math
import re
import time
from pathlib import Path

import pytest
import torch

from nst_course import bench
from nst_course.bench import timing


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
    # patched where run() looks them up (bench.timing), not on the package that re-exports them
    monkeypatch.setattr(timing, "conv_peak", lambda dtype=None, **kw: 100.0)
    monkeypatch.setattr(timing, "images", lambda width: (torch.rand(1, 3, width * 3 // 4, width),) * 2)
    monkeypatch.setattr(timing, "IMPLS", {k: (lambda c, s, n: [0.01] * (n - 1)) for k in bench.IMPLS})
    started = time.perf_counter()
    res = bench.run((64,), steps=2, rounds=1, memory=False, out=lambda line: None, adain=None)
    table = bench.parse_markdown(bench.markdown(res, "nst-course bench --sizes 64"))
    assert len(table["rows"]) == 3 and table["machine"] == bench.processor()
    assert table["date"] == time.strftime("%Y-%m-%d")
    assert time.perf_counter() - started < 5  # nothing was measured for real (that takes ~10 s)


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


def test_time_to_quality_sweep_at_tiny_size(tmp_path):
    lines = []
    rows = bench.time_to_quality_sweep([("astronaut", "swirls")], [10.0, 1000.0], size=64, steps=6,
                                       schedules=([32, 64],), weights="random", out=lines.append,
                                       images_dir=tmp_path)
    assert len(rows) == 2 and len(lines) == 3 + 2 * 2
    assert lines[1].startswith("| content × style | style weight | run |") and "within 5 %" in lines[1]
    assert len(list(tmp_path.glob("astronaut_swirls_*.png"))) == 4
    for k, row in enumerate(rows):
        single, sizes = row["runs"]
        first, second = lines[3 + 2 * k], lines[4 + 2 * k]
        assert first.startswith(f"| astronaut × swirls | {row['style_weight']:g} | single | 6 |")
        assert second.startswith("|  |  | `[32, 64]` | 6 |") and second.count("|") == 13
        assert single["plan"] == "single" and sizes["plan"] == "sizes 32, 64"
        assert sizes["stages"] == [(32, 3), (64, 3)] and sizes["full_size_steps"] == 3 / 4 + 3
        assert single["full_size_steps"] == 6 and single["start_cost"] == 0
        for run in row["runs"]:
            assert run["seconds"] > 0 and run["steps"] == 6 and run["image"].shape == (1, 3, 64, 64)
            assert all(math.isfinite(run[k]) and run[k] > 0 for k in ("content", "style", "total"))
            assert run["checks"][-1][0] == 6 and run["checks"][-1][2] == run["total"]
        # single-scale is within 5 % of itself at its last step at the latest
        assert single["reached_step"] and single["reached_fraction"] <= 1.01
        if sizes["reached_step"]:  # only checked at full size: after the 3 coarse steps
            assert 3 < sizes["reached_step"] <= 6
            assert sizes["reached_full_size_steps"] == 3 / 4 + sizes["reached_step"] - 3
        else:
            assert second.rstrip(" |").endswith("never")


def test_start_cost_and_plan_labels():
    assert bench.start_cost("content", 512, 512) == 0
    assert 0.9 < bench.start_cost("adain", 512, 512) < 1.1  # AdaIN costs about one step
    assert bench.plan_label("adain", 256, 300, 100.0) == "AdaIN start, 90 steps or flat"
    assert bench.plan_label("auto", 512, 300, 100.0) == "single"  # until a sweep shows it pays
    assert bench.plan_label("coarse-to-fine", 512, 300, 100.0) == "coarse-to-fine"
    assert bench.plan_label("pyramid", 512, 300, 100.0) == "3-level pyramid"


def _sweep_row(weight=10.0):
    def run(schedule, plan, steps, seconds, total, reached):
        return {"schedule": schedule, "plan": plan, "steps": steps, "stopped": "done", "seconds": seconds,
                "full_size_steps": steps + (1 if schedule == "adain" else 0), "content": 2.0, "style": 0.09,
                "total": total, "reached_step": reached, "reached_seconds": reached and seconds / 2,
                "reached_fraction": reached and seconds / 400,
                "reached_full_size_steps": reached and reached + 1, "checks": [], "start_cost": 0,
                "stages": [[512, steps]]}
    return {"content": "astronaut", "style": "swirls", "style_weight": weight,
            "runs": [run("single", "single", 300, 200.0, 2.9, 150),
                     run("adain", "AdaIN start, 90 steps or flat", 90, 60.0, 2.95, 40)]}


def test_main_sweep_writes_its_table_into_the_readme(tmp_path, monkeypatch, capsys):
    calls = []

    def fake_sweep(pairs, weights, size, steps, schedules, out=print, images_dir=None, on_row=None):
        calls.append(size)  # main() must run this, not the real sweep (minutes)
        lines = bench.sweep_lines([_sweep_row(weights[0])], size, steps)
        for line in lines:
            out(line)
        row = _sweep_row(weights[0])
        row["runs"][0]["image"] = torch.zeros(1)
        on_row([row])  # the JSON is written after every row
        return [row]
    monkeypatch.setattr(bench, "time_to_quality_sweep", fake_sweep)
    readme, saved = tmp_path / "README.md", tmp_path / "sweep.json"
    readme.write_text("a\n<!-- sweep:begin -->\nold\n<!-- sweep:end -->\nb\n")
    assert bench.main(["--sweep", "--sweep-size", "64", "--sweep-weights", "7", "--update-readme",
                       str(readme), "--json", str(saved)]) == 0
    assert calls == [64]
    table = bench.between_markers(readme.read_text(), "sweep")
    assert table.startswith("\nMeasured ") and "| astronaut × swirls | 7 | single |" in table
    assert "old" not in table and "--sweep-size 64" in table and bench.processor() in table
    res = json.loads(saved.read_text())
    assert res["rows"][0]["style_weight"] == 7.0 and "image" not in res["rows"][0]["runs"][0]
    assert "| astronaut × swirls | 7 |" in capsys.readouterr().out
    assert bench.main(["--sweep", "--sweep-pairs", "astronaut-swirls"]) == 2  # refused at once
    assert "CONTENT:STYLE" in capsys.readouterr().err


def test_sweep_table_is_rendered_again_from_its_json_files(tmp_path, capsys):
    files = []
    for k, weight in enumerate((10.0, 4000.0)):
        files.append(tmp_path / f"sweep{k}.json")
        res = {"measured": "2026-12-02 on here, 1 threads, torch 2", "size": 512, "steps": 300,
               "command": f"sweep {k}", "rows": [_sweep_row(weight)]}
        files[-1].write_text(json.dumps(res))
    readme = tmp_path / "README.md"
    readme.write_text("<!-- sweep:begin -->\nold\n<!-- sweep:end -->\n")
    assert bench.main(["--sweep", "--from-json", *map(str, files), "--update-readme", str(readme)]) == 0
    table = bench.between_markers(readme.read_text(), "sweep")
    assert table.startswith("\nMeasured 2026-12-02 on here, 1 threads, torch 2: `sweep 0`, `sweep 1` (")
    assert ("| astronaut × swirls | 10 | single | 300 | 200.0 | 100 % | 300 | 2 | 0.09 | 2.9 | 1.000 | "
            "step 150, 100.0 s (50 %), 151 full-size steps |") in table
    assert ("|  |  | `adain`: AdaIN start, 90 steps or flat | 90 | 60.0 | 30 % | 91 | 2 | 0.09 | 2.95 | "
            "1.017 | step 40, 30.0 s (15 %), 41 full-size steps |") in table
    assert "| astronaut × swirls | 4000 | single |" in table
    assert "step 40" in capsys.readouterr().out
    assert bench.main(["--sweep", "--from-json", str(readme)]) == 2  # not a sweep's JSON


def test_readme_has_the_sweep_and_lessons_markers():
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    for kind in ("sweep", "lessons"):
        assert bench.between_markers(readme, kind).strip()


def test_readme_sweep_table_says_what_auto_does_now():
    import re

    table = bench.between_markers((Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8"),
                                  "sweep")
    size, steps = map(int, re.search(r"--sweep-size (\d+) --sweep-steps (\d+)", table).groups())
    rows = [[c.strip() for c in line.strip().strip("|").split("|")] for line in table.splitlines()
            if line.startswith("| ") and "content × style" not in line]
    assert len(rows) >= 2 and rows[0][2] == "single"
    weight = None
    for cells in rows:
        weight = float(cells[1]) if cells[1] else weight
        for schedule in ("auto", "adain"):  # measured with what the schedule does now
            if cells[2].startswith(f"`{schedule}`"):
                assert cells[2] == f"`{schedule}`: {bench.plan_label(schedule, size, steps, weight)}"
