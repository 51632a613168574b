"""What several commands share: the help format, comma-separated lists, notes on stderr."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path


class Help(argparse.ArgumentDefaultsHelpFormatter):
    """``--help`` shows each option's default, unless its help already says it or it is an on/off flag."""

    def _get_help_string(self, action):
        if "default" in (action.help or "") or action.nargs == 0 or action.required:
            return action.help
        return super()._get_help_string(action)


#: what starts every refusal on the command line, whichever command (``bench`` included) refuses
ERROR = "nst-course: error:"


def fail(message: str) -> int:
    """Print ``nst-course: error: MESSAGE`` on stderr; return the exit status of bad input, 2."""
    print(f"{ERROR} {message}", file=sys.stderr)
    return 2


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line with the CLI's one prefix (the usage is one
    ``--help`` away)."""

    def error(self, message):
        self.exit(2, f"{ERROR} {message} (see `{self.prog} --help`)\n")


def show_note(message, category, filename, lineno, file=None, line=None):
    print(f"nst-course: note: {message}", file=sys.stderr)


def split(text: str, flag: str) -> list[str]:
    """``"a.jpg,b.jpg"`` -> ``["a.jpg", "b.jpg"]`` (an existing file whose name holds a comma stays whole)."""
    try:
        if Path(text).exists():
            return [text]
    except OSError:  # e.g. a list of 50 names is too long to be one file name: it is a list
        pass
    items = [s.strip() for s in text.split(",")]
    if not all(items):
        raise ValueError(f"{flag} {text!r} has an empty item; separate the names by single commas.")
    return items


def numbers(text: str, flag: str, kind=float) -> list:
    """Comma-separated finite numbers of ``kind``."""
    try:
        values = [kind(v) for v in split(text, flag)]
    except ValueError:
        raise ValueError(f"{flag} takes comma-separated {'whole ' if kind is int else ''}numbers, "
                         f"not {text!r}.") from None
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"{flag} {text!r}: every number must be finite.")
    return values
