"""The pipeline for one stream: split, classify, parse, transform, patch, verify.

Documents that cannot hold a pod template are never parsed; documents with
nothing to change are emitted as their original slice. Only a document with
edits is spliced, and its splice is verified before it is used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from hardener.context import PodContext
from hardener.errors import InputError, InternalError
from hardener.exemptions import decide
from hardener.gate import Tally, safety_of
from hardener.kustomize import PATCH_REASON, directive_in, mentions_directive
from hardener.model import CHANGE, ERROR, FINDING, SKIP, WARNING, Record
from hardener.patch import PatchError, Style, detect_style, is_json_document, patch_spans, render_document
from hardener.pod_run import run_object, run_pod
from hardener.positions import LineMap, indentation_column, position
from hardener.profile import Profile
from hardener.registry import default_registry
from hardener.shapes import document_problems, pod_problems
from hardener.stream import Chunk, split
from hardener.streamindex import StreamIndex, index_stream
from hardener.textio import detect_newline
from hardener.verify import verify
from hardener.workloads import BUILTIN_KINDS, ObjectLocation, api_group, locate, locate_objects, lookup, mentions_kind
from hardener.yamlnodes import compose, to_data

_KIND_NAMES = frozenset(kind.kind for kind in BUILTIN_KINDS)
_TEMPLATE_MARKERS = ("{{", "{%")
_BARE_CR = re.compile(r"\r(?!\n)")


@dataclass
class StreamResult:
    """The hardened text of one stream and every record about it."""

    text: str
    records: list[Record] = field(default_factory=list)
    documents: int = 0
    changed_documents: list[int] = field(default_factory=list)


def harden_text(
    text: str, profile: Profile, file: str = "<stdin>", stream: StreamIndex | None = None, evidence: StreamIndex | None = None
) -> StreamResult:
    """Harden every workload in ``text``; raise InputError for input we cannot read.

    ``stream`` is a stream index built by the caller when ``text`` is one
    piece of a larger stream (a KRM function hardens item by item);
    ``evidence`` is the index of the directory this text's file is in
    (``RunEvidence.for_file``), its own documents included: a copy of it
    serves, and the text is not indexed again.
    """
    chunks = split(text)
    if stream is None and needs_stream_index(profile):
        stream = evidence.copy() if evidence is not None else index_stream(chunks, file)
    hardener = DocumentHardener(profile, file, detect_newline(text), stream)
    result = StreamResult(text="".join([hardener.harden(chunk) for chunk in chunks]))
    result.records, result.documents, result.changed_documents = hardener.records, hardener.documents, hardener.changed_documents
    return result


def needs_stream_index(profile: Profile) -> bool:
    """Whether a transform must see the whole stream before the first document is hardened."""
    return any(t.needs_stream_index for t in profile.transforms)


class DocumentHardener:
    """The engine, one chunk at a time: ``harden_text`` feeds it a split text, the CLI a stream.

    It keeps the records and counts of what it has hardened so far, and
    nothing else: memory holds one document, never the stream. With
    ``keep_records=False`` (a filter that writes no report) only counts and
    error findings are kept.
    """

    def __init__(self, profile: Profile, file: str, newline: str, stream: StreamIndex | None = None, *, keep_records: bool = True) -> None:
        self.profile, self.file, self.newline, self.stream = profile, file, newline, stream
        self.kinds = _KIND_NAMES | frozenset(kind for t in profile.transforms for kind in t.object_kinds) | {kind for _, kind in profile.kinds}
        self.keep_records = keep_records
        self.records: list[Record] = []
        self.tally = Tally()
        """What the gate needs to know, kept even when the records are not."""
        self._safety = safety_of(profile.transforms)
        self.documents = 0
        self.changed_documents: list[int] = []

    def harden(self, chunk: Chunk) -> str:
        """The text to emit for ``chunk``: its own slice, or its hardened, verified splice."""
        self.documents += chunk.is_document
        if not (chunk.is_document and mentions_kind(chunk.text, self.kinds)):
            return chunk.text
        new_text, records = _harden_document(chunk, self.profile, self.file, self.newline, self.stream)
        if new_text != chunk.text:
            self.changed_documents.append(chunk.index)  # type: ignore[arg-type]
        for record in records:
            self.tally.add(record, self._safety)
        if self.keep_records:
            self.records.extend(records)
        else:  # error findings are few, and a failing run names each of them
            self.records.extend(record for record in records if record.is_error)
        return new_text


_SOURCE = re.compile(r"^# Source: (\S[^\r\n]*?)[ \t]*\r?$", re.MULTILINE)


def helm_source(text: str) -> str | None:
    """The template Helm rendered this document from: its ``# Source:`` comment, before the document's content."""
    if "# Source: " not in text:
        return None
    for line in text.splitlines():
        match = _SOURCE.match(line)
        if match:
            return match.group(1)
        stripped = line.strip()
        if stripped and not stripped.startswith(("#", "---", "%")):
            return None  # a comment inside the document is not Helm's
    return None


