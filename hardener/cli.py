"""The ``hardener`` command line.

Exit codes follow black: 0 done (also when files were changed), 1 ``--check``
found something to change, 2 usage or input error or a write the environment
refused (disk full, closed pipe), 123 internal error, 130/143 interrupted by
SIGINT/SIGTERM. In filter mode (stdin to stdout) stdout carries only the
YAML stream.
"""

from __future__ import annotations

import dataclasses
import gc
import os
import sys
from dataclasses import dataclass
from typing import List, Optional

import typer

from hardener.errors import HardenerError, ProfileError
from hardener.profile import Profile, load_profile
from hardener.runner import EXIT_INPUT_ERROR, EXIT_INTERNAL_ERROR, WriteBack, run

app = typer.Typer(
    add_completion=True,
    pretty_exceptions_enable=False,
    help="Rewrite Kubernetes manifests so every workload runs hardened, and explain every change.",
    context_settings={"help_option_names": ["-h", "--help"]},
)
# What Helm 3 runs when --post-renderer names hardener without --post-renderer-args: a
# bare `hardener` with the manifests on stdin. Helm shows only stderr, so say what to add.
NO_COMMAND_HINT = (
    "error: no command given; to harden a stream use 'hardener fix' "
    "(as a Helm 3 post-renderer: --post-renderer hardener --post-renderer-args fix); 'hardener --help' lists the commands"
)


def _err(message: str) -> None:
    try:
        sys.stderr.write(message + "\n")
    except (OSError, ValueError, AttributeError):
        pass  # stderr itself is closed or full: the exit code is all that is left


def _version(value: bool) -> None:
    if value:
        from hardener import __version__

        sys.stdout.write(f"hardener {__version__}\n")
        raise typer.Exit(0)


@app.callback(invoke_without_command=True)
def _main(
    ctx: typer.Context,
    version: bool = typer.Option(False, "--version", "-V", is_eager=True, callback=_version, help="Print the version and exit."),
) -> None:
    """Rewrite Kubernetes manifests so every workload runs hardened, and explain every change."""
    if ctx.invoked_subcommand is not None:
        return
    if sys.stdin is not None and sys.stdin.isatty():  # a person typed `hardener`: show what it can do
        sys.stdout.write(ctx.get_help() + "\n")
        raise typer.Exit(0)
    _err(NO_COMMAND_HINT)
    raise typer.Exit(EXIT_INPUT_ERROR)


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


_PROFILE_HELP = "A shipped profile name (restricted, ...) or a profile file path; overrides the configuration's."
_REPORT_HELP = "Also write a report of every change, finding and skip: text, json, markdown or sarif."
_REPORT_FILE_HELP = "Write the report to this file instead of standard error (.json/.sarif/.md/.txt imply --report)."
_EXIT_ZERO_HELP = "Exit 0 whatever the gate finds (--fail-on never); input and internal errors still fail."
_FAIL_ON_HELP = (
    "What fails the run (exit 1): findings (any finding or change), changes (check's default), may-break, "
    "errors (fix's default: a workload still violates the profile), never. Default for check: the configuration's fail-on."
)
_UNSAFE_HELP = "Also apply unsafe fixes, which override values the manifest sets explicitly (default: the configuration's, else the profile's)."
_EXPLAIN_HELP = (
    "Explain every change: --diff gets the transform, reason and what may break after each change "
    "(lines starting with #; the default on a terminal), --report text the reason and guidance under each line."
)
_EXPLAIN = typer.Option(None, "--explain/--no-explain", help=_EXPLAIN_HELP)
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


_PATHS_HELP = "Manifest files or directories (walked for .yaml/.yml/.json); '-' reads standard input (the default in a pipe)."
_JOBS_HELP = "Files to harden in parallel (processes); default: the number of CPUs."
_CHART_VALUES_HELP = (
    "In directories, harden the values.yaml of charts made with `helm create` (podSecurityContext, "
    "securityContext, serviceAccount.automount) instead of skipping it."
)
def _complete_ids(incomplete: str) -> list[str]:
    """Shell completion for --select/--ignore: the transform ids (after the last comma)."""
    from hardener.registry import default_registry

    head, _, last = incomplete.rpartition(",")
    prefix = head + "," if head else ""
    return [prefix + transform_id for transform_id in default_registry().ids() + ["all"] if transform_id.startswith(last)]


