"""The ``nst-course`` command (also ``python -m nst_course``).

    nst-course stylize CONTENT STYLE -o OUT [--size N] [--steps N] [--seed N] ...
    nst-course samples
    nst-course doctor
    nst-course bench [--sizes 256 512 1024] [--steps 3] ...
    nst-course adain CONTENT STYLE -o OUT [--alpha A]
    nst-course lessons [DIR] [--student]      copy the lessons out of the installed package
    nst-course lab [DIR]                      ... and open lesson 00 in JupyterLab
    nst-course train STYLE[,STYLE2] -o NET.pt [--minutes 10] [--width 16] [--size 128]
    nst-course apply NET.pt PHOTO -o OUT [--mix 0.2,0.8]   a trained fast network (lesson 09)

``stylize`` takes the options a jcjohnson/neural-style user expects (``--original-colors``,
``--style-scale``, ``STYLE1,STYLE2`` with ``--style-blend-weights``, ``--init-image``,
``--save-every``, ``--print-every``, ``--schedule``, ``--mask``); ``nst-course stylize --help``
lists each with its default.

Bad input prints one line on stderr and exits with status 2; no traceback.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path


class _Help(argparse.ArgumentDefaultsHelpFormatter):
    """``--help`` shows each option's default, unless its help already says it or it is an on/off flag."""

    def _get_help_string(self, action):
        if "default" in (action.help or "") or action.nargs == 0 or action.required:
            return action.help
        return super()._get_help_string(action)


def _parser() -> argparse.ArgumentParser:
    from .optimize import DEFAULT_SIZE, DEFAULT_STEPS, DEFAULT_STYLE_WEIGHT

    p = argparse.ArgumentParser(prog="nst-course", description="Neural style transfer course tools.")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("stylize", help="paint CONTENT in the style of STYLE (Gatys et al.)",
                       formatter_class=_Help)
    s.add_argument("content", help="path, http(s) URL or sample name (see `nst-course samples`)")
    s.add_argument("style", help="path, http(s) URL or sample name; several separated by commas "
                                 "(style1.jpg,style2.jpg) are blended, see --style-blend-weights")
    s.add_argument("-o", "--output", required=True, help="where to write the result (.png/.jpg)")
    s.add_argument("--size", "--image-size", type=int, default=DEFAULT_SIZE, help="long side in pixels")
    s.add_argument("--steps", "--num-iterations", type=int, default=DEFAULT_STEPS,
                   help="optimisation steps (one VGG19 forward and backward each)")
    s.add_argument("--seed", type=int, default=0, help="random seed (noise init, random weights)")
    s.add_argument("--content-weight", type=float, default=1.0, help="weight of the content loss")
    s.add_argument("--style-weight", type=float, default=DEFAULT_STYLE_WEIGHT,
                   help="weight of the style loss (the losses are normalised: lesson 04)")
    s.add_argument("--tv-weight", type=float, default=0.0, help="weight of the total-variation loss")
    s.add_argument("--init", choices=["content", "noise", "random", "style"], default="content",
                   help="starting image (random = noise, neural-style's name); see also --init-image")
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
    sub.add_parser("samples", help="list the sample images")
    sub.add_parser("doctor", help="check weights, device and speed on this machine")
    sub.add_parser("bench", help="seconds per step vs a plain implementation (`nst-course bench --help`)")
    _course_commands(sub)
    _train_commands(sub)
    return p


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["bench"]:  # its own options: nst_course.bench parses them
        from .bench import main as bench_main

        return bench_main(argv[1:])
    args = _parser().parse_args(argv)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.showwarning = _show_note
            return {"stylize": _stylize, "samples": _samples, "doctor": _doctor, "adain": _adain,
                    "lessons": _lessons, "lab": _lab, "train": _train, "apply": _apply}[args.command](args)
    except KeyboardInterrupt:
        print("nst-course: interrupted.", file=sys.stderr)
        return 130
    except Exception as e:  # one clear line, never a traceback
        from .files import OutputError
        from .images import ImageError
        from .vgg import WeightsError

        msg = str(e) if isinstance(e, ImageError | WeightsError | FileExistsError | ValueError
                                   | OutputError) \
            else f"{type(e).__name__}: {e}"
        print(f"nst-course: error: {msg}", file=sys.stderr)
        return 2


