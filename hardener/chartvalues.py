"""Opt-in (``--chart-values``): harden a chart's default ``values.yaml``, where helm proves the effect.

A chart's templates are not manifests, so a bulk run skips them. But most
charts pass security settings from ``values.yaml`` into their pods
(``helm create`` ships ``podSecurityContext: {}`` and ``securityContext: {}``
with the hardened settings as comments), and for them the values are the one
place to fix: every install that keeps the defaults is hardened.

Value names do not say where a value lands: one chart renders
``.Values.securityContext`` as the container's context, another as the
pod's, where ``readOnlyRootFilesystem`` is not a field at all. So nothing is
guessed from names. Candidate keys are the values (and the ``.Values``
references of the templates) named like a securityContext or an automount
setting; for each, the chart is rendered by the real ``helm template`` with
and without the hardened fields, and a field is written into ``values.yaml``
only when every place it lands in the rendered objects is a valid field of
what it lands in (checked against the Kubernetes models, ``hardener.schema``)
and changes nothing else. A field no key is proven to carry is reported, with
what helm showed. Helm is ``$HELM_BIN`` (what helm sets for plugins), else
``helm`` on the PATH; without one the values are not edited and a finding
says why.

Edits use the manifests' patcher and verification, so the rest of
``values.yaml`` (its many comments included) keeps every byte. A value the
chart author set explicitly to something else is left alone and reported.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from typing import Any, Iterator

from hardener.model import CHANGE, FINDING, Edit, Record, format_path
from hardener.patch import PatchError, detect_style, patch
from hardener.profile import Profile
from hardener.stream import split
from hardener.textio import detect_newline
from hardener.verify import verify
from hardener.workloads import BUILTIN_KINDS, CONTAINER_LISTS, api_group, locate, locate_objects, lookup
from hardener.yamlnodes import compose, mapping_get, to_data

HELM_ENV = "HELM_BIN"
RELEASE = "hardener-probe"
_CONTEXT_KEY = re.compile(r"securitycontext$", re.IGNORECASE)
_AUTOMOUNT_KEY = re.compile(r"^automount", re.IGNORECASE)
_VALUES_REFERENCE = re.compile(r"\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")
_MAX_DEPTH = 4


@dataclass(frozen=True)
class Field:
    """A hardened setting that a values key may carry into the rendered objects."""

    transform: str
    path: tuple[str, ...]
    """Below the candidate key (``("capabilities", "drop")``); empty: the key itself is the setting."""
    value: Any
    op: str  # "set" or "append"
    lands_as: tuple[str, ...]
    """What the rendered path must end with (before a list index, for an append)."""

    def describe(self) -> str:
        name = ".".join(self.lands_as)
        return f"{name}: [{self.value}]" if self.op == "append" else f"{name}: {json.dumps(self.value)}"


CONTEXT_FIELDS = (
    Field("run-as-non-root", ("runAsNonRoot",), True, "set", ("runAsNonRoot",)),
    Field("no-privilege-escalation", ("allowPrivilegeEscalation",), False, "set", ("allowPrivilegeEscalation",)),
    Field("read-only-root-filesystem", ("readOnlyRootFilesystem",), True, "set", ("readOnlyRootFilesystem",)),
    Field("drop-all-capabilities", ("capabilities", "drop"), "ALL", "append", ("capabilities", "drop")),
)
TOKEN_FIELD = Field("automount-service-account-token", (), False, "set", ("automountServiceAccountToken",))


class RenderError(Exception):
    """helm could not render the chart; the message is helm's last words."""


@dataclass(frozen=True)
class _Site:
    """A valid landing: a pod (or a ServiceAccount), and the container in it, if any."""

    document: int
    owner: tuple
    """The pod spec's path in the document (or the ServiceAccount's)."""
    container: tuple = ()
    """``("containers", 0)``; empty: the pod (or ServiceAccount) itself."""

    @property
    def pod(self) -> tuple:
        return (self.document, self.owner)


