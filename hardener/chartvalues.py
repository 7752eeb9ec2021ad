"""Opt-in (``--chart-values``): harden the values of a chart made from the ``helm create`` scaffold.

A chart's templates are not manifests, so a bulk run skips them. But charts
created with ``helm create`` pass ``podSecurityContext``, ``securityContext``
and ``serviceAccount.automount`` from ``values.yaml`` straight into the pod
template and the ServiceAccount, and ship them empty (``securityContext: {}``
followed by the hardened settings as comments). For those charts the values
are the one place to fix, and every install that keeps the defaults is
hardened.

Only settings the chart's templates actually read are edited, only with the
transforms the profile enables, and with the same patcher and verification
as manifests, so the rest of ``values.yaml`` (its many comments included)
keeps every byte. A value the chart author set explicitly to something else
is left alone and reported as a finding: in a chart it is a default other
teams may rely on.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from hardener.model import CHANGE, FINDING, Edit, Record
from hardener.patch import PatchError, detect_style, patch
from hardener.profile import Profile
from hardener.stream import split
from hardener.textio import detect_newline
from hardener.verify import verify
from hardener.yamlnodes import compose, mapping_get, to_data


@dataclass(frozen=True)
class Setting:
    """One value a scaffold template reads, and the hardened value the transform wants there."""

    transform: str
    template_reference: str
    path: tuple[str, ...]
    value: Any
    op: str  # "set" or "append"
    message: str


SETTINGS = (
    Setting("run-as-non-root", ".Values.podSecurityContext", ("podSecurityContext", "runAsNonRoot"), True, "set",
            "Set runAsNonRoot to true in the chart's podSecurityContext"),
    Setting("no-privilege-escalation", ".Values.securityContext", ("securityContext", "allowPrivilegeEscalation"),
            False, "set", "Set allowPrivilegeEscalation to false in the chart's container securityContext"),
    Setting("read-only-root-filesystem", ".Values.securityContext", ("securityContext", "readOnlyRootFilesystem"),
            True, "set", "Set readOnlyRootFilesystem to true in the chart's container securityContext"),
    Setting("drop-all-capabilities", ".Values.securityContext", ("securityContext", "capabilities", "drop"), "ALL",
            "append", "Add ALL to capabilities.drop in the chart's container securityContext"),
    Setting("automount-service-account-token", ".Values.serviceAccount.automount", ("serviceAccount", "automount"),
            False, "set", "Set serviceAccount.automount to false: the chart's ServiceAccount mounts no API token"),
)


def scaffold_references(chart_dir: str) -> frozenset[str]:
    """The scaffold value references (``.Values.securityContext``, ...) the chart's templates contain."""
    found: set[str] = set()
    wanted = {setting.template_reference for setting in SETTINGS}
    for directory, _, files in os.walk(os.path.join(chart_dir, "templates")):
        for name in files:
            try:
                with open(os.path.join(directory, name), encoding="utf-8", errors="replace") as handle:
                    text = handle.read()
            except OSError:
                continue
            found.update(reference for reference in wanted if reference in text)
    return frozenset(found)


def harden_values(text: str, profile: Profile, references: frozenset[str], file: str, chart: str) -> tuple[str, list[Record]]:
    """The hardened text of a scaffold chart's values.yaml and the records of what changed."""
    pieces = split(text)
    documents = [index for index, piece in enumerate(pieces) if piece.is_document]
    if len(documents) != 1:
        return text, []
    chunk = pieces[documents[0]]
    root = compose(chunk.text, file=file, document=chunk.index, first_line=chunk.first_line)
    view = to_data(root)
    if not isinstance(view.data, dict):
        return text, []
    base = {"file": file, "document": chunk.index, "kind": "Chart", "name": chart}
    enabled = set(profile.transform_ids)
    edits: list[Edit] = []
    records: list[Record] = []
    for setting in SETTINGS:
        if setting.transform not in enabled or setting.template_reference not in references:
            continue
        record = _apply(view.data, view.shared, setting, base)
        if record is not None:
            record.line = chunk.first_line + _line_of(root, setting.path) + 1
            records.append(record)
            if record.edit is not None:
                edits.append(record.edit)
    if not edits:
        return text, records
    try:
        new_text, lines = patch(chunk.text, root, edits, detect_style(root, chunk.text, detect_newline(text)))
    except PatchError as error:
        kept = [r for r in records if r.type != CHANGE]
        message, line = error.located(chunk.first_line)
        return text, kept + [Record(FINDING, "", f"values.yaml left unchanged: {message}", line=line, **base)]
    for record, line in zip([r for r in records if r.edit is not None], lines):
        record.line = chunk.first_line + line + 1
    verify(new_text, view.data, file=file, document=chunk.index)
    return "".join(new_text if piece is chunk else piece.text for piece in pieces), records


def _line_of(root, path: tuple[str, ...]) -> int:
    """0-based line of the deepest existing node on ``path`` (where a new key goes in)."""
    node = root
    for step in path:
        pair = mapping_get(node, step)
        if pair is None:
            break
        node = pair[1]
    return node.start_mark.line


def _apply(data: dict, shared: set[int], setting: Setting, base: dict) -> Record | None:
    """Change ``data`` as ``setting`` asks; the record says what was done or why not."""
    *parents, leaf = setting.path
    if parents[0] not in data:
        return None  # the chart has no such value: nothing reads it
    node: Any = data
    for depth, step in enumerate(parents):
        child = node.get(step)
        if child is None:
            child = node[step] = {}
        if not isinstance(child, dict) or id(child) in shared:
            where = ".".join(setting.path[: depth + 1])
            return Record(FINDING, setting.transform, f"{setting.message}: not edited, {where} is not a plain mapping",
                          setting.path, **base)
        node = child
    current = node.get(leaf)
    if setting.op == "append":
        if isinstance(current, list) and setting.value in current:
            return None
        if current is not None and (not isinstance(current, list) or id(current) in shared):
            return Record(FINDING, setting.transform, f"{setting.message}: not edited, the field is not a plain list",
                          setting.path, **base)
        before = list(current or [])
        node[leaf] = before + [setting.value]
        edit = Edit("append", setting.path, setting.value)
        return Record(CHANGE, setting.transform, setting.message, setting.path, before, node[leaf], edit=edit, **base)
    if current == setting.value and type(current) is type(setting.value):
        return None
    if current is not None:
        return Record(FINDING, setting.transform,
                      f"The chart sets {'.'.join(setting.path)} to {json.dumps(current)} on purpose; left as it is "
                      "(overriding an explicit value is an unsafe fix)", setting.path,
                      before=current, after=setting.value, unsafe_fix=True, **base)
    node[leaf] = setting.value
    edit = Edit("set", setting.path, setting.value)
    return Record(CHANGE, setting.transform, setting.message, setting.path, None, setting.value, edit=edit, **base)


def chart_name(chart_dir: str) -> str:
    return os.path.basename(os.path.abspath(chart_dir))