def _show_note(message, category, filename, lineno, file=None, line=None):
    print(f"nst-course: note: {message}", file=sys.stderr)


def _check_positive(name: str, value, minimum=1) -> None:
    if value < minimum:
        raise ValueError(f"--{name} must be at least {minimum}, got {value}.")


def _stylize(args) -> int:
    from functools import partial

    from .files import check_writable, save_or_fallback
    from .images import IMAGE_SUFFIXES, load_image, save_image

    out = Path(args.output).expanduser()
    if out.suffix.lower() not in IMAGE_SUFFIXES:
        raise ValueError(f"{out}: unknown image type '{out.suffix}'; use .png or .jpg.")
    check_writable(out, args.force)  # before the run, not after it
    _check_numbers(args)
    _check_neural_style(args)
    content = load_image(args.content, args.size)
    h, w = content.shape[-2:]
    estimate = _check_budget(args, h, w)  # before loading the styles at the content's size
    style = _load_styles(args, content)
    print(f"Stylizing {args.content} ({w}x{h}) with {args.style}: {args.steps} steps, {estimate}",
          file=sys.stderr)
    with warnings.catch_warnings(record=True) as notes:  # shown after the progress bar is closed
        warnings.simplefilter("ignore", DeprecationWarning)
        result = _run_stylize(args, content, style, steps=args.steps, content_weight=args.content_weight,
                              style_weight=args.style_weight, tv_weight=args.tv_weight, init=args.init,
                              optimizer=args.optimizer, weights=args.weights, pooling=args.pooling,
                              seed=args.seed, device=args.device, precision=args.precision,
                              progress=True)
    for note in notes:
        _show_note(note.message, note.category, note.filename, note.lineno)
    # never replaces a file that appeared during the run (without --force); if the save fails,
    # the result goes to another name and the message says where
    where, problem = save_or_fallback(partial(save_image, result.image), out, overwrite=args.force)
    if problem:
        print(f"nst-course: error: {problem}", file=sys.stderr)
        return 1
    print(f"Wrote {where} ({result.seconds:.1f} s, {result.stopped})", file=sys.stderr)
    return 0 if result.stopped in ("done", "interrupted") else 1


def _check_numbers(args) -> None:
    """Sizes, steps, weights and seed of ``stylize``: finite and in range, before any work."""
    import math

    from .images import MIN_SIDE

    _check_positive("size", args.size, MIN_SIDE)
    _check_positive("steps", args.steps)
    for name in ("content_weight", "style_weight", "tv_weight"):
        value = getattr(args, name)
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"--{name.replace('_', '-')} must be a finite number, not negative; "
                             f"got {value}.")
    if args.content_weight == 0 and args.style_weight == 0:
        raise ValueError("--content-weight and --style-weight are both 0: nothing to optimise "
                         "(the output would be the start image); make one of them positive.")
    if not 0 <= args.seed < 2**64:
        raise ValueError(f"--seed must be a whole number from 0 to 2**64 - 1, not {args.seed}.")


def _check_budget(args, height: int, width: int) -> str:
    """Refuse a run that cannot fit in memory or would take over an hour (without
    --allow-long-run), and one whose coarse-to-fine stages are too thin; return the estimate."""
    from . import budget
    from .images import MIN_NETWORK_SIDE
    from .optimize import schedule_sizes

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
    seconds = budget.check_time(height, width, args.steps, schedule=schedule, device=args.device,
                                weights=args.weights, allow_long=args.allow_long_run)
    return f"estimated {budget.describe(seconds, memory)}"


#: the schedules ``--schedule`` takes by name (else comma-separated sizes)
NAMED_SCHEDULES = ("auto", "coarse-to-fine", "single")


def _schedule(args):
    """``--schedule`` as :func:`~nst_course.stylize` takes it: a name or a list of sizes."""
    return (args.schedule if args.schedule in NAMED_SCHEDULES
            else _numbers(args.schedule, "--schedule", int))


