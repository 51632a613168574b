"""Time to quality, small and quick: other coordinates and other L-BFGS settings against the loop.

    python tools/coordinates_probe.py                          # 256 px, 150 steps, 6-25 min
    python tools/coordinates_probe.py --size 64 --steps 10 --variants pixels pyramid3

Issue 25's goal is a picture as good as 300 single-scale steps in a third of their time. The
sweep (``nst-course bench --sweep``) measures whole schedules on several pairs and weights, over
an hour at 512 px on a 2-core CPU; this probe asks a smaller question first: on one pair and one
style weight, does a change of the optimiser's coordinates or settings make L-BFGS converge much
faster per step? (256 px: 6 minutes with native bfloat16, 25 without; 512 px and 300 steps:
about 4.5 minutes a variant with it.) Every variant runs the same objective (``Objective``, the
precision ``stylize`` uses) from the photo for ``--steps`` steps, one loss evaluation per step
except ``wolfe``; every ``--every`` steps the clamped image is measured in float32 (outside the
clock). Printed: a markdown table, each variant's total loss over the plain loop's final one
after 30, 50 and 100 steps and at the end, the first measured step within 5 % of it, and the
seconds.

The variants (``VARIANTS``): ``pixels`` (lesson 05's loop: L-BFGS on the pixels, clamp after each
step), ``history100`` (100 pairs, not 50), ``lr1.5`` (steps 1.5x longer), ``wolfe`` (torch's
strong-Wolfe line search, several evaluations a step; the table says how many), ``noclamp``
(no clamp during the run), ``bounds`` (a poor man's L-BFGS-B: the gradient of a pixel at 0 or 1
pointing out is zeroed, and the curvature pair records the step actually taken after the
clamp), ``sigmoid`` (the image as ``sigmoid(u)``: no clamp needed), ``fourier1`` /
``fourier0.5`` (the image's 2-D Fourier coefficients scaled by ``1 / f^decay``, the
parameterisation of feature visualisation),
``pyramid3`` / ``pyramid4`` (:class:`nst_course.pyramid.Pyramid`, ``stylize(schedule="pyramid")``;
``pyramid4r1.4``: four levels, each weighted 1.4x the next finer one's, not 0.7x; ``pyramid4b``:
four levels with ``bounds``' treatment of the clamp, the pixels' gradient masked before the
levels get it; ``pyramid4c``: four levels in the start's decorrelated colours), ``colour``
(the pixels in those colours, :class:`Colour`), and ``lbfgsb`` (SciPy's L-BFGS-B: real bounds
and its own line search, :func:`run_lbfgsb`).
``--starts photo adain adain0.5 net half40:adain0.5`` runs every variant from each start
(:func:`start_image`: AdaIN's picture, at full or half strength, the bundled fast network's, or
40 steps of ``pyramid3`` at half the size from one of those; its seconds counted),
the reference always from the photo.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from nst_course.adain import adain_stylize
from nst_course.feedforward import apply_net, bundled_network
from nst_course.images import load_image, resize, save_image
from nst_course.loop import lbfgs_history
from nst_course.objective import Objective
from nst_course.pyramid import Pyramid
from nst_course.vgg import load_vgg

VARIANTS = ("pixels", "history100", "lr1.5", "wolfe", "noclamp", "bounds", "sigmoid",
            "fourier1", "fourier0.5", "pyramid3", "pyramid4", "colour", "lbfgsb")
#: "as good": a float32 total loss at most this times the plain loop's final one
QUALITY = 1.05
#: ``wolfe``: the line search's evaluations a step at most (torch's own default, max_ls=25)
WOLFE_EVALS = 25


class Pixels:
    """The pixels ``(1, 3, H, W)`` themselves (lesson 05's loop)."""

    def __init__(self, start: torch.Tensor):
        self.levels = [start.detach().clone().requires_grad_(True)]

    def image(self) -> torch.Tensor:
        return self.levels[0]

    @torch.no_grad()
    def clamp_(self, lo: float, hi: float):
        self.levels[0].clamp_(lo, hi)
        return self


class Sigmoid(Pixels):
    """``image = sigmoid(u)``: always within (0, 1), so nothing to clamp."""

    def __init__(self, start: torch.Tensor):
        self.levels = [torch.logit(start.detach().clamp(1e-3, 1 - 1e-3)).requires_grad_(True)]

    def image(self) -> torch.Tensor:
        return torch.sigmoid(self.levels[0])

    def clamp_(self, lo: float, hi: float):
        return self


class Fourier(Pixels):
    """``image = irfft2(scale * Z)``, ``scale = f^-decay`` (mean 1; ``f`` the spatial
    frequency, at least one cycle per image): a step of a low frequency moves a whole region.
    ``Z`` starts as the photo's coefficients, so the first image is the photo."""

    def __init__(self, start: torch.Tensor, decay: float):
        h, w = start.shape[-2:]
        f = torch.sqrt(torch.fft.fftfreq(h)[:, None] ** 2 + torch.fft.rfftfreq(w)[None, :] ** 2)
        scale = f.clamp_min(1.0 / max(h, w)) ** -decay
        self.scale, self.shape = scale / scale.mean(), (h, w)
        z = torch.fft.rfft2(start.detach(), norm="ortho") / self.scale
        self.levels = [torch.view_as_real(z).contiguous().requires_grad_(True)]

    def image(self) -> torch.Tensor:
        z = torch.view_as_complex(self.levels[0]) * self.scale
        return torch.fft.irfft2(z, s=self.shape, norm="ortho")

    @torch.no_grad()
    def clamp_(self, lo: float, hi: float):
        x = self.image()  # the clamp's change, in the coefficients (the transform is linear)
        dz = torch.fft.rfft2(x.clamp(lo, hi) - x, norm="ortho") / self.scale
        self.levels[0].add_(torch.view_as_real(dz))
        return self


class Colour:
    """``image = m + C y``: the optimiser's coordinates ``y`` (pixels or a pyramid's levels) in
    the start's decorrelated colours, ``C`` the square root of the start's 3x3 colour
    covariance (scaled to determinant 1), ``m`` its mean colour. A preconditioner: L-BFGS's
    first steps (its initial Hessian a multiple of the identity in ``y``) move the image's
    colours along its own main colour axes, more along the wide ones (e.g. brightness), as
    feature visualisation decorrelates ImageNet's colours. The first image is the start."""

    def __init__(self, inner, start: torch.Tensor):
        pixels = start.detach().reshape(3, -1)
        cov = torch.cov(pixels) + 1e-4 * torch.eye(3)
        values, vectors = torch.linalg.eigh(cov)
        c = vectors @ torch.diag(values.sqrt()) @ vectors.T
        self.C = c / torch.linalg.det(c) ** (1 / 3)
        self.Cinv = torch.linalg.inv(self.C)
        self.m = pixels.mean(1).view(1, 3, 1, 1)
        self.inner = inner(self._mix(self.Cinv, start.detach() - self.m))
        self.levels = self.inner.levels

    @staticmethod
    def _mix(matrix: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return torch.einsum("ij,bjhw->bihw", matrix, t)

    def image(self) -> torch.Tensor:
        return self.m + self._mix(self.C, self.inner.image())

    @torch.no_grad()
    def clamp_(self, lo: float, hi: float):
        x = self.image()  # the clamp's change, in y, into the finest level (all levels add)
        self.levels[0].add_(self._mix(self.Cinv, x.clamp(lo, hi) - x))
        return self


PYRAMID = re.compile(r"pyramid([1-9][0-9]*)(?:r([0-9]+(?:\.[0-9]+)?))?(b?)(c?)")


def variant_name(name: str) -> str:
    """``name`` if it is a variant: one of ``VARIANTS``, or a pyramid of L levels with its own
    level weight ratio, bounds and colours, ``pyramidL[rR][b][c]`` (e.g. ``pyramid4r1.4``: four
    levels, ``r = 1.4``, the default ``pyramid.RATIO`` being 0.7; ``pyramid4b``: four levels
    with ``bounds``' treatment of the clamp; ``pyramid4c``: in the start's decorrelated colours,
    :class:`Colour`); else an argparse error naming them."""
    if name in VARIANTS or PYRAMID.fullmatch(name):
        return name
    raise argparse.ArgumentTypeError(
        f"unknown variant {name!r}; choose from {', '.join(VARIANTS)} or pyramidLrRbc "
        "(e.g. pyramid4r1.4, pyramid4b, pyramid4c)")


def bounded(variant: str) -> bool:
    """Whether ``variant`` treats the clamp as ``bounds`` does (``bounds``, ``pyramid...b``)."""
    return variant == "bounds" or variant.startswith("pyramid") and bool(PYRAMID.fullmatch(variant)[3])


def coordinates(variant: str, start: torch.Tensor):
    """The optimiser's coordinates for ``variant``."""
    if variant.startswith("fourier"):
        return Fourier(start, float(variant[len("fourier"):]))
    if variant.startswith("pyramid"):
        levels, ratio, _, colour = PYRAMID.fullmatch(variant).groups()
        def pyramid(image):
            return Pyramid(image, int(levels), float(ratio)) if ratio else Pyramid(image, int(levels))
        return Colour(pyramid, start) if colour else pyramid(start)
    if variant == "colour":
        return Colour(Pixels, start)
    return Sigmoid(start) if variant == "sigmoid" else Pixels(start)


def start_image(name: str, content: torch.Tensor, style: torch.Tensor,
                style_name: str | None = None, style_weight: float = 1000.0) -> tuple[torch.Tensor, float]:
    """The start ``(1, 3, H, W)`` called ``name`` and the seconds it took: ``"photo"`` (the
    content), ``"adain"`` / ``"adainA"`` (AdaIN's picture with ``alpha=A``, 1 by default, at
    the content's size; about one step's conv FLOPs), ``"net"`` (the bundled fast network's
    picture, lesson 09; only for a style it was trained on, named ``style_name``), or
    ``"halfN:START"`` (more coarse steps: ``N`` steps of ``pyramid3`` at half the size, content
    and style halved, from ``START`` at that size, then upsampled; the seconds include them)."""
    if name == "photo":
        return content, 0.0
    if name.startswith("half"):
        n, _, base = name[len("half"):].partition(":")
        if not n.isdigit() or base.startswith("half"):
            raise SystemExit(f"unknown start {name!r}; a coarse start is halfN:START, e.g. half40:adain0.5")
        small = [resize(t, max(t.shape[-2:]) // 2) for t in (content, style)]
        begin, seconds = start_image(base or "photo", *small, style_name)
        objective = Objective(load_vgg("gatys", precision="auto"), *small, style_weight=style_weight)
        t0 = time.perf_counter()
        _, picture = run("pyramid3", objective, None, begin, int(n), int(n) or 1)
        seconds += time.perf_counter() - t0
        up = F.interpolate(picture, size=content.shape[-2:], mode="bilinear", align_corners=False)
        return up.clamp(0, 1), seconds
    if name == "net":
        net, styles = bundled_network()
        stem = Path(style_name or "").stem
        if stem not in styles:
            raise SystemExit(f"start 'net': the bundled network knows {', '.join(styles)}, not "
                             f"{style_name!r}; e.g. --pair astronaut:{styles[0]}")
        t0 = time.perf_counter()
        img = apply_net(net, content, stem)
        return img.clamp(0, 1), time.perf_counter() - t0
    try:
        alpha = float(name[len("adain"):] or 1) if name.startswith("adain") else None
    except ValueError:
        alpha = None
    if alpha is None or not 0 <= alpha <= 1:
        raise SystemExit(f"unknown start {name!r}; choose photo, net, adain, adainALPHA (e.g. adain0.5) "
                         "or halfN:START (e.g. half40:adain0.5)")
    r = adain_stylize(content, style, alpha=alpha)
    img = F.interpolate(r.image, size=content.shape[-2:], mode="bilinear", align_corners=False)
    return img.clamp(0, 1), r.seconds


def flat(params) -> torch.Tensor:
    """All of ``params`` as one vector, in the order torch's LBFGS flattens them."""
    return torch.cat([p.detach().reshape(-1) for p in params])


def run(variant: str, objective, exact, start: torch.Tensor, steps: int, every: int,
        seconds: float = 0.0):
    """``[(step, seconds, float32 total, content, style, evaluations), ...]`` every ``every``
    steps (0 first; ``seconds`` counts from the given start's cost; ``evaluations``: of the
    objective so far, one a step but for ``wolfe``; none if ``exact`` is None), and the last
    image ``(1, 3, H, W)``, clamped."""
    try:
        variant_name(variant)
    except argparse.ArgumentTypeError as e:
        raise SystemExit(str(e)) from None
    if variant == "lbfgsb":
        return run_lbfgsb(objective, exact, start, steps, every, seconds)
    x = coordinates(variant, start)
    params = x.levels
    history = 100 if variant == "history100" else lbfgs_history(
        sum(p.numel() * p.element_size() for p in params))
    # max_eval: torch's default is max_iter * 5 // 4, 1 here, which leaves the line search
    # none of its own (max_ls = max_eval - 1 = 0): it then tries the first step length once and
    # keeps it or, if the loss rose, returns a step of 0, so the image stops moving for good.
    wolfe = variant == "wolfe"
    opt = torch.optim.LBFGS(params, lr=1.5 if variant == "lr1.5" else 1.0, max_iter=1,
                            max_eval=1 + WOLFE_EVALS if wolfe else None,
                            history_size=history, tolerance_grad=-1, tolerance_change=-1,
                            line_search_fn="strong_wolfe" if wolfe else None)
    evaluations = 0

    def closure():
        nonlocal evaluations
        evaluations += 1
        opt.zero_grad()
        image = x.image()
        if bounded(variant):
            # A pixel at a bound whose descent points out stays there: the image's gradient is
            # masked (before a pyramid sums it into its levels) by a hook on a view, as a hook
            # on the pixels' own leaf tensor would stay for every later step. A pyramid's
            # clamped pixel, recomputed from its levels, can come back a rounding error inside
            # the bounds, so there "at a bound" means within 1e-6 of it.
            image, eps = image.view_as(image), 1e-6 if variant.startswith("pyramid") else 0.0
            p = image.detach()
            image.register_hook(
                lambda g: g.masked_fill(((p <= eps) & (g > 0)) | ((p >= 1 - eps) & (g < 0)), 0.0))
        total, _ = objective(image)
        total.backward()
        return total

    checks = []

    def check(step):
        if exact is None:
            return
        with torch.no_grad():
            _, parts = exact(x.image().clamp(0, 1))
        checks.append((step, round(seconds, 2), *(parts[k].item() for k in ("total", "content", "style")),
                       evaluations))

    check(0)
    for step in range(1, steps + 1):
        t = time.perf_counter()
        before = flat(params).clone() if bounded(variant) else None
        opt.step(closure)
        if variant != "noclamp":
            x.clamp_(0, 1)
        if before is not None:  # the pair L-BFGS stores next: the step taken, after the clamp
            # (torch's LBFGS forms that step as s = d * t from its state at the next opt.step;
            # d is all the parameters flattened, kept with the first one's state)
            state = opt.state[params[0]]
            state["d"] = (flat(params) - before) / state["t"]
        seconds += time.perf_counter() - t
        if step % every == 0 or step == steps:
            check(step)
    return checks, x.image().detach().clamp(0, 1)


def run_lbfgsb(objective, exact, start: torch.Tensor, steps: int, every: int, seconds: float = 0.0):
    """:func:`run` for ``lbfgsb``: SciPy's L-BFGS-B on the pixels, the bounds 0 and 1 its own
    (projected steps, no clamp afterwards) and its own line search (several evaluations a
    step where the first step length fails); ``steps`` of its iterations, the same history as
    the loop's, no stopping tolerance. The objective is the same (float32 or bfloat16 in
    torch); SciPy works in float64 on the pixels it hands over."""
    from scipy.optimize import minimize

    shape, dtype = start.shape, start.dtype
    evaluations, checks = 0, []
    clock = {"t": time.perf_counter(), "seconds": seconds}

    def image_of(v):
        return torch.from_numpy(v).to(dtype).reshape(shape)

    def fun(v):
        nonlocal evaluations
        evaluations += 1
        x = image_of(v).requires_grad_(True)
        total, _ = objective(x)
        total.backward()
        return float(total.detach()), x.grad.reshape(-1).double().numpy()

    def check(step, v):
        clock["seconds"] += time.perf_counter() - clock["t"]
        if exact is not None:
            with torch.no_grad():
                _, parts = exact(image_of(v).clamp(0, 1))
            checks.append((step, round(clock["seconds"], 2),
                           *(parts[k].item() for k in ("total", "content", "style")), evaluations))
        clock["t"] = time.perf_counter()

    v0 = start.detach().reshape(-1).double().numpy().copy()
    check(0, v0)
    done = 0  # iterations

    def callback(v):
        nonlocal done
        done += 1
        if done % every == 0 or done == steps:
            check(done, v)

    result = minimize(fun, v0, jac=True, method="L-BFGS-B", bounds=[(0.0, 1.0)] * v0.size,
                      callback=callback,
                      options={"maxiter": steps, "maxfun": 30 * steps, "ftol": 0.0, "gtol": 0.0,
                               "maxcor": lbfgs_history(v0.size * start.element_size())})
    if not checks or checks[-1][0] != done:  # stopped early (converged, or a failed line search)
        check(done, result.x)
    return checks, image_of(result.x).clamp(0, 1)


def picture_name(name: str) -> str:
    """The file ``--images`` saves a run's picture in: ``pyramid4 from half40:adain0.5`` ->
    ``pyramid4_from_half40-adain0.5.png`` (no spaces or colons: a name every file system takes)."""
    return name.replace(" ", "_").replace(":", "-") + ".png"


def evaluated(check) -> str:
    """`` (E evaluations)`` where a run's ``check`` (one of :func:`run`'s tuples) counts other
    than one evaluation a step (a JSON file of an earlier probe has no count: one a step)."""
    step, n = check[0], check[5] if len(check) > 5 else check[0]
    return "" if n == step else f" ({n} evaluations)"


def table(results: dict, steps: int) -> list[str]:
    """The markdown table of ``{variant: checks}`` (``pixels`` among them: the reference)."""
    ref = results["pixels"][-1][2]
    marks = [s for s in (30, 50, 100) if s < steps]
    head = ["variant", *(f"after {s}" for s in marks), f"after {steps}", "within 5 % at", "s"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for v, checks in results.items():
        at = {s: tot for s, _, tot, *_ in checks}
        hit = next((f"step {c[0]}{evaluated(c)}, {c[1]:.0f} s" for c in checks
                    if c[2] <= QUALITY * ref), "never")
        cells = [f"`{v}`", *(f"{at[s] / ref:.2f}" if s in at else "–" for s in marks),
                 f"{checks[-1][2] / ref:.3f}", hit, f"{checks[-1][1]:.0f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--steps", type=int, default=150)
    p.add_argument("--every", type=int, default=10, help="measure the image every N steps")
    p.add_argument("--pair", default="astronaut:swirls", help="CONTENT:STYLE")
    p.add_argument("--style-weight", type=float, default=1000.0)
    p.add_argument("--variants", nargs="+", default=list(VARIANTS), type=variant_name,
                   metavar="VARIANT", help=f"from {', '.join(VARIANTS)}, or pyramidLrRbc: L levels, "
                   "level weight ratio R (pyramid3 is pyramid3r0.7), b: with bounds' clamp, "
                   "c: in the start's decorrelated colours")
    p.add_argument("--starts", nargs="+", default=["photo"], metavar="START",
                   help="run every variant from each: photo, net (the bundled fast network: "
                   "starry_night or great_wave), adain, adainALPHA (e.g. adain0.5), halfN:START "
                   "(N pyramid steps at half size from START first, e.g. half40:adain0.5); "
                   "the reference is always pixels from the photo")
    p.add_argument("--json", help="also write the measurements here")
    p.add_argument("--images", metavar="DIR", help="also save each variant's last picture there "
                   "(VARIANT.png, VARIANT_from_START.png)")
    a = p.parse_args(argv)
    content_src, style_src = a.pair.split(":")
    content = load_image(content_src, a.size)
    style = load_image(style_src, max(content.shape[-2:]))
    objective = Objective(load_vgg("gatys", precision="auto"), content, style, style_weight=a.style_weight)
    exact = Objective(load_vgg("gatys", precision="float32"), content, style, style_weight=a.style_weight)
    h, w = content.shape[-2:]
    print(f"{content_src} x {style_src}, {w}x{h} px, style weight {a.style_weight:g}, {a.steps} steps, "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads; total loss / `pixels`' final "
          f"({QUALITY:g}x: as good), measured in float32 every {a.every} steps", flush=True)
    results = {}
    starts = {name: start_image(name, content, style, style_src, a.style_weight)
              for name in dict.fromkeys(["photo", *a.starts])}
    runs = [("photo", "pixels")] + [(s, v) for s in dict.fromkeys(a.starts) for v in a.variants
                                    if (s, v) != ("photo", "pixels")]
    for start, v in runs:
        name = v if start == "photo" else f"{v} from {start}"
        image, cost = starts[start]
        results[name], picture = run(v, objective, exact, image, a.steps, a.every, seconds=cost)
        if a.images:
            save_image(picture, Path(a.images) / picture_name(name))
        print(f"{name}: {results[name][-1][2]:.4g} after {a.steps} steps, {results[name][-1][1]:.0f} s",
              file=sys.stderr, flush=True)
        if a.json:
            with open(a.json, "w") as f:
                json.dump(results, f)
    print("\n".join(table(results, a.steps)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
