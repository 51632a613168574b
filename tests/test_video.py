"""Lesson 10's video pieces: exact flows, warping, estimated flow, temporal loss, the CLI."""

from __future__ import annotations

import pytest
import torch
from PIL import Image

from nst_course import load_image
from nst_course.cli import main
from nst_course.feedforward import StyleNet, save_net
from nst_course.flow import consistency_mask, endpoint_error, estimate_clip_flows, estimate_flow
from nst_course.images import tensor_to_pil
from nst_course.video import (
    PATHS,
    camera_clip,
    difference_strip,
    exact_flow,
    temporal_loss,
    warp,
    warping_error,
)
from nst_course.videofiles import ClipError, animation_bytes, read_frames, side_by_side
from nst_course.videostyle import stylize_clip


@pytest.fixture(scope="module")
def photo():
    return load_image("astronaut", 192)


@pytest.fixture(scope="module")
def clip(photo):
    return camera_clip(photo, frames=4, size=96, path="homography")


def _masked_mae(a, b, mask):
    return ((a - b).abs() * mask).sum().item() / (3 * mask.sum().item())


@pytest.mark.parametrize("path", PATHS)
def test_warping_with_the_exact_flow_gives_the_next_frame(photo, path):
    clip = camera_clip(photo, frames=3, size=96, path=path, speed=3)
    warped = warp(clip.frames[:-1], clip.flows)
    for t in range(2):
        m = clip.masks[t]
        after = _masked_mae(warped[t], clip.frames[t + 1], m)
        before = _masked_mae(clip.frames[t], clip.frames[t + 1], m)
        assert after < 0.02, (path, after)  # only interpolation error is left
        assert after < before / 3, (path, after, before)


def test_exact_flow_of_a_pan_is_the_shift_and_the_mask_the_entering_strip():
    shift = torch.tensor([[1, 0, 5.0], [0, 1, 0], [0, 0, 1]], dtype=torch.float64)  # camera 5 px right
    flow, mask = exact_flow(torch.eye(3, dtype=torch.float64), shift, 8, 20)
    assert torch.allclose(flow[0], torch.full((8, 20), 5.0)) and torch.allclose(flow[1], torch.zeros(8, 20))
    # pixel x of the new frame was at x + 5 before: only x <= 14 was inside the old frame
    assert mask[0, :, :15].all() and not mask[0, :, 15:].any()


def test_zoom_in_has_no_disocclusions_and_a_pan_has_some(photo):
    assert camera_clip(photo, 3, 96, "zoom").masks.all()
    pan = camera_clip(photo, 3, 96, "pan")
    assert 0.9 < pan.masks.mean() < 1.0


def test_warp_round_trip_and_conventions():
    img = torch.rand(1, 3, 10, 12)
    assert torch.allclose(warp(img, torch.zeros(1, 2, 10, 12)), img, atol=1e-6)
    flow = torch.zeros(1, 2, 10, 12)
    flow[:, 0] = 2  # dx = 2: out[x] = img[x + 2]
    assert torch.allclose(warp(img, flow)[..., :-2], img[..., 2:], atol=1e-5)
    flow = torch.zeros(2, 10, 12)
    flow[1] = -3  # dy = -3 on an unbatched image: out[y] = img[y - 3]
    assert torch.allclose(warp(img[0], flow)[:, 3:], img[0, :, :-3], atol=1e-5)


def test_camera_leaving_the_photo_is_refused():
    with pytest.raises(ValueError, match="leaves the"):
        camera_clip(torch.rand(1, 3, 100, 100), frames=20, size=96, path="pan")


def test_warping_error_is_zero_for_a_still_clip_and_counts_only_valid_pixels(clip):
    frames = clip.frames[:1].expand(3, -1, -1, -1)
    zero = torch.zeros(2, 2, *frames.shape[-2:])
    ones = torch.ones(2, 1, *frames.shape[-2:])
    assert warping_error(frames, zero, ones) < 1e-10
    noisy = clip.frames.clone()
    noisy[1:, :, :, :10] = torch.rand_like(noisy[1:, :, :, :10])  # changes only a masked-out strip
    masks = clip.masks.clone()
    masks[:, :, :, :10] = 0
    assert warping_error(noisy, clip.flows, masks) == pytest.approx(
        warping_error(clip.frames, clip.flows, masks), abs=1e-6)
    assert warping_error(clip.frames, clip.flows, clip.masks) < 2e-3
    assert difference_strip(clip.frames, clip.flows, clip.masks).shape == clip.flows[:, :1].expand(
        -1, 3, -1, -1).shape


