"""Where the pod spec lives, for each kind that has one.

This is the one table of "pod-template kinds" (kube-linter's DeploymentLike):
transforms never know about kinds, they get a pod spec and its path. A kind
only counts in its own API group: a Volcano ``Job`` (batch.volcano.sh) is
not a ``batch/v1`` Job and has no pod template where a Job has one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterator

Path = tuple[Any, ...]

CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")


@dataclass(frozen=True)
class WorkloadKind:
    """A kind that embeds a pod spec: its API groups and the paths inside it."""

    kind: str
    groups: frozenset[str]
    pod_spec: Path
    pod_metadata: Path | None
    declared: bool = False
    """Declared by a profile: its paths may hold ``*`` (every list item), and a missing pod spec is no finding."""

    def matches(self, api_version: Any, kind: Any) -> bool:
        return kind == self.kind and isinstance(api_version, str) and api_group(api_version) in self.groups


_TEMPLATE = ("spec", "template", "spec")
_TEMPLATE_META = ("spec", "template", "metadata")

BUILTIN_KINDS: tuple[WorkloadKind, ...] = (
    WorkloadKind("Pod", frozenset({""}), ("spec",), ("metadata",)),
    WorkloadKind("PodTemplate", frozenset({""}), ("template", "spec"), ("template", "metadata")),
    WorkloadKind("ReplicationController", frozenset({""}), _TEMPLATE, _TEMPLATE_META),
    WorkloadKind("Deployment", frozenset({"apps", "extensions"}), _TEMPLATE, _TEMPLATE_META),
    WorkloadKind("StatefulSet", frozenset({"apps"}), _TEMPLATE, _TEMPLATE_META),
    WorkloadKind("DaemonSet", frozenset({"apps", "extensions"}), _TEMPLATE, _TEMPLATE_META),
    WorkloadKind("ReplicaSet", frozenset({"apps", "extensions"}), _TEMPLATE, _TEMPLATE_META),
    WorkloadKind("Job", frozenset({"batch"}), _TEMPLATE, _TEMPLATE_META),
    WorkloadKind(
        "CronJob",
        frozenset({"batch"}),
        ("spec", "jobTemplate", "spec", "template", "spec"),
        ("spec", "jobTemplate", "spec", "template", "metadata"),
    ),
)

LIST_KINDS = frozenset({"List"})
"""``kind: List`` (and ``*List`` kinds such as PodList) hold objects under ``items``."""


def api_group(api_version: str) -> str:
    """``apps/v1`` -> ``apps``; ``v1`` -> the core group ``""``."""
    return api_version.rpartition("/")[0]


def is_list(api_version: Any, kind: Any) -> bool:
    return (
        isinstance(kind, str)
        and (kind in LIST_KINDS or kind.endswith("List"))
        and isinstance(api_version, str)
        and api_group(api_version) in ("", "apps", "batch", "extensions")
    )


@dataclass(frozen=True)
class PodLocation:
    """A pod spec found in a document: the object that owns it and the paths."""

    object_path: Path
    object: dict
    workload: WorkloadKind
    spec_path: Path | None = None
    """The pod spec path inside the object with ``*`` resolved (declared kinds); else the kind's own."""
    metadata_path: Path | None = None

    @property
    def pod_spec_path(self) -> Path:
        return self.object_path + (self.spec_path if self.spec_path is not None else self.workload.pod_spec)

    @property
    def pod_metadata_path(self) -> Path | None:
        if self.spec_path is not None:
            return None if self.metadata_path is None else self.object_path + self.metadata_path
        if self.workload.pod_metadata is None:
            return None
        return self.object_path + self.workload.pod_metadata


def locate(document: Any, kinds: tuple[WorkloadKind, ...] = BUILTIN_KINDS) -> Iterator[PodLocation]:
    """Every pod spec location in a document, items of a List included."""
    for path, obj in locate_objects(document):
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        for workload in kinds:
            if not workload.matches(api_version, kind):
                continue
            if not workload.declared:
                yield PodLocation(path, obj, workload)
                break
            for spec_path, bound in expand(obj, workload.pod_spec):
                if isinstance(lookup(obj, spec_path), dict):
                    meta = bind(workload.pod_metadata, bound) if workload.pod_metadata is not None else None
                    yield PodLocation(path, obj, workload, spec_path, meta)


