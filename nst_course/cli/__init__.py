"""The ``nst-course`` command (also ``python -m nst_course``), one module per command.

    nst-course stylize CONTENT STYLE -o OUT [--size N] [--steps N] [--seed N] ...
    nst-course samples
    nst-course doctor
    nst-course bench [--sizes 256 512 1024] [--steps 3] ...
    nst-course adain CONTENT STYLE -o OUT [--alpha A]
    nst-course lessons [DIR] [--student]      copy the lessons out of the installed package
    nst-course lab [DIR]                      ... and open lesson 00 in JupyterLab
    nst-course train STYLE[,STYLE2] -o NET.pt [--minutes 10] [--width 16] [--size 128]
    nst-course apply NET.pt PHOTO -o OUT [--mix 0.2,0.8]   a trained fast network (lesson 09)
    nst-course video IN OUT [--method temporal]  stylise a clip without flicker (lesson 10)
    nst-course export NET.pt|bundled -o NET.onnx  a trained network for the browser (the Try it page)
    nst-course serve [site] [--port 8000]        the built site on 127.0.0.1, with the .wasm headers

Each command module has ``add_parser(sub)``, which registers its subcommand(s) with
``set_defaults(func=run)``, and ``run(args) -> int``; :data:`COMMANDS` lists them. The
checks of the input live in :mod:`nst_course.validate`.

Bad input prints one line on stderr and exits with status 2; no traceback.
"""

from __future__ import annotations

import argparse
import sys
import warnings

from . import adain, bench, course, doctor, export, samples, serve, stylize, train, video
from .common import Parser, fail, show_note

#: the command modules, in the order ``--help`` lists them
COMMANDS = (stylize, samples, doctor, bench, adain, course, train, video, export, serve)


def build_parser() -> argparse.ArgumentParser:
    """The ``nst-course`` parser with every command of :data:`COMMANDS`."""
    from .. import __version__

    p = Parser(prog="nst-course", description="Neural style transfer course tools.")
    p.add_argument("--version", action="version", version=f"nst-course {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.add_parser(sub)
    return p


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    if rest and not getattr(args, "takes_rest", False):
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    args.rest = rest
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.showwarning = show_note
            return args.func(args)
    except KeyboardInterrupt:
        import signal

        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C: no traceback on the way out
        print("nst-course: interrupted.", file=sys.stderr)
        return 130
    except Exception as e:  # one clear line, never a traceback
        from ..files import OutputError
        from ..images import ImageError
        from ..weights import WeightsError

        msg = str(e) if isinstance(e, ImageError | WeightsError | FileExistsError | ValueError
                                   | OutputError) \
            else f"{type(e).__name__}: {e}"
        return fail(msg)