def _samples(args) -> int:
    from . import samples

    print("Photos (shipped with scikit-image):")
    for name, credit in samples.PHOTOS.items():
        print(f"  {name:16} {credit}")
    print("Styles (drawn by nst_course, offline):")
    for name, what in samples.GENERATED.items():
        print(f"  {name:16} {what}")
    print("Paintings (public domain, bundled: offline):")
    for name, p in samples.PAINTINGS.items():
        if p.bundled:
            print(f"  {name:16} {p.title}, {p.artist}, {p.year}")
    print("Paintings (public domain, downloaded on first use):")
    for name, p in samples.PAINTINGS.items():
        if not p.bundled:
            print(f"  {name:16} {p.title}, {p.artist}, {p.year}")
    return 0


def _doctor(args) -> int:
    from .doctor import report

    text = report()
    print(text)
    return 1 if "PROBLEM" in text else 0  # weights that fail verification: a script sees it


# --- neural-style options of `stylize` (names as in jcjohnson/neural-style) ----------------------

def _neural_style_options(s: argparse.ArgumentParser) -> None:
    from .config import CONTENT_LAYERS, STYLE_LAYERS

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
                        "of the time, higher losses) or comma-separated increasing sizes ending "
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


def _split(text: str, flag: str) -> list[str]:
    """``"a.jpg,b.jpg"`` -> ``["a.jpg", "b.jpg"]`` (an existing file whose name holds a comma stays whole)."""
    if Path(text).exists():
        return [text]
    items = [s.strip() for s in text.split(",")]
    if not all(items):
        raise ValueError(f"{flag} {text!r} has an empty item; separate the names by single commas.")
    return items


def _numbers(text: str, flag: str, kind=float) -> list:
    import math

    try:
        values = [kind(v) for v in _split(text, flag)]
    except ValueError:
        raise ValueError(f"{flag} takes comma-separated {'whole ' if kind is int else ''}numbers, "
                         f"not {text!r}.") from None
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"{flag} {text!r}: every number must be finite.")
    return values


def _check_neural_style(args) -> None:
    """Numbers and combinations of the neural-style options, before any work."""
    import math

    if not (math.isfinite(args.style_scale) and 0 < args.style_scale <= 8):
        raise ValueError(f"--style-scale must be above 0 and at most 8, got {args.style_scale}.")
    if round(args.size * args.style_scale) < 32:
        raise ValueError(f"--style-scale {args.style_scale} makes the style image "
                         f"{round(args.size * args.style_scale)} px; it needs at least 32 px "
                         f"(use --style-scale {math.ceil(3200 / args.size) / 100} or more).")
    for flag in ("save_every", "print_every"):
        if getattr(args, flag) < 0:
            raise ValueError(f"--{flag.replace('_', '-')} must be 0 (off) or a number of steps, "
                             f"got {getattr(args, flag)}.")
    from .vgg import LAYERS

    for flag in ("content_layers", "style_layers"):
        names = _split(getattr(args, flag), f"--{flag.replace('_', '-')}")
        wrong = [n for n in names if n not in LAYERS]
        if wrong:
            raise ValueError(f"--{flag.replace('_', '-')}: {', '.join(wrong)} is not a VGG19 layer; use "
                             "Gatys names conv1_1 ... conv5_4 or pool1 ... pool5 (lesson 01).")
    if args.learning_rate is not None and not (math.isfinite(args.learning_rate) and args.learning_rate > 0):
        raise ValueError(f"--learning-rate must be a positive number, got {args.learning_rate}.")
    styles = _split(args.style, "STYLE")
    if args.style_blend_weights is not None:
        blend = _numbers(args.style_blend_weights, "--style-blend-weights")
        if len(blend) != len(styles):
            raise ValueError(f"--style-blend-weights has {len(blend)} weights for {len(styles)} style "
                             "images; give one weight per style.")
        if min(blend) < 0 or sum(blend) <= 0:
            raise ValueError("--style-blend-weights must not be negative and must not all be 0.")
    if args.schedule not in NAMED_SCHEDULES:
        from .optimize import schedule_sizes

        sizes = _numbers(args.schedule, "--schedule", int)
        try:
            schedule_sizes(sizes, args.size, args.steps)
        except ValueError as e:
            raise ValueError(f"--schedule: {e} (--size {args.size}, --steps {args.steps}).") from None
    if args.mask is not None:
        masks = _split(args.mask, "--mask")
        if len(masks) != len(styles):
            raise ValueError(f"--mask has {len(masks)} masks for {len(styles)} style images; give one "
                             "mask per style.")
        clash = [flag for flag, on in (("--original-colors", args.original_colors),
                                       ("--init-image", args.init_image),
                                       ("--schedule with sizes", args.schedule not in NAMED_SCHEDULES),
                                       ("--init noise/style", args.init != "content")) if on]
        if clash:
            raise ValueError(f"--mask cannot be combined with {', '.join(clash)}.")
    if args.save_every:
        _check_snapshot_names(args)


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


