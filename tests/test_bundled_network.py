"""The network shipped in the package (nst_course/models/fast_net.pt): loads, is small, stylizes."""

from __future__ import annotations

import pytest

from nst_course import feedforward
from nst_course.feedforward import BUNDLED_NET, NetFileError, apply_net, bundled_network
from nst_course.training import HELD_OUT, photo


def test_bundled_network_loads_small_with_two_styles():
    net, styles = bundled_network()
    assert styles == ["starry_night", "great_wave"] == net.styles
    assert BUNDLED_NET.stat().st_size <= 2_000_000
    assert not net.training


def test_bundled_network_stylizes_a_held_out_photo_in_two_distinct_styles():
    net, _ = bundled_network()
    img = photo(HELD_OUT[0], 96)
    a, b = (apply_net(net, img, s, precision="float32") for s in (0, 1))
    mix = apply_net(net, img, [0.5, 0.5], precision="float32")
    assert a.shape == img.shape
    assert (a - img).abs().mean() > 0.08 and (b - img).abs().mean() > 0.08  # not the photo
    assert (a - b).abs().mean() > 0.04  # two styles, not one
    assert (mix - a).abs().mean() < (b - a).abs().mean()


def test_damaged_bundled_file_is_refused(tmp_path, monkeypatch):
    bad = tmp_path / "fast_net.pt"
    data = bytearray(BUNDLED_NET.read_bytes())
    data[-100] ^= 0xFF
    bad.write_bytes(bytes(data))
    monkeypatch.setattr(feedforward, "BUNDLED_NET", bad)
    with pytest.raises(NetFileError, match="damaged"):
        bundled_network()
    monkeypatch.setattr(feedforward, "BUNDLED_NET", tmp_path / "missing.pt")
    with pytest.raises(NetFileError, match="missing"):
        bundled_network()