def _complete_output_format(incomplete: str) -> list[str]:
    return [name for name in ("text", "github") if name.startswith(incomplete)]


# Options every hardening command shares (typer reads one OptionInfo as often as it is used).
_CONFIG = typer.Option(None, "--config", help="Use this configuration file (.hardener.yaml or pyproject.toml) for every input.")
_NO_CONFIG = typer.Option(False, "--no-config", help="Ignore every configuration file.")
_SELECT = typer.Option(None, "--select", metavar="ID", autocompletion=_complete_ids, help="Run only these transforms (repeat, or separate with commas; 'all').")
_IGNORE = typer.Option(None, "--ignore", metavar="ID", autocompletion=_complete_ids, help="Do not run these transforms (repeat, or separate with commas).")
_STDIN_FILENAME = typer.Option(None, "--stdin-filename", help="The name of standard input in reports, and the path whose configuration applies to it.")
_OUTPUT_FORMAT = typer.Option(None, "--output-format", autocompletion=_complete_output_format, help="How check prints its results: text (file:line: id message) or github (workflow annotations).")
_UNSAFE_FIXES = typer.Option(None, "--unsafe-fixes/--no-unsafe-fixes", help=_UNSAFE_HELP)
_FAIL_ON = typer.Option(None, "--fail-on", help=_FAIL_ON_HELP, metavar="LEVEL")
_QUIET = typer.Option(False, "--quiet", "-q", help="Print nothing but errors (the exit code tells the result; reports asked for are written).")
_VERBOSE = typer.Option(False, "--verbose", "-v", help="Also say which configuration and profile each input uses.")


_RESOLVE_HELP = (
    "Read the user of every image the workloads name that hardener does not know from its registry, "
    "and add it to the image cache (commit that file: runs without this option read it offline)."
)
_IMAGE_CACHE_HELP = "The image cache file to read (and, with --resolve-images, to write). [default: hardener-images.yaml]"


def _image_facts(settled: "_Run", paths: list[str], resolve_images: bool, image_cache: Optional[str]) -> tuple:
    """What the image cache (and --resolve-images) knows, for every profile of the run; a bad cache file is a usage error."""
    from hardener.resolve import image_facts_for_run

    try:
        return image_facts_for_run(
            settled.profile.images, paths, resolve_images=resolve_images, cache=image_cache, err=sys.stderr, chart_values=settled.chart_values
        )
    except HardenerError as exc:
        _err(f"error: {exc}")
        raise typer.Exit(EXIT_INPUT_ERROR) from None


def _check_jobs(jobs: Optional[int]) -> None:
    if jobs is not None and jobs < 1:
        _err("error: --jobs must be 1 or more")
        raise typer.Exit(EXIT_INPUT_ERROR)


def _check_paths(paths: Optional[List[str]], command: str) -> list[str]:
    """The paths to read; none on a terminal is a usage error rather than a silent wait for typed input."""
    if paths:
        return list(paths)
    if sys.stdin is None or sys.stdin.isatty():
        _err(
            f"error: hardener {command} needs input: give manifest files or directories, or pipe a stream "
            f"(helm template ... | hardener {command} -); 'hardener {command} -' reads what you type"
        )
        raise typer.Exit(EXIT_INPUT_ERROR)
    return []


@dataclass
class _Run:
    """What a ``fix`` or ``check`` run uses, settled before any input is read."""

    resolver: object
    profile: Profile
    report: Optional[str]
    report_file: Optional[str]
    chart_values: bool
    output_format: str
    fail_on: Optional[str]
    """The gate of a check (the configuration's ``fail-on``, else check's default); None for a fix."""


