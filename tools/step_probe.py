"""Where a ``stylize`` step's time goes, and what a fusion around the convolutions buys.

    python tools/step_probe.py                     # 512x384, 5 rounds of 4 steps: about 1 min
    python tools/step_probe.py --size 128 --rounds 1 --variants relu-postop

Issue 25, item 3: the step runs at about two thirds of the bfloat16 conv peak and the goal is
80 %. This probe times what the optimiser waits for in a step, the objective's forward and
backward pass (``Objective``, as ``stylize`` builds it, at the precision it picks), at the
photo, and prints two markdown tables:

1. **Where the time goes** (``as_is``): every ATen operation of a few steps timed where it is
   dispatched (``TorchDispatchMode``; ``torch.profiler`` inflates the short memory-bound
   operations), grouped: convolutions forward and backward (with their GFLOP/s), the Gram
   products, ReLU, pooling, dtype copies, gradient sums, the rest; and the **ceiling**: the
   share of the conv peak a step would reach if everything but the convolutions took no time.
2. **What each variant buys** (``VARIANTS``), patched in for its own rounds only, the rounds
   interleaved in one process (the order rotates), the conv peak of the network's dtype measured
   before every round (the highest is used): the median seconds, the ratio to ``as_is`` and the
   share of the conv peak; and each variant's loss and gradient against ``as_is``'s (the same
   numbers up to rounding, or the variant is not a fusion).

The variants: ``relu-postop`` (each convolution and its ReLU as one oneDNN call, a post-op:
``torch.ops.mkldnn._convolution_pointwise``; the backward the same two operations as autograd's),
``relu-postop-inplace`` (that, with the ReLU's backward written over the incoming gradient instead
of a new tensor), ``gram-bf16math`` (the Gram products of bfloat16 features by oneDNN in
bfloat16 with float32 sums, ``torch.backends.mkldnn.matmul.fp32_precision = "bf16"``: exact for
values that are bfloat16 already), ``gram1-bf16backward`` (conv1_1's float32 features' Gram
backward in bfloat16 too, as the other layers' is: a rounded gradient, not a fusion; in a float32
network every layer's) and
``gram-openblas`` (the float32 Gram products by NumPy's
OpenBLAS, 1.2-1.8x faster than torch's MKL on some AMD processors when run alone); ``combined``:
``relu-postop-inplace``, ``gram-bf16math`` and ``gram1-bf16backward`` together.

By default the C allocator keeps freed memory, as ``nst-course stylize`` runs
(:mod:`nst_course.allocator`); ``--allocator as-is`` leaves it as a notebook kernel has it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from contextlib import contextmanager

import numpy as np
import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode

from nst_course import speed
from nst_course.allocator import keep_freed_memory
from nst_course.bench.timing import conv_peak, images, step_gflop
from nst_course.config import DEFAULT_STYLE_WEIGHT
from nst_course.objective import Objective
from nst_course.vgg import load_vgg

VARIANTS = ("as_is", "relu-postop", "relu-postop-inplace", "gram-bf16math", "gram1-bf16backward",
            "gram-openblas", "combined")

#: the breakdown's groups: ATen operation names -> group
GROUPS = {
    "convolution": "convolutions, forward",
    "convolution_backward": "convolutions, backward",
    "bmm": "Gram products", "baddbmm_": "Gram products", "mm": "Gram products",
    "relu_": "ReLU", "relu": "ReLU", "threshold_backward": "ReLU",
    "max_pool2d_with_indices": "pooling", "max_pool2d_with_indices_backward": "pooling",
    "avg_pool2d": "pooling", "avg_pool2d_backward": "pooling",
    "_to_copy": "dtype copies", "copy_": "dtype copies",
    "add": "gradient sums", "add_": "gradient sums",
}
OTHER = "losses and the rest"


class _ConvReLUFunction(torch.autograd.Function):
    """``relu(conv(x))`` as one oneDNN call; the backward as autograd's (ReLU's, then the
    convolution's to its input: the weights are frozen)."""

    @staticmethod
    def forward(ctx, x, weight, bias, padding, inplace):
        xin = x.to(weight.dtype)
        y = torch.ops.mkldnn._convolution_pointwise(xin, weight, bias, list(padding), [1, 1], [1, 1],
                                                     1, "relu", [], "")
        ctx.save_for_backward(xin, weight, y)
        ctx.padding, ctx.inplace, ctx.in_dtype = list(padding), inplace, x.dtype
        return y

    @staticmethod
    def backward(ctx, grad):
        xin, weight, y = ctx.saved_tensors
        if ctx.inplace:
            g = torch.ops.aten.threshold_backward.grad_input(grad, y, 0, grad_input=grad)
        else:
            g = torch.ops.aten.threshold_backward(grad, y, 0)
        gx = torch.ops.aten.convolution_backward(g, xin, weight, None, [1, 1], ctx.padding, [1, 1], False,
                                                 [0, 0], 1, [True, False, False])[0]
        return gx.to(ctx.in_dtype), None, None, None, None


