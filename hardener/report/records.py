"""The change record every report renders: one ``Record`` -> one plain dict.

A ``Record`` (hardener.model) says what happened where; the *why* (title,
rationale, references, fix safety, guidance) lives once on the transform
class. This module joins the two, so JSON, Markdown, SARIF and the text
report all show the same fields with the same values. Records the engine
itself makes (an unrendered template skipped, a pod spec that is not a
mapping) have no transform; they get the pseudo-transform ``hardener``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Iterator

from hardener.model import CHANGE, ERROR, FINDING, SKIP, WARNING, Record, Reference

ENGINE_ID = "hardener"
"""The transform id of records the engine makes itself (their ``transform`` is empty)."""

FIELDS = (
    "type", "severity", "file", "document", "line", "column", "end_line", "kind", "namespace", "name", "container",
    "path", "before", "after", "transform", "title", "message", "rationale", "references", "safety", "unsafe_fix",
    "guidance", "source",
)  # fmt: skip

MAY_BREAK = "may-break"


@dataclass(frozen=True)
class TransformInfo:
    """What a report says about a transform: the class metadata, or the engine's own."""

    id: str
    title: str
    rationale: str
    references: tuple[Reference, ...]
    safety: str
    guidance: str

    @property
    def help_uri(self) -> str:
        return self.references[0].url if self.references else ""


_PSS_URL = "https://kubernetes.io/docs/concepts/security/pod-security-standards/"
_ENGINE = TransformInfo(
    id=ENGINE_ID,
    title="Report what hardener could not harden",
    rationale=(
        "A workload that hardener cannot read or edit is reported, never skipped in silence: "
        "it still runs with the defaults the Pod Security Standards warn about."
    ),
    references=(Reference("Pod Security Standards", "overview", "Pod Security Standards", _PSS_URL),),
    safety="safe",
    guidance="Nothing was changed here: fix the document by hand (or render the template first) and run hardener again.",
)


@functools.lru_cache(maxsize=None)
def transform_info(transform_id: str) -> TransformInfo:
    """The metadata for a record's transform id ("" or ``hardener`` means the engine)."""
    if transform_id in ("", ENGINE_ID):
        return _ENGINE
    from hardener.registry import RegistryError, default_registry

    try:
        cls = default_registry().get(transform_id)
    except RegistryError:  # a plugin that vanished since the run: say so rather than crash the report
        return TransformInfo(transform_id, transform_id, "(transform not installed)", (), "safe", "")
    return TransformInfo(cls.id, cls.title, cls.rationale, tuple(cls.references), cls.safety, cls.guidance)


def severity(record: Record) -> str | None:
    """``error`` or ``warning`` for a finding, None for a change or a skip."""
    return record.severity if record.type == FINDING else None


def safety(record: Record) -> str:
    """The record's own fix safety when it has one ("may-break: image nginx runs as root"), else its transform's."""
    return record.safety or transform_info(record.transform).safety


def guidance(record: Record) -> str:
    """What to verify for this record: its own guidance when it has one, else its transform's."""
    return record.guidance or transform_info(record.transform).guidance


def is_unsafe_fix(record: Record) -> bool:
    """The record overrides (or would override) a value the author wrote explicitly."""
    return record.unsafe_fix


def may_break(record: Record) -> bool:
    """A change a reviewer must verify: it can affect the running application."""
    return record.type == CHANGE and safety(record) == MAY_BREAK


def label(record: Record) -> str:
    """What a record is, in the words every report uses: ``error``, ``warning``, ``fix``, ``unsafe fix`` or ``skip``.

    A change is a fix hardener made (or would make); a fix that may break the
    application says so: ``fix (may break)``.
    """
    if record.type == FINDING:
        return severity(record) or ERROR
    if record.type == SKIP:
        return "skip"
    word = "unsafe fix" if is_unsafe_fix(record) else "fix"
    return f"{word} (may break)" if may_break(record) else word


