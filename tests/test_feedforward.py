"""The fast style network of lesson 09: shapes, conditioning, training, saving, CLI."""

from __future__ import annotations

import pytest
import torch

from nst_course import load_vgg
from nst_course.cli import main
from nst_course.feedforward import NetFileError, StyleNet, apply_net, count_parameters, load_net, save_net
from nst_course.training import HELD_OUT, TRAIN_PHOTOS, PhotoCrops, make_objectives, photo, train


def _net(styles=("a", "b"), width=4, seed=0):
    """A tiny network whose per-style scales and shifts differ (fresh ones are all equal)."""
    torch.manual_seed(seed)
    net = StyleNet(list(styles), width=width, residual_blocks=1)
    with torch.no_grad():
        for name, p in net.named_parameters():
            if name.endswith(("gamma", "beta")):
                p.add_(torch.randn_like(p) * 0.5)
    return net.eval()


@pytest.fixture(scope="module")
def objectives():
    gen = torch.Generator().manual_seed(1)
    style = torch.rand(1, 3, 48, 48, generator=gen)
    return make_objectives([style], load_vgg("random", precision="float32"))


def test_shapes_any_size_in_unit_range():
    net = _net()
    for h, w in ((32, 32), (37, 50), (61, 45)):
        out = net(torch.rand(2, 3, h, w), 1)
        assert out.shape == (2, 3, h, w)
        assert 0 <= out.min() and out.max() <= 1
    assert count_parameters(StyleNet(width=8)) > 3 * count_parameters(StyleNet(width=4))


def test_style_vector_conditions_the_output():
    net, x = _net(), torch.rand(1, 3, 40, 40)
    s0, s1 = net(x, 0), net(x, 1)
    assert (s0 - s1).abs().max() > 1e-3
    assert torch.equal(net(x, [1.0, 0.0]), s0)
    assert torch.equal(net(x, "b"), s1)
    assert torch.allclose(net(x, [2, 2]), net(x, [0.5, 0.5]))
    mix = net(x, [0.2, 0.8])
    assert (mix - s0).abs().max() > 1e-4 and (mix - s1).abs().max() > 1e-4
    # a batch with one vector per image equals the images run one at a time
    both = net(torch.cat([x, x]), torch.tensor([[1.0, 0.0], [0.2, 0.8]]))
    assert torch.allclose(both[0], s0[0], atol=1e-6) and torch.allclose(both[1], mix[0], atol=1e-6)


@pytest.mark.parametrize("bad", [[1.0], [1, 0, 0], [-1, 2], [0, 0], [float("nan"), 1], 2, "c"])
def test_bad_style_vectors_are_refused(bad):
    with pytest.raises(ValueError, match="style"):
        _net().style_vector(bad)


def test_photos_offline_and_held_out():
    assert not set(TRAIN_PHOTOS) & set(HELD_OUT)
    for name in ("camera", "china", "grace_hopper", "motorcycle"):
        img = photo(name, 64)
        assert img.shape[:2] == (1, 3) and max(img.shape[-2:]) == 64
    crops = PhotoCrops([photo("coffee", 96), photo("camera", 80)], crop=32, seed=0)(5)
    assert crops.shape == (5, 3, 32, 32) and 0 <= crops.min() and crops.max() <= 1
    with pytest.raises(ValueError, match="unknown photo"):
        photo("not-a-photo")


def test_a_few_steps_lower_the_loss(objectives):
    torch.manual_seed(0)
    net = StyleNet(["s"], width=4, residual_blocks=1)
    photos = [photo("coffee", 48)]
    batch = PhotoCrops(photos, crop=32, seed=5)(4)
    objective = objectives[0]

    def loss():
        objective.set_content(batch)
        with torch.no_grad():
            return objective(net(batch))[0].item()

    before = loss()
    result = train(net, [torch.rand(1, 3, 48, 48)], photos, steps=25, batch_size=4, crop=32,
                   lr=5e-3, objectives=objectives, progress=False)
    assert result.stopped == "done" and len(result.history) == 25
    assert loss() < 0.8 * before


def test_interrupt_and_nan_keep_the_last_good_weights(objectives, tmp_path):
    net, kept = StyleNet(["s"], width=4, residual_blocks=1), {}
    photos = [photo("coffee", 48)]
    calls = {"n": 0}

    def remember(record, image):  # called after every complete step
        kept[record.step] = {k: v.clone() for k, v in net.state_dict().items()}

    class Breaking:  # the objective of step 3 is interrupted (or returns NaN) half-way
        def __init__(self, inner, error):
            self.inner, self.error = inner, error

        def set_content(self, batch):
            self.inner.set_content(batch)

        def __call__(self, img):
            calls["n"] += 1
            if calls["n"] == 3:
                if self.error:
                    raise KeyboardInterrupt
                return torch.tensor(float("nan")), {}
            return self.inner(img)

    for error, stopped in ((True, "interrupted"), (False, "nan")):
        calls["n"], path = 0, tmp_path / f"{stopped}.pt"
        result = train(net, [torch.rand(1, 3, 48, 48)], photos, steps=10, batch_size=2, crop=32,
                       objectives=[Breaking(objectives[0], error)], callback=remember,
                       callback_every=1, checkpoint=path, progress=False)
        assert result.stopped == stopped and len(result.history) == 2
        for k, v in net.state_dict().items():
            assert torch.equal(v, kept[2][k]), k
        assert torch.equal(load_net(path).state_dict()["out.weight"], kept[2]["out.weight"])