def _load_styles(args, content) -> list:
    """The style images (at the content's size times --style-scale); the init image and masks are
    loaded here too (``args.init_tensor``, ``args.mask_tensors``): a bad file is refused before the run."""
    import torch.nn.functional as F

    from .images import load_image

    long_side = round(max(content.shape[-2:]) * args.style_scale)
    styles = [load_image(s, long_side) for s in _split(args.style, "STYLE")]
    args.init_tensor = args.mask_tensors = None
    if args.init_image is not None:
        init = load_image(args.init_image)
        args.init_tensor = F.interpolate(init, size=content.shape[-2:], mode="bilinear", align_corners=False)
    if args.mask is not None:
        args.mask_tensors = _load_masks(args, content)
    return styles


def _load_masks(args, content) -> list:
    import torch.nn.functional as F

    from .images import load_image

    masks = []
    for name in _split(args.mask, "--mask"):
        with warnings.catch_warnings():  # "greyscale, copied into RGB" is what a mask should be
            warnings.simplefilter("ignore")
            m = load_image(name).mean(dim=1, keepdim=True)  # grey (1, 1, h, w) in [0, 1]
        masks.append(F.interpolate(m, size=content.shape[-2:], mode="bilinear", align_corners=False))
    return masks


def _run_stylize(args, content, styles, **kwargs):
    """``stylize`` with the neural-style options: blend, init image, schedule, colours, masks, callbacks."""
    import math

    import torch.nn.functional as F

    from .control import combine_luminance, luminance_transfer, masked_stylize
    from .images import save_image
    from .optimize import stylize

    if args.style_blend_weights is not None:
        kwargs["style_blend"] = _numbers(args.style_blend_weights, "--style-blend-weights")
    kwargs["style_scale"] = args.style_scale  # styles loaded that large: each stage resizes them down
    kwargs["content_layers"] = tuple(_split(args.content_layers, "--content-layers"))
    kwargs["style_layers"] = tuple(_split(args.style_layers, "--style-layers"))
    if args.learning_rate is not None:
        kwargs["lr"] = args.learning_rate
    if kwargs.get("init") == "random":
        kwargs["init"] = "noise"
    if args.init_tensor is not None:
        kwargs["init"] = args.init_tensor
    kwargs["schedule"] = _schedule(args)
    out, total = Path(args.output), args.steps
    every = [n for n in (args.save_every, args.print_every) if n]
    if every:
        def report(rec, image):
            if args.print_every and rec.step % args.print_every == 0:
                print(f"Iteration {rec.step} / {total}: content {rec.content_loss:.4g}, style "
                      f"{rec.style_loss:.4g}, total {rec.total_loss:.4g} ({rec.seconds:.1f} s)", flush=True)
            if args.save_every and rec.step % args.save_every == 0 and rec.step < total:
                img = image.detach().float().clamp(0, 1)
                if args.original_colors:  # the run sees luminance only: give it the content's colours
                    c = F.interpolate(content.to(img), size=img.shape[-2:], mode="bilinear",
                                      align_corners=False)
                    img = combine_luminance(img, c)
                if args.mask is not None:  # as masked_stylize returns it: the content where unmasked
                    keep = sum(args.mask_tensors).to(img).clamp(0, 1)
                    img = keep * img + (1 - keep) * content.to(img)
                path = _snapshot_path(out, rec.step)
                try:
                    save_image(img, path, overwrite=args.force)
                except FileExistsError as e:  # appeared during the run: keep it, go on
                    print(f"nst-course: note: {e}", file=sys.stderr)

        kwargs.update(callback=report, callback_every=math.gcd(*every))
    if args.mask is not None:
        for key in ("init", "seed", "schedule"):
            kwargs.pop(key, None)
        return masked_stylize(content, styles, args.mask_tensors, **kwargs)
    if args.original_colors and len(styles) == 1:
        return luminance_transfer(content, styles[0], **kwargs)
    result = stylize(content, styles if len(styles) > 1 else styles[0], **kwargs)
    if args.original_colors:
        result.image = combine_luminance(result.image, content.to(result.image))
    return result


