"""The ``nst-course`` command (also ``python -m nst_course``).

    nst-course stylize CONTENT STYLE -o OUT [--size N] [--steps N] [--seed N] ...
    nst-course samples
    nst-course doctor
    nst-course bench [--sizes 256 512 1024] [--steps 3] ...

Bad input prints one line on stderr and exits with status 2; no traceback.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path


def _parser() -> argparse.ArgumentParser:
    from .optimize import DEFAULT_SIZE, DEFAULT_STEPS, DEFAULT_STYLE_WEIGHT

    p = argparse.ArgumentParser(prog="nst-course", description="Neural style transfer course tools.")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("stylize", help="paint CONTENT in the style of STYLE (Gatys et al.)")
    s.add_argument("content", help="path, http(s) URL or sample name (see `nst-course samples`)")
    s.add_argument("style", help="path, http(s) URL or sample name")
    s.add_argument("-o", "--output", required=True, help="where to write the result (.png/.jpg)")
    s.add_argument("--size", type=int, default=DEFAULT_SIZE, help="long side in pixels")
    s.add_argument("--steps", type=int, default=DEFAULT_STEPS)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--content-weight", type=float, default=1.0)
    s.add_argument("--style-weight", type=float, default=DEFAULT_STYLE_WEIGHT)
    s.add_argument("--tv-weight", type=float, default=0.0)
    s.add_argument("--init", choices=["content", "noise", "style"], default="content")
    s.add_argument("--optimizer", choices=["lbfgs", "adam"], default="lbfgs")
    s.add_argument("--weights", choices=["gatys", "torchvision", "random"], default="gatys")
    s.add_argument("--pooling", choices=["max", "avg"], default="max")
    s.add_argument("--device", default=None, help="cpu, cuda or mps (default: best available)")
    s.add_argument("--precision", choices=["auto", "float32", "bfloat16"], default="auto",
                   help="dtype of VGG19's convolutions (auto: bfloat16 where the CPU computes "
                        "it natively, ~2x faster)")
    s.add_argument("--force", action="store_true", help="overwrite OUTPUT if it exists")
    sub.add_parser("samples", help="list the sample images")
    sub.add_parser("doctor", help="check weights, device and speed on this machine")
    sub.add_parser("bench", help="seconds per step vs a plain implementation (`nst-course bench --help`)")
    return p


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["bench"]:  # its own options: nst_course.bench parses them
        from .bench import main as bench_main

        return bench_main(argv[1:])
    args = _parser().parse_args(argv)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.showwarning = _show_note
            return {"stylize": _stylize, "samples": _samples, "doctor": _doctor}[args.command](args)
    except KeyboardInterrupt:
        print("nst-course: interrupted.", file=sys.stderr)
        return 130
    except Exception as e:  # one clear line, never a traceback
        from .images import ImageError
        from .vgg import WeightsError

        msg = str(e) if isinstance(e, ImageError | WeightsError | FileExistsError | ValueError) \
            else f"{type(e).__name__}: {e}"
        print(f"nst-course: error: {msg}", file=sys.stderr)
        return 2


def _show_note(message, category, filename, lineno, file=None, line=None):
    print(f"nst-course: note: {message}", file=sys.stderr)


def _check_positive(name: str, value, minimum=1) -> None:
    if value < minimum:
        raise ValueError(f"--{name} must be at least {minimum}, got {value}.")


def _stylize(args) -> int:
    from .images import load_image, save_image
    from .optimize import stylize

    out = Path(args.output)
    if out.exists() and not args.force:
        raise FileExistsError(f"{out} exists already; choose another name or add --force.")
    if out.suffix.lower() not in (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff"):
        raise ValueError(f"{out}: unknown image type '{out.suffix}'; use .png or .jpg.")
    if out.parent and not out.parent.exists():
        raise ValueError(f"the folder {out.parent} does not exist; create it first.")
    _check_positive("size", args.size, 32)
    _check_positive("steps", args.steps)
    for name in ("content_weight", "style_weight", "tv_weight"):
        if getattr(args, name) < 0:
            raise ValueError(f"--{name.replace('_', '-')} must not be negative.")
    content = load_image(args.content, args.size)
    style = load_image(args.style, args.size)
    h, w = content.shape[-2:]
    print(f"Stylizing {args.content} ({w}x{h}) with {args.style}: {args.steps} steps", file=sys.stderr)
    result = stylize(content, style, steps=args.steps, content_weight=args.content_weight,
                     style_weight=args.style_weight, tv_weight=args.tv_weight, init=args.init,
                     optimizer=args.optimizer, weights=args.weights, pooling=args.pooling,
                     seed=args.seed, device=args.device, precision=args.precision,
                     progress=True)
    save_image(result.image, out, overwrite=True)
    print(f"Wrote {out} ({result.seconds:.1f} s, {result.stopped})", file=sys.stderr)
    return 0 if result.stopped in ("done", "interrupted") else 1


def _samples(args) -> int:
    from . import samples

    print("Photos (shipped with scikit-image):")
    for name, credit in samples.PHOTOS.items():
        print(f"  {name:16} {credit}")
    print("Styles (drawn by nst_course, offline):")
    for name, what in samples.GENERATED.items():
        print(f"  {name:16} {what}")
    print("Paintings (public domain, downloaded on first use):")
    for name, p in samples.PAINTINGS.items():
        print(f"  {name:16} {p.title}, {p.artist}, {p.year}")
    return 0


def _doctor(args) -> int:
    from .doctor import report

    print(report())
    return 0
