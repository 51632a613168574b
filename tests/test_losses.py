import pytest
import torch
import torch.nn.functional as F

from nst_course import losses
from nst_course.losses import (
    content_loss,
    gatys_ratio,
    gram_matrix,
    style_layer_loss,
    style_loss,
    total_variation_loss,
)
from nst_course.objective import Objective


def naive_gram(f):
    """G[i, j] = sum_k F[i, k] F[j, k] with explicit loops, for (C, H, W)."""
    c, h, w = f.shape
    g = torch.zeros(c, c, dtype=f.dtype)
    for i in range(c):
        for j in range(c):
            for y in range(h):
                for x in range(w):
                    g[i, j] += f[i, y, x] * f[j, y, x]
    return g


@pytest.mark.parametrize("norm,div", [("none", 1), ("hw", 12), ("chw", 5 * 12)])
def test_gram_matches_naive_loop(norm, div):
    f = torch.randn(2, 5, 3, 4, dtype=torch.float64)
    g = gram_matrix(f, normalize=norm)
    assert g.shape == (2, 5, 5)
    for n in range(2):
        torch.testing.assert_close(g[n], naive_gram(f[n]) / div)


def test_gram_unbatched_and_symmetric():
    f = torch.randn(4, 6, 6)
    g = gram_matrix(f)
    assert g.shape == (4, 4)
    torch.testing.assert_close(g, g.T)


def test_content_loss_forms():
    a, b = torch.randn(1, 8, 5, 5), torch.randn(1, 8, 5, 5)
    torch.testing.assert_close(content_loss(a, b), F.mse_loss(a, b))
    torch.testing.assert_close(content_loss(a, b, form="gatys"), 0.5 * ((a - b) ** 2).sum())
    with pytest.raises(ValueError):
        content_loss(a, b, form="median")


def test_style_layer_loss_is_gatys_E_l():
    f, t = torch.randn(1, 6, 4, 5, dtype=torch.float64), torch.randn(1, 6, 4, 5, dtype=torch.float64)
    n, m = 6, 20
    raw = ((gram_matrix(f, "none") - gram_matrix(t, "none")) ** 2).sum() / (4 * n**2 * m**2)
    torch.testing.assert_close(style_layer_loss(gram_matrix(f), gram_matrix(t)), raw)


def test_style_loss_layer_weights():
    feats = {"a": torch.randn(1, 3, 4, 4), "b": torch.randn(1, 5, 2, 2)}
    targets = {k: gram_matrix(torch.randn_like(v)) for k, v in feats.items()}
    ea = style_layer_loss(gram_matrix(feats["a"]), targets["a"])
    eb = style_layer_loss(gram_matrix(feats["b"]), targets["b"])
    torch.testing.assert_close(style_loss(feats, targets), (ea + eb) / 2)
    torch.testing.assert_close(style_loss(feats, targets, {"a": 1.0, "b": 0.0}), ea)
    torch.testing.assert_close(style_loss(feats, targets, [2.0, 3.0]), 2 * ea + 3 * eb)


def test_total_variation_zero_for_flat_image():
    assert total_variation_loss(torch.full((1, 3, 8, 8), 0.3)).item() == 0
    assert total_variation_loss(torch.rand(1, 3, 8, 8)).item() > 0.05


def test_gradients_gradcheck():
    f = torch.randn(1, 3, 3, 3, dtype=torch.float64, requires_grad=True)
    t = torch.randn(1, 3, 3, 3, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda x: gram_matrix(x), (f,))
    assert torch.autograd.gradcheck(
        lambda x: style_layer_loss(gram_matrix(x), gram_matrix(t)), (f,))
    assert torch.autograd.gradcheck(lambda x: content_loss(x, t, "gatys"), (f,))
    assert torch.autograd.gradcheck(total_variation_loss, (f,))


def test_gatys_ratio_converts_weights():
    # alpha * (1/2 sum) == content_weight * mean  => alpha = 2 cw / CHW
    c, h, w = 512, 8, 8
    a, b = torch.randn(1, c, h, w, dtype=torch.float64), torch.randn(1, c, h, w, dtype=torch.float64)
    cw, sw = 3.0, 7.0
    alpha = gatys_ratio(cw, sw, (c, h, w)) * sw
    torch.testing.assert_close(alpha * content_loss(a, b, "gatys"), cw * content_loss(a, b))


class CountingNet(torch.nn.Module):
    """Stands in for VGG19: two 'layers', counts its calls."""

    def __init__(self):
        super().__init__()
        self.calls = 0

    def forward(self, x, layers):
        self.calls += 1
        feats = {"low": x * 2, "high": x.mean(1, keepdim=True)}
        return {k: feats[k] for k in layers}


def test_objective_computes_targets_once_and_blends_styles():
    net = CountingNet()
    content, s1, s2 = torch.rand(1, 3, 6, 6), torch.rand(1, 3, 6, 6), torch.rand(1, 3, 6, 6)
    obj = Objective(net, content, [s1, s2], content_layers=("high",), style_layers=("low",),
                    style_blend=[3, 1], style_weight=2.0)
    assert net.calls == 3  # content + two styles, once
    blended = 0.75 * gram_matrix(s1 * 2) + 0.25 * gram_matrix(s2 * 2)
    torch.testing.assert_close(obj.style_targets["low"], blended)
    total, parts = obj(content)
    assert net.calls == 4
    assert parts["content"].item() == 0
    torch.testing.assert_close(total, 2.0 * parts["style"])


