"""``nst-course bench``: its options are parsed by :func:`nst_course.bench.main` itself."""

from __future__ import annotations


def add_parser(sub) -> None:
    p = sub.add_parser("bench", add_help=False,
                       help="seconds per step vs a plain implementation (`nst-course bench --help`)")
    p.set_defaults(func=run, takes_rest=True)


def run(args) -> int:
    from .. import bench

    return bench.main(args.rest)
