"""Load, check, resize and save images as tensors; download image URLs.

Every image in the course is a float tensor of shape ``(1, 3, H, W)`` with values
in ``[0, 1]`` (RGB). ``load_image`` takes a file path, an http(s) URL, a sample
name (see the catalog :mod:`nst_course.samples`), a PIL image or a tensor and
turns awkward input into that form, saying what it converted; input it cannot
use is refused with one sentence (:class:`ImageError`) that names the file or
URL and what to do. This module does all the opening and downloading;
``samples`` only lists what exists.

Downloads are verified (the file decodes as an image, and its sha256 matches
where one is recorded) *before* they enter the cache, so a web page served in
place of an image is never cached, and they have an overall deadline.
Saving is atomic and never replaces a file unless asked (:mod:`nst_course.files`).
"""

from __future__ import annotations

import hashlib
import os
import time
import warnings
from functools import cache
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from . import samples
from .files import sha256_file, write_atomic
from .validate import IMAGE_SUFFIXES, MIN_NETWORK_SIDE, MIN_SIDE  # noqa: F401 (images.MIN_SIDE, ...)

#: Refuse images larger than this many pixels (a 64 MP photo is already huge).
MAX_PIXELS = 64_000_000
#: A download must be complete within this many seconds, however slowly the server sends.
DOWNLOAD_DEADLINE = 120.0
#: Seconds to wait for a server to answer, or to send the next bytes.
DOWNLOAD_TIMEOUT = 20.0
#: Larger downloads are refused (a 64 MP JPEG is ~20 MB).
MAX_DOWNLOAD_BYTES = 100_000_000


class ImageError(ValueError):
    """An image that cannot be used; the message is one sentence for the user."""


def load_image(source, size: int | None = None) -> torch.Tensor:
    """Load ``source`` as an RGB tensor ``(1, 3, H, W)`` in ``[0, 1]``.

    Args:
        source: a path, an ``http(s)://`` URL (downloaded once into the cache),
            a sample name such as ``"astronaut"`` or ``"swirls"``, a PIL image,
            or a tensor (checked by :func:`as_image_tensor`, then resized).
        size: if given, resize so that the longer side is ``size`` pixels.
            Enlarging a file or sample is allowed but noted (it adds no detail).
    Raises:
        ImageError: a source that cannot be used, or a size that makes it too
            small (short side) or too large (pixels) for the network.
    """
    if size is not None and not (isinstance(size, int | np.integer) and size > 0):
        raise ImageError(f"size must be a whole number of pixels above 0 (or None), not {size!r}.")
    if isinstance(source, torch.Tensor):
        return resize(as_image_tensor(source, "image", min_side=1, allow_batch=True), size)
    if isinstance(source, Image.Image):
        return _sized(_to_rgb(source, "image"), size, "image")
    if isinstance(source, np.ndarray):  # (H, W) or (H, W, 3) as PIL and matplotlib hold pictures
        if not (source.ndim == 2 or (source.ndim == 3 and source.shape[-1] in (1, 3))):
            raise ImageError(f"an image array is (H, W) or (H, W, 3), not shape {source.shape}.")
        arr = torch.from_numpy(np.ascontiguousarray(source))
        return load_image(arr.unsqueeze(0) if arr.dim() == 2 else arr.permute(2, 0, 1), size)
    if isinstance(source, bytes | bytearray | memoryview):  # the file's contents, e.g. an upload
        return _sized(_open_bytes(bytes(source)), size, "the image data")
    if not isinstance(source, str | os.PathLike):
        raise ImageError(f"an image is a path, URL, sample name, PIL image, tensor, array or bytes, "
                         f"not {type(source).__name__}.")
    name = str(source)
    if name[:7].lower() == "file://":  # a file:// URL names a local file
        from urllib.parse import unquote, urlparse

        return _sized(open_image(Path(unquote(urlparse(name).path)), name=name), size, name)
    if _is_url(name):
        img = open_image(fetch_url(name), name=name)
    elif samples.is_sample(name):
        img = _sample(name)
    else:
        img = open_image(Path(name).expanduser())
    return _sized(img, size, name)


