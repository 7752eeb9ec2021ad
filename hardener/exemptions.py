"""Which workloads (and containers) a profile or the manifest itself exempts, and why.

Four ways, as Azure Policy, Gatekeeper and kubeaudit offer them:

* ``exemptions.namespaces`` in the profile: objects in these namespaces are
  left alone (Azure's default excluded namespaces, say);
* ``exemptions.selectors``: label selectors (``matchLabels`` and
  ``matchExpressions``, Kubernetes semantics) matched against the labels of
  the object or of its pod template, optionally limited to some transforms;
* the annotation ``hardener.dev/skip: "all"`` or ``"id,id"`` on the object
  or its pod template, with an optional ``hardener.dev/skip-reason``;
* per container, ``hardener.dev/skip.<container-name>: "id,id"`` (or
  ``all``): edits *inside* that container are skipped; settings on the pod
  (pod-level ``runAsNonRoot``, a pod seccomp profile) still apply to it, so
  a container that must differ says so in its own securityContext.

Every skip is reported with its reason; an exemption that turns out to
exempt nothing is reported too, so stale exemptions do not pile up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hardener.errors import ProfileError
from hardener.model import unknown_keys

SKIP_ANNOTATION = "hardener.dev/skip"
REASON_ANNOTATION = "hardener.dev/skip-reason"
CONTAINER_PREFIX = "hardener.dev/skip."
ALL = "all"
_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


@dataclass(frozen=True)
class Selector:
    """A label selector with the reason it exempts, and which transforms (None: all)."""

    match_labels: tuple[tuple[str, str], ...] = ()
    match_expressions: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    reason: str = ""
    transforms: frozenset[str] | None = None

    def matches(self, labels: dict) -> bool:
        for key, value in self.match_labels:
            if labels.get(key) != value:
                return False
        for key, operator, values in self.match_expressions:
            present = key in labels
            if operator == "In" and not (present and str(labels[key]) in values):
                return False
            if operator == "NotIn" and present and str(labels[key]) in values:
                return False
            if operator == "Exists" and not present:
                return False
            if operator == "DoesNotExist" and present:
                return False
        return True

    def describe(self) -> str:
        parts = [f"{k}={v}" for k, v in self.match_labels]
        parts += [f"{k} {op} ({', '.join(vs)})" if vs else f"{k} {op}" for k, op, vs in self.match_expressions]
        return ", ".join(parts) or "everything"


@dataclass(frozen=True)
class Exemptions:
    """A profile's exemptions, parsed and checked."""

    namespaces: tuple[str, ...] = ()
    selectors: tuple[Selector, ...] = ()

    def as_data(self) -> dict:
        """The profile YAML form, for ``hardener profiles show``."""
        selectors = []
        for s in self.selectors:
            entry: dict[str, Any] = {}
            if s.match_labels:
                entry["matchLabels"] = dict(s.match_labels)
            if s.match_expressions:
                entry["matchExpressions"] = [
                    {"key": k, "operator": op, **({"values": list(vs)} if vs else {})} for k, op, vs in s.match_expressions
                ]
            if s.transforms is not None:
                entry["transforms"] = sorted(s.transforms)
            if s.reason:
                entry["reason"] = s.reason
            selectors.append(entry)
        return {"namespaces": list(self.namespaces), "selectors": selectors}


def parse_exemptions(raw: Any, source: str, known_ids) -> Exemptions:
    """Check a profile's ``exemptions:`` mapping; errors name the file and the key."""
    if raw is None:
        return Exemptions()
    where = f"{source}: exemptions"
    if not isinstance(raw, dict):
        raise ProfileError(f"{where}: expected a mapping with namespaces and/or selectors")
    unknown = set(raw) - {"namespaces", "selectors"}
    if unknown:
        raise ProfileError(f"{where}: {unknown_keys(unknown, ('namespaces', 'selectors'))}")
    namespaces = raw.get("namespaces") or []
    if not isinstance(namespaces, list) or not all(isinstance(n, str) for n in namespaces):
        raise ProfileError(f"{where}: namespaces: expected a list of namespace names")
    selectors = raw.get("selectors") or []
    if not isinstance(selectors, list):
        raise ProfileError(f"{where}: selectors: expected a list of label selectors")
    return Exemptions(tuple(namespaces), tuple(_selector(s, f"{where}: selectors[{i}]", known_ids) for i, s in enumerate(selectors)))


