from nst_course import bench


def test_step_gflop_counts_forward_and_input_backward():
    # conv1_1 ... conv5_1 (+ conv4_3, conv4_4 on the way) at 512x384: ~0.72 MFLOP per pixel forward
    g = bench.step_gflop(384, 512)
    assert 270 < g < 300
    assert bench.step_gflop(768, 1024) == 4 * g or abs(bench.step_gflop(768, 1024) / g - 4) < 1e-3


def test_bench_prints_a_table_with_the_ratio():
    lines = []
    res = bench.run((64,), steps=1, rounds=1, memory=False, out=lines.append)
    assert "conv peak" in lines[0] and "ours/plain" in lines[1]
    row = res["rows"][0]
    assert (row["width"], row["height"]) == (64, 48)
    assert row["plain"]["s_per_step"] > 0 and row["ours"]["s_per_step"] > 0
    assert len(lines) == 4