def _open_bytes(data: bytes) -> Image.Image:
    """An image from a file's contents, with :func:`open_image`'s checks and messages."""
    import tempfile

    if not data:
        raise ImageError("the image data is empty (0 bytes).")
    with tempfile.TemporaryDirectory(prefix="nst-bytes-") as folder:
        path = Path(folder) / "image"
        path.write_bytes(data)
        return open_image(path, name=f"the image data ({len(data)} bytes)")


def _is_url(name: str) -> bool:
    return name[:8].lower().startswith(("http://", "https://"))


def _sized(img: Image.Image, size: int | None, name: str) -> torch.Tensor:
    """Resize a PIL image to long side ``size`` after checking the result is usable."""
    w, h = img.size
    if size:
        scale = size / max(w, h)
        nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
        if nw * nh > MAX_PIXELS:
            raise ImageError(f"size {size} would make {name} {nw}x{nh} px ({nw * nh / 1e6:.0f} MP), "
                             f"more than the {MAX_PIXELS / 1e6:.0f} MP this course accepts; "
                             "choose a smaller size.")
        if min(nw, nh) < MIN_NETWORK_SIDE:
            need = -(-MIN_SIDE * max(w, h) // min(w, h))  # ceil: long side giving MIN_SIDE short
            raise ImageError(f"at size {size} {name} ({w}x{h}) becomes {nw}x{nh} px, too thin for "
                             f"VGG19 (at least {MIN_SIDE} px on the short side): use a size of at "
                             f"least {need}, or crop it to a less extreme shape.")
        if scale > 1:
            _note(f"{name} is {w}x{h}; enlarged to {nw}x{nh} (size {size}), which adds no detail.")
    return resize(pil_to_tensor(img), size)


def as_image_tensor(x, name: str = "image", min_side: int = MIN_NETWORK_SIDE,
                    allow_batch: bool = False):
    """Check a tensor given as an image and bring it to ``(1, 3, H, W)`` float32 in ``[0, 1]``.

    Anything that is not a tensor (a path, URL, sample name, PIL image) is
    returned unchanged for :func:`load_image`. Documented conversions:
    ``(3, H, W)`` gets a batch dimension (``allow_batch``: ``(N, 3, H, W)`` is
    accepted too); one channel is copied into three
    (greyscale); ``uint8`` is divided by 255; float16/bfloat16/float64 become
    float32; values within 0.5 of ``[0, 1]`` are clamped to it.

    Raises:
        ValueError: one sentence naming ``name`` for a 2-D or 5-D tensor, a
            batch of several images, 2 or 4+ channels, integer types other than
            uint8, NaN or infinite values, values on another scale (0-255,
            ImageNet-normalised) or a short side below ``min_side``.
    """
    if not isinstance(x, torch.Tensor):
        return x
    shape = tuple(x.shape)
    if x.dim() == 3:
        x = x.unsqueeze(0)
    if x.dim() != 4:
        raise ValueError(f"{name} has shape {shape}; an image is (1, 3, H, W) (or (3, H, W)).")
    if x.numel() == 0:
        raise ValueError(f"{name} is empty (shape {shape}).")
    if x.shape[0] != 1 and not allow_batch:
        raise ValueError(f"{name} has shape {shape}: a batch of {x.shape[0]} images; pass one "
                         f"image (1, 3, H, W), e.g. {name}[:1].")
    if x.shape[1] not in (1, 3):
        raise ValueError(f"{name} has {x.shape[1]} channels (shape {shape}); an image has 3 (RGB) "
                         "or 1 (greyscale): drop an alpha channel with [:, :3].")
    if x.dtype == torch.uint8:
        x = x.float() / 255.0
    elif not x.is_floating_point():
        raise ValueError(f"{name} is a {str(x.dtype)[6:]} tensor; images are floats in [0, 1] "
                         "(or uint8 0-255).")
    x = x.float()
    if x.shape[1] == 1:
        x = x.expand(x.shape[0], 3, *x.shape[2:])
    if min(x.shape[-2:]) < min_side:
        raise ValueError(f"{name} is only {x.shape[-1]}x{x.shape[-2]} px; VGG19 needs at least "
                         f"{min_side} px on the short side ({MIN_SIDE} for good results).")
    if not torch.isfinite(x).all():
        raise ValueError(f"{name} contains NaN or infinite values.")
    lo, hi = x.min().item(), x.max().item()
    if hi > 1.5 or lo < -0.5:
        hint = " (0-255? divide by 255)" if lo >= 0 and hi <= 255 else ""
        raise ValueError(f"{name} has values from {lo:.3g} to {hi:.3g}; images are in [0, 1]{hint}.")
    return x.clamp(0, 1).contiguous()


def as_image_inputs(content, style, init=None):
    """:func:`as_image_tensor` on the inputs of ``stylize`` / ``adain_stylize``.

    ``style`` may be one image or a list; ``init`` may be a tensor or a name such
    as ``"content"``. Returns ``(content, style, init)`` checked and converted.
    """
    content = as_image_tensor(content, "content")
    if isinstance(style, list | tuple):
        style = [as_image_tensor(s, f"style {i + 1}") for i, s in enumerate(style)]
    else:
        style = as_image_tensor(style, "style")
    return content, style, as_image_tensor(init, "init")


def _sample(name: str) -> Image.Image:
    """The sample ``name`` of :mod:`nst_course.samples` as an RGB PIL image."""
    if name in samples.PAINTINGS and not samples.PAINTINGS[name].bundled:
        painting = samples.PAINTINGS[name]
        return open_image(fetch_url(painting.url, painting.sha256), name=f"{name} ({painting.url})")
    return _offline_sample(name).copy()


@cache
def _offline_sample(name: str) -> Image.Image:
    """A photo (from scikit-image), a bundled painting (its sha256 checked) or a generated
    style (drawn here), made once per process."""
    if name in samples.PAINTINGS:
        painting, path = samples.PAINTINGS[name], samples.painting_path(name)
        if not path.is_file() or sha256_file(path) != painting.sha256:
            raise ImageError(f"the bundled painting {path} is missing or does not match its recorded "
                             "sha256; reinstall nst-course.")
        return open_image(path, name=f"{name} ({painting.title}, {painting.artist})")
    if name in samples.PHOTOS:
        import skimage.data

        return _to_rgb(Image.fromarray(getattr(skimage.data, name)()), name)
    from . import styles

    return getattr(styles, name)()


def open_image(path, name: str | None = None) -> Image.Image:
    """Open a file as an RGB PIL image, converting what can be converted.

    ``name`` (default: the path) is what messages call it, e.g. the URL a
    cached file came from. The file is closed before this returns.
    """
    path = Path(path)
    name = name or str(path)
    if any(ord(ch) < 32 for ch in name):  # a newline or tab in a name: shown, not printed
        name = repr(name)
    try:
        path.stat()
    except FileNotFoundError:
        pass
    except OSError as e:  # e.g. a name longer than the file system allows
        shown = name if len(name) <= 60 else f"{name[:40]}...({len(name)} characters)"
        raise ImageError(f"{shown} cannot be a file here ({e.strerror or e}); check the name.") from None
    if not path.exists():
        raise ImageError(f"{name}: no such file; check the path or use a sample name "
                         "(`nst-course samples` lists them)." + _did_you_mean(path))
    if path.is_dir():
        raise ImageError(f"{name} is a folder, not an image file.")
    if not path.is_file():  # opening a pipe (FIFO) would wait forever for a writer
        raise ImageError(f"{name} is not a regular file (a pipe, device or socket); "
                         "save the image to a file and give that.")
    try:
        with warnings.catch_warnings():
            # we check the size ourselves below, with a clearer message
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                w, h = img.size
                if w * h > MAX_PIXELS:
                    raise ImageError(
                        f"{name} is {w}x{h} ({w * h / 1e6:.0f} MP), more than the "
                        f"{MAX_PIXELS / 1e6:.0f} MP this course accepts; shrink it first.")
                orientation = img.getexif().get(0x0112, 1)
                upright = ImageOps.exif_transpose(img)  # also loads the pixels
                upright.load()
    except ImageError:
        raise
    except Image.DecompressionBombError:
        raise ImageError(f"{name} is too large to open safely (> {MAX_PIXELS / 1e6:.0f} MP); "
                         "shrink it first.") from None
    except UnidentifiedImageError:
        if path.suffix.lower() in (".tif", ".tiff"):  # e.g. RGB float32, which PIL does not read
            tiff = _open_tiff(path, name)
            if tiff is not None:
                return tiff
        raise ImageError(f"{name} is not an image file PIL can read "
                         "(use a PNG, JPEG, WebP, BMP or TIFF)." + _html_hint(path)) from None
    except ValueError as e:  # e.g. a PNG whose compressed text chunks unpack to gigabytes
        raise ImageError(f"{name} could not be read safely ({e}); re-save it as a plain "
                         "PNG or JPEG.") from None
    except (OSError, SyntaxError, EOFError) as e:
        raise ImageError(f"{name} could not be read ({e}); the file may be truncated or "
                         "damaged: save or download it again.") from None
    if orientation not in (None, 1):
        _note(f"{name} carries an EXIF orientation tag; rotated it upright.")
    return _to_rgb(upright, name)


def _open_tiff(path: Path, name: str) -> Image.Image | None:
    """A TIFF PIL cannot read (RGB float32, 16-bit RGB) through tifffile (scikit-image's reader):
    floats in [0, 1] keep their brightness, 16-bit values are scaled to 8 bits; None if it fails."""
    try:
        import tifffile

        arr = np.asarray(tifffile.imread(path))
    except Exception:  # noqa: BLE001 - then it is not a TIFF we can read either
        return None
    if arr.ndim == 3 and arr.shape[0] in (3, 4) and arr.shape[-1] not in (3, 4):
        arr = np.moveaxis(arr, 0, -1)  # planar (C, H, W)
    if arr.ndim == 2:
        arr = np.stack([arr] * 3, -1)
    if arr.ndim != 3 or arr.shape[-1] not in (3, 4) or arr.shape[0] * arr.shape[1] > MAX_PIXELS:
        return None
    is_float = np.issubdtype(arr.dtype, np.floating)
    arr = np.nan_to_num(arr[..., :3].astype(np.float64))
    top = arr.max(initial=0.0)
    scale = 1.0 if is_float and top <= 1.0 else 65535.0 if top > 255 else 255.0
    return Image.fromarray((np.clip(arr / scale, 0, 1) * 255).round().astype(np.uint8))


def _did_you_mean(path: Path) -> str:
    """`` Did you mean 'starry_night'?`` for a misspelled sample name, else ``""``."""
    if len(path.parts) != 1 or path.suffix:
        return ""
    close = samples.similar(str(path))
    return f" Did you mean '{close[0]}'?" if close else ""


def _html_hint(path: Path) -> str:
    with open(path, "rb") as f:
        head = f.read(512).lstrip().lower()
    return " It is a web page (HTML), not an image." if head.startswith((b"<!doctype", b"<html")) \
        else ""


def _to_rgb(img: Image.Image, name: str) -> Image.Image:
    """Convert any PIL mode to 8-bit RGB, warning about lossy conversions."""
    mode = img.mode
    if mode == "RGB":
        out = img
    elif mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        out = Image.new("RGB", rgba.size, (255, 255, 255))
        out.paste(rgba, mask=rgba.getchannel("A"))
        if np.asarray(rgba.getchannel("A")).min() < 255:
            _note(f"{name} has transparency; composited onto white.")
    elif mode.startswith("I;16") or mode in ("I", "F"):
        arr = np.nan_to_num(np.asarray(img, dtype=np.float64))
        top = arr.max() if arr.size else 0.0
        if mode == "F" and top <= 1.0:  # float pictures are usually stored in [0, 1]
            hi = 1.0
        else:
            hi = 65535.0 if top > 255 or mode.startswith("I;16") else 255.0
        arr = np.clip(arr / hi * 255.0, 0, 255).astype(np.uint8)
        out = Image.fromarray(arr).convert("RGB")
        _note(f"{name} is a 16-bit or float image; scaled to 8-bit greyscale RGB.")
    elif mode == "CMYK":
        out = img.convert("RGB")
        _note(f"{name} is CMYK; converted to RGB (colours may shift slightly).")
    elif mode in ("L", "1"):
        out = img.convert("RGB")
        _note(f"{name} is greyscale; copied into three RGB channels.")
    else:  # P without transparency, YCbCr, LAB, HSV...
        out = img.convert("RGB")
    w, h = out.size
    if min(w, h) < MIN_SIDE:
        raise ImageError(f"{name} is only {w}x{h} px; VGG19 needs at least {MIN_SIDE} px "
                         "on the short side: use a larger image.")
    return out


def _note(message: str) -> None:
    warnings.warn(message, UserWarning, stacklevel=3)


def pil_to_tensor(img: Image.Image) -> torch.Tensor:
    """RGB PIL image -> tensor ``(1, 3, H, W)`` float32 in ``[0, 1]``."""
    arr = np.asarray(img.convert("RGB"), dtype=np.float32) / 255.0
    return torch.from_numpy(arr).permute(2, 0, 1).unsqueeze(0).contiguous()


def tensor_to_pil(img: torch.Tensor) -> Image.Image:
    """Tensor ``(1, 3, H, W)`` or ``(3, H, W)`` -> RGB PIL image (clamped to [0, 1])."""
    return Image.fromarray(to_numpy(img))


def to_numpy(img: torch.Tensor) -> np.ndarray:
    """Tensor ``(1, 3, H, W)`` or ``(3, H, W)`` -> ``uint8`` array ``(H, W, 3)``."""
    img = img.detach().float().cpu()
    if img.dim() == 4:
        img = img[0]
    arr = img.clamp(0, 1).permute(1, 2, 0).numpy()
    return (arr * 255.0 + 0.5).astype(np.uint8)


def resize(img: torch.Tensor, size: int | None) -> torch.Tensor:
    """Resize ``(1, 3, H, W)`` so the longer side is ``size`` (antialiased)."""
    if not size:
        return img
    h, w = img.shape[-2:]
    scale = size / max(h, w)
    new = (max(1, round(h * scale)), max(1, round(w * scale)))
    if new == (h, w):
        return img
    out = torch.nn.functional.interpolate(img, size=new, mode="bilinear", antialias=True,
                                          align_corners=False)
    return out.clamp(0, 1)


def save_image(img: torch.Tensor, path, overwrite: bool = True) -> Path:
    """Write ``img`` ``(1, 3, H, W)`` to ``path`` atomically (format from the suffix).

    The image goes to a temporary file in the same folder, is flushed to disk
    and then moved into place (:func:`nst_course.files.write_atomic`), so a
    failure (disk full, an unwritable folder) never empties or damages an
    existing file. With ``overwrite=False`` an existing file, also one that
    appears while saving, is kept and :class:`FileExistsError` is raised.
    Missing folders are created. Returns the path written.
    """
    path = Path(path).expanduser()
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        raise ImageError(f"{path}: unknown image type '{path.suffix}'; use .png or .jpg.")
    if path.is_dir():
        raise ImageError(f"{path} is a folder; give a file name such as {path / 'result.png'}.")
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists already; choose another name or pass --force.")
    if isinstance(img, np.ndarray | Image.Image):  # as load_image reads them
        img = load_image(img)
    if not isinstance(img, torch.Tensor):
        raise ImageError(f"the image to save is a tensor (1, 3, H, W), an array or a PIL image, "
                         f"not {type(img).__name__}.")
    pil = tensor_to_pil(as_image_tensor(img, "the image to save", min_side=1))
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_atomic(path, pil.save, overwrite=overwrite)


# --- downloads --------------------------------------------------------------------------------

def cache_dir() -> Path:
    """Where downloads are kept: ``$NST_COURSE_CACHE`` or the OS cache folder."""
    import pooch

    return Path(os.environ.get("NST_COURSE_CACHE") or pooch.os_cache("nst-course"))


def fetch_url(url: str, sha256: str | None = None, *, deadline: float = DOWNLOAD_DEADLINE,
              timeout: float = DOWNLOAD_TIMEOUT) -> Path:
    """Download the image at ``url`` once into :func:`cache_dir`; return the local path.

    A cached file is used without the network (re-fetched if it no longer
    matches ``sha256``). A new download enters the cache only after it was
    verified: ``sha256`` matches where given, and the file opens as an image.
    The whole download must finish within ``deadline`` seconds; each wait for
    the server is at most ``timeout`` seconds. Every failure is an
    :class:`ImageError` that names ``url``.
    """
    base = url.rstrip("/").rsplit("/", 1)[-1].split("?")[0][-80:] or "download"
    path = cache_dir() / f"{hashlib.sha256(url.encode()).hexdigest()[:8]}-{base}"  # one per URL
    if path.is_file() and (sha256 is None or sha256_file(path) == sha256):
        return path
    path.parent.mkdir(parents=True, exist_ok=True)

    def download_and_verify(tmp: Path) -> None:
        _download(url, tmp, deadline, timeout)
        if sha256 is not None and sha256_file(tmp) != sha256:
            raise ImageError(f"{url} did not match its recorded sha256; nothing was cached: the "
                             "file changed upstream or was corrupted on the way.")
        open_image(tmp, name=url)  # decodes: a web page or a cut-off file is refused here

    write_atomic(path, download_and_verify, overwrite=True)
    return path


def _download(url: str, dest: Path, deadline: float, timeout: float) -> None:
    """Stream ``url`` into ``dest``; one-sentence :class:`ImageError` on any failure."""
    import http.client
    import urllib.error
    import urllib.request

    from . import __version__

    start = time.monotonic()
    request = urllib.request.Request(url, headers={
        "User-Agent": f"nst-course/{__version__} (course image download; Python urllib)"})
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=_ssl_context()) as resp, \
                open(dest, "wb") as out:
            expected, got = resp.headers.get("Content-Length"), 0
            while chunk := resp.read1(1 << 16):  # returns after each network read
                got += len(chunk)
                if got > MAX_DOWNLOAD_BYTES:
                    raise ImageError(f"{url} is larger than {MAX_DOWNLOAD_BYTES // 10**6} MB; "
                                     "download and shrink it yourself.")
                if time.monotonic() - start > deadline:
                    raise ImageError(f"{url} was still downloading after {deadline:.0f} s (a slow "
                                     "or stalled server); try again later or use a local file.")
                out.write(chunk)
            if expected and expected.isdigit() and got < int(expected):
                raise http.client.IncompleteRead(b"", int(expected) - got)
    except urllib.error.HTTPError as e:
        if 300 <= e.code < 400:
            raise ImageError(f"{url} redirects in a loop or too many times; check the "
                             "address.") from None
        raise ImageError(f"{url} answered HTTP {e.code}; check the address.") from None
    except (http.client.HTTPException, ConnectionResetError) as e:
        raise ImageError(f"the download of {url} was cut off ({type(e).__name__}); "
                         "try again.") from None
    except TimeoutError:
        raise ImageError(f"{url} did not answer within {timeout:.0f} s; try again later or use "
                         "a local file.") from None
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        reason = getattr(reason, "strerror", None) or reason  # "Connection refused", not [Errno 111]
        raise ImageError(f"could not reach {url} ({reason}; offline?); connect once to download "
                         "it, or use a local file or a generated style such as 'swirls'.") from None


