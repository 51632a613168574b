"""The "write it yourself" checkers (lesson 08) pass right answers and name each wrong one."""

import pytest
import torch

from nst_course import checks
from nst_course.losses import content_loss, total_variation_loss


def stub(*args):
    raise NotImplementedError


def _run(check, fn, capsys):
    ok = check(fn)
    return ok, capsys.readouterr().out


# --- content loss ---------------------------------------------------------------------------------

def right_content(f, p):
    return ((f - p) ** 2).mean()


WRONG_CONTENT = {
    "gatys form": (lambda f, p: 0.5 * ((f - p) ** 2).sum(), "1/2 sum"),
    "sum": (lambda f, p: ((f - p) ** 2).sum(), "summed"),
    "not squared": (lambda f, p: (f - p).mean(), "forgot to square"),
    "abs": (lambda f, p: (f - p).abs().mean(), "absolute"),
    "norm": (lambda f, p: torch.linalg.norm(f - p), "norm"),
    "rms": (lambda f, p: ((f - p) ** 2).mean().sqrt(), "square root of the mean"),
    "hw": (lambda f, p: ((f - p) ** 2).sum() / (f.shape[-1] * f.shape[-2]), "H*W"),
    "elementwise": (lambda f, p: (f - p) ** 2, "every position"),
    "item": (lambda f, p: ((f - p) ** 2).mean().item(), "Python number"),
    "detached": (lambda f, p: ((f - p) ** 2).mean().detach(), "gradient"),
    "numpy": (lambda f, p: ((f - p) ** 2).detach().numpy(), "not ndarray"),
    "crash": (lambda f, p: f @ p, "raised RuntimeError"),
    "factor 3": (lambda f, p: 3 * ((f - p) ** 2).mean(), "3 x the reference"),
}


def test_right_content_loss_passes(capsys):
    assert checks.check_content_loss(right_content)
    assert checks.check_content_loss(content_loss)
    assert "PASS" in capsys.readouterr().out


@pytest.mark.parametrize("name", list(WRONG_CONTENT))
def test_wrong_content_loss_is_named(name, capsys):
    fn, hint = WRONG_CONTENT[name]
    ok, out = _run(checks.check_content_loss, fn, capsys)
    assert not ok
    assert "FAIL" in out and hint in out, out


# --- total variation --------------------------------------------------------------------------------

def right_tv(x):
    return ((x[..., 1:, :] - x[..., :-1, :]) ** 2).mean() + ((x[..., :, 1:] - x[..., :, :-1]) ** 2).mean()


def _dh(x):
    return x[..., 1:, :] - x[..., :-1, :]


def _dw(x):
    return x[..., :, 1:] - x[..., :, :-1]


WRONG_TV = {
    "vertical only": (lambda x: (_dh(x) ** 2).mean(), "only vertical"),
    "horizontal only": (lambda x: (_dw(x) ** 2).mean(), "only horizontal"),
    "abs": (lambda x: _dh(x).abs().mean() + _dw(x).abs().mean(), "L1 form"),
    "sum": (lambda x: (_dh(x) ** 2).sum() + (_dw(x) ** 2).sum(), "summed"),
    "averaged": (lambda x: ((_dh(x) ** 2).mean() + (_dw(x) ** 2).mean()) / 2, "averaged the two"),
    "roll": (lambda x: ((x.roll(-1, -2) - x) ** 2).mean() + ((x.roll(-1, -1) - x) ** 2).mean(),
             "torch.roll"),
    "channels": (lambda x: ((x[:, 1:] - x[:, :-1]) ** 2).mean(), "colour channels"),
    "isotropic": (lambda x: (_dh(x)[..., :, :-1] ** 2 + _dw(x)[..., :-1, :] ** 2).sqrt().mean(),
                  "isotropic"),
    "detached": (lambda x: right_tv(x).detach(), "gradient"),
    "item": (lambda x: right_tv(x).item(), "Python number"),
    "per image": (lambda x: (_dh(x) ** 2).mean((1, 2, 3)) + (_dw(x) ** 2).mean((1, 2, 3)), "one number"),
    "plus one": (lambda x: right_tv(x) + 1, "flat image"),
}


def test_right_tv_loss_passes(capsys):
    assert checks.check_tv_loss(right_tv)
    assert checks.check_tv_loss(total_variation_loss)
    assert "PASS" in capsys.readouterr().out