def _settle(
    ctx: typer.Context,
    *,
    config: Optional[str],
    no_config: bool,
    profile: Optional[str],
    select: Optional[List[str]],
    ignore: Optional[List[str]],
    stdin_filename: Optional[str],
    report: Optional[str],
    report_file: Optional[str],
    chart_values: bool,
    output_format: Optional[str],
    verbose: bool,
    unsafe_fixes: Optional[bool],
    fail_on: Optional[str],
    gate: bool,
) -> _Run:
    """The configuration in force, with the command line over it; a bad one stops the run (exit 2) before any input is read.

    ``--report``/``--report-file`` (or their environment variables) replace
    the configuration's report settings as a pair: a report file named by
    the host (Helm 4's ``HARDENER_REPORT_FILE``) gets the format its name says.
    ``gate``: a check (``check``, ``fix --check``), whose ``fail_on`` defaults
    to the configuration's, else to check's own default.
    """
    from hardener.config import OUTPUT_FORMATS, ConfigError, Overrides, Resolver, check_ids
    from hardener.gate import CHECK_DEFAULT

    try:
        overrides = Overrides(
            config=config,
            isolated=no_config,
            profile=profile,
            select=check_ids(select, "--select") if select else None,
            ignore=check_ids(ignore or [], "--ignore"),
            stdin_filename=stdin_filename,
            unsafe_fixes=unsafe_fixes,
        )
        resolver = Resolver(overrides)
        given = _given(ctx, "report") or _given(ctx, "report_file")
        if not given:
            report = resolver.run_setting("report", None).value
            report_file = resolver.run_setting("report-file", None).value
        checked = _check_report(report, report_file)
        if not _given(ctx, "chart_values"):
            chart_values = resolver.run_setting("chart-values", False).value
        if output_format is None:
            output_format = resolver.run_setting("output-format", "text").value
        elif output_format not in OUTPUT_FORMATS:
            raise ConfigError(f"--output-format: expected one of {', '.join(OUTPUT_FORMATS)}, got {output_format!r}")
        if gate and fail_on is None:
            fail_on = resolver.run_setting("fail-on", CHECK_DEFAULT).value
        default = resolver.profile_for(stdin_filename)
    except (ConfigError, ProfileError) as exc:
        _err(f"error: {exc}")
        _report_error(exc, report, report_file, ctx.params.get("paths"), bool(ctx.params.get("write")))
        raise typer.Exit(EXIT_INPUT_ERROR) from None
    if verbose:
        resolver.notes = _err
    return _Run(resolver, default, checked, report_file, chart_values, output_format, fail_on)


def _given(ctx: typer.Context, name: str) -> bool:
    """Whether the option came from the command line or the environment (not its default)."""
    source = ctx.get_parameter_source(name)
    return getattr(source, "name", None) in ("COMMANDLINE", "ENVIRONMENT")  # click's ParameterSource (vendored by typer 0.28)


def _report_error(
    exc: Exception, report: Optional[str], report_file: Optional[str], paths: Optional[List[str]] = None, write: bool = False
) -> None:
    """A run that stops before reading its input still writes the error to a report file that was asked for.

    Helm 4 hides a post-renderer's stderr: the report file is the only place
    its user can read why the render failed. Never when that file is one of
    the inputs named (``paths``): the report would replace it.
    """
    if not report_file:
        return
    from hardener.report import FORMATS, format_for_file
    from hardener.runner import Outcome, RunSummary, WriteBack, _write_report, report_target_problem
    from hardener.walk import Input

    fmt = report if report in FORMATS else format_for_file(report_file)
    if fmt is None or not os.path.isdir(os.path.dirname(report_file) or "."):
        return
    named = list(paths or []) or ["-"]
    if report_target_problem(report_file, [Input(p) for p in named], named, WriteBack.WRITE if write else WriteBack.CHECK):
        return
    _write_report(fmt, RunSummary([Outcome("-", error=HardenerError(str(exc)), display="configuration")]), report_file, sys.stderr)


