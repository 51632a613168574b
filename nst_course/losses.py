"""Gram matrices and the losses of Gatys et al.

Shapes: a feature map ``F`` is ``(N, C, H, W)``; with ``M = H * W`` it is read
as ``N`` matrices of shape ``(C, M)``. Introduced in notebooks/02 (content loss)
and notebooks/03 (Gram matrix, style loss).

Conventions (the lessons compare them; see :data:`GRAM_NORMALISATIONS`):

* ``content_loss``: ``"mean"`` = ``1/(CHW) ||F - P||^2`` (seed 000; the same
  number at any image size) or ``"gatys"`` = ``1/2 sum (F - P)^2`` (the paper).
* ``gram_matrix``: ``G = F F^T`` divided by ``C*H*W`` (default), ``H*W``, or 1.
* ``style_loss`` per layer: Gatys' ``E_l = 1/(4 N^2 M^2) sum (G - A)^2`` with
  raw Gram matrices, which equals ``1/4 sum (G' - A')^2`` with ``G' = G/(CHW)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

#: divisor of F F^T for each normalisation name, given (C, H, W)
GRAM_NORMALISATIONS = {
    "chw": lambda c, h, w: c * h * w,  # seed 000; makes E_l size-independent
    "hw": lambda c, h, w: h * w,  # an average over positions
    "none": lambda c, h, w: 1,  # the raw inner products of the paper
}


def gram_matrix(features: torch.Tensor, normalize: str = "chw") -> torch.Tensor:
    """Channel-by-channel inner products of a feature map.

    Args:
        features: ``(N, C, H, W)`` (or ``(C, H, W)``).
        normalize: ``"chw"`` (divide by C*H*W), ``"hw"`` or ``"none"``.
    Returns:
        ``(N, C, C)`` (or ``(C, C)``), ``G[n, i, j] = sum_k F[n, i, k] F[n, j, k] / norm``.
    """
    squeeze = features.dim() == 3
    if squeeze:
        features = features.unsqueeze(0)
    n, c, h, w = features.shape
    f = features.reshape(n, c, h * w)
    gram = _Gram.apply(f) / GRAM_NORMALISATIONS[normalize](c, h, w)
    return gram[0] if squeeze else gram


_LOW = (torch.bfloat16, torch.float16)  # feature dtypes whose Gram matrix is taken in float32


class _Gram(torch.autograd.Function):
    """``G = F F^T`` for ``F`` of shape ``(N, C, M)``, with a one-matmul backward.

    Autograd's own backward of ``bmm(F, F^T)`` computes ``dG F`` and ``dG^T F``
    separately and adds them (two big products and a big sum). Since
    ``dL/dF = (dG + dG^T) F``, symmetrising the small ``C x C`` matrix first needs
    one product, and writing it as ``(F^T S)^T`` returns it in ``F``'s own memory
    layout (channels_last features stay channels_last). Same numbers, ~10 % of a step.

    Bfloat16 features (from a bfloat16 network) are multiplied in float32, a block
    of ``CHUNK`` positions at a time: ``G`` is float32 and no float32 copy of the
    whole map is kept (~0.4 GB less at 2048x2048). Their gradient is bfloat16.
    """

    CHUNK = 16384

    @staticmethod
    def _mm(a, b):
        """``b @ a`` for ``b`` (N, C, C) symmetric, in ``a``'s memory layout."""
        if a.stride(1) == 1:  # channels_last: a^T is the contiguous one
            return torch.bmm(a.transpose(1, 2), b).transpose(1, 2)
        return torch.bmm(b, a)

    @staticmethod
    def forward(ctx, f):
        ctx.save_for_backward(f)
        if f.dtype not in _LOW:
            return torch.bmm(f, f.transpose(1, 2))
        gram = f.new_zeros((f.shape[0], f.shape[1], f.shape[1]), dtype=torch.float32)
        for part in f.split(_Gram.CHUNK, dim=2):
            p = part.float()
            gram.baddbmm_(p, p.transpose(1, 2))
        return gram

    @staticmethod
    def backward(ctx, grad):
        (f,) = ctx.saved_tensors
        sym = grad + grad.transpose(1, 2)
        if f.dtype not in _LOW:
            return _Gram._mm(f, sym)  # (dG + dG^T) F, in F's layout
        out = torch.empty_like(f)
        for part, o in zip(f.split(_Gram.CHUNK, dim=2), out.split(_Gram.CHUNK, dim=2)):
            o.copy_(_Gram._mm(part.float(), sym))
        return out


def content_loss(features: torch.Tensor, target: torch.Tensor, form: str = "mean") -> torch.Tensor:
    """Squared distance between feature maps ``(N, C, H, W)``.

    ``form="mean"``: ``1/(NCHW) sum (F - P)^2``; ``form="gatys"``: ``1/2 sum (F - P)^2``.
    """
    diff2 = (features - target).pow(2)
    if form == "mean":
        return diff2.mean()
    if form == "gatys":
        return 0.5 * diff2.sum()
    raise ValueError(f"form must be 'mean' or 'gatys', not {form!r}")


def style_layer_loss(gram: torch.Tensor, target_gram: torch.Tensor) -> torch.Tensor:
    """Gatys' ``E_l`` for C*H*W-normalised Gram matrices ``(N, C, C)``: ``1/4 sum (G - A)^2``.

    Summed over the batch; with raw Gram matrices divide by ``(C*H*W)^2`` yourself.
    """
    return 0.25 * (gram - target_gram).pow(2).sum()


