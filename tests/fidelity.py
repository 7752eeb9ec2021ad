"""Fidelity properties every hardened stream must have (kubeaudit's global fix test, plus ours).

Used by the corpus test, the example snapshots and the property tests:

* the output has the same documents, and each that parsed before parses after;
* data differs only in security fields (and the emptyDir volumes and mounts that
  keep a read-only root filesystem's writable paths writable);
* every input line survives, except a line whose scalar was an edited field
  and the lines a removal deleted (a record's ``line`` to its ``end_line``);
* documents without changes are byte-identical;
* a second run changes nothing.
"""

from __future__ import annotations

import re

from hardener.api import harden_bytes
from hardener.errors import InputError
from hardener.stream import split
from hardener.textio import decode
from hardener.yamlnodes import compose, to_data

SECURITY_PATH = re.compile(
    r"\['(securityContext|automountServiceAccountToken|hostNetwork|hostPID|hostIPC|hostPort|appArmorProfile"
    r"|seccompProfile|serviceAccountName|serviceAccount|container\.apparmor\.security\.beta\.kubernetes\.io/[^']*)'\]"
)


def _documents(text: str) -> list[tuple[str, object]]:
    """(text, data or the InputError) for every document chunk."""
    docs = []
    for chunk in split(text):
        if chunk.is_document:
            try:
                docs.append((chunk.text, to_data(compose(chunk.text)).data))
            except InputError as exc:
                docs.append((chunk.text, exc))
    return docs


def fidelity_problems(data: bytes, profile: str = "restricted", name: str = "input") -> list[str]:
    """Every way the hardened output of ``data`` breaks a fidelity property (empty when none)."""
    from deepdiff import DeepDiff

    result = harden_bytes(data, profile, file=name)
    problems: list[str] = []
    before_text, _ = decode(data)
    after_text, _ = decode(result.output_bytes)
    if data[:3] == b"\xef\xbb\xbf" and result.output_bytes[:3] != data[:3]:
        problems.append("the BOM was lost")
    before_docs, after_docs = _documents(before_text), _documents(after_text)
    added = [r.after for r in result.changes if r.path == () and isinstance(r.after, dict)]
    for document in added:  # documents a transform added (a ServiceAccount) are not input documents
        position = next((i for i, (_, data) in enumerate(after_docs) if data == document), None)
        if position is None:
            problems.append(f"an added document is missing from the output: {document}")
        else:
            del after_docs[position]
    if len(before_docs) != len(after_docs):
        problems.append(f"document count changed: {len(before_docs)} -> {len(after_docs)}")
        return problems
    for index, ((old_text, old), (new_text, new)) in enumerate(zip(before_docs, after_docs)):
        if index not in result.changed_documents:
            if old_text != new_text:
                problems.append(f"document {index} has no change record but its bytes changed")
            continue
        if isinstance(new, Exception):
            problems.append(f"document {index} no longer parses: {new}")
            continue
        if isinstance(old, Exception):
            problems.append(f"document {index} did not parse but was changed")
            continue
        diff = DeepDiff(old, new, view="tree", threshold_to_diff_deeper=0)  # always report the leaves
        for kind, change in diff.items():
            for item in change:
                if not SECURITY_PATH.search(item.path()) and not _writable_volume(kind, item):
                    problems.append(f"document {index}: non-security change at {item.path()}")
    # A replaced scalar's line; every line a removal deleted (line..end_line).
    edited_lines = {n for r in result.changes if r.before is not None for n in range(r.line, (r.end_line or r.line) + 1)}
    change_lines = {r.line for r in result.changes}
    # Lines compare without their terminator: the last line of a file without a final newline
    # gains one when lines are added after it, and that loses nothing.
    old_lines = [line.rstrip("\r") for line in before_text.split("\n")]
    new_lines = [line.rstrip("\r") for line in after_text.split("\n")]
    # Every input line that no edit accounts for must still be there, in order: a subsequence
    # check (greedy matching is exact for that), not a diff, whose alignment is a heuristic.
    position = 0
    for number, line in enumerate(old_lines):
        # A replaced scalar's line, and an empty `{}`/`[]` that became the block it stood for,
        # carry nothing that the output lost.
        empty_collection = line.rstrip().endswith(("{}", "[]"))
        near_change = bool({number, number + 1} & change_lines)  # `key:` then `{}` on the next line
        if number + 1 in edited_lines or (near_change and empty_collection):
            continue
        found = next((j for j in range(position, len(new_lines)) if _survives(line, new_lines[j])), None)
        if found is None:
            problems.append(f"input line {number + 1} was lost: {line!r}")
        else:
            position = found + 1
    again = harden_bytes(result.output_bytes, profile, file=name)
    if again.output_bytes != result.output_bytes:
        problems.append("a second run changed the output again")
    return problems


_VOLUME_PATH = re.compile(r"\['(volumes|volumeMounts)'\](\[\d+\])?$")


def _writable_volume(kind: str, item) -> bool:
    """An emptyDir volume, or its mount, added for a read-only root filesystem: a security change's companion."""
    match = _VOLUME_PATH.search(item.path())
    added_to_null = kind == "type_changes" and item.t1 is None  # Helm's `volumes:` with nothing under it
    if not (kind in ("dictionary_item_added", "iterable_item_added") or added_to_null) or match is None:
        return False
    added = item.t2 if isinstance(item.t2, list) else [item.t2]
    wanted = {"name", "emptyDir"} if match.group(1) == "volumes" else {"name", "mountPath"}
    return all(isinstance(entry, dict) and set(entry) == wanted and entry.get("emptyDir", {}) == {} for entry in added)


def _survives(old: str, new: str) -> bool:
    """``old`` is ``new`` as it was, or only gained a comma (JSON's last item, no longer last) or
    entries inside a flow collection it opens (``{runAsUser: 1}`` -> ``{runAsUser: 1, ...}``)."""
    if old == new or new == old + ",":
        return True
    opening = min((i for i in (old.find("{"), old.find("[")) if i >= 0), default=-1)
    return opening >= 0 and new.startswith(old[: opening + 1]) and _inserted_into(old, new)


def _inserted_into(old: str, new: str) -> bool:
    """Is ``old`` a subsequence of ``new`` (``new`` only adds characters)?"""
    position = 0
    for char in old:
        position = new.find(char, position) + 1
        if position == 0:
            return False
    return True