@app.command()
def fix(
    ctx: typer.Context,
    paths: Optional[List[str]] = typer.Argument(None, help=_PATHS_HELP),
    write: bool = typer.Option(False, "--write", "-w", help="Rewrite the files in place (atomically)."),
    diff: bool = typer.Option(False, "--diff", help="Print a unified diff instead of the hardened content."),
    check: bool = typer.Option(False, "--check", help="Write nothing; exit 1 when anything would change (with --diff: show it)."),
    profile: Optional[str] = typer.Option(None, "--profile", "-p", help=_PROFILE_HELP),
    unsafe_fixes: Optional[bool] = _UNSAFE_FIXES,
    config: Optional[str] = _CONFIG,
    no_config: bool = _NO_CONFIG,
    select: Optional[List[str]] = _SELECT,
    ignore: Optional[List[str]] = _IGNORE,
    stdin_filename: Optional[str] = _STDIN_FILENAME,
    report: Optional[str] = typer.Option(None, "--report", help=_REPORT_HELP, envvar=_REPORT_ENV),
    report_file: Optional[str] = typer.Option(None, "--report-file", help=_REPORT_FILE_HELP, envvar=_REPORT_FILE_ENV),
    output_format: Optional[str] = _OUTPUT_FORMAT,
    fail_on: Optional[str] = _FAIL_ON,
    exit_zero: bool = typer.Option(False, "--exit-zero", help=_EXIT_ZERO_HELP),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", help=_JOBS_HELP),
    chart_values: bool = typer.Option(False, "--chart-values", help=_CHART_VALUES_HELP),
    quiet: bool = _QUIET,
    verbose: bool = _VERBOSE,
    explain: Optional[bool] = _EXPLAIN,
    resolve_images: bool = typer.Option(False, "--resolve-images", help=_RESOLVE_HELP),
    image_cache: Optional[str] = typer.Option(None, "--image-cache", help=_IMAGE_CACHE_HELP),
) -> None:
    """Harden manifests: print the result, rewrite files or directories (-w), or show a diff."""
    if write and (diff or check):
        _err("error: --write rewrites the files; --diff and --check write nothing: choose one")
        raise typer.Exit(EXIT_INPUT_ERROR)
    level = _fail_on(fail_on, exit_zero)
    _check_jobs(jobs)
    paths = _check_paths(paths, "fix")
    settled = _settle(
        ctx, config=config, no_config=no_config, profile=profile, select=select, ignore=ignore, stdin_filename=stdin_filename,
        report=report, report_file=report_file, chart_values=chart_values, output_format=output_format, verbose=verbose,
        unsafe_fixes=unsafe_fixes, fail_on=level, gate=check,
    )  # fmt: skip
    mode = WriteBack.WRITE if write else WriteBack.DIFF if diff else WriteBack.CHECK if check else WriteBack.STDOUT
    # fix --check is check, with or without --diff
    facts = _image_facts(settled, paths, resolve_images, image_cache)
    code = _run(paths, settled, mode, images=facts, jobs=jobs, diagnostics=settled.output_format if check else None, quiet=quiet, explain=explain)
    raise typer.Exit(code)


@app.command("check")
def check_command(
    ctx: typer.Context,
    paths: Optional[List[str]] = typer.Argument(None, help=_PATHS_HELP),
    diff: bool = typer.Option(False, "--diff", help="Also show what would change, as a unified diff (stdout)."),
    profile: Optional[str] = typer.Option(None, "--profile", "-p", help=_PROFILE_HELP),
    unsafe_fixes: Optional[bool] = _UNSAFE_FIXES,
    config: Optional[str] = _CONFIG,
    no_config: bool = _NO_CONFIG,
    select: Optional[List[str]] = _SELECT,
    ignore: Optional[List[str]] = _IGNORE,
    stdin_filename: Optional[str] = _STDIN_FILENAME,
    report: Optional[str] = typer.Option(None, "--report", help=_REPORT_HELP, envvar=_REPORT_ENV),
    report_file: Optional[str] = typer.Option(None, "--report-file", help=_REPORT_FILE_HELP, envvar=_REPORT_FILE_ENV),
    output_format: Optional[str] = _OUTPUT_FORMAT,
    fail_on: Optional[str] = _FAIL_ON,
    exit_zero: bool = typer.Option(False, "--exit-zero", help=_EXIT_ZERO_HELP),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", help=_JOBS_HELP),
    chart_values: bool = typer.Option(False, "--chart-values", help=_CHART_VALUES_HELP),
    quiet: bool = _QUIET,
    verbose: bool = _VERBOSE,
    explain: Optional[bool] = _EXPLAIN,
    resolve_images: bool = typer.Option(False, "--resolve-images", help=_RESOLVE_HELP),
    image_cache: Optional[str] = typer.Option(None, "--image-cache", help=_IMAGE_CACHE_HELP),
) -> None:
    """Write nothing; print what is not hardened and exit 1, or exit 0 when all is hardened."""
    level = _fail_on(fail_on, exit_zero)
    _check_jobs(jobs)
    paths = _check_paths(paths, "check")
    settled = _settle(
        ctx, config=config, no_config=no_config, profile=profile, select=select, ignore=ignore, stdin_filename=stdin_filename,
        report=report, report_file=report_file, chart_values=chart_values, output_format=output_format, verbose=verbose,
        unsafe_fixes=unsafe_fixes, fail_on=level, gate=True,
    )  # fmt: skip
    mode = WriteBack.DIFF if diff else WriteBack.CHECK
    facts = _image_facts(settled, paths, resolve_images, image_cache)
    code = _run(paths, settled, mode, images=facts, jobs=jobs, diagnostics=settled.output_format, quiet=quiet, explain=explain)
    raise typer.Exit(code)


