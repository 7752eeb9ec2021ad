"""Fidelity properties every hardened stream must have (kubeaudit's global fix test, plus ours).

Used by the corpus test, the example snapshots and the property tests:

* the output has the same documents, and each that parsed before parses after;
* data differs only in security fields;
* every input line survives, except a line whose scalar was an edited field
  and the lines a removal deleted (a record's ``line`` to its ``end_line``);
* documents without changes are byte-identical;
* a second run changes nothing.
"""

from __future__ import annotations

import difflib
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
        for change in diff.values():
            for item in change:
                if not SECURITY_PATH.search(item.path()):
                    problems.append(f"document {index}: non-security change at {item.path()}")
    # A replaced scalar's line; every line a removal deleted (line..end_line).
    edited_lines = {n for r in result.changes if r.before is not None for n in range(r.line, (r.end_line or r.line) + 1)}
    change_lines = {r.line for r in result.changes}
    # Lines compare without their terminator: the last line of a file without a final newline
    # gains one when lines are added after it, and that loses nothing.
    old_lines = [line.rstrip("\r") for line in before_text.split("\n")]
    new_lines = [line.rstrip("\r") for line in after_text.split("\n")]
    new_line_set = set(new_lines)
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("delete", "replace"):
            for number in range(i1, i2):
                if _inserted_into(old_lines[number], "\n".join(new_lines[j1:j2])):
                    continue  # the line only gained characters: a flow entry, a comma before a new JSON item
                if number == len(old_lines) - 1 and old_lines[number] + "\r" in new_lines[j1:j2]:
                    continue  # the last line had no newline; lines added after it gave it one (CRLF)
                # A replaced scalar's line, and an empty `{}`/`[]` that became the block it
                # stood for, carry nothing that the output lost.
                empty_collection = old_lines[number].rstrip().endswith(("{}", "[]"))
                near_change = bool({number, number + 1} & change_lines)  # `key:` then `{}` on the next line
                gained_json_comma = old_lines[number] + "," in new_line_set  # JSON's last item, no longer last
                if number + 1 not in edited_lines and not (near_change and empty_collection) and not gained_json_comma:
                    problems.append(f"input line {number + 1} was lost: {old_lines[number]!r}")
    again = harden_bytes(result.output_bytes, profile, file=name)
    if again.output_bytes != result.output_bytes:
        problems.append("a second run changed the output again")
    return problems


def _inserted_into(old: str, new: str) -> bool:
    """Is ``old`` a subsequence of ``new`` (``new`` only adds characters)?"""
    position = 0
    for char in old:
        position = new.find(char, position) + 1
        if position == 0:
            return False
    return True
