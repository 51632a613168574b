"""Painterly style images drawn by the package itself (deterministic, offline).

Each function returns an RGB PIL image of ``size`` x ``size`` pixels. They are
built to work as *styles*: strong, repeated local structure (strokes, tiles,
crests) and a clear palette, which is what Gram matrices capture.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

_NIGHT = [(16, 32, 84), (28, 62, 140), (52, 98, 180), (96, 146, 210), (170, 200, 230),
          (232, 206, 92), (246, 226, 140), (250, 246, 220)]


def _canvas_texture(img: Image.Image, rng: np.random.Generator, amount: float) -> Image.Image:
    """Add a faint woven-canvas grain so flat areas still have texture."""
    a = np.asarray(img, dtype=np.float32)
    h, w = a.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    weave = np.sin(xx * 1.7) * np.sin(yy * 1.7)
    grain = rng.normal(0, 1, (h, w))
    a += (amount * (0.6 * weave + 0.4 * grain))[..., None]
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))


def swirls(size: int = 512, seed: int = 0) -> Image.Image:
    """Short curved brush strokes that follow swirling vortices, night-sky palette."""
    rng = np.random.default_rng(seed)
    s = size / 512
    img = Image.new("RGB", (size, size), _NIGHT[1])
    draw = ImageDraw.Draw(img)
    centers = rng.uniform(0.1, 0.9, (7, 2)) * size
    spins = rng.choice([-1.0, 1.0], 7) * rng.uniform(0.6, 1.4, 7)
    radii = rng.uniform(0.12, 0.25, 7) * size

    def flow(p):
        """Unit flow direction at the points ``p`` (N, 2): a wind plus the seven vortices."""
        v = np.tile([1.0, 0.15], (len(p), 1))  # a gentle wind from the left
        for c, k, r in zip(centers, spins, radii):
            d = p - c
            dist2 = d[:, 0] ** 2 + d[:, 1] ** 2 + 1.0
            v += (k * np.stack([-d[:, 1], d[:, 0]], axis=1) * r / dist2[:, None]
                  * np.exp(-dist2 / (2 * (2 * r) ** 2))[:, None] * 3)
        return v / (np.sqrt(v[:, 0] ** 2 + v[:, 1] ** 2) + 1e-6)[:, None]

    # draw every stroke's random choices first (in the order they were always drawn), then move
    # all strokes along the flow together: one vectorised step per point instead of one per stroke
    starts, colours, lengths, widths = [], [], [], []
    for _ in range(int(5200 * s * s) + 400):
        p = rng.uniform(0, size, 2)
        near = min(np.linalg.norm(p - c) / r for c, r in zip(centers, radii))
        # bright yellows in the vortex cores, blues elsewhere
        if near < 0.5:
            colour = _NIGHT[rng.integers(5, 8)]
        elif near < 1.0:
            colour = _NIGHT[rng.integers(3, 7)]
        else:
            colour = _NIGHT[rng.integers(0, 5)]
        jitter = rng.integers(-14, 15, 3)
        colours.append(tuple(int(np.clip(c + j, 0, 255)) for c, j in zip(colour, jitter)))
        lengths.append(int(rng.integers(6, 14)))
        widths.append(max(2, int(rng.integers(3, 7) * s)))
        starts.append(p)
    path = [np.array(starts)]
    for _ in range(max(lengths)):
        path.append(path[-1] + flow(path[-1]) * 3.2 * s)
    path = np.stack(path, axis=1)  # (strokes, points, 2)
    for points, colour, n, width in zip(path, colours, lengths, widths):
        draw.line([tuple(q) for q in points[: n + 1]], fill=colour, width=width, joint="curve")
    img = img.filter(ImageFilter.SMOOTH)
    return _canvas_texture(img, rng, 6)


def mosaic(size: int = 512, seed: int = 1, tiles: int = 700) -> Image.Image:
    """Irregular coloured tiles (a Voronoi diagram) separated by dark grout."""
    from scipy.spatial import cKDTree
    from skimage.segmentation import find_boundaries

    rng = np.random.default_rng(seed)
    palette = np.array([(192, 72, 40), (222, 150, 52), (238, 206, 120), (40, 120, 130),
                        (30, 70, 140), (120, 160, 90), (240, 232, 210), (150, 40, 60)], float)
    pts = rng.uniform(0, size, (tiles, 2))
    yy, xx = np.mgrid[0:size, 0:size]
    _, label = cKDTree(pts).query(np.stack([yy.ravel(), xx.ravel()], 1))
    label = label.reshape(size, size)
    # neighbouring tiles in bands of colour: a slow pattern under the randomness
    band = (np.sin(pts[:, 0] / size * 5.0) + np.cos(pts[:, 1] / size * 4.0) + 2) / 4
    idx = np.clip((band * len(palette) + rng.integers(-1, 2, tiles)) % len(palette), 0, 7)
    colours = palette[idx.astype(int)] + rng.normal(0, 12, (tiles, 3))
    shade = 0.82 + 0.18 * (1 - ((yy - pts[label, 0]) ** 2 + (xx - pts[label, 1]) ** 2)
                           / (2 * (size / np.sqrt(tiles)) ** 2)).clip(0, 1)
    a = colours[label] * shade[..., None]
    grout = find_boundaries(label, mode="thick")
    a[grout] = (38, 34, 30)
    img = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
    return _canvas_texture(img, rng, 5)


def waves(size: int = 512, seed: int = 2) -> Image.Image:
    """Woodcut waves: layered Prussian-blue crests, white foam claws, cream paper."""
    rng = np.random.default_rng(seed)
    s = size / 512
    paper = (236, 226, 200)
    blues = [(20, 40, 90), (36, 72, 130), (70, 110, 160), (130, 160, 190)]
    img = Image.new("RGB", (size, size), paper)
    draw = ImageDraw.Draw(img)
    x = np.arange(0, size + 4, 2, dtype=float)
    rows = np.linspace(-0.05, 1.05, 16) * size
    for i, y0 in enumerate(rows):
        amp = rng.uniform(10, 22) * s
        k = rng.uniform(2.5, 4.5) * 2 * np.pi / size
        ph = rng.uniform(0, 2 * np.pi)
        crest = y0 + amp * np.sin(k * x + ph) + 0.35 * amp * np.sin(2.7 * k * x + 2 * ph)
        poly = list(zip(x, crest)) + [(size, size), (0, size)]
        colour = blues[i % len(blues)]
        draw.polygon(poly, fill=colour)
        # dark outline along the crest, like a cut line
        draw.line(list(zip(x, crest)), fill=(14, 24, 50), width=max(2, int(3 * s)))
        # inner contour lines parallel to the crest
        for j in range(1, 4):
            off = crest + j * 7 * s
            draw.line(list(zip(x, off)), fill=tuple(min(255, c + 40) for c in colour),
                      width=max(1, int(1.5 * s)))
        # foam: white claws at the crests' tops
        tops = np.where(np.diff(np.sign(np.diff(crest))) > 0)[0] + 1
        for t in tops:
            cx, cy = x[t], crest[t]
            for _ in range(int(rng.integers(4, 8))):
                r = rng.uniform(2, 5) * s
                dx, dy = rng.normal(0, 9 * s), rng.uniform(-8, 2) * s
                draw.ellipse([cx + dx - r, cy + dy - r, cx + dx + r, cy + dy + r],
                             fill=(250, 248, 240), outline=(14, 24, 50))
    img = img.filter(ImageFilter.SMOOTH)
    return _canvas_texture(img, rng, 9)


def composition(size: int = 512, seed: int = 3) -> Image.Image:
    """Bold circles, bars and triangles with black lines on a warm ground."""
    rng = np.random.default_rng(seed)
    s = size / 512
    colours = [(214, 40, 40), (245, 190, 30), (30, 80, 170), (20, 20, 20), (60, 150, 90),
               (240, 120, 40), (150, 60, 150), (245, 240, 225)]
    img = Image.new("RGB", (size, size), (238, 226, 196))
    draw = ImageDraw.Draw(img, "RGBA")
    for _ in range(int(140 * s * s) + 40):
        kind = rng.choice(["circle", "bar", "triangle", "line"], p=[0.35, 0.2, 0.2, 0.25])
        c = colours[rng.integers(len(colours))] + (int(rng.integers(150, 240)),)
        cx, cy = rng.uniform(0, size, 2)
        if kind == "circle":
            r = rng.uniform(6, 40) * s
            draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=c,
                         outline=(20, 20, 20, 255), width=max(1, int(2 * s)))
        elif kind == "bar":
            ang = rng.uniform(0, np.pi)
            ln, wd = rng.uniform(30, 120) * s, rng.uniform(5, 14) * s
            d = np.array([np.cos(ang), np.sin(ang)])
            n = np.array([-d[1], d[0]])
            p = np.array([cx, cy])
            quad = [p + ln * d + wd * n, p + ln * d - wd * n, p - ln * d - wd * n,
                    p - ln * d + wd * n]
            draw.polygon([tuple(q) for q in quad], fill=c)
        elif kind == "triangle":
            r = rng.uniform(10, 45) * s
            a0 = rng.uniform(0, 2 * np.pi)
            tri = [(cx + r * np.cos(a0 + k * 2.1), cy + r * np.sin(a0 + k * 2.1)) for k in range(3)]
            draw.polygon(tri, fill=c, outline=(20, 20, 20, 255))
        else:
            ang = rng.uniform(0, np.pi)
            ln = rng.uniform(40, 180) * s
            d = np.array([np.cos(ang), np.sin(ang)]) * ln
            draw.line([(cx - d[0], cy - d[1]), (cx + d[0], cy + d[1])], fill=(20, 20, 20, 255),
                      width=max(1, int(rng.integers(1, 4) * s)))
    return _canvas_texture(img.convert("RGB"), rng, 6)
