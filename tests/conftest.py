import os

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


@pytest.fixture(scope="session")
def astronaut64():
    from nst_course import load_image

    return load_image("astronaut", 64)


@pytest.fixture(scope="session")
def swirls64():
    from nst_course import load_image

    return load_image("swirls", 64)
