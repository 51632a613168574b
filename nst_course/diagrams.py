"""Two static diagrams drawn with matplotlib: the style-transfer pipeline and VGG19.

Shown in notebooks/00_start_here.ipynb (the pipeline) and 01_cnn_features.ipynb (VGG19).
Each function returns a :class:`matplotlib.figure.Figure` and the figure's alt text
(:data:`PIPELINE_ALT`, :func:`vgg19_alt`), for the notebook to print under it.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from .config import CONTENT_LAYERS, STYLE_LAYERS
from .plotting import MAX_WIDTH, MIN_FONT
from .vgg import feature_shapes

PIPELINE_ALT = ("Diagram: the content photo, the style painting and the generated image each go "
                "through the same fixed VGG19. The content loss compares the generated image's "
                "conv4_2 features with the photo's; the style loss compares the Gram matrices of "
                "conv1_1 to conv5_1 with the painting's. Their weighted sum is the total loss, and its "
                "gradient flows back to the pixels of the generated image only, which are updated.")


def _box(ax, x, y, w, h, text, colour, size=MIN_FONT):
    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.02", fc=colour, ec="black"))
    ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=size, wrap=True)


def _arrow(ax, a, b, colour="black", style="-|>", ls="-"):
    ax.add_patch(FancyArrowPatch(a, b, arrowstyle=style, mutation_scale=16, color=colour, lw=1.8,
                                 linestyle=ls))


def pipeline_figure() -> plt.Figure:
    """Content, style and generated image -> fixed VGG19 -> losses -> gradient to the pixels."""
    fig, ax = plt.subplots(figsize=(MAX_WIDTH, 4.4))  # shown unscaled on a slide
    ax.set(xlim=(-0.15, 11), ylim=(-0.8, 4.5)), ax.axis("off")
    _box(ax, 0.2, 3.4, 1.8, 0.9, "content\nphoto", "#cfe8ff")
    _box(ax, 0.2, 0.3, 1.8, 0.9, "style\npainting", "#ffe0c2")
    _box(ax, 0.2, 1.85, 1.8, 0.9, "generated\nimage x", "#d9f2d0")
    _box(ax, 3.0, 0.3, 2.0, 4.0, "VGG19\n(fixed weights,\nthe same network\nfor all three)", "#eeeeee")
    _box(ax, 6.0, 3.1, 2.2, 1.2, f"content loss\nfeatures at {CONTENT_LAYERS[0]}", "#cfe8ff")
    _box(ax, 6.0, 0.3, 2.2, 1.4, f"style loss\nGram matrices at\n{STYLE_LAYERS[0]} … {STYLE_LAYERS[-1]}",
         "#ffe0c2")
    _box(ax, 9.0, 1.75, 1.8, 1.1, "total loss\nα L_c + β L_s", "#fff6b0")
    for y in (3.85, 2.3, 0.75):
        _arrow(ax, (2.0, y), (3.0, y))
    _arrow(ax, (5.0, 3.7), (6.0, 3.7))
    _arrow(ax, (5.0, 1.0), (6.0, 1.0))
    _arrow(ax, (5.0, 2.3), (6.0, 3.3))
    _arrow(ax, (5.0, 2.3), (6.0, 1.3))
    _arrow(ax, (8.2, 3.7), (9.0, 2.6))
    _arrow(ax, (8.2, 1.0), (9.0, 2.0))
    # the gradient's way back, under every box (a curve across the boxes hid their text)
    red = "#c0392b"
    ax.plot([9.9, 9.9, 0.0, 0.0], [1.75, -0.2, -0.2, 2.3], color=red, lw=2.2, ls="--")
    _arrow(ax, (0.0, 2.3), (0.2, 2.3), colour=red)
    ax.text(5.5, -0.35, "gradient ∂L/∂x: only the pixels of x change", color=red, ha="center",
            va="top", fontsize=MIN_FONT)
    fig.tight_layout()
    return fig


def vgg19_alt(size: int = 256) -> str:
    """Alt text of :func:`vgg19_figure` for an input of ``size`` x ``size``."""
    shapes = feature_shapes(size)
    blocks = "; ".join(f"block {b}: {sum(k.startswith(f'conv{b}_') for k in shapes)} convolutions of "
                       f"{shapes[f'conv{b}_1'][0]} channels at {shapes[f'conv{b}_1'][1]} px"
                       for b in range(1, 6))
    return (f"Diagram of VGG19's convolutional part for a {size} px image, five blocks each ended "
            f"by a pooling layer that halves the side: {blocks}. The style layers conv1_1 to "
            f"conv5_1 and the content layer conv4_2 are marked; the fully connected layers are dropped.")


def vgg19_figure(size: int = 256) -> plt.Figure:
    """VGG19's 16 convolutions in 5 blocks, with C x H x W from :func:`~nst_course.vgg.feature_shapes`;
    the style layers (orange) and the content layer (blue) marked."""
    shapes = feature_shapes(size)
    convs = [k for k in shapes if k.startswith("conv")]
    fig, ax = plt.subplots(figsize=(MAX_WIDTH, 5.0))
    ax.set(xlim=(-0.3, 0.75 * len(convs) + 5 * 0.85 + 0.5), ylim=(-0.5, 5.4)), ax.axis("off")
    x = 0.0
    for name, (c, h, _) in shapes.items():
        if name.startswith("pool"):
            bar = 2.6 * h / size * 2
            ax.add_patch(FancyBboxPatch((x, 0.6), 0.35, bar, boxstyle="square,pad=0",
                                        fc="#888888", ec="black"))
            ax.text(x + 0.17, 0.6 + bar + 0.08, name, ha="center", va="bottom", fontsize=MIN_FONT,
                    rotation=90)
            x += 0.85
            continue
        height = 0.4 + 2.6 * h / size           # side of the map: halves per block
        width = 0.25 + 0.45 * c / 512            # channels: 64 ... 512
        colour = "#ffb36b" if name in STYLE_LAYERS else "#7fb8f0" if name in CONTENT_LAYERS else "#dddddd"
        ax.add_patch(FancyBboxPatch((x, 0.6), width, height, boxstyle="square,pad=0", fc=colour, ec="black"))
        ax.text(x + width / 2, 0.6 + height + 0.08, name, ha="center", va="bottom", fontsize=MIN_FONT,
                rotation=90)
        if name.endswith("_1"):  # C and H x W of the block, on two lines to fit under it
            ax.text(x, 0.5, f"{c} ch\n{h}×{h}", va="top", fontsize=MIN_FONT)
        x += width + 0.12
    ax.text(0, 5.3, f"VGG19 for a {size}×{size} image (the fully connected layers are dropped)\n"
            "orange: style layers, blue: content layer, grey: pooling", va="top", fontsize=MIN_FONT)
    fig.tight_layout()
    return fig