def _ssl_context():
    """Certificates from ``certifi`` when installed (as with ``requests``), else the system's."""
    import ssl

    try:
        import certifi
    except ImportError:
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=certifi.where())


def png_bytes(img, width: int | None = None, smooth: bool = False) -> bytes:
    """PNG bytes of a tensor ``(1, 3, H, W)``/``(3, H, W)``, a map ``(H, W)``, an array or PIL
    (the one encoder of the widgets, the explorer and the live preview).

    ``width``: resized to it (height in proportion), nearest-neighbour, or smoothly with
    ``smooth=True``. A one-channel map is colour-mapped over its own range.
    """
    import io

    if isinstance(img, Image.Image):
        pil = img.convert("RGB")
    else:
        if isinstance(img, torch.Tensor):
            img = img.detach().float().cpu()
            img = img[0] if img.dim() == 4 else img
            img = img.permute(1, 2, 0).numpy() if img.dim() == 3 else img.numpy()
        arr = np.asarray(img, dtype=np.float32)
        if arr.ndim == 3 and arr.shape[-1] == 1:
            arr = arr[..., 0]
        if arr.ndim == 2:  # one feature map: scale to its own range, colour-map it
            from matplotlib import colormaps

            arr = (arr - arr.min()) / (arr.max() - arr.min() + 1e-8)
            arr = colormaps["magma"](arr)[..., :3]
        if arr.max() > 1.0:
            arr = arr / 255.0
        pil = Image.fromarray((np.clip(arr, 0, 1) * 255 + 0.5).astype(np.uint8))
    if width:
        resample = Image.BICUBIC if smooth else Image.NEAREST
        pil = pil.resize((width, max(1, round(pil.height * width / pil.width))), resample)
    buf = io.BytesIO()
    pil.save(buf, format="PNG")
    return buf.getvalue()