# --- adain, lessons, lab -------------------------------------------------------------------------

def _course_commands(sub) -> None:
    fmt = _Help
    a = sub.add_parser("adain", formatter_class=fmt,
                       help="stylize in one forward pass (AdaIN, Huang & Belongie 2017): seconds, "
                            "not minutes")
    a.add_argument("content", help="path, http(s) URL or sample name")
    a.add_argument("style", help="path, URL or sample name; several separated by commas are mixed")
    a.add_argument("-o", "--output", required=True, help="where to write the result (.png/.jpg)")
    a.add_argument("--alpha", type=float, default=1.0,
                   help="style strength: 0 = the content as the decoder redraws it, 1 = full style")
    a.add_argument("--size", type=int, default=512, help="long side of the content in pixels "
                                                          "(cropped to a multiple of 8)")
    a.add_argument("--style-size", type=int, default=None,
                   help="long side of the style image(s) (default: the content's)")
    a.add_argument("--style-blend-weights", default=None,
                   help="comma-separated weights for several styles (default: equal)")
    a.add_argument("--device", default=None, help="cpu, cuda or mps (default: best available)")
    a.add_argument("--force", action="store_true", help="overwrite OUTPUT if it exists")

    default_dir = "nst-course-lessons"
    L = sub.add_parser("lessons", formatter_class=fmt,
                       help="copy the course's lessons (notebooks) out of the installed package into DIR")
    L.add_argument("dir", nargs="?", default=default_dir, metavar="DIR",
                   help="folder for the lessons (created if missing)")
    L.add_argument("--student", action="store_true",
                   help="student copies: solutions out (stubs in), outputs cleared")
    L.add_argument("--force", action="store_true",
                   help="replace lessons already in DIR (changes made there are lost)")
    lab = sub.add_parser("lab", formatter_class=fmt,
                         help="copy the lessons into DIR if needed, then open lesson 00 in JupyterLab")
    lab.add_argument("dir", nargs="?", default=default_dir, metavar="DIR", help="folder of the lessons")
    lab.add_argument("--student", action="store_true", help="copy student copies (when copying)")
    lab.add_argument("--no-browser", action="store_true", help="start JupyterLab without opening a browser")


def _adain(args) -> int:
    import math

    from .adain import adain_stylize
    from .files import check_writable
    from .images import IMAGE_SUFFIXES, save_image

    if not (math.isfinite(args.alpha) and 0.0 <= args.alpha <= 1.0):
        raise ValueError(f"--alpha must be between 0 and 1, got {args.alpha}.")
    _check_positive("size", args.size, 32)
    if args.style_size is not None:
        _check_positive("style-size", args.style_size, 32)
    out = Path(args.output)
    if out.suffix.lower() not in IMAGE_SUFFIXES:
        raise ValueError(f"{out}: unknown image type '{out.suffix}'; use .png or .jpg.")
    check_writable(out, args.force)
    styles = _split(args.style, "STYLE")
    blend = None
    if args.style_blend_weights is not None:
        blend = _numbers(args.style_blend_weights, "--style-blend-weights")
        if len(blend) != len(styles) or min(blend) < 0 or sum(blend) <= 0:
            raise ValueError(f"--style-blend-weights needs {len(styles)} weights, none negative, "
                             f"not all 0; got {args.style_blend_weights!r}.")
    result = adain_stylize(args.content, styles if len(styles) > 1 else styles[0], args.alpha,
                           size=args.size, style_size=args.style_size, style_blend=blend,
                           device=args.device)
    save_image(result.image, out, overwrite=args.force)
    h, w = result.image.shape[-2:]
    print(f"Wrote {out} ({w}x{h}, alpha {args.alpha:g}, {result.seconds:.2f} s)", file=sys.stderr)
    return 0


