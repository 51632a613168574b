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


def test_rel_error_and_cmp(capsys):
    x = torch.tensor([1.0, 2.0])
    assert checks.rel_error(x, x) == 0
    assert checks.rel_error(x, x + 1) == pytest.approx(1 / 3)
    assert checks.cmp("x", x, x) and not checks.cmp("x", x, x + 1)
    assert "maxdiff" in capsys.readouterr().out


# --- check_stop_when_flat (lesson 06) --------------------------------------------------------------

def right_stop_when_flat(rel_tol=0.01):
    losses = []

    def callback(record, image):
        losses.append(record.total_loss)
        return len(losses) >= 2 and losses[-2] - losses[-1] < rel_tol * losses[-2]

    return callback


def _stopper(rule):
    """A ``stop_when_flat`` whose callback stops when ``rule(losses so far, rel_tol)``."""
    def make(rel_tol=0.01):
        losses = []

        def callback(record, image):
            losses.append(record.total_loss)
            return rule(losses, rel_tol)

        return callback

    return make


_absolute = _stopper(lambda L, tol: len(L) >= 2 and L[-2] - L[-1] < tol)
_reversed = _stopper(lambda L, tol: len(L) >= 2 and L[-2] - L[-1] > tol * L[-2])
_no_first_check = _stopper(lambda L, tol: L[-2] - L[-1] < tol * L[-2])
_returns_none = _stopper(lambda L, tol: True if len(L) >= 2 and L[-2] - L[-1] < tol * L[-2] else None)


_SHARED = []


def _shared_memory(rel_tol=0.01):
    def callback(record, image):
        _SHARED.append(record.total_loss)
        return len(_SHARED) >= 2 and _SHARED[-2] - _SHARED[-1] < rel_tol * _SHARED[-2]

    return callback


WRONG_STOPPERS = {
    "absolute tolerance": (_absolute, "never stopped"),
    "reversed": (_reversed, "wrong way round"),
    "no first-step check": (_no_first_check, "no previous one"),
    "shared memory": (_shared_memory, "fresh memory"),
    "returns None": (_returns_none, "True (stop) or False"),
    "returns a value": (lambda rel_tol=0.01: 3, "return the callback function itself"),
    "called it": (right_stop_when_flat(), "needs your function itself"),
    "stops at once": (lambda rel_tol=0.01: (lambda record, image: True), "expected"),
    "crash": (lambda rel_tol=0.01: (lambda record, image: record.loss), "raised AttributeError"),
}


# --- check_adain (lesson 07) -----------------------------------------------------------------------

def _stats(f, dims=(2, 3), unbiased=True, eps=1e-5):
    return f.mean(dims, keepdim=True), (f.var(dims, keepdim=True, unbiased=unbiased) + eps).sqrt()


def right_adain(c, s):
    (cm, cs), (sm, ss) = _stats(c), _stats(s)
    return ss * (c - cm) / cs + sm


WRONG_ADAIN = {
    "biased var": (lambda c, s: (lambda a, b: b[1] * (c - a[0]) / a[1] + b[0])(
        _stats(c, unbiased=False), _stats(s, unbiased=False)), "unbiased variance"),
    "normalised only": (lambda c, s: (c - _stats(c)[0]) / _stats(c)[1], "style's statistics"),
    "over channels too": (lambda c, s: (lambda a, b: b[1] * (c - a[0]) / a[1] + b[0])(
        _stats(c, (1, 2, 3)), _stats(s, (1, 2, 3))), "and channel"),
    "over the batch": (lambda c, s: (lambda a, b: b[1] * (c - a[0]) / a[1] + b[0])(
        _stats(c, (0, 2, 3)), _stats(s, (0, 2, 3))), "not over the batch"),
    "mean only": (lambda c, s: c - _stats(c)[0] + _stats(s)[0], "only moved the mean"),
    "swapped": (lambda c, s: _stats(c)[1] * (c - _stats(s)[0]) / _stats(s)[1] + _stats(c)[0], "swapped"),
    "style shape": (lambda c, s: s, "style's shape"),
    "nan": (lambda c, s: right_adain(c, s) / 0 * 0, "contains NaN"),
    "list": (lambda c, s: right_adain(c, s).tolist(), "not list"),
    "crash": (lambda c, s: c @ s, "raised RuntimeError"),
    "not a function": (3.0, "needs your function itself"),
}


# --- every checker: right answers pass, each wrong answer of its table is named ------------------

def _adain(c, s):
    from nst_course.adain import adain

    return adain(c, s)


RIGHT = [(checks.check_gram_matrix, right_gram), (checks.check_gram_matrix, gram_matrix),
         (checks.check_style_loss, right_style_loss), (checks.check_style_loss, style_loss),
         (checks.check_stop_when_flat, right_stop_when_flat), (checks.check_adain, right_adain),
         (checks.check_adain, _adain)]
TABLES = {checks.check_gram_matrix: WRONG_GRAMS, checks.check_style_loss: WRONG_STYLE,
          checks.check_stop_when_flat: WRONG_STOPPERS, checks.check_adain: WRONG_ADAIN}
WRONG = [pytest.param(checker, fn, hint, id=f"{checker.__name__}: {name}")
         for checker, table in TABLES.items() for name, (fn, hint) in table.items()]


@pytest.mark.parametrize("checker,fn", RIGHT, ids=lambda x: getattr(x, "__name__", str(x)))
def test_right_answer_passes(checker, fn, capsys):
    assert checker(fn)
    assert "PASS" in capsys.readouterr().out


@pytest.mark.parametrize("checker,fn,hint", WRONG)
def test_wrong_answer_is_named(checker, fn, hint, capsys):
    _SHARED.clear()
    assert not checker(fn)
    out = capsys.readouterr().out
    assert "FAIL" in out and hint in out, out


def test_stubs_of_the_new_checkers_are_not_yet_solved(capsys):
    assert not checks.check_stop_when_flat(stub)
    assert not checks.check_stop_when_flat(lambda rel_tol=0.01: None)
    assert not checks.check_adain(stub)
    out = capsys.readouterr().out
    assert out.count("not yet solved") == 3 and "FAIL" not in out


def test_nan_results_are_named_not_diagnosed(capsys):
    assert not checks.check_gram_matrix(lambda f: right_gram(f) * float("nan"))
    assert not checks.check_style_loss(lambda f, t, w=None: right_style_loss(f, t, w) * float("nan"))
    out = capsys.readouterr().out
    assert out.count("contains NaN") == 2 and "no common mistake" not in out, out


# --- any input a learner can type gets a sentence, never a traceback ----------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_values = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=5),
    st.lists(st.floats(allow_nan=True), max_size=3),
    st.builds(lambda shape, fill: torch.full(shape, fill),
              st.lists(st.integers(0, 3), max_size=4).map(tuple),
              st.floats(allow_nan=True, allow_infinity=True, width=32)),
)
_CHECKERS = [checks.check_gram_matrix, checks.check_style_loss, checks.check_stop_when_flat,
             checks.check_adain]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=_values, as_function=st.booleans(), checker=st.sampled_from(_CHECKERS))
def test_checkers_answer_any_input_with_a_sentence(value, as_function, checker, capsys):
    fn = (lambda *args, **kwargs: value) if as_function else value
    ok = checker(fn)
    out = capsys.readouterr().out.strip()
    assert ok is False  # a constant is never right
    assert out and "Traceback" not in out
    last = out.splitlines()[-1]
    assert last.startswith("FAIL: ") or last == checks.NOT_SOLVED, out
