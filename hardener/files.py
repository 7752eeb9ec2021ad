"""Reading inputs and writing results without ever losing a byte.

In-place writes go to a temporary file in the same directory, are fsynced,
get the original file's mode, and replace the original atomically: a crash
at any moment leaves either the old file or the new one, never half of one.
Three cases are decided here, each for a reason:

* a file that changed since it was read (another process, an editor) is
  not written: its new content would be lost under the hardened old one;
* a file with several hard links is rewritten in place (as editors do), so
  every link sees the change; a rename would leave the other links with the
  old content. The new content is saved beside it first, and signals wait
  until the rewrite is done;
* a symbolic link is not written through: it may lead out of the tree being
  changed (a link in a checked-out repository can point anywhere). Reading
  through a link is fine; ``-w`` names the link and asks for its target.
"""

from __future__ import annotations

import errno
import hashlib
import os
import signal
import stat
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterator

from hardener.errors import InputError

STDIN = "-"
TEMP_SUFFIX = ".hardener"
"""Temporary files beside the file being written end with this."""


@dataclass(frozen=True)
class Snapshot:
    """A file as it was read: which file it is, and a digest of what it held."""

    device: int
    inode: int
    size: int
    mtime_ns: int
    digest: bytes


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=20).digest()


def read_input(name: str) -> bytes:
    """The bytes of a file, or of standard input for ``-``."""
    return read_snapshot(name)[0]


def read_snapshot(name: str) -> tuple[bytes, Snapshot | None]:
    """The bytes of a file and what ``write_atomic`` needs to tell whether it changed since (None for stdin)."""
    if name == STDIN:
        return sys.stdin.buffer.read(), None
    with open_input(name) as handle:
        try:
            data = handle.read()
            info = os.fstat(handle.fileno())
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror or exc}", file=name) from None
    return data, Snapshot(info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, _digest(data))


def open_input(name: str) -> IO[bytes]:
    """A binary handle on a file, or on standard input for ``-``, for reading block by block."""
    if name == STDIN:
        return sys.stdin.buffer
    path = Path(name)
    try:
        if path.is_dir():
            raise InputError("is a directory; give the manifest files", file=name)
        return path.open("rb")
    except FileNotFoundError:
        raise InputError("no such file", file=name) from None
    except PermissionError:
        raise InputError("permission denied (cannot read)", file=name) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", file=name) from None


def write_atomic(name: str, data: bytes, expected: Snapshot | None = None) -> None:
    """Replace the content of the file ``name`` with ``data``, all or nothing, keeping its mode and links.

    ``expected`` is the file as it was read: if it is another file now, or
    holds other bytes, nothing is written. A file without any write
    permission bit is refused even for root: the user marked it read-only on
    purpose. Refusals and failures raise InputError naming the file and
    saying that it was left as it was.
    """
    try:
        info = os.lstat(name)
    except FileNotFoundError:
        raise InputError("was removed since it was read; not written", file=name) from None
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror or exc}; left as it was", file=name) from None
    if stat.S_ISLNK(info.st_mode):
        raise InputError(
            "is a symbolic link; -w does not write through links, which may lead anywhere (name the file it points to); left as it was",
            file=name,
        )
    mode = stat.S_IMODE(info.st_mode)
    if not stat.S_ISREG(info.st_mode):
        raise InputError("is not a regular file; left as it was", file=name)
    if not os.access(name, os.W_OK) or not mode & 0o222:
        raise InputError("permission denied (file is read-only); not written", file=name)
    with deferred_signals():
        tmp = _write_temporary(name, data, mode, info)
        with _discarded_on_failure(tmp, name):
            _check_unchanged(name, expected)
            if info.st_nlink == 1:
                os.replace(tmp, name)
                return
        try:
            _rewrite_in_place(name, data)
        except _NothingWritten as exc:
            _remove(tmp)
            raise InputError(f"cannot write: {exc}; left as it was", file=name) from None
        except OSError as exc:
            raise InputError(
                f"cannot write: {exc.strerror or exc} while rewriting it in place (it has {info.st_nlink} hard links); "
                f"it may be incomplete: its hardened content is in {tmp}",
                file=name,
            ) from None
        _remove(tmp)


def _write_temporary(name: str, data: bytes, mode: int, info: os.stat_result) -> str:
    """``data`` in a new, fsynced file beside ``name`` with its mode and owner; its path."""
    directory = os.path.dirname(name) or "."
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(name)}.", suffix=TEMP_SUFFIX, dir=directory)
    except PermissionError:
        raise InputError("permission denied (cannot write beside it); not written", file=name) from None
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror or exc}; left as it was", file=name) from None
    with _discarded_on_failure(tmp, name):
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        if (info.st_uid, info.st_gid) != (os.getuid(), os.getgid()):
            try:
                os.chown(tmp, info.st_uid, info.st_gid)
            except OSError:
                pass  # only root may give a file away; the mode is what matters
    return tmp


@contextmanager
def _discarded_on_failure(tmp: str, name: str) -> Iterator[None]:
    """Any failure removes the temporary file; an OSError becomes the file's InputError (it is left as it was)."""
    try:
        yield
    except OSError as exc:
        _remove(tmp)
        raise InputError(f"cannot write: {exc.strerror or exc}; left as it was", file=name) from None
    except BaseException:
        _remove(tmp)
        raise


def _check_unchanged(name: str, expected: Snapshot | None) -> None:
    """Refuse to replace a file that is not the one read, or that another process changed since."""
    if expected is None:
        return
    try:
        fd = os.open(name, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        raise InputError(f"cannot read it again before writing: {exc.strerror or exc}; not written", file=name) from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        same = (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns) == (
            expected.device, expected.inode, expected.size, expected.mtime_ns
        )
        if same:
            same = _digest(handle.read()) == expected.digest
    if not same:
        raise InputError("changed since hardener read it; not written (run hardener again)", file=name)


def _rewrite_in_place(name: str, data: bytes) -> None:
    """Overwrite the file's own inode, so every hard link to it sees the new content.

    Space is reserved first, so a full disk fails before the first byte is
    overwritten; the complete new content already sits in the temporary file
    beside it, in case the machine stops mid-write.
    """
    try:
        fd = os.open(name, os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        raise _NothingWritten(exc.strerror or str(exc)) from None
    try:
        if hasattr(os, "posix_fallocate") and data:
            try:
                os.posix_fallocate(fd, 0, len(data))
            except OSError as exc:
                if exc.errno not in (errno.EOPNOTSUPP, errno.EINVAL, errno.ENOSYS):
                    raise _NothingWritten(exc.strerror or str(exc)) from None
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.ftruncate(fd, len(data))
        os.fsync(fd)
    finally:
        os.close(fd)


class _NothingWritten(Exception):
    """An in-place rewrite failed before it changed a byte."""


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


_SIGNALS = tuple(s for s in (getattr(signal, "SIGINT", None), getattr(signal, "SIGTERM", None)) if s is not None)


@contextmanager
def deferred_signals() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the block is done: a file is then either its old self or its new one.

    Only the main thread can take Python signals; elsewhere (or without
    ``pthread_sigmask``) the block runs as it is.
    """
    import threading

    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
