"""Plain-text report: one line per change, finding and skip, then a summary line."""

from __future__ import annotations


def render(summary) -> str:
    lines = []
    for outcome in summary.results:
        for record in outcome.result.records:
            where = f"{record.file}:{record.line}" if record.line else record.file
            what = record.kind or ("document" if record.document is not None else "file")
            if record.name:
                what += f"/{record.name}"
            tag = f"[{record.transform}] " if record.transform else ""
            lines.append(f"{where}: {record.type}: {tag}{record.message} ({what})")
    changes = sum(len(o.result.changes) for o in summary.results)
    findings = sum(len(o.result.findings) for o in summary.results)
    lines.append(
        f"{len(summary.outcomes)} input(s), {len(summary.changed)} changed, {changes} change(s), "
        f"{findings} finding(s), {len(summary.skipped)} skipped, {len(summary.errors)} error(s)"
    )
    return "\n".join(lines) + "\n"
