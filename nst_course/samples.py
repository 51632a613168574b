"""The sample catalog: what exists, where it comes from, its licence and hash.

* Photos: the public-domain / CC0 photos that scikit-image ships
  (``skimage.data.<name>()``; no download).
* Generated styles: painterly images this package draws itself, deterministically
  (:mod:`nst_course.styles`: ``swirls``, ``mosaic``, ``waves``, ``composition``),
  so the course runs offline.
* Paintings: famous public-domain paintings. Five are bundled with the package
  (``nst_course/paintings/*.jpg``, long side 512 px, works offline and from the
  wheel; ``Painting.file``), their sha256 recorded and checked when opened. The
  others are downloaded on first use into the cache (``NST_COURSE_CACHE`` or the
  OS cache folder); a download is verified before it is cached: it must decode as
  an image, and match its sha256 where one is recorded (None: decoding only).

This module only lists; :func:`nst_course.load_image` opens and downloads
(``load_image("starry_night", 256)``).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Painting:
    """A public-domain painting: bundled (``file``) or fetched on demand (``url``)."""

    title: str
    artist: str
    year: str
    #: where it is downloaded from on first use; None for a bundled painting
    url: str | None = None
    licence: str = "public domain"
    #: of the bundled file, or of the download (None: not recorded yet; the download
    #: is then verified by decoding it as an image only)
    sha256: str | None = None
    #: file name inside ``nst_course/paintings/`` for a bundled painting, else None
    file: str | None = None
    #: where the bundled copy came from
    source: str = ""

    @property
    def bundled(self) -> bool:
        """True if the painting ships with the package (no network needed)."""
        return self.file is not None

    def __repr__(self) -> str:
        return f"Painting({self.title!r}, {self.artist}, {self.year})"


PHOTOS = {
    "astronaut": "Eileen Collins, NASA (public domain), via scikit-image",
    "chelsea": "Chelsea the cat, Stefan van der Walt (CC0), via scikit-image",
    "coffee": "A cup of coffee, Rachel Michetti (CC0), via scikit-image",
    "rocket": "Falcon 9 launch, SpaceX (CC0), via scikit-image",
}

GENERATED = {
    "swirls": "swirling brush strokes in blues and yellows (after Van Gogh)",
    "mosaic": "irregular coloured tiles with dark grout",
    "waves": "woodcut waves with foam on paper (after Hokusai)",
    "composition": "bold circles, bars and triangles (after Kandinsky)",
}

_WIKI = "https://upload.wikimedia.org/wikipedia/commons/"
_NEURAL_STYLE = "jcjohnson/neural-style examples/inputs/starry_night.jpg (1024x640)"
_FAST_STYLE = "lengstrom/fast-style-transfer examples/style/"
#: Bundled copies: downsized to a long side of 512 px (JPEG quality 90) from the style images
#: that two MIT-licensed style-transfer repositories distribute (udnie unchanged, 512x512):
#: name -> (title, artist, year, where the copy came from); the file is ``paintings/<name>.jpg``
_BUNDLED = {
    "starry_night": ("The Starry Night", "Vincent van Gogh", "1889", _NEURAL_STYLE),
    "the_scream": ("The Scream", "Edvard Munch", "1893", _FAST_STYLE + "the_scream.jpg (512x652)"),
    "shipwreck": ("The Shipwreck of the Minotaur", "J. M. W. Turner", "c. 1810",
                  _FAST_STYLE + "the_shipwreck_of_the_minotaur.jpg (1000x690)"),
    "udnie": ("Udnie (Young American Girl, The Dance)", "Francis Picabia", "1913",
              _FAST_STYLE + "udnie.jpg (512x512)"),
    "great_wave": ("The Great Wave off Kanagawa", "Katsushika Hokusai", "c. 1831",
                   _FAST_STYLE + "the_great_wave.jpg (928x514)"),
}
#: sha256 of each shipped file (checked on load)
_BUNDLED_SHA256 = {
    "starry_night": "ae00bedef7a1e2ca62d25a6388f8216be7468979fb3539a8a8c1181d95b17ba1",
    "the_scream": "66d147271201f77d684ecaef074a6d889894abbe0a38b0a362c28df9c0f25d92",
    "shipwreck": "a88390f446e728f102d40fd4d694aa39b192a18745031a684c599e9adbef1c23",
    "udnie": "45e510d2a53b4167a22bae12a191eea3018f82d74a2fa17b1573adc1e9dfc7f6",
    "great_wave": "8b906db248c2307b26469cbb038766354727c85fc73d3a2a3098333bedccf789",
}
PAINTINGS = {
    **{name: Painting(title, artist, year, file=f"{name}.jpg", sha256=_BUNDLED_SHA256[name], source=source)
       for name, (title, artist, year, source) in _BUNDLED.items()},
    "composition_vii": Painting(
        "Composition VII", "Wassily Kandinsky", "1913",
        _WIKI + "thumb/b/b4/Vassily_Kandinsky%2C_1913_-_Composition_7.jpg/"
        "1024px-Vassily_Kandinsky%2C_1913_-_Composition_7.jpg"),
}


def painting_path(name: str) -> Path:
    """Path of the bundled painting ``name`` inside the package (also in an installed wheel)."""
    file = PAINTINGS[name].file
    if file is None:
        raise KeyError(f"{name} is not bundled; it is downloaded on first use")
    return Path(__file__).with_name("paintings") / file


def names() -> dict[str, list[str]]:
    """All sample names by kind: ``{"photos": [...], "styles": [...], "paintings": [...]}``."""
    return {"photos": list(PHOTOS), "styles": list(GENERATED), "paintings": list(PAINTINGS)}


def all_names() -> list[str]:
    """Every sample name, in catalog order."""
    return [*PHOTOS, *GENERATED, *PAINTINGS]


def is_sample(name: str) -> bool:
    """True if ``name`` is a sample name rather than a path."""
    return name in PHOTOS or name in GENERATED or name in PAINTINGS


def similar(name: str) -> list[str]:
    """Sample names close to a misspelled ``name`` (best first; may be empty)."""
    return difflib.get_close_matches(name, all_names(), n=3, cutoff=0.6)
