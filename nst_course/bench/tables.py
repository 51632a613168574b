"""The README's tables: written by ``nst-course bench --markdown/--update-readme``, read back by
``tools/`` (between markers)."""

from __future__ import annotations

import os
import re


def processor() -> str:
    """The CPU's name (``model name`` in ``/proc/cpuinfo``) and what torch's speed depends on:
    the vector instructions torch dispatches to and whether bfloat16 is native."""
    import platform

    import torch

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

    from ..files import write_atomic

    text = Path(path).read_text(encoding="utf-8")
    old = between_markers(text, kind)
    begin = MARKERS[kind][0]
    new = text.replace(begin + old, begin + "\n" + generated.strip("\n") + "\n", 1)
    write_atomic(path, lambda tmp: tmp.write_text(new, encoding="utf-8"), overwrite=True)
