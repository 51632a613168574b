"""The lesson-09 checker passes the right answer and names each typical mistake."""

import math

from nst_course.checks.training import check_break_even, reference_break_even


def test_reference_answer_passes(capsys):
    assert check_break_even(reference_break_even)
    assert "OK" in capsys.readouterr().out


def test_forgotten_network_time_is_named(capsys):
    assert not check_break_even(lambda t, g, n: math.ceil(t / g))
    assert "network's pass" in capsys.readouterr().out


def test_rounding_down_is_named(capsys):
    assert not check_break_even(lambda t, g, n: math.floor(t / (g - n)))
    assert "round up" in capsys.readouterr().out


def test_float_answer_is_named(capsys):
    assert not check_break_even(lambda t, g, n: t / (g - n))
    assert "whole number" in capsys.readouterr().out


def test_stub_is_not_yet_solved(capsys):
    def stub(t, g, n):
        raise NotImplementedError

    assert not check_break_even(stub)
    assert "not yet solved" in capsys.readouterr().out
