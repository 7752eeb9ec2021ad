"""One run of ``fix`` or ``check``: inputs in, results out, written back one way.

The CLI parses options and calls ``run``; everything that decides what is
read, hardened and written lives here, so the commands stay thin and every
entry point (fix, check, bulk runs) shares one write-back decision
(black's ``WriteBack``).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from enum import Enum
from typing import IO, Callable, Iterator

from hardener.errors import HardenerError, InputError, InternalError
from hardener.files import STDIN, Snapshot, deferred_signals, open_input, write_atomic
from hardener.gate import CHECK_DEFAULT, FIX_DEFAULT, Tally, failure, registry_safety, tally
from hardener.interrupt import check as check_interrupted
from hardener.model import CHANGE, FINDING, Record, RecordViews, plural
from hardener.profile import Profile
from hardener.streamindex import RunEvidence
from hardener.walk import SUFFIXES, Input, Skip, collect

EXIT_OK, EXIT_GATE_FAILED, EXIT_INPUT_ERROR, EXIT_INTERNAL_ERROR = 0, 1, 2, 123
"""``1``: the gate failed (``hardener.gate``): something would change in a check, or the profile is not met."""
EXIT_ENVIRONMENT_ERROR = 2
"""A write the environment refused (disk full, closed pipe, I/O error); interrupted runs exit 128 + the signal."""


class WriteBack(Enum):
    """What to do with a hardened result."""

    STDOUT = "stdout"
    WRITE = "write"
    DIFF = "diff"
    CHECK = "check"


@dataclass
class KeptResult(RecordViews):
    """A result with only what its write-back still needs: records, counts, and bytes or texts.

    A bulk run holds every result until the end (nothing is written when any
    output cannot be vouched for); kept whole, each file would be held three
    times over (input text, output text, output bytes).
    """

    records: list[Record] = field(default_factory=list)
    documents: int = 0
    changed_documents: list[int] = field(default_factory=list)
    input: str = ""
    output: str = ""
    output_bytes: bytes = b""

    @property
    def changed(self) -> bool:
        return bool(self.changed_documents)


def keep_for(write_back: WriteBack, result) -> KeptResult:
    """``result`` (a ``BytesResult``) cut down to what ``write_back`` writes: bytes, texts for a diff, or nothing."""
    kept = KeptResult(result.records, result.documents, result.changed_documents)
    if write_back is WriteBack.STDOUT or (write_back is WriteBack.WRITE and result.changed):
        kept.output_bytes = result.output_bytes
    elif write_back is WriteBack.DIFF and result.changed:
        kept.input, kept.output = result.input, result.output
    return kept


@dataclass
class Outcome:
    """One input: its name, its result, or the error that stopped it.

    A skipped file (``skip`` set) has a result too: its input untouched and a
    single file-level skip record, so every report lists it with its reason.
    """

    name: str
    result: object = None  # hardener.api.BytesResult
    error: HardenerError | None = None
    skip: Skip | None = None
    display: str | None = None
    """The name reports use instead of ``name`` (``--stdin-filename``)."""
    tally: Tally | None = None
    """The gate's counts, kept once the records went to the run's spool."""
    source: Snapshot | None = None
    """The file as read, for -w: it is not replaced if it changed since."""

    @property
    def label(self) -> str:
        if self.display:
            return self.display
        return "<stdin>" if self.name == STDIN else self.name

    @property
    def counted(self) -> Tally | None:
        """The gate's counts when the records are not on the result: spooled (``tally``), or a streamed result's own."""
        return self.tally or getattr(self.result, "tally", None)

    @property
    def change_count(self) -> int:
        """How many changes this input made (wherever its records are now)."""
        counted = self.counted
        return counted.changes if counted is not None else len(self.result.changes)


@dataclass
class RunSummary:
    """Every outcome of a run, in input order; their records in ``spool`` when the run keeps them on disk."""

    outcomes: list[Outcome] = field(default_factory=list)
    spool: object = None  # hardener.recordspool.RecordSpool
    _safety: dict | None = field(default=None, repr=False)

    def add(self, outcome: Outcome) -> None:
        """Keep ``outcome``; its records go to the spool (counted on the outcome), not to memory."""
        if self.spool is not None and outcome.result is not None and outcome.tally is None:
            self.spool_records(outcome, outcome.result.records)
            outcome.result.records = []
        self.outcomes.append(outcome)

    def spool_records(self, outcome: Outcome, records: list[Record]) -> None:
        """Send ``records`` of ``outcome`` to the spool as they are made, counted for the gate on the outcome."""
        if self._safety is None:
            self._safety = registry_safety()
        counted = outcome.tally = outcome.tally or Tally()
        for record in records:
            counted.add(record, self._safety)
        self.spool.extend(records)  # type: ignore[attr-defined]

    @property
    def errors(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.error is not None]

    @property
    def results(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.error is None]

    @property
    def changed(self) -> list[Outcome]:
        return [o for o in self.results if o.result.changed]

    @property
    def skipped(self) -> list[Outcome]:
        return [o for o in self.results if o.skip is not None]

    @property
    def unchanged(self) -> list[Outcome]:
        return [o for o in self.results if o.skip is None and not o.result.changed]

    def iter_records(self) -> Iterator[Record]:
        """Every record of the run, input by input, in order; each call starts again from the first."""
        if self.spool is not None:
            yield from self.spool  # type: ignore[misc]
            return
        for outcome in self.results:
            yield from outcome.result.records

    def close(self) -> None:
        if self.spool is not None:
            self.spool.close()  # type: ignore[attr-defined]


def run_evidence(items: list[Input], profile: Profile) -> RunEvidence | None:
    """What the files of each directory prove for each other (bindings, ServiceAccounts), when a transform asks.

    See ``streamindex.RunEvidence``. Read before hardening starts, so every
    file, in any worker, sees the same facts and ``--jobs N`` changes nothing.
    """
    from hardener.engine import needs_stream_index
    from hardener.streamindex import index_files

    files = [item.name for item in items if item.name != STDIN and item.skip is None and item.chart is None]
    if len(files) < 2 or not any(needs_stream_index(item.profile or profile) for item in items):
        return None
    return index_files(files)


def collect_inputs(paths: list[str], chart_values: bool = False) -> list[Input]:
    """The inputs to read: the given paths with directories walked, or standard input."""
    return collect(paths, chart_values)


def harden_inputs(
    items: list[Input | str],
    profile: Profile,
    jobs: int = 1,
    on_done=None,
    write_back: WriteBack | None = None,
    summary: RunSummary | None = None,
    evidence: RunEvidence | None = None,
) -> RunSummary:
    """Harden every input (in ``jobs`` processes) into ``summary``; an error stops that input only.

    With ``write_back``, each result keeps only what that write-back needs
    (``keep_for``), in the worker, before it is sent back; with a spool on
    ``summary``, records go to disk as each outcome arrives.
    """
    from hardener.bulk import harden_many

    summary = summary if summary is not None else RunSummary()
    inputs = [Input(item) if isinstance(item, str) else item for item in items]
    for outcome in harden_many(inputs, profile, jobs, on_done, write_back, evidence):
        summary.add(outcome)
        check_interrupted()
    return summary


def stream_inputs(
    items: list[Input],
    profile: Profile,
    sink: IO[bytes],
    *,
    keep_records: bool,
    on_done=None,
    summary: RunSummary | None = None,
    evidence: RunEvidence | None = None,
) -> RunSummary:
    """Harden every input into ``sink`` document by document (filter mode); an error stops that input only.

    With a spool on ``summary``, each document's records go to it as soon as
    the document is done; the result's tally counts them all the same.
    """
    from hardener.streaming import harden_stream

    summary = summary if summary is not None else RunSummary()
    for item in items:
        outcome = Outcome(item.name, display=item.label)
        kept: list[Record] = []  # without a spool: what the filter keeps (error findings, unless records are kept)

        def on_records(records: list[Record], kept: list[Record] = kept) -> None:
            check_interrupted()  # once per document
            (summary.spool if summary.spool is not None else kept).extend(records)  # type: ignore[union-attr]

        try:
            handle = open_input(item.name)
            try:
                outcome.result = harden_stream(
                    handle,
                    item.profile or profile,
                    sink,
                    file=outcome.label,
                    keep_records=keep_records,
                    on_records=on_records,
                    evidence=evidence.for_file(item.name) if evidence is not None else None,
                )
                outcome.result.records = kept
            finally:
                if item.name != STDIN:
                    handle.close()
        except HardenerError as exc:
            outcome.error = exc
        summary.outcomes.append(outcome)
        if on_done:
            on_done()
    return summary


class _NullSink:
    """Where ``check`` streams the hardened text it does not need."""

    def write(self, data: bytes) -> int:
        return len(data)


def _streams(write_back: WriteBack, items: list[Input], jobs: int) -> bool:
    """A filter streams one input named by the user to stdout; a check streams named inputs one at a time.

    Several files to stdout are joined whole (``joined``), which needs the
    start of each file's output before writing what goes between them.
    """
    plain = all(not item.walked and item.skip is None and item.chart is None for item in items)
    if write_back is WriteBack.CHECK:
        return plain and (len(items) == 1 or jobs == 1)
    return write_back is WriteBack.STDOUT and plain and len(items) == 1


_UTF8_BOM = b"\xef\xbb\xbf"


def joined(previous: bytes, output: bytes) -> bytes:
    """What to write for one file's ``output`` after ``previous`` (the end of what was written) on stdout.

    Several files to one stream must stay one valid YAML stream: a file whose
    first document is not opened by ``---`` would otherwise merge into the
    last document of the file before it (kustomize then sees ``apiVersion``
    twice). So a ``---`` goes between them (``...`` before a ``%YAML``
    directive, which only a closed document may precede), the previous file's
    last line is ended, and a byte-order mark, valid only at the start of the
    stream, is dropped. Each file's own bytes are otherwise untouched.
    """
    if not previous or not output:
        return output
    body = output[len(_UTF8_BOM):] if output.startswith(_UTF8_BOM) else output
    newline = b"\r\n" if previous.endswith(b"\r\n") or (not previous.endswith(b"\n") and b"\r\n" in body[:4096]) else b"\n"
    end = b"" if previous.endswith(b"\n") else newline
    first = next((line for line in body[:65536].splitlines() if line.strip() and not line.lstrip().startswith(b"#")), b"")
    if not first or (first.startswith(b"---") and first[3:4] in (b"", b" ", b"\t", b"\r")):
        return end + body  # comments only, or a document opened by its own ---
    return end + (b"..." if first.startswith(b"%") else b"---") + newline + body


def run(
    paths: list[str],
    profile: Profile,
    write_back: WriteBack,
    *,
    report: str | None = None,
    report_file: str | None = None,
    jobs: int | None = None,
    chart_values: bool = False,
    fail_on: str | None = None,
    explain: bool | None = None,
    stdout: IO[bytes] | None = None,
    stderr: IO[str] | None = None,
    configure: Callable[[list[Input]], list[Input]] | None = None,
    diagnostics: str | None = None,
    quiet: bool = False,
) -> int:
    """Harden ``paths`` and write back as asked; return the exit code.

    ``fail_on`` is the gate's level (``hardener.gate``); by default ``errors``
    for a fix and ``changes`` for a check. ``configure`` gives each input its
    configuration (``hardener.config``: its profile, its name, its
    exclusion). ``diagnostics`` (``text`` or ``github``) prints a line per
    change and finding, as ``check`` does. ``quiet`` keeps everything but
    errors off stderr. ``explain`` annotates ``--diff`` with each change's
    reason and adds the reasons to a text report; None means: annotate a
    diff shown on a terminal.

    SIGINT and SIGTERM stop the run (workers included) and exit 130/143
    after one line that says what was written; a write the environment
    refuses (disk full, closed pipe) exits 2 the same way.
    """
    from hardener.interrupt import as_interrupted, interruptible
    from hardener.writes import WriteFailed, silence

    err = stderr or sys.stderr
    ledger = Ledger()
    try:
        with interruptible():
            return _run(
                paths, profile, write_back, report, report_file, jobs, chart_values, fail_on, explain,
                stdout or sys.stdout.buffer, err, configure, diagnostics, quiet, ledger,
            )  # fmt: skip
    except BaseException as exc:
        stop = as_interrupted(exc)
        if stop is not None:
            _say(err, f"hardener: interrupted by {stop.name}; {ledger.account()}\n")
            return stop.exit_code
        if isinstance(exc, (WriteFailed, OSError)):
            account = ledger.account()
            if ledger.stdout is not None:
                silence(ledger.stdout)
            _say(err, f"error: {_environment_message(exc)}; {account}\n")
            return EXIT_ENVIRONMENT_ERROR
        exc.hardener_account = ledger.account()  # type: ignore[attr-defined]  # for cli.main's last word
        raise


def _run(
    paths, profile, write_back, report, report_file, jobs, chart_values, fail_on, explain, out, err, configure, diagnostics, quiet, ledger
) -> int:
    from hardener.bulk import closing_summary, default_jobs
    from hardener.progress import progress
    from hardener.recordspool import RecordSpool

    info = _Discard() if quiet else err  # what a quiet run does not say
    explained = write_back is WriteBack.DIFF and _explains_diff(out, explain)
    try:
        items = collect_inputs(paths, chart_values)
        if configure is not None:
            items = configure(items)
    except HardenerError as exc:
        err.write(f"error: {exc}\n")
        if report:
            _write_report(report, RunSummary([Outcome("-", error=exc, display="configuration")]), report_file, err)
        return EXIT_INPUT_ERROR
    if write_back is WriteBack.WRITE and any(item.name == STDIN for item in items):
        err.write("error: --write needs file paths; it cannot rewrite standard input\n")
        return EXIT_INPUT_ERROR
    bulk = any(path != STDIN and os.path.isdir(path) for path in paths)
    if write_back is WriteBack.STDOUT and bulk:
        err.write("error: a directory holds many files; rewrite them with -w, or use --diff or --check\n")
        return EXIT_INPUT_ERROR
    problem = report_file and report_target_problem(report_file, items, paths, write_back)
    if problem:
        err.write(f"error: --report-file {report_file}: {problem}; nothing was written\n")
        return EXIT_INPUT_ERROR
    jobs = jobs or default_jobs()
    streams = _streams(write_back, items, jobs)
    keep_records = bool(report or diagnostics) or not streams
    # A diff keeps each file's texts anyway, and an explained one needs its records beside them.
    summary = RunSummary(spool=RecordSpool() if keep_records and write_back is not WriteBack.DIFF else None)
    spool = None  # a streaming filter's output, held until every input has succeeded
    try:
        evidence = run_evidence(items, profile)
        with progress(len(items), info) as advance:
            if streams:
                from hardener.streaming import new_spool

                spool = new_spool() if write_back is WriteBack.STDOUT else _NullSink()
                stream_inputs(items, profile, spool, keep_records=keep_records, on_done=advance, summary=summary, evidence=evidence)
            else:
                harden_inputs(items, profile, jobs, advance, write_back, summary, evidence)
        internal = [o for o in summary.errors if isinstance(o.error, InternalError)]
        if internal:
            for outcome in internal:
                err.write(f"internal error: {outcome.error}\n")
            if report:  # hosts that hide stderr (Helm 4) still learn why
                _write_report(report, RunSummary(internal), report_file, err)
            return EXIT_INTERNAL_ERROR  # nothing is written when any output cannot be vouched for
        for outcome in summary.errors:
            err.write(f"error: {outcome.error}\n")
        if write_back is WriteBack.STDOUT and summary.errors:
            if report:  # hosts that hide stderr (Helm 4) still learn why
                _write_report(report, summary, report_file, err)
            return EXIT_INPUT_ERROR  # a filter never emits a partial stream
        check_interrupted()
        write_outputs(write_back, summary, spool, out, err, info, ledger, explained)
        if diagnostics and not quiet and not explained:  # an explained diff already shows each finding at its line
            _print_diagnostics(summary, diagnostics, out, err, in_diff=write_back is WriteBack.DIFF)
        if report and not _write_report(report, summary, report_file, err, explain=bool(explain)):
            return EXIT_INPUT_ERROR
        if bulk:
            info.write(closing_summary(summary, write_back.value))
        if summary.errors:
            return EXIT_INPUT_ERROR
        level = fail_on or (CHECK_DEFAULT if write_back is WriteBack.CHECK else FIX_DEFAULT)
        reason = failure(level, run_tally(summary))
        if reason is None:
            return EXIT_OK
        if not diagnostics and (not report or report_file):  # a report on stderr says it all, and must stay parseable
            from hardener.report.text import record_line, sorted_by_line

            for record in sorted_by_line(error_findings(summary)):
                info.write(record_line(record) + "\n")
        if not report or report_file:
            info.write(f"hardener: failed (--fail-on {level}): {reason}\n")
        return EXIT_GATE_FAILED
    finally:
        if spool is not None and hasattr(spool, "close"):
            spool.close()
        summary.close()


def write_outputs(
    write_back: WriteBack, summary: RunSummary, spool, out: IO[bytes], err: IO[str], info, ledger: Ledger, explained: bool
) -> None:
    """The one write-back: the stream to stdout, a diff, each changed file in place, or a line per file.

    Raises OSError when stdout refuses bytes (the caller says how many got out).
    """
    if write_back is WriteBack.STDOUT:
        ledger.stdout = out
        if spool is not None:
            ledger.stdout_total = spool.tell()
            spool.seek(0)
            while block := spool.read(1 << 20):
                out.write(block)
        else:
            written = b""
            for outcome in summary.results:
                piece = joined(written, outcome.result.output_bytes)
                out.write(piece)
                written = (written + piece)[-2:] if piece else written
        out.flush()
    elif write_back is WriteBack.DIFF:
        ledger.stdout = out
        _write_diffs(summary, out, explained)
    elif write_back is WriteBack.WRITE:
        ledger.to_write = len(summary.changed)
        for outcome in summary.changed:
            check_interrupted()
            try:
                with deferred_signals():  # a signal waits until the file is written and counted as written
                    write_atomic(outcome.name, outcome.result.output_bytes, outcome.source)
                    ledger.written.append(outcome.label)
                    info.write(f"hardened {outcome.label} ({plural(outcome.change_count, 'change')})\n")
            except InputError as exc:
                outcome.error = exc
                err.write(f"error: {exc}\n")
    elif write_back is WriteBack.CHECK:
        for outcome in summary.changed:
            info.write(f"would harden {outcome.label} ({plural(outcome.change_count, 'change')})\n")


@dataclass
class Ledger:
    """What a run has written so far, so that an interruption or a failed write can say it truthfully."""

    written: list[str] = field(default_factory=list)  # files replaced by -w
    to_write: int = 0
    stdout: IO[bytes] | None = None  # set once the run starts writing its output to stdout
    stdout_total: int | None = None

    def account(self) -> str:
        if self.stdout is not None:
            from hardener.writes import bytes_written

            sent = bytes_written(self.stdout)
            if sent == 0:
                return "nothing was written to standard output"
            of = f" of {self.stdout_total:,}" if self.stdout_total is not None else ""
            amount = f" ({sent:,}{of} bytes written)" if sent is not None else ""
            return f"the output on standard output is incomplete{amount}"
        if self.written:
            left = self.to_write - len(self.written)
            return (
                f"{len(self.written)} file(s) were hardened, {left} left as they were "
                "(every file is either hardened or byte-identical)"
            )
        return "nothing was written"


def _environment_message(exc: BaseException) -> str:
    from hardener.writes import describe

    if isinstance(exc, OSError):
        return f"cannot write: {describe(exc)}"
    return str(exc)


def _say(err: IO[str], line: str) -> None:
    """A last line on stderr, which may itself be the stream that failed."""
    try:
        err.write(line)
        err.flush()
    except (OSError, ValueError):
        pass


def report_target_problem(report_file: str, items: list[Input], paths: list[str], write_back: WriteBack) -> str | None:
    """Why ``report_file`` must not be written, or None: it is an input, or would become one.

    The same file is found by device and inode, so a hard link or a symbolic
    link to an input is caught too; standard input is compared through its
    descriptor (``fix - < x.yaml --report-file x.yaml``).
    """
    try:
        report = os.stat(report_file)
    except OSError:
        report = None
    if report is not None:
        for item in items:
            try:
                info = os.fstat(sys.stdin.fileno()) if item.name == STDIN else os.stat(item.name)
            except (OSError, ValueError, AttributeError):
                continue
            if (info.st_dev, info.st_ino) == (report.st_dev, report.st_ino) and _is_regular(info):
                return f"is the same file as the input {'<stdin>' if item.name == STDIN else item.name}; a report must not replace an input"
    if write_back is WriteBack.WRITE and report_file.lower().endswith(SUFFIXES):
        target = os.path.realpath(report_file)
        for path in paths:
            if path != STDIN and os.path.isdir(path):
                root = os.path.realpath(path)
                if target.startswith(root.rstrip(os.sep) + os.sep):
                    return f"lies inside {path}, which -w rewrites, with a manifest's suffix: the next run would read it as an input"
    return None


def _is_regular(info: os.stat_result) -> bool:
    import stat

    return stat.S_ISREG(info.st_mode)


def run_tally(summary: RunSummary) -> Tally:
    """The gate's counts over every result of a run (a streamed one carries its own)."""
    safety = registry_safety()
    counted = Tally()
    for outcome in summary.results:
        own = outcome.counted
        counted += own if own is not None else tally(outcome.result.records, safety)
    return counted


