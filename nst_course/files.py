"""Writing result files without ever losing one.

Three rules, used by every command that writes a file:

1. **Check before a long run** (:func:`check_writable`): the folder exists and
   can be written to, OUT is not a folder, and an existing OUT is only
   replaced with ``force``. Ten minutes of optimisation are not thrown away
   because of a typo in the output path.
2. **Save atomically** (:func:`write_atomic`): write a temporary file in the
   same folder, flush it to disk (``fsync``), then move it into place in one
   step. A failure halfway (disk full, a bad image mode) leaves the old file
   as it was and no half-written file behind.
3. **Never replace what appeared meanwhile**: without ``overwrite`` the
   temporary file is *linked* to the target name, which fails if the name
   exists (``os.link``, like ``O_EXCL``), also when the file appeared after
   the check of rule 1 (another run, another program). :func:`save_or_fallback`
   then writes to a free name next to it (or the temporary folder) and says where.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import tempfile
from pathlib import Path


class OutputError(OSError):
    """An output path that cannot be written; the message is one sentence for the user
    (``reason``: its short cause, e.g. ``"No space left on device"``, where there is one)."""

    def __init__(self, message: str, reason: str | None = None):
        super().__init__(message)
        self.reason = reason


def why(e: OSError) -> str:
    """The short cause of a failed write, e.g. ``"No space left on device"``."""
    return getattr(e, "reason", None) or e.strerror or str(e)


def _cannot_write(path: Path, e: OSError) -> OutputError:
    return OutputError(f"could not write {path} ({why(e)}).", why(e))


def check_writable(path, force: bool = False) -> Path:
    """Refuse, before any work, an output ``path`` that could not be written.

    Checks that ``path`` is not a folder, that an existing file is only
    replaced with ``force``, and that its folder exists and accepts a new file
    (by creating and removing a temporary file there: permission bits do not
    tell about read-only disks). Returns ``path`` as a :class:`~pathlib.Path`.

    Raises:
        FileExistsError: ``path`` exists and ``force`` is false.
        OutputError: ``path`` is a folder, or its folder is missing or read-only.
    """
    path = Path(path).expanduser()
    if path.is_dir():
        raise OutputError(f"{path} is a folder; give a file name inside it, such as "
                          f"{path / 'result.png'}.")
    if _taken(path) and not force:
        raise FileExistsError(f"{path} exists already; choose another name or add --force.")
    folder = path.parent
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise OutputError(f"the folder {folder} {what}; create it first or choose another path.")
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".nst-course-check-"):
            pass
    except OSError as e:
        raise OutputError(f"cannot write into the folder {folder} ({e.strerror or e}); "
                          "choose a folder you can write to.") from None
    return path


def write_atomic(path, write, overwrite: bool = False) -> Path:
    """Create ``path`` by calling ``write(temporary_path)``, then moving the result into place.

    ``write`` receives a path in the same folder with the same suffix (so
    libraries that pick the format from the suffix work) and must create that
    file. Without ``overwrite`` an existing ``path`` is never replaced, also one
    that appears while ``write`` runs: :class:`FileExistsError`. Whatever goes
    wrong, ``path`` is either the complete new file or untouched.
    """
    path = Path(path).expanduser()
    if _taken(path) and not overwrite:
        raise FileExistsError(f"{path} exists already; choose another name or add --force.")
    if path.exists() and not path.is_file() and not path.is_dir():  # replacing a pipe or a device
        raise OutputError(f"{path} is not a regular file (a pipe, device or socket); choose another name.")
    try:
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=path.suffix)
    except OSError as e:  # a read-only or full folder: its name, not the temporary file's
        raise _cannot_write(path, e) from None
    os.close(fd)
    tmp = Path(tmp_name)
    os.chmod(tmp, 0o666 & ~current_umask())  # mkstemp's 0600 would survive the rename
    try:
        write(tmp)
        _fsync(tmp)
        if overwrite:
            os.replace(tmp, path)  # atomic on POSIX and Windows
        else:
            _link_new(tmp, path)
    except OSError as e:  # a full disk, a vanished folder: name the user's file, not the temporary one
        if isinstance(e, FileExistsError | OutputError):
            raise
        raise _cannot_write(path, e) from None
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_folder(path.parent)
    return path


def _taken(path: Path) -> bool:
    """True if the name is in use: a file, a folder, or a symlink, also a dangling one or a loop."""
    return os.path.lexists(path)


def current_umask() -> int:
    """The process's umask (read by setting and restoring it), so saves get a normal file's mode."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _link_new(tmp: Path, path: Path) -> None:
    """Give ``tmp``'s content the name ``path`` only if no such file exists (atomic check)."""
    try:
        os.link(tmp, path)  # fails with FileExistsError if path exists, whoever made it
        return
    except FileExistsError:
        raise FileExistsError(f"{path} appeared while this ran; it was kept, not replaced.") from None
    except OSError as e:  # a file system without hard links (FAT, some network drives)
        if e.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV, errno.EMLINK):
            raise
    try:  # claim the name exclusively, then fill it in one step
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        raise FileExistsError(f"{path} appeared while this ran; it was kept, not replaced.") from None
    os.replace(tmp, path)


