"""``nst-course video IN OUT``: stylise a clip (lesson 10's methods) from the command line.

    nst-course video clip.gif out.gif --method temporal --style swirls
    nst-course video frames/ out/ --method net-blend --net net.pt      (a folder of PNGs out)

IN: an animated GIF/WebP or a folder of images (an MP4 is refused with the ffmpeg line that
turns it into frames). OUT: ``.gif`` / ``.webp`` (written at the end, atomically) or a folder
(one PNG per frame as soon as it is done). Ctrl-C keeps the finished frames in OUT.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

#: the lesson's letters, shown in --help
_LETTERS = {"gatys": "a", "warm": "b", "temporal": "c", "net": "d", "net-blend": "e"}


def add_parser(sub) -> argparse.ArgumentParser:
    """Register ``video`` on the subparsers ``sub`` (``set_defaults(func=run)``)."""
    from ..videostyle import BLEND, METHODS, STYLE_WEIGHT, TEMPORAL_WEIGHT

    v = sub.add_parser("video", formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                       help="stylise a clip (GIF/WebP or a folder of frames) without flicker",
                       description="Stylise a clip with one of lesson 10's methods; Ctrl-C keeps "
                                   "the frames already done.")
    v.add_argument("input", help="an animated .gif/.webp or a folder of frames (sorted by name)")
    v.add_argument("output", help="a .gif/.webp file, or a folder for one PNG per frame")
    v.add_argument("--method", choices=METHODS, default="temporal", help="lesson 10's methods: "
                   + ", ".join(f"({_LETTERS[m]}) {m}" for m in METHODS)
                   + "; gatys, warm and temporal optimise every frame (seconds each), net and "
                   "net-blend run a trained network (milliseconds)")
    v.add_argument("--style", default="swirls", help="style image for the optimising methods: "
                   "path, URL or sample name")
    v.add_argument("--net", default="bundled", help="a network from `nst-course train` (net, net-blend); "
                   "'bundled': the course's small Starry Night / Great Wave network")
    v.add_argument("--mix", default=None, help="style weights of the network, e.g. 0.2,0.8")
    v.add_argument("--size", type=int, default=256, help="long side of the frames in pixels")
    v.add_argument("--steps", type=int, default=30, help="steps per frame after the first")
    v.add_argument("--first-steps", type=int, default=150,
                   help="steps on the first frame (on every frame for --method gatys)")
    v.add_argument("--style-weight", type=float, default=STYLE_WEIGHT, help="content weight is 1")
    v.add_argument("--temporal-weight", type=float, default=TEMPORAL_WEIGHT, help="(c)'s temporal loss")
    v.add_argument("--blend", type=float, default=BLEND, help="(e): share of the warped previous output")
    v.add_argument("--flow", choices=["tvl1", "ilk"], default="tvl1",
                   help="optical flow estimator (scikit-image) for temporal and net-blend")
    v.add_argument("--max-frames", type=int, default=None, help="stylise only the first N frames")
    v.add_argument("--fps", type=float, default=None, help="frames per second of OUT (default: IN's)")
    v.add_argument("--force", action="store_true", help="replace OUT if it exists")
    v.set_defaults(func=run)
    return v


def _check(args) -> None:
    import math

    for name, low in (("size", 32), ("steps", 1), ("first_steps", 1)):
        if getattr(args, name) < low:
            raise ValueError(f"--{name.replace('_', '-')} must be at least {low}, got {getattr(args, name)}.")
    if args.max_frames is not None and args.max_frames < 1:
        raise ValueError(f"--max-frames must be at least 1, got {args.max_frames}.")
    for name in ("style_weight", "temporal_weight", "fps"):
        value = getattr(args, name)
        if value is not None and not (math.isfinite(value) and value >= 0):
            raise ValueError(f"--{name.replace('_', '-')} must be a number >= 0, got {value}.")
    if not 0 <= args.blend < 1:
        raise ValueError(f"--blend must be in [0, 1), got {args.blend}.")
    if args.mix is not None:
        try:
            args.mix = [float(x) for x in args.mix.split(",")]
        except ValueError:
            raise ValueError(f"--mix takes numbers separated by commas, e.g. 0.2,0.8; "
                             f"got {args.mix!r}.") from None
    if args.method.startswith("net") and args.net != "bundled" and not Path(args.net).is_file():
        raise ValueError(f"{args.net}: no such file; train one with `nst-course train STYLE -o "
                         f"{Path(args.net).name}` or leave out --net for the bundled network.")


def _check_output(out: Path, force: bool) -> str:
    """``"animation"`` or ``"folder"``; refuses an odd suffix or an existing OUT without force."""
    from ..files import check_writable
    from ..videofiles import ANIMATIONS

    if out.suffix:
        if out.suffix.lower() not in ANIMATIONS:
            raise ValueError(f"{out}: OUT must end in {' or '.join(ANIMATIONS)}, or be a folder "
                             f"(no extension) for one PNG per frame; '{out.suffix}' is neither.")
        check_writable(out, force)
        return "animation"
    if out.exists() and not out.is_dir():
        raise ValueError(f"{out} is a file; give a folder name for the frames or a .gif/.webp.")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise FileExistsError(f"{out} exists and is not empty; choose another name or add --force.")
    if not out.parent.is_dir():
        raise ValueError(f"the folder {out.parent} does not exist; create it first.")
    return "folder"


def run(args) -> int:
    """Stylise ``args.input`` into ``args.output``; 0 when every frame is done, 130 on Ctrl-C."""
    import time

    from ..feedforward import bundled_network, load_net
    from ..flow import estimate_clip_flows
    from ..images import load_image, save_image
    from ..interrupts import first_interrupt_only
    from ..vgg import load_vgg
    from ..videofiles import read_frames, write_animation
    from ..videostyle import OPTIMISED, stylize_clip

    _check(args)
    out = Path(args.output)
    kind = _check_output(out, args.force)
    frames, fps = read_frames(args.input, args.size, args.max_frames)
    fps = args.fps or fps
    t_count, _, h, w = frames.shape
    print(f"{args.input}: {t_count} frames {w}x{h} at {fps:g} fps; method {args.method}", file=sys.stderr)
    kwargs = {}
    if args.method in OPTIMISED:
        kwargs.update(style_img=load_image(args.style, args.size), vgg=load_vgg(precision="auto"),
                      steps=args.steps, first_steps=args.first_steps, style_weight=args.style_weight,
                      temporal_weight=args.temporal_weight)
    else:
        net = bundled_network()[0] if args.net == "bundled" else load_net(args.net)
        mix = args.mix
        net.style_vector(mix)  # a wrong mix is refused before any work
        kwargs.update(net=net, style=mix, blend=args.blend)
    if args.method in ("temporal", "net-blend") and t_count > 1:
        t0 = time.perf_counter()
        kwargs["flows"], kwargs["masks"] = estimate_clip_flows(frames, args.flow, progress=True)
        print(f"optical flow ({args.flow}): {time.perf_counter() - t0:.1f} s, "
              f"{kwargs['masks'].mean().item():.0%} of the pixels valid", file=sys.stderr)
    on_frame = None
    if kind == "folder":
        out.mkdir(exist_ok=True)

        def on_frame(t, img):
            save_image(img, out / f"frame_{t:04d}.png", overwrite=True)

    with first_interrupt_only():  # after a first Ctrl-C, a second cannot stop the writing
        result = stylize_clip(frames, args.method, on_frame=on_frame, progress=True, **kwargs)
        done = result.frames.shape[0]
        if kind == "animation" and done:
            write_animation(result.frames, out, fps, overwrite=args.force)
        if not done:
            print("nst-course: interrupted before the first frame was done; nothing written.",
                  file=sys.stderr)
            return 130
        per_frame = result.total_seconds / done
        print(f"Wrote {out}: {done} of {t_count} frames, {per_frame:.2f} s per frame"
              + (" (interrupted: the finished frames are kept)" if result.stopped == "interrupted" else ""),
              file=sys.stderr)
        return 130 if result.stopped == "interrupted" else 0