def _copy_course(folder: Path, student: bool, force: bool) -> None:
    from .lessons import copy_lessons, lesson_files, lessons_dir

    if folder.exists() and not folder.is_dir():
        raise ValueError(f"{folder} is a file; give a folder for the lessons.")
    try:
        written = copy_lessons(folder, student=student, overwrite=force)
    except PermissionError as e:
        raise ValueError(f"cannot write into {e.filename or folder}; choose a folder you can write to.") \
            from None
    kept = [p.name for p in lesson_files(folder) if folder / p.name not in written]
    kind = "student copies of the lessons" if student else "lessons"
    if written:
        print(f"Copied {len(written)} {kind} into {folder}:")
        for p in written:
            print(f"  {p.name}")
    if kept:
        print(f"Kept {len(kept)} already in {folder} as they are (your changes stay; --force "
              "replaces them): " + ", ".join(kept))
        src = lessons_dir()
        differ = [n for n in kept if not student and (src / n).is_file()
                  and (src / n).read_bytes() != (folder / n).read_bytes()]
        if differ:
            print(f"  {len(differ)} of them differ from this version of the course (your edits and "
                  "outputs, or an older lesson): rename one to get the current lesson there: "
                  + ", ".join(differ))


def _lessons(args) -> int:
    folder = Path(args.dir).expanduser()
    _copy_course(folder, args.student, args.force)
    print(f"Open them with: nst-course lab {args.dir}")
    return 0