@pytest.mark.parametrize("method, bound", [("tvl1", 0.3), ("ilk", 0.5)])
def test_estimated_flow_is_close_to_the_exact_flow(photo, method, bound):
    clip = camera_clip(load_image("astronaut", 384), frames=2, size=160, path="homography")
    flow = estimate_flow(clip.frames[1], clip.frames[0], method)
    epe = endpoint_error(flow, clip.flows[0], clip.masks[0])
    still = endpoint_error(torch.zeros_like(flow), clip.flows[0], clip.masks[0])
    assert epe < bound, (method, epe, still)
    assert still > 2  # the camera moved: a zero flow would be far off
    _, masks = estimate_clip_flows(clip.frames, method)
    assert (masks == clip.masks).float().mean() > 0.95


def test_consistency_mask_rejects_flows_that_do_not_undo_each_other():
    b = torch.zeros(2, 8, 8)
    b[0] = 1.0
    assert consistency_mask(b, -b)[0, :, :7].all()
    assert not consistency_mask(b, b)[0, :, :7].any()  # |1 + 1|^2 = 4 > 0.02 + 0.5


def test_temporal_loss_is_rudes_formula():
    x, w = torch.rand(1, 3, 5, 6), torch.rand(1, 3, 5, 6)
    c = (torch.rand(1, 1, 5, 6) > 0.5).float()
    expected = sum(c[0, 0, i, j] * (x[0, k, i, j] - w[0, k, i, j]) ** 2
                   for k in range(3) for i in range(5) for j in range(6)) / (3 * 5 * 6)
    assert temporal_loss(x, w, c).item() == pytest.approx(expected.item(), rel=1e-5)


@pytest.fixture(scope="module")
def vgg():
    from nst_course import load_vgg

    return load_vgg(precision="auto")


def test_temporal_loss_lowers_the_warping_error(vgg):
    clip = camera_clip(load_image("astronaut", 128), frames=3, size=64, path="homography", speed=2)
    style = load_image("swirls", 64)
    frames = clip.frames
    kw = dict(style_img=style, vgg=vgg, flows=clip.flows, masks=clip.masks, steps=6,
              first_steps=12, progress=False)
    warm = stylize_clip(frames, "warm", **kw)
    temporal = stylize_clip(frames, "temporal", **kw)
    e_warm = warping_error(warm.frames, clip.flows[:2], clip.masks[:2])
    e_temporal = warping_error(temporal.frames, clip.flows[:2], clip.masks[:2])
    assert e_temporal < e_warm / 3, (e_temporal, e_warm)
    assert len(temporal.style_loss) == 3 and all(s > 0 for s in temporal.style_loss)


def test_blending_lowers_the_networks_warping_error(clip):
    torch.manual_seed(0)
    net = StyleNet(["a"], width=4, residual_blocks=1)
    kw = dict(net=net, flows=clip.flows, masks=clip.masks, progress=False)
    plain = stylize_clip(clip.frames, "net", **kw).frames
    blended = stylize_clip(clip.frames, "net-blend", blend=0.6, **kw).frames
    assert torch.equal(plain[0], blended[0])
    assert warping_error(blended, clip.flows, clip.masks) < warping_error(plain, clip.flows, clip.masks)


def test_ctrl_c_keeps_the_finished_frames(clip):
    net = StyleNet(["a"], width=4, residual_blocks=1)

    def stop(t, img):
        if t == 1:
            raise KeyboardInterrupt

    result = stylize_clip(clip.frames, "net", net=net, progress=False, on_frame=stop)
    assert result.stopped == "interrupted" and result.frames.shape[0] == 2


def test_a_second_ctrl_c_cannot_lose_the_finished_frames(clip, monkeypatch):
    """Real signals: Ctrl-C after frame 1, a second one from a ``__del__`` while it unwinds, a
    third while the "Interrupted" message prints."""
    import os
    import signal
    import sys

    import nst_course.videostyle as videostyle

    unraisable, before = [], signal.getsignal(signal.SIGINT)
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)

    class CtrlCWhenCollected:
        def __del__(self):
            os.kill(os.getpid(), signal.SIGINT)

    def stop(t, img):
        if t == 1:
            second = CtrlCWhenCollected()
            try:
                os.kill(os.getpid(), signal.SIGINT)
            finally:
                del second

    def noisy_print(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)
        print(*args, **kwargs)

    monkeypatch.setattr(videostyle, "print", noisy_print, raising=False)
    net = StyleNet(["a"], width=4, residual_blocks=1)
    result = stylize_clip(clip.frames, "net", net=net, progress=False, on_frame=stop)
    assert result.stopped == "interrupted" and result.frames.shape[0] == 2 and unraisable == []
    assert signal.getsignal(signal.SIGINT) is before


