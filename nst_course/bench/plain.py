"""The plain reference ``nst-course bench`` measures against: a tutorial-style Gatys step
(NCHW float32, VGG19 as ``nn.Sequential`` cut after the last loss layer, out-of-place ReLU)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..config import CONTENT_LAYERS, STYLE_LAYERS
from ..vgg import LAYERS, load_vgg


class PlainNST:
    """The plain reference: what a tutorial writes (nn.Sequential, NCHW, L-BFGS)."""

    def __init__(self, content, style, style_weight: float = 10.0):
        vgg = load_vgg()
        last = max(LAYERS.index(n) for n in CONTENT_LAYERS + STYLE_LAYERS)
        mods, i = [nn.Conv2d(3, 3, 1)], 0
        mods[0].load_state_dict(vgg.preprocess.state_dict())
        self.names = {}
        for name in LAYERS[: last + 1]:
            if name.startswith("pool"):
                mods.append(nn.MaxPool2d(2))
            else:
                conv = nn.Conv2d(vgg.convs[i].in_channels, vgg.convs[i].out_channels, 3, padding=1)
                conv.load_state_dict({k: v.contiguous() for k, v in vgg.convs[i].state_dict().items()})
                mods += [conv, nn.ReLU()]
                i += 1
            self.names[len(mods) - 1] = name
        self.net = nn.Sequential(*mods).requires_grad_(False)
        self.style_weight = style_weight
        with torch.no_grad():
            self.p = self.features(content)["conv4_2"]
            self.a = {n: self.gram(f) for n, f in self.features(style).items() if n in STYLE_LAYERS}
        self.x = content.clone().requires_grad_(True)
        self.opt = torch.optim.LBFGS([self.x], max_iter=1, history_size=50,
                                     tolerance_grad=-1, tolerance_change=-1)

    def features(self, x):
        out = {}
        for k, m in enumerate(self.net):
            x = m(x)
            if k in self.names and self.names[k] in CONTENT_LAYERS + STYLE_LAYERS:
                out[self.names[k]] = x
        return out

    @staticmethod
    def gram(f):
        n, c, h, w = f.shape
        f = f.view(c, h * w)
        return f @ f.t() / (c * h * w)

    def loss(self):
        feats = self.features(self.x)
        content = F.mse_loss(feats["conv4_2"], self.p)
        style = sum(0.25 * (self.gram(feats[n]) - self.a[n]).pow(2).sum() for n in STYLE_LAYERS) / 5
        return content + self.style_weight * style, content, style

    def step(self):
        def closure():
            self.opt.zero_grad()
            total = self.loss()[0]
            total.backward()
            return total
        self.opt.step(closure)
        with torch.no_grad():
            self.x.clamp_(0, 1)
