"""The sample catalog: photos, generated style images and famous paintings.

* Photos: the public-domain / CC0 photos that scikit-image ships (no download).
* Generated styles: painterly images this package draws itself, deterministically
  (``swirls``, ``mosaic``, ``waves``, ``composition``), so the course runs offline.
* Paintings: famous public-domain paintings, downloaded on first use into the
  cache (``NST_COURSE_CACHE`` or the OS cache folder) and checked against a
  sha256 where one is recorded.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PIL import Image

from . import styles
from .images import ImageError


@dataclass(frozen=True)
class Painting:
    """A public-domain painting fetched on demand."""

    title: str
    artist: str
    year: str
    url: str
    licence: str = "public domain"
    sha256: str | None = None  # None: not recorded yet, the download is not hash-checked

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


def is_sample(name: str) -> bool:
    """True if ``name`` is a sample name rather than a path."""
    return name in PHOTOS or name in GENERATED or name in PAINTINGS


def sample_image(name: str) -> Image.Image:
    """The sample ``name`` as an RGB PIL image (paintings are downloaded once)."""
    if name in PHOTOS:
        return _photo(name).copy()
    if name in GENERATED:
        return _generated(name).copy()
    if name in PAINTINGS:
        from .images import open_image

        painting = PAINTINGS[name]
        return open_image(fetch_url(painting.url, painting.sha256))
    raise ImageError(f"'{name}' is not a sample; choose one of: {', '.join(sorted(_all()))}.")


def _all():
    return {**PHOTOS, **GENERATED, **PAINTINGS}


@cache
def _photo(name: str) -> Image.Image:
    import skimage.data

    return Image.fromarray(getattr(skimage.data, name)()).convert("RGB")


@cache
def _generated(name: str) -> Image.Image:
    return getattr(styles, name)()


def cache_dir() -> Path:
    """Where downloads are kept: ``$NST_COURSE_CACHE`` or the OS cache folder."""
    import pooch

    return Path(os.environ.get("NST_COURSE_CACHE") or pooch.os_cache("nst-course"))


def fetch_url(url: str, sha256: str | None = None) -> Path:
    """Download ``url`` once into :func:`cache_dir` and return the local path.

    A cached file is used without the network. With ``sha256`` the file is
    checked; a mismatch is refused. Errors become one-sentence :class:`ImageError`.
    """
    import pooch
    import requests

    base = url.rstrip("/").rsplit("/", 1)[-1].split("?")[0] or "download"
    fname = f"{hashlib.sha256(url.encode()).hexdigest()[:8]}-{base}"  # one file per URL
    known = f"sha256:{sha256}" if sha256 else None
    pooch.get_logger().setLevel("WARNING")  # errors below say what happened, in one line
    try:
        path = pooch.retrieve(url, known_hash=known, fname=fname, path=cache_dir(),
                              progressbar=False)
    except requests.exceptions.HTTPError as e:
        code = e.response.status_code if e.response is not None else "?"
        raise ImageError(f"{url} answered HTTP {code}; check the address.") from None
    except (requests.exceptions.ConnectionError, requests.exceptions.Timeout):
        raise ImageError(f"could not reach {url} (offline?); connect once to download it, "
                         "or use a local file or a generated style such as 'swirls'.") from None
    except ValueError as e:
        if "hash" in str(e).lower():
            raise ImageError(f"{url} did not match its recorded sha256; the download was "
                             "removed: the file changed upstream or was corrupted.") from None
        raise
    return Path(path)
