"""nst-course: the support package of a notebook course on neural style transfer.

The names below are the contract the lessons and outside checks rely on.
"""

from .config import fast_mode, get_device, pick, seed_everything
from .images import ImageError, load_image, save_image
from .losses import content_loss, gram_matrix, style_loss, total_variation_loss
from .objective import Objective
from .optimize import Result, Step, reconstruct, stylize, synthesize_texture
from .vgg import VGG19, load_vgg
from .weights import WeightsError

__version__ = "0.1.0"
__all__ = [
    "VGG19", "ImageError", "Objective", "Result", "Step", "WeightsError", "content_loss",
    "fast_mode", "get_device", "gram_matrix", "load_image", "load_vgg", "pick", "reconstruct",
    "save_image", "seed_everything", "style_loss", "stylize", "synthesize_texture",
    "total_variation_loss",
]
