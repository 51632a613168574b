"""The course's modes: full (default), demo (students short of time, lecture demos), fast (CI)."""

import pytest

from nst_course import config


@pytest.fixture
def env(monkeypatch):
    monkeypatch.delenv("NST_COURSE_FAST", raising=False)
    monkeypatch.delenv("NST_COURSE_MODE", raising=False)
    return monkeypatch


@pytest.mark.parametrize("fast, mode_var, expected", [
    (None, None, "full"),
    (None, "demo", "demo"),
    (None, " Demo ", "demo"),
    (None, "full", "full"),
    (None, "fast", "fast"),
    ("1", None, "fast"),
    ("1", "demo", "fast"),  # the tests' switch wins: CI stays tiny whatever a shell exports
    ("0", "demo", "demo"),
    ("false", None, "full"),
])
def test_mode_from_the_environment(env, fast, mode_var, expected):
    if fast is not None:
        env.setenv("NST_COURSE_FAST", fast)
    if mode_var is not None:
        env.setenv("NST_COURSE_MODE", mode_var)
    assert config.mode() == expected
    assert config.pick("F", "f", demo="d") == {"full": "F", "fast": "f", "demo": "d"}[expected]
    assert config.pick("F", "f") == {"full": "F", "fast": "f", "demo": "F"}[expected]
    assert f"mode: {expected}" in config.describe_setup("cpu")


def test_unknown_mode_is_refused_with_the_choices(env):
    env.setenv("NST_COURSE_MODE", "quick")
    with pytest.raises(ValueError, match="'quick' is not a mode: use one of full, demo, fast"):
        config.mode()


def test_describe_setup_tells_students_about_demo_and_ci_about_fast(env):
    assert "NST_COURSE_MODE=demo" in config.describe_setup("cpu")
    env.setenv("NST_COURSE_FAST", "1")
    assert "for tests only" in config.describe_setup("cpu")