def error_findings(summary: RunSummary) -> list[Record]:
    """Every error finding of a run: what leaves the profile unmet."""
    return [record for record in summary.iter_records() if record.is_error]


class _Discard:
    """A text stream that keeps nothing: where a quiet run's notes go."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


def _print_diagnostics(summary: RunSummary, fmt: str, out: IO[bytes], err: IO[str], *, in_diff: bool) -> None:
    """One line per change that would be made and per finding, as ruff prints its diagnostics.

    On stdout, sorted by file (in input order) and line; beside a diff (which
    already shows every change) only the findings, on stderr, so stdout stays
    a patch.
    """
    from hardener.report.text import sorted_by_line

    wanted = (FINDING,) if in_diff else (CHANGE, FINDING)
    if fmt == "github":
        from hardener.report.github import annotation as line
    else:
        from hardener.report.text import diagnostic as line
    for record in sorted_by_line(summary.iter_records()):  # one document's records held at a time
        if record.type in wanted:
            if in_diff:
                err.write(line(record) + "\n")
            else:
                out.write((line(record) + "\n").encode("utf-8", "surrogateescape"))  # a file name's own bytes
    if not in_diff:
        out.flush()


def _explains_diff(out: IO[bytes], explain: bool | None) -> bool:
    """The explained diff is the default on a terminal (a person reads it); piped, the diff stays plain."""
    from hardener.colordiff import is_terminal

    return is_terminal(out) if explain is None else explain


def _write_diffs(summary: RunSummary, out: IO[bytes], annotate: bool) -> None:
    """``--diff``: the plain unified diff of every changed file, or the explained one.

    The explained diff is the default on a terminal (a person reads it);
    piped, the diff stays plain so ``patch`` and ``git apply`` take it. Colour
    only on a terminal (``colordiff``).
    """
    from hardener.colordiff import colorize, should_color
    from hardener.diff import explained_diff, unified_diff

    color = should_color(out)
    for outcome in summary.results:
        result = outcome.result
        if annotate and (result.changed or result.findings):
            diff = explained_diff(outcome.label, result.input, result.output, result.records)
        elif result.changed:
            diff = unified_diff(outcome.label, result.input, result.output)
        else:
            continue
        out.write((colorize(diff) if color else diff).encode("utf-8", "surrogateescape"))
    out.flush()


def _write_report(fmt: str, summary: RunSummary, report_file: str | None, err: IO[str], explain: bool = False) -> bool:
    """Reports never go to stdout: in filter mode stdout is the YAML stream. False: not written.

    A Markdown body that had to leave files out names its full report, written beside it. To a
    file, each report appears whole or not at all (``writes.report_file``).
    """
    from hardener.report import full_report_path, render
    from hardener.writes import WriteFailed
    from hardener.writes import report_file as open_report

    if not report_file:
        render(fmt, summary, err, explain=explain)
        err.flush()
        return True
    full = full_report_path(fmt, report_file)
    try:
        with open_report(report_file) as handle:
            left_out = render(fmt, summary, handle, explain=explain, full_report=full and os.path.basename(full))
        if full and left_out:
            with open_report(full) as handle:
                render(fmt, summary, handle, full=True)
    except WriteFailed as exc:
        err.write(f"error: {exc}\n")
        return False
    return True
