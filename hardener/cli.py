"""The ``hardener`` command line.

Exit codes follow black: 0 done (also when files were changed), 1 ``--check``
found something to change, 2 usage or input error, 123 internal error. In
filter mode (stdin to stdout) stdout carries only the YAML stream.
"""

from __future__ import annotations

import difflib
import sys
from dataclasses import dataclass, field
from enum import Enum
from typing import List, Optional

import typer

from hardener.errors import HardenerError, InputError, InternalError, ProfileError
from hardener.files import STDIN, read_input, write_atomic
from hardener.profile import DEFAULT_PROFILE, Profile, load_profile

EXIT_OK, EXIT_WOULD_CHANGE, EXIT_INPUT_ERROR, EXIT_INTERNAL_ERROR = 0, 1, 2, 123

app = typer.Typer(
    add_completion=False,
    no_args_is_help=False,
    pretty_exceptions_enable=False,
    help="Rewrite Kubernetes manifests so every workload runs hardened, and explain every change.",
    context_settings={"help_option_names": ["-h", "--help"]},
)


class WriteBack(Enum):
    """What to do with a hardened result: one decision point (black's WriteBack)."""

    STDOUT = "stdout"
    WRITE = "write"
    DIFF = "diff"
    CHECK = "check"


@dataclass
class Outcome:
    name: str
    result: object = None
    error: HardenerError | None = None


@dataclass
class RunSummary:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def errors(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.error is not None]


def _err(message: str) -> None:
    sys.stderr.write(message + "\n")


def _load_profile(name: str) -> Profile:
    try:
        return load_profile(name)
    except ProfileError as exc:
        _err(f"error: {exc}")
        raise typer.Exit(EXIT_INPUT_ERROR) from None


def _harden_all(names: list[str], profile: Profile) -> RunSummary:
    from hardener.api import harden_bytes

    summary = RunSummary()
    for name in names:
        file = "<stdin>" if name == STDIN else name
        try:
            result = harden_bytes(read_input(name), profile, file=file)
            summary.outcomes.append(Outcome(name, result))
        except InputError as exc:
            summary.outcomes.append(Outcome(name, error=exc))
    return summary


def _unified_diff(name: str, before: str, after: str) -> str:
    label = "stdin" if name == STDIN else name
    old, new = (label, label) if label.startswith("/") else (f"a/{label}", f"b/{label}")
    lines = difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True), old, new)
    text = ""
    for line in lines:
        text += line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
    return text


def _run(paths: list[str], profile_name: str, write_back: WriteBack) -> int:
    names = paths or [STDIN]
    if write_back is WriteBack.WRITE and STDIN in names:
        _err("error: --write needs file paths; it cannot rewrite standard input")
        return EXIT_INPUT_ERROR
    profile = _load_profile(profile_name)
    try:
        summary = _harden_all(names, profile)
    except InternalError as exc:
        _err(f"internal error: {exc}")
        return EXIT_INTERNAL_ERROR
    for outcome in summary.errors:
        _err(f"error: {outcome.error}")
    good = [o for o in summary.outcomes if o.error is None]
    out = sys.stdout.buffer
    if write_back is WriteBack.STDOUT:
        if summary.errors:
            return EXIT_INPUT_ERROR  # a filter never emits a partial stream
        for outcome in good:
            out.write(outcome.result.output_bytes)
        out.flush()
        return EXIT_OK
    changed = [o for o in good if o.result.changed]
    if write_back is WriteBack.DIFF:
        for outcome in changed:
            out.write(_unified_diff(outcome.name, outcome.result.input, outcome.result.output).encode("utf-8"))
        out.flush()
    elif write_back is WriteBack.WRITE:
        for outcome in changed:
            try:
                write_atomic(outcome.name, outcome.result.output_bytes)
                _err(f"hardened {outcome.name} ({len(outcome.result.changes)} changes)")
            except InputError as exc:
                outcome.error = exc
                _err(f"error: {exc}")
    elif write_back is WriteBack.CHECK:
        for outcome in changed:
            label = "<stdin>" if outcome.name == STDIN else outcome.name
            _err(f"would harden {label} ({len(outcome.result.changes)} changes)")
    if summary.errors:
        return EXIT_INPUT_ERROR
    if write_back is WriteBack.CHECK and changed:
        return EXIT_WOULD_CHANGE
    return EXIT_OK


_PROFILE_HELP = "A shipped profile name (restricted, ...) or a profile file path."


@app.command()
def fix(
    paths: Optional[List[str]] = typer.Argument(None, help="Manifest files; none or '-' reads standard input."),
    write: bool = typer.Option(False, "--write", "-w", help="Rewrite the files in place (atomically)."),
    diff: bool = typer.Option(False, "--diff", help="Print a unified diff instead of the hardened content."),
    check: bool = typer.Option(False, "--check", help="Write nothing; exit 1 when anything would change."),
    profile: str = typer.Option(DEFAULT_PROFILE, "--profile", "-p", help=_PROFILE_HELP),
) -> None:
    """Harden manifests: print the result, rewrite files (-w), or show a diff."""
    if sum((write, diff, check)) > 1:
        _err("error: choose one of --write, --diff and --check")
        raise typer.Exit(EXIT_INPUT_ERROR)
    mode = WriteBack.WRITE if write else WriteBack.DIFF if diff else WriteBack.CHECK if check else WriteBack.STDOUT
    raise typer.Exit(_run(list(paths or []), profile, mode))


@app.command("check")
def check_command(
    paths: Optional[List[str]] = typer.Argument(None, help="Manifest files; none or '-' reads standard input."),
    profile: str = typer.Option(DEFAULT_PROFILE, "--profile", "-p", help=_PROFILE_HELP),
) -> None:
    """Write nothing; exit 1 when anything would change, 0 when all is hardened."""
    raise typer.Exit(_run(list(paths or []), profile, WriteBack.CHECK))


def main() -> None:
    """Console-script entry point: every failure becomes an exit code, never a bare traceback.

    Usage errors are click's (exit 2, with its message); anything else that
    escapes is our bug and exits 123.
    """
    try:
        app()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        _err("aborted")
        sys.exit(130)
    except Exception:
        import traceback

        _err("internal error: hardener crashed; nothing was written. Please report this with the trace below.")
        traceback.print_exc()
        sys.exit(EXIT_INTERNAL_ERROR)


if __name__ == "__main__":
    main()
