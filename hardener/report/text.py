"""Plain-text report: one line per change, finding and skip, then a summary line."""

from __future__ import annotations

from typing import IO

from hardener.model import CHANGE, FINDING
from hardener.report.records import iter_records


def render(summary, out: IO[str]) -> None:
    changes = findings = 0
    for record in iter_records(summary):
        where = f"{record.file}:{record.line}" if record.line else record.file
        what = record.kind or ("document" if record.document is not None else "file")
        if record.name:
            what += f"/{record.name}"
        tag = f"[{record.transform}] " if record.transform else ""
        origin = f", from {record.source}" if record.source else ""
        out.write(f"{where}: {record.type}: {tag}{record.message} ({what}{origin})\n")
        changes += record.type == CHANGE
        findings += record.type == FINDING
    for outcome in summary.errors:  # a host that hides stderr (Helm 4) shows the report file only
        out.write(f"error: {outcome.error}\n")
    out.write(
        f"{len(summary.outcomes)} input(s), {len(summary.changed)} changed, {changes} change(s), "
        f"{findings} finding(s), {len(summary.skipped)} skipped, {len(summary.errors)} error(s)\n"
    )


def diagnostic(record) -> str:
    """One record as a ruff-style line, ``file:line: transform-id message``, as ``check`` prints it.

    A change hardener would make is marked ``[*]`` (``hardener fix`` fixes
    it), as ruff marks its fixable diagnostics; a Helm ``# Source:`` is named
    when the record came from a rendered chart.
    """
    where = f"{record.file}:{record.line}" if record.line else record.file
    transform = record.transform or "hardener"
    mark = "[*] " if record.type == CHANGE else ""
    origin = f" (from {record.source})" if record.source else ""
    return f"{where}: {transform} {mark}{record.message}{origin}"
