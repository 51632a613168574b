"""Bad-input sweep (issue 26): run many awkward invocations and classify what happens.

Each case is a CLI run (``python -m nst_course ...`` in a fresh temporary folder, with a
timeout) or an API call (in this process, under a SIGALRM time limit), with what it
should do: ``ok`` (succeed), ``refuse`` (one clear sentence: exit status 2 and one
``nst-course: error:`` line, or one exception line of a ValueError/TypeError/OSError kind)
or ``either``. The outcome is one of

    ok         did what it should
    data loss  a result or a file that was there is gone
    traceback  a traceback, or an internal exception type from the API
    unclear    a refusal that is not one clear sentence (several lines, argparse usage,
               Python's own wording, a temporary file's name)
    wrong      accepted bad input, or a wrong result (black image, wrong file mode)
    hang       ran past its time limit

Usage (writes a markdown table with a stable id per case, and the counts; every case also
prints one line ``[i/N] ID: OUTCOME (SECONDS s) DETAIL`` as it ends)::

    nice -n 10 python tools/badinput_sweep.py --out before.md
    nice -n 10 python tools/badinput_sweep.py --before before.md --out after.md \\
        [--only ID_PREFIX] [--timeout-scale 3]

``tools/badinput_sweep.md`` holds issue 26's before/after table and how it was run.

Needs root for the small full (``tmpfs``) and read-only disks and for running one case
as ``nobody`` (an unreadable file); without root those cases are reported as skipped.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
#: every time limit is multiplied by this (``--timeout-scale``): on a loaded machine a case that
#: takes 20 s alone can take a minute, and a slow case is not a hang
TIMEOUT_SCALE = 1.0
OUTCOMES = ("ok", "data loss", "traceback", "unclear", "wrong", "hang", "skipped")
INTERNAL = re.compile(r"has no attribute|not subscriptable|unsupported operand|object is not "
                      r"(callable|iterable)|positional argument|unexpected keyword|invalid literal|"
                      r"\[Errno|inline_container|Traceback|error: [A-Za-z]+(Error|Exception): |"
                      r"usage: |/\.nst-course-|/\.[^/ ]+-[a-z0-9_]{8}\.|must be real number")


@dataclass
class Case:
    id: str
    argv: list | None = None          # CLI arguments ({F}: fixtures, {W}: the case's folder)
    expect: str = "refuse"
    api: object = None                # a function(F, W) for an API case
    timeout: float = 60.0
    env: dict = field(default_factory=dict)
    check: object = None              # check(F, W, rc, out, err) -> (outcome, detail) or None
    setup: object = None              # setup(F, W) before the run
    run: object = None                # a custom runner(F, W) -> (outcome, detail)
    issue: bool = False               # one of issue 26's own items


# ------------------------------------------------------------------------------ fixtures

def _png_header(w: int, h: int) -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * 10)) + chunk(b"IEND", b""))


def make_fixtures(F: Path) -> None:
    import numpy as np
    import tifffile
    import torch
    from PIL import Image, ImageCms

    rng = np.random.default_rng(0)
    arr = (rng.random((48, 64, 3)) * 255).astype(np.uint8)
    img = Image.fromarray(arr)
    img.save(F / "good.png")
    img.save(F / "GOOD.JPG")
    img.save(F / "uni ü ☃.png")
    img.save(F / "with space.png")
    img.save(F / "a,b.png")
    Image.new("RGB", (1, 1), (200, 0, 0)).save(F / "tiny1.png")
    Image.new("RGB", (31, 31), (200, 0, 0)).save(F / "s31.png")
    Image.new("RGB", (2000, 32), (0, 200, 0)).save(F / "thin.png")
    frames = [Image.fromarray(np.roll(arr, 5 * i, axis=1)) for i in range(3)]
    frames[0].save(F / "anim.gif", save_all=True, append_images=frames[1:], duration=100)
    frames[0].save(F / "anim.png", save_all=True, append_images=frames[1:], duration=100)
    frames[0].save(F / "anim.webp", save_all=True, append_images=frames[1:], duration=100)
    frames[0].save(F / "multi.tif", save_all=True, append_images=frames[1:])
    grey = rng.random((48, 64)).astype(np.float32) * 0.5 + 0.25  # mean 0.5
    Image.fromarray(grey, mode="F").save(F / "float01.tif")
    tifffile.imwrite(F / "float01_rgb.tif", np.stack([grey] * 3, -1))
    Image.fromarray((grey * 65535).astype(np.uint16)).save(F / "sixteen.png")
    img.convert("CMYK").save(F / "cmyk.jpg")
    img.convert("L").save(F / "grey.png")
    img.convert("1").save(F / "onebit.png")
    img.convert("P").save(F / "palette.png")
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    img.save(F / "icc.jpg", icc_profile=icc)
    img.save(F / "prog.jpg", progressive=True)
    data = (F / "prog.jpg").read_bytes()
    (F / "trunc.jpg").write_bytes(data[: len(data) // 2])
    (F / "zero.png").write_bytes(b"")
    (F / "text.png").write_text("just some text\n")
    (F / "page.png").write_text("<!DOCTYPE html><html><body>not found</body></html>")
    (F / "pic.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">'
                               '<rect width="64" height="64" fill="red"/></svg>')
    img.save(F / "doc.pdf")
    (F / "bomb.png").write_bytes(_png_header(70000, 70000))
    (F / "folder.png").mkdir()
    os.symlink(F / "missing-target.png", F / "dangling.png")
    os.symlink(F / "loop2.png", F / "loop1.png")
    os.symlink(F / "loop1.png", F / "loop2.png")
    os.mkfifo(F / "fifo.png")
    os.mkfifo(F / "fifo.pt")
    # masks for a 64x48 content
    Image.new("L", (64, 48), 255).save(F / "mask_white.png")
    Image.new("L", (64, 48), 0).save(F / "mask_black.png")
    Image.new("L", (17, 90), 255).save(F / "mask_wrongsize.png")
    Image.new("RGBA", (64, 48), (255, 255, 255, 128)).save(F / "mask_rgba.png")
    # networks
    sys.path.insert(0, str(ROOT))
    from nst_course.feedforward import StyleNet, save_net

    torch.manual_seed(0)
    save_net(StyleNet(["swirls"], width=4), F / "net.pt")
    save_net(StyleNet(["a", "b"], width=4), F / "net2.pt")
    raw = (F / "net.pt").read_bytes()
    (F / "truncated.pt").write_bytes(raw[: len(raw) // 2])
    (F / "corrupt.pt").write_bytes(bytes(rng.integers(0, 256, 4000, dtype=np.uint8)))
    torch.save({"weights": torch.zeros(3)}, F / "foreign.pt")
    (F / "text.pt").write_text("not a network\n")
    (F / "zero.pt").write_bytes(b"")
    (F / "bad.json").write_text("{not json")
    (F / "foreign.json").write_text('{"hello": [1, 2, 3]}')
    secret = F / "secret.png"
    img.save(secret)
    secret.chmod(0)
    for p in (F, F / "folder.png"):
        p.chmod(0o777)


# ------------------------------------------------------------------------------ running

def _env(W: Path, extra: dict) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NST_COURSE")}
    env.update(PYTHONPATH=str(ROOT), TQDM_DISABLE="1", OMP_NUM_THREADS="1", MPLBACKEND="Agg",
               TMPDIR=str(W / "tmp"), NST_COURSE_CACHE=str(W / "cache"))
    env.update(extra)
    return {k: v for k, v in env.items() if v is not None}


def _fill(s, F: Path, W: Path):
    return str(s).replace("{F}", str(F)).replace("{W}", str(W))


def cli(F: Path, W: Path, argv, timeout=60.0, env=None, user=None):
    """Run ``nst-course ARGV`` in W; (rc or None if timed out, stdout, stderr)."""
    cmd = [PY, "-m", "nst_course", *[_fill(a, F, W) for a in argv]]
    pre = (lambda: (os.setgid(65534), os.setuid(65534))) if user == "nobody" else None
    timeout *= TIMEOUT_SCALE
    try:
        p = subprocess.run(cmd, cwd=W, env=_env(W, env or {}), capture_output=True, text=True,
                           timeout=timeout, stdin=subprocess.DEVNULL, preexec_fn=pre)
    except subprocess.TimeoutExpired as e:
        return None, _text(e.stdout), _text(e.stderr)
    return p.returncode, p.stdout, p.stderr


def _text(b) -> str:
    return b.decode(errors="replace") if isinstance(b, bytes) else (b or "")


def error_lines(err: str) -> list[str]:
    """stderr without notes, progress bars and blank lines."""
    out = []
    for line in re.split(r"[\r\n]", err):
        s = line.strip()
        if not s or s.startswith("nst-course: note:") or re.search(r"\d+it/s|s/it|\|\s*\d+/\d+", s):
            continue
        out.append(s)
    return out


def judge_cli(expect: str, rc, err: str) -> tuple[str, str]:
    if rc is None:
        return "hang", "still running at the time limit"
    if "Traceback" in err:
        last = [ln for ln in err.splitlines() if ln.strip()][-1:]
        return "traceback", (last[0] if last else "")[:140]
    lines = error_lines(err)
    msg = next((ln for ln in lines if "error:" in ln), lines[-1] if lines else "")
    if rc == 0:
        return ("ok", "") if expect in ("ok", "either") else ("wrong", "accepted (exit 0)")
    if expect == "ok":
        return "wrong", f"refused: {msg[:140]}"
    errs = [ln for ln in lines if not ln.startswith(("Stylizing", "Training", "Wrote", "Copied",
                                                     "Kept", "Open them"))]
    if len(errs) != 1:
        return "unclear", f"{len(errs)} lines: {' / '.join(errs)[:140]}"
    if INTERNAL.search(errs[0]):
        return "unclear", errs[0][:140]
    return "ok", errs[0][:140]


REFUSALS = (ValueError, TypeError, OSError)


def judge_api(expect: str, fn, timeout: float) -> tuple[str, str]:
    def alarm(*_):
        raise TimeoutError("__sweep_timeout__")

    timeout *= TIMEOUT_SCALE
    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    buf = io.StringIO()
    try:
        with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = fn()
    except TimeoutError as e:
        if "__sweep_timeout__" in str(e):
            return "hang", f"still running after {timeout:.0f} s"
        result, exc = None, e
    except BaseException as e:  # noqa: BLE001 - classified below
        result, exc = None, e
    else:
        exc = None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    if exc is not None:
        msg = f"{type(exc).__name__}: {exc}"
        if isinstance(exc, KeyboardInterrupt):
            raise exc
        if not isinstance(exc, REFUSALS):
            return "traceback", msg[:140]
        if expect == "ok":
            return "wrong", f"refused: {msg[:140]}"
        if len(str(exc).strip().splitlines()) != 1 or INTERNAL.search(str(exc)):
            return "unclear", msg[:140]
        return "ok", msg[:140]
    if isinstance(result, tuple) and len(result) == 2 and result[0] in OUTCOMES:
        return result  # the case judged itself
    if expect == "refuse":
        return "wrong", f"accepted: returned {_short(result)}"
    return "ok", ""


def _short(x) -> str:
    s = type(x).__name__
    if hasattr(x, "shape"):
        s += f" {tuple(x.shape)}"
    return s


# --------------------------------------------------------------------- helper checks

def mode_check(*names):
    """Files written under umask 022 should be -rw-r--r--."""
    def check(F, W, rc, out, err):
        for n in names:
            for p in sorted(W.glob(n)):
                mode = p.stat().st_mode & 0o777
                if mode != 0o644:
                    return "wrong", f"{p.name} has mode {oct(mode)} under umask 022 (want 0o644)"
        return None
    return check


def unchanged(name, content=b"keep"):
    def setup(F, W):
        (W / name).write_bytes(content)

    def check(F, W, rc, out, err):
        if (W / name).read_bytes() != content:
            return "data loss", f"{name} was replaced"
        return None
    return setup, check


def saved_somewhere(pattern):
    """A run that ended must have its result at OUT or at a fallback it names."""
    def check(F, W, rc, out, err):
        if list(W.glob(pattern)):
            return None
        for m in re.finditer(r"saved (?:as|to) (\S+?)[ ;,]", err + " "):
            if Path(m.group(1)).exists():
                return None
        if rc == 2 and len(error_lines(err)) == 1 and "Stylizing" not in err and "Training" not in err:
            return None  # refused before the run: nothing was computed
        return "data loss", f"no {pattern} anywhere: {' / '.join(error_lines(err))[-140:]}"
    return check


def not_black(name):
    def check(F, W, rc, out, err):
        import numpy as np
        from PIL import Image

        p = W / name
        if p.exists() and np.asarray(Image.open(p)).mean() < 10:
            return "wrong", f"{name} is black"
        return None
    return check


@contextlib.contextmanager
def tmpfs(path: Path, full: bool = False, ro: bool = False):
    path.mkdir(parents=True, exist_ok=True)
    opts = "size=2m" + (",ro" if ro else "")
    subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(path)], check=True)
    try:
        if full:
            with open(path / "filler", "wb") as f:
                with contextlib.suppress(OSError):
                    while True:
                        f.write(b"\0" * 65536)
                        f.flush()
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def can_mount() -> bool:
    return os.geteuid() == 0 and shutil.which("mount") is not None


# --------------------------------------------------------------------- custom runners

def full_disk_run(argv, pattern, timeout=120):
    def run(F, W):
        if not can_mount():
            return "skipped", "needs root for a tmpfs"
        with tmpfs(W / "full", full=True):
            rc, out, err = cli(F, W, [a.replace("{FULL}", str(W / "full")) for a in argv], timeout)
            outcome, detail = judge_cli("either", rc, err)
            if outcome != "ok":
                return outcome, detail
            found = list((W / "full").glob(pattern)) + list((W / "tmp").glob(pattern))
            if rc == 0 and not found:
                return "data loss", f"exit 0 but no {pattern}: {' / '.join(error_lines(err))[-140:]}"
            if rc != 0 and ("Stylizing" in err or "Training" in err) and not found:
                return "data loss", f"ran, then nothing saved: {' / '.join(error_lines(err))[-140:]}"
            if rc != 0 and not re.search(r"full|space", err, re.I):
                return "unclear", f"does not say the disk is full: {error_lines(err)[-1:]}"
            if rc != 0 and str(W / "full") not in err:
                return "unclear", f"does not name the path: {error_lines(err)[-1:]}"
            return "ok", (error_lines(err) or [""])[-1][:140]
    return run


def readonly_run(argv):
    def run(F, W):
        if not can_mount():
            return "skipped", "needs root for a tmpfs"
        with tmpfs(W / "ro", ro=True):
            rc, out, err = cli(F, W, [a.replace("{RO}", str(W / "ro")) for a in argv])
            return judge_cli("refuse", rc, err)
    return run


def signal_run(argv, sig, times=1, wait_for="Training", delay=3.0, after=None, timeout=90):
    def run(F, W, timeout=timeout):
        timeout *= TIMEOUT_SCALE
        (W / "tmp").mkdir(exist_ok=True)
        cmd = [PY, "-m", "nst_course", *[_fill(a, F, W) for a in argv]]
        p = subprocess.Popen(cmd, cwd=W, env=_env(W, {}), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        t0, seen = time.monotonic(), b""
        os.set_blocking(p.stderr.fileno(), False)
        while time.monotonic() - t0 < timeout and p.poll() is None:
            with contextlib.suppress(TypeError):
                seen += p.stderr.read() or b""
            if wait_for.encode() in seen:
                break
            time.sleep(0.2)
        time.sleep(delay)
        for _ in range(times):
            if p.poll() is None:
                p.send_signal(sig)
            time.sleep(0.3)
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            return "hang", f"did not stop after signal {sig}"
        os.set_blocking(p.stderr.fileno(), True)
        err = (seen + p.stderr.read()).decode(errors="replace")
        if "Traceback" in err:
            return "traceback", [ln for ln in err.splitlines() if ln.strip()][-1][:140]
        return after(F, W, p.returncode, err) if after else ("ok", f"exit {p.returncode}")
    return run


def net_valid(name):
    def after(F, W, rc, err):
        sys.path.insert(0, str(ROOT))
        from nst_course.feedforward import load_net

        try:
            load_net(W / name)
        except Exception as e:  # noqa: BLE001
            return "data loss", f"{name} not a valid network: {e}"[:140]
        return "ok", f"exit {rc}, {name} valid"
    return after


def no_partial(F, W, rc, err):
    left = [p.name for p in W.iterdir() if p.name.startswith(".") or p.suffix == ".tmp"]
    if left:
        return "data loss", f"partial files left: {left}"
    return "ok", f"exit {rc}"


def two_runs(argv, pattern, timeout=150):
    def run(F, W, timeout=timeout):
        timeout *= TIMEOUT_SCALE
        (W / "tmp").mkdir(exist_ok=True)
        cmd = [PY, "-m", "nst_course", *[_fill(a, F, W) for a in argv]]
        ps = [subprocess.Popen(cmd, cwd=W, env=_env(W, {}), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, stdin=subprocess.DEVNULL) for _ in range(2)]
        errs = []
        for p in ps:
            try:
                _, e = p.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                return "hang", "a run did not finish"
            errs.append(e.decode(errors="replace"))
        if any("Traceback" in e for e in errs):
            return "traceback", ""
        codes = [p.returncode for p in ps]
        ran = sum("Training" in e or "Stylizing" in e for e in errs)
        found = list(W.glob(pattern)) + list((W / "tmp").glob(pattern))
        if len(found) < ran:
            return "data loss", f"{ran} runs computed, {len(found)} results kept; exits {codes}; " \
                                f"{' / '.join(error_lines(errs[1]))[-120:]}"
        return "ok", f"exits {codes}, {len(found)} results"
    return run


def glued_print_every(F, W):
    rc, out, err = cli(F, W, ["stylize", "{F}/good.png", "swirls", "-o", "o.png", "--size", "32",
                              "--steps", "4", "--weights", "random", "--print-every", "1"],
                       env={"TQDM_DISABLE": None})
    if rc is None or "Traceback" in err:
        return judge_cli("ok", rc, err)
    if re.search(r"[^\n\r]Iteration", err):
        return "wrong", "an 'Iteration' line is glued onto the progress bar"
    return "ok", ""


def tqdm_disabled(F, W):
    rc, out, err = cli(F, W, ["stylize", "{F}/good.png", "swirls", "-o", "o.png", "--size", "32",
                              "--steps", "2", "--weights", "random"])
    if rc != 0:
        return judge_cli("ok", rc, err)
    if re.search(r"it/s|s/it", err):
        return "wrong", "TQDM_DISABLE=1 set, progress bar still drawn"
    return "ok", ""


def unreadable(argv):
    def run(F, W):
        if os.geteuid() != 0:
            return "skipped", "needs root to run as nobody"
        W.chmod(0o777)
        (W / "tmp").mkdir(exist_ok=True)
        (W / "tmp").chmod(0o777)
        rc, out, err = cli(F, W, argv, user="nobody")
        outcome, detail = judge_cli("refuse", rc, err)
        if outcome == "ok" and re.search(r"damaged|truncated", err):
            return "unclear", f"a file it may not read is called damaged: {detail}"
        return outcome, detail
    return run


# ----------------------------------------------------------------------------- cases

ST = ["--size", "32", "--steps", "1", "--weights", "random"]
TR = ["--steps", "2", "--size", "32", "--width", "4", "--batch-size", "1", "--weights", "random"]


def cli_cases() -> list[Case]:
    c: list[Case] = []

    def add(id, argv, expect="refuse", **kw):
        c.append(Case(id, argv=argv, expect=expect, **kw))

    # --- issue 26's own items -----------------------------------------------------------
    add("issue-mode-stylize", ["stylize", "{F}/good.png", "swirls", "-o", "o.png", *ST], "ok",
        check=mode_check("o.png"), issue=True)
    add("issue-mode-adain", ["adain", "{F}/good.png", "swirls", "-o", "o.png", "--size", "64"], "ok",
        check=mode_check("o.png"), issue=True)
    add("issue-mode-lessons", ["lessons", "L"], "ok", check=mode_check("L/*.ipynb"), issue=True)
    add("issue-mode-lessons-student", ["lessons", "L", "--student"], "ok",
        check=mode_check("L/*.ipynb"), issue=True)
    add("issue-mode-train", ["train", "swirls", "-o", "n.pt", *TR], "ok", check=mode_check("n.pt"),
        issue=True)
    c.append(Case("issue-print-every-glued", run=glued_print_every, issue=True))
    c.append(Case("issue-tqdm-disable", run=tqdm_disabled, issue=True))
    add("issue-version", ["--version"], "ok", issue=True)
    c.append(Case("issue-two-trains-one-output", issue=True, run=two_runs(
        ["train", "swirls", "-o", "n.pt", *TR[:1], "4", *TR[2:]], "n*.pt")))
    c.append(Case("issue-train-full-disk", issue=True,
                  run=full_disk_run(["train", "swirls", "-o", "{FULL}/n.pt", *TR], "n*.pt")))
    c.append(Case("issue-save-every-full-disk", issue=True, run=full_disk_run(
        ["stylize", "{F}/good.png", "swirls", "-o", "{FULL}/o.png", "--size", "32", "--steps", "2",
         "--weights", "random", "--save-every", "1"], "o*.png")))
    add("issue-adain-size-8000", ["adain", "{F}/good.png", "swirls", "-o", "o.png", "--size", "8000"],
        issue=True, timeout=40)
    add("issue-apply-size-8000", ["apply", "{F}/net.pt", "{F}/good.png", "-o", "o.png", "--size",
                                  "8000"], issue=True, timeout=40)
    add("issue-train-width-100000", ["train", "swirls", "-o", "n.pt", "--width", "100000", "--steps",
                                     "1", "--weights", "random"], issue=True, timeout=60)
    add("issue-train-size2048-batch16", ["train", "swirls", "-o", "n.pt", "--size", "2048",
                                         "--batch-size", "16", "--steps", "1", "--weights", "random"],
        issue=True, timeout=60)
    add("issue-stylize-fifo", ["stylize", "{F}/fifo.png", "swirls", "-o", "o.png", *ST], issue=True,
        timeout=20)
    add("issue-adain-fifo", ["adain", "{F}/fifo.png", "swirls", "-o", "o.png"], issue=True, timeout=20)
    add("issue-blend-1e308", ["stylize", "{F}/good.png", "swirls,swirls", "-o", "o.png", *ST,
                              "--style-blend-weights", "1e308,1e308"], issue=True)
    add("issue-train-seed-neg", ["train", "swirls", "-o", "n.pt", *TR, "--seed", "-1"], issue=True)
    add("issue-out-dangling-symlink", ["stylize", "{F}/good.png", "swirls", "-o", "d.png", *ST],
        setup=lambda F, W: os.symlink(W / "nowhere.png", W / "d.png"), issue=True)
    add("issue-out-symlink-loop", ["stylize", "{F}/good.png", "swirls", "-o", "l1.png", *ST],
        setup=lambda F, W: (os.symlink(W / "l2.png", W / "l1.png"), os.symlink(W / "l1.png",
                                                                              W / "l2.png")),
        issue=True)
    add("issue-52-styles", ["stylize", "{F}/good.png", ",".join(["swirls"] * 52), "-o", "o.png",
                            *ST], "ok", timeout=120, issue=True)

    def lesson_dir_setup(F, W):
        (W / "L" / "00_start_here.ipynb").mkdir(parents=True)
    add("issue-lessons-00-is-dir", ["lessons", "L"], setup=lesson_dir_setup, issue=True)
    for name, extra in (("missing", ["{W}/none.json"]), ("malformed", ["{F}/bad.json"]),
                        ("foreign", ["{F}/foreign.json"])):
        add(f"issue-bench-from-json-{name}", ["bench", "--from-json", *extra], issue=True)
    add("issue-bench-sweep-size-0", ["bench", "--sweep", "--sweep-size", "0"], issue=True, timeout=40)
    add("issue-bench-sweep-steps-0", ["bench", "--sweep", "--sweep-steps", "0"], issue=True, timeout=40)
    add("issue-bench-sweep-weights-nan", ["bench", "--sweep", "--sweep-weights", "nan"], issue=True,
        timeout=40)
    c.append(Case("issue-train-ctrl-c-twice", issue=True, run=signal_run(
        ["train", "swirls", "-o", "n.pt", "--minutes", "1", "--size", "32", "--width", "4",
         "--batch-size", "1", "--weights", "random"], signal.SIGINT, times=2, after=net_valid("n.pt"))))
    add("issue-argparse-type-error", ["stylize", "a", "b", "-o", "o.png", "--size", "abc"], issue=True)
    c.append(Case("issue-unreadable-vs-damaged", issue=True,
                  run=unreadable(["stylize", "{F}/secret.png", "swirls", "-o", "o.png", *ST])))

    # --- stylize: content inputs ------------------------------------------------------------
    for name, expect in (("good.png", "ok"), ("uni ü ☃.png", "ok"), ("with space.png", "ok"),
                         ("a,b.png", "ok"), ("GOOD.JPG", "ok"), ("tiny1.png", "refuse"),
                         ("s31.png", "refuse"), ("anim.gif", "ok"), ("anim.png", "ok"),
                         ("anim.webp", "ok"), ("multi.tif", "ok"), ("float01.tif", "ok"),
                         ("float01_rgb.tif", "ok"), ("sixteen.png", "ok"), ("cmyk.jpg", "ok"),
                         ("grey.png", "ok"), ("onebit.png", "ok"), ("palette.png", "ok"),
                         ("icc.jpg", "ok"), ("prog.jpg", "ok"), ("trunc.jpg", "refuse"),
                         ("zero.png", "refuse"), ("text.png", "refuse"), ("page.png", "refuse"),
                         ("pic.svg", "refuse"), ("doc.pdf", "refuse"), ("bomb.png", "refuse"),
                         ("folder.png", "refuse"), ("dangling.png", "refuse"), ("loop1.png", "refuse"),
                         ("thin.png", "refuse"), ("nonexistent.png", "refuse")):
        check = not_black("o.png") if name.startswith("float") else None
        add(f"stylize-content-{name}", ["stylize", f"{{F}}/{name}", "swirls", "-o", "o.png", *ST],
            expect, check=check, timeout=30)
    for label, src in (("devnull", "/dev/null"), ("empty", ""), ("space", " "),
                       ("misspelled-sample", "astronuat"), ("ftp-url", "ftp://example.org/a.png"),
                       ("closed-port-url", "http://127.0.0.1:9/a.png"), ("bare-http", "http://"),
                       ("data-url", "data:image/png;base64,iVBORw0KGgo="),
                       ("file-url", "file://{F}/good.png"), ("dash", "-"), ("tilde-missing",
                                                                             "~/nope/none.png"),
                       ("newline", "good\n.png"), ("long-name", "x" * 300 + ".png"),
                       ("proc-self", "/proc/self/status")):
        expect = "either" if label == "file-url" else "refuse"
        add(f"stylize-content-{label}", ["stylize", src, "swirls", "-o", "o.png", *ST], expect,
            timeout=30)
    # --- stylize: styles and weights ----------------------------------------------------------
    for label, style in (("trailing-comma", "swirls,"), ("leading-comma", ",swirls"),
                         ("double-comma", "swirls,,swirls"), ("only-comma", ","),
                         ("fifo", "{F}/fifo.png"), ("dir", "{F}/folder.png"), ("text", "{F}/text.png"),
                         ("same-as-content", "{F}/good.png")):
        expect = "ok" if label == "same-as-content" else "refuse"
        add(f"stylize-style-{label}", ["stylize", "{F}/good.png", style, "-o", "o.png", *ST], expect,
            timeout=30)
    add("stylize-style-50", ["stylize", "{F}/good.png", ",".join(["swirls"] * 50), "-o", "o.png",
                             *ST], "ok", timeout=120)
    for label, w, expect in (("1e309", "1e309,1", "refuse"), ("neg-zero", "-0,1", "either"),
                             ("nan", "nan,1", "refuse"), ("negative", "1,-1", "refuse"),
                             ("zeros", "0,0", "refuse"), ("count", "1", "refuse"),
                             ("letters", "a,b", "refuse"), ("empty", "", "refuse"),
                             ("double-comma", "1,,1", "refuse"), ("inf", "inf,1", "refuse")):
        add(f"stylize-blend-{label}", ["stylize", "{F}/good.png", "swirls,swirls", "-o", "o.png", *ST,
                                       "--style-blend-weights", w], expect)
    for flag, vals in (("--style-weight", ("nan", "inf", "-1", "1e309")),
                       ("--content-weight", ("nan", "-1")), ("--tv-weight", ("-1", "nan")),
                       ("--size", ("0", "-1", "31", "1e3", "", "100000")),
                       ("--steps", ("0", "-1", "1.5")), ("--style-scale", ("0", "-1", "nan", "1e9")),
                       ("--learning-rate", ("0", "-1", "nan")), ("--save-every", ("-1",)),
                       ("--print-every", ("-1",)), ("--schedule", ("bogus", "64,32", "")),
                       ("--content-layers", ("", "conv9_9", "conv1_1,,conv2_1")),
                       ("--style-layers", ("", "pool1")),
                       ("--device", ("", "cuda", "tpu", "cuda:7", "mps")),
                       ("--original-colors", ("2",)), ("--init", ("bogus",)),
                       ("--init-image", ("{F}/folder.png", "{F}/fifo.png", "{F}/none.png",
                                         "{F}/text.png"))):
        for v in vals:
            argv = ["stylize", "{F}/good.png", "swirls", "-o", "o.png", *ST, flag, v]
            if flag == "--size":
                argv = ["stylize", "{F}/good.png", "swirls", "-o", "o.png", "--steps", "1",
                        "--weights", "random", flag, v]
            add(f"stylize{flag}={v.replace('{F}/', '') or 'empty'}", argv, timeout=30)
    add("stylize--seed=-1", ["stylize", "{F}/good.png", "swirls", "-o", "o.png", *ST, "--seed", "-1"],
        "either")
    add("stylize--seed=huge", ["stylize", "{F}/good.png", "swirls", "-o", "o.png", *ST, "--seed",
                               str(2 ** 70)], "either")
    add("stylize--init-image=good", ["stylize", "{F}/good.png", "swirls", "-o", "o.png", *ST,
                                     "--init-image", "{F}/good.png"], "ok")
    add("stylize--schedule=coarse-to-fine", ["stylize", "{F}/good.png", "swirls", "-o", "o.png",
                                             "--size", "64", "--steps", "3", "--weights", "random",
                                             "--schedule", "coarse-to-fine"], "ok")
    for label, masks, style, expect in (
            ("white", "mask_white.png", "swirls", "ok"), ("black", "mask_black.png", "swirls",
                                                          "either"),
            ("wrong-size", "mask_wrongsize.png", "swirls", "either"),
            ("rgba", "mask_rgba.png", "swirls", "either"),
            ("too-many", "mask_white.png,{F}/mask_black.png", "swirls", "refuse"),
            ("too-few", "mask_white.png", "swirls,swirls", "refuse"),
            ("fifo", "fifo.png", "swirls", "refuse"), ("text", "text.png", "swirls", "refuse"),
            ("dir", "folder.png", "swirls", "refuse"), ("empty-item", "mask_white.png,", "swirls",
                                                        "refuse")):
        add(f"stylize-mask-{label}", ["stylize", "{F}/good.png", style, "-o", "o.png", *ST, "--mask",
                                      f"{{F}}/{masks}"], expect, timeout=30)
    # --- stylize: outputs ---------------------------------------------------------------------
    for label, out, expect in (("empty", "", "refuse"), ("upper-PNG", "o.PNG", "ok"),
                               ("upper-JPEG", "o.JPEG", "ok"), ("gif", "o.gif", "refuse"),
                               ("xyz", "o.xyz", "refuse"), ("no-suffix", "o", "refuse"),
                               ("dir", ".", "refuse"), ("missing-folder", "no/such/o.png", "refuse"),
                               ("devnull", "/dev/null", "refuse"), ("unicode", "ünï ☃.png", "ok"),
                               ("spaces", "a b c.png", "ok"), ("long-240", "y" * 240 + ".png", "ok"),
                               ("long-300", "y" * 300 + ".png", "refuse"), ("webp", "o.webp", "ok"),
                               ("tif", "o.tif", "ok"), ("bmp", "o.bmp", "ok"),
                               ("dot-png", ".png", "either"), ("trailing-slash", "o.png/", "refuse")):
        add(f"stylize-out-{label}", ["stylize", "{F}/good.png", "swirls", "-o", out, *ST], expect,
            timeout=30)
    s, ch = unchanged("o.png")
    add("stylize-out-exists", ["stylize", "{F}/good.png", "swirls", "-o", "o.png", *ST], setup=s,
        check=ch)
    s, ch = unchanged("o.png", b"\x89PNG keep")
    add("stylize-out-exists-as-content", ["stylize", "o.png", "swirls", "-o", "o.png", *ST], setup=s,
        check=ch)
    add("stylize-out-is-input-force", ["stylize", "in.png", "swirls", "-o", "in.png", *ST, "--force"],
        "either", setup=lambda F, W: shutil.copy(F / "good.png", W / "in.png"))
    add("stylize-out-fifo-force", ["stylize", "{F}/good.png", "swirls", "-o", "f.png", *ST, "--force"],
        setup=lambda F, W: os.mkfifo(W / "f.png"), timeout=30)
    add("stylize-out-dangling-force", ["stylize", "{F}/good.png", "swirls", "-o", "d.png", *ST,
                                       "--force"], "either",
        setup=lambda F, W: os.symlink(W / "nowhere" / "x.png", W / "d.png"))
    c.append(Case("stylize-out-readonly-disk",
                  run=readonly_run(["stylize", "{F}/good.png", "swirls", "-o", "{RO}/o.png", *ST])))
    c.append(Case("stylize-out-full-disk", run=full_disk_run(
        ["stylize", "{F}/good.png", "swirls", "-o", "{FULL}/o.png", *ST], "o*.png")))
    c.append(Case("stylize-two-runs-one-output", run=two_runs(
        ["stylize", "{F}/good.png", "swirls", "-o", "o.png", *ST], "o*.png")))
    c.append(Case("stylize-sigterm", run=signal_run(
        ["stylize", "{F}/good.png", "swirls", "-o", "o.png", "--size", "64", "--steps", "500",
         "--weights", "random"], signal.SIGTERM, wait_for="Stylizing", delay=2.0, after=no_partial)))
    c.append(Case("stylize-sigint", run=signal_run(
        ["stylize", "{F}/good.png", "swirls", "-o", "o.png", "--size", "64", "--steps", "500",
         "--weights", "random"], signal.SIGINT, wait_for="Stylizing", delay=2.0, after=no_partial)))
    # --- adain ------------------------------------------------------------------------------
    A = ["adain", "{F}/good.png", "swirls", "-o", "o.png", "--size", "64"]
    for flag, vals in (("--alpha", ("nan", "-1", "2", "", "inf")), ("--size", ("0", "31", "-5")),
                       ("--style-size", ("0", "31")), ("--style-blend-weights", ("1,1", "nan")),
                       ("--device", ("cuda", "tpu", ""))):
        for v in vals:
            add(f"adain{flag}={v or 'empty'}", [*A, flag, v])
    for label, src in (("dir", "{F}/folder.png"), ("devnull", "/dev/null"), ("text", "{F}/text.png"),
                       ("trunc", "{F}/trunc.jpg"), ("empty", "")):
        add(f"adain-content-{label}", ["adain", src, "swirls", "-o", "o.png", "--size", "64"],
            timeout=30)
    add("adain-style-fifo", ["adain", "{F}/good.png", "{F}/fifo.png", "-o", "o.png"], timeout=20)
    add("adain-blend-1e309", ["adain", "{F}/good.png", "swirls,swirls", "-o", "o.png", "--size", "64",
                              "--style-blend-weights", "1e309,1"])
    add("adain-blend-1e308", ["adain", "{F}/good.png", "swirls,swirls", "-o", "o.png", "--size", "64",
                              "--style-blend-weights", "1e308,1e308"])
    add("adain-out-gif", ["adain", "{F}/good.png", "swirls", "-o", "o.gif"])
    add("adain-out-dangling", ["adain", "{F}/good.png", "swirls", "-o", "d.png", "--size", "64"],
        setup=lambda F, W: os.symlink(W / "nowhere.png", W / "d.png"))
    add("adain-float-tiff", ["adain", "{F}/float01.tif", "swirls", "-o", "o.png", "--size", "64",
                             "--alpha", "0"], "ok", check=not_black("o.png"))
    c.append(Case("adain-out-full-disk", run=full_disk_run(
        ["adain", "{F}/good.png", "swirls", "-o", "{FULL}/o.png", "--size", "64"], "o*.png")))
    # --- train ------------------------------------------------------------------------------
    T = ["train", "swirls", "-o", "n.pt"]
    for flag, vals in (("--minutes", ("0", "-1", "nan", "inf")), ("--steps", ("0", "-3")),
                       ("--size", ("31", "0")), ("--width", ("0", "-1")), ("--batch-size", ("0",)),
                       ("--lr", ("0", "nan")), ("--style-weight", ("-1", "nan")),
                       ("--tv-weight", ("-1",)), ("--weights", ("bogus",)), ("--seed", ("abc",))):
        for v in vals:
            add(f"train{flag}={v}", [*T, flag, v])
    for label, style in (("empty", ""), ("trailing-comma", "swirls,"), ("fifo", "{F}/fifo.png"),
                         ("dir", "{F}/folder.png"), ("text", "{F}/text.png")):
        add(f"train-style-{label}", ["train", style, "-o", "n.pt", *TR], timeout=30)
    for label, out in (("txt", "n.txt"), ("empty", ""), ("dir", "."), ("missing-folder", "no/n.pt"),
                       ("upper-PT", "N.PT")):
        add(f"train-out-{label}", ["train", "swirls", "-o", out, *TR],
            "ok" if label == "upper-PT" else "refuse")
    s, ch = unchanged("n.pt")
    add("train-out-exists", [*T, *TR], setup=s, check=ch)
    add("train-out-dangling", [*T[:3], "d.pt", *TR],
        setup=lambda F, W: os.symlink(W / "nowhere.pt", W / "d.pt"))
    add("train-two-styles", ["train", "swirls,{F}/good.png", "-o", "n.pt", *TR], "ok")
    c.append(Case("train-sigint-once", run=signal_run(
        ["train", "swirls", "-o", "n.pt", "--minutes", "1", "--size", "32", "--width", "4",
         "--batch-size", "1", "--weights", "random"], signal.SIGINT, after=net_valid("n.pt"))))
    c.append(Case("train-sigterm", run=signal_run(
        ["train", "swirls", "-o", "n.pt", "--minutes", "1", "--size", "32", "--width", "4",
         "--batch-size", "1", "--weights", "random"], signal.SIGTERM, after=no_partial)))
    # --- apply ------------------------------------------------------------------------------
    P = ["apply", "{F}/net.pt", "{F}/good.png", "-o", "o.png"]
    add("apply-ok", P, "ok", check=mode_check("o.png"))
    for net in ("corrupt.pt", "truncated.pt", "foreign.pt", "text.pt", "zero.pt", "folder.png",
                "fifo.pt", "none.pt", "good.png"):
        add(f"apply-net-{net}", ["apply", f"{{F}}/{net}", "{F}/good.png", "-o", "o.png"], timeout=20)
    for mix in ("1,2,3", "", "nan", "-1", "0", "a", "1e309"):
        add(f"apply--mix={mix or 'empty'}", [*P, "--mix", mix])
    add("apply--mix-net2-ok", ["apply", "{F}/net2.pt", "{F}/good.png", "-o", "o.png", "--mix",
                               "0.2,0.8"], "ok")
    add("apply--mix-net2-count", ["apply", "{F}/net2.pt", "{F}/good.png", "-o", "o.png", "--mix", "1"])
    for size in ("0", "31", "-1"):
        add(f"apply--size={size}", [*P, "--size", size])
    for label, photo in (("fifo", "{F}/fifo.png"), ("text", "{F}/text.png"), ("dir", "{F}/folder.png"),
                         ("tiny", "{F}/tiny1.png")):
        add(f"apply-photo-{label}", ["apply", "{F}/net.pt", photo, "-o", "o.png"], timeout=20)
    add("apply-out-pt", ["apply", "{F}/net.pt", "{F}/good.png", "-o", "x.pt"])
    # --- lessons, lab, samples, doctor, top level ---------------------------------------------
    add("lessons-into-file", ["lessons", "f"], setup=lambda F, W: (W / "f").write_text("x"))
    add("lessons-empty-dir-name", ["lessons", ""])
    c.append(Case("lessons-readonly-disk", run=readonly_run(["lessons", "{RO}/L"])))
    c.append(Case("lessons-full-disk", run=full_disk_run(["lessons", "{FULL}/L"], "L/*.ipynb")))
    add("lessons-again-kept", ["lessons", "L"], "ok",
        setup=lambda F, W: cli(F, W, ["lessons", "L"]))
    add("lessons-dangling-link-inside", ["lessons", "L"], "either",
        setup=lambda F, W: ((W / "L").mkdir(), os.symlink(W / "gone", W / "L" / "00_start_here.ipynb")))
    add("lab-into-file", ["lab", "f", "--no-browser"], setup=lambda F, W: (W / "f").write_text("x"))
    add("samples", ["samples"], "ok")
    add("samples-extra-arg", ["samples", "extra"])
    add("no-command", [])
    add("unknown-command", ["paint"])
    add("help", ["--help"], "ok")
    add("stylize-missing-output", ["stylize", "{F}/good.png", "swirls"])
    add("doctor-extra-arg", ["doctor", "--bogus"])
    add("bench-sizes-0", ["bench", "--sizes", "0", "--no-memory", "--rounds", "1", "--steps", "1"],
        timeout=40)
    add("bench-sizes-neg", ["bench", "--sizes", "-5", "--no-memory"], timeout=40)
    add("bench-steps-0", ["bench", "--sizes", "64", "--steps", "0", "--no-memory"], timeout=40)
    add("bench-rounds-0", ["bench", "--sizes", "64", "--rounds", "0", "--no-memory"], timeout=40)
    add("bench-json-dir", ["bench", "--from-json", "{F}/folder.png"])
    add("bench-from-json-fifo", ["bench", "--from-json", "{F}/fifo.png"], timeout=20)
    add("bench-update-readme-missing", ["bench", "--from-json", "{F}/foreign.json", "--update-readme",
                                        "{W}/none.md"])
    return c


# ------------------------------------------------------------------------------ API cases

def api_cases() -> list[Case]:
    sys.path.insert(0, str(ROOT))
    import numpy as np
    import torch

    c: list[Case] = []

    def add(id, fn, expect="refuse", timeout=60.0, issue=False):
        c.append(Case(id, api=fn, expect=expect, timeout=timeout, issue=issue))

    def img(h=48, w=64, **kw):
        return torch.rand(1, 3, h, w, generator=torch.Generator().manual_seed(0), **kw)

    def sty(content=None, style="swirls", **kw):
        from nst_course import stylize

        kw = {"steps": 1, "size": 32, "weights": "random", "progress": False, **kw}
        return stylize(img() if content is None else content, style, **kw)

    # images
    def load(src, **kw):
        from nst_course import load_image

        return lambda F, W: load_image(_fill(src, F, W) if isinstance(src, str) else src(F, W), **kw)

    def float_tiff(name):
        def fn(F, W):
            from nst_course import load_image

            m = load_image(F / name).mean().item()
            return ("ok", f"mean {m:.2f}") if abs(m - 0.5) < 0.1 else ("wrong", f"mean {m:.3f}, want 0.5")
        return fn

    add("issue-api-float-tiff", float_tiff("float01.tif"), issue=True)
    add("api-float-tiff-rgb", float_tiff("float01_rgb.tif"))
    add("issue-api-steps-0", lambda F, W: sty(steps=0), issue=True)
    add("issue-api-steps-neg", lambda F, W: sty(steps=-1), issue=True)
    add("issue-api-size-20", lambda F, W: sty(size=20), issue=True)
    add("issue-api-blend-negative", lambda F, W: sty(style=["swirls", "swirls"], style_blend=[-1, 2]),
        issue=True)
    add("issue-api-blend-1e308", lambda F, W: sty(style=["swirls", "swirls"],
                                                  style_blend=[1e308, 1e308]), issue=True)
    add("api-load-path", lambda F, W: load(lambda F, W: F / "good.png")(F, W), "ok")
    add("api-load-bytes", lambda F, W: load(lambda F, W: (F / "good.png").read_bytes())(F, W), "either")
    add("api-load-bytearray", lambda F, W: load(lambda F, W: bytearray(b"abc"))(F, W))
    add("api-load-file-url", load("file://{F}/good.png"), "ok")
    add("api-load-file-url-missing", load("file://{F}/none.png"))
    add("api-load-fifo", load("{F}/fifo.png"), timeout=15)
    add("api-load-devnull", load("/dev/null"), timeout=15)
    add("api-load-dir", load("{F}/folder.png"))
    add("api-load-int", load(lambda F, W: 123))
    add("api-load-none", load(lambda F, W: None))
    add("api-load-list", load(lambda F, W: ["a.png"]))
    add("api-load-numpy", load(lambda F, W: np.zeros((48, 64, 3), np.uint8)), "either")
    add("api-load-size-0", load("{F}/good.png", size=0))
    add("api-load-size-float", load("{F}/good.png", size=1.5))
    add("api-load-size-str", load("{F}/good.png", size="64"))
    add("api-load-tensor-batch", load(lambda F, W: img().repeat(2, 1, 1, 1)), "ok")
    add("api-load-tensor-grey", load(lambda F, W: img()[:, :1]), "ok")
    add("api-load-tensor-half", load(lambda F, W: img().half()), "ok")
    add("api-load-tensor-noncontig", load(lambda F, W: img().transpose(2, 3)), "ok")
    add("api-load-tensor-grad", load(lambda F, W: img(requires_grad=True)), "ok")
    add("api-load-tensor-nan", load(lambda F, W: img() * float("nan")))
    add("api-load-tensor-255", load(lambda F, W: img() * 255))
    add("api-load-tensor-int64", load(lambda F, W: (img() * 255).long()))
    add("api-load-trunc-name", lambda F, W: _names_user_file(F / "trunc.jpg"))
    # stylize
    add("api-stylize-steps-1.5", lambda F, W: sty(steps=1.5))
    add("api-stylize-steps-str", lambda F, W: sty(steps="2"))
    add("api-stylize-size-0", lambda F, W: sty(size=0))
    add("api-stylize-bytes", lambda F, W: sty(content=(F / "good.png").read_bytes()), "either")
    add("api-stylize-path", lambda F, W: sty(content=F / "good.png"), "ok")
    add("api-stylize-file-url", lambda F, W: sty(content=f"file://{F}/good.png"), "ok")
    add("api-stylize-batch", lambda F, W: sty(content=img().repeat(2, 1, 1, 1)))
    add("api-stylize-grey", lambda F, W: sty(content=img()[:, :1]), "ok")
    add("api-stylize-half", lambda F, W: sty(content=img().half()), "ok")
    add("api-stylize-noncontig", lambda F, W: sty(content=img(64, 48).transpose(2, 3)), "ok")

    def grad_unchanged(F, W):
        x = img(requires_grad=True)
        before = x.detach().clone()
        sty(content=x)
        return ("ok", "") if torch.equal(x.detach(), before) else ("wrong", "input tensor changed")
    add("api-stylize-requires-grad", grad_unchanged)
    add("api-stylize-content-int", lambda F, W: sty(content=123))
    add("api-stylize-style-empty-list", lambda F, W: sty(style=[]))
    add("api-stylize-style-none", lambda F, W: sty(style=None))
    add("api-stylize-weights-bogus", lambda F, W: sty(weights="bogus"))
    add("api-stylize-device-cuda", lambda F, W: sty(device="cuda"))
    add("api-stylize-device-bogus", lambda F, W: sty(device="tpu"))
    add("api-stylize-init-bogus", lambda F, W: sty(init="bogus"))
    add("api-stylize-optimizer-sgd", lambda F, W: sty(optimizer="sgd"))
    add("api-stylize-content-layers-empty", lambda F, W: sty(content_layers=[]))
    add("api-stylize-content-layers-bad", lambda F, W: sty(content_layers=["conv9_9"]))
    add("api-stylize-style-weight-nan", lambda F, W: sty(style_weight=float("nan")))
    add("api-stylize-tv-negative", lambda F, W: sty(tv_weight=-1.0))
    add("api-stylize-blend-nan", lambda F, W: sty(style=["swirls", "swirls"],
                                                  style_blend=[float("nan"), 1]))
    add("api-stylize-blend-count", lambda F, W: sty(style=["swirls", "swirls"], style_blend=[1]))
    add("api-stylize-style-scale-0", lambda F, W: sty(style_scale=0))
    add("api-stylize-lr-negative", lambda F, W: sty(lr=-1.0, optimizer="adam"))
    add("api-stylize-schedule-bogus", lambda F, W: sty(schedule="bogus"))
    add("api-stylize-callback-every-0", lambda F, W: sty(callback=lambda r, i: None,
                                                         callback_every=0))

    def raising_callback(F, W):
        """A learner's callback that raises: their own exception reaches them unchanged (the
        traceback points into their code), not swallowed and not re-worded."""
        def cb(rec, image):
            raise RuntimeError("learner's bug")
        try:
            sty(callback=cb, callback_every=1)
        except RuntimeError as e:
            if str(e) == "learner's bug":
                return "ok", "the callback's own RuntimeError, unchanged"
            raise
        return "wrong", "the callback's exception was swallowed"
    add("api-stylize-callback-raises", raising_callback, "either")

    def reconstruct0(F, W):
        from nst_course import reconstruct

        return reconstruct(img(), "conv1_1", steps=0, weights="random", progress=False)
    add("api-reconstruct-steps-0", reconstruct0)

    def texture0(F, W):
        from nst_course import synthesize_texture

        return synthesize_texture("swirls", steps=0, size=32, weights="random", progress=False)
    add("api-texture-steps-0", texture0)
    # adain
    def ada(**kw):
        def fn(F, W):
            from nst_course.adain import adain_stylize

            args = {"content": img(64, 64), "style": "swirls", "alpha": 1.0, **kw}
            return adain_stylize(args.pop("content"), args.pop("style"), args.pop("alpha"), **args)
        return fn
    add("api-adain-alpha-nan", ada(alpha=float("nan")))
    add("api-adain-alpha-2", ada(alpha=2.0))
    add("api-adain-blend-negative", ada(style=["swirls", "swirls"], style_blend=[-1, 2]))
    add("api-adain-size-20", ada(size=20))
    add("api-adain-content-path", lambda F, W: ada(content=F / "good.png", size=64)(F, W), "ok")
    add("api-adain-half", ada(content=img(64, 64).half()), "ok")
    # saving
    def save(path_fn, tensor=None, **kw):
        def fn(F, W):
            from nst_course import save_image

            return save_image(img() if tensor is None else tensor, path_fn(F, W), **kw)
        return fn
    add("api-save-gif", save(lambda F, W: W / "a.gif"))
    add("api-save-nan", save(lambda F, W: W / "a.png", img() * float("nan")))
    add("api-save-numpy", save(lambda F, W: W / "a.png", np.zeros((48, 64, 3))), "either")
    add("api-save-dangling-no-overwrite", lambda F, W: (
        os.symlink(W / "nowhere.png", W / "d.png"), save(lambda F, W: W / "d.png", overwrite=False)(F, W)))
    add("api-save-loop-no-overwrite", lambda F, W: (
        os.symlink(W / "l2.png", W / "l1.png"), os.symlink(W / "l1.png", W / "l2.png"),
        save(lambda F, W: W / "l1.png", overwrite=False)(F, W)))
    add("api-save-fifo-overwrite", lambda F, W: (
        os.mkfifo(W / "f.png"), save(lambda F, W: W / "f.png", overwrite=True)(F, W)), timeout=15)

    def save_mode(F, W):
        from nst_course import save_image

        old = os.umask(0o022)
        try:
            p = save_image(img(), W / "m.png")
        finally:
            os.umask(old)
        mode = p.stat().st_mode & 0o777
        return ("ok", "") if mode == 0o644 else ("wrong", f"mode {oct(mode)} under umask 022")
    add("issue-api-save-mode", save_mode, issue=True)

    def save_full(F, W):
        if not can_mount():
            return "skipped", "needs root"
        from nst_course import save_image

        with tmpfs(W / "full", full=True):
            try:
                save_image(img(256, 256), W / "full" / "a.png")
            except OSError as e:
                msg = str(e)
                if str(W / "full") not in msg or INTERNAL.search(msg):
                    return "unclear", msg[:140]
                return "ok", msg[:140]
            return "wrong", "saved onto a full disk?"
    add("api-save-full-disk", save_full)
    # networks
    def net_case(path_fn):
        def fn(F, W):
            from nst_course.feedforward import load_net

            return load_net(path_fn(F, W))
        return fn
    for n in ("corrupt.pt", "truncated.pt", "foreign.pt", "folder.png", "fifo.pt"):
        add(f"api-load-net-{n}", net_case(lambda F, W, n=n: F / n), timeout=15)

    def apply_mix(mix):
        def fn(F, W):
            from nst_course.feedforward import apply_net, load_net

            return apply_net(load_net(F / "net2.pt"), img(), mix)
        return fn
    add("api-apply-mix-count", apply_mix([1, 2, 3]))
    add("api-apply-mix-nan", apply_mix([float("nan"), 1]))
    add("api-apply-mix-negative", apply_mix([-1, 2]))
    add("api-apply-mix-bogus-name", apply_mix("zzz"))

    def train_case(**kw):
        def fn(F, W):
            from nst_course.feedforward import StyleNet
            from nst_course.training import train

            torch.manual_seed(0)
            net = StyleNet(["s"], width=4)
            args = {"steps": 1, "batch_size": 1, "crop": 32, "photos": [img(64, 64)],
                    "progress": False, **kw}
            return train(net, [img(64, 64)], **args)
        return fn
    add("api-train-no-budget", train_case(steps=None))
    add("api-train-steps-0", train_case(steps=0))
    add("api-train-minutes-neg", train_case(steps=None, minutes=-1))
    add("api-train-minutes-0", train_case(steps=None, minutes=0))
    add("api-train-batch-0", train_case(batch_size=0))
    add("api-train-seed-neg", train_case(seed=-1))
    add("api-train-photos-empty", train_case(photos=[]))

    def train_ckpt_full(F, W):
        if not can_mount():
            return "skipped", "needs root"
        with tmpfs(W / "full", full=True):
            os.environ["TMPDIR"] = str(W / "tmp")
            (W / "tmp").mkdir(exist_ok=True)
            tempfile.tempdir = None
            try:
                train_case(checkpoint=W / "full" / "n.pt")(F, W)
            except OSError as e:
                return ("data loss", f"trained, then lost: {e}"[:140])
            finally:
                os.environ.pop("TMPDIR")
                tempfile.tempdir = None
            found = list((W / "tmp").glob("n*.pt")) + list((W / "full").glob("n*.pt"))
            return ("ok", f"saved as {found[0].name}") if found else ("data loss", "nothing saved")
    add("issue-api-train-checkpoint-full-disk", train_ckpt_full, issue=True)

    def train_ckpt_appears(F, W):
        p = W / "n.pt"

        def cb(rec, image):
            p.write_bytes(b"theirs")
        try:
            train_case(checkpoint=p, overwrite=False, callback=cb, callback_every=1)(F, W)
        except FileExistsError as e:
            return "data loss", f"trained, then lost: {e}"[:140]
        if p.read_bytes() != b"theirs":
            return "data loss", "replaced a file that appeared meanwhile"
        return ("ok", "") if len(list(W.glob("n*.pt"))) == 2 else ("data loss", "network not kept")
    add("issue-api-train-checkpoint-appears", train_ckpt_appears, issue=True)
    # lessons
    def lessons_into(setup):
        def fn(F, W):
            from nst_course.lessons import copy_lessons

            setup(W)
            return copy_lessons(W / "L")
        return fn
    add("issue-api-lessons-00-dir", lessons_into(lambda W: (W / "L" / "00_start_here.ipynb").mkdir(
        parents=True)), issue=True)

    def lessons_mode(F, W):
        from nst_course.lessons import copy_lessons

        old = os.umask(0o022)
        try:
            paths = copy_lessons(W / "L", student=True)
        finally:
            os.umask(old)
        bad = [p.name for p in paths if p.stat().st_mode & 0o777 != 0o644]
        return ("wrong", f"{len(bad)} of {len(paths)} not 0o644") if bad else ("ok", "")
    add("issue-api-lessons-mode", lessons_mode, issue=True)
    # checkers
    from nst_course import checks

    def forever(*a, **k):
        while True:
            pass

    def raises(*a, **k):
        raise RuntimeError("a bug in the learner's code")

    def not_impl(*a, **k):
        raise NotImplementedError

    def type_err(*a, **k):
        raise TypeError("unsupported operand type(s) for +: 'int' and 'str'")

    def gives(value):
        return lambda *a, **k: value(*a) if callable(value) else value

    def first_np(*a, **k):
        return np.asarray(a[0].detach())

    def first_list(*a, **k):
        return a[0].detach().tolist()

    def huge(*a, **k):
        return torch.zeros(4000, 4000)

    def nan_out(*a, **k):
        return torch.tensor(float("nan"))

    def judge_checker(name, fn, limit=20.0):
        def run(F, W):
            t0 = time.monotonic()
            got = getattr(checks, name)(fn)
            if got is not False:
                return "wrong", f"returned {got!r} for a wrong answer"
            dt = time.monotonic() - t0
            return "ok", f"False in {dt:.1f} s"
        return run

    learners = {"raises": raises, "not-implemented": not_impl, "type-error": type_err,
                "numpy": first_np, "list": first_list, "huge": huge, "none": gives(None),
                "nan": nan_out, "not-callable": 5, "forever": forever}
    checkers = ("check_gram_matrix", "check_style_loss", "check_content_loss", "check_tv_loss",
                "check_adain", "check_stop_when_flat", "check_optimisation_loop")
    for name in checkers:
        for label, fn in learners.items():
            if label in ("list", "huge") and name in ("check_stop_when_flat",
                                                      "check_optimisation_loop"):
                continue
            issue = label == "forever" or (name == "check_optimisation_loop"
                                           and label in ("nan", "not-implemented", "type-error"))
            add(f"{'issue-' if issue else ''}checker-{name[6:]}-{label}",
                judge_checker(name, fn), timeout=25.0 if label == "forever" else 60.0, issue=issue)

    def loop_nan(fn, objective, start, steps):
        return torch.full_like(start, float("nan"))
    add("issue-checker-loop-returns-nan-image", judge_checker("check_optimisation_loop", loop_nan),
        issue=True)

    def order(answer, limit=15.0):
        def fn(F, W):
            from nst_course.widgets import check_order

            got = check_order(answer)
            return ("ok", "") if got is False else ("wrong", f"returned {got!r}")
        return fn
    add("issue-check-order-10M", order("S" * 10_000_000), timeout=15, issue=True)
    for label, ans in (("none", None), ("int", 123), ("empty", ""), ("list", ["S", "T"]),
                       ("unicode", "ŠTYLÉ"), ("spaces", "S T Y L")):
        add(f"check-order-{label}", order(ans), timeout=15)
    # plotting / alt text
    def feature_alt(F, W):
        import matplotlib.pyplot as plt

        from nst_course.plotting import describe_figure, show_feature_maps

        fig = show_feature_maps(torch.rand(1, 8, 16, 16), n=4, title="conv1_1 channels")
        fig = fig if fig is not None else plt.gcf()
        alt = describe_figure(fig)
        plt.close("all")
        words = re.findall(r"\w+", alt.lower())
        rep = [a for a, b in zip(words, words[1:]) if a == b]
        return ("wrong", f"repeats {rep[0]!r}: {alt[:100]}") if rep else ("ok", alt[:100])
    add("issue-alt-text-repeats", feature_alt, issue=True)

    def history_case(hist):
        def fn(F, W):
            import matplotlib.pyplot as plt

            from nst_course.plotting import plot_history

            try:
                return plot_history(hist)
            finally:
                plt.close("all")
        return fn
    add("api-plot-history-empty", history_case([]), "either")
    add("api-plot-history-none", history_case(None))
    add("api-plot-history-int", history_case(5))
    # devices and weights
    def device(name):
        def fn(F, W):
            from nst_course import get_device

            return get_device(name)
        return fn
    add("api-device-tpu", device("tpu"))
    add("api-device-cuda7", device("cuda:7"))
    add("api-device-int", device(3.5))

    def vgg_bogus(F, W):
        from nst_course import load_vgg

        return load_vgg("bogus")
    add("api-load-vgg-bogus", vgg_bogus)

    def gram_list(F, W):
        from nst_course import gram_matrix

        return gram_matrix([[1.0, 2.0]])
    add("api-gram-list", gram_list)

    def content_mismatch(F, W):
        from nst_course import content_loss

        return content_loss(torch.rand(1, 3, 8, 8), torch.rand(1, 4, 8, 8))
    add("api-content-loss-shapes", content_mismatch)
    return c


def _names_user_file(path: Path):
    """A damaged file's message names it, not a temporary copy."""
    from nst_course import load_image

    try:
        load_image(path)
    except ValueError as e:
        if str(path) not in str(e):
            return "unclear", f"does not name {path.name}: {e}"[:140]
        return "ok", str(e)[:140]
    return "wrong", "loaded a truncated JPEG"


