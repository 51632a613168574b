"""``nst-course stylize``: Gatys et al. from the command line, in jcjohnson/neural-style's language.

It takes the options a neural-style user expects (``--original-colors``, ``--style-scale``,
``STYLE1,STYLE2`` with ``--style-blend-weights``, ``--init-image``, ``--save-every``,
``--print-every``, ``--schedule``, ``--mask``); ``nst-course stylize --help`` lists each with
its default. Every check runs before any work (:mod:`nst_course.validate`), and the run is
priced first (:mod:`nst_course.budget`).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .. import validate
from .common import Help, numbers, show_note, split

if TYPE_CHECKING:
    import torch

#: the schedules ``--schedule`` takes by name (else comma-separated sizes)
NAMED_SCHEDULES = ("auto", "coarse-to-fine", "single", "adain", "pyramid")


def add_parser(sub) -> None:
    from ..config import DEFAULT_SIZE, DEFAULT_STEPS, DEFAULT_STYLE_CALIBRATION, DEFAULT_STYLE_WEIGHT

    s = sub.add_parser("stylize", help="paint CONTENT in the style of STYLE (Gatys et al.)",
                       formatter_class=Help)
    s.add_argument("content", help="path, http(s) URL or sample name (see `nst-course samples`)")
    s.add_argument("style", help="path, http(s) URL or sample name; several separated by commas "
                                 "(style1.jpg,style2.jpg) are blended, see --style-blend-weights")
    s.add_argument("-o", "--output", required=True, help="where to write the result (.png/.jpg)")
    s.add_argument("--size", "--image-size", type=int, default=DEFAULT_SIZE, help="long side in pixels")
    s.add_argument("--steps", "--num-iterations", type=int, default=DEFAULT_STEPS,
                   help="optimisation steps (one VGG19 forward and backward each)")
    s.add_argument("--seed", type=int, default=None, help="random seed of a noise start (default 0)")
    s.add_argument("--content-weight", type=float, default=1.0, help="weight of the content loss")
    s.add_argument("--style-weight", type=float, default=DEFAULT_STYLE_WEIGHT,
                   help="weight of the style loss (the losses are normalised: lesson 04), "
                        "calibrated to each style, see --style-calibration")
    s.add_argument("--style-calibration", choices=["target", "none"], default=DEFAULT_STYLE_CALIBRATION,
                   help="target: the weight is scaled by the size of the style's Gram matrices, so "
                        "every painting is stylized about as strongly as The Starry Night; none: "
                        "the paper's weighting (lessons 03-05)")
    s.add_argument("--tv-weight", type=float, default=0.0, help="weight of the total-variation loss")
    s.add_argument("--init", choices=["content", "noise", "random", "style", "adain"], default="content",
                   help="starting image (random = noise, neural-style's name; adain = AdaIN's "
                        "picture, lesson 07); see also --init-image and --schedule adain")
    s.add_argument("--optimizer", choices=["lbfgs", "adam"], default="lbfgs", help="optimiser")
    s.add_argument("--weights", choices=["gatys", "torchvision", "random"], default="gatys",
                   help="VGG19 weights: Gatys' normalised (bundled), ImageNet, or untrained")
    s.add_argument("--pooling", choices=["max", "avg"], default="max", help="VGG19's pooling")
    s.add_argument("--device", default=None, help="cpu, cuda or mps (default: best available)")
    s.add_argument("--precision", choices=["auto", "float32", "bfloat16"], default="auto",
                   help="dtype of VGG19's convolutions (auto: bfloat16 where the CPU computes "
                        "it natively, ~2x faster)")
    s.add_argument("--force", action="store_true", help="overwrite OUTPUT if it exists")
    s.add_argument("--allow-long-run", action="store_true",
                   help="start a run estimated at more than an hour (refused otherwise)")
    _neural_style_options(s)
    s.set_defaults(func=run)


def run(args) -> int:
    from functools import partial

    from ..files import check_writable, save_or_fallback
    from ..interrupts import first_interrupt_only

    out = validate.image_output(args.output)
    check_writable(out, args.force)  # before the run, not after it
    _check_numbers(args)
    _check_neural_style(args)
    from ..images import load_image, save_image  # PyTorch: after the checks, so a refusal is quick
    content = load_image(args.content, args.size)
    h, w = content.shape[-2:]
    estimate = _check_budget(args, h, w)  # before loading the styles at the content's size
    keep_freed_memory(h, w)  # before the big tensors
    inputs = _load_inputs(args, content)
    print(f"Stylizing {args.content} ({w}x{h}) with {args.style}: {_steps_said(args, h, w)}, {estimate}",
          file=sys.stderr)
    with first_interrupt_only():  # after a first Ctrl-C, a second cannot stop the save
        with warnings.catch_warnings(record=True) as notes:  # shown after the progress bar is closed
            warnings.simplefilter("ignore", DeprecationWarning)
            result = _run_stylize(args, content, inputs, steps=args.steps, content_weight=args.content_weight,
                                  style_weight=args.style_weight, style_calibration=args.style_calibration,
                                  tv_weight=args.tv_weight, init=args.init,
                                  optimizer=args.optimizer, weights=args.weights, pooling=args.pooling,
                                  seed=args.seed or 0, device=args.device, precision=args.precision,
                                  progress=True)
        for note in notes:
            show_note(note.message, note.category, note.filename, note.lineno)
        # never replaces a file that appeared during the run (without --force); if the save fails,
        # the result goes to another name and the message says where
        where, problem = save_or_fallback(partial(save_image, result.image), out, overwrite=args.force)
        if problem:
            print(f"nst-course: error: {problem}", file=sys.stderr)
            return 1
        print(f"Wrote {where} ({result.seconds:.1f} s, {result.stopped})", file=sys.stderr)
    return 0 if result.stopped in ("done", "flat", "interrupted") else 1


def _check_numbers(args) -> None:
    """Sizes, steps, weights and seed of ``stylize``: finite and in range, before any work."""
    validate.image_side("--size", args.size)
    validate.at_least("--steps", args.steps)
    validate.loss_weights(args.content_weight, args.style_weight, args.tv_weight, cli=True)
    if args.seed is not None and not 0 <= args.seed < 2**64:
        raise ValueError(f"--seed must be a whole number from 0 to 2**64 - 1, not {args.seed}.")


def _plan(args, height: int, width: int):
    """What ``--schedule auto`` does with these options (:func:`~nst_course.stages.auto_plan`)."""
    from ..stages import auto_plan

    schedule = "single" if args.init_image is not None or args.mask is not None else _schedule(args)
    n_styles = len(split(args.style, "style"))
    return auto_plan(schedule, max(height, width), args.steps, init=args.init,
                     optimizer=args.optimizer, style_weight=args.style_weight, n_styles=n_styles)


def _steps_said(args, height: int, width: int) -> str:
    plan = _plan(args, height, width)
    if plan.init == "adain" and args.init != "adain":
        return f"{plan.steps} steps at most from AdaIN's picture (--schedule auto; single: {args.steps})"
    return f"{args.steps} steps"


def keep_freed_memory(height: int, width: int) -> bool:
    """Below :data:`~nst_course.tiled.TILED_ABOVE` pixels, set this process's C allocator to
    keep freed memory for the next step (:mod:`nst_course.allocator`: steps 0.96x as long at
    512 px, 0.82x at 1024 px in float32; 0.5-0.8x in bfloat16; peak memory up to 1.2x, which
    :func:`~nst_course.budget.estimate_bytes` includes). Not above it: there the first blocks
    run in bands, and kept memory made the peak 1.6x (README, "Performance"). True if set."""
    from .. import allocator
    from ..tiled import TILED_ABOVE

    return height * width <= TILED_ABOVE and allocator.keep_freed_memory()


def _check_budget(args, height: int, width: int) -> str:
    """Refuse a run that cannot fit in memory or would take over an hour (without
    --allow-long-run), and one whose coarse-to-fine stages are too thin; return the estimate."""
    from .. import budget
    from ..images import MIN_NETWORK_SIDE
    from ..stages import schedule_sizes

    schedule = _schedule(args)
    if args.init_image is not None and schedule == "auto":
        schedule = "single"  # stylize starts from an image at full size
    long_side, short_side = max(height, width), min(height, width)
    first = schedule_sizes(schedule, long_side, args.steps)[0][0]
    if round(short_side * first / long_side) < MIN_NETWORK_SIDE:
        raise ValueError(f"the {width}x{height} image is too thin for coarse-to-fine (its first "
                         f"stage would be {round(short_side * first / long_side)} px high); add "
                         "--schedule single, or use a larger --size.")
    memory = budget.check_memory(height, width, args.device)
    steps = _plan(args, height, width).steps  # fewer where --schedule auto starts from AdaIN
    seconds = budget.check_time(height, width, steps, schedule=schedule, device=args.device,
                                weights=args.weights, allow_long=args.allow_long_run)
    return f"estimated {budget.describe(seconds, memory)}"


def _schedule(args):
    """``--schedule`` as :func:`~nst_course.stylize` takes it: a name or a list of sizes."""
    return (args.schedule if args.schedule in NAMED_SCHEDULES
            else numbers(args.schedule, "--schedule", int))


def _neural_style_options(s: argparse.ArgumentParser) -> None:
    from ..config import CONTENT_LAYERS, STYLE_LAYERS

    g = s.add_argument_group("neural-style options (the names a jcjohnson/neural-style user knows)")
    g.add_argument("--original-colors", type=int, choices=[0, 1], nargs="?", const=1, default=0,
                   help="1 (or the bare flag): keep the content's colours, transfer style on the "
                        "luminance only (Gatys et al. 2017); with several styles the result's "
                        "luminance gets the content's colours, as neural-style does")
    g.add_argument("--style-scale", type=float, default=1.0,
                   help="size of the style image(s) relative to the content: <1 finer, >1 coarser "
                        "brush strokes")
    g.add_argument("--style-blend-weights", default=None,
                   help="comma-separated weights for several styles, e.g. 3,7 "
                        "(default: equal weights)")
    g.add_argument("--init-image", default=None,
                   help="start from this image (path, URL or sample name) instead of --init")
    g.add_argument("--save-every", type=int, default=0,
                   help="also write the image every N steps as OUTPUT_N.png (out_100.png ...); "
                        "0: only the final image")
    g.add_argument("--print-every", type=int, default=0,
                   help="print the losses every N steps; 0: only the progress bar")
    g.add_argument("--schedule", default="auto",
                   help="'auto' or 'single' (all steps at --size: reaches the lowest losses), "
                        "'coarse-to-fine' (a third of the steps at 1/4, 1/2 and full size: 44 %% "
                        "of the time, higher losses), 'adain' (from AdaIN's picture, 30 %% of the "
                        "steps or fewer once the loss is flat; the README's sweep), 'pyramid' "
                        "(every step at --size on a 3-level image pyramid: lower losses sooner; "
                        "the README's sweep) or "
                        "comma-separated increasing sizes ending "
                        "at --size, e.g. 128,256,512 (steps split evenly)")
    g.add_argument("--content-layers", default=",".join(CONTENT_LAYERS),
                   help="comma-separated VGG19 layers for the content loss (Gatys names)")
    g.add_argument("--style-layers", default=",".join(STYLE_LAYERS),
                   help="comma-separated VGG19 layers for the style loss")
    g.add_argument("--learning-rate", type=float, default=None,
                   help="step size of the optimiser (default: 1 for lbfgs, 0.02 for adam)")
    g.add_argument("--mask", default=None,
                   help="mask image(s), comma-separated, one per style: white = this style here, "
                        "black = the content as it is (spatial control, lesson 07)")


def _check_neural_style(args) -> None:
    """Numbers and combinations of the neural-style options, before any work."""
    import math

    from ..validate import MIN_SIDE

    if not (math.isfinite(args.style_scale) and 0 < args.style_scale <= 8):
        raise ValueError(f"--style-scale must be above 0 and at most 8, got {args.style_scale}.")
    if round(args.size * args.style_scale) < MIN_SIDE:
        raise ValueError(f"--style-scale {args.style_scale} makes the style image "
                         f"{round(args.size * args.style_scale)} px; it needs at least {MIN_SIDE} px "
                         f"(use --style-scale {math.ceil(100 * MIN_SIDE / args.size) / 100} or more).")
    for flag in ("save_every", "print_every"):
        if getattr(args, flag) < 0:
            raise ValueError(f"--{flag.replace('_', '-')} must be 0 (off) or a number of steps, "
                             f"got {getattr(args, flag)}.")
    if args.learning_rate is not None:
        validate.positive("--learning-rate", args.learning_rate)
    styles = split(args.style, "STYLE")
    if args.style_blend_weights is not None:
        validate.blend_weights(numbers(args.style_blend_weights, "--style-blend-weights"), len(styles),
                               "--style-blend-weights")
    if args.mask is not None:
        masks = split(args.mask, "--mask")
        if len(masks) != len(styles):
            raise ValueError(f"--mask has {len(masks)} masks for {len(styles)} style images; give one "
                             "mask per style.")
        resized = args.schedule not in ("auto", "single")
        clash = [flag for flag, on in (("--original-colors", args.original_colors),
                                       ("--init-image", args.init_image),
                                       (f"--schedule {args.schedule}", resized),
                                       ("--init noise/style", args.init != "content"),
                                       ("--seed", args.seed is not None)) if on]
        if clash:
            raise ValueError(f"--mask cannot be combined with {', '.join(clash)}: a masked run starts "
                             "from the content photo and runs every step at --size on its pixels.")
    if args.save_every:
        _check_snapshot_names(args)
    # the checks below import PyTorch (through nst_course.vgg and .stages): the others come first
    from ..vgg import LAYERS

    for flag in ("content_layers", "style_layers"):
        names = split(getattr(args, flag), f"--{flag.replace('_', '-')}")
        wrong = [n for n in names if n not in LAYERS]
        if wrong:
            raise ValueError(f"--{flag.replace('_', '-')}: {', '.join(wrong)} is not a VGG19 layer; use "
                             "Gatys names conv1_1 ... conv5_4 or pool1 ... pool5 (lesson 01).")
    if args.schedule not in NAMED_SCHEDULES:
        from ..stages import schedule_sizes

        sizes = numbers(args.schedule, "--schedule", int)
        try:
            schedule_sizes(sizes, args.size, args.steps)
        except ValueError as e:
            raise ValueError(f"--schedule: {e} (--size {args.size}, --steps {args.steps}).") from None


def _snapshot_path(out: Path, step: int) -> Path:
    return out.with_name(f"{out.stem}_{step}{out.suffix}")  # neural-style's out_100.png


def _check_snapshot_names(args) -> None:
    """The intermediate images would replace no file (without --force): refused before the run."""
    out = Path(args.output)
    taken = [p for k in range(args.save_every, args.steps, args.save_every)
             if (p := _snapshot_path(out, k)).exists()]
    if taken and not args.force:
        raise FileExistsError(f"{taken[0]} exists already (--save-every writes {out.stem}_N{out.suffix}); "
                              "choose another name or add --force.")


@dataclass
class Inputs:
    """The images a run needs besides the content, loaded (and so checked) before it starts."""

    styles: list[torch.Tensor]  # each (1, 3, H', W'), at the content's size times --style-scale
    init: torch.Tensor | None  # --init-image at the content's size, (1, 3, H, W)
    masks: list[torch.Tensor] | None  # --mask, one (1, 1, H, W) per style


def _load_inputs(args, content) -> Inputs:
    """Style images, init image and masks: a bad file is refused before the run."""
    import torch.nn.functional as F

    from ..images import load_image

    long_side = round(max(content.shape[-2:]) * args.style_scale)
    styles = [load_image(s, long_side) for s in split(args.style, "STYLE")]
    init = masks = None
    if args.init_image is not None:
        init = F.interpolate(load_image(args.init_image), size=content.shape[-2:], mode="bilinear",
                             align_corners=False)
    if args.mask is not None:
        masks = _load_masks(args, content)
    return Inputs(styles, init, masks)


def _load_masks(args, content) -> list:
    import torch.nn.functional as F

    from ..images import load_image

    masks = []
    for name in split(args.mask, "--mask"):
        with warnings.catch_warnings():  # "greyscale, copied into RGB" is what a mask should be
            warnings.simplefilter("ignore")
            m = load_image(name).mean(dim=1, keepdim=True)  # grey (1, 1, h, w) in [0, 1]
        masks.append(F.interpolate(m, size=content.shape[-2:], mode="bilinear", align_corners=False))
    return masks


def _run_stylize(args, content, inputs: Inputs, **kwargs):
    """``stylize`` with the neural-style options: blend, init image, schedule, colours, masks, callbacks."""
    import math

    import torch.nn.functional as F

    from .. import optimize
    from ..control import combine_luminance, luminance_transfer, masked_stylize
    from ..images import save_image

    styles = inputs.styles
    if args.style_blend_weights is not None:
        kwargs["style_blend"] = numbers(args.style_blend_weights, "--style-blend-weights")
    kwargs["style_scale"] = args.style_scale  # styles loaded that large: each stage resizes them down
    kwargs["content_layers"] = tuple(split(args.content_layers, "--content-layers"))
    kwargs["style_layers"] = tuple(split(args.style_layers, "--style-layers"))
    if args.learning_rate is not None:
        kwargs["lr"] = args.learning_rate
    if kwargs.get("init") == "random":
        kwargs["init"] = "noise"
    if inputs.init is not None:
        kwargs["init"] = inputs.init
    kwargs["schedule"] = _schedule(args)
    out, total = Path(args.output), args.steps
    every = [n for n in (args.save_every, args.print_every) if n]
    if every:
        def report(rec, image):
            if args.print_every and rec.step % args.print_every == 0:
                from tqdm.auto import tqdm  # through the bar, so its line and this one stay whole

                tqdm.write(f"Iteration {rec.step} / {total}: content {rec.content_loss:.4g}, style "
                           f"{rec.style_loss:.4g}, total {rec.total_loss:.4g} ({rec.seconds:.1f} s)",
                           file=sys.stdout)
            if args.save_every and rec.step % args.save_every == 0 and rec.step < total:
                img = image.detach().float().clamp(0, 1)
                if args.original_colors:  # the run sees luminance only: give it the content's colours
                    c = F.interpolate(content.to(img), size=img.shape[-2:], mode="bilinear",
                                      align_corners=False)
                    img = combine_luminance(img, c)
                if args.mask is not None:  # as masked_stylize returns it: the content where unmasked
                    keep = sum(inputs.masks).to(img).clamp(0, 1)
                    img = keep * img + (1 - keep) * content.to(img)
                path = _snapshot_path(out, rec.step)
                try:
                    save_image(img, path, overwrite=args.force)
                except FileExistsError as e:  # appeared during the run: keep it, go on
                    print(f"nst-course: note: {e}", file=sys.stderr)
                except OSError as e:  # a full disk: a snapshot is not worth the run; go on
                    from ..files import why

                    print(f"nst-course: note: could not write the snapshot {path} "
                          f"({why(e)}); the run goes on.", file=sys.stderr)

        kwargs.update(callback=report, callback_every=math.gcd(*every))
    if args.mask is not None:  # refused with --schedule, --seed, --init (_check_neural_style)
        for key in ("init", "seed", "schedule"):
            del kwargs[key]
        return masked_stylize(content, styles, inputs.masks, **kwargs)
    if args.original_colors and len(styles) == 1:
        return luminance_transfer(content, styles[0], **kwargs)
    result = optimize.stylize(content, styles if len(styles) > 1 else styles[0], **kwargs)
    if args.original_colors:
        result.image = combine_luminance(result.image, content.to(result.image))
    return result