def test_methods_refuse_missing_inputs(clip):
    with pytest.raises(ValueError, match="flows"):
        stylize_clip(clip.frames, "temporal", style_img=clip.frames[:1], vgg=object())
    with pytest.raises(ValueError, match="network"):
        stylize_clip(clip.frames, "net")
    with pytest.raises(ValueError, match="unknown method"):
        stylize_clip(clip.frames, "ruder")


# ------------------------------------------------------------------ files and the command line


@pytest.fixture
def gif(tmp_path, clip):
    path = tmp_path / "clip.gif"
    path.write_bytes(animation_bytes(clip.frames, fps=5))
    return path


@pytest.fixture
def net_file(tmp_path):
    torch.manual_seed(0)
    return save_net(StyleNet(["swirls", "waves"], width=4, residual_blocks=1), tmp_path / "net.pt")


def test_read_frames_from_a_gif_and_a_folder(tmp_path, gif, clip):
    frames, fps = read_frames(gif)
    assert frames.shape == clip.frames.shape and fps == pytest.approx(5)
    assert (frames - clip.frames).abs().mean() < 0.05  # GIF's 256 colours
    folder = tmp_path / "frames"
    folder.mkdir()
    for t, f in enumerate(clip.frames):
        tensor_to_pil(f).save(folder / f"{t:03d}.png")
    frames, _ = read_frames(folder, max_frames=3)
    assert torch.allclose(frames, clip.frames[:3], atol=1 / 255 + 1e-6)
    both = side_by_side([clip.frames, clip.frames], ["a", "b"], gap=4)
    assert both.shape[-1] == 2 * clip.frames.shape[-1] + 4


def test_cli_video_with_a_network_writes_every_frame(tmp_path, gif, net_file, capsys):
    out = tmp_path / "out.gif"
    assert main(["video", str(gif), str(out), "--method", "net-blend", "--net", str(net_file),
                 "--size", "96", "--flow", "ilk", "--mix", "0.5,0.5"]) == 0
    frames, _ = read_frames(out)
    assert frames.shape[0] == 4
    assert "Wrote" in capsys.readouterr().err
    folder = tmp_path / "frames_out"
    assert main(["video", str(gif), str(folder), "--method", "net", "--net", str(net_file)]) == 0
    assert sorted(p.name for p in folder.iterdir()) == [f"frame_{t:04d}.png" for t in range(4)]


def test_cli_video_with_the_temporal_loss(tmp_path, gif):
    out = tmp_path / "out.webp"
    assert main(["video", str(gif), str(out), "--method", "temporal", "--size", "64", "--steps", "2",
                 "--first-steps", "3", "--max-frames", "2"]) == 0
    with Image.open(out) as img:
        assert img.n_frames == 2


