"""AdaIN: the statistics it transfers, the decoder it loads, the images it makes."""

import pytest
import torch

from nst_course import adain as A
from nst_course.weights import WeightsError


def test_adain_gives_content_features_the_style_statistics():
    gen = torch.Generator().manual_seed(0)
    content = torch.randn(2, 8, 6, 5, generator=gen) * 3 + 1
    style = torch.rand(2, 8, 9, 7, generator=gen) * 5
    out = A.adain(content, style)
    (om, os_), (sm, ss) = A.mean_std(out), A.mean_std(style)
    torch.testing.assert_close(om, sm, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(os_, ss, atol=1e-3, rtol=1e-3)
    # the layout is the content's: normalised maps are identical
    cm, cs = A.mean_std(content)
    torch.testing.assert_close((out - om) / os_, (content - cm) / cs, atol=1e-3, rtol=1e-3)


def test_decoder_architecture_matches_the_bundled_weights():
    state = torch.load(A.decoder_path(), map_location="cpu", weights_only=True)
    dec = A.build_decoder()
    assert set(dec.state_dict()) == set(state)
    for key, value in dec.state_dict().items():
        assert value.shape == state[key].shape, key
    x = torch.zeros(1, 512, 4, 6)
    assert dec(x).shape == (1, 3, 32, 48)  # three 2x upsamplings


def test_decoder_sha256_is_checked(monkeypatch):
    from dataclasses import replace

    monkeypatch.setattr(A, "ADAIN_DECODER", replace(A.ADAIN_DECODER, sha256="0" * 64))
    with pytest.raises(WeightsError, match="sha256"):
        A.decoder_path()


@pytest.fixture(scope="module")
def pair():
    from nst_course import load_image

    return load_image("chelsea", 64), load_image("swirls", 64)


def test_adain_matches_style_statistics_at_conv4_1(pair):
    content, style = pair
    encoder, _ = A.load_adain("cpu")
    fc = encoder(content[..., :40, :64], ["conv4_1"])["conv4_1"]
    fs = encoder(style, ["conv4_1"])["conv4_1"]
    t = A.adain(fc, fs)
    torch.testing.assert_close(A.mean_std(t)[0], A.mean_std(fs)[0], atol=1e-3, rtol=1e-3)
    # a channel (nearly) constant in the content (all 0 after the ReLU) stays so
    live = A.mean_std(fc)[1].flatten() > 0.1  # eps = 1e-5 matters below
    assert live.float().mean() > 0.5
    torch.testing.assert_close(A.mean_std(t)[1].flatten()[live], A.mean_std(fs)[1].flatten()[live],
                               atol=1e-2, rtol=1e-3)  # eps: a style std of 0 reads 0.003


def test_adain_stylize_moves_statistics_toward_the_style(pair):
    content, style = pair
    result = A.adain_stylize(content, style, alpha=1.0, device="cpu")
    h, w = content.shape[-2:]
    assert result.image.shape == (1, 3, h - h % 8, w - w % 8)
    assert 0 <= result.image.min() and result.image.max() <= 1
    assert result.seconds > 0 and "alpha=1" in repr(result)
    encoder, _ = A.load_adain("cpu")

    def stats(img):
        m, s = A.mean_std(encoder(img, ["conv4_1"])["conv4_1"])
        return torch.cat([m.flatten(), s.flatten()])

    target = stats(style)
    before = (stats(content) - target).norm()
    after = (stats(result.image) - target).norm()
    assert after < 0.8 * before, (after, before)


def test_alpha_trades_style_for_content(pair):
    content, style = pair
    crop = content[..., :40, :64]
    full = A.adain_stylize(crop, style, alpha=1.0, device="cpu").image
    none = A.adain_stylize(crop, style, alpha=0.0, device="cpu").image
    # alpha = 0 decodes the content's own features: close to the content photo
    assert (none - crop).abs().mean() < (full - crop).abs().mean()
    with pytest.raises(ValueError, match="alpha"):
        A.adain_stylize(crop, style, alpha=1.5)


def test_bfloat16_output_is_close_to_float32(pair):
    content, style = pair
    exact = A.adain_stylize(content, style, precision="float32", device="cpu").image
    fast = A.adain_stylize(content, style, precision="bfloat16", device="cpu").image
    assert fast.dtype == exact.dtype == torch.float32 and 0 <= fast.min() and fast.max() <= 1
    assert (fast - exact).abs().mean() < 0.02
    _, decoder = A.load_adain("cpu", "bfloat16")
    assert decoder[1].weight.dtype == torch.bfloat16 and decoder[-1].weight.dtype == torch.float32


def test_the_same_style_is_encoded_once(pair):
    content, style = pair
    A._STYLE_STATS.clear()
    first = A.adain_stylize(content, style, device="cpu")
    again = A.adain_stylize(content, style.clone(), device="cpu")  # another tensor, same pixels
    assert not first.style_cached and again.style_cached and "cached" in repr(again)
    torch.testing.assert_close(again.image, first.image)
    changed = style.clone()
    changed[..., :8, :8] = 0  # different pixels: encoded again
    assert not A.adain_stylize(content, changed, device="cpu").style_cached
    both = A.adain_stylize(content, [style, changed], device="cpu")
    assert both.style_cached and len(A._STYLE_STATS) == 2