def _run(
    paths: list[str], settled: _Run, mode: WriteBack, *, jobs: Optional[int], diagnostics: Optional[str], quiet: bool,
    explain: Optional[bool] = None, images: tuple = (),
) -> int:
    resolver = settled.resolver
    profile = settled.profile.with_images(images)

    def configure(items: list) -> list:
        """Each input's own profile (``hardener.config``), knowing the run's images too."""
        assigned = resolver.assign(items, settled.profile)  # type: ignore[attr-defined]
        return [dataclasses.replace(i, profile=i.profile.with_images(images)) if i.profile is not None else i for i in assigned]

    return run(
        paths, profile, mode, report=settled.report, report_file=settled.report_file, jobs=jobs,
        chart_values=settled.chart_values, configure=configure,
        diagnostics=diagnostics, quiet=quiet, fail_on=settled.fail_on, explain=explain,
    )  # fmt: skip


@app.command()
def krm(
    config: Optional[str] = _CONFIG,
    no_config: bool = _NO_CONFIG,
    plugin_config: Optional[str] = typer.Option(
        None, "--plugin-config", help="Legacy kustomize exec transformer: read its configuration from this file and a plain YAML stream from stdin."
    ),
) -> None:
    """Run as a KRM function: a ResourceList on stdin, the hardened list with results on stdout."""
    from hardener.config import Overrides
    from hardener.krm import run_function, run_legacy_plugin
    from hardener.textio import decode

    overrides = Overrides(config=config, isolated=no_config)
    data = sys.stdin.buffer.read()
    if plugin_config is not None:
        output, code, messages = run_legacy_plugin(plugin_config, data, overrides)
    else:
        try:
            result = run_function(decode(data, "<ResourceList>")[0], overrides)
        except HardenerError as exc:  # not UTF-8: answer with an error result all the same
            result = run_function("", Overrides(isolated=True))
            result.messages = [str(exc)]
        output, code, messages = result.text.encode("utf-8"), result.exit_code, result.messages
    for message in messages:
        _err(message)
    _emit(output)
    raise typer.Exit(code)


@app.command("config")
def config_command(
    ctx: typer.Context,
    path: Optional[str] = typer.Argument(None, help="A manifest file or directory: show what applies to it (default: the working directory)."),
    profile: Optional[str] = typer.Option(None, "--profile", "-p", help=_PROFILE_HELP),
    config: Optional[str] = _CONFIG,
    no_config: bool = _NO_CONFIG,
    select: Optional[List[str]] = _SELECT,
    ignore: Optional[List[str]] = _IGNORE,
) -> None:
    """Print the settings in force (for PATH), and where each one comes from."""
    from hardener.config import ConfigError, Overrides, Resolver, check_ids
    from hardener.config_show import show

    try:
        overrides = Overrides(
            config=config, isolated=no_config, profile=profile,
            select=check_ids(select, "--select") if select else None, ignore=check_ids(ignore or [], "--ignore"),
        )  # fmt: skip
        sys.stdout.write(show(Resolver(overrides), path, os.environ))
    except (ConfigError, ProfileError) as exc:
        _err(f"error: {exc}")
        raise typer.Exit(EXIT_INPUT_ERROR) from None