def _harden_document(chunk: Chunk, profile: Profile, file: str, newline: str, stream: StreamIndex | None) -> tuple[str, list[Record]]:
    where = {"file": file, "document": chunk.index}
    base = {**where, "source": helm_source(chunk.text)}
    bare_cr = _BARE_CR.search(chunk.text)
    if bare_cr:
        line = chunk.first_line + chunk.text.count("\n", 0, bare_cr.start()) + 1
        raise InputError("bare CR line breaks (classic Mac OS); convert the file to LF or CRLF line endings", line=line, **where)
    try:
        root = compose(chunk.text, file=file, document=chunk.index, first_line=chunk.first_line)
    except InputError as error:
        if any(marker in chunk.text for marker in _TEMPLATE_MARKERS):
            reason = "an unrendered template (it is not valid YAML); render it first, e.g. with helm template"
            return chunk.text, [Record(SKIP, "", f"Skipped {reason}", line=error.line, **base)]
        raise
    view = to_data(root, file=file, document=chunk.index, first_line=chunk.first_line, text=chunk.text)
    if mentions_directive(chunk.text) and (directive := directive_in(view.data)) is not None:
        return chunk.text, [Record(SKIP, "", f"Skipped the document: {PATCH_REASON} (it uses {directive})", line=chunk.first_line + 1, **base)]
    json_style = is_json_document(root)
    records: list[Record] = []
    for path, message in document_problems(view.data):
        records.append(Record(FINDING, "", message, path, line=_line_of(root, path, chunk), **base))
    contexts: list[PodContext] = []

    def record_base_of(location) -> dict:
        obj = location.object
        metadata = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        return {
            **base,
            "line": _line_of(root, location.object_path, chunk),
            "kind": obj.get("kind"),
            "namespace": metadata.get("namespace") if isinstance(metadata.get("namespace"), str) else None,
            "name": metadata.get("name") if isinstance(metadata.get("name"), str) else None,
        }

    enabled = {t.id for t in profile.transforms}
    known = set(default_registry().ids())

    def run(method, context: PodContext) -> None:
        _run_transform(method, context, file, chunk.index)

    object_transforms = [t for t in profile.transforms if t.object_kinds]
    for path, obj in locate_objects(view.data) if object_transforms else ():
        relevant = [t for t in object_transforms if obj.get("kind") in t.object_kinds]
        if not relevant or api_group(str(obj.get("apiVersion", ""))) != "":
            continue
        location = ObjectLocation(path, obj)
        context = PodContext(location, view.data, view.shared, record_base_of(location), stream, json_style, profile.unsafe_fixes, images=profile.images)
        decision = decide(profile.exemptions, obj, {}, enabled, known)
        run_object(context, relevant, decision, run)
        contexts.append(context)
    for location in locate(view.data, BUILTIN_KINDS + profile.workload_kinds):
        record_base = record_base_of(location)
        spec = lookup(view.data, location.pod_spec_path)
        if not isinstance(spec, dict):
            # Nothing runs from a missing pod spec (a warning); one of the wrong type is unreadable (an error).
            what = "missing" if spec is None else f"a {type(spec).__name__}, not a mapping"
            severity = WARNING if spec is None else ERROR
            message = f"The pod spec at {'.'.join(location.workload.pod_spec)} is {what}; not hardened"
            records.append(Record(FINDING, "", message, location.pod_spec_path, severity=severity, **record_base))
            continue
        for path, message in pod_problems(spec, location.pod_spec_path):
            records.append(Record(FINDING, "", message, path, **{**record_base, "line": _line_of(root, path, chunk)}))
        context = PodContext(location, view.data, view.shared, record_base, stream, json_style, profile.unsafe_fixes, images=profile.images)
        decision = decide(profile.exemptions, location.object, context.metadata, enabled, known)
        run_pod(context, profile.transforms, decision, run)
        contexts.append(context)
    edits = [edit for context in contexts for edit in context.edits]
    new_documents = [document for context in contexts for document in context.new_documents]
    for context in contexts:
        records.extend(context.records)
    if not edits and not new_documents:
        _place(records, root, chunk)
        return chunk.text, records
    style = detect_style(root, chunk.text, newline)  # only documents that change pay for it
    try:
        new_text, spans = patch_spans(chunk.text, root, edits, style) if edits else (chunk.text, [])
    except PatchError as error:
        # Fail closed: the document keeps its bytes, and an error finding says where and why it
        # still violates the profile (a check run fails on it).
        kept = [r for r in records if r.type != CHANGE]
        withheld = len(records) - len(kept)
        message, line = error.located(chunk.first_line)
        kept.append(Record(FINDING, "", f"Not hardened: {message}; the document is left as it was, without its {withheld} change(s)", line=line, **base))
        _place(kept, root, chunk)
        return chunk.text, kept
    span_of_edit = {id(edit): span for edit, span in zip(edits, spans)}
    lines = LineMap(chunk.text)
    for record in records:
        if record.edit is not None:
            first, last = (lines.line(line) for line in span_of_edit[id(record.edit)])
            record.line = chunk.first_line + first + 1
            if last > first:
                record.end_line = chunk.first_line + last + 1
    _place(records, root, chunk, lines)
    if edits:
        verify(new_text, view.data, file=file, document=chunk.index)
    return new_text + _added_documents(new_text, new_documents, style, file, chunk.index), records


