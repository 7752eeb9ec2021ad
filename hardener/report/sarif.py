"""SARIF 2.1.0 for GitHub code scanning: one result per change and per finding.

Each transform is a rule (``ruleId`` = transform id) whose help is the
transform's documentation; each change record ("this field is not
hardened; hardener would set it") and each finding ("hardener cannot fix
this") is a result at the line of the original file. Skips are
exemptions, not problems, and are only counted in the run's properties.

Locations are relative URIs, which code scanning resolves against the
repository root: inside a git work tree a path is made relative to its
root, wherever in the tree hardener runs (a CI step with a
``working-directory``); elsewhere, relative to the working directory.
Standard input becomes ``stdin``.
"""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import PurePath
from typing import IO
from urllib.parse import quote

from hardener.model import CHANGE, ERROR, FINDING, SKIP, Record
from hardener.report.jsonout import array, obj, write_object
from hardener.report.records import (
    ENGINE_ID,
    TransformInfo,
    guidance,
    iter_records,
    may_break,
    plain,
    safety,
    transform_info,
    workload_label,
)

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
STDIN_URI = "stdin"
LEVEL = "warning"
"""A rule's default level; a result's own is ``error`` for an error finding, ``warning`` for a
warning finding, and ``note`` for a change (hardened: nothing is left to do there)."""


def render(summary, out: IO[str]) -> None:
    """Two passes over the records: the rules and counts first (they come before the results), then the results."""
    from hardener import __version__

    rule_ids, skipped = _rules_and_skips(iter_records(summary))
    results = (_result(r, rule_ids) for r in iter_records(summary) if r.type in (CHANGE, FINDING))
    tool = {
        "driver": {
            "name": "hardener",
            "version": __version__,
            "semanticVersion": __version__,
            "rules": [_rule(transform_info(rule_id)) for rule_id in rule_ids],
        }
    }
    run = obj([
        ("tool", tool),
        ("invocations", [_invocation(summary)]),
        ("results", array(results)),
        ("properties", {"skipped": skipped}),
    ])
    write_object(out, [("$schema", SCHEMA_URI), ("version", "2.1.0"), ("runs", array([run]))], 0)
    out.write("\n")


def artifact_uri(file: str) -> str:
    """A relative URI reference for a record's file; never an absolute path."""
    if file in ("<stdin>", "-"):
        return STDIN_URI
    path, cwd = os.path.abspath(file), os.getcwd()
    root = _work_tree_root(cwd)
    base = root if root is not None and os.path.commonpath([root, path]) == root else cwd
    try:
        path = os.path.relpath(path, base)
    except ValueError:  # another drive on Windows: keep the name at least
        path = PurePath(path).name
    return quote(PurePath(path).as_posix(), errors="surrogateescape")  # a file name's own bytes, even when not UTF-8


@functools.lru_cache(maxsize=8)
def _work_tree_root(cwd: str) -> str | None:
    """The nearest directory at or above ``cwd`` that holds ``.git`` (a directory, or a file in a worktree)."""
    here = cwd
    while True:
        if os.path.exists(os.path.join(here, ".git")):
            return here
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent


def _rules_and_skips(records) -> tuple[list[str], int]:
    """The rules the results use, in run order (the engine's pseudo-transform last), and the skips counted."""
    from hardener.registry import default_registry

    registry = default_registry()
    ids: set[str] = set()
    skipped = 0
    for record in records:
        if record.type == SKIP:
            skipped += 1
        else:
            ids.add(transform_info(record.transform).id)
    return sorted(ids, key=lambda i: (i == ENGINE_ID, registry.order(i), i)), skipped


def _rule(info: TransformInfo) -> dict:
    rule = {
        "id": info.id,
        "name": "".join(word.capitalize() for word in info.id.split("-")),
        "shortDescription": {"text": info.title},
        "fullDescription": {"text": info.rationale},
        "help": _help(info),
        "defaultConfiguration": {"level": LEVEL},
        "properties": {
            "tags": ["security", "kubernetes", info.safety],
            "precision": "very-high",
            "references": [f"{ref.standard} {ref.id}: {ref.title}" for ref in info.references],
        },
    }
    if info.help_uri:
        rule["helpUri"] = info.help_uri
    return rule


def _help(info: TransformInfo) -> dict:
    """The rule's help: the transform's own documentation when it has one."""
    if info.id != ENGINE_ID:
        from hardener.docs import explain_markdown
        from hardener.registry import RegistryError, default_registry

        try:
            markdown = explain_markdown(default_registry().get(info.id))
        except RegistryError:
            markdown = ""
        if markdown:
            return {"text": _markdown_to_text(markdown), "markdown": markdown}
    references = "\n".join(f"- [{ref.standard}: {ref.title}]({ref.url})" for ref in info.references)
    markdown = f"{info.rationale}\n\n{info.guidance}\n\n{references}\n"
    return {"text": _markdown_to_text(markdown), "markdown": markdown}


def _markdown_to_text(markdown: str) -> str:
    """Plain help text: the Markdown without emphasis marks (code fences stay readable)."""
    return markdown.replace("**", "")


def _invocation(summary) -> dict:
    notifications = [
        {
            "level": "error",
            "message": {"text": str(outcome.error)},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": artifact_uri(outcome.label)}}}],
        }
        for outcome in summary.errors
    ]
    return {"executionSuccessful": not summary.errors, "toolExecutionNotifications": notifications}


def _region(record: Record) -> dict:
    """Where a record is: its field's line and column, to the last line of a multi-line item or removal."""
    region = {"startLine": max(record.line or 1, 1)}
    if record.column:
        region["startColumn"] = record.column
    if record.end_line and record.end_line > region["startLine"]:
        region["endLine"] = record.end_line
    return region


def _result(record: Record, rule_ids: list[str]) -> dict:
    info = transform_info(record.transform)
    uri = artifact_uri(record.file)
    workload = workload_label(record)
    location = {
        "physicalLocation": {
            "artifactLocation": {"uri": uri},
            "region": _region(record),
        },
        "logicalLocations": [{"name": record.name or workload, "fullyQualifiedName": workload, "kind": "resource"}],
    }
    properties = {
        "type": record.type,
        "document": record.document,
        "path": record.path_text,
        "container": record.container,
        "safety": safety(record),
        "unsafeFix": record.unsafe_fix,
    }
    if record.type == CHANGE or record.unsafe_fix:
        properties.update(before=plain(record.before), after=plain(record.after), guidance=guidance(record))
    elif record.type == FINDING:
        properties.update(severity=record.severity, before=plain(record.before))
    text = f"{record.message.rstrip('.')} ({workload}). {info.rationale}"
    if may_break(record):
        text += f" May break: {guidance(record)}"
    return {
        "ruleId": info.id,
        "ruleIndex": rule_ids.index(info.id),
        "kind": "fail",
        "level": _level(record),
        "message": {"text": text},
        "locations": [location],
        "partialFingerprints": {"hardenerRecord/v1": _fingerprint(record, info.id, uri)},
        "properties": properties,
    }


def _level(record: Record) -> str:
    if record.type == FINDING:
        return "error" if record.severity == ERROR else "warning"
    return "note"


def _fingerprint(record: Record, rule_id: str, uri: str) -> str:
    """Stable across line moves: the rule, file, object, container and field, not the line."""
    parts = (rule_id, record.type, uri, record.kind, record.namespace, record.name, record.container, record.path_text)
    return hashlib.sha256("\0".join(str(p) for p in parts).encode("utf-8")).hexdigest()[:32]
