"""JSON report for CI: ``{"changes": [...], "findings": [...], "skipped": [...], "summary": {...}}``.

Every entry is the full change record (``hardener.report.records.FIELDS``),
so a consumer never has to look a transform up to know why it acted.
"""

from __future__ import annotations

from typing import IO

from hardener.model import CHANGE, FINDING, SKIP
from hardener.report.jsonout import array, write_object
from hardener.report.records import iter_records, record_dict, summary_dict

SECTIONS = {CHANGE: "changes", FINDING: "findings", SKIP: "skipped"}


def render(summary, out: IO[str]) -> None:
    """One pass over the records per section, each record written as soon as it is read back."""
    members = [(name, array(_section(summary, record_type))) for record_type, name in SECTIONS.items()]
    write_object(out, [*members, ("summary", summary_dict(summary))], 0)
    out.write("\n")


def _section(summary, record_type: str):
    return (record_dict(r) for r in iter_records(summary) if r.type == record_type)
