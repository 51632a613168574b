"""A feed-forward style network (Johnson et al.) for one or several styles (Dumoulin et al.).

Gatys et al. optimise the pixels of every new photo; Johnson, Alahi & Fei-Fei (ECCV 2016)
train an *image transformation network* once, with the same perceptual loss, over many
photos; afterwards one forward pass stylises a photo. Its shape (all convolutions with
reflection padding, each followed by instance normalisation and a ReLU)::

    (N, 3, H, W)      9x9 conv, stride 1            -> (N, w, H, W)
                      3x3 conv, stride 2            -> (N, 2w, H/2, W/2)
                      3x3 conv, stride 2            -> (N, 4w, H/4, W/4)
                      residual blocks (two 3x3 convs each, same shape)
                      nearest upsample x2 + 3x3 conv -> (N, 2w, H/2, W/2)
                      nearest upsample x2 + 3x3 conv -> (N, w, H, W)
                      9x9 conv, then a sigmoid      -> (N, 3, H, W) in [0, 1]

``width`` is ``w`` (Johnson et al.: 32). Upsampling + convolution instead of a transposed
convolution avoids checkerboard artefacts (Odena et al., 2016).

**Several styles in one network** (Dumoulin, Shlens & Kudlur, ICLR 2017): every instance
norm has a scale ``gamma`` and shift ``beta`` *per style*; all convolutions are shared. A
style vector ``s`` of weights (one per style) picks ``gamma = s @ gammas`` and
``beta = s @ betas``: ``[1, 0]`` is style 0, ``[0.2, 0.8]`` a mix (the "mix style
transfer" vector of Visalpara's tutorial, after Yanai). Introduced in
notebooks/09_train_a_fast_network.ipynb; training is in :mod:`nst_course.training`.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from .config import get_dtype

#: version of the file format written by :func:`save_net`
FORMAT = 1


class ConditionalInstanceNorm(nn.Module):
    """Instance normalisation with one ``(gamma, beta)`` pair per style, mixed by a style vector.

    ``forward(x, style)``: ``x`` ``(N, C, H, W)``, ``style`` ``(N, S)`` weights summing to 1.
    Each channel of each image is normalised to mean 0 and std 1 over its H*W positions, then
    scaled by ``style @ gamma`` ``(N, C)`` and shifted by ``style @ beta``.
    """

    def __init__(self, channels: int, num_styles: int):
        super().__init__()
        self.norm = nn.InstanceNorm2d(channels, affine=False)
        self.gamma = nn.Parameter(torch.ones(num_styles, channels))  # (S, C)
        self.beta = nn.Parameter(torch.zeros(num_styles, channels))

    def forward(self, x: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        gamma = (style @ self.gamma)[:, :, None, None]  # (N, C, 1, 1)
        beta = (style @ self.beta)[:, :, None, None]
        return self.norm(x) * gamma + beta


class ConvBlock(nn.Module):
    """(optional nearest upsampling) -> reflection-padded conv -> conditional instance norm
    -> ReLU (``relu=False``: no ReLU, the second conv of a residual block)."""

    def __init__(self, cin: int, cout: int, kernel: int, num_styles: int, stride: int = 1,
                 upsample: bool = False, relu: bool = True):
        super().__init__()
        self.upsample, self.relu = upsample, relu
        self.conv = nn.Conv2d(cin, cout, kernel, stride, padding=kernel // 2, padding_mode="reflect")
        self.norm = ConditionalInstanceNorm(cout, num_styles)

    def forward(self, x: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        if self.upsample:
            x = F.interpolate(x, scale_factor=2, mode="nearest")
        x = self.norm(self.conv(x), style)
        return F.relu(x) if self.relu else x


class ResidualBlock(nn.Module):
    """``x + norm(conv(relu(norm(conv(x)))))``: learns a change of ``x``, same shape."""

    def __init__(self, channels: int, num_styles: int):
        super().__init__()
        self.a = ConvBlock(channels, channels, 3, num_styles)
        self.b = ConvBlock(channels, channels, 3, num_styles, relu=False)

    def forward(self, x: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        return x + self.b(self.a(x, style), style)


class StyleNet(nn.Module):
    """Johnson et al.'s image transformation network with conditional instance norm.

    Args:
        styles: names of the styles it is (to be) trained for; their number ``S`` sets the
            size of the style vector.
        width: channels of the first layer ``w`` (then ``2w``, ``4w``); Johnson et al. use 32;
            the parameters grow like ``w**2``, so 16 or 8 train and run faster on a CPU.
        residual_blocks: number of residual blocks at quarter resolution (Johnson et al.: 5).

    ``net(photo, style=None)``: ``photo`` ``(N, 3, H, W)`` in [0, 1], any H and W;
    ``style``: an index, a list of ``S`` weights, or a tensor ``(S,)`` / ``(N, S)``
    (default: style 0). Returns ``(N, 3, H, W)`` in [0, 1].
    """

    def __init__(self, styles=("style",), width: int = 16, residual_blocks: int = 5):
        super().__init__()
        if isinstance(styles, str):
            styles = [styles]
        if not styles or width < 1 or residual_blocks < 0:
            raise ValueError("StyleNet needs at least one style, width >= 1, residual_blocks >= 0")
        self.styles, self.width, self.residual_blocks = list(styles), int(width), int(residual_blocks)
        s, w = len(self.styles), self.width
        self.down = nn.ModuleList([ConvBlock(3, w, 9, s), ConvBlock(w, 2 * w, 3, s, stride=2),
                                   ConvBlock(2 * w, 4 * w, 3, s, stride=2)])
        self.res = nn.ModuleList([ResidualBlock(4 * w, s) for _ in range(residual_blocks)])
        self.up = nn.ModuleList([ConvBlock(4 * w, 2 * w, 3, s, upsample=True),
                                 ConvBlock(2 * w, w, 3, s, upsample=True)])
        self.out = nn.Conv2d(w, 3, 9, padding=4, padding_mode="reflect")

    @property
    def config(self) -> dict:
        """What :func:`load_net` needs to rebuild the network."""
        return {"styles": self.styles, "width": self.width, "residual_blocks": self.residual_blocks}

    def style_vector(self, style=None, batch: int = 1) -> torch.Tensor:
        """``(batch, S)`` weights from an index, a name, a list of weights or a tensor.

        Weights are divided by their sum, so ``[2, 2]`` is the same mix as ``[0.5, 0.5]``.
        """
        n = len(self.styles)
        if style is None:
            style = 0
        if isinstance(style, str):
            if style not in self.styles:
                raise ValueError(f"unknown style {style!r}; this network knows {', '.join(self.styles)}")
            style = self.styles.index(style)
        if isinstance(style, int):
            if not 0 <= style < n:
                raise ValueError(f"style index {style} out of range: this network has {n} style(s)")
            vec = F.one_hot(torch.tensor(style), n).float()
        else:
            vec = torch.as_tensor(style, dtype=torch.float32)
        vec = vec.to(self.out.weight.device)
        if vec.shape[-1] != n or vec.dim() > 2:
            raise ValueError(f"a style vector needs {n} weight(s) (one per style: "
                             f"{', '.join(self.styles)}), got shape {tuple(vec.shape)}")
        total = vec.sum(-1, keepdim=True)
        if not torch.isfinite(vec).all() or (vec < 0).any() or (total <= 0).any():
            raise ValueError(f"style weights must be finite, >= 0 and not all 0, got {vec.tolist()}")
        return (vec / total).expand(batch, n) if vec.dim() == 1 else vec / total

    def forward(self, photo: torch.Tensor, style=None) -> torch.Tensor:
        n, _, h, w = photo.shape
        s = self.style_vector(style, n)
        # two stride-2 convs and two x2 upsamplings: pad to a multiple of 4, crop back after
        x = F.pad(photo, (0, -w % 4, 0, -h % 4), mode="reflect") if (h % 4 or w % 4) else photo
        for block in self.down:
            x = block(x, s)
        for block in self.res:
            x = block(x, s)
        for block in self.up:
            x = block(x, s)
        return torch.sigmoid(self.out(x))[..., :h, :w]

    def extra_repr(self) -> str:
        return f"styles={self.styles}, width={self.width}, parameters={count_parameters(self):,}"


def count_parameters(net: nn.Module) -> int:
    """Number of trainable numbers in ``net``."""
    return sum(p.numel() for p in net.parameters() if p.requires_grad)


@torch.no_grad()
def apply_net(net: StyleNet, photo: torch.Tensor, style=None, precision: str = "auto") -> torch.Tensor:
    """Stylise ``photo`` ``(N, 3, H, W)`` in [0, 1] with ``style`` (see :class:`StyleNet`),
    in evaluation mode and without gradients. Returns float32 ``(N, 3, H, W)`` in [0, 1].

    ``precision="auto"`` runs the convolutions in bfloat16 where the processor computes it
    natively (:func:`nst_course.config.get_dtype`): about 2x faster on such CPUs, pixels
    within ~0.02 of float32's. ``"float32"`` or ``"bfloat16"`` choose.
    """
    device = net.out.weight.device
    fast = get_dtype(precision, device) == torch.bfloat16
    was_training = net.training
    net.eval()
    try:
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=fast):
            return net(photo.to(device), style).float()
    finally:
        net.train(was_training)


class NetFileError(ValueError):
    """A file that is not a network saved by :func:`save_net`; the message says which."""


def save_net(net: StyleNet, path, extra: dict | None = None, overwrite: bool = True) -> Path:
    """Write ``{"format", "config", "state_dict", "extra"}`` to ``path``, atomically
    (:func:`nst_course.files.write_atomic`: an interrupted save never leaves a damaged file;
    without ``overwrite`` an existing file is never replaced)."""
    from .files import write_atomic

    state = {k: v.detach().cpu() for k, v in net.state_dict().items()}
    data = {"format": FORMAT, "config": net.config, "state_dict": state, "extra": extra or {}}
    return write_atomic(path, lambda tmp: _torch_save(data, tmp), overwrite=overwrite)


def _torch_save(data, path) -> None:
    """``torch.save``, whose failed writes (a full disk) come as RuntimeError: an OSError here,
    so callers fall back to another name (:func:`nst_course.files.save_or_fallback`)."""
    import errno
    import shutil

    try:
        torch.save(data, path)
    except RuntimeError as e:
        try:
            full = shutil.disk_usage(Path(path).parent).free < 64 << 20
        except OSError:
            full = False
        if full:
            raise OSError(errno.ENOSPC, "No space left on device", str(path)) from None
        raise OSError(errno.EIO, "the write failed part way: is the disk full, or is there a "
                      "file-size limit?", str(path)) from e


def load_net(path, device=None) -> StyleNet:
    """Rebuild a :class:`StyleNet` saved by :func:`save_net` (on ``device``, default CPU).

    The saved ``extra`` dict (training settings, losses) is kept as ``net.extra``.
    """
    path = Path(path)
    if not path.exists():
        raise NetFileError(f"{path}: no such file; train one with `nst-course train STYLE -o {path.name}`.")
    if not path.is_file():  # a folder, or a pipe that would wait forever
        raise NetFileError(f"{path} is not a regular file; give the .pt file `nst-course train` wrote.")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise KeyError("format")
        net = StyleNet(**data["config"])
        net.load_state_dict(data["state_dict"])
    except Exception as e:
        raise NetFileError(f"{path} is not a style network saved by nst-course ({type(e).__name__}); "
                           "train one with `nst-course train`.") from None
    net.extra = data.get("extra", {})
    return net.to(device or "cpu").eval()


#: the network that ships with the package (nst_course/models/), for the site's "Try it" page
#: and for anyone without time to train; how it was made is in :func:`bundled_network`
BUNDLED_NET = Path(__file__).with_name("models") / "fast_net.pt"
BUNDLED_SHA256 = "14db76d4f18e99845f1e788394b8b059ac64384007eb33edfa1fc81a5c7f8e3b"


def bundled_network(device=None) -> tuple[StyleNet, list[str]]:
    """The small two-style network shipped in the package: ``(net, style_names)``.

    Made on a shared 2-core CPU (so its quality is that of a few minutes' training) with::

        cp the_great_wave.jpg great_wave.jpg   # the two paintings at full size: the style names are the stems
        nice -n 10 nst-course train starry_night.jpg,great_wave.jpg --width 8 --minutes 8 -o fast_net.pt

    (490 steps of 4 crops of 128 px in 8 minutes; 109,571 parameters, 0.46 MB; styles
    ``starry_night`` and ``great_wave``; trained on :data:`~nst_course.training.TRAIN_PHOTOS`,
    so ``chelsea`` and ``grace_hopper`` are photos it never saw.)

    ``net(photo, [0.5, 0.5])`` mixes the two styles. The file's SHA-256 is
    :data:`BUNDLED_SHA256`; a changed or missing file raises :class:`NetFileError`.
    """
    from .files import sha256_file

    if not BUNDLED_NET.is_file():
        raise NetFileError(f"{BUNDLED_NET}: the bundled network is missing; reinstall nst-course.")
    digest = sha256_file(BUNDLED_NET)
    if digest != BUNDLED_SHA256:
        raise NetFileError(f"{BUNDLED_NET} is damaged (SHA-256 {digest[:12]}..., expected "
                           f"{BUNDLED_SHA256[:12]}...); reinstall nst-course.")
    net = load_net(BUNDLED_NET, device)
    return net, list(net.styles)