def style_loss(features: Mapping[str, torch.Tensor], target_grams: Mapping[str, torch.Tensor],
               layer_weights: Mapping[str, float] | Sequence[float] | None = None) -> torch.Tensor:
    """``L_style = sum_l w_l E_l`` over the layers in ``target_grams``.

    Args:
        features: ``{layer: (N, C, H, W)}`` of the generated image.
        target_grams: ``{layer: (N or 1, C, C)}`` C*H*W-normalised Gram targets.
        layer_weights: ``w_l`` per layer (mapping or sequence in the same order);
            default ``1 / number of layers`` each, as in the paper.
    """
    layers = list(target_grams)
    if layer_weights is None:
        weights = {name: 1.0 / len(layers) for name in layers}
    elif isinstance(layer_weights, Mapping):
        weights = dict(layer_weights)
    else:
        weights = dict(zip(layers, layer_weights, strict=True))
    total = features[layers[0]].new_zeros(())
    for name in layers:
        if weights.get(name, 0.0):
            total = total + weights[name] * style_layer_loss(gram_matrix(features[name]),
                                                             target_grams[name])
    return total


def total_variation_loss(img: torch.Tensor) -> torch.Tensor:
    """Mean squared difference between neighbouring pixels of ``(N, 3, H, W)``."""
    dh = (img[..., 1:, :] - img[..., :-1, :]).pow(2).mean()
    dw = (img[..., :, 1:] - img[..., :, :-1]).pow(2).mean()
    return dh + dw


def gatys_ratio(content_weight: float, style_weight: float, content_shape) -> float:
    """The paper's ``alpha/beta`` for our weights (mean content loss, E_l style loss).

    Our ``content_weight * mean`` equals ``(2 * content_weight / CHW) * (1/2 sum)``,
    so ``alpha = 2 * content_weight / (C*H*W)`` for ``content_shape = (C, H, W)``.
    """
    c, h, w = content_shape[-3:]
    return 2.0 * content_weight / (c * h * w) / style_weight


class Objective:
    """``L = content_weight * L_content + style_weight * L_style + tv_weight * L_tv``.

    The targets (content features, style Gram matrices) are computed once here;
    calling the objective on an image ``(1, 3, H, W)`` runs VGG19 once, only up to
    the deepest layer needed, and returns ``(total, parts)`` where ``parts`` has
    the unweighted ``content``, ``style``, ``tv`` and the weighted ``total``.

    Args:
        vgg: a :class:`~nst_course.vgg.VGG19`.
        content_img: ``(1, 3, H, W)`` or None (texture synthesis).
        style_imgs: one image ``(1, 3, H', W')``, a list of them, or None.
        style_blend: weights of the style images (default equal); the Gram
            targets are blended with them.
        style_layer_weights: ``w_l`` per style layer (default ``1/L``).
    """

    def __init__(self, vgg, content_img=None, style_imgs=None, *, content_layers=("conv4_2",),
                 style_layers=("conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1"),
                 content_weight: float = 1.0, style_weight: float = 1.0, tv_weight: float = 0.0,
                 style_layer_weights=None, style_blend=None, content_form: str = "mean"):
        self.vgg = vgg
        self.content_weight, self.style_weight, self.tv_weight = content_weight, style_weight, tv_weight
        self.content_form = content_form
        self.style_layer_weights = style_layer_weights
        self.content_layers = tuple(content_layers) if content_img is not None else ()
        self.style_layers = tuple(style_layers) if style_imgs is not None else ()
        with torch.no_grad():
            self.content_targets = ({k: v.float() for k, v in vgg(content_img, self.content_layers).items()}
                                    if self.content_layers else {})
            self.style_targets = {}
            if self.style_layers:
                imgs = style_imgs if isinstance(style_imgs, list | tuple) else [style_imgs]
                blend = style_blend if style_blend is not None else [1.0] * len(imgs)
                if len(blend) != len(imgs):
                    raise ValueError(f"{len(imgs)} style images but {len(blend)} blend weights")
                total = float(sum(blend))
                for img, b in zip(imgs, blend):
                    feats = vgg(img, self.style_layers)
                    for name in self.style_layers:
                        g = gram_matrix(feats[name]) * (b / total)
                        self.style_targets[name] = self.style_targets.get(name, 0) + g
        self.layers = tuple(dict.fromkeys(self.content_layers + self.style_layers))

    def __call__(self, img: torch.Tensor):
        feats = self.vgg(img, self.layers) if self.layers else {}
        zero = img.new_zeros(())
        lc = zero
        for name in self.content_layers:
            lc = lc + content_loss(feats[name], self.content_targets[name], self.content_form)
        ls = style_loss(feats, self.style_targets, self.style_layer_weights) if self.style_layers else zero
        ltv = total_variation_loss(img) if self.tv_weight else zero
        total = self.content_weight * lc + self.style_weight * ls + self.tv_weight * ltv
        return total, {"content": lc, "style": ls, "tv": ltv, "total": total}

    def __repr__(self) -> str:
        return (f"Objective(content={list(self.content_layers)} x {self.content_weight:g}, "
                f"style={list(self.style_layers)} x {self.style_weight:g}, tv x {self.tv_weight:g})")
