"""A progress bar for long runs, only where a person watches.

rich is imported only when standard error is a terminal and the run is long
enough to need a bar; in a pipe, in CI logs or for a handful of files nothing
extra is written and rich is never loaded.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import IO, Callable, Iterator

MIN_FILES_FOR_A_BAR = 20


@contextmanager
def progress(total: int, stream: IO[str], description: str = "hardening") -> Iterator[Callable[[], None]]:
    """Yield a function to call once per finished file."""
    isatty = getattr(stream, "isatty", None)
    if total < MIN_FILES_FOR_A_BAR or not (isatty and isatty()):
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(file=stream), transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda: bar.advance(task)
