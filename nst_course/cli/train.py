"""``nst-course train`` and ``nst-course apply``: a fast style network (Johnson et al., lesson 09)."""

from __future__ import annotations

import sys
from pathlib import Path

from .. import validate
from .common import Help, numbers, split


def add_parser(sub) -> None:
    from ..training import STYLE_WEIGHT, TV_WEIGHT

    t = sub.add_parser("train", formatter_class=Help,
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
    t.set_defaults(func=run_train)
    a = sub.add_parser("apply", formatter_class=Help,
                       help="stylize PHOTO with a network made by `nst-course train` (one pass)")
    a.add_argument("net", help="a .pt file written by `nst-course train`")
    a.add_argument("photo", help="path, http(s) URL or sample name")
    a.add_argument("-o", "--output", required=True, help="where to write the result (.png/.jpg)")
    a.add_argument("--mix", default=None, help="comma-separated weights, one per style of the "
                   "network, e.g. 0.2,0.8 (default: the first style)")
    a.add_argument("--size", type=int, default=256, help="long side of the photo in pixels")
    a.add_argument("--force", action="store_true", help="overwrite OUTPUT if it exists")
    a.set_defaults(func=run_apply)


def run_train(args) -> int:
    from ..files import check_writable, claim

    validate.positive("--minutes", args.minutes)
    if args.steps is not None:
        validate.at_least("--steps", args.steps)
    validate.image_side("--size", args.size)
    validate.at_least("--width", args.width)
    validate.at_least("--batch-size", args.batch_size)
    validate.positive("--lr", args.lr)
    validate.non_negative("--seed", args.seed)
    for name in ("style_weight", "tv_weight"):
        validate.non_negative(f"--{name.replace('_', '-')}", getattr(args, name))
    out = Path(args.output)
    if out.suffix.lower() not in (".pt", ".pth"):
        raise ValueError(f"{out}: name the network file with .pt (e.g. {out.with_suffix('.pt').name}).")
    from .. import budget

    budget.check_train_memory(args.size, args.batch_size, args.width)
    check_writable(out, args.force)
    with claim(out):  # a second run to the same OUT is refused now, not after minutes of training
        return _train(args, out)


def _train(args, out: Path) -> int:
    import torch

    from ..feedforward import StyleNet, count_parameters
    from ..images import load_image
    from ..interrupts import first_interrupt_only
    from ..training import TRAIN_PHOTOS, make_objectives, photo, train
    from ..vgg import load_vgg

    names = split(args.style, "STYLE")
    styles = [load_image(n, 2 * args.size) for n in names]
    torch.manual_seed(args.seed)
    net = StyleNet([Path(n).stem for n in names], width=args.width)
    objectives = make_objectives(styles, load_vgg(args.weights, precision="auto"),
                                 style_weight=args.style_weight, tv_weight=args.tv_weight)
    photos = [photo(n, 3 * args.size) for n in TRAIN_PHOTOS]
    print(f"Training a {count_parameters(net):,}-parameter network for {', '.join(names)} on "
          f"{len(photos)} photos: {args.minutes:g} min"
          + (f" or {args.steps} steps" if args.steps else ""), file=sys.stderr)
    import signal

    with first_interrupt_only():  # after a first Ctrl-C, a second is ignored: until the next line
        result = train(net, styles, photos, minutes=args.minutes, steps=args.steps,
                       batch_size=args.batch_size, crop=args.size, lr=args.lr, objectives=objectives,
                       seed=args.seed, checkpoint=out, overwrite=args.force)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # saved: a late Ctrl-C must not print a traceback
    how = {"done": "", "interrupted": " (interrupted: the last complete step was kept)",
           "nan": " (stopped: the loss became NaN; the last good weights were kept)"}
    print(f"Wrote {result.saved_to or out}: {len(result.history)} steps in {result.seconds:.0f} s"
          f"{how.get(result.stopped, '')}", file=sys.stderr)
    return 0 if result.stopped in ("done", "interrupted") else 1


def run_apply(args) -> int:
    import time

    from ..feedforward import apply_net, load_net
    from ..files import check_writable
    from ..images import load_image, save_image

    validate.image_side("--size", args.size)
    out = validate.image_output(args.output)
    from .. import budget

    budget.check_memory(args.size, args.size, flag="--size", estimate=budget.estimate_forward_bytes)
    check_writable(out, args.force)
    net = load_net(args.net)
    mix = numbers(args.mix, "--mix") if args.mix is not None else None
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
