"""What happened when a manifest was played, and why, in a form a test asserts on.

A verdict is ``started`` (stayed up, or ran to completion), ``crashed`` (exit code and last log
lines) or ``refused`` (the kubelet's message). Its ``cause`` is machine-readable, so a test can
ask whether hardener's report explains it: the refusals name theirs, and a crash's cause is read
from its log with the errno texts every program prints (strerror), whatever its language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from tests.runtime.kubelet import NON_NUMERIC_USER, RUNS_AS_ROOT

READ_ONLY_FILESYSTEM = "read-only-filesystem"
BIND_PERMISSION_DENIED = "bind-permission-denied"
PERMISSION_DENIED = "permission-denied"
OTHER = "other"
CAUSES = (RUNS_AS_ROOT, NON_NUMERIC_USER, READ_ONLY_FILESYSTEM, BIND_PERMISSION_DENIED, PERMISSION_DENIED, OTHER)

_READ_ONLY = re.compile(r"read-only file system|EROFS", re.IGNORECASE)
_DENIED = re.compile(r"permission denied|operation not permitted|EACCES|EPERM", re.IGNORECASE)
_BIND = re.compile(r"\bbind\b", re.IGNORECASE)
_BIND_CONTEXT = 3
"""A denial within this many lines after a line about bind() is a bind denial (a traceback
names the call on one line and the error on a later one)."""


@dataclass(frozen=True, repr=False)
class Verdict:
    """What a kubelet would have reported for one workload."""

    outcome: Literal["started", "crashed", "refused"]
    kind: str
    name: str
    """The workload as the manifest names it."""
    cause: str | None = None
    """One of CAUSES when it did not start."""
    message: str = ""
    container: str | None = None
    exit_code: int | None = None
    logs: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.cause not in (None, *CAUSES):
            raise ValueError(f"unknown cause {self.cause!r}; one of {CAUSES}")

    @property
    def started(self) -> bool:
        return self.outcome == "started"

    def __repr__(self) -> str:
        """What happened, with the log lines: readable where a failed assertion shows it."""
        head = f"{self.kind}/{self.name}: {self.outcome}"
        if self.cause:
            head += f" ({self.cause})"
        if self.container:
            head += f", container {self.container}"
        if self.exit_code is not None:
            head += f", exit code {self.exit_code}"
        lines = [head, *([self.message] if self.message else []), *(f"  | {line}" for line in self.logs)]
        return "\n".join(lines)


def crash_cause(lines: list[str]) -> str:
    """The cause of a crash, from its last log lines (or the runtime's error).

    A read-only file system anywhere in them is the cause (it is the more specific error, and
    what follows it is often its consequence); otherwise the first denial, a bind denial when a
    line about bind() comes just before it."""
    if any(_READ_ONLY.search(line) for line in lines):
        return READ_ONLY_FILESYSTEM
    for index, line in enumerate(lines):
        if _DENIED.search(line):
            window = lines[max(0, index - _BIND_CONTEXT) : index + 1]
            return BIND_PERMISSION_DENIED if any(_BIND.search(seen) for seen in window) else PERMISSION_DENIED
    return OTHER
