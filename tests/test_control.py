"""Colour preservation, masks and coarse-to-fine (random weights: fast)."""

import pytest
import torch

from nst_course import control as C
from nst_course import gram_matrix, load_image


def _image(seed, h=48, w=48, lo=0.2, hi=0.8):
    gen = torch.Generator().manual_seed(seed)
    return lo + (hi - lo) * torch.rand(1, 3, h, w, generator=gen)


def test_yiq_round_trip_and_grey_has_no_chroma():
    img = _image(0)
    torch.testing.assert_close(C.yiq_to_rgb(C.rgb_to_yiq(img)), img, atol=1e-5, rtol=0)
    grey = img.mean(dim=1, keepdim=True).expand(-1, 3, -1, -1)
    assert C.rgb_to_yiq(grey)[:, 1:].abs().max() < 1e-5


def test_combine_luminance_keeps_the_content_chroma():
    stylised, content = _image(1, lo=0.3, hi=0.7), _image(2, lo=0.3, hi=0.7)
    out = C.combine_luminance(stylised, content)
    yiq_out, yiq_c, yiq_s = C.rgb_to_yiq(out), C.rgb_to_yiq(content), C.rgb_to_yiq(stylised)
    torch.testing.assert_close(yiq_out[:, 1:], yiq_c[:, 1:], atol=1e-4, rtol=0)
    torch.testing.assert_close(yiq_out[:, :1], yiq_s[:, :1], atol=1e-4, rtol=0)


def test_luminance_transfer_keeps_content_colours():
    content = load_image("coffee", 48)
    result = C.luminance_transfer(content, "swirls", steps=3, weights="random",
                                  style_weight=1e6, progress=False)
    assert result.image.shape == content.shape
    iq_out, iq_c = C.rgb_to_yiq(result.image)[:, 1:], C.rgb_to_yiq(content)[:, 1:]
    # equal except where clamping to [0, 1] bit
    assert (iq_out - iq_c).abs().median() < 1e-3
    assert (result.image - content).abs().mean() > 1e-3  # something was transferred


def test_histogram_matching_gives_the_style_the_content_colours():
    content, style = load_image("coffee", 48), load_image("swirls", 48)
    matched = C.match_colour_histogram(style, content)
    assert matched.shape == style.shape
    cm, sm, mm = (x.mean(dim=(0, 2, 3)) for x in (content, style, matched))
    assert (mm - cm).abs().max() < 0.02 < (sm - cm).abs().max()


def _pixels(img):
    """``(3, H*W)`` float64 pixels, their mean ``(3,)`` and covariance ``(3, 3)``."""
    x = img[0].reshape(3, -1).double()
    return x, x.mean(dim=1), torch.cov(x, correction=0)


def _narrow_content(seed, h=24, w=32):
    """Correlated colours in a narrow band around grey: a linear map onto them never clamps."""
    gen = torch.Generator().manual_seed(seed)
    mix = torch.tensor([[0.08, 0.02, 0.0], [0.03, 0.06, 0.01], [0.0, 0.04, 0.05]])
    z = torch.randn(3, h * w, generator=gen)
    return (torch.tensor([[0.45], [0.5], [0.55]]) + mix @ z).clamp(0, 1).reshape(1, 3, h, w)


@pytest.mark.parametrize("method", ["eig", "cholesky"])
def test_linear_colour_matching_gives_the_content_mean_and_covariance(method):
    style, content = _image(3, h=40, w=56, lo=0.0, hi=1.0), _narrow_content(4)
    out = C.match_colour_linear(style, content, method=method)
    assert 0 < out.min() and out.max() < 1  # nothing clamped: the statistics are exact
    _, m_out, c_out = _pixels(out)
    _, m_c, c_c = _pixels(content)
    torch.testing.assert_close(m_out, m_c, atol=1e-5, rtol=0)
    torch.testing.assert_close(c_out, c_c, atol=2e-5, rtol=0)  # eps = 1e-5 on the diagonal
    c_s = _pixels(style)[2]
    assert (c_s - c_c).abs().max() > 0.02  # the test could fail: the style's were far off


def test_linear_colour_matching_is_the_paper_formula():
    """Against numpy/scipy: x' = Sigma_c^(1/2) Sigma_s^(-1/2) (x - mu_s) + mu_c, then clamped."""
    import numpy as np
    from scipy.linalg import sqrtm

    style, content = load_image("swirls", 48), load_image("coffee", 48)
    xs, ms, cs = (t.numpy() for t in _pixels(style))
    _, mc, cc = (t.numpy() for t in _pixels(content))
    eye = 1e-5 * np.eye(3)
    a = np.real(sqrtm(cc + eye)) @ np.linalg.inv(np.real(sqrtm(cs + eye)))
    ref = np.clip(a @ (xs - ms[:, None]) + mc[:, None], 0, 1).reshape(style.shape)
    out = C.match_colour_linear(style, content)
    torch.testing.assert_close(out, torch.from_numpy(ref).float(), atol=1e-5, rtol=0)