# ------------------------------------------------------------------------------ main

def run_case(case: Case, F: Path, base: Path) -> tuple[str, str, float]:
    W = Path(tempfile.mkdtemp(prefix="case-", dir=base))
    (W / "tmp").mkdir()
    t0 = time.monotonic()
    old_umask = os.umask(0o022)
    try:
        if case.setup:
            case.setup(F, W)
        if case.run:
            outcome, detail = case.run(F, W)
        elif case.api:
            outcome, detail = judge_api(case.expect, lambda: case.api(F, W), case.timeout)
        else:
            rc, out, err = cli(F, W, case.argv, case.timeout, case.env)
            outcome, detail = judge_cli(case.expect, rc, err)
            if outcome == "ok" and case.check:
                outcome, detail = case.check(F, W, rc, out, err) or (outcome, detail)
    except Exception as e:  # noqa: BLE001 - a broken case must not stop the sweep
        outcome, detail = "skipped", f"the case itself failed: {type(e).__name__}: {e}"[:140]
    finally:
        os.umask(old_umask)
    return outcome, detail, time.monotonic() - t0


def read_table(path: Path) -> dict[str, str]:
    rows = {}
    for line in path.read_text().splitlines():
        m = re.match(r"\| `([^`]+)` \| ([a-z ]+) \|", line)
        if m:
            rows[m.group(1)] = m.group(2).strip()
    return rows


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", required=True, help="markdown file to write")
    p.add_argument("--before", help="an earlier --out: its outcomes become the 'before' column")
    p.add_argument("--only", default=None, help="run only cases whose id starts with this")
    p.add_argument("--list", action="store_true", help="list the case ids and exit")
    p.add_argument("--timeout-scale", type=float, default=1.0,
                   help="multiply every case's time limit (a loaded machine: 3)")
    args = p.parse_args(argv)
    global TIMEOUT_SCALE
    TIMEOUT_SCALE = args.timeout_scale
    cases = cli_cases() + api_cases()
    ids = [c.id for c in cases]
    assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1]
    if args.only:
        cases = [c for c in cases if c.id.startswith(args.only)]
    if args.list:
        print("\n".join(c.id for c in cases))
        return 0
    before = read_table(Path(args.before)) if args.before else {}
    base = Path(tempfile.mkdtemp(prefix="nst-sweep-"))
    base.chmod(0o777)
    F = base / "fixtures"
    F.mkdir()
    make_fixtures(F)
    rows, t_all = [], time.monotonic()
    try:
        for i, case in enumerate(cases, 1):
            outcome, detail, dt = run_case(case, F, base)
            rows.append((case, outcome, detail))
            print(f"[{i}/{len(cases)}] {case.id}: {outcome} ({dt:.1f} s) {detail}", flush=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    write_report(Path(args.out), rows, before, time.monotonic() - t_all)
    return 0


def write_report(path: Path, rows, before: dict, seconds: float) -> None:
    n_issue = sum(c.issue for c, _, _ in rows)
    lines = [f"# Bad-input sweep (issue 26): {len(rows)} cases, {n_issue} of them the issue's own "
             f"items, {len(rows) - n_issue} beyond them", "",
             f"Run by `tools/badinput_sweep.py` in {seconds / 60:.1f} min (under load, with nice).", ""]
    counts = {o: sum(r[1] == o for r in rows) for o in OUTCOMES}
    if before:
        bcounts = {o: sum(before.get(c.id) == o for c, _, _ in rows) for o in OUTCOMES}
        lines += ["| outcome | before | after |", "|---|---|---|"]
        lines += [f"| {o} | {bcounts[o]} | {counts[o]} |" for o in OUTCOMES]
        lines += ["", "| case | before | after | detail (after) |", "|---|---|---|---|"]
        lines += [f"| `{c.id}` | {before.get(c.id, '-')} | {o} | {_cell(d)} |" for c, o, d in rows]
    else:
        lines += ["| outcome | count |", "|---|---|"]
        lines += [f"| {o} | {counts[o]} |" for o in OUTCOMES]
        lines += ["", "| case | outcome | detail |", "|---|---|---|"]
        lines += [f"| `{c.id}` | {o} | {_cell(d)} |" for c, o, d in rows]
    path.write_text("\n".join(lines) + "\n")


def _cell(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


if __name__ == "__main__":
    sys.exit(main())
