"""The ``hardener`` command line.

Exit codes follow black and ruff: 0 done (also when files were changed), 1
the gate failed (``hardener.gate``: a check found something to change, or a
workload still violates the profile), 2 usage or input error, 123 internal
error. In filter mode (stdin to stdout) stdout carries only the YAML stream.
"""

from __future__ import annotations

import gc
import sys
from typing import List, Optional

import typer

from hardener.errors import HardenerError, ProfileError
from hardener.profile import DEFAULT_PROFILE, Profile, load_profile
from hardener.runner import EXIT_INPUT_ERROR, EXIT_INTERNAL_ERROR, WriteBack, run

app = typer.Typer(
    add_completion=False,
    no_args_is_help=False,
    pretty_exceptions_enable=False,
    help="Rewrite Kubernetes manifests so every workload runs hardened, and explain every change.",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _err(message: str) -> None:
    sys.stderr.write(message + "\n")


def _load_profile(name: str) -> Profile:
    try:
        return load_profile(name)
    except ProfileError as exc:
        _err(f"error: {exc}")
        raise typer.Exit(EXIT_INPUT_ERROR) from None


def _check_report(report: Optional[str], report_file: Optional[str]) -> Optional[str]:
    """The report format to write, checked before any input is read (a bad option writes nothing).

    Without ``--report``, ``--report-file`` names the format by its suffix
    (``.json``, ``.sarif``, ``.md``, ``.txt``).
    """
    if report is None and not report_file:
        return None
    import os

    from hardener.report import FORMATS, format_for_file

    if report is None and report_file:
        report = format_for_file(report_file)
        if report is None:
            _err(f"error: --report-file {report_file}: give --report ({', '.join(FORMATS)}) or a .json, .sarif, .md or .txt name")
            raise typer.Exit(EXIT_INPUT_ERROR)
    if report is not None and report not in FORMATS:
        _err(f"error: unknown report format {report!r}; choose from {', '.join(FORMATS)}")
        raise typer.Exit(EXIT_INPUT_ERROR)
    if report_file and not os.path.isdir(os.path.dirname(report_file) or "."):
        _err(f"error: --report-file {report_file}: no such directory")
        raise typer.Exit(EXIT_INPUT_ERROR)
    return report


_PROFILE_HELP = "A shipped profile name (restricted, ...) or a profile file path."
_REPORT_HELP = "Also write a report of every change, finding and skip: text, json, markdown or sarif."
_REPORT_FILE_HELP = "Write the report to this file instead of standard error (.json/.sarif/.md/.txt imply --report)."
_EXIT_ZERO_HELP = "Exit 0 whatever the gate finds (--fail-on never); input and internal errors still fail."
_FAIL_ON_HELP = (
    "What fails the run (exit 1): findings (any finding or change), changes (check's default), may-break, "
    "errors (fix's default: a workload still violates the profile), never."
)
_UNSAFE_HELP = "Also apply unsafe fixes, which override values the manifest sets explicitly (default: the profile's unsafe-fixes)."
# Environment defaults, for hosts that hide stderr (Helm 4 post-renderer plugins).
_REPORT_ENV, _REPORT_FILE_ENV = "HARDENER_REPORT", "HARDENER_REPORT_FILE"


def _fail_on(fail_on: Optional[str], exit_zero: bool) -> Optional[str]:
    """The gate's level from ``--fail-on`` and ``--exit-zero``, checked before any input is read."""
    from hardener.gate import check_level

    if exit_zero:
        if fail_on not in (None, "never"):
            _err("error: --exit-zero and --fail-on contradict each other; give one")
            raise typer.Exit(EXIT_INPUT_ERROR)
        return "never"
    try:
        return check_level(fail_on) if fail_on is not None else None
    except ValueError as exc:
        _err(f"error: {exc}")
        raise typer.Exit(EXIT_INPUT_ERROR) from None


def _profile_for_run(name: str, unsafe_fixes: Optional[bool]) -> Profile:
    profile = _load_profile(name)
    return profile if unsafe_fixes is None else profile.with_unsafe_fixes(unsafe_fixes)


_PATHS_HELP = "Manifest files or directories (walked for .yaml/.yml/.json); none or '-' reads standard input."
_JOBS_HELP = "Files to harden in parallel (processes); default: the number of CPUs."
_CHART_VALUES_HELP = (
    "In directories, harden the values.yaml of charts made with `helm create` (podSecurityContext, "
    "securityContext, serviceAccount.automount) instead of skipping it."
)


def _check_jobs(jobs: Optional[int]) -> None:
    if jobs is not None and jobs < 1:
        _err("error: --jobs must be 1 or more")
        raise typer.Exit(EXIT_INPUT_ERROR)


@app.command()
def fix(
    paths: Optional[List[str]] = typer.Argument(None, help=_PATHS_HELP),
    write: bool = typer.Option(False, "--write", "-w", help="Rewrite the files in place (atomically)."),
    diff: bool = typer.Option(False, "--diff", help="Print a unified diff instead of the hardened content."),
    check: bool = typer.Option(False, "--check", help="Write nothing; exit 1 when anything would change."),
    profile: str = typer.Option(DEFAULT_PROFILE, "--profile", "-p", help=_PROFILE_HELP),
    unsafe_fixes: Optional[bool] = typer.Option(None, "--unsafe-fixes/--no-unsafe-fixes", help=_UNSAFE_HELP),
    report: Optional[str] = typer.Option(None, "--report", help=_REPORT_HELP, envvar=_REPORT_ENV),
    report_file: Optional[str] = typer.Option(None, "--report-file", help=_REPORT_FILE_HELP, envvar=_REPORT_FILE_ENV),
    fail_on: Optional[str] = typer.Option(None, "--fail-on", help=_FAIL_ON_HELP, metavar="LEVEL"),
    exit_zero: bool = typer.Option(False, "--exit-zero", help=_EXIT_ZERO_HELP),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", help=_JOBS_HELP),
    chart_values: bool = typer.Option(False, "--chart-values", help=_CHART_VALUES_HELP),
) -> None:
    """Harden manifests: print the result, rewrite files or directories (-w), or show a diff."""
    if sum((write, diff, check)) > 1:
        _err("error: choose one of --write, --diff and --check")
        raise typer.Exit(EXIT_INPUT_ERROR)
    report = _check_report(report, report_file)
    level = _fail_on(fail_on, exit_zero)
    _check_jobs(jobs)
    mode = WriteBack.WRITE if write else WriteBack.DIFF if diff else WriteBack.CHECK if check else WriteBack.STDOUT
    code = run(
        list(paths or []), _profile_for_run(profile, unsafe_fixes), mode,
        report=report, report_file=report_file, jobs=jobs, chart_values=chart_values, fail_on=level,
    )
    raise typer.Exit(code)


@app.command("check")
def check_command(
    paths: Optional[List[str]] = typer.Argument(None, help=_PATHS_HELP),
    profile: str = typer.Option(DEFAULT_PROFILE, "--profile", "-p", help=_PROFILE_HELP),
    unsafe_fixes: Optional[bool] = typer.Option(None, "--unsafe-fixes/--no-unsafe-fixes", help=_UNSAFE_HELP),
    report: Optional[str] = typer.Option(None, "--report", help=_REPORT_HELP, envvar=_REPORT_ENV),
    report_file: Optional[str] = typer.Option(None, "--report-file", help=_REPORT_FILE_HELP, envvar=_REPORT_FILE_ENV),
    fail_on: Optional[str] = typer.Option(None, "--fail-on", help=_FAIL_ON_HELP, metavar="LEVEL"),
    exit_zero: bool = typer.Option(False, "--exit-zero", help=_EXIT_ZERO_HELP),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", help=_JOBS_HELP),
    chart_values: bool = typer.Option(False, "--chart-values", help=_CHART_VALUES_HELP),
) -> None:
    """Write nothing; exit 1 when anything would change or a workload violates the profile."""
    report = _check_report(report, report_file)
    level = _fail_on(fail_on, exit_zero)
    _check_jobs(jobs)
    code = run(
        list(paths or []), _profile_for_run(profile, unsafe_fixes), WriteBack.CHECK,
        report=report, report_file=report_file, jobs=jobs, chart_values=chart_values, fail_on=level,
    )
    raise typer.Exit(code)


@app.command()
def krm(
    config: Optional[str] = typer.Option(
        None, "--config", help="Legacy kustomize exec transformer: read the configuration from this file and a plain YAML stream from stdin."
    ),
) -> None:
    """Run as a KRM function: a ResourceList on stdin, the hardened list with results on stdout."""
    from hardener.krm import run_function, run_legacy_plugin
    from hardener.textio import decode

    data = sys.stdin.buffer.read()
    if config is not None:
        output, code, messages = run_legacy_plugin(config, data)
    else:
        try:
            result = run_function(decode(data, "<ResourceList>")[0])
        except HardenerError as exc:  # not UTF-8: answer with an error result all the same
            result = run_function("")
            result.messages = [str(exc)]
        output, code, messages = result.text.encode("utf-8"), result.exit_code, result.messages
    for message in messages:
        _err(message)
    sys.stdout.buffer.write(output)
    sys.stdout.buffer.flush()
    raise typer.Exit(code)


@app.command("transforms")
def transforms_command() -> None:
    """List every transform: id, fix safety and title."""
    from hardener.docs import list_text
    from hardener.registry import default_registry

    sys.stdout.write(list_text(default_registry()))


@app.command()
def explain(transform_id: str = typer.Argument(..., metavar="ID", help="A transform id, e.g. run-as-non-root.")) -> None:
    """Explain one transform: what it changes, why, an example, fix safety and references."""
    from hardener.docs import explain_text
    from hardener.registry import RegistryError, default_registry

    try:
        sys.stdout.write(explain_text(default_registry(), transform_id))
    except RegistryError as exc:
        _err(f"error: {exc}")
        raise typer.Exit(EXIT_INPUT_ERROR) from None


profiles_app = typer.Typer(help="List the shipped profiles, or show one fully resolved.", invoke_without_command=True)
app.add_typer(profiles_app, name="profiles")


@profiles_app.callback()
def profiles_list(ctx: typer.Context) -> None:
    """List the shipped profiles."""
    if ctx.invoked_subcommand is None:
        from hardener.profile_show import list_profiles

        sys.stdout.write(list_profiles())


@profiles_app.command("show")
def profiles_show(name: str = typer.Argument(..., help="A shipped profile name or a profile file path.")) -> None:
    """Print a profile with extends resolved and every parameter at its value; check what it injects."""
    from hardener.profile_show import injection_problems, show_profile

    profile = _load_profile(name)
    sys.stdout.write(show_profile(name))
    problems = injection_problems(profile)
    for problem in problems:
        _err(f"error: {profile.source}: transforms: {problem}")
    if problems:
        raise typer.Exit(EXIT_INPUT_ERROR)


def main() -> None:
    """Console-script entry point: every failure becomes an exit code, never a bare traceback.

    Usage errors are click's (exit 2, with its message); anything else that
    escapes is our bug and exits 123.
    """
    # Hardening allocates many short-lived, acyclic objects (nodes, data):
    # young-generation collections find nothing to free, so run them less often.
    gc.set_threshold(10_000, 20, 20)
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
