"""``nst-course adain``: stylize in one forward pass (AdaIN, Huang & Belongie 2017)."""

from __future__ import annotations

import sys

from .. import validate
from .common import Help, numbers, split


def add_parser(sub) -> None:
    fmt = Help
    a = sub.add_parser("adain", formatter_class=fmt,
                       help="stylize in one forward pass (AdaIN, Huang & Belongie 2017): seconds, "
                            "not minutes")
    a.add_argument("content", help="path, http(s) URL or sample name")
    a.add_argument("style", help="path, URL or sample name; several separated by commas are mixed")
    a.add_argument("-o", "--output", required=True, help="where to write the result (.png/.jpg)")
    a.add_argument("--alpha", type=float, default=1.0,
                   help="style strength: 0 = the content as the decoder redraws it, 1 = full style")
    a.add_argument("--size", type=int, default=512, help="long side of the content in pixels "
                                                          "(cropped to a multiple of 8)")
    a.add_argument("--style-size", type=int, default=None,
                   help="long side of the style image(s) (default: the content's)")
    a.add_argument("--style-blend-weights", default=None,
                   help="comma-separated weights for several styles (default: equal)")
    a.add_argument("--device", default=None, help="cpu, cuda or mps (default: best available)")
    a.add_argument("--force", action="store_true", help="overwrite OUTPUT if it exists")
    a.set_defaults(func=run)


def run(args) -> int:
    from ..adain import adain_stylize
    from ..files import check_writable
    from ..images import save_image

    validate.in_range("--alpha", args.alpha, 0.0, 1.0)
    validate.image_side("--size", args.size)
    if args.style_size is not None:
        validate.image_side("--style-size", args.style_size)
    out = validate.image_output(args.output)
    from .. import budget

    for flag, side in (("--size", args.size), ("--style-size", args.style_size or args.size)):
        budget.check_memory(side, side, args.device, flag, budget.estimate_forward_bytes)
    check_writable(out, args.force)
    styles = split(args.style, "STYLE")
    blend = None
    if args.style_blend_weights is not None:
        blend = validate.blend_weights(numbers(args.style_blend_weights, "--style-blend-weights"),
                                       len(styles), "--style-blend-weights")
    result = adain_stylize(args.content, styles if len(styles) > 1 else styles[0], args.alpha,
                           size=args.size, style_size=args.style_size, style_blend=blend,
                           device=args.device)
    from functools import partial

    from ..files import save_or_fallback

    out, problem = save_or_fallback(partial(save_image, result.image), out, overwrite=args.force)
    if problem:  # a full disk: the picture went to a free name, said here
        print(f"nst-course: note: {problem}", file=sys.stderr)
    h, w = result.image.shape[-2:]
    print(f"Wrote {out} ({w}x{h}, alpha {args.alpha:g}, {result.seconds:.2f} s)", file=sys.stderr)
    return 0
