"""The checker of lesson 10's coding exercise: Ruder et al.'s temporal loss.

``check_temporal_loss(fn)`` calls ``fn(image, previous, flow, mask)`` on random tensors and
compares it with ``(1/D) sum_i c_i (x_i - warp(previous, flow)_i)^2``. A wrong answer gets
the sentence of the mistake it matches (not warped, warped the wrong way, no mask, the mask
inverted, another normalisation, no square); a stub is "not yet solved"; any other input a
learner can type gets one sentence about it. Introduced in notebooks/10_video.ipynb.
"""

from __future__ import annotations

import torch

from ..video import temporal_loss, warp

NOT_SOLVED = "not yet solved: fill in the function, run its cell, then run this check again."


def _reference(image, previous, flow, mask):
    return temporal_loss(image, warp(previous, flow), mask)


def _variants(image, previous, flow, mask) -> dict[str, torch.Tensor]:
    w = warp(previous, flow)
    d2 = (image - w) ** 2
    n = image.numel()
    return {
        "you compared with the previous frame as it is: warp it first, warp(previous, flow), so "
        "each pixel meets the same point of the scene.": (mask * (image - previous) ** 2).sum() / n,
        "you warped with -flow: the backward flow already points from frame t to where the pixel "
        "was in frame t-1; use warp(previous, flow).":
            (mask * (image - warp(previous, -flow)) ** 2).sum() / n,
        "you left out the mask: disoccluded pixels (new in this frame) have no previous value to "
        "agree with; multiply by mask.": d2.sum() / n,
        "you used 1 - mask: the mask is 1 on the valid pixels, the ones to compare.":
            ((1 - mask) * d2).sum() / n,
        "you divided by the number of valid pixels (that is Lai et al.'s warping error); Ruder et "
        "al. divide by D, all the numbers of the image (image.numel()).":
            (mask * d2).sum() / (mask.sum() * image.shape[1]),
        "you divided by the number of valid pixel positions; divide by D = image.numel() (all "
        "pixels and all 3 colours).": (mask * d2).sum() / mask.sum(),
        "you summed without dividing: divide by D = image.numel().": (mask * d2).sum(),
        "you forgot to square the differences.": (mask * (image - w)).sum() / n,
        "you took absolute differences (an L1 loss); square them instead.":
            (mask * (image - w).abs()).sum() / n,
        "you took the square root (a norm) instead of the squared differences themselves.":
            (mask * d2).sum().sqrt() / n,
        "you divided by H*W only; D counts the 3 colours too (image.numel()).":
            (mask * d2).sum() / (image.shape[-1] * image.shape[-2]),
    }


def _close(a: torch.Tensor, b: torch.Tensor) -> bool:
    return torch.allclose(a.detach().double().reshape(()), b.detach().double(), rtol=1e-4, atol=1e-10)


def _cases():
    gen = torch.Generator().manual_seed(10)
    out = []
    for label, (h, w) in (("a 6x8 frame", (6, 8)), ("a 5x7 frame", (5, 7))):
        image = torch.rand(1, 3, h, w, generator=gen, dtype=torch.float64).requires_grad_(True)
        previous = torch.rand(1, 3, h, w, generator=gen, dtype=torch.float64)
        flow = (torch.rand(1, 2, h, w, generator=gen, dtype=torch.float64) - 0.5) * 4
        mask = (torch.rand(1, 1, h, w, generator=gen) > 0.3).double()
        out.append((label, (image, previous, flow, mask)))
    return out


def check_temporal_loss(fn) -> bool:
    """Check ``fn(image (1, 3, H, W), previous (1, 3, H, W), flow (1, 2, H, W), mask (1, 1, H, W))
    -> scalar`` against ``temporal_loss(image, warp(previous, flow), mask)``; prints PASS or
    what is wrong and returns True when it passes."""
    def fail(message: str) -> bool:
        print("FAIL: " + message)
        return False

    if not callable(fn):
        return fail(f"check_temporal_loss needs your function itself (without parentheses); you "
                    f"passed a {type(fn).__name__}.")
    for label, inputs in _cases():
        try:
            out = fn(*inputs)
        except NotImplementedError:
            print(NOT_SOLVED)
            return False
        except Exception as e:  # one sentence, not a traceback in the lesson
            return fail(f"{label}: your function raised {type(e).__name__}: {e}")
        if out is None:
            print(NOT_SOLVED)
            return False
        if isinstance(out, int | float):
            return fail(f"{label}: you returned a Python number; return the tensor (.item() cuts "
                        "the gradient the optimiser needs).")
        if not isinstance(out, torch.Tensor):
            return fail(f"{label}: return a torch.Tensor, not {type(out).__name__}.")
        if out.numel() != 1:
            return fail(f"{label}: return one number, not shape {tuple(out.shape)}: sum the masked "
                        "squared differences and divide by D.")
        if not torch.isfinite(out).all():
            return fail(f"{label}: your result is not finite; look for a division by zero.")
        expected = _reference(*inputs)
        if not _close(out, expected):
            for why, value in _variants(*inputs).items():
                if _close(out, value):
                    return fail(why)
            return fail(f"{label}: yours is {out.item() / expected.item():.4g} x the reference; no "
                        "common mistake explains it: compare with (1/D) sum c (x - warp(previous))^2.")
        if not out.requires_grad:
            return fail("the result carries no gradient with respect to image (avoid .detach(), "
                        ".item() or torch.no_grad() inside): the optimiser needs it.")
    print("PASS: your temporal loss matches Ruder et al.'s (warped, masked, divided by D, gradient).")
    return True
