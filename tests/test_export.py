"""`nst-course export`: the ONNX graph runs in onnxruntime and matches PyTorch."""

from __future__ import annotations

import pytest
import torch

from nst_course.cli import main
from nst_course.export import export_net, fit_multiple_of_4, onnx_styles, run_onnx
from nst_course.feedforward import apply_net, bundled_network
from nst_course.training import HELD_OUT, photo

pytest.importorskip("onnxruntime")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    net, _ = bundled_network()
    return net, export_net(net, tmp_path_factory.mktemp("onnx") / "fast_net.onnx")


@pytest.mark.parametrize("name,size", [(HELD_OUT[0], 64), (HELD_OUT[1], 100), (HELD_OUT[0], 256)])
@pytest.mark.parametrize("mix", [[1.0, 0.0], [0.3, 0.7]])
def test_onnx_matches_pytorch_on_held_out_photos(exported, name, size, mix):
    net, path = exported
    img = fit_multiple_of_4(photo(name, size))
    ours = run_onnx(path, img, mix)
    torch.testing.assert_close(ours, apply_net(net, img, mix, precision="float32"), atol=1e-4, rtol=0)


def test_onnx_file_is_small_and_names_its_styles(exported):
    _, path = exported
    assert path.stat().st_size <= 2_000_000
    assert onnx_styles(path) == ["starry_night", "great_wave"]
    import onnx

    ops = {n.op_type for n in onnx.load(str(path)).graph.node}
    assert "InstanceNormalization" in ops and "BatchNormalization" not in ops


def test_export_command_and_its_bad_input(tmp_path, capsys):
    out = tmp_path / "net.onnx"
    assert main(["export", "bundled", "-o", str(out)]) == 0
    assert out.is_file()
    assert main(["export", "bundled", "-o", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["export", "bundled", "-o", str(tmp_path / "net.pt")]) == 2
    assert ".onnx" in capsys.readouterr().err
    assert main(["export", str(tmp_path / "none.pt"), "-o", str(tmp_path / "a.onnx")]) == 2
    assert "no such file" in capsys.readouterr().err
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a network")
    assert main(["export", str(bad), "-o", str(tmp_path / "b.onnx")]) == 2
    err = capsys.readouterr().err
    assert "not a style network" in err and err.count("\n") == 1