@dataclass
class _Verdict:
    """Where one field of one candidate key landed, and whether every place is valid."""

    sites: list[_Site] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def candidate_keys(chart_dir: str) -> list[tuple[str, ...]]:
    """Values paths the chart's templates read that may carry a securityContext or a token setting.

    ``.Values.securityContext.runAsUser`` reads one key of a context: the
    context is the candidate. A key only values.yaml names reaches no object.
    """
    return [reference for reference in _template_references(chart_dir) if _is_candidate(reference) and len(reference) <= _MAX_DEPTH]


def _is_candidate(path: tuple[str, ...]) -> bool:
    return bool(_CONTEXT_KEY.search(path[-1]) or _AUTOMOUNT_KEY.match(path[-1]))


def _template_references(chart_dir: str) -> list[tuple[str, ...]]:
    references: list[tuple[str, ...]] = []
    for directory, _, files in os.walk(os.path.join(chart_dir, "templates")):
        for name in sorted(files):
            try:
                with open(os.path.join(directory, name), encoding="utf-8", errors="replace") as handle:
                    text = handle.read()
            except OSError:
                continue
            for match in _VALUES_REFERENCE.finditer(text):
                path = tuple(match.group(1).strip(".").split("."))
                # `.Values.securityContext.runAsUser` reads a key of a context: the context is the candidate
                while len(path) > 1 and not _is_candidate(path):
                    path = path[:-1]
                if path not in references:
                    references.append(path)
    return references


def helm_binary() -> str | None:
    """``$HELM_BIN`` (helm sets it for its plugins), else ``helm`` on the PATH."""
    configured = os.environ.get(HELM_ENV)
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    return shutil.which("helm")


@dataclass(frozen=True)
class _Rendered:
    source: str
    """The template that rendered it (helm's ``# Source:`` line)."""
    data: Any


_SOURCE = re.compile(r"^# Source: (\S+)", re.MULTILINE)


def render(helm: str, chart_dir: str, override: dict | None = None) -> list[_Rendered]:
    """The documents ``helm template`` renders, with ``override`` as an extra values file."""
    with tempfile.TemporaryDirectory(prefix="hardener-values-") as scratch:
        command = [helm, "template", RELEASE, chart_dir]
        if override:
            path = os.path.join(scratch, "override.yaml")
            with open(path, "w", encoding="utf-8") as handle:
                json.dump(override, handle)  # JSON is YAML
            command += ["-f", path]
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise RenderError(str(exc)) from None
    if result.returncode != 0:
        lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
        errors = [line.removeprefix("Error: ") for line in lines if line.startswith("Error:")]
        raise RenderError((errors or lines or [f"helm exited {result.returncode}"])[-1])
    documents = []
    for chunk in split(result.stdout):
        if chunk.is_document:
            source = _SOURCE.search(chunk.text)
            documents.append(_Rendered(source.group(1) if source else "the chart", to_data(compose(chunk.text)).data))
    return documents


def _differences(before: Any, after: Any, path: tuple = ()) -> Iterator[tuple[tuple, Any, Any]]:
    """Every leaf that differs: (path, before, after); an added mapping or list yields its leaves."""
    if isinstance(before, dict) and isinstance(after, dict):
        for key in list(before) + [k for k in after if k not in before]:
            yield from _differences(before.get(key), after.get(key), path + (key,))
    elif isinstance(before, list) and isinstance(after, list):
        for index in range(max(len(before), len(after))):
            yield from _differences(before[index] if index < len(before) else None, after[index] if index < len(after) else None, path + (index,))
    elif before is None and isinstance(after, (dict, list)):
        yield from _differences({} if isinstance(after, dict) else [], after, path)
    elif before != after or type(before) is not type(after):
        yield path, before, after


def _landing(field_: Field, path: tuple) -> bool:
    """Is ``path`` (a rendered leaf) where ``field_`` shows up?"""
    steps = path[:-1] if field_.op == "append" and path and isinstance(path[-1], int) else path
    return tuple(steps[-len(field_.lands_as):]) == field_.lands_as


