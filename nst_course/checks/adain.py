"""Lesson 07 (notebooks/07_beyond_gatys.ipynb): ``check_adain``."""

from __future__ import annotations

from collections.abc import Callable

import torch

from ._core import (
    _call,
    _checker,
    _fail,
    _not_a_function,
    _not_finite,
)

# --- lesson 07: adaptive instance normalisation ---------------------------------------------------

def _adain_variants(c: torch.Tensor, s: torch.Tensor, eps: float = 1e-5) -> dict[str, torch.Tensor]:
    """Common wrong versions of AdaIN(c, s): ``{what is wrong: value}``."""
    def stats(f, dims=(2, 3), unbiased=True):
        return f.mean(dims, keepdim=True), (f.var(dims, keepdim=True, unbiased=unbiased) + eps).sqrt()

    (cm, cs), (sm, ss) = stats(c), stats(s)
    (cmb, csb), (smb, ssb) = stats(c, unbiased=False), stats(s, unbiased=False)
    (cma, csa), (sma, ssa) = stats(c, (1, 2, 3)), stats(s, (1, 2, 3))
    (cmn, csn), (smn, ssn) = stats(c, (0, 2, 3)), stats(s, (0, 2, 3))
    return {
        "the standard deviation: use the unbiased variance (torch.var's default, as "
        "nst_course.adain.mean_std) plus eps, then the square root.": ssb * (c - cmb) / csb + smb,
        "eps belongs inside the square root: sqrt(var + eps), not sqrt(var) + eps.":
            (s.std((2, 3), keepdim=True) + eps) * (c - cm) / (c.std((2, 3), keepdim=True) + eps) + sm,
        "you normalised the content but did not give it the style's statistics: multiply by "
        "sigma(style), then add mu(style).": (c - cm) / cs,
        "content and style are swapped in the statistics: subtract mu(content), divide by "
        "sigma(content), then multiply by sigma(style) and add mu(style).": cs * (c - sm) / ss + cm,
        "the statistics are per image *and channel*: average over H and W only (dims 2, 3), not "
        "over the channels too.": ssa * (c - cma) / csa + sma,
        "the statistics are per image: average over H and W only (dims 2, 3), not over the batch.":
            ssn * (c - cmn) / csn + smn,
        "you only moved the mean: also divide by sigma(content) and multiply by sigma(style).":
            c - cm + sm,
    }


@_checker
def check_adain(fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> bool:
    """Check ``fn(content_feat (N, C, H, W), style_feat (N, C, H', W')) -> (N, C, H, W)`` against
    :func:`nst_course.adain.adain` (notebooks/07): ``sigma(s) (c - mu(c)) / sigma(c) + mu(s)``
    with per-image, per-channel statistics over H and W."""
    from ..adain import adain, mean_std

    why = _not_a_function("check_adain", fn)
    if why:
        return _fail(why)
    gen = torch.Generator().manual_seed(0)
    c = torch.randn(2, 6, 5, 7, generator=gen) * 2 + 1
    s = torch.rand(2, 6, 4, 9, generator=gen) * 3
    out = _call(fn, c.clone(), s.clone())
    if not isinstance(out, torch.Tensor):
        return _fail(f"return a torch.Tensor, not {type(out).__name__}.")
    if out.shape != c.shape:
        hint = (" (the style's shape: the result keeps the content's layout)"
                if out.shape == s.shape else "")
        return _fail(f"shape {tuple(out.shape)}, expected the content's {tuple(c.shape)}{hint}.")
    if not torch.isfinite(out).all():
        return _fail(_not_finite("adain", out))
    ref = adain(c, s)
    err = (out.float() - ref).abs().max().item()
    if err > 1e-4:
        for why, value in _adain_variants(c, s).items():
            if torch.allclose(out.float(), value, rtol=1e-4, atol=1e-4):
                return _fail(f"max difference {err:.2e} from nst_course.adain.adain: {why}")
        m, _ = mean_std(out.float())
        hint = ("the means are right, check the standard deviation (var + eps, then sqrt; "
                "unbiased var)" if torch.allclose(m, mean_std(s)[0], atol=1e-4)
                else "the per-channel means differ from the style's: average over H and W only")
        return _fail(f"max difference {err:.2e} from nst_course.adain.adain: {hint}")
    print(f"PASS: adain matches nst_course.adain.adain (max difference {err:.1e}).")
    return True