def expand(data: Any, pattern: Path) -> list[tuple[Path, tuple[int, ...]]]:
    """Concrete paths matching ``pattern`` (``*`` = every item of a list) and the indices bound to each ``*``."""
    found: list[tuple[Path, tuple[int, ...]]] = [((), ())]
    for step in pattern:
        nxt = []
        for path, bound in found:
            node = lookup(data, path)
            if step == "*":
                if isinstance(node, list):
                    nxt.extend((path + (i,), bound + (i,)) for i in range(len(node)))
            elif isinstance(node, dict) and step in node:
                nxt.append((path + (step,), bound))
        found = nxt
    return found


def bind(pattern: Path, bound: tuple[int, ...]) -> Path:
    """``pattern`` with its ``*`` replaced, in order, by ``bound``."""
    indices = iter(bound)
    return tuple(next(indices, 0) if step == "*" else step for step in pattern)


@dataclass(frozen=True)
class ObjectLocation:
    """A whole object (a ServiceAccount, say) that an object-level transform edits.

    It quacks like a PodLocation whose "pod spec" is the object itself, so the
    same PodContext serves both.
    """

    object_path: Path
    object: dict

    @property
    def pod_spec_path(self) -> Path:
        return self.object_path

    @property
    def pod_metadata_path(self) -> Path:
        return self.object_path + ("metadata",)


def locate_objects(document: Any) -> Iterator[tuple[Path, dict]]:
    """Every object of a document: the document itself, or the items of a List."""
    stack: list[tuple[Path, Any]] = [((), document)]
    while stack:
        path, obj = stack.pop()
        if not isinstance(obj, dict):
            continue
        if is_list(obj.get("apiVersion"), obj.get("kind")) and isinstance(obj.get("items"), list):
            stack.extend(reversed([(path + ("items", i), item) for i, item in enumerate(obj["items"])]))
            continue
        yield path, obj


def lookup(data: Any, path: Path) -> Any:
    """The value at ``path``, or None when any step is missing or of the wrong shape."""
    for step in path:
        if isinstance(step, int):
            if not isinstance(data, list) or not -len(data) <= step < len(data):
                return None
        elif not isinstance(data, dict) or step not in data:
            return None
        data = data[step]
    return data


_KIND = re.compile(
    r"""kind["']?[ \t]*(?:\r?\n[ \t]*)?:"""  # the key (``? kind`` puts the colon on the next line)
    r"""(?:[ \t]|\r?\n|#[^\n]*\n)*"""  # the value may follow on a later line, after comments
    r"""(?:[!&][^ \t\r\n]*(?:[ \t]|\r?\n)+)*"""  # tags and anchors: ``kind: !!str Pod``
    r"""(?:[|>][0-9+-]*[ \t]*(?:#[^\n]*)?\r?\n[ \t]*)?"""  # a block scalar: ``kind: |-`` and ``Pod`` below it
    r"""(?:(?P<alias>\*)|"(?P<escaped>[^"\n]*\\)|["']?(?P<name>[A-Za-z][A-Za-z0-9]*))"""
)
"""Starts with the literal ``kind`` (a leading ``\\b`` would cost the regex engine its fast literal scan)."""
_SPELLED_KEY = re.compile(
    r"""(?:^[ \t]*(?:-[ \t]+)*|[{,?][ \t]*)(?:"[^"\n]*\\[^"\n]*"|\*[^ \t\r\n,\[\]{}]+)[ \t]*:""", re.MULTILINE
)
"""A key written with an escape (``"k\\x69nd":``) or as an alias (``*k :``): it may be ``kind``."""
_BINARY_TAG = re.compile(r"![^ \t\r\n]*binary")
"""``!!binary`` (or ``!<tag:yaml.org,2002:binary>``): base64 that may decode to ``kind`` or ``Pod``."""


def mentions_kind(text: str, kinds: frozenset[str]) -> bool:
    """A cheap look: does the text name one of ``kinds`` (or a List) after ``kind:``?

    False positives only cost a parse; a document this says no to is passed
    through without being parsed at all, so every way YAML can spell a kind
    must say yes: a tag or an anchor before it, the value on the next line or
    in a block scalar (``kind: |-``), an alias (``kind: *k``), escapes in
    double quotes (``"\\x50od"``, ``"k\\x69nd": Pod``), an alias as the key,
    or base64 (``!!binary``) anywhere are all "maybe" and parsed.
    """
    if "!" in text and _BINARY_TAG.search(text):
        return True
    if ("\\" in text or "*" in text) and _SPELLED_KEY.search(text):
        return True
    for match in _KIND.finditer(text):
        before = text[match.start() - 1 : match.start()]
        if before.isalnum() or before == "_":
            continue  # `subkind:` is not `kind:`
        if match.group("alias") or match.group("escaped") is not None:
            return True
        name = match.group("name")
        if name in kinds or name.endswith("List"):
            return True
    return False
