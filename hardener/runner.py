"""One run of ``fix`` or ``check``: inputs in, results out, written back one way.

The CLI parses options and calls ``run``; everything that decides what is
read, hardened and written lives here, so the commands stay thin and every
entry point (fix, check, bulk runs) shares one write-back decision
(black's ``WriteBack``).
"""

from __future__ import annotations

import difflib
import sys
from dataclasses import dataclass, field
from enum import Enum
from typing import IO

from hardener.errors import HardenerError, InputError, InternalError
from hardener.files import STDIN, read_input, write_atomic
from hardener.profile import Profile

EXIT_OK, EXIT_WOULD_CHANGE, EXIT_INPUT_ERROR, EXIT_INTERNAL_ERROR = 0, 1, 2, 123


class WriteBack(Enum):
    """What to do with a hardened result."""

    STDOUT = "stdout"
    WRITE = "write"
    DIFF = "diff"
    CHECK = "check"


@dataclass
class Outcome:
    """One input: its name, its result, or the error that stopped it."""

    name: str
    result: object = None  # hardener.api.BytesResult
    error: HardenerError | None = None

    @property
    def label(self) -> str:
        return "<stdin>" if self.name == STDIN else self.name


@dataclass
class RunSummary:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def errors(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.error is not None]

    @property
    def results(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.error is None]

    @property
    def changed(self) -> list[Outcome]:
        return [o for o in self.results if o.result.changed]


def collect_inputs(paths: list[str]) -> list[str]:
    """The inputs to read: the given paths, or standard input when there are none."""
    return paths or [STDIN]


def harden_inputs(names: list[str], profile: Profile) -> RunSummary:
    """Harden every input; an input error stops that input only."""
    from hardener.api import harden_bytes

    summary = RunSummary()
    for name in names:
        outcome = Outcome(name)
        try:
            outcome.result = harden_bytes(read_input(name), profile, file=outcome.label)
        except InputError as exc:
            outcome.error = exc
        summary.outcomes.append(outcome)
    return summary


def unified_diff(label: str, before: str, after: str) -> str:
    """A unified diff of one input, git-style labels for relative paths."""
    old, new = (label, label) if label.startswith(("/", "<")) else (f"a/{label}", f"b/{label}")
    text = ""
    for line in difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True), old, new):
        text += line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
    return text


def run(
    paths: list[str],
    profile: Profile,
    write_back: WriteBack,
    *,
    report: str | None = None,
    report_file: str | None = None,
    stdout: IO[bytes] | None = None,
    stderr: IO[str] | None = None,
) -> int:
    """Harden ``paths`` and write back as asked; return the exit code."""
    out = stdout or sys.stdout.buffer
    err = stderr or sys.stderr
    names = collect_inputs(paths)
    if write_back is WriteBack.WRITE and STDIN in names:
        err.write("error: --write needs file paths; it cannot rewrite standard input\n")
        return EXIT_INPUT_ERROR
    try:
        summary = harden_inputs(names, profile)
    except InternalError as exc:
        err.write(f"internal error: {exc}\n")
        return EXIT_INTERNAL_ERROR
    for outcome in summary.errors:
        err.write(f"error: {outcome.error}\n")

    if write_back is WriteBack.STDOUT:
        if summary.errors:
            return EXIT_INPUT_ERROR  # a filter never emits a partial stream
        for outcome in summary.results:
            out.write(outcome.result.output_bytes)
        out.flush()
    elif write_back is WriteBack.DIFF:
        from hardener.colordiff import colorize, should_color

        color = should_color(out)
        for outcome in summary.changed:
            diff = unified_diff(outcome.label, outcome.result.input, outcome.result.output)
            out.write((colorize(diff) if color else diff).encode("utf-8"))
        out.flush()
    elif write_back is WriteBack.WRITE:
        for outcome in summary.changed:
            try:
                write_atomic(outcome.name, outcome.result.output_bytes)
                err.write(f"hardened {outcome.label} ({len(outcome.result.changes)} changes)\n")
            except InputError as exc:
                outcome.error = exc
                err.write(f"error: {exc}\n")
    elif write_back is WriteBack.CHECK:
        for outcome in summary.changed:
            err.write(f"would harden {outcome.label} ({len(outcome.result.changes)} changes)\n")

    if report and not _write_report(report, summary, report_file, err):
        return EXIT_INPUT_ERROR
    if summary.errors:
        return EXIT_INPUT_ERROR
    if write_back is WriteBack.CHECK and summary.changed:
        return EXIT_WOULD_CHANGE
    return EXIT_OK


def _write_report(fmt: str, summary: RunSummary, report_file: str | None, err: IO[str]) -> bool:
    """Reports never go to stdout: in filter mode stdout is the YAML stream. False: not written."""
    from hardener.report import render

    text = render(fmt, summary)
    if not report_file:
        err.write(text)
        return True
    try:
        with open(report_file, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except OSError as exc:
        err.write(f"error: {report_file}: cannot write the report: {exc.strerror or exc}\n")
        return False
    return True
