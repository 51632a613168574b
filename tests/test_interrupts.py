"""Ctrl-C twice: the first stops a run, a second one (real signals) cannot lose its result."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

import pytest
import torch

import nst_course.harness as harness
import nst_course.stages as stages
from nst_course import stylize
from nst_course.harness import optimize_image
from nst_course.interrupts import first_interrupt_only


def ctrl_c():
    """A real SIGINT to this process, and time for its handler to run."""
    os.kill(os.getpid(), signal.SIGINT)
    for _ in range(20):
        time.sleep(0.001)


class CtrlCWhenCollected:
    """Presses Ctrl-C from its ``__del__``: run while an interrupt unwinds the frame holding it."""

    def __del__(self):
        os.kill(os.getpid(), signal.SIGINT)


def interrupt_with_a_second_one_while_unwinding():
    second = CtrlCWhenCollected()
    try:
        ctrl_c()  # the first Ctrl-C: interrupts here
    finally:
        del second  # its __del__ presses Ctrl-C again while the KeyboardInterrupt unwinds


@pytest.fixture
def unraisable(monkeypatch):
    """What Python prints as "Exception ignored in ..." (an interrupted ``__del__``)."""
    seen = []
    monkeypatch.setattr(sys, "unraisablehook", seen.append)
    return seen


def test_the_first_ctrl_c_interrupts_and_later_ones_are_ignored_until_the_block_ends():
    before = signal.getsignal(signal.SIGINT)
    with first_interrupt_only():
        with pytest.raises(KeyboardInterrupt):
            ctrl_c()
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
        ctrl_c()  # ignored
    assert signal.getsignal(signal.SIGINT) is before
    with pytest.raises(KeyboardInterrupt):  # Python's Ctrl-C again
        ctrl_c()


def test_the_handler_comes_back_after_an_error_and_without_any_ctrl_c():
    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(ValueError):
        with first_interrupt_only():
            assert signal.getsignal(signal.SIGINT) is not before
            raise ValueError("boom")
    assert signal.getsignal(signal.SIGINT) is before
    with first_interrupt_only():
        pass
    assert signal.getsignal(signal.SIGINT) is before


def test_nested_blocks_are_one_the_outermost_decides():
    before = signal.getsignal(signal.SIGINT)
    with first_interrupt_only():
        outer = signal.getsignal(signal.SIGINT)
        with first_interrupt_only():
            assert signal.getsignal(signal.SIGINT) is outer  # the inner block changes nothing
            with pytest.raises(KeyboardInterrupt):
                ctrl_c()
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN  # held until the outer one ends
        ctrl_c()
        with first_interrupt_only():  # entered after the first Ctrl-C: still held
            ctrl_c()
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    assert signal.getsignal(signal.SIGINT) is before


def test_nothing_changes_outside_the_main_thread_or_over_a_handler_that_is_not_python():
    before, seen = signal.getsignal(signal.SIGINT), []

    def worker():
        with first_interrupt_only():
            seen.append(signal.getsignal(signal.SIGINT))

    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert seen == [before]
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with first_interrupt_only():
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, before)


def _quadratic(target):
    def objective(x):
        total = ((x - target) ** 2).sum()
        zero = total.detach() * 0
        return total, {"content": total.detach(), "style": zero, "tv": zero, "total": total.detach()}
    return objective


def test_optimize_image_keeps_its_result_through_a_second_and_third_ctrl_c(unraisable, monkeypatch):
    """The first Ctrl-C in step 3's objective, a second from a ``__del__`` while it unwinds, a
    third while the "Interrupted" message prints: the best image so far comes back, nothing is
    printed as ignored, and afterwards Ctrl-C is Python's again."""
    before, calls, printed = signal.getsignal(signal.SIGINT), [], []
    target = torch.full((1, 3, 8, 8), 0.25)
    quadratic = _quadratic(target)

    def objective(x):
        calls.append(1)
        if len(calls) == 3:
            interrupt_with_a_second_one_while_unwinding()
        return quadratic(x)

    def noisy_print(*args, **kwargs):
        printed.append(args)
        ctrl_c()
        print(*args, **kwargs)

    monkeypatch.setattr(harness, "print", noisy_print, raising=False)
    result = optimize_image(objective, torch.rand(1, 3, 8, 8), steps=10, progress=False)
    assert result.stopped == "interrupted" and len(result.history) == 2
    assert printed and unraisable == []
    assert result.image.shape == (1, 3, 8, 8) and torch.isfinite(result.image).all()
    assert signal.getsignal(signal.SIGINT) is before


def test_stylize_holds_a_second_ctrl_c_until_it_has_returned(astronaut64, swirls64, unraisable,
                                                               monkeypatch):
    """A Ctrl-C in a step of ``stylize``, a second one while it unwinds and a third just after
    the loop has returned (while the stages put the result together)."""
    before, real = signal.getsignal(signal.SIGINT), stages.optimize_image

    def then_ctrl_c(*args, **kwargs):
        out = real(*args, **kwargs)
        ctrl_c()
        return out

    def callback(rec, img):
        if rec.step == 3:
            interrupt_with_a_second_one_while_unwinding()

    monkeypatch.setattr(stages, "optimize_image", then_ctrl_c)
    r = stylize(astronaut64, swirls64, steps=20, callback=callback, callback_every=1, progress=False)
    assert r.stopped == "interrupted" and len(r.history) == 3 and unraisable == []
    assert signal.getsignal(signal.SIGINT) is before


def test_the_stylize_command_saves_its_picture_through_a_second_ctrl_c(tmp_path, unraisable, capsys,
                                                                       monkeypatch):
    """``nst-course stylize``: Ctrl-C at step 2, a second one while it unwinds, a third as the
    picture is saved: the picture is written and the command succeeds."""
    from PIL import Image

    import nst_course.allocator as allocator
    import nst_course.images as images
    from nst_course.cli import main

    real_loop, real_save = harness.optimization_loop, images.save_image

    def loop(objective, x, optimizer, steps, after_step):
        def after(i, x):
            if i == 2:
                interrupt_with_a_second_one_while_unwinding()
            return after_step(i, x)
        return real_loop(objective, x, optimizer, steps, after)

    def save(*args, **kwargs):
        ctrl_c()
        return real_save(*args, **kwargs)

    monkeypatch.setattr(harness, "optimization_loop", loop)
    monkeypatch.setattr(images, "save_image", save)
    monkeypatch.setattr(allocator, "keep_freed_memory", lambda *a, **k: None)  # not for the test process
    out = tmp_path / "o.png"
    assert main(["stylize", "astronaut", "swirls", "-o", str(out), "--size", "32", "--steps", "20",
                 "--weights", "random"]) == 0
    err = capsys.readouterr().err
    assert "Interrupted after 1 steps" in err and "Wrote" in err and unraisable == []
    assert Image.open(out).size == (32, 32)
