"""convert_style_weight against the style losses computed both ways on real VGG19 features."""
import itertools

import pytest
import torch

from nst_course import load_vgg
from nst_course.config import STYLE_LAYERS
from nst_course.conventions import CONVENTIONS, convert_style_weight, style_loss_in
from nst_course.losses import gram_matrix, style_loss


@pytest.fixture(scope="module")
def feats(astronaut64, swirls64):
    vgg = load_vgg()
    with torch.no_grad():
        f = {k: v.double() for k, v in vgg(astronaut64, STYLE_LAYERS).items()}
        s = {k: v.double() for k, v in vgg(swirls64[..., :astronaut64.shape[2], :astronaut64.shape[3]],
                                          STYLE_LAYERS).items()}
    return f, s, astronaut64.shape[2] * astronaut64.shape[3]


def test_ours_is_the_package_style_loss(feats):
    f, s, _ = feats
    package = style_loss(f, {k: gram_matrix(v) for k, v in s.items()})
    assert torch.allclose(style_loss_in("ours", f, s), package, rtol=1e-9)


def test_constant_factors(feats):
    f, s, _ = feats
    ours = style_loss_in("ours", f, s)
    assert torch.allclose(style_loss_in("ayala_wolters", f, s), 20 * ours, rtol=1e-9)
    assert torch.allclose(style_loss_in("tensorflow", f, s), 4 * ours, rtol=1e-9)
    # the PyTorch tutorial weighs each layer by 4 / C^2 and sums (a one-layer "ours" is E_l)
    torch_ = style_loss_in("pytorch", f, s)
    by_layer = sum(4 * style_loss_in("ours", {k: f[k]}, {k: s[k]}) / f[k].shape[1] ** 2 for k in f)
    assert torch.allclose(torch_, by_layer, rtol=1e-9)


@pytest.mark.parametrize("a,b", list(itertools.permutations(CONVENTIONS, 2)))
def test_converted_weight_gives_the_same_style_term(feats, a, b):
    f, s, pixels = feats
    beta = convert_style_weight(10.0, a, b, f, s, image_pixels=pixels)
    term_a = 10.0 * style_loss_in(a, f, s, pixels)
    term_b = beta * style_loss_in(b, f, s, pixels)
    assert term_b.item() == pytest.approx(term_a.item(), rel=1e-9)
    assert beta != 10.0 or {a, b} == {"ours", "gatys"} or {a, b} == {"pytorch", "d2l"}


def test_constant_pairs_need_no_features():
    assert convert_style_weight(10, "ours", "ayala_wolters") == pytest.approx(0.5)
    assert convert_style_weight(1e-2, "tensorflow", "ours") == pytest.approx(4e-2)


def test_bad_input_says_what_to_do(feats):
    with pytest.raises(ValueError, match="unknown convention"):
        convert_style_weight(1, "caffe", "ours")
    with pytest.raises(ValueError, match="depends on the images"):
        convert_style_weight(1, "pytorch", "ours")
    f, s, _ = feats
    with pytest.raises(ValueError, match="image_pixels"):
        style_loss_in("keras", f, s)