def test_cli_video_ctrl_c_keeps_finished_frames(tmp_path, gif, net_file, monkeypatch):
    import nst_course.videostyle as vs

    calls = []
    real = vs.apply_net

    def apply_then_stop(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(vs, "apply_net", apply_then_stop)
    out = tmp_path / "out.gif"
    assert main(["video", str(gif), str(out), "--method", "net", "--net", str(net_file)]) == 130
    assert read_frames(out)[0].shape[0] == 2


def test_cli_video_writes_the_finished_frames_through_a_second_ctrl_c(tmp_path, gif, net_file,
                                                                      monkeypatch):
    """Real signals: Ctrl-C while frame 3 is stylised, a second one as the animation is written."""
    import os
    import signal

    import nst_course.videofiles as videofiles
    import nst_course.videostyle as vs

    calls, real_apply, real_write = [], vs.apply_net, videofiles.write_animation

    def apply_then_ctrl_c(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            os.kill(os.getpid(), signal.SIGINT)
        return real_apply(*args, **kwargs)

    def write(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)
        return real_write(*args, **kwargs)

    monkeypatch.setattr(vs, "apply_net", apply_then_ctrl_c)
    monkeypatch.setattr(videofiles, "write_animation", write)
    out = tmp_path / "out.gif"
    assert main(["video", str(gif), str(out), "--method", "net", "--net", str(net_file)]) == 130
    assert read_frames(out)[0].shape[0] == 2


def _error(argv, capsys) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err
    return err


def test_cli_video_bad_inputs(tmp_path, gif, net_file, capsys):
    out = str(tmp_path / "o.gif")
    net = ["--method", "net", "--net", str(net_file)]
    assert "no such file" in _error(["video", str(tmp_path / "nope.gif"), out, *net], capsys)
    text = tmp_path / "notes.gif"
    text.write_text("not a picture")
    assert "not an image or animation" in _error(["video", str(text), out, *net], capsys)
    still = tmp_path / "still.png"
    Image.new("RGB", (64, 48)).save(still)
    assert "still image" in _error(["video", str(still), out, *net], capsys)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "no image files" in _error(["video", str(empty), out, *net], capsys)
    mp4 = tmp_path / "clip.mp4"
    mp4.write_bytes(b"\0\0\0 ftypisom")
    assert "ffmpeg" in _error(["video", str(mp4), out, *net], capsys)
    exists = tmp_path / "exists.gif"
    exists.write_bytes(b"x")
    assert "--force" in _error(["video", str(gif), str(exists), *net], capsys)
    assert "'.mp4' is neither" in _error(["video", str(gif), str(tmp_path / "o.mp4"), *net], capsys)
    missing = ["video", str(gif), out, "--method", "net", "--net", "nothere.pt"]
    assert "no such file" in _error(missing, capsys)
    assert "--steps" in _error(["video", str(gif), out, "--steps", "0"], capsys)
    assert "--mix takes" in _error(["video", str(gif), out, *net, "--mix", "a,b"], capsys)
    assert not (tmp_path / "o.gif").exists()


def test_read_frames_errors_name_the_file(tmp_path):
    with pytest.raises(ClipError, match="nope"):
        read_frames(tmp_path / "nope")


# ------------------------------------------------------------------ the exercise's checker


def _right(image, previous, flow, mask):
    return (mask * (image - warp(previous, flow)) ** 2).sum() / image.numel()


WRONG = [
    (lambda x, p, f, m: (m * (x - p) ** 2).sum() / x.numel(), "warp it first"),
    (lambda x, p, f, m: (m * (x - warp(p, -f)) ** 2).sum() / x.numel(), "-flow"),
    (lambda x, p, f, m: ((x - warp(p, f)) ** 2).mean(), "left out the mask"),
    (lambda x, p, f, m: ((1 - m) * (x - warp(p, f)) ** 2).sum() / x.numel(), "1 - mask"),
    (lambda x, p, f, m: (m * (x - warp(p, f)) ** 2).sum() / (3 * m.sum()), "Lai et al."),
    (lambda x, p, f, m: (m * (x - warp(p, f)) ** 2).sum(), "without dividing"),
    (lambda x, p, f, m: (m * (x - warp(p, f)).abs()).sum() / x.numel(), "absolute"),
    (lambda x, p, f, m: (m * (x - warp(p, f)) ** 2).sum().item() / x.numel(), "Python number"),
    (lambda x, p, f, m: (m * (x - warp(p, f)) ** 2).detach().sum() / x.numel(), "no gradient"),
    (lambda x, p, f, m: m * (x - warp(p, f)) ** 2, "one number"),
    (lambda x, p, f, m: None, "not yet solved"),
    (lambda x, p, f, m: 1 / 0, "ZeroDivisionError"),
    (3.0, "function itself"),
]


def test_checker_passes_the_right_answer(capsys):
    from nst_course.checks import check_temporal_loss

    assert check_temporal_loss(_right)
    assert "PASS" in capsys.readouterr().out


@pytest.mark.parametrize("fn, says", WRONG)
def test_checker_names_each_mistake(fn, says, capsys):
    from nst_course.checks import check_temporal_loss

    assert not check_temporal_loss(fn)
    out = capsys.readouterr().out
    assert says in out and out.count("\n") == 1, out


def test_the_built_site_shows_the_animation(clip):
    """Lesson 10 displays its GIF with IPython.display.Image: the site builder must keep it."""
    import base64
    import sys
    from pathlib import Path

    import nbformat

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
    import build_site

    gif = base64.b64encode(animation_bytes(clip.frames[:2], fps=4)).decode()
    out = nbformat.v4.new_output("display_data", data={"image/gif": gif, "text/plain": "<Image>"})
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 97 — T"),
                                         nbformat.v4.new_code_cell("x", outputs=[out],
                                                                   metadata={"alt": "five methods"})])
    assert build_site.describe_images(nb) == []
    assert nb.cells[1].outputs[0].data["text/html"].startswith('<img src="data:image/gif;base64,')
