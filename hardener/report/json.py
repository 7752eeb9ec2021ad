"""JSON report for CI: ``{"changes": [...], "findings": [...], "skipped": [...], "summary": {...}}``.

Every entry is the full change record (``hardener.report.records.FIELDS``),
so a consumer never has to look a transform up to know why it acted.
"""

from __future__ import annotations

import json
from typing import IO

from hardener.model import CHANGE, FINDING, SKIP
from hardener.report.records import iter_records, record_dict, summary_dict

SECTIONS = {CHANGE: "changes", FINDING: "findings", SKIP: "skipped"}


def render(summary, out: IO[str]) -> None:
    report: dict = {"changes": [], "findings": [], "skipped": []}
    for record in iter_records(summary):
        report[SECTIONS[record.type]].append(record_dict(record))
    report["summary"] = summary_dict(summary)
    out.write(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
