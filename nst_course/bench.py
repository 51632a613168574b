"""How fast is one Gatys step here? ``nst-course bench`` (also ``python -m nst_course.bench``).

For each size it times a step of :func:`~nst_course.stylize` (as it runs by
default: ``precision="auto"``, and again with ``precision="float32"``) and, in
the same run and interleaved with them (plain, ours, ours fp32, plain, ...), a
step of a *plain* tutorial-style implementation: NCHW float32, VGG19 cut after
the last loss layer, targets precomputed, L-BFGS. All use the same weights,
layers (conv4_2 / conv1_1...conv5_1) and losses. It prints seconds per step
(median), effective GFLOP/s (conv FLOPs of the forward pass plus the backward
pass to the input), the machine's conv peak (one 3x3 conv, channels_last, in
float32 and bfloat16) and the peak memory of each (a fresh process per
measurement), then AdaIN at 512x512 (a new style and the same style again, with
GFLOP/s). ``--markdown`` prints the README's table (date, processor, threads and torch
in its caption), ``--update-readme README.md`` writes it between the README's markers;
``--sweep`` runs :func:`time_to_quality_sweep` instead. Not a test: numbers depend on the
machine and on whatever else runs on it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

from .config import CONTENT_LAYERS, STYLE_LAYERS
from .vgg import BLOCKS, LAYERS, load_vgg

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


class PlainNST:
    """The plain reference: what a tutorial writes (nn.Sequential, NCHW, L-BFGS)."""

    def __init__(self, content, style, style_weight: float = 10.0):
        vgg = load_vgg()
        last = max(LAYERS.index(n) for n in CONTENT_LAYERS + STYLE_LAYERS)
        mods, i = [nn.Conv2d(3, 3, 1)], 0
        mods[0].load_state_dict(vgg.preprocess.state_dict())
        self.names = {}
        for name in LAYERS[: last + 1]:
            if name.startswith("pool"):
                mods.append(nn.MaxPool2d(2))
            else:
                conv = nn.Conv2d(vgg.convs[i].in_channels, vgg.convs[i].out_channels, 3, padding=1)
                conv.load_state_dict({k: v.contiguous() for k, v in vgg.convs[i].state_dict().items()})
                mods += [conv, nn.ReLU()]
                i += 1
            self.names[len(mods) - 1] = name
        self.net = nn.Sequential(*mods).requires_grad_(False)
        self.style_weight = style_weight
        with torch.no_grad():
            self.p = self.features(content)["conv4_2"]
            self.a = {n: self.gram(f) for n, f in self.features(style).items() if n in STYLE_LAYERS}
        self.x = content.clone().requires_grad_(True)
        self.opt = torch.optim.LBFGS([self.x], max_iter=1, history_size=50,
                                     tolerance_grad=-1, tolerance_change=-1)

    def features(self, x):
        out = {}
        for k, m in enumerate(self.net):
            x = m(x)
            if k in self.names and self.names[k] in CONTENT_LAYERS + STYLE_LAYERS:
                out[self.names[k]] = x
        return out

    @staticmethod
    def gram(f):
        n, c, h, w = f.shape
        f = f.view(c, h * w)
        return f @ f.t() / (c * h * w)

    def loss(self):
        feats = self.features(self.x)
        content = F.mse_loss(feats["conv4_2"], self.p)
        style = sum(0.25 * (self.gram(feats[n]) - self.a[n]).pow(2).sum() for n in STYLE_LAYERS) / 5
        return content + self.style_weight * style, content, style

    def step(self):
        def closure():
            self.opt.zero_grad()
            total = self.loss()[0]
            total.backward()
            return total
        self.opt.step(closure)
        with torch.no_grad():
            self.x.clamp_(0, 1)


def images(width: int):
    """Content (chelsea) and style (swirls) at ``width`` x ``width*3/4``."""
    from .images import load_image

    size = (round(width * ASPECT), width)
    return tuple(F.interpolate(load_image(name, width), size=size, mode="bilinear",
                               align_corners=False).clamp(0, 1) for name in ("chelsea", "swirls"))


def _ours(content, style, steps: int, precision: str = "auto"):
    from .optimize import stylize

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


def adain_gflop(height: int, width: int, style: bool = True) -> float:
    """Conv GFLOP of one :func:`~nst_course.adain.adain_stylize` at ``height`` x ``width``: the
    encoder to conv4_1 on the content (and on a style of the same size unless ``style=False``,
    i.e. its features cached) plus the decoder."""
    from .adain import ENCODER_LAYER, build_decoder

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
    from . import adain as A
    from .config import get_dtype
    from .images import load_image

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
    from .config import get_dtype

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
SWEEP_PAIRS = (("astronaut", "swirls"), ("chelsea", "waves"))
SWEEP_WEIGHTS = (10.0, 100.0, 1000.0, 4000.0)


def full_size_steps(stages, long_side: int, upto: int | None = None) -> float:
    """Cost of the first ``upto`` steps (default all) of ``stages`` ``[(long side, steps), ...]``
    in full-size steps: ``sum(steps * (stage size / full size)^2)``. Unlike seconds, it does not
    depend on what else runs on the machine."""
    done, cost = 0, 0.0
    for side, n in stages:
        n = n if upto is None else max(0, min(n, upto - done))
        cost += n * (side / long_side) ** 2
        done += n
    return cost


def time_to_quality_sweep(pairs=SWEEP_PAIRS, style_weights=SWEEP_WEIGHTS, size: int = 512,
                          steps: int = 300, schedule="coarse-to-fine", weights: str = "gatys",
                          out=print) -> list[dict]:
    """For each ``(content, style)`` pair and style weight: ``stylize`` single-scale and with
    ``schedule`` (default ``"coarse-to-fine"``), ``steps`` steps each.

    Both final images are measured with the same objective (same weights and layers) in float32
    at full size. Reports when the ``schedule`` run first reaches the single-scale run's final
    content *and* style loss: its step, seconds (float32 checks taken out of its clock), % of the
    single-scale time and the cost in full-size steps (:func:`full_size_steps`, independent of
    machine load). Checked at every step of its full-size stage (a coarse image would have to be
    upsampled first). The goal: reached in <= 35 % of the single-scale time; where it is not,
    ``schedule="auto"`` must run single-scale (the table's last column says what it does).
    Prints a markdown table (:func:`sweep_lines`) row by row; returns one dict per run pair.
    3-7 minutes per row on a quiet 2-core CPU at 512 px / 300 steps, 50 min for the default
    8 rows (``nst-course bench --sweep``).
    """
    from .images import load_image

    exact_vgg = load_vgg(weights, precision="float32")
    for line in sweep_lines([], size, steps, schedule):  # the title and the table's header
        out(line)
    rows = []
    for content_src, style_src in pairs:
        content = load_image(content_src, size)
        long = max(content.shape[-2:])
        style = load_image(style_src, long)
        for w in style_weights:
            row = _quality_pair(content, style, w, steps, schedule, weights, exact_vgg)
            row.update(content=content_src if isinstance(content_src, str) else "tensor",
                       style=style_src if isinstance(style_src, str) else "tensor")
            rows.append(row)
            out(sweep_lines([row], size, steps, schedule)[-1])
    return rows


def sweep_lines(rows: list[dict], size: int, steps: int, schedule: str = "coarse-to-fine",
                ) -> list[str]:
    """The sweep's markdown: a title line, the table's header, one line per row of
    :func:`time_to_quality_sweep` (or its JSON). The last column is what ``schedule="auto"``
    does at that size with the code as it is now (:func:`~nst_course.stages.schedule_sizes`)."""
    from .stages import schedule_sizes

    lines = [f"time to quality at {size} px, {steps} steps, schedule {schedule!r} vs 'single' "
             "(losses measured in float32 at full size)",
             "| content × style | style weight | single: s | content | style | "
             f"{schedule}: s | content | style | reached single's losses | % of single's time | "
             "full-size steps to reach | `auto` runs |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        reached = (f"step {row['reached_step']}, {row['reached_seconds']:.1f} s | "
                   f"{100 * row['reached_fraction']:.0f} % | "
                   f"{row['reached_full_size_steps']:.0f} of {row['full_size_steps']:.0f}"
                   if row["reached_step"] else f"never | – | – of {row['full_size_steps']:.0f}")
        auto = "single" if len(schedule_sizes("auto", size, steps)) == 1 else "coarse-to-fine"
        lines.append(f"| {row['content']} × {row['style']} | {row['style_weight']:g} | "
                     f"{row['single_seconds']:.1f} | {row['single_content']:.4g} | "
                     f"{row['single_style']:.4g} | {row['seconds']:.1f} | {row['content_loss']:.4g} | "
                     f"{row['style_loss']:.4g} | {reached} | {auto} |")
    return lines


def _quality_pair(content, style, w, steps, schedule, weights, exact_vgg) -> dict:
    """One line of :func:`time_to_quality_sweep`: single-scale, then ``schedule``, same weight."""
    from .objective import Objective
    from .optimize import stylize
    from .stages import schedule_sizes

    exact = Objective(exact_vgg, content, style, style_weight=w)

    def float32_losses(img):
        with torch.no_grad():
            _, parts = exact(img)
        return parts["content"].item(), parts["style"].item()

    kw = dict(steps=steps, style_weight=w, weights=weights, progress=False)
    single = stylize(content, style, schedule="single", **kw)
    c_ref, s_ref = float32_losses(single.image)
    hit, checking = {}, {"seconds": 0.0}

    def cb(rec, img):
        near = rec.content_loss <= 1.02 * c_ref and rec.style_loss <= 1.02 * s_ref
        if not hit and img.shape[-2:] == content.shape[-2:] and near:
            t = time.perf_counter()
            c, s = float32_losses(img)
            if c <= c_ref and s <= s_ref:
                hit.update(step=rec.step, seconds=rec.seconds - checking["seconds"])
            checking["seconds"] += time.perf_counter() - t
    ours = stylize(content, style, schedule=schedule, callback=cb, callback_every=1, **kw)
    c_end, s_end = float32_losses(ours.image)
    long = max(content.shape[-2:])
    stages = schedule_sizes(schedule, long, steps)
    return {"style_weight": w, "single_seconds": single.seconds, "single_content": c_ref,
            "single_style": s_ref, "seconds": ours.seconds - checking["seconds"], "content_loss": c_end,
            "style_loss": s_end, "stages": stages, "full_size_steps": full_size_steps(stages, long),
            "reached_step": hit.get("step"), "reached_seconds": hit.get("seconds"),
            "reached_fraction": hit["seconds"] / single.seconds if hit else None,
            "reached_full_size_steps": full_size_steps(stages, long, hit["step"]) if hit else None,
            "images": (single.image, ours.image)}


def processor() -> str:
    """The CPU's name (``model name`` in ``/proc/cpuinfo``) and what torch's speed depends on:
    the vector instructions torch dispatches to and whether bfloat16 is native."""
    import platform

    name, flags = "", set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() == "model name" and not name:
                    name = value.strip()
                elif key.strip() == "flags" and not flags:
                    flags = set(value.split())
    except OSError:  # not Linux
        pass
    name = name or platform.processor() or platform.machine() or "unknown CPU"
    bf16 = [f for f in ("avx512_bf16", "amx_bf16") if f in flags]
    caps = [torch.backends.cpu.get_cpu_capability()] + (bf16 or ["no native bfloat16"])
    return f"{name} ({', '.join(caps)}), {os.cpu_count()} cores"


#: the columns of the README's performance table (``--markdown``)
TABLE_HEADER = ("size", "impl", "s/step", "GFLOP/s", "% of conv peak", "peak memory", "/ plain")
#: marker comments around generated tables in README.md
MARKERS = {"bench": ("<!-- bench:begin -->", "<!-- bench:end -->"),
           "sweep": ("<!-- sweep:begin -->", "<!-- sweep:end -->"),
           "lessons": ("<!-- lessons:begin -->", "<!-- lessons:end -->")}
_CAPTION = re.compile(r"Measured (\d{4}-\d{2}-\d{2}) on (.+?), (\d+) threads?, torch (\S+?):")


def markdown(res: dict, command: str = "nst-course bench") -> str:
    """The README's performance table from :func:`run`'s result: a caption line naming the
    date, processor, threads and torch version, then one row per size and implementation."""
    peaks = res["conv_peak_gflops"]
    lines = [f"Measured {res['date']} on {res['processor']}, {res['threads']} threads, "
             f"torch {res['torch']}: `{command}` (1 warm-up + {res['steps']} timed steps, "
             f"{res['rounds']} rounds interleaved; conv peak measured in the same run: "
             f"{peaks['float32']:.0f} GFLOP/s float32, {peaks['bfloat16']:.0f} bfloat16; % of peak "
             "is against the peak of the precision used).", "",
             "| " + " | ".join(TABLE_HEADER) + " |", "|" + "---|" * len(TABLE_HEADER)]
    names = {"plain": lambda d: "plain", "ours": lambda d: f"`stylize` ({d})",
             "ours_fp32": lambda d: "`stylize` float32"}
    for row in res["rows"]:
        plain = row["plain"]["s_per_step"]
        for impl, label in names.items():
            r = row[impl]
            mem = "–" if r["peak_mb"] != r["peak_mb"] else f"{r['peak_mb']:.0f} MB"  # NaN: not measured
            ratio = "" if impl == "plain" else f"{r['s_per_step'] / plain:.2f}"
            lines.append(f"| {row['width']}×{row['height']} | {label(r['dtype'])} | {r['s_per_step']:.3f} | "
                         f"{r['gflops']:.0f} | {100 * r['gflops'] / peaks[r['dtype']]:.0f} % | {mem} | "
                         f"{'**' + ratio + '**' if impl == 'ours' else ratio} |")
    if res.get("adain"):
        a = res["adain"]
        lines += ["", f"AdaIN (`adain_stylize`, {a['dtype']}) at {a['size']}×{a['size']}: "
                  f"{a['seconds']:.2f} s ({a['gflop']:.0f} GFLOP, {a['gflops']:.0f} GFLOP/s, "
                  f"{100 * a['gflops'] / peaks[a['dtype']]:.0f} % of conv peak); the same style again "
                  f"(its features cached): {a['cached_seconds']:.2f} s ({a['cached_gflop']:.0f} GFLOP, "
                  f"{a['cached_gflops']:.0f} GFLOP/s)."]
    return "\n".join(lines)


def parse_markdown(text: str) -> dict:
    """Read back a :func:`markdown` table: ``{"date", "machine", "threads", "torch", "rows"}``
    (rows: dicts keyed by :data:`TABLE_HEADER`). ValueError when it is not one."""
    m = _CAPTION.search(text)
    if not m:
        raise ValueError("no caption 'Measured YYYY-MM-DD on <machine>, N threads, torch X:' found")
    table = [line.strip() for line in text.splitlines() if line.strip().startswith("|")]
    if len(table) < 3:
        raise ValueError("no markdown table found")
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in table]
    if tuple(cells[0]) != TABLE_HEADER or set("".join(cells[1])) != {"-"}:
        raise ValueError(f"table header is {cells[0]}, not {list(TABLE_HEADER)}")
    rows = []
    for c in cells[2:]:
        if len(c) != len(TABLE_HEADER):
            raise ValueError(f"row {c} has {len(c)} cells, not {len(TABLE_HEADER)}")
        row = dict(zip(TABLE_HEADER, c))
        float(row["s/step"]), float(row["GFLOP/s"]), float(row["% of conv peak"].rstrip(" %"))
        rows.append(row)
    return {"date": m.group(1), "machine": m.group(2), "threads": int(m.group(3)),
            "torch": m.group(4), "rows": rows}


def between_markers(text: str, kind: str = "bench") -> str:
    """The part of ``text`` between the :data:`MARKERS` of ``kind`` (ValueError if absent)."""
    begin, end = MARKERS[kind]
    i, j = text.find(begin), text.find(end)
    if i < 0 or j < i:
        raise ValueError(f"no {begin} ... {end} markers found")
    return text[i + len(begin): j]


def update_readme(path, generated: str, kind: str = "bench") -> None:
    """Replace what is between ``kind``'s :data:`MARKERS` in the file ``path`` by ``generated``
    (atomically: the file is either the old or the new one)."""
    from pathlib import Path

    from .files import write_atomic

    text = Path(path).read_text(encoding="utf-8")
    old = between_markers(text, kind)
    begin = MARKERS[kind][0]
    new = text.replace(begin + old, begin + "\n" + generated.strip("\n") + "\n", 1)
    write_atomic(path, lambda tmp: tmp.write_text(new, encoding="utf-8"), overwrite=True)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="nst-course bench", description=__doc__.split("\n")[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[256, 512, 1024], help="image widths")
    p.add_argument("--steps", type=int, default=3, help="timed steps per run (after 1 warm-up)")
    p.add_argument("--rounds", type=int, default=2, help="runs of each implementation, interleaved")
    p.add_argument("--no-memory", action="store_true", help="skip the peak-memory processes")
    p.add_argument("--json", help="also write the numbers to this file")
    p.add_argument("--markdown", action="store_true", help="also print the README's table (markdown)")
    p.add_argument("--update-readme", metavar="README", help="write that table into this file, between "
                   "<!-- bench:begin --> and <!-- bench:end -->")
    p.add_argument("--from-json", metavar="FILE", help="no measuring: the numbers of an earlier --json "
                   "(with --sweep: of an earlier --sweep --json)")
    p.add_argument("--sweep", action="store_true", help="instead: time to quality, single-scale vs "
                   "coarse-to-fine, for each sample pair and style weight (~1 h at 512 px; "
                   "--update-readme writes it between <!-- sweep:begin --> and <!-- sweep:end -->)")
    p.add_argument("--sweep-size", type=int, default=512, help="the sweep's image long side")
    p.add_argument("--sweep-steps", type=int, default=300, help="the sweep's steps per run")
    p.add_argument("--sweep-weights", type=float, nargs="+", default=list(SWEEP_WEIGHTS),
                   help="the sweep's style weights")
    a = p.parse_args(argv)
    try:
        _check_args(a)
        if a.update_readme:  # its markers are there before minutes of measuring
            between_markers(open(a.update_readme, encoding="utf-8").read(), "sweep" if a.sweep else "bench")
    except (ValueError, OSError) as e:  # refused before the benchmark, in one line
        print(f"nst-course bench: error: {e}", file=sys.stderr)
        return 2
    if a.sweep:
        return _main_sweep(a)
    if a.from_json:
        from pathlib import Path

        res = json.loads(Path(a.from_json).read_text())
    else:
        res = run(a.sizes, a.steps, a.rounds, not a.no_memory)
    if a.markdown or a.update_readme:
        table = markdown(res, res.get("command") or "nst-course bench --sizes " + " ".join(map(str, a.sizes)))
        if a.markdown:
            print(table)
        if a.update_readme:
            update_readme(a.update_readme, table)
    if a.json:
        res["command"] = "nst-course bench --sizes " + " ".join(map(str, a.sizes))
        from .files import write_atomic

        write_atomic(a.json, lambda tmp: tmp.write_text(json.dumps(res, indent=1)), overwrite=True)
    return 0


def _main_sweep(a) -> int:
    """``nst-course bench --sweep``: :func:`time_to_quality_sweep`, its table, README and JSON;
    with ``--from-json`` the table of an earlier ``--sweep --json`` (measured columns from the
    file, the ``auto`` column from the code as it is now)."""
    if a.from_json:
        from pathlib import Path

        res = json.loads(Path(a.from_json).read_text())
        size, steps, rows, caption = res["size"], res["steps"], res["rows"], res["caption"]
        lines = sweep_lines(rows, size, steps)
        print("\n".join(lines))
    else:
        lines = []

        def out(line):
            print(line, flush=True)
            lines.append(line)

        command = (f"nst-course bench --sweep --sweep-size {a.sweep_size} --sweep-steps "
                   f"{a.sweep_steps} --sweep-weights " + " ".join(f"{w:g}" for w in a.sweep_weights))
        rows = time_to_quality_sweep(SWEEP_PAIRS, a.sweep_weights, a.sweep_size, a.sweep_steps, out=out)
        caption = (f"Measured {time.strftime('%Y-%m-%d')} on {processor()}, {torch.get_num_threads()} "
                   f"threads, torch {torch.__version__}: `{command}` ({lines[0]}).")
        rows = [{k: v for k, v in r.items() if k != "images"} for r in rows]
    if a.update_readme:
        update_readme(a.update_readme, "\n".join([caption, ""] + lines[1:]), "sweep")
    if a.json and not a.from_json:
        from .files import write_atomic

        res = {"caption": caption, "size": a.sweep_size, "steps": a.sweep_steps, "rows": rows}
        write_atomic(a.json, lambda tmp: tmp.write_text(json.dumps(res, indent=1)), overwrite=True)
    return 0


def _check_args(a) -> None:
    """Sizes, steps, rounds and the JSON path, checked before minutes of benchmarking."""
    import math

    from . import budget
    from .files import check_writable
    from .images import MIN_SIDE

    smallest = math.ceil(MIN_SIDE / ASPECT)  # the height, 3/4 of the width, needs MIN_SIDE px
    for width in a.sizes:
        if width < smallest:
            raise ValueError(f"--sizes must be at least {smallest} (the height is 3/4 of it and "
                             f"VGG19 needs {MIN_SIDE} px), got {width}.")
        budget.check_memory(round(width * ASPECT), width, flag="--sizes")
    for flag in ("steps", "rounds"):
        if getattr(a, flag) < 1:
            raise ValueError(f"--{flag} must be at least 1, got {getattr(a, flag)}.")
    if a.json:
        check_writable(a.json, force=True)


if __name__ == "__main__":
    sys.exit(main())