def _lab(args) -> int:
    import importlib.util
    import os

    from .lessons import FIRST_LESSON

    folder = Path(args.dir).expanduser()
    _copy_course(folder, args.student, force=False)  # the missing ones; yours stay as they are
    if importlib.util.find_spec("jupyterlab") is None:
        raise ValueError("JupyterLab is not installed in this Python: `pip install jupyterlab`, "
                         f"or open {folder} in the Jupyter you use.")
    # the lesson as argument opens it in the browser started here; default_url makes the printed
    # link (--no-browser, a remote machine) open it too
    cmd = [sys.executable, "-m", "jupyterlab", FIRST_LESSON, f"--LabApp.default_url=/lab/tree/{FIRST_LESSON}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # containers run as root; JupyterLab refuses root otherwise
    if args.no_browser:
        cmd.append("--no-browser")
    return _launch(cmd, folder)


def _launch(cmd: list[str], folder: Path) -> int:
    import subprocess

    print(f"Opening {folder / cmd[3]} in JupyterLab (Ctrl-C twice to stop)", file=sys.stderr)
    return subprocess.call(cmd, cwd=folder)


# --- train, apply (lesson 09) --------------------------------------------------------------------

def _train_commands(sub) -> None:
    from .training import STYLE_WEIGHT, TV_WEIGHT

    t = sub.add_parser("train", formatter_class=_Help,
                       help="train a fast style network (Johnson et al.) for STYLE on this machine")
    t.add_argument("style", help="path, URL or sample name; several separated by commas make one "
                                 "network for all of them (mix them with `apply --mix`)")
    t.add_argument("-o", "--output", required=True, help="where to save the network (.pt); saved "
                   "every minute while training, and Ctrl-C keeps the last complete step")
    t.add_argument("--minutes", type=float, default=10.0, help="training time")
    t.add_argument("--steps", type=int, default=None,
                   help="stop after this many steps, if before --minutes (default: no limit)")
    t.add_argument("--size", type=int, default=128, help="side of the square training crops in "
                   "pixels; the style image is loaded at twice this, the size to apply it at")
    t.add_argument("--width", type=int, default=16, help="channels of the first layer (Johnson "
                   "et al.: 32; each halving quarters the parameters)")
    t.add_argument("--batch-size", type=int, default=4, help="crops per training step")
    t.add_argument("--lr", type=float, default=2e-3, help="Adam's learning rate")
    t.add_argument("--style-weight", type=float, default=STYLE_WEIGHT,
                   help="weight of the style loss (content weight 1)")
    t.add_argument("--tv-weight", type=float, default=TV_WEIGHT, help="weight of total variation")
    t.add_argument("--weights", choices=["gatys", "torchvision", "random"], default="gatys",
                   help="VGG19 of the loss")
    t.add_argument("--seed", type=int, default=0, help="seed of the weights and the crops")
    t.add_argument("--force", action="store_true", help="overwrite OUTPUT if it exists")
    a = sub.add_parser("apply", formatter_class=_Help,
                       help="stylize PHOTO with a network made by `nst-course train` (one pass)")
    a.add_argument("net", help="a .pt file written by `nst-course train`")
    a.add_argument("photo", help="path, http(s) URL or sample name")
    a.add_argument("-o", "--output", required=True, help="where to write the result (.png/.jpg)")
    a.add_argument("--mix", default=None, help="comma-separated weights, one per style of the "
                   "network, e.g. 0.2,0.8 (default: the first style)")
    a.add_argument("--size", type=int, default=256, help="long side of the photo in pixels")
    a.add_argument("--force", action="store_true", help="overwrite OUTPUT if it exists")


def _train(args) -> int:
    import math

    import torch

    from .feedforward import StyleNet, count_parameters
    from .files import check_writable
    from .images import load_image
    from .training import TRAIN_PHOTOS, make_objectives, photo, train
    from .vgg import load_vgg

    if not (math.isfinite(args.minutes) and args.minutes > 0):
        raise ValueError(f"--minutes must be a number above 0, got {args.minutes}.")
    if args.steps is not None:
        _check_positive("steps", args.steps)
    _check_positive("size", args.size, 32)
    _check_positive("width", args.width)
    _check_positive("batch-size", args.batch_size)
    if not (math.isfinite(args.lr) and args.lr > 0):
        raise ValueError(f"--lr must be a number above 0, got {args.lr}.")
    for name in ("style_weight", "tv_weight"):
        if not (math.isfinite(getattr(args, name)) and getattr(args, name) >= 0):
            raise ValueError(f"--{name.replace('_', '-')} must be a number >= 0, got {getattr(args, name)}.")
    out = Path(args.output)
    if out.suffix.lower() not in (".pt", ".pth"):
        raise ValueError(f"{out}: name the network file with .pt (e.g. {out.with_suffix('.pt').name}).")
    check_writable(out, args.force)
    names = _split(args.style, "STYLE")
    styles = [load_image(n, 2 * args.size) for n in names]
    torch.manual_seed(args.seed)
    net = StyleNet([Path(n).stem for n in names], width=args.width)
    objectives = make_objectives(styles, load_vgg(args.weights, precision="auto"),
                                 style_weight=args.style_weight, tv_weight=args.tv_weight)
    photos = [photo(n, 3 * args.size) for n in TRAIN_PHOTOS]
    print(f"Training a {count_parameters(net):,}-parameter network for {', '.join(names)} on "
          f"{len(photos)} photos: {args.minutes:g} min"
          + (f" or {args.steps} steps" if args.steps else ""), file=sys.stderr)
    result = train(net, styles, photos, minutes=args.minutes, steps=args.steps,
                   batch_size=args.batch_size, crop=args.size, lr=args.lr, objectives=objectives,
                   seed=args.seed, checkpoint=out, overwrite=args.force)
    how = {"done": "", "interrupted": " (interrupted: the last complete step was kept)",
           "nan": " (stopped: the loss became NaN; the last good weights were kept)"}
    print(f"Wrote {out}: {len(result.history)} steps in {result.seconds:.0f} s"
          f"{how.get(result.stopped, '')}", file=sys.stderr)
    return 0 if result.stopped in ("done", "interrupted") else 1


def _apply(args) -> int:
    import time

    from .feedforward import apply_net, load_net
    from .files import check_writable
    from .images import IMAGE_SUFFIXES, load_image, save_image

    _check_positive("size", args.size, 32)
    out = Path(args.output)
    if out.suffix.lower() not in IMAGE_SUFFIXES:
        raise ValueError(f"{out}: unknown image type '{out.suffix}'; use .png or .jpg.")
    check_writable(out, args.force)
    net = load_net(args.net)
    mix = _numbers(args.mix, "--mix") if args.mix is not None else None
    net.style_vector(mix)  # refuses a wrong mix before the photo is loaded
    img = load_image(args.photo, args.size)
    t0 = time.perf_counter()
    result = apply_net(net, img, mix)
    seconds = time.perf_counter() - t0
    save_image(result, out, overwrite=args.force)
    h, w = result.shape[-2:]
    what = ", ".join(f"{n} {v:.2g}" for n, v in zip(net.styles, net.style_vector(mix)[0].tolist()))
    print(f"Wrote {out} ({w}x{h}, {what}, {seconds * 1000:.0f} ms)", file=sys.stderr)
    return 0