def _run_transform(method, context: PodContext, file: str, document: int | None) -> None:
    """Run one transform method; its crash fails the run closed, naming the place, with no traceback."""
    try:
        method(context)
    except Exception as exc:
        raise InternalError(
            f"{file}:{context.record_base['line']}: document {document}: transform {context.transform_id} failed "
            f"({type(exc).__name__}: {exc}); nothing was written"
        ) from exc


def _added_documents(text: str, documents: list[dict], style: Style, file: str, index: int | None) -> str:
    """New documents after a chunk, each behind its own ``---``, each verified."""
    if not documents:
        return ""
    added = ""
    for document in documents:
        rendered = render_document(document, style)
        verify(rendered, document, file=file, document=index)
        added += f"---{style.newline}{rendered}"
    if not text.endswith("\n"):  # the stream ended without a final newline: so does the new one
        added = style.newline + added[: -len(style.newline)]
    return added


def _line_of(root, path, chunk: Chunk) -> int:
    """1-based line of the node at ``path``, or of the nearest node above it that is written in the text."""
    where = position(root, tuple(path), chunk.text, chunk.first_line)
    return where.line if where is not None else chunk.first_line + 1


def _place(records: list[Record], root, chunk: Chunk, lines: LineMap | None = None) -> None:
    """Point each record at its own line and column: a finding or skip at the field or item it is about.

    A change keeps the line its edit was spliced at (the replaced value, the
    mapping new fields went into, the first line a removal deleted); a record
    about the whole object (no path) keeps the object's line.
    """
    lines = lines or LineMap(chunk.text)
    for record in records:
        if record.edit is None and record.path and record.line is not None:
            where = position(root, record.path, chunk.text, chunk.first_line, lines)
            if where is not None:
                record.line, record.column = where.line, where.column
                record.end_line = where.end_line if where.written else None
                continue
        if record.line is not None and record.column is None:
            where = position(root, record.path, chunk.text, chunk.first_line, lines) if record.path else None
            if where is not None and where.line == record.line:
                record.column = where.column
            else:
                record.column = indentation_column(chunk.text, record.line - chunk.first_line - 1)
