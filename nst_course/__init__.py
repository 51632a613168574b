"""nst-course: the support package of a notebook course on neural style transfer.

The names below are the contract the lessons and outside checks rely on. Each is imported
from its module the first time it is used (PEP 562), so ``nst-course`` on the command line
checks its arguments before it loads PyTorch (about 2 s): a refused command answers at once.
"""

from __future__ import annotations

from ._lazy import lazy_attributes

__version__ = "0.1.0"

#: each public name and the module that defines it
_WHERE = {
    "fast_mode": "config", "get_device": "config", "pick": "config", "seed_everything": "config",
    "ImageError": "images", "load_image": "images", "save_image": "images",
    "content_loss": "losses", "gram_matrix": "losses", "style_loss": "losses",
    "total_variation_loss": "losses",
    "Objective": "objective",
    "Result": "optimize", "Step": "optimize", "reconstruct": "optimize", "stylize": "optimize",
    "synthesize_texture": "optimize",
    "VGG19": "vgg", "load_vgg": "vgg",
    "WeightsError": "weights",
}
__all__ = sorted(_WHERE, key=lambda name: (not name[0].isupper(), name))


__getattr__, __dir__ = lazy_attributes(__name__, _WHERE, globals())
