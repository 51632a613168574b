"""The README's picture: every bundled painting on one photo, the paper's weighting against
``stylize``'s default (the style weight calibrated to each style), and each style's size.

    python tools/painting_grid.py -o docs/every_painting.png            # 256 px, 300 steps
    python tools/painting_grid.py -o /tmp/g.png --size 128 --steps 60 --generated

Prints one line per run (the style's size, its calibration factor, the final losses) and writes
an 8-bit palette PNG (``nst_course.gallery.save_small_png``). With ``--generated`` (nine styles)
the figure wraps after five tiles (``show_images``' column limit), so its rows no longer line up
by style: read the printed table then.
"""

from __future__ import annotations

import argparse
import sys
import time

from nst_course import gallery
from nst_course.objective import REFERENCE_STYLE_SIZE
from nst_course.optimize import DEFAULT_STEPS, DEFAULT_STYLE_WEIGHT
from nst_course.samples import GENERATED


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--content", default="chelsea")
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--steps", type=int, default=DEFAULT_STEPS)
    p.add_argument("--generated", action="store_true", help="also the generated styles")
    p.add_argument("--tile", type=float, default=1.9, help="inches per tile")
    args = p.parse_args(argv)
    styles = list(gallery.BUNDLED) + (list(GENERATED) if args.generated else [])
    sizes = gallery.style_sizes(styles, args.size)
    t0 = time.perf_counter()
    runs = gallery.every_painting(args.content, styles, size=args.size, steps=args.steps)
    for (cal, name), r in runs.items():
        factor = REFERENCE_STYLE_SIZE / sizes[name] if cal == "target" else 1.0
        first, last = r.history[0], r.final
        print(f"{cal:6s} {name:13s} size {sizes[name]:6.3g}  weight {DEFAULT_STYLE_WEIGHT:g} x {factor:5.2f}"
              f"  style {first.style_loss:.4g} -> {last.style_loss:.4g}  content {last.content_loss:.4g}")
    print(f"{len(runs)} runs in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    fig = gallery.painting_grid(runs, size=args.tile, sizes=sizes,
                                suptitle=f"{args.content}, {args.size} px, {args.steps} L-BFGS steps, "
                                         f"style weight {DEFAULT_STYLE_WEIGHT:g}")
    path = gallery.save_small_png(fig, args.output)
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KB)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
