"""The sample catalog: what exists, where it comes from, its licence and hash.

* Photos: the public-domain / CC0 photos that scikit-image ships
  (``skimage.data.<name>()``; no download).
* Generated styles: painterly images this package draws itself, deterministically
  (:mod:`nst_course.styles`: ``swirls``, ``mosaic``, ``waves``, ``composition``),
  so the course runs offline.
* Paintings: famous public-domain paintings, downloaded on first use into the
  cache (``NST_COURSE_CACHE`` or the OS cache folder). A download is verified
  before it is cached: it must decode as an image, and match its sha256 where
  one is recorded (``Painting.sha256``; None: verified by decoding only).

This module only lists; :func:`nst_course.load_image` opens and downloads
(``load_image("starry_night", 256)``).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass(frozen=True)
class Painting:
    """A public-domain painting fetched on demand."""

    title: str
    artist: str
    year: str
    url: str
    licence: str = "public domain"
    #: None: not recorded yet (the catalog was written offline); the download is then
    #: verified by decoding it as an image only
    sha256: str | None = None

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
PAINTINGS = {
    "starry_night": Painting(
        "The Starry Night", "Vincent van Gogh", "1889",
        _WIKI + "thumb/e/ea/Van_Gogh_-_Starry_Night_-_Google_Art_Project.jpg/"
        "1024px-Van_Gogh_-_Starry_Night_-_Google_Art_Project.jpg"),
    "great_wave": Painting(
        "The Great Wave off Kanagawa", "Katsushika Hokusai", "c. 1831",
        _WIKI + "thumb/a/a5/Tsunami_by_hokusai_19th_century.jpg/"
        "1024px-Tsunami_by_hokusai_19th_century.jpg"),
    "the_scream": Painting(
        "The Scream", "Edvard Munch", "1893",
        _WIKI + "thumb/c/c5/Edvard_Munch%2C_1893%2C_The_Scream%2C_oil%2C_tempera_and_pastel_"
        "on_cardboard%2C_91_x_73_cm%2C_National_Gallery_of_Norway.jpg/"
        "800px-Edvard_Munch%2C_1893%2C_The_Scream%2C_oil%2C_tempera_and_pastel_on_"
        "cardboard%2C_91_x_73_cm%2C_National_Gallery_of_Norway.jpg"),
    "composition_vii": Painting(
        "Composition VII", "Wassily Kandinsky", "1913",
        _WIKI + "thumb/b/b4/Vassily_Kandinsky%2C_1913_-_Composition_7.jpg/"
        "1024px-Vassily_Kandinsky%2C_1913_-_Composition_7.jpg"),
    "shipwreck": Painting(
        "The Shipwreck of the Minotaur", "J. M. W. Turner", "c. 1810",
        _WIKI + "thumb/2/2e/Shipwreck_turner.jpg/1024px-Shipwreck_turner.jpg"),
}


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