@pytest.mark.parametrize("name", list(WRONG_TV))
def test_wrong_tv_loss_is_named(name, capsys):
    fn, hint = WRONG_TV[name]
    ok, out = _run(checks.check_tv_loss, fn, capsys)
    assert not ok
    assert "FAIL" in out and hint in out, out


# --- the optimisation loop -----------------------------------------------------------------------------

def loop(optimizer="lbfgs", zero_grad=True, clamp=True, max_iter=1, copy=True, ret="x", lr=None,
         steps_factor=1, no_grad_clamp=True, requires_grad=True, closure=True):
    """A right loop (the defaults) and every way of getting it wrong that the check names."""
    def fn(objective, start, steps):
        x = start.clone() if copy else start
        if requires_grad:
            x.requires_grad_(True)
        if optimizer == "lbfgs":
            opt = torch.optim.LBFGS([x], lr=lr or 1.0, max_iter=max_iter)
        else:
            opt = torch.optim.Adam([x], lr=lr or 0.02)

        def step_closure():
            if zero_grad:
                opt.zero_grad()
            total, _ = objective(x)
            total.backward()
            return total

        for _ in range(int(steps * steps_factor)):
            if closure:
                opt.step(step_closure)
            else:
                opt.step()
            if clamp:
                if no_grad_clamp:
                    with torch.no_grad():
                        x.clamp_(0, 1)
                else:
                    x.clamp_(0, 1)
        return {"x": x, "start": start, "none": None, "number": 1.0, "flat": x.flatten()}[ret]
    return fn


WRONG_LOOPS = {
    "no zero_grad": (loop(zero_grad=False), "gradients accumulate"),
    "adam no zero_grad": (loop("adam", zero_grad=False, lr=0.05), "gradients accumulate"),
    "no clamp": (loop(clamp=False), "outside [0, 1]"),
    "default max_iter": (loop(max_iter=20), "max_iter=1"),
    "in place on start": (lambda o, s, n: loop(copy=False)(o, s.requires_grad_(True), n), "in place"),
    "returns start": (loop(ret="start"), "unchanged"),
    "returns None": (loop(ret="none"), "not yet solved"),
    "returns number": (loop(ret="number"), "not float"),
    "flattened": (loop(ret="flat"), "shape"),
    "too few steps": (loop(steps_factor=0.25), "times for"),
    "clamp with grad": (loop(no_grad_clamp=False), "torch.no_grad"),
    "no requires_grad": (loop(requires_grad=False), "requires_grad"),
    "lbfgs without closure": (loop(closure=False), "closure"),
    "never evaluated": (lambda o, s, n: s.clone() * 0.9, "never evaluated"),
    "tiny lr": (loop("adam", lr=1e-4), "far from the minimum"),
}


@pytest.mark.parametrize("fn", [loop(), loop("adam", lr=0.05), loop("adam")],
                         ids=["lbfgs", "adam lr 0.05", "adam default lr"])
def test_right_loops_pass(fn, capsys):
    ok, out = _run(checks.check_optimisation_loop, fn, capsys)
    assert ok, out
    assert "PASS" in out


@pytest.mark.parametrize("name", list(WRONG_LOOPS))
def test_wrong_loop_is_named(name, capsys):
    fn, hint = WRONG_LOOPS[name]
    ok, out = _run(checks.check_optimisation_loop, fn, capsys)
    assert not ok
    assert hint in out, out


# --- any input gets a sentence --------------------------------------------------------------------------

CHECKS = [checks.check_content_loss, checks.check_tv_loss, checks.check_optimisation_loop]


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("fn", [stub, lambda *a: None], ids=["raises", "returns None"])
def test_stubs_are_not_yet_solved(check, fn, capsys):
    ok, out = _run(check, fn, capsys)
    assert not ok
    assert "not yet solved" in out and "FAIL" not in out


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("value", [3, "my_loss", None, torch.zeros(2)], ids=["int", "str", "None", "tensor"])
def test_a_value_instead_of_a_function_gets_a_sentence(check, value, capsys):
    ok, out = _run(check, value, capsys)
    assert not ok
    assert out.startswith("FAIL: ") and "your function itself" in out and out.count("\n") == 1


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_a_function_with_the_wrong_signature_gets_a_sentence(check, capsys):
    ok, out = _run(check, lambda: 0, capsys)
    assert not ok
    assert "FAIL" in out and "TypeError" in out


def test_an_offset_content_loss_is_named(capsys):
    ok, out = _run(checks.check_content_loss, lambda f, p: ((f - p) ** 2).mean() + 1, capsys)
    assert not ok and "must give a loss of 0" in out
