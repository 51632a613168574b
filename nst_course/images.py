"""Load, resize and save images as tensors.

Every image in the course is a float tensor of shape ``(1, 3, H, W)`` with values
in ``[0, 1]`` (RGB). ``load_image`` takes a file path, an http(s) URL or a sample
name (see :mod:`nst_course.samples`) and turns awkward files into that form,
saying what it converted; files it cannot use are refused with one sentence
(:class:`ImageError`) that names the file and what to do.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

#: Refuse images larger than this many pixels (a 64 MP photo is already huge).
MAX_PIXELS = 64_000_000
#: VGG19 halves the size 4 times before conv5_1: below 32 px nothing is left.
MIN_SIDE = 32


class ImageError(ValueError):
    """An image that cannot be used; the message is one sentence for the user."""


def load_image(source, size: int | None = None) -> torch.Tensor:
    """Load ``source`` as an RGB tensor ``(1, 3, H, W)`` in ``[0, 1]``.

    Args:
        source: a path, an ``http(s)://`` URL (downloaded once into the cache),
            a sample name such as ``"astronaut"`` or ``"swirls"``, a PIL image,
            or a tensor (returned resized).
        size: if given, resize so that the longer side is ``size`` pixels.
    """
    if isinstance(source, torch.Tensor):
        img = source if source.dim() == 4 else source.unsqueeze(0)
        return resize(img, size) if size else img
    if isinstance(source, Image.Image):
        return resize(pil_to_tensor(_to_rgb(source, "image")), size)
    from . import samples  # samples imports this module

    source = str(source)
    if source.startswith(("http://", "https://")):
        path = samples.fetch_url(source)
    elif samples.is_sample(source):
        return resize(pil_to_tensor(samples.sample_image(source)), size)
    else:
        path = Path(source).expanduser()
    return resize(pil_to_tensor(open_image(path)), size)


def open_image(path) -> Image.Image:
    """Open a file as an RGB PIL image, converting what can be converted."""
    path = Path(path)
    if not path.exists():
        raise ImageError(f"{path}: no such file; check the path or use a sample name "
                         "(`nst-course samples` lists them).")
    if path.is_dir():
        raise ImageError(f"{path} is a folder, not an image file.")
    try:
        with warnings.catch_warnings():
            # we check the size ourselves below, with a clearer message
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(path)
            w, h = img.size
            if w * h > MAX_PIXELS:
                raise ImageError(
                    f"{path} is {w}x{h} ({w * h / 1e6:.0f} MP), more than the "
                    f"{MAX_PIXELS / 1e6:.0f} MP this course accepts; shrink it first.")
            orientation = img.getexif().get(0x0112, 1)
            img = ImageOps.exif_transpose(img)  # also loads the pixels
    except ImageError:
        raise
    except Image.DecompressionBombError:
        raise ImageError(f"{path} is too large to open safely (> {MAX_PIXELS / 1e6:.0f} MP); "
                         "shrink it first.") from None
    except UnidentifiedImageError:
        raise ImageError(f"{path} is not an image file PIL can read "
                         "(use a PNG, JPEG, WebP, BMP or TIFF).") from None
    except (OSError, SyntaxError) as e:
        raise ImageError(f"{path} could not be read ({e}); the file may be truncated or "
                         "damaged: save or download it again.") from None
    if orientation not in (None, 1):
        _note(f"{path} carries an EXIF orientation tag; rotated it upright.")
    return _to_rgb(img, str(path))


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
        arr = np.asarray(img, dtype=np.float64)
        hi = 65535.0 if arr.max() > 255 or mode.startswith("I;16") else 255.0
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
    """Write ``img`` to ``path`` (format from the suffix); refuse to overwrite if asked."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists already; choose another name or pass --force.")
    if path.suffix.lower() not in (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff"):
        raise ImageError(f"{path}: unknown image type '{path.suffix}'; use .png or .jpg.")
    path.parent.mkdir(parents=True, exist_ok=True)
    tensor_to_pil(img).save(path)
    return path