def test_a_second_ctrl_c_while_the_first_unwinds_or_saves_is_ignored(objectives, tmp_path,
                                                                      monkeypatch):
    """Real signals: the first SIGINT interrupts step 2; a second one sent from a ``__del__``
    run while that interrupt unwinds (where CI once printed "Exception ignored in
    tqdm.__del__") and a third during the final save change nothing; afterwards Ctrl-C is
    Python's again."""
    import os
    import signal
    import sys

    import nst_course.training as training

    unraisable, saved = [], []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    real_save = training._save

    def save(*args):
        os.kill(os.getpid(), signal.SIGINT)
        saved.append(signal.getsignal(signal.SIGINT))
        return real_save(*args)

    monkeypatch.setattr(training, "_save", save)

    class Second:
        def __del__(self):
            os.kill(os.getpid(), signal.SIGINT)

    class Interrupted:
        def __init__(self, inner):
            self.inner, self.calls = inner, 0

        def set_content(self, batch):
            self.inner.set_content(batch)

        def __call__(self, img):
            self.calls += 1
            if self.calls == 2:
                second = Second()
                try:
                    os.kill(os.getpid(), signal.SIGINT)  # the first Ctrl-C: interrupts here
                finally:
                    del second  # its __del__ runs while the interrupt unwinds
            return self.inner(img)

    before = signal.getsignal(signal.SIGINT)
    net = StyleNet(["s"], width=4, residual_blocks=1)
    result = train(net, [torch.rand(1, 3, 48, 48)], [photo("coffee", 48)], steps=5, batch_size=2,
                   crop=32, objectives=[Interrupted(objectives[0])], checkpoint=tmp_path / "n.pt",
                   progress=False)
    assert result.stopped == "interrupted" and len(result.history) == 1
    assert unraisable == [] and saved == [signal.SIG_IGN]
    assert load_net(tmp_path / "n.pt").styles == ["s"]
    assert signal.getsignal(signal.SIGINT) is before


def test_bfloat16_inference_close_to_float32():
    net, x = _net(), torch.rand(1, 3, 40, 40)
    exact = apply_net(net, x, 1, precision="float32")
    rounded = apply_net(net, x, 1, precision="bfloat16")
    assert rounded.dtype == torch.float32 and rounded.shape == exact.shape
    assert 0 < (rounded - exact).abs().max() < 0.05


def test_save_load_round_trip(tmp_path):
    net, x = _net(("swirls", "mosaic")), torch.rand(1, 3, 36, 36)
    path = save_net(net, tmp_path / "net.pt", extra={"steps": 3})
    back = load_net(path)
    assert back.config == net.config and back.extra == {"steps": 3}
    assert torch.equal(apply_net(back, x, [0.2, 0.8]), apply_net(net, x, [0.2, 0.8]))
    with pytest.raises(FileExistsError):
        save_net(net, path, overwrite=False)
    (tmp_path / "junk.pt").write_bytes(b"not a network")
    for bad in (tmp_path / "junk.pt", tmp_path / "missing.pt"):
        with pytest.raises(NetFileError, match="train"):
            load_net(bad)


def test_cli_train_then_apply(tmp_path, capsys):
    net_path, out = tmp_path / "two.pt", tmp_path / "out.png"
    assert main(["train", "swirls,mosaic", "-o", str(net_path), "--steps", "2", "--size", "32",
                 "--width", "4", "--batch-size", "1", "--weights", "random"]) == 0
    net = load_net(net_path)
    assert net.styles == ["swirls", "mosaic"] and net.extra["steps"] == 2
    assert main(["apply", str(net_path), "chelsea", "-o", str(out), "--size", "48",
                 "--mix", "0.2,0.8"]) == 0
    assert out.stat().st_size > 0
    assert "Wrote" in capsys.readouterr().err


def test_cli_bad_input_one_line(tmp_path, capsys):
    net_path = tmp_path / "n.pt"
    save_net(_net(), net_path)
    (tmp_path / "taken.png").write_bytes(b"x")
    bad = [
        ["train", "swirls", "-o", str(tmp_path / "a.pt"), "--minutes", "-1"],
        ["train", "swirls", "-o", str(tmp_path / "a.pt"), "--size", "8"],
        ["train", "swirls", "-o", str(tmp_path / "a.png")],
        ["train", "no-such-style.jpg", "-o", str(tmp_path / "a.pt"), "--steps", "1"],
        ["train", "swirls", "-o", str(net_path), "--steps", "1"],  # exists, no --force
        ["apply", str(tmp_path / "missing.pt"), "chelsea", "-o", str(tmp_path / "o.png")],
        ["apply", str(tmp_path / "taken.png"), "chelsea", "-o", str(tmp_path / "o.png")],
        ["apply", str(net_path), "chelsea", "-o", str(tmp_path / "o.png"), "--mix", "1,2,3"],
        ["apply", str(net_path), "chelsea", "-o", str(tmp_path / "o.png"), "--mix", "a,b"],
        ["apply", str(net_path), "chelsea", "-o", str(tmp_path / "taken.png")],
    ]
    for argv in bad:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("nst-course: error:"), (argv, err)
    assert net_path.exists() and (tmp_path / "taken.png").read_bytes() == b"x"