def reference_dict(reference: Reference) -> dict[str, str]:
    return {"standard": reference.standard, "id": reference.id, "title": reference.title, "url": reference.url}


def record_dict(record: Record) -> dict[str, Any]:
    """Every field of the change record, JSON-ready, in ``FIELDS`` order."""
    info = transform_info(record.transform)
    return {
        "type": record.type,
        "severity": record.severity,  # findings: error (the profile is not met) or warning; null otherwise
        "file": record.file,
        "document": record.document,
        "line": record.line,
        "column": record.column,
        "end_line": record.end_line,  # the last line the record covers (a removal, a multi-line item); else null
        "kind": record.kind,
        "namespace": record.namespace,
        "name": record.name,
        "container": record.container,
        "path": record.path_text,
        "before": plain(record.before),
        "after": plain(record.after),
        "transform": info.id,
        "title": info.title if record.transform else record.message,
        "message": record.message,
        "rationale": info.rationale,
        "references": [reference_dict(r) for r in info.references],
        "safety": safety(record),
        "unsafe_fix": record.unsafe_fix,
        "guidance": guidance(record),
        "source": record.source,  # Helm's `# Source:` template, when the input was a rendered chart
    }


def plain(value: Any) -> Any:
    """``value`` as JSON types: YAML timestamps, sets and odd scalars become strings."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return str(value)


def iter_records(summary) -> Iterator[Record]:
    """Every record of a run (``hardener.runner.RunSummary``), input by input, in order.

    The only way a renderer reaches records: they may come back from a spool
    on disk rather than from the outcomes, and each call starts again from
    the first record, so a renderer may make several passes.
    """
    return summary.iter_records()


def summary_dict(summary) -> dict[str, Any]:
    """The counts a report leads with, and the inputs that could not be read.

    One pass over the records, holding only counts and the workloads of the
    current document (records of one document come together), so a run of
    any size is summed in constant memory.
    """
    counts = {CHANGE: 0, FINDING: 0, SKIP: 0}
    by_transform: dict[str, dict[str, int]] = {}
    by_severity = {ERROR: 0, WARNING: 0}
    breaking = unsafe = workloads = 0
    document, seen = None, set()
    for record in iter_records(summary):
        info = transform_info(record.transform)
        counts[record.type] += 1
        per = by_transform.setdefault(info.id, {"changes": 0, "findings": 0, "skipped": 0})
        per[{CHANGE: "changes", FINDING: "findings", SKIP: "skipped"}[record.type]] += 1
        if record.type == FINDING:
            by_severity[severity(record) or ERROR] += 1
        if record.type == CHANGE:
            if (record.file, record.document) != document:
                document, seen = (record.file, record.document), set()
            if workload_key(record) not in seen:
                seen.add(workload_key(record))
                workloads += 1
            breaking += may_break(record)
            unsafe += is_unsafe_fix(record)
    results = [o.result for o in summary.results]
    return {
        "inputs": len(summary.outcomes),
        "files_changed": [o.label for o in summary.changed],
        "documents": sum(r.documents for r in results),
        "documents_changed": sum(len(r.changed_documents) for r in results),
        "workloads_changed": workloads,
        "changes": counts[CHANGE],
        "findings": counts[FINDING],
        "error_findings": by_severity[ERROR],
        "skipped": counts[SKIP],
        "may_break": breaking,
        "unsafe_fixes": unsafe,
        "by_severity": by_severity,
        "by_transform": by_transform,
        "errors": [{"file": o.label, "message": str(o.error)} for o in summary.errors],
    }


def workload_key(record: Record) -> tuple:
    """Identifies one workload: a file's document holds one object (or a List of them)."""
    return (record.file, record.document, record.kind, record.namespace, record.name)


def workload_label(record: Record) -> str:
    """``Deployment shop/web`` — kind, then namespace/name as kubectl prints them."""
    name = record.name or "(unnamed)"
    if record.namespace:
        name = f"{record.namespace}/{name}"
    return f"{record.kind or 'document'} {name}"