@pytest.mark.parametrize("method", ["eig", "cholesky"])
def test_linear_colour_matching_onto_itself_changes_nothing(method):
    img = _image(5, h=20, w=28)
    torch.testing.assert_close(C.match_colour_linear(img, img, method=method), img, atol=1e-5, rtol=0)


def test_linear_colour_matching_keeps_the_style_shape_and_takes_names():
    style, content = _image(6, h=40, w=56), _image(7, h=24, w=32)
    out = C.match_colour_linear(style, content)
    assert out.shape == (1, 3, 40, 56) and out.dtype == torch.float32
    assert C.match_colour_linear(style[0], content).shape == (1, 3, 40, 56)  # (3, H, W) too
    named = C.match_colour_linear("swirls", "coffee")
    assert named.shape == load_image("swirls").shape


@pytest.mark.parametrize("style, content, method, words", [
    (torch.rand(1, 4, 8, 8), torch.rand(1, 3, 8, 8), "eig", "4 channels"),
    (torch.rand(2, 3, 8, 8), torch.rand(1, 3, 8, 8), "eig", "batch of 2"),
    (torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 8) * 255, "eig", "0-255"),
    (torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 8), "pca", "'eig' or 'cholesky'"),
])
def test_linear_colour_matching_refuses_bad_input_in_one_sentence(style, content, method, words):
    with pytest.raises(ValueError) as info:
        C.match_colour_linear(style, content, method=method)
    message = str(info.value)
    assert words in message and "\n" not in message and message.endswith(".")


def test_masked_gram_ignores_positions_outside_the_mask():
    gen = torch.Generator().manual_seed(0)
    feats = torch.rand(1, 4, 8, 8, generator=gen)
    torch.testing.assert_close(C.masked_gram(feats, torch.ones(1, 1, 8, 8)), gram_matrix(feats))
    mask = torch.zeros(1, 1, 8, 8)
    mask[..., 4:] = 1
    changed = feats.clone()
    changed[..., :4] = torch.rand(1, 4, 8, 4, generator=gen) * 10  # where the mask is 0
    torch.testing.assert_close(C.masked_gram(changed, mask), C.masked_gram(feats, mask))
    # and it is the Gram matrix of the masked half alone
    torch.testing.assert_close(C.masked_gram(feats, mask), gram_matrix(feats[..., 4:]))


@pytest.fixture(scope="module")
def pair():
    return load_image("astronaut", 48), load_image("swirls", 48)


def test_mask_of_zeros_keeps_the_style_off_that_region(pair):
    content, style = pair
    mask = torch.zeros(1, 1, 48, 48)
    mask[..., 24:] = 1  # style on the right half only
    result = C.masked_stylize(content, style, mask, steps=4, style_weight=1e3,
                              weights="random", progress=False)
    left, right = (result.image - content).abs()[..., :24], (result.image - content).abs()[..., 24:]
    assert left.max() == 0  # untouched: the style statistics there are the content's
    assert right.mean() > 1e-3


def test_masks_of_zeros_give_no_style_loss(pair):
    from nst_course import load_vgg

    content, style = pair
    vgg = load_vgg("random")
    obj = C.MaskedObjective(vgg, content, [style], [torch.zeros(1, 1, 48, 48)])
    _, parts = obj(content)
    assert parts["style"].item() == 0
    ones = C.MaskedObjective(vgg, content, [style], [torch.ones(1, 1, 48, 48)])
    assert ones(content)[1]["style"].item() > 0


def test_mask_of_ones_is_the_plain_objective_and_targets_are_computed_once(pair):
    from nst_course import Objective, load_vgg

    content, style = pair
    calls = []
    vgg = load_vgg("random")

    def counting(img, layers, **kw):
        calls.append(tuple(layers))
        return vgg(img, layers, **kw)

    ones = C.MaskedObjective(counting, content, [style, style.flip(-1)],
                             [torch.ones(1, 1, 48, 48), torch.zeros(1, 1, 48, 48)],
                             style_blend=[1, 1], style_weight=3.0, tv_weight=0.1)
    assert len(calls) == 3  # the content and each style image, once
    plain = Objective(vgg, content, style, style_weight=3.0, tv_weight=0.1)
    x = pair[0].flip(-2)
    _, a = ones(x)
    _, b = plain(x)
    for k in a:
        assert a[k].item() == pytest.approx(b[k].item(), rel=1e-4), k


def test_schedule_refines_at_each_size_and_keeps_step_keyed_snapshots(pair):
    content, style = pair
    result = C.stylize(content, style, steps=5, schedule=[32, 48], weights="random",
                       snapshot_every=1, progress=False)
    assert result.image.shape == (1, 3, 48, 48)
    assert [r.step for r in result.history] == [1, 2, 3, 4, 5]
    assert sorted(result.snapshots) == [1, 2, 3, 4, 5]
    assert [result.snapshots[s].shape[-1] for s in (1, 2, 3, 4, 5)] == [32, 32, 48, 48, 48]
    secs = [r.seconds for r in result.history]
    assert secs == sorted(secs)
    assert not hasattr(C, "coarse_to_fine")  # one coarse-to-fine: stylize(schedule=...)