@app.command("transforms")
def transforms_command() -> None:
    """List every transform: id, fix safety and title."""
    from hardener.docs import list_text
    from hardener.registry import default_registry

    _emit(list_text(default_registry()))


@app.command()
def explain(transform_id: str = typer.Argument(..., metavar="ID", help="A transform id, e.g. run-as-non-root.")) -> None:
    """Explain one transform: what it changes, why, an example, fix safety and references."""
    from hardener.docs import explain_text
    from hardener.registry import RegistryError, default_registry

    try:
        _emit(explain_text(default_registry(), transform_id))
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

        _emit(list_profiles())


@profiles_app.command("show")
def profiles_show(name: str = typer.Argument(..., help="A shipped profile name or a profile file path.")) -> None:
    """Print a profile with extends resolved and every parameter at its value; check what it injects."""
    from hardener.profile_show import injection_problems, show_profile

    profile = _load_profile(name)
    _emit(show_profile(name))
    problems = injection_problems(profile)
    for problem in problems:
        _err(f"error: {profile.source}: transforms: {problem}")
    if problems:
        raise typer.Exit(EXIT_INPUT_ERROR)


def main() -> None:
    """Console-script entry point: every failure becomes an exit code and one line, never a bare traceback.

    Usage errors are click's (exit 2, with its message). A write the
    environment refuses (disk full, closed pipe, I/O error) or memory running
    out exits 2, SIGINT 130 and SIGTERM 143, each with one line; anything
    else that escapes is our bug and exits 123. Standard output and error
    are replaced for the command by writers that never lose a byte
    (``hardener.writes``); whatever they still hold is flushed here, so a
    full device is reported instead of Python's "Exception ignored" at exit.
    """
    from hardener.interrupt import Interrupted, interruptible
    from hardener.writes import complete_streams

    # Hardening allocates many short-lived, acyclic objects (nodes, data):
    # young-generation collections find nothing to free, so run them less often.
    gc.set_threshold(10_000, 20, 20)
    with complete_streams():
        with interruptible():
            try:
                app()
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            except Interrupted as stop:  # outside a run (which says what it wrote itself)
                _err(f"hardener: interrupted by {stop.name}; {getattr(stop, 'hardener_account', 'nothing was written')}")
                code = stop.exit_code
            except HardenerError as exc:  # WriteFailed: stdout refused the output of a command
                _err(f"error: {exc}")
                code = EXIT_INPUT_ERROR
            except (OSError, MemoryError) as exc:
                what = "out of memory" if isinstance(exc, MemoryError) else f"cannot write: {exc.strerror or exc}"
                _err(f"error: {what}; {getattr(exc, 'hardener_account', 'nothing was written')}")
                code = EXIT_INPUT_ERROR
            except Exception as exc:
                import traceback

                account = getattr(exc, "hardener_account", "nothing was written")
                _err(f"internal error: hardener crashed; {account}. Please report this with the trace below.")
                traceback.print_exc()
                code = EXIT_INTERNAL_ERROR
        code = _flush_standard_streams(code)
    sys.exit(code)


def _flush_standard_streams(code: int) -> int:
    """Flush what stdout and stderr still hold; a refused flush is reported once, and exits 2."""
    from hardener.writes import silence

    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError) as exc:
            silence(stream)
            if name == "stdout":
                _err(f"error: cannot write to standard output: {getattr(exc, 'strerror', None) or exc}")
                code = code if code not in (0, 1) else EXIT_INPUT_ERROR
    return code


def _emit(data: bytes | str) -> None:
    """Write a command's output to stdout; a refusal is a WriteFailed (one line, exit 2), not click's exit 1."""
    from hardener.interrupt import Interrupted
    from hardener.writes import WriteFailed, describe, silence

    try:
        if isinstance(data, bytes):
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        else:
            sys.stdout.write(data)
            sys.stdout.flush()
    except OSError as exc:
        silence(sys.stdout)
        raise WriteFailed(f"cannot write to standard output: {describe(exc)}") from None
    except Interrupted as stop:
        silence(sys.stdout)
        stop.hardener_account = "the output on standard output may be incomplete"  # type: ignore[attr-defined]
        raise


if __name__ == "__main__":
    main()
