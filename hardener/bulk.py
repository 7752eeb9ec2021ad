"""Harden many files: one at a time or in worker processes, results always in input order.

Each file is read, triaged and hardened on its own, so one bad file never
stops the others: its error is kept on its outcome. Nothing here writes;
the runner decides what to do with the results once they are all in, so
each result keeps only what the runner's write-back will use.

Workers are processes (hardening is CPU-bound Python); each receives the
resolved profile once, pickled, so a profile file is read a single time.
Work is handed out biggest files first, but outcomes are yielded strictly in
input order, which keeps output, writes and reports identical whatever
``--jobs`` is.

Workers never outlive the run: they ignore SIGINT (the parent, which the
terminal signals too, decides), the parent kills them when it is
interrupted or fails, and on Linux the kernel kills them if the parent dies
without a word (a worker left behind would hold the caller's pipes open: a
CI step waiting on ``| tee`` would hang).
"""

from __future__ import annotations

import os
import sys
from typing import Callable, Iterator

from hardener.errors import HardenerError
from hardener.files import deferred_signals, read_input, read_snapshot
from hardener.model import SKIP, Record
from hardener.profile import Profile
from hardener.runner import Outcome, WriteBack, keep_for
from hardener.streamindex import RunEvidence
from hardener.walk import Input, Skip


def default_jobs() -> int:
    """The CPUs this process may use (what a container's CPU set allows, not the host's count)."""
    if hasattr(os, "process_cpu_count"):
        return os.process_cpu_count() or 1
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def harden_one(item: Input, profile: Profile, write_back: WriteBack | None = None, evidence: RunEvidence | None = None) -> Outcome:
    """Read, triage and harden one input; every failure is kept on the outcome, never raised.

    With ``write_back``, the result keeps only what that write-back needs;
    ``evidence`` is what the files of its directory prove (``streamindex.RunEvidence``).
    """
    outcome = _harden_one(item, item.profile or profile, write_back, evidence)
    if write_back is not None and outcome.result is not None:
        outcome.result = keep_for(write_back, outcome.result)
    return outcome


def _harden_one(item: Input, profile: Profile, write_back: WriteBack | None, evidence: RunEvidence | None) -> Outcome:
    from hardener.api import harden_bytes
    from hardener.textio import decode
    from hardener.triage import EMPTY, NOT_KUBERNETES, kustomize_patch, looks_like_kubernetes, unrendered_template

    outcome = Outcome(item.name, display=item.label)
    try:
        if item.skip is not None:
            # A file named on the command line and excluded by the configuration
            # passes through as it is (a filter never drops a file from its output).
            return _skipped(outcome, item.skip, b"" if item.walked else read_input(item.name))
        data, snapshot = read_snapshot(item.name)
        if write_back is WriteBack.WRITE:
            outcome.source = snapshot  # -w replaces the file only if it still holds these bytes
        if item.chart is not None:
            return _harden_chart_values(outcome, data, item.chart, profile)
        if item.walked:
            text, _ = decode(data, outcome.label)
            skip = unrendered_template(text, outcome.label)
            if skip is not None:
                return _skipped(outcome, skip)
        own = evidence.for_file(item.name) if evidence is not None else None
        outcome.result = harden_bytes(data, profile, file=outcome.label, evidence=own)
        if item.walked and not outcome.result.changed and not outcome.result.records:
            if not text.strip():
                return _skipped(outcome, EMPTY)
            if not looks_like_kubernetes(text):
                return _skipped(outcome, kustomize_patch(text, outcome.label) or NOT_KUBERNETES)
    except HardenerError as exc:
        outcome.result = None
        outcome.error = exc
    return outcome


def _harden_chart_values(outcome: Outcome, data: bytes, chart: str, profile: Profile) -> Outcome:
    """``--chart-values``: a chart's values.yaml, hardened where helm proves its templates carry the values."""
    from hardener.api import BytesResult
    from hardener.chartvalues import candidate_keys, harden_values
    from hardener.textio import decode, encode

    if not candidate_keys(chart):
        return _skipped(outcome, Skip(
            "Helm chart values",
            "the default values of a Helm chart whose templates read no securityContext or automount values",
        ))
    text, encoding = decode(data, outcome.label)
    output, records = harden_values(text, profile, outcome.label, chart)
    changed = [0] if output != text else []
    output_bytes = data if output == text else encode(output, encoding)
    outcome.result = BytesResult(text, output, records, 1, changed, output_bytes=output_bytes)
    return outcome


def _skipped(outcome: Outcome, skip: Skip, data: bytes = b"") -> Outcome:
    """A skipped file is a result with one file-level skip record, so every report shows it; ``data`` passes through."""
    from hardener.api import BytesResult

    record = Record(SKIP, "", f"Skipped the file: {skip.reason}", file=outcome.label)
    outcome.result = BytesResult("", "", [record], output_bytes=data)
    outcome.skip = skip
    return outcome


MIN_FILES_FOR_WORKERS = 8
"""Below this, starting worker processes costs more than it saves."""

_worker_profile: Profile | None = None
_worker_write_back: WriteBack | None = None
_worker_evidence: RunEvidence | None = None


def _init_worker(profile: Profile, write_back: WriteBack | None, evidence: RunEvidence | None) -> None:
    global _worker_profile, _worker_write_back, _worker_evidence
    _worker_profile, _worker_write_back, _worker_evidence = profile, write_back, evidence
    _die_with_parent()