def test_objective_texture_only_has_no_content():
    net = CountingNet()
    obj = Objective(net, None, torch.rand(1, 3, 6, 6), style_layers=("low",))
    assert obj.content_layers == () and obj.layers == ("low",)
    _, parts = obj(torch.rand(1, 3, 6, 6))
    assert parts["content"].item() == 0 and parts["style"].item() > 0
    assert "Objective(" in repr(obj)


def test_per_layer_weights_one_reading_for_every_objective():
    layers = ("a", "b", "c")
    assert losses.per_layer_weights(layers) == {"a": 1 / 3, "b": 1 / 3, "c": 1 / 3}
    assert losses.per_layer_weights(layers, {"b": 2}) == {"a": 0.0, "b": 2.0, "c": 0.0}
    assert losses.per_layer_weights(layers, (1, 2, 3)) == {"a": 1.0, "b": 2.0, "c": 3.0}
    with pytest.raises(ValueError, match="2 layer weights for 3"):
        losses.per_layer_weights(layers, [1, 2])
    with pytest.raises(ValueError, match="'d'"):
        losses.per_layer_weights(layers, {"d": 1.0})


def test_objective_averages_a_batch_and_broadcasts_the_style_targets():
    net = CountingNet()
    c1, c2, style = torch.rand(1, 3, 6, 6), torch.rand(1, 3, 6, 6), torch.rand(1, 3, 6, 6)
    x1, x2 = torch.rand(1, 3, 6, 6), torch.rand(1, 3, 6, 6)
    kw = dict(content_layers=("high",), style_layers=("low",), tv_weight=1.0, fast=False)
    for form in ("mean", "gatys"):
        one = [Objective(net, c, style, content_form=form, **kw)(x)[1] for c, x in ((c1, x1), (c2, x2))]
        both = Objective(net, torch.cat([c1, c2]), style, content_form=form, **kw)
        _, parts = both(torch.cat([x1, x2]))
        assert both.style_targets["low"].shape == (1, 3, 3)
        for k in ("content", "style", "tv", "total"):
            torch.testing.assert_close(parts[k], (one[0][k] + one[1][k]) / 2, msg=f"{form} {k}")


def test_set_content_replaces_only_the_content_targets():
    net = CountingNet()
    obj = Objective(net, torch.rand(1, 3, 6, 6), torch.rand(1, 3, 6, 6), content_layers=("high",),
                    style_layers=("low",))
    style_targets, calls = obj.style_targets, net.calls
    new = torch.rand(4, 3, 6, 6)
    obj.set_content(new)
    assert net.calls == calls + 1 and obj.style_targets is style_targets
    torch.testing.assert_close(obj.content_targets["high"], new.mean(1, keepdim=True))
    assert obj(new)[1]["content"].item() == 0


def test_every_taught_function_fits_on_a_slide():
    import inspect

    for fn in (gram_matrix, content_loss, style_layer_loss, style_loss, total_variation_loss):
        lines = inspect.getsource(fn).splitlines()
        assert len(lines) <= 25, (fn.__name__, len(lines))
    assert "bmm" in inspect.getsource(gram_matrix)  # the lesson says so


def test_unknown_gram_normalisation_is_one_sentence():
    with pytest.raises(ValueError, match="normalize must be one of 'chw', 'hw', 'none', not 'CHW'"):
        gram_matrix(torch.rand(1, 2, 3, 3), "CHW")


def test_the_objectives_and_the_checker_add_layers_up_with_the_taught_function():
    """One sum over style layers: the AST of each caller names ``weighted_style_loss``, and
    the taught ``style_loss`` gives the objective's own style term."""
    import ast
    import inspect

    from nst_course import checks, control, objective

    for fn in (losses.style_loss, objective.Objective.style_term, control.MaskedObjective.style_term,
               checks.gram._variants):
        calls = {n.func.id for n in ast.walk(ast.parse(inspect.getsource(fn).strip()))
                 if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
        assert "weighted_style_loss" in calls, fn.__qualname__
        assert "style_layer_loss" not in calls or fn is checks.gram._variants, fn.__qualname__
    gen = torch.Generator().manual_seed(0)
    feats = {"a": torch.rand(1, 3, 5, 4, generator=gen), "b": torch.rand(1, 2, 3, 3, generator=gen)}
    net = lambda img, layers: {k: feats[k] * img.mean() * 2 for k in layers}  # noqa: E731
    obj = Objective(net, None, torch.full((1, 3, 4, 4), 0.25), style_layers=("a", "b"),
                    style_layer_weights=[0.3, 0.7], fast=False)
    img = torch.full((1, 3, 4, 4), 0.5)
    _, parts = obj(img)
    torch.testing.assert_close(parts["style"], style_loss(net(img, "ab"), obj.style_targets, [0.3, 0.7]))
