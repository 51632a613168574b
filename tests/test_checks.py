"""The exercise checkers pass the reference and name the mistake in wrong versions."""

import pytest
import torch

from nst_course import checks
from nst_course.losses import gram_matrix, style_loss


def right_gram(f):
    n, c, h, w = f.shape
    x = f.view(n, c, h * w)
    return x @ x.transpose(1, 2) / (c * h * w)


WRONG_GRAMS = {
    "hw": (lambda f: gram_matrix(f, "hw"), "divided by H*W"),
    "raw": (lambda f: gram_matrix(f, "none"), "raw F F^T"),
    "no batch": (lambda f: right_gram(f)[0], "batch handling"),
    "transposed": (lambda f: (lambda x: x.transpose(1, 2) @ x)(f.flatten(2)) / f[0].numel(),
                   "transposed"),
    "reshape": (lambda f: right_gram(f.reshape(f.shape[0], -1, f.shape[1]).transpose(1, 2)
                                     .reshape(f.shape)), "reshape"),
    "detached": (lambda f: right_gram(f).detach(), "gradient"),
    "factor 2": (lambda f: 2 * right_gram(f), "2 x the reference"),
    "crash": (lambda f: f.view(-1, 7), "raised RuntimeError"),
    "first only": (lambda f: right_gram(f[:1]).expand(f.shape[0], -1, -1), "first one"),
}


def test_reference_gram_passes(capsys):
    assert checks.check_gram_matrix(right_gram)
    assert checks.check_gram_matrix(gram_matrix)
    assert "PASS" in capsys.readouterr().out


@pytest.mark.parametrize("name", list(WRONG_GRAMS))
def test_wrong_gram_is_named(name, capsys):
    fn, hint = WRONG_GRAMS[name]
    assert not checks.check_gram_matrix(fn)
    out = capsys.readouterr().out
    assert "FAIL" in out and hint in out, out


def stub(*args):
    raise NotImplementedError


@pytest.mark.parametrize("fn", [stub, lambda *a: None])
def test_stubs_are_not_yet_solved(fn, capsys):
    assert not checks.check_gram_matrix(fn)
    assert not checks.check_style_loss(fn)
    out = capsys.readouterr().out
    assert out.count("not yet solved") == 2 and "FAIL" not in out


def right_style_loss(features, target_grams, layer_weights=None):
    layers = list(target_grams)
    w = layer_weights or {k: 1 / len(layers) for k in layers}
    return sum(w[k] * 0.25 * ((right_gram(features[k]) - target_grams[k]) ** 2).sum()
               for k in layers)


def _sl(per_layer, use_weights=True):
    def fn(features, target_grams, layer_weights=None):
        layers = list(target_grams)
        w = layer_weights or {k: 1 / len(layers) for k in layers}
        return sum((w[k] if use_weights else 1.0) * per_layer(features[k], target_grams[k])
                   for k in layers)
    return fn


WRONG_STYLE = {
    "no quarter": (_sl(lambda f, a: ((right_gram(f) - a) ** 2).sum()), "1/4"),
    "mean": (_sl(lambda f, a: 0.25 * ((right_gram(f) - a) ** 2).mean()), "averaged"),
    "norm": (_sl(lambda f, a: 0.25 * torch.linalg.norm(right_gram(f) - a)), "square"),
    "no weights": (_sl(lambda f, a: 0.25 * ((right_gram(f) - a) ** 2).sum(), False),
                   "layer weights"),
    "raw gram": (_sl(lambda f, a: 0.25 * ((gram_matrix(f, "none") - a) ** 2).sum()), "raw"),
    "hw gram": (_sl(lambda f, a: 0.25 * ((gram_matrix(f, "hw") - a) ** 2).sum()), "H*W"),
    "per layer list": (lambda f, t, w=None: torch.stack([right_style_loss(f, t, w)] * 2),
                       "one number"),
    "item": (lambda f, t, w=None: torch.tensor(right_style_loss(f, t, w).item()), "gradient"),
    "first image only": (lambda f, t, w=None: right_style_loss({k: v[:1] for k, v in f.items()},
                                                               t, w), "batch"),
}


def test_reference_style_loss_passes(capsys):
    assert checks.check_style_loss(right_style_loss)
    assert checks.check_style_loss(style_loss)
    assert "PASS" in capsys.readouterr().out


@pytest.mark.parametrize("name", list(WRONG_STYLE))
def test_wrong_style_loss_is_named(name, capsys):
    fn, hint = WRONG_STYLE[name]
    assert not checks.check_style_loss(fn)
    out = capsys.readouterr().out
    assert "FAIL" in out and hint in out, out


def test_rel_error_and_cmp(capsys):
    x = torch.tensor([1.0, 2.0])
    assert checks.rel_error(x, x) == 0
    assert checks.rel_error(x, x + 1) == pytest.approx(1 / 3)
    assert checks.cmp("x", x, x) and not checks.cmp("x", x, x + 1)
    assert "maxdiff" in capsys.readouterr().out
