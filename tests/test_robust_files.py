"""nst_course.files: atomic, no-clobber saving and the checks before a long run."""

import errno
import os
from functools import partial

import pytest

from nst_course import files


def write_text(text, path):
    path.write_text(text)


def test_write_atomic_creates_and_refuses_to_replace(tmp_path):
    p = tmp_path / "a.txt"
    files.write_atomic(p, partial(write_text, "one"))
    with pytest.raises(FileExistsError, match="exists already"):
        files.write_atomic(p, partial(write_text, "two"))
    files.write_atomic(p, partial(write_text, "three"), overwrite=True)
    assert p.read_text() == "three" and os.listdir(tmp_path) == ["a.txt"]


def test_without_hard_links_the_name_is_still_claimed_exclusively(tmp_path, monkeypatch):
    # FAT and some network drives have no hard links: O_CREAT | O_EXCL claims the name instead
    def no_links(src, dst):
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    p = tmp_path / "a.txt"
    files.write_atomic(p, partial(write_text, "one"))
    assert p.read_text() == "one"

    q = tmp_path / "b.txt"

    def someone_else_writes(path):
        path.write_text("mine")
        q.write_text("theirs")

    with pytest.raises(FileExistsError, match="appeared while this ran"):
        files.write_atomic(q, someone_else_writes)
    assert q.read_text() == "theirs" and sorted(os.listdir(tmp_path)) == ["a.txt", "b.txt"]


def test_free_name_counts_up(tmp_path):
    p = tmp_path / "out.png"
    assert files.free_name(p) == p
    p.write_text("x")
    (tmp_path / "out-1.png").write_text("x")
    assert files.free_name(p) == tmp_path / "out-2.png"


def test_check_writable(tmp_path):
    assert files.check_writable(tmp_path / "new.png") == tmp_path / "new.png"
    (tmp_path / "old.png").write_text("x")
    with pytest.raises(FileExistsError, match="--force"):
        files.check_writable(tmp_path / "old.png")
    assert files.check_writable(tmp_path / "old.png", force=True)
    with pytest.raises(files.OutputError, match="does not exist"):
        files.check_writable(tmp_path / "no" / "new.png")
    with pytest.raises(files.OutputError, match="is not a folder"):
        files.check_writable(tmp_path / "old.png" / "new.png")
    with pytest.raises(files.OutputError, match="is a folder"):
        files.check_writable(tmp_path, force=True)
    assert os.listdir(tmp_path) == ["old.png"]  # the probe file is gone


def test_save_or_fallback_raises_only_when_everything_fails(tmp_path):
    def always_full(path, overwrite=False):
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(files.OutputError, match="No space left on device.*failed too"):
        files.save_or_fallback(always_full, tmp_path / "o.png")