class ConvReLU(nn.Module):
    """A VGG convolution (casting its input to its dtype) and its ReLU, fused."""

    def __init__(self, conv: nn.Conv2d, inplace: bool = False):
        super().__init__()
        self.conv, self.inplace = conv, inplace

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _ConvReLUFunction.apply(x, self.conv.weight, self.conv.bias, self.conv.padding, self.inplace)


@contextmanager
def relu_postop(vgg, inplace: bool = False):
    """``vgg``'s convolutions and ReLUs fused while the block runs."""
    net = vgg.net
    convs, relu = list(net.convs), net.relu
    for k, m in enumerate(convs):
        net.convs[k] = ConvReLU(getattr(m, "conv", m), inplace)
    net.relu = nn.Identity()
    try:
        yield
    finally:
        for k, m in enumerate(convs):
            net.convs[k] = m
        net.relu = relu


@contextmanager
def patched_gram(forward=None, backward=None):
    """:class:`nst_course.speed.FusedGram`'s forward / backward replaced while the block runs."""
    old = speed.FusedGram.forward, speed.FusedGram.backward
    speed.FusedGram.forward = staticmethod(forward or old[0])
    speed.FusedGram.backward = staticmethod(backward or old[1])
    try:
        yield
    finally:
        speed.FusedGram.forward, speed.FusedGram.backward = (staticmethod(f) for f in old)


#: the speed layer's own Gram forward and backward, which the variants below fall back on
_FORWARD, _BACKWARD = speed.FusedGram.forward, speed.FusedGram.backward


def _bf16math_forward(ctx, f):
    mm = torch.backends.mkldnn.matmul
    before = mm.fp32_precision
    if f.dtype in speed.LOW_PRECISION:
        mm.fp32_precision = "bf16"  # the float32 blocks hold bfloat16 values: exact products
    try:
        return _FORWARD(ctx, f)
    finally:
        mm.fp32_precision = before


def _openblas_forward(ctx, f):
    ctx.save_for_backward(f)
    gram = np.zeros((f.shape[1], f.shape[1]), np.float32)
    for part in (f[0],) if f.dtype == torch.float32 else f[0].split(speed.FusedGram.CHUNK, dim=1):
        a = part.float().numpy()  # (C, M), a view where it can be
        gram += a @ a.T
    return torch.from_numpy(gram)[None]


def _openblas_backward(ctx, grad):
    (f,) = ctx.saved_tensors
    if f.dtype != torch.float32 or f.stride(1) != 1:
        return _BACKWARD(ctx, grad)
    sym = (grad + grad.transpose(1, 2))[0].numpy()
    return torch.from_numpy(f[0].T.numpy() @ sym).T[None]  # (M, C) @ (C, C), F's layout


def _bf16_backward(ctx, grad):
    (f,) = ctx.saved_tensors
    if f.dtype != torch.float32:
        return _BACKWARD(ctx, grad)
    sym = (grad + grad.transpose(1, 2)).to(torch.bfloat16)
    return speed.FusedGram._mm(f.to(torch.bfloat16), sym).float()


@contextmanager
def _combined(vgg):
    with relu_postop(vgg, inplace=True), patched_gram(_bf16math_forward, _bf16_backward):
        yield


def variant(name: str, vgg):
    """The context in which ``name`` runs."""
    if name == "relu-postop":
        return relu_postop(vgg)
    if name == "relu-postop-inplace":
        return relu_postop(vgg, inplace=True)
    if name == "gram-bf16math":
        return patched_gram(forward=_bf16math_forward)
    if name == "gram1-bf16backward":
        return patched_gram(backward=_bf16_backward)
    if name == "gram-openblas":
        return patched_gram(_openblas_forward, _openblas_backward)
    if name == "combined":
        return _combined(vgg)
    if name == "as_is":
        return patched_gram()
    raise SystemExit(f"unknown variant {name!r}; choose from {', '.join(VARIANTS)}")


class OpTimer(TorchDispatchMode):
    """Seconds per ATen operation (by name) while active."""

    def __init__(self):
        super().__init__()
        self.seconds = defaultdict(float)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        t = time.perf_counter()
        out = func(*args, **(kwargs or {}))
        self.seconds[func.__name__.split(".")[0]] += time.perf_counter() - t
        return out


