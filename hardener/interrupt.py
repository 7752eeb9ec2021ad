"""SIGINT and SIGTERM end a run the same way: cleanly, in one line, with 128 + the signal number.

While a run is going on both signals raise ``Interrupted`` in the main
thread, so ``finally`` blocks and context managers run: worker processes are
stopped, temporary files removed, and the runner says what was written
before it exits 130 (SIGINT) or 143 (SIGTERM). Writes that must not be cut
in half, and the start of worker processes, wait for the signal
(``files.deferred_signals``); a signal whose exception Python swallowed is
raised again at the next ``check``.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Iterator


class Interrupted(BaseException):
    """A signal asked the run to stop (a BaseException, like KeyboardInterrupt: no ``except Exception`` swallows it)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name


_received: int | None = None


def _raise(signum: int, _frame) -> None:
    global _received
    _received = signum
    raise Interrupted(signum)


def check() -> None:
    """Raise ``Interrupted`` if a signal came whose exception Python swallowed.

    A handler's exception is printed and dropped when it lands in an at-fork
    callback or a finalizer ("Exception ignored in ..."): the run would go
    on as if nothing had happened. The runner calls this between files.
    """
    if _received is not None:
        raise Interrupted(_received)


SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM") if hasattr(signal, name))


@contextmanager
def interruptible() -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM raise ``Interrupted`` (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    global _received
    # A signal ignored by whoever started us stays ignored (nohup, a background job), as Python does for SIGINT.
    wanted = [signum for signum in SIGNALS if signal.getsignal(signum) not in (signal.SIG_IGN, _raise)]
    if wanted:
        _received = None
    previous = {signum: signal.signal(signum, _raise) for signum in wanted}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def as_interrupted(exc: BaseException) -> Interrupted | None:
    """``exc`` as an Interrupted (a KeyboardInterrupt is SIGINT), or None."""
    if isinstance(exc, Interrupted):
        return exc
    if isinstance(exc, KeyboardInterrupt):
        return Interrupted(signal.SIGINT)
    return None
