"""Plain-text report, like ruff's: ``file:line:col: transform-id label: message``, sorted, then a summary.

One line per record, sorted by file and then by line, so a reader (and an
editor's "go to error") walks each file top to bottom. The label says what
the record is: ``fix`` (a change hardener made or would make; ``fix (may
break)`` when it can affect the application, ``unsafe fix`` when it overrides
a value written on purpose), ``error`` or ``warning`` (a finding), ``skip``.
With ``explain``, each line is followed by why the transform acts and, for a
change that may break, what to verify. The closing line counts exactly the
lines above it.

``record_line`` (``diagnostic``) formats one record: other outputs
(``check``'s own lines, the gate's error lines, KRM messages) call it per
record.
"""

from __future__ import annotations

from typing import IO, Iterable, Iterator

from hardener.model import CHANGE, ERROR, FINDING, SKIP, WARNING, Record, plural
from hardener.report.records import (
    guidance,
    is_unsafe_fix,
    iter_records,
    label,
    may_break,
    severity,
    transform_info,
    workload_label,
)

INDENT = "    "


def render(summary, out: IO[str], explain: bool = False) -> None:
    for line in lines(summary, explain):
        out.write(line + "\n")


def lines(summary, explain: bool = False) -> Iterator[str]:
    """Every record's line (and its explanation), file by file as read (a directory's files in path
    order) and by line within a file, then the summary line."""
    counts = Counts()
    for record in sorted_by_line(iter_records(summary)):
        counts.add(record)
        yield record_line(record)
        if explain:
            yield from explanation(record)
    for outcome in summary.errors:  # a host that hides stderr (Helm 4) shows the report file only
        yield f"error: {outcome.error}"
    yield counts.sentence(len(summary.outcomes), len(summary.changed), len(summary.errors))


def record_line(record: Record) -> str:
    """``deploy/web.yaml:26:11: no-privilege-escalation fix: Set allowPrivilegeEscalation ... (Deployment shop/web)``."""
    where = record.file
    if record.line:
        where += f":{record.line}:{record.column or 1}"
    return f"{where}: {describe(record)}"


diagnostic = record_line
"""What ``check`` prints for each record (one line, as ruff prints a diagnostic)."""


def describe(record: Record) -> str:
    """``transform-id label: message (workload)``: a record wherever it is shown (text report, explained diff).

    A record from a rendered Helm chart names its template (``from chart/templates/web.yaml``).
    """
    what = workload_label(record) if record.kind or record.name else ("document" if record.document is not None else "file")
    if record.source:
        what += f", from {record.source}"
    return f"{transform_info(record.transform).id} {label(record)}: {record.message} ({what})"


def explanation(record: Record) -> list[str]:
    """Why the transform acts and, for a change that may break the application, what to verify."""
    out = [f"{INDENT}why: {transform_info(record.transform).rationale}"]
    if may_break(record):
        out.append(f"{INDENT}may break: {guidance(record)}")
    return out


def sorted_by_line(records: Iterable[Record]) -> Iterator[Record]:
    """Records by line and column within each document, one document at a time.

    A file's records come together and its documents follow each other, so
    only one document's records are held; records without a line (a whole
    file skipped) come first.
    """
    batch: list[Record] = []
    for record in records:
        if batch and (record.file, record.document) != (batch[-1].file, batch[-1].document):
            yield from _by_line(batch)
            batch = []
        batch.append(record)
    yield from _by_line(batch)


def _by_line(batch: list[Record]) -> list[Record]:
    return sorted(batch, key=lambda r: (r.line or 0, r.column or 0))  # stable: run order within a line


class Counts:
    """What the closing line counts, one record at a time, so it always agrees with the lines above."""

    def __init__(self) -> None:
        self.fixes = self.breaking = self.unsafe = self.skips = 0
        self.findings = {ERROR: 0, WARNING: 0}

    def add(self, record: Record) -> None:
        if record.type == CHANGE:
            self.fixes += 1
            self.breaking += may_break(record)
            self.unsafe += is_unsafe_fix(record)
        elif record.type == FINDING:
            self.findings[severity(record) or ERROR] += 1
        elif record.type == SKIP:
            self.skips += 1

    def sentence(self, inputs: int, changed: int, unreadable: int) -> str:
        """``2 files, 1 with changes: 12 fixes (8 may break), 1 error, 1 warning, 3 skips``."""
        text = f"{plural(inputs, 'file')}, {changed} with changes: {self.phrase()}"
        if unreadable:
            text += f"; {plural(unreadable, 'file')} could not be read"
        return text

    def phrase(self, compact: bool = False) -> str:
        """``12 fixes (8 may break), 1 error, 1 warning, 3 skips``; ``compact`` leaves out what is zero."""
        fixes = plural(self.fixes, "fix", "fixes")
        notes = [f"{self.breaking} may break"] if self.breaking else []
        notes += [plural(self.unsafe, "unsafe fix", "unsafe fixes")] if self.unsafe else []
        if notes:
            fixes += f" ({', '.join(notes)})"
        parts = [
            fixes,
            plural(self.findings[ERROR], "error"),
            plural(self.findings[WARNING], "warning"),
            plural(self.skips, "skip"),
        ]
        return ", ".join(part for part in parts if not compact or not part.startswith("0 ")) or "nothing to report"
