"""Export a :class:`~nst_course.feedforward.StyleNet` to ONNX, to run it outside PyTorch.

The exported graph is what the course site's "Try it" page runs in the browser with
onnxruntime-web (tools/try_page.py), and what ``nst-course export NET.pt -o NET.onnx`` writes.
Its interface::

    inputs:  photo (1, 3, H, W) float32 in [0, 1]; H and W free, each a multiple of 4, >= 16
             style (1, S)       float32 weights >= 0, not all 0 (divided by their sum inside)
    output:  image (1, 3, H, W) float32 in [0, 1]

PyTorch's network pads a photo to a multiple of 4 itself (two stride-2 convolutions, two x2
upsamplings); the graph leaves that to the caller (:func:`fit_multiple_of_4` crops, the page
does the same), so it has no shape-dependent branches. The style names travel in the model's
metadata (``metadata_props["nst_course_styles"]``, a JSON list).

Exporter: ``torch.onnx.export(..., dynamo=True)`` (torch.export, the default since torch 2.9;
it needs the ``onnxscript`` package). It writes ``InstanceNormalization`` for the instance
norms, ``Pad(mode="reflect")`` for the padding, and sides ``4*h`` and ``4*w`` for symbolic
``h``, ``w``: the multiple of 4 is part of the graph's declared shape. With
``external_data=False`` the weights stay inside the one file the browser fetches. The older
TorchScript exporter (``dynamo=False``) also gives a matching graph, but warns that it "will
be removed" and adds Cast/Slice/Concat ops around every instance norm.
"""

from __future__ import annotations

import contextlib
import io
import json
import warnings
from pathlib import Path

import torch
from torch import nn

from .feedforward import StyleNet, load_net

#: the ONNX operator set written (onnxruntime-web 1.2x runs it)
OPSET = 18
#: sides the graph accepts: reflection padding needs more pixels than it pads (at quarter size)
MIN_SIDE, MAX_SIDE = 16, 4096
METADATA_KEY = "nst_course_styles"


class ExportError(ValueError):
    """A network that cannot be exported, or an output that cannot be written; one sentence."""


class _Graph(nn.Module):
    """``StyleNet.forward`` without its Python checks and padding: what goes into the graph."""

    def __init__(self, net: StyleNet):
        super().__init__()
        self.net = net

    def forward(self, photo: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        s = style / style.sum(-1, keepdim=True)  # (1, S)
        x = photo
        for block in (*self.net.down, *self.net.res, *self.net.up):
            x = block(x, s)
        return torch.sigmoid(self.net.out(x))


@contextlib.contextmanager
def _quiet():
    """Silence the exporter's progress lines on stdout (``[torch.onnx] Run decompositions...``)."""
    with contextlib.redirect_stdout(io.StringIO()):
        yield


def fit_multiple_of_4(photo: torch.Tensor) -> torch.Tensor:
    """Crop ``(N, 3, H, W)`` to the largest multiple of 4 in each side (at most 3 pixels lost)."""
    h, w = photo.shape[-2:]
    return photo[..., : h - h % 4, : w - w % 4]


def export_net(net: StyleNet, path, overwrite: bool = False) -> Path:
    """Write ``net`` as ONNX to ``path`` (see the module docstring for its inputs); returns the path.

    Written atomically: an interrupted export never leaves a half file; an existing file is
    replaced only with ``overwrite``.
    """
    import onnx

    from .files import write_atomic

    path = Path(path)
    if path.suffix.lower() != ".onnx":
        raise ExportError(f"{path}: name the exported file with .onnx "
                          f"(e.g. {path.with_suffix('.onnx').name}).")
    net = net.cpu().eval()
    graph = _Graph(net).eval()
    s = len(net.styles)
    example = (torch.rand(1, 3, 64, 64), torch.full((1, s), 1.0 / s))

    def write(tmp):
        h = torch.export.Dim("h", min=MIN_SIDE // 4, max=MAX_SIDE // 4)
        w = torch.export.Dim("w", min=MIN_SIDE // 4, max=MAX_SIDE // 4)
        with warnings.catch_warnings(), torch.no_grad(), _quiet():
            warnings.simplefilter("ignore")  # the exporter's notes, not the learner's
            torch.onnx.export(graph, example, str(tmp), input_names=["photo", "style"],
                              output_names=["image"], opset_version=OPSET, dynamo=True,
                              external_data=False, verbose=False,
                              dynamic_shapes={"photo": {2: 4 * h, 3: 4 * w}, "style": None})
        model = onnx.load(str(tmp))
        onnx.helper.set_model_props(model, {METADATA_KEY: json.dumps(net.styles),
                                            "nst_course_width": str(net.width)})
        model.doc_string = (f"nst-course StyleNet for {', '.join(net.styles)}: photo (1,3,H,W) in [0,1], "
                            f"H and W multiples of 4; style (1,{s}) weights")
        onnx.checker.check_model(model)
        onnx.save(model, str(tmp))

    try:
        return write_atomic(path, write, overwrite=overwrite)
    except FileExistsError:
        raise ExportError(f"{path} already exists; choose another name or pass --force.") from None


def export_file(net_path, onnx_path, overwrite: bool = False) -> Path:
    """``nst-course export``: load a ``.pt`` from ``nst-course train`` and export it."""
    net_path, onnx_path = Path(net_path), Path(onnx_path)
    if onnx_path.suffix.lower() != ".onnx":
        raise ExportError(f"{onnx_path}: name the exported file with .onnx "
                          f"(e.g. {onnx_path.with_suffix('.onnx').name}).")
    if onnx_path.exists() and not overwrite:
        raise ExportError(f"{onnx_path} already exists; choose another name or pass --force.")
    return export_net(load_net(net_path), onnx_path, overwrite=overwrite)


def onnx_styles(path) -> list[str]:
    """The style names stored in an exported file's metadata."""
    import onnx

    props = {p.key: p.value for p in onnx.load(str(path), load_external_data=False).metadata_props}
    return json.loads(props[METADATA_KEY])


def run_onnx(path, photo: torch.Tensor, style, threads: int = 1) -> torch.Tensor:
    """Run an exported file in onnxruntime: ``photo`` ``(1, 3, H, W)`` (sides multiples of 4),
    ``style`` a list of ``S`` weights. Returns ``(1, 3, H, W)`` float32 in [0, 1]."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    style = torch.as_tensor(style, dtype=torch.float32).reshape(1, -1)
    (out,) = session.run(["image"], {"photo": photo.float().numpy(), "style": style.numpy()})
    return torch.from_numpy(out)
