"""Writes to streams that finish, or fail saying how far they got.

Python's own streams can lose bytes without a word: with
``PYTHONUNBUFFERED=1`` (common in container images) ``sys.stdout.buffer`` is
a raw file whose ``write`` may write part of what it is given and return the
count, and on a non-blocking pipe a buffered one raises ``BlockingIOError``
mid-write. ``FdWriter`` loops until every byte is out, waits while the
descriptor would block, and counts what it wrote, so an error (a full disk,
a closed pipe) can say how much of the output got out. ``complete_streams``
puts such writers under ``sys.stdout``/``sys.stderr`` for a whole command.

Reports go to a file atomically (``report_file``): a reader never sees half
a report, and a failed run leaves the previous one.
"""

from __future__ import annotations

import io
import os
import select
import stat
import sys
import tempfile
from contextlib import contextmanager
from typing import IO, Iterator

from hardener.errors import HardenerError


class WriteFailed(HardenerError):
    """The environment refused a write (disk full, pipe closed, I/O error): exit 2, one line, the truth."""


class FdWriter(io.RawIOBase):
    """A raw writer on a file descriptor whose ``write`` always writes everything."""

    def __init__(self, fd: int) -> None:
        super().__init__()
        self.fd = fd
        self.written = 0

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self.fd

    def isatty(self) -> bool:
        return os.isatty(self.fd)

    def write(self, data) -> int:  # type: ignore[override]
        view = memoryview(data).cast("B")
        total = len(view)
        while view:
            try:
                count = os.write(self.fd, view)
            except BlockingIOError:
                select.select([], [self.fd], [])  # a non-blocking descriptor: wait until it takes more
                continue
            view = view[count:]
            self.written += count
        return total


def binary_writer(fd: int) -> io.BufferedWriter:
    """A buffered binary stream on ``fd`` that never loses a byte."""
    return io.BufferedWriter(FdWriter(fd), 1 << 16)


def text_writer(fd: int, like: IO[str] | None) -> io.TextIOWrapper:
    """A text stream on ``fd`` with the encoding, error handler and line buffering of ``like``."""
    return io.TextIOWrapper(
        binary_writer(fd),
        encoding=getattr(like, "encoding", None) or "utf-8",
        errors=getattr(like, "errors", None) or "backslashreplace",
        line_buffering=bool(getattr(like, "line_buffering", False)),
        write_through=False,
    )


def bytes_written(stream: IO) -> int | None:
    """How many bytes reached the descriptor under ``stream`` (one of ours), or None when unknown."""
    raw = getattr(stream, "raw", None) or getattr(getattr(stream, "buffer", None), "raw", None)
    return raw.written if isinstance(raw, FdWriter) else None


@contextmanager
def complete_streams() -> Iterator[None]:
    """Replace ``sys.stdout`` and ``sys.stderr`` with streams that write every byte, for one command."""
    saved = sys.stdout, sys.stderr
    replaced = []
    for name, fd in (("stdout", 1), ("stderr", 2)):
        current = getattr(sys, name)
        if not _is_open(fd):
            _hold_closed(fd)
        elif current is not None:
            try:
                current.flush()
            except (OSError, ValueError):
                pass
        stream = text_writer(fd, current)
        setattr(sys, name, stream)
        replaced.append(stream)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
        for stream in replaced:
            stream.detach().detach()  # flushed by the caller; closing would close fd 1 and 2


def _hold_closed(fd: int) -> None:
    """Keep a closed stdout or stderr (``>&-``) closed for writing: a descriptor that refuses writes.

    Left free, the number would go to the next file opened (a spool, a
    report), and output meant for stdout would be written into that file.
    """
    reader = os.open(os.devnull, os.O_RDONLY)
    if reader != fd:
        os.dup2(reader, fd)
        os.close(reader)


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def silence(stream: IO) -> None:
    """Point the descriptor under ``stream`` at /dev/null after a refused write.

    What the stream still buffers then goes nowhere instead of failing (and
    being reported) again at every later flush, down to Python's exit.
    """
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


def describe(exc: OSError) -> str:
    """``No space left on device`` rather than ``[Errno 28] No space left on device``."""
    return exc.strerror or str(exc)


@contextmanager
def report_file(path: str) -> Iterator[IO[str]]:
    """A text stream whose content replaces ``path`` atomically when the block ends without error.

    A regular file (or a new one) is written beside itself and renamed over;
    a device or a FIFO (``/dev/stderr``, a named pipe) is written directly.
    Undecodable file names (bytes that are not UTF-8, kept as surrogates) are
    written as backslash escapes rather than crashing the report. Raises
    WriteFailed when the environment refuses the write.
    """
    target = os.path.realpath(path)
    try:
        info = os.stat(target)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise WriteFailed(f"{path}: cannot write the report: {describe(exc)}") from None
    if info is not None and not stat.S_ISREG(info.st_mode):
        try:
            with open(target, "w", encoding="utf-8", errors="backslashreplace", newline="\n") as handle:
                yield handle
        except OSError as exc:
            raise WriteFailed(f"{path}: cannot write the report: {describe(exc)}") from None
        return
    directory = os.path.dirname(target)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".hardener", dir=directory)
    except OSError as exc:
        raise WriteFailed(f"{path}: cannot write the report: {describe(exc)}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace", newline="\n") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, stat.S_IMODE(info.st_mode) if info is not None else 0o666 & ~_umask())
        os.replace(tmp, target)
    except OSError as exc:
        _remove(tmp)
        raise WriteFailed(f"{path}: cannot write the report: {describe(exc)} (a previous report there is left as it was)") from None
    except BaseException:
        _remove(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