def _judge(document: _Rendered, path: tuple, value: Any) -> tuple[tuple | None, str | None]:
    """Where a rendered value lands (a pod spec's path, or a ServiceAccount's), or why it is not valid there."""
    from hardener.schema import check_edit

    where = f"{document.source} renders it at {format_path(path)}"
    for location in locate(document.data, BUILTIN_KINDS):
        spec = location.pod_spec_path
        if path[: len(spec)] == spec:
            problem = check_edit(path[len(spec):], value)
            return (spec, None) if problem is None else (None, f"{where}: {problem.split(': ', 1)[-1]}")
    for object_path, obj in locate_objects(document.data):
        if obj.get("kind") == "ServiceAccount" and api_group(str(obj.get("apiVersion", ""))) == "" and path[: len(object_path)] == object_path:
            problem = check_edit(path[len(object_path):], value, "V1ServiceAccount")
            return (object_path, None) if problem is None else (None, f"{where}: {problem.split(': ', 1)[-1]}")
    return None, f"{where}, outside any pod spec or ServiceAccount"


def _name(obj: dict) -> str:
    metadata = obj.get("metadata")
    return str(metadata.get("name")) if isinstance(metadata, dict) else "?"


def _override(key: tuple[str, ...], current: Any, fields: list[Field]) -> dict:
    """A values file that sets ``fields`` under ``key`` (a list gets its whole new value: helm replaces lists)."""
    value: Any = {} if fields[0].path else None
    for field_ in fields:
        if not field_.path:
            value = field_.value
            continue
        node = value
        for step in field_.path[:-1]:
            node = node.setdefault(step, {})
        existing = _get(current, field_.path)
        node[field_.path[-1]] = (list(existing or []) + [field_.value]) if field_.op == "append" else field_.value
    for step in reversed(key):
        value = {step: value}
    return value


def _get(data: Any, path: tuple) -> Any:
    for step in path:
        if not isinstance(data, dict):
            return None
        data = data.get(step)
    return data


def _site(document: _Rendered, doc: int, path: tuple, value: Any) -> tuple[_Site | None, str | None]:
    owner, problem = _judge(document, path, value)
    if owner is None:
        return None, problem
    rest = path[len(owner):]
    return _Site(doc, owner, tuple(rest[:2]) if len(rest) > 2 and rest[0] in CONTAINER_LISTS else ()), None


def _pod_specs(document: Any) -> list[tuple]:
    return [location.pod_spec_path for location in locate(document, BUILTIN_KINDS)]


def _leaves(data: Any) -> Iterator[tuple[tuple, Any]]:
    for path, _before, value in _differences(None, data) if isinstance(data, (dict, list)) else ():
        yield path, value


def prove(helm: str, chart_dir: str, values: Any, candidates: dict[tuple[str, ...], list[Field]]) -> "_Proof":
    """Render the chart as it is and, for each candidate key, with its fields set; judge where each landed."""
    base = render(helm, chart_dir)
    proof = _Proof(base)
    for key, fields in candidates.items():
        results = {field_: _Verdict() for field_ in fields}
        proof.verdicts[key] = results
        try:
            rendered = render(helm, chart_dir, _override(key, _get(values, key), fields))
        except RenderError as exc:
            for verdict in results.values():
                verdict.problems.append(f"helm cannot render the chart with it: {exc}")
            continue
        if len(rendered) != len(base):
            for verdict in results.values():
                verdict.problems.append(f"it changes which objects the chart renders ({len(base)} -> {len(rendered)})")
            continue
        for doc, (old, new) in enumerate(zip(base, rendered)):
            for path, _before, after in _differences(old.data, new.data):
                proof.reached.update((doc, spec) for spec in _pod_specs(old.data) if path[: len(spec)] == spec)
                owner = next((f for f in fields if _landing(f, path)), None)
                if owner is None:
                    for verdict in results.values():
                        verdict.problems.append(f"it also changes {format_path(path)} in {old.source}")
                    continue
                site, problem = _site(old, doc, path, after)
                if site is None:
                    results[owner].problems.append(problem)
                else:
                    results[owner].sites.append(site)
    return proof


