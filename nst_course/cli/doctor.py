"""``nst-course doctor``: weights, device and speed on this machine; exit status 1 if unusable."""

from __future__ import annotations


def add_parser(sub) -> None:
    sub.add_parser("doctor", help="check weights, device and speed on this machine").set_defaults(func=run)


def run(args) -> int:
    from ..doctor import diagnose

    text, ok = diagnose()
    print(text)
    return 0 if ok else 1  # weights that fail verification: a script sees it
