"""``nst-course export NET.pt -o NET.onnx``: a trained network as ONNX, for the browser page.

The file runs in onnxruntime (Python) and onnxruntime-web (the site's "Try it" page); its
inputs are described in :mod:`nst_course.export`.
"""

from __future__ import annotations

import sys


def add_parser(sub) -> None:
    e = sub.add_parser("export", help="write a network from `nst-course train` as ONNX (for the "
                                      "site's Try it page and onnxruntime)")
    e.add_argument("net", help="a .pt file written by `nst-course train`; `bundled` for the one "
                               "shipped with the course")
    e.add_argument("-o", "--output", required=True, help="where to write the .onnx file")
    e.add_argument("--force", action="store_true", help="overwrite OUTPUT if it exists")
    e.set_defaults(func=run)


def run(args) -> int:
    import os

    from ..export import export_file
    from ..feedforward import BUNDLED_NET

    net = BUNDLED_NET if args.net == "bundled" else args.net
    out = export_file(net, args.output, overwrite=args.force)
    from ..export import onnx_styles

    print(f"Wrote {out} ({os.path.getsize(out) / 1e6:.2f} MB; styles {', '.join(onnx_styles(out))}; "
          "inputs photo (1,3,H,W) with H, W multiples of 4, and style (1,S))", file=sys.stderr)
    return 0
