"""Timing a step: conv FLOPs, the machine's conv peak, seconds per step of each implementation
(interleaved), peak memory in a fresh process, AdaIN."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

from ..config import CONTENT_LAYERS, STYLE_LAYERS
from ..vgg import BLOCKS, LAYERS
from .plain import PlainNST
from .tables import processor

ASPECT = 3 / 4  # the sizes: 256x192, 512x384, 1024x768


def step_gflop(height: int, width: int, layers=CONTENT_LAYERS + STYLE_LAYERS) -> float:
    """Conv GFLOP of one step: forward + backward to the input (2x the forward) up to the deepest layer."""
    last, flops, h, w, cin, i = max(LAYERS.index(n) for n in layers), 2 * 3 * 3 * height * width, \
        height, width, 3, 0
    couts = [c for chans in BLOCKS for c in chans]
    for name in LAYERS[: last + 1]:
        if name.startswith("pool"):
            h, w = h // 2, w // 2
        else:
            flops += 2 * cin * couts[i] * 9 * h * w
            cin, i = couts[i], i + 1
    return 2 * flops / 1e9


def conv_peak(repeats: int = 7, dtype: torch.dtype = torch.float32) -> float:
    """GFLOP/s of one 3x3 conv 128->128 on 96x128, channels_last, forward (median)."""
    x = torch.rand(1, 128, 96, 128, dtype=dtype).contiguous(memory_format=torch.channels_last)
    w = torch.rand(128, 128, 3, 3, dtype=dtype).contiguous(memory_format=torch.channels_last)
    times = []
    with torch.no_grad():
        for _ in range(repeats + 1):
            t = time.perf_counter()
            F.conv2d(x, w, padding=1)
            times.append(time.perf_counter() - t)
    return 2 * 128 * 128 * 9 * 96 * 128 / _median(times[1:]) / 1e9



def images(width: int):
    """Content (chelsea) and style (swirls) at ``width`` x ``width*3/4``."""
    from ..images import load_image

    size = (round(width * ASPECT), width)
    return tuple(F.interpolate(load_image(name, width), size=size, mode="bilinear",
                               align_corners=False).clamp(0, 1) for name in ("chelsea", "swirls"))


def _ours(content, style, steps: int, precision: str = "auto"):
    from ..optimize import stylize

    r = stylize(content, style, steps=steps, schedule="single", progress=False,
                precision=precision)
    s = [h.seconds for h in r.history]
    return [b - a for a, b in zip(s, s[1:])]  # the first step includes warm-up


def _ours_fp32(content, style, steps: int):
    return _ours(content, style, steps, "float32")


def _plain(content, style, steps: int):
    p, times = PlainNST(content, style), []
    for _ in range(steps):
        t = time.perf_counter()
        p.step()
        times.append(time.perf_counter() - t)
    return times[1:]


def _median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2] if len(xs) % 2 else 0.5 * (xs[len(xs) // 2 - 1] + xs[len(xs) // 2])


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB.

    Linux: ``VmHWM`` of ``/proc/self/status``. Not ``ru_maxrss``: Linux carries it
    over ``exec`` from the forking parent, so every child of a big benchmark
    process would report at least the parent's size (the same number for all).
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KB on Linux, bytes on macOS
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)


def peak_memory_mb(impl: str, width: int, steps: int = 2) -> float:
    """Peak resident memory (MB) of a fresh process that runs ``steps`` steps of ``impl``."""
    if impl not in IMPLS:
        raise ValueError(f"impl must be one of {', '.join(IMPLS)}, not {impl!r}")
    code = (f"from nst_course import bench as b; c,s=b.images({width}); "
            f"b.IMPLS[{impl!r}](c,s,{steps}); print(b.peak_rss_mb())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


#: the implementations timed: name -> function(content, style, steps) -> step times
IMPLS = {"plain": _plain, "ours": _ours, "ours_fp32": _ours_fp32}


#: ``time_allocator``'s arms: the C allocator as it is, kept while each run lasts (the package's
#: default in a notebook kernel) and kept for the whole process (``nst-course stylize``)
ALLOCATOR_ARMS = ("as is", "per run", "kept")


def _fresh_run(width: int, steps: int, arm: str) -> dict:
    """``steps`` steps of ours (+1 warm-up) in a fresh process, with the C allocator as it is
    (not even kept while the run lasts, :data:`~nst_course.allocator.KEEP_WHILE_RUNNING`), as
    the run keeps it (``"per run"``, the default) or set for the whole process by
    :func:`~nst_course.allocator.keep_freed_memory` (``"kept"``): whether the settings took,
    median s/step, page faults a step (minor: fresh pages), peak MB."""
    if arm not in ALLOCATOR_ARMS:
        raise ValueError(f"arm must be one of {', '.join(ALLOCATOR_ARMS)}, not {arm!r}")
    code = ("import json, resource; from nst_course import allocator; "
            f"allocator.KEEP_WHILE_RUNNING = {arm == 'per run'}; "
            f"kept = allocator.keep_freed_memory() if {arm == 'kept'} else "
            f"allocator._libc() is not None if {arm == 'per run'} else None; "
            f"from nst_course.bench import timing as T; c, s = T.images({width}); "
            "f = resource.getrusage(resource.RUSAGE_SELF).ru_minflt; "
            f"t = T.IMPLS['ours'](c, s, {steps + 1}); "
            "f = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f; "
            "print(json.dumps({'kept': kept, 's_per_step': T._median(t), "
            f"'faults_per_step': f / {steps + 1}, 'peak_mb': T.peak_rss_mb()}}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _arm_ratios(runs: list[dict], key: str) -> dict:
    """``{arm: median over the rounds of arm's key / "as is"'s}`` for the arms that keep memory."""
    return {arm: _median([r[arm][key] / r["as is"][key] for r in runs]) for arm in ALLOCATOR_ARMS[1:]}


def time_allocator(sizes=(512,), steps: int = 8, rounds: int = 3, out=print) -> dict:
    """Ours with the C allocator as it is, as a run keeps it by default and as ``nst-course
    stylize`` sets it for its process (:data:`ALLOCATOR_ARMS`, :mod:`nst_course.allocator`),
    each run in a fresh process, the three interleaved ``rounds`` times per size: median
    s/step, page faults a step, peak MB, and for each arm the median of the rounds' ratios to
    "as is" (one ratio per round, so a slow minute of the machine counts once); each median
    step's fraction of the conv peak (:func:`conv_peak` of ``stylize``'s default precision in
    this process, before every round and after the last: the highest so far, since one
    measurement takes a few hundredths of a second and a busy moment of the machine can halve
    it)."""
    from ..config import get_dtype

    dtype = get_dtype("auto")
    peaks = [conv_peak(dtype=dtype)]
    out(f"torch {torch.__version__}, {torch.get_num_threads()} threads; conv peak: 3x3, "
        f"channels_last, {str(dtype)[6:]} (stylize's default precision here), before every round")
    out(f"{'size':>10} {'round':>5} {'allocator':>10} {'s/step':>7} {'faults/step':>12} "
        f"{'peak MB':>8} {'/ as is':>8}")
    rows, kept_arms = [], ALLOCATOR_ARMS[1:]
    for width in sizes:
        runs = []
        for r in range(rounds):
            if r:
                peaks.append(conv_peak(dtype=dtype))
            pair = {arm: _fresh_run(width, steps, arm) for arm in ALLOCATOR_ARMS}
            if not all(pair[arm]["kept"] for arm in kept_arms):
                raise RuntimeError("the allocator's settings did not take here (no glibc, or "
                                   "GLIBC_TUNABLES / MALLOC_* set): nothing to compare.")
            for name, m in pair.items():
                ratio = f"{m['s_per_step'] / pair['as is']['s_per_step']:.2f}" if name != "as is" else ""
                out(f"{width:>10} {r + 1:>5} {name:>10} {m['s_per_step']:7.3f} "
                    f"{m['faults_per_step']:12.0f} {m['peak_mb']:8.0f} {ratio:>8}")
            runs.append(pair)

        ratio, mem, faults = (_arm_ratios(runs, key) for key in ("s_per_step", "peak_mb", "faults_per_step"))
        peaks.append(conv_peak(dtype=dtype))
        peak, gf = max(peaks), step_gflop(round(width * ASPECT), width)
        share = {name: gf / _median([p[name]["s_per_step"] for p in runs]) / peak
                 for name in ALLOCATOR_ARMS}
        out(f"{width:>10}: / as is, median of {rounds} rounds: " + "; ".join(
            f"{arm}: s/step {ratio[arm]:.2f}, page faults {faults[arm]:.2f}, peak memory {mem[arm]:.2f}"
            for arm in kept_arms) + f"; conv peak {peak:.0f} GFLOP/s (measured {min(peaks):.0f}-"
            f"{peak:.0f}): the median step " + ", ".join(
                f"{name} {100 * share[name]:.0f} %" for name in ALLOCATOR_ARMS) + " of it")
        rows.append({"width": width, "runs": runs, "s_ratio": ratio, "faults_ratio": faults,
                     "peak_ratio": mem, "gflop": gf, "conv_peak_gflops": peak,
                     "conv_peak_share": share})
    return {"rows": rows, "steps": steps, "rounds": rounds, "date": time.strftime("%Y-%m-%d"),
            "processor": processor(), "torch": torch.__version__, "dtype": str(dtype)[6:],
            "conv_peaks_gflops": peaks}


def adain_gflop(height: int, width: int, style: bool = True) -> float:
    """Conv GFLOP of one :func:`~nst_course.adain.adain_stylize` at ``height`` x ``width``: the
    encoder to conv4_1 on the content (and on a style of the same size unless ``style=False``,
    i.e. its features cached) plus the decoder."""
    from ..adain import ENCODER_LAYER, build_decoder

    encoder = step_gflop(height, width, (ENCODER_LAYER,)) / 2  # forward only
    h, w, decoder = height // 8, width // 8, 0
    for m in build_decoder():
        if isinstance(m, nn.Upsample):
            h, w = 2 * h, 2 * w
        elif isinstance(m, nn.Conv2d):
            decoder += 2 * m.in_channels * m.out_channels * 9 * h * w
    return (2 if style else 1) * encoder + decoder / 1e9


def time_adain(size: int = 512, repeats: int = 3, precision: str = "auto") -> dict:
    """Median seconds of ``adain_stylize`` at ``size`` x ``size`` (astronaut x swirls, after a
    warm-up): a new style (its features computed) and the same style again (cached)."""
    from .. import adain as A
    from ..config import get_dtype
    from ..images import load_image

    content, style = (F.interpolate(load_image(n, size), size=(size, size), mode="bilinear",
                                    align_corners=False).clamp(0, 1) for n in ("astronaut", "swirls"))
    A.adain_stylize(content, style, precision=precision, device="cpu")  # warm-up
    first, cached = [], []
    for _ in range(repeats):
        A._STYLE_STATS.clear()
        first.append(A.adain_stylize(content, style, precision=precision, device="cpu").seconds)
        again = A.adain_stylize(content, style, precision=precision, device="cpu")
        assert again.style_cached
        cached.append(again.seconds)
    gf, gf_cached = adain_gflop(size, size), adain_gflop(size, size, style=False)
    sec, sec_cached = _median(first), _median(cached)
    return {"size": size, "dtype": str(get_dtype(precision, "cpu"))[6:], "seconds": sec, "gflop": gf,
            "gflops": gf / sec, "cached_seconds": sec_cached, "cached_gflop": gf_cached,
            "cached_gflops": gf_cached / sec_cached}


def run(sizes=(256, 512, 1024), steps: int = 3, rounds: int = 2, memory: bool = True, out=print,
        adain: int | None = 512):
    """Time ``steps`` steps (+1 warm-up) of each of :data:`IMPLS`, ``rounds`` times, interleaved;
    then AdaIN at ``adain`` x ``adain`` px (None: not)."""
    from ..config import get_dtype

    peaks = {torch.float32: conv_peak(), torch.bfloat16: conv_peak(dtype=torch.bfloat16)}
    ours_dtype = get_dtype("auto")
    dtypes = {"plain": torch.float32, "ours": ours_dtype, "ours_fp32": torch.float32}
    labels = {"plain": "plain", "ours": f"ours ({str(ours_dtype)[6:]})", "ours_fp32": "ours fp32"}
    out(f"torch {torch.__version__}, {torch.get_num_threads()} threads; conv peak (3x3, "
        f"channels_last): {peaks[torch.float32]:.0f} GFLOP/s float32, "
        f"{peaks[torch.bfloat16]:.0f} bfloat16; stylize's default precision here: "
        f"{str(ours_dtype)[6:]}")
    out(f"{'size':>10} {'impl':>16} {'s/step':>7} {'GFLOP/s':>8} {'% peak':>7} {'peak MB':>8} "
        f"{'/ plain':>8}")
    rows = []
    for width in sizes:
        content, style = images(width)
        h, w = content.shape[-2:]
        t = {impl: [] for impl in IMPLS}
        for _ in range(rounds):
            for impl, fn in IMPLS.items():
                t[impl] += fn(content, style, steps + 1)
        gf = step_gflop(h, w)
        row = {"width": w, "height": h, "gflop": gf}
        for impl in IMPLS:
            sec = _median(t[impl])
            mem = peak_memory_mb(impl, width) if memory else float("nan")
            row[impl] = {"s_per_step": sec, "gflops": gf / sec, "peak_mb": mem,
                         "dtype": str(dtypes[impl])[6:]}
            ratio = f"{sec / row['plain']['s_per_step']:.2f}" if impl != "plain" else ""
            out(f"{w:>5}x{h:<4} {labels[impl]:>16} {sec:7.3f} {gf / sec:8.0f} "
                f"{100 * gf / sec / peaks[dtypes[impl]]:6.0f}% {mem:8.0f} {ratio:>8}")
        rows.append(row)
    ada = None
    if adain:
        ada = time_adain(adain)
        out(f"AdaIN {adain}x{adain} ({ada['dtype']}): {ada['seconds']:.2f} s "
            f"({ada['gflop']:.0f} GFLOP, {ada['gflops']:.0f} GFLOP/s, "
            f"{100 * ada['gflops'] / peaks[getattr(torch, ada['dtype'])]:.0f} % of peak); same style "
            f"again (features cached): {ada['cached_seconds']:.2f} s ({ada['cached_gflops']:.0f} GFLOP/s)")
    return {"conv_peak_gflops": {str(k)[6:]: v for k, v in peaks.items()}, "rows": rows, "adain": ada,
            "date": time.strftime("%Y-%m-%d"), "processor": processor(), "torch": torch.__version__,
            "threads": torch.get_num_threads(), "steps": steps, "rounds": rounds}


#: the sweep's default pairs (content, style) and style weights (issue: 10 is the default,
#: ~4000 what other tutorials use in this convention)