@dataclass
class _Proof:
    """The chart rendered as it is, and what each candidate key did to it."""

    base: list[_Rendered]
    verdicts: dict[tuple, dict[Field, _Verdict]] = field(default_factory=dict)
    reached: set[tuple] = field(default_factory=set)
    """(document, pod spec path) of every pod a candidate key changed: what the values can harden."""

    def containers(self) -> list[_Site]:
        """Every container of the pods the values reach: what a context field must reach.

        A pod no values key changes (``helm create``'s test Pod) is the
        post-renderer's to harden, not the values'.
        """
        found = []
        for doc, document in enumerate(self.base):
            for location in locate(document.data, BUILTIN_KINDS):
                if (doc, location.pod_spec_path) not in self.reached:
                    continue
                for list_name in ("initContainers", "containers"):
                    items = lookup(document.data, location.pod_spec_path + (list_name,))
                    found += [_Site(doc, location.pod_spec_path, (list_name, i)) for i in range(len(items) if isinstance(items, list) else 0)]
        return found

    def already(self, field_: Field) -> set[_Site]:
        """Where the chart already renders the hardened value, validly."""
        sites = set()
        for doc, document in enumerate(self.base):
            for path, value in _leaves(document.data):
                if _landing(field_, path) and value == field_.value and type(value) is type(field_.value):
                    site, _ = _site(document, doc, path, value)
                    if site is not None:
                        sites.add(site)
        return sites


def choose(proof: _Proof, fields: list[Field]) -> tuple[dict[Field, list[tuple]], dict[Field, list[str]]]:
    """The keys to edit for each field, and why a field that still misses somewhere was refused.

    A key is chosen when every place its field lands is valid and it reaches a
    container the chart does not yet harden (a pod-level landing reaches all
    of the pod's); keys that land at the pod level go first, so
    ``runAsNonRoot`` goes into a pod context once rather than into each
    container's. The token setting is met by any pod or ServiceAccount that
    renders it.
    """
    chosen: dict[Field, list[tuple]] = {}
    refused: dict[Field, list[str]] = {}
    targets = proof.containers()
    for field_ in fields:
        entries = [(key, results[field_]) for key, results in proof.verdicts.items() if field_ in results]
        if not entries:
            continue

        def missing(sites: set[_Site]) -> list:
            if field_ is TOKEN_FIELD:
                return [] if sites else ["the chart's pods"]
            pods = {site.pod for site in sites if site.container == ()}
            return [target for target in targets if target not in sites and target.pod not in pods]

        covered = proof.already(field_)
        valid = [(key, v) for key, v in entries if v.sites and not v.problems]
        valid.sort(key=lambda item: not any(site.container == () for site in item[1].sites))
        for key, verdict in valid:
            grown = covered | set(verdict.sites)
            if len(missing(grown)) < len(missing(covered)):
                chosen.setdefault(field_, []).append(key)
                covered = grown
        if missing(covered):
            refused[field_] = [
                f"{'.'.join(key)}: " + ("; ".join(dict.fromkeys(v.problems)) if v.problems else "no rendered object changes")
                for key, v in entries if key not in chosen.get(field_, [])
            ]
    return chosen, refused


