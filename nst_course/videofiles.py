"""Clips in and out: frames from an animated GIF/WebP or a folder of images; GIF/WebP
animations and numbered PNG frames out (Pillow only, no ffmpeg). Introduced in
notebooks/10_video.ipynb and used by ``nst-course video``.

An MP4 is not read (that needs ffmpeg); turn it into frames first, e.g.
``ffmpeg -i clip.mp4 -vf fps=10 frames/%04d.png``.
"""

from __future__ import annotations

import io
from pathlib import Path

import torch
from PIL import Image, ImageDraw, ImageSequence, UnidentifiedImageError

from .files import write_atomic
from .images import open_image, pil_to_tensor, resize, tensor_to_pil

#: what :func:`write_animation` writes and :func:`read_frames` reads as one file
ANIMATIONS = (".gif", ".webp")
#: image files :func:`read_frames` takes from a folder, in name order
FRAME_FILES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
#: frames :func:`read_frames` accepts at most (more would take hours with the optimising methods)
MAX_FRAMES = 1000


class ClipError(ValueError):
    """A clip that cannot be read; the message is one sentence naming the file."""


def _fit(img: torch.Tensor, size: int | None) -> torch.Tensor:
    """Shrink ``(1, 3, H, W)`` to long side ``size`` (never enlarge), then crop H and W to
    multiples of 4 (the network halves them twice)."""
    if size and size < max(img.shape[-2:]):
        img = resize(img, size)
    return _even(img)


def _even(img: torch.Tensor) -> torch.Tensor:
    """Crop ``(1, 3, H, W)`` to even H and W (the network halves them twice; GIF is happy)."""
    h, w = img.shape[-2:]
    return img[..., : h - h % 4, : w - w % 4]


def read_frames(source, size: int | None = None, max_frames: int | None = None,
                ) -> tuple[torch.Tensor, float]:
    """Frames ``(T, 3, H, W)`` in [0, 1] and frames per second of an animated GIF/WebP or a
    folder of images (sorted by name, all resized to the first one's size).

    ``size``: the largest long side in pixels (larger clips are shrunk; default: as stored).
    H and W are cropped to multiples of 4.
    Raises :class:`ClipError` with one sentence for a missing path, a file that is not an
    animation, an MP4, an empty folder or zero frames.
    """
    path = Path(source)
    limit = min(max_frames or MAX_FRAMES, MAX_FRAMES)
    if not path.exists():
        raise ClipError(f"{path}: no such file or folder; give an animated GIF/WebP or a folder of frames.")
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in FRAME_FILES)
        if not files:
            raise ClipError(f"{path} holds no image files ({', '.join(FRAME_FILES)}): nothing to stylise.")
        frames = [_fit(pil_to_tensor(open_image(f).convert("RGB")), size) for f in files[:limit]]
        shape = frames[0].shape[-2:]
        frames = [f if f.shape[-2:] == shape else torch.nn.functional.interpolate(
            f, size=shape, mode="bilinear", align_corners=False) for f in frames]
        return torch.cat(frames), 10.0
    if path.suffix.lower() in (".mp4", ".mov", ".avi", ".mkv", ".webm"):
        raise ClipError(f"{path}: video files are not read here (that needs ffmpeg); extract its "
                        f"frames first, e.g. `ffmpeg -i {path.name} -vf fps=10 frames/%04d.png`, "
                        "and give the folder.")
    try:
        with Image.open(path) as img:
            n = getattr(img, "n_frames", 1)
            duration = img.info.get("duration") or 100
            frames = [_fit(pil_to_tensor(f.convert("RGB")), size)
                      for _, f in zip(range(limit), ImageSequence.Iterator(img))]
    except (UnidentifiedImageError, OSError, SyntaxError) as e:
        raise ClipError(f"{path} is not an image or animation Pillow can read ({type(e).__name__}); "
                        "give an animated GIF/WebP or a folder of frames.") from None
    if n < 2 or len(frames) < 1:
        raise ClipError(f"{path} has {n} frame: it is a still image, not a clip (use `nst-course "
                        "stylize` for one picture).")
    return torch.cat(frames), 1000.0 / duration


def label(img: torch.Tensor, text: str) -> torch.Tensor:
    """``(1, 3, H, W)`` with ``text`` written in its top-left corner on a dark band."""
    pil = tensor_to_pil(img)
    draw = ImageDraw.Draw(pil)
    box = draw.textbbox((3, 2), text)
    draw.rectangle((0, 0, box[2] + 3, box[3] + 3), fill=(0, 0, 0))
    draw.text((3, 2), text, fill=(255, 255, 255))
    return pil_to_tensor(pil)


def side_by_side(clips, labels=None, gap: int = 4) -> torch.Tensor:
    """``(T, 3, H, sum W + gaps)``: clips ``(T, 3, H, W)`` (same T and H) next to each other,
    each frame labelled; white gaps between them."""
    labels = labels or [""] * len(clips)
    out = []
    for t in range(min(c.shape[0] for c in clips)):
        row = []
        for k, (clip, text) in enumerate(zip(clips, labels)):
            frame = clip[t:t + 1]
            row.append(label(frame, text) if text else frame)
            if k < len(clips) - 1:
                row.append(torch.ones(1, 3, frame.shape[-2], gap))
        out.append(torch.cat(row, -1))
    return torch.cat(out)


def animation_bytes(frames: torch.Tensor, fps: float = 8.0, fmt: str = "gif") -> bytes:
    """An endlessly looping GIF or WebP of ``frames`` ``(T, 3, H, W)``, as bytes (for
    ``IPython.display.Image(data=..., format="gif")``)."""
    pics = [tensor_to_pil(f[None]) for f in frames]
    buf = io.BytesIO()
    kind = {"gif": "GIF", "webp": "WEBP"}[fmt.lower().lstrip(".")]
    extra = {"optimize": False} if kind == "GIF" else {"lossless": False, "quality": 90}
    pics[0].save(buf, kind, save_all=True, append_images=pics[1:], duration=round(1000 / fps),
                 loop=0, **extra)
    return buf.getvalue()


def write_animation(frames: torch.Tensor, path, fps: float = 8.0, overwrite: bool = False) -> Path:
    """Write ``frames`` ``(T, 3, H, W)`` as a GIF or WebP (by ``path``'s extension), atomically."""
    path = Path(path)
    if path.suffix.lower() not in ANIMATIONS:
        raise ClipError(f"{path}: write an animation as {' or '.join(ANIMATIONS)}, or give a folder.")
    data = animation_bytes(frames, fps, path.suffix)
    return write_atomic(path, lambda tmp: Path(tmp).write_bytes(data), overwrite=overwrite)