def _die_with_parent() -> None:
    """A worker leaves signals to its parent, and dies with it (Linux: the kernel sees to it)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group; the parent decides
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's handler, inherited over fork
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})  # blocked while the parent forked
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):
            pass
        if os.getppid() == 1:  # the parent died before prctl: nobody is waiting for us
            os._exit(1)


_PR_SET_PDEATHSIG = 1


def _stop_workers(pool) -> None:
    """Kill the workers now: nothing they are doing is wanted any more, and they write nothing.

    Every child process counts, not only those the pool has registered: a
    signal can land while the pool is starting one. A worker is killed, not
    terminated: one still starting up has the parent's signal handlers, and
    would print a traceback where SIGTERM reached it.
    """
    import multiprocessing

    workers = {id(p): p for p in (getattr(pool, "_processes", None) or {}).values()}  # no public list before 3.14
    workers.update((id(p), p) for p in multiprocessing.active_children())
    for process in workers.values():
        process.kill()
    for process in workers.values():
        process.join(5)
    # With its workers gone the pool's manager thread ends at once; waiting for it here means
    # Python's exit hook never wakes a thread that is closing its pipe ("Bad file descriptor").
    pool.shutdown(wait=True, cancel_futures=True)


def _harden_batch_in_worker(batch: list[tuple[int, Input]]) -> list[tuple[int, Outcome]]:
    assert _worker_profile is not None
    return [(index, harden_one(item, _worker_profile, _worker_write_back, _worker_evidence)) for index, item in batch]


def harden_many(
    items: list[Input],
    profile: Profile,
    jobs: int = 1,
    on_done: Callable[[], None] | None = None,
    write_back: WriteBack | None = None,
    evidence: RunEvidence | None = None,
) -> Iterator[Outcome]:
    """Outcomes of ``items`` in their order, using up to ``jobs`` processes (``evidence``: see ``harden_one``)."""
    done = on_done or (lambda: None)
    workers = min(jobs, len(items))
    if workers <= 1 or len(items) < MIN_FILES_FOR_WORKERS:
        for item in items:
            outcome = harden_one(item, profile, write_back, evidence)
            done()
            yield outcome
        return
    from concurrent.futures import ProcessPoolExecutor, as_completed  # only runs with many files pay for it

    slots: list[Outcome | None] = [None] * len(items)
    next_out = 0
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(profile, write_back, evidence)) as pool:
        try:
            with deferred_signals():  # workers start here: a signal in an at-fork callback would be lost
                pending = [pool.submit(_harden_batch_in_worker, batch) for batch in _batches(items, workers)]
            for future in as_completed(pending):
                for index, outcome in future.result():
                    slots[index] = outcome
                    done()
                while next_out < len(slots) and slots[next_out] is not None:
                    yield slots[next_out]  # type: ignore[misc]
                    slots[next_out] = None  # the caller keeps it; do not hold it twice
                    next_out += 1
        except BaseException:  # a signal, an error, or the caller closing this generator
            _stop_workers(pool)
            raise


def _batches(items: list[Input], workers: int) -> list[list[tuple[int, Input]]]:
    """Work units, biggest files first, about 1/8 of a worker's share each.

    One multi-megabyte stream among hundreds of small files is the common case
    (a vendored install bundle): started first and alone, it runs while the
    other worker drains the small files, instead of finishing last.
    """
    sizes = [_size(item) for item in items]
    budget = max(1, sum(sizes) // (workers * 8))
    order = sorted(range(len(items)), key=lambda index: -sizes[index])
    batches: list[list[tuple[int, Input]]] = []
    batch: list[tuple[int, Input]] = []
    weight = 0
    for index in order:
        batch.append((index, items[index]))
        weight += sizes[index]
        if weight >= budget or len(batch) >= 64:
            batches.append(batch)
            batch, weight = [], 0
    if batch:
        batches.append(batch)
    return batches


def _size(item: Input) -> int:
    try:
        return os.path.getsize(item.name) if item.skip is None else 0
    except OSError:
        return 0


_CHANGED_WORDS = {"write": "hardened", "check": "would change", "diff": "would change", "stdout": "changed"}


def closing_summary(summary, mode: str) -> str:
    """The last lines of a bulk run on stderr: what was scanned and what became of it."""
    counts = [
        f"{len(summary.changed)} {_CHANGED_WORDS.get(mode, 'changed')}",
        f"{len(summary.unchanged)} unchanged",
        f"{len(summary.skipped)} skipped",
        f"{len(summary.errors)} error{'' if len(summary.errors) == 1 else 's'}",
    ]
    lines = [f"{len(summary.outcomes)} file{'' if len(summary.outcomes) == 1 else 's'} scanned: {', '.join(counts)}"]
    by_category: dict[str, int] = {}
    for outcome in summary.skipped:
        by_category[outcome.skip.category] = by_category.get(outcome.skip.category, 0) + 1
    for category, count in sorted(by_category.items(), key=lambda item: (-item[1], item[0])):
        lines.append(f"  skipped {count}: {category}")
    for outcome in summary.errors:
        lines.append(f"  failed, left untouched: {outcome.label}")
    return "\n".join(lines) + "\n"