def _selector(raw: Any, where: str, known_ids) -> Selector:
    if not isinstance(raw, dict):
        raise ProfileError(f"{where}: expected a mapping with matchLabels and/or matchExpressions")
    unknown = set(raw) - {"matchLabels", "matchExpressions", "reason", "transforms"}
    if unknown:
        raise ProfileError(f"{where}: {unknown_keys(unknown, ('matchLabels', 'matchExpressions', 'reason', 'transforms'))}")
    labels = raw.get("matchLabels") or {}
    if not isinstance(labels, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in labels.items()):
        raise ProfileError(f"{where}: matchLabels: expected a mapping of label to string value")
    expressions = []
    for i, expr in enumerate(raw.get("matchExpressions") or []):
        here = f"{where}: matchExpressions[{i}]"
        if not isinstance(expr, dict) or not isinstance(expr.get("key"), str):
            raise ProfileError(f"{here}: expected key, operator and (for In/NotIn) values")
        operator = expr.get("operator")
        if operator not in _OPERATORS:
            raise ProfileError(f"{here}: operator: expected one of {', '.join(_OPERATORS)}, got {operator!r}")
        values = expr.get("values") or []
        if not isinstance(values, list) or (operator in ("In", "NotIn") and not values):
            raise ProfileError(f"{here}: values: {operator} needs a non-empty list")
        expressions.append((expr["key"], operator, tuple(str(v) for v in values)))
    if not labels and not expressions:
        raise ProfileError(f"{where}: an empty selector would exempt everything; give matchLabels or matchExpressions")
    transforms = raw.get("transforms")
    if transforms is not None:
        if not isinstance(transforms, list) or not all(isinstance(t, str) for t in transforms):
            raise ProfileError(f"{where}: transforms: expected a list of transform ids")
        for t in transforms:
            if t not in known_ids:
                raise ProfileError(f"{where}: transforms: unknown transform {t!r}")
        transforms = frozenset(transforms)
    reason = raw.get("reason") or ""
    return Selector(tuple(sorted(labels.items())), tuple(expressions), str(reason), transforms)


@dataclass
class Decision:
    """What is exempt for one pod: everything, some transforms, some containers."""

    everything: str | None = None
    transforms: dict[str, str] = field(default_factory=dict)
    containers: dict[str, dict[str, str]] = field(default_factory=dict)
    """container name -> {transform id or 'all': reason}"""
    warnings: list[str] = field(default_factory=list)

    def container_skips(self, transform_id: str) -> dict[str, str]:
        """container name -> reason, for the containers ``transform_id`` must not edit."""
        out = {}
        for name, skips in self.containers.items():
            reason = skips.get(transform_id) or skips.get(ALL)
            if reason is not None:
                out[name] = reason
        return out


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def decide(exemptions: Exemptions, obj: dict, pod_metadata: dict, enabled_ids, known_ids) -> Decision:
    """The exemptions that apply to the pod of ``obj`` (its template metadata is ``pod_metadata``)."""
    decision = Decision()
    metadata = _dict(obj.get("metadata"))
    namespace = metadata.get("namespace")
    if isinstance(namespace, str) and namespace in exemptions.namespaces:
        decision.everything = f"namespace {namespace} is excluded by the profile"
        return decision
    label_sets = [_dict(metadata.get("labels")), _dict(pod_metadata.get("labels"))]
    for selector in exemptions.selectors:
        if any(selector.matches(labels) for labels in label_sets):
            why = f"labels match the profile's selector ({selector.describe()})" + (f": {selector.reason}" if selector.reason else "")
            if selector.transforms is None:
                decision.everything = why
                return decision
            for transform_id in selector.transforms:
                decision.transforms.setdefault(transform_id, why)
    annotations = {**_dict(metadata.get("annotations")), **_dict(pod_metadata.get("annotations"))}
    reason = annotations.get(REASON_ANNOTATION)
    because = f": {reason}" if isinstance(reason, str) and reason.strip() else " (no hardener.dev/skip-reason given)"
    value = annotations.get(SKIP_ANNOTATION)
    if value is not None:
        ids = _ids(value, SKIP_ANNOTATION, known_ids, decision)
        if ALL in ids:
            decision.everything = f"annotation {SKIP_ANNOTATION}: all{because}"
            return decision
        for transform_id in ids:
            if transform_id not in enabled_ids and transform_id in known_ids:
                decision.warnings.append(f"{SKIP_ANNOTATION} names {transform_id}, which this profile does not run; the exemption exempts nothing")
            decision.transforms.setdefault(transform_id, f"annotation {SKIP_ANNOTATION}: {transform_id}{because}")
    for key, value in annotations.items():
        if isinstance(key, str) and key.startswith(CONTAINER_PREFIX):
            container = key[len(CONTAINER_PREFIX):]
            ids = _ids(value, key, known_ids, decision)
            decision.containers[container] = {t: f"annotation {key}: {t}{because}" for t in ids}
    return decision


def _ids(value: Any, key: str, known_ids, decision: Decision) -> list[str]:
    if not isinstance(value, str):
        decision.warnings.append(f"{key} must be a string such as \"all\" or \"run-as-non-root,no-host-ports\"; ignored")
        return []
    ids = [part.strip() for part in value.split(",") if part.strip()]
    for transform_id in ids:
        if transform_id != ALL and transform_id not in known_ids:
            decision.warnings.append(f"{key} names unknown transform {transform_id!r}; it exempts nothing")
    return [t for t in ids if t == ALL or t in known_ids]
