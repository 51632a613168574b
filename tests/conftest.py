import os
import signal

import pytest
import torch

os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch):
    """Downloads and the torch hub cache go to a fresh folder per test."""
    monkeypatch.setenv("NST_COURSE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    torch.manual_seed(0)


@pytest.fixture(autouse=True)
def _python_ctrl_c():
    """Every test starts with Python's Ctrl-C handler: a command run in-process (``main([...])``)
    ends by ignoring SIGINT, as a process on its way out should, and a later test that sends
    real signals must not inherit that."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session")
def astronaut64():
    from nst_course import load_image

    return load_image("astronaut", 64)


@pytest.fixture(scope="session")
def swirls64():
    from nst_course import load_image

    return load_image("swirls", 64)


#: The test files that take longest (seconds of a `make test` on 2 cores), run first: pytest-xdist's
#: loadscope hands whole files to the two workers in collection order (the Makefile turns off its
#: reordering by test count, which sent these one-test files last and left a worker idle for
#: minutes). Longest first lets the two workers finish together; everything else keeps its order.
#: The two lesson-executing files go first, one to each worker: they share the executed lessons,
#: so their seconds depend on which gets there first. Re-measured with `--durations=0` on 2 cores
#: (2026-12-07: 930 s of tests, 488 s wall, the two workers within a minute of each other), the
#: later files' seconds no longer quite follow the order; it still balances, so it stays.
LONGEST_FIRST = (
    "tests/test_answers_hidden.py",  # ~115 s: executes every lesson (shared with the slides test)
    "tests/test_slides_fit.py",  # ~165 s: the same executed lessons, every slide in Chromium
    "tests/test_robust_round3_cli.py",  # ~80 s: the command line in subprocesses
    "tests/test_browser.py",  # ~90 s: JupyterLab, the site and the slides in Chromium
    "tests/test_tooling.py",  # ~30 s
)


def pytest_collection_modifyitems(config, items):
    rank = {path: k for k, path in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))  # stable