def harden_values(text: str, profile: Profile, file: str, chart_dir: str) -> tuple[str, list[Record]]:
    """The hardened text of a chart's values.yaml and the records of what changed or why not."""
    pieces = split(text)
    documents = [index for index, piece in enumerate(pieces) if piece.is_document]
    base = {"file": file, "kind": "Chart", "name": chart_name(chart_dir)}
    if len(documents) > 1:
        return text, [Record(FINDING, "", "values.yaml holds more than one document; not edited", **base)]
    chunk = pieces[documents[0]] if documents else None
    root = compose(chunk.text, file=file, document=chunk.index, first_line=chunk.first_line) if chunk else None
    view = to_data(root) if root is not None else None
    values = view.data if view is not None and isinstance(view.data, dict) else {}
    base["document"] = chunk.index if chunk else None
    enabled = set(profile.transform_ids)
    wanted_context = [f for f in CONTEXT_FIELDS if f.transform in enabled]
    candidates: dict[tuple[str, ...], list[Field]] = {}
    records: list[Record] = []
    for key in candidate_keys(chart_dir):
        fields = wanted_context if _CONTEXT_KEY.search(key[-1]) else [TOKEN_FIELD] if TOKEN_FIELD.transform in enabled else []
        current = _get(values, key)
        if fields and (current is not None and not isinstance(current, (dict, bool))):
            continue  # a string or a list: not a context or a switch
        open_fields = []
        for field_ in fields:
            explicit = _get(current, field_.path) if field_.path else current
            if field_.op == "append" and isinstance(explicit, list) and field_.value in explicit:
                continue
            if field_.op == "set" and explicit == field_.value and type(explicit) is type(field_.value):
                continue
            if field_.op == "set" and explicit is not None:
                path = key + field_.path
                records.append(Record(FINDING, field_.transform, f"The chart sets {'.'.join(path)} to {json.dumps(explicit)} on purpose; "
                                      "left as it is (overriding an explicit value is an unsafe fix)", path, before=explicit,
                                      after=field_.value, unsafe_fix=True, line=chunk.first_line + _line_of(root, path) + 1, **base))
                continue
            open_fields.append(field_)
        if open_fields:
            candidates[key] = open_fields
    if not candidates:
        return text, records
    helm = helm_binary()
    if helm is None:
        records.append(Record(FINDING, "", "values.yaml not edited: proving where a value lands needs helm "
                              f"(set {HELM_ENV} or put helm on the PATH)", **base))
        return text, records
    try:
        chosen, refused = choose(prove(helm, chart_dir, values, candidates), [*CONTEXT_FIELDS, TOKEN_FIELD])
    except RenderError as exc:
        records.append(Record(FINDING, "", f"values.yaml not edited: helm cannot render the chart: {exc}", **base))
        return text, records
    for field_, reasons in refused.items():
        records.append(Record(FINDING, field_.transform, f"Not set in the chart's values: no values key is proven to set "
                              f"{field_.describe()} where it is valid ({'; '.join(reasons)})", **base))
    if not chosen or root is None:
        if chosen:
            records.append(Record(FINDING, "", "values.yaml is empty: add the proven keys by hand", **base))
        return text, records
    edits: list[Edit] = []
    for field_, keys in chosen.items():
        for key in keys:
            path = key + field_.path
            if not _apply(values, view.shared, path, field_, base, records):
                continue
            records[-1].line = chunk.first_line + _line_of(root, path) + 1
            edits.append(records[-1].edit)
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


def _apply(values: dict, shared: set[int], path: tuple[str, ...], field_: Field, base: dict, records: list[Record]) -> bool:
    """Change ``values`` at ``path`` as ``field_`` asks; record the change or why it could not be made."""
    node: Any = values
    for depth, step in enumerate(path[:-1]):
        child = node.get(step)
        if child is None:
            child = node[step] = {}
        if not isinstance(child, dict) or id(child) in shared:
            where = ".".join(path[: depth + 1])
            records.append(Record(FINDING, field_.transform, f"Set {'.'.join(path)}: not edited, {where} is not a plain mapping", path, **base))
            return False
        node = child
    leaf = path[-1]
    if field_.op == "append":
        current = node.get(leaf)
        if current is not None and (not isinstance(current, list) or id(current) in shared):
            records.append(Record(FINDING, field_.transform, f"Add ALL to {'.'.join(path)}: not edited, the field is not a plain list", path, **base))
            return False
        before = list(current or [])
        node[leaf] = before + [field_.value]
        edit = Edit("append", path, field_.value)
        message = f"Add {field_.value} to {'.'.join(path)} in the chart's values"
        records.append(Record(CHANGE, field_.transform, message, path, before, node[leaf], edit=edit, **base))
        return True
    node[leaf] = field_.value
    message = f"Set {'.'.join(path)} to {json.dumps(field_.value)} in the chart's values"
    records.append(Record(CHANGE, field_.transform, message, path, None, field_.value, edit=Edit("set", path, field_.value), **base))
    return True


def _line_of(root, path: tuple[str, ...]) -> int:
    """0-based line of the deepest existing node on ``path`` (where a new key goes in)."""
    node = root
    for step in path:
        pair = mapping_get(node, step)
        if pair is None:
            break
        node = pair[1]
    return node.start_mark.line


def chart_name(chart_dir: str) -> str:
    return os.path.basename(os.path.abspath(chart_dir))