def _fsync(path: Path) -> None:
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); harmless where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def free_name(path) -> Path:
    """The first of ``path``, ``stem-1.suffix``, ``stem-2.suffix``, ... that does not exist."""
    path = Path(path)
    candidate, k = path, 1
    while _taken(candidate):
        candidate, k = path.with_name(f"{path.stem}-{k}{path.suffix}"), k + 1
    return candidate


def save_or_fallback(save, path, overwrite: bool = False) -> tuple[Path, str | None]:
    """Call ``save(path, overwrite=overwrite)``; if that fails, save under another name.

    ``save`` is an atomic saver such as ``functools.partial(save_image, img)``.
    Returns ``(path, None)``, or after a failure ``(fallback, message)`` where
    the message is one sentence saying what happened and where the result
    went: a free name next to ``path`` if ``path`` appeared meanwhile (it is
    kept), else the same name in the system's temporary folder. For the end of
    a long run, when losing the result would be worst. Raises
    :class:`OutputError` only if the fallback fails too.
    """
    path = Path(path).expanduser()
    try:
        return Path(save(path, overwrite=overwrite)), None
    except FileExistsError:
        reason = f"{path} appeared during the run and was kept, not replaced"
        candidates = [free_name(path)]
    except OSError as e:
        reason = f"could not write {path} ({why(e)})"
        candidates = []
    candidates.append(free_name(Path(tempfile.gettempdir()) / path.name))
    for other in candidates:
        try:
            save(other, overwrite=False)
        except OSError:
            continue
        return other, f"{reason}; the result was saved as {other} instead."
    raise OutputError(f"{reason}, and saving to {' or '.join(map(str, candidates))} failed too.")


@contextlib.contextmanager
def claim(path):
    """Hold ``path`` for one run: a second run that claims the same path is refused at once.

    A lock on a file in the temporary folder named after ``path`` (``fcntl.flock``,
    released by the system when the process ends, also when it is killed), so two ``train``
    runs to one ``-o`` cannot both train for minutes and then fight over the
    name. Where ``fcntl`` is missing (Windows) nothing is locked.

    Raises:
        OutputError: another process holds ``path``.
    """
    path = Path(path).expanduser()
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield path
        return
    # in the temporary folder, not beside ``path``: a killed run leaves nothing in the user's folder
    key = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]
    lock = Path(tempfile.gettempdir()) / f"nst-course-{key}.lock"
    fd = os.open(lock, os.O_CREAT | os.O_RDWR, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise OutputError(f"another run is writing {path} right now; wait for it to finish "
                              "or choose another name.") from None
        try:
            yield path
        finally:
            lock.unlink(missing_ok=True)
    finally:
        os.close(fd)


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks (weights, downloads: one helper)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
