"""Reading inputs and writing results without ever losing a byte.

In-place writes go to a temporary file in the same directory, are fsynced,
get the original file's mode, and replace the original atomically: a crash
at any moment leaves either the old file or the new one, never half of one.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from pathlib import Path
from typing import IO

from hardener.errors import InputError

STDIN = "-"


def read_input(name: str) -> bytes:
    """The bytes of a file, or of standard input for ``-``."""
    if name == STDIN:
        return sys.stdin.buffer.read()
    with open_input(name) as handle:
        try:
            return handle.read()
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror or exc}", file=name) from None


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


def write_atomic(name: str, data: bytes) -> None:
    """Replace the file ``name`` with ``data`` atomically, keeping its mode (and owner, where allowed).

    A symbolic link is followed: its target is rewritten and the link stays a
    link. A file without any write permission bit is refused even for root: the
    user marked it read-only on purpose.
    """
    path = Path(os.path.realpath(name))
    try:
        info = path.stat()
        mode = stat.S_IMODE(info.st_mode)
        if not os.access(path, os.W_OK) or not mode & 0o222:
            raise InputError("permission denied (file is read-only); not written", file=name)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".hardener", dir=path.parent)
    except PermissionError:
        raise InputError("permission denied (cannot write beside it); not written", file=name) from None
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror or exc}", file=name) from None
    try:
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
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
