"""tools/step_probe.py: its fused variants give the step's own numbers, its patches are undone,
and its tables read what it measured (tiny sizes; the README's figures come from the tool at
512 px)."""

import json
import statistics
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from nst_course import speed
from nst_course.bench.timing import images
from nst_course.objective import Objective
from nst_course.vgg import load_vgg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import step_probe as P  # noqa: E402


@pytest.mark.parametrize("inplace", [False, True])
def test_fused_conv_relu_gives_autograds_values_and_gradient(inplace):
    torch.manual_seed(0)
    conv = nn.Conv2d(8, 16, 3, padding=1).requires_grad_(False).to(memory_format=torch.channels_last)
    x = torch.randn(1, 8, 12, 10).contiguous(memory_format=torch.channels_last).requires_grad_(True)
    y = torch.relu(conv(x))
    (y * torch.arange(y.numel()).reshape(y.shape).sin()).sum().backward()
    plain = x.grad.clone()
    x.grad = None
    z = P.ConvReLU(conv, inplace)(x)
    (z * torch.arange(z.numel()).reshape(z.shape).sin()).sum().backward()
    assert torch.allclose(z, y, atol=1e-5) and (z == 0).any()  # some ReLUs are off
    assert torch.allclose(x.grad, plain, atol=1e-5)


@pytest.mark.parametrize("precision", ["auto", "float32"])  # a float32 network on a bf16 machine too
def test_every_variant_is_undone_and_gives_the_same_step(precision):
    content, style = images(64)
    vgg = load_vgg(precision=precision)
    obj = Objective(vgg, content, style, style_weight=1000)
    step = P.make_step(obj, content)
    total, grad = step()
    grad = grad.clone()
    convs, forward = list(vgg.net.convs), speed.FusedGram.forward
    for name in P.VARIANTS:
        with P.variant(name, vgg):
            t, g = step()
        assert t == pytest.approx(total, rel=1e-5), name
        # a bfloat16 Gram backward rounds its result (2^-9); the others compute the same numbers
        rounded = name in ("gram1-bf16backward", "combined")
        assert ((g - grad).norm() / grad.norm()).item() < (2.0**-8 if rounded else 1e-5), name
        assert list(vgg.net.convs) == convs and speed.FusedGram.forward is forward, name
        assert isinstance(vgg.net.relu, nn.ReLU), name


def test_probe_tables_read_its_measurements(capsys, tmp_path):
    out = tmp_path / "probe.json"
    assert P.main(["--size", "64", "--rounds", "1", "--steps", "2", "--variants", "relu-postop",
                   "--json", str(out)]) == 0
    text = capsys.readouterr().out
    measured = json.loads(out.read_text())
    assert set(measured["times"]) == {"as_is", "relu-postop"}  # the reference is always measured
    assert all(len(t) == 2 for t in measured["times"].values())
    rows = {line.split(" | ")[0].strip("| `"): line.split(" | ") for line in text.splitlines()
            if line.startswith("| `")}
    assert rows["as_is"][2] == "1.000"
    times = measured["times"]
    ratio = statistics.median(times["relu-postop"]) / statistics.median(times["as_is"])
    assert rows["relu-postop"][2] == f"{ratio:.3f}"
    groups = measured["groups"]
    assert groups["convolutions, forward"] > 0 and groups["Gram products"] > 0
    # the groups' medians add up to about the median step (outside ATen is the remainder)
    assert sum(groups.values()) == pytest.approx(measured["timed"], rel=0.25)
    assert f"| **the step (timed)** | {1e3 * measured['timed']:.1f} | 100 % |" in text


def test_an_unknown_variant_is_refused():
    with pytest.raises(SystemExit):
        P.main(["--variants", "winograd"])
