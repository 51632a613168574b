from nst_course import bench


def test_step_gflop_counts_forward_and_input_backward():
    # conv1_1 ... conv5_1 (+ conv4_3, conv4_4 on the way) at 512x384: ~0.72 MFLOP per pixel forward
    g = bench.step_gflop(384, 512)
    assert 270 < g < 300
    assert bench.step_gflop(768, 1024) == 4 * g or abs(bench.step_gflop(768, 1024) / g - 4) < 1e-3


def test_bench_prints_a_table_with_the_ratio():
    lines = []
    res = bench.run((64,), steps=1, rounds=1, memory=False, out=lines.append)
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


def test_time_to_quality_reports_float32_losses_of_both():
    lines = []
    r = bench.time_to_quality(64, 6, out=lines.append)
    assert len(lines) == 2 and lines[0].startswith("plain 6 steps") and "reached plain's losses" in lines[1]
    assert r["plain_seconds"] > 0 and r["ours_seconds"] > 0
    assert 0 < r["ours_content"] and 0 < r["ours_style"]
    assert r["images"][0].shape == r["images"][1].shape == (1, 3, 48, 64)
    if r["reached"]:
        assert r["reached"]["content"] <= r["plain_content"] and r["reached"]["style"] <= r["plain_style"]