def make_step(objective, image):
    """``step() -> (total, gradient)``: one forward and backward pass at ``image``."""
    x = image.clone().requires_grad_(True)

    def step():
        x.grad = None
        total, _ = objective(x)
        total.backward()
        return total.item(), x.grad

    return step


def breakdown(step, steps: int) -> tuple[float, dict]:
    """The median seconds of a step timed under :class:`OpTimer`, and ``{group: median seconds
    a step}`` (medians: one slow moment of a busy machine does not inflate a group)."""
    timer, totals, groups = OpTimer(), [], defaultdict(list)
    with timer:
        step()  # the first step under the timer is slow
        for _ in range(steps):
            timer.seconds.clear()
            t = time.perf_counter()
            step()
            totals.append(time.perf_counter() - t)
            per_group = defaultdict(float)
            for op, s in timer.seconds.items():
                per_group[GROUPS.get(op, OTHER)] += s
            per_group["outside ATen (Python, autograd)"] = totals[-1] - sum(per_group.values())
            for g in set(GROUPS.values()) | {OTHER, "outside ATen (Python, autograd)"}:
                groups[g].append(per_group[g])
    medians = {g: statistics.median(v) for g, v in groups.items()}
    return statistics.median(totals), dict(sorted(medians.items(), key=lambda kv: -kv[1]))


def breakdown_lines(total: float, groups: dict) -> list[str]:
    """The breakdown as a markdown table."""
    lines = ["| where | ms a step | share |", "|---|---|---|"]
    lines += [f"| {g} | {1e3 * s:.1f} | {100 * s / total:.1f} % |" for g, s in groups.items()]
    return lines + [f"| **the step (timed)** | {1e3 * total:.1f} | 100 % |"]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=512, help="width; height 3/4 of it")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--steps", type=int, default=4, help="timed steps a variant in each round")
    p.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=VARIANTS)
    p.add_argument("--allocator", choices=("kept", "as-is"), default="kept")
    p.add_argument("--json", help="also write the measurements here")
    a = p.parse_args(argv)
    if a.allocator == "kept":
        keep_freed_memory()
    if "as_is" not in a.variants:
        a.variants.insert(0, "as_is")
    content, style = images(a.size)
    vgg = load_vgg(precision="auto")
    objective = Objective(vgg, content, style, style_weight=DEFAULT_STYLE_WEIGHT, style_calibration="target")
    h, w = content.shape[-2:]
    gflop, dtype = step_gflop(h, w), vgg.dtype
    step = make_step(objective, content)
    print(f"{w}x{h}, {str(dtype)[6:]}, torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"allocator {a.allocator}; one step = the objective's forward + backward at the photo "
          f"({gflop:.0f} GFLOP of convolutions)\n", flush=True)
    timed, groups = breakdown(step, max(3, a.steps))
    reference = step()
    times, agree, peaks = {v: [] for v in a.variants}, {}, []
    for r in range(a.rounds):
        peaks.append(conv_peak(dtype=dtype))
        k = r % len(a.variants)
        for v in a.variants[k:] + a.variants[:k]:
            with variant(v, vgg):
                total, grad = step()  # warm-up, and the numbers compared with as_is's
                agree.setdefault(v, (abs(total - reference[0]) / abs(reference[0]),
                                     ((grad - reference[1]).norm() / reference[1].norm()).item()))
                for _ in range(a.steps):
                    t = time.perf_counter()
                    step()
                    times[v].append(time.perf_counter() - t)
    peaks.append(conv_peak(dtype=dtype))
    peak = max(peaks)
    conv = groups["convolutions, forward"] + groups["convolutions, backward"]
    print("\n".join(breakdown_lines(timed, groups)))
    print(f"\nConvolutions {gflop / conv:.0f} GFLOP/s, {100 * gflop / conv / peak:.0f} % of the conv peak "
          f"({peak:.0f} GFLOP/s, the highest of {min(peaks):.0f}-{peak:.0f} measured between the rounds "
          f"below): the ceiling, were everything else free. The timed step: "
          f"{100 * gflop / timed / peak:.0f} %.\n")
    base = statistics.median(times["as_is"])
    print(f"Interleaved: {a.rounds} rounds x {a.steps} steps.\n")
    print("| variant | s/step (median) | / as_is | share of the conv peak | loss vs as_is "
          "| gradient vs as_is |")
    print("|---|---|---|---|---|---|")
    for v in a.variants:
        med = statistics.median(times[v])
        print(f"| `{v}` | {med:.3f} | {med / base:.3f} | {100 * gflop / med / peak:.0f} % | "
              f"{agree[v][0]:.1e} | {agree[v][1]:.1e} |")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"size": [w, h], "gflop": gflop, "peaks": peaks, "timed": timed, "groups": groups,
                       "times": times, "agree": agree}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
