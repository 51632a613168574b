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

#: the command modules, in the order ``--help`` lists them, and the subcommands each registers
COMMANDS = {stylize: ("stylize",), samples: ("samples",), doctor: ("doctor",), bench: ("bench",),
            adain: ("adain",), course: ("lessons", "lab"), train: ("train", "apply"),
            video: ("video",), export: ("export",), serve: ("serve",)}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The ``nst-course`` parser with every command of :data:`COMMANDS`.

    ``command``: the one being run (:func:`wanted_command`). Only its module then adds its
    options; the others are registered by name, which is enough to parse and for argparse to
    list the commands when one is mistyped. Some modules read their defaults from modules
    that import PyTorch (``train``, ``video``), so a refused ``stylize`` answers without
    loading it (about 2 s). None (``nst-course --help``): every command with its options.
    """
    from .. import __version__

    p = Parser(prog="nst-course", description="Neural style transfer course tools.")
    p.add_argument("--version", action="version", version=f"nst-course {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    for module, names in COMMANDS.items():
        if command is None or command in names:
            module.add_parser(sub)
        else:
            for name in names:
                sub.add_parser(name)
    return p


def wanted_command(argv: list[str]) -> str | None:
    """The subcommand ``argv`` runs: its first word that is not an option (the top-level
    options, ``--help`` and ``--version``, take no value); None if there is none."""
    return next((word for word in argv if not word.startswith("-")), None)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(wanted_command(argv))
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
        from ..weights import WeightsError

        # images.ImageError is a ValueError (and images imports PyTorch: not for a refusal)
        msg = str(e) if isinstance(e, WeightsError | FileExistsError | ValueError | OutputError) \
            else f"{type(e).__name__}: {e}"
        return fail(msg)
