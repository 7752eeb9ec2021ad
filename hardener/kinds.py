"""Workload kinds a profile declares: custom resources that embed a standard pod spec.

A declaration names the API group (or an apiVersion, whose group is used),
the kind, and where the pod spec (and its metadata) lives, as a dotted path
with ``[*]`` for "every item of this list"::

    kinds:
      - group: argoproj.io
        kind: AnalysisTemplate
        podSpec: spec.metrics[*].provider.job.spec.template.spec
        podMetadata: spec.metrics[*].provider.job.spec.template.metadata

Only kinds whose path leads to a real ``PodSpec`` belong here: every
transform assumes Kubernetes' pod spec fields at that path.
"""

from __future__ import annotations

import re
from typing import Any

from hardener.errors import ProfileError
from hardener.model import unknown_keys
from hardener.workloads import BUILTIN_KINDS, WorkloadKind, api_group

_STEP = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*(\[\*\])?$")
_KEYS = {"group", "apiVersion", "kind", "podSpec", "podMetadata", "note"}


def parse_path(text: Any, where: str) -> tuple:
    """``spec.templates[*].template.spec`` -> ``('spec', 'templates', '*', 'template', 'spec')``."""
    if not isinstance(text, str) or not text:
        raise ProfileError(f"{where}: expected a dotted path such as spec.template.spec")
    steps: list = []
    for part in text.split("."):
        if not _STEP.match(part):
            raise ProfileError(f"{where}: {part!r} is not a field name (optionally followed by [*])")
        if part.endswith("[*]"):
            steps += [part[:-3], "*"]
        else:
            steps.append(part)
    return tuple(steps)


def format_path(path: tuple) -> str:
    return ".".join(str(s) for s in path).replace(".*", "[*]")


def parse_kinds(raw: Any, source: str) -> dict[tuple[str, str], dict]:
    """Check a profile's ``kinds:`` list; keyed by (group, kind) so that a child profile overrides its parent."""
    if raw is None:
        return {}
    if not isinstance(raw, list):
        raise ProfileError(f"{source}: kinds: expected a list of kind declarations")
    out: dict[tuple[str, str], dict] = {}
    for index, entry in enumerate(raw):
        where = f"{source}: kinds[{index}]"
        if not isinstance(entry, dict):
            raise ProfileError(f"{where}: expected a mapping with group, kind and podSpec")
        unknown = set(entry) - _KEYS
        if unknown:
            raise ProfileError(f"{where}: {unknown_keys(unknown, sorted(_KEYS))}")
        group = entry.get("group")
        if group is None and isinstance(entry.get("apiVersion"), str):
            group = api_group(entry["apiVersion"])
        if not isinstance(group, str) or not group:
            raise ProfileError(f"{where}: group: expected an API group such as argoproj.io (or an apiVersion)")
        kind = entry.get("kind")
        if not isinstance(kind, str) or not kind:
            raise ProfileError(f"{where}: kind: expected a kind name such as Rollout")
        if any(b.kind == kind and group in b.groups for b in BUILTIN_KINDS):
            raise ProfileError(f"{where}: {kind} in group {group} is built in; it needs no declaration")
        specs = entry.get("podSpec")
        specs = specs if isinstance(specs, list) else [specs]
        metas = entry.get("podMetadata")
        metas = metas if isinstance(metas, list) else [metas] * len(specs)
        if len(metas) != len(specs):
            raise ProfileError(f"{where}: podMetadata: give one path per podSpec path")
        paths = []
        for i, (spec, meta) in enumerate(zip(specs, metas)):
            spec_path = parse_path(spec, f"{where}: podSpec")
            meta_path = parse_path(meta, f"{where}: podMetadata") if meta is not None else None
            if meta_path is not None and meta_path.count("*") != spec_path.count("*"):
                raise ProfileError(f"{where}: podMetadata: needs as many [*] as podSpec")
            paths.append((spec_path, meta_path))
        out[(group, kind)] = {"group": group, "kind": kind, "paths": paths, "note": str(entry.get("note") or "")}
    return out


def workload_kinds(declared: dict[tuple[str, str], dict]) -> tuple[WorkloadKind, ...]:
    """The declarations as WorkloadKinds for ``workloads.locate``."""
    return tuple(
        WorkloadKind(d["kind"], frozenset({d["group"]}), spec, meta, declared=True)
        for d in declared.values()
        for spec, meta in d["paths"]
    )


def as_data(declared: dict[tuple[str, str], dict]) -> list[dict]:
    """The profile YAML form, for ``hardener profiles show``."""
    out = []
    for d in declared.values():
        entry: dict[str, Any] = {"group": d["group"], "kind": d["kind"]}
        specs = [format_path(s) for s, _ in d["paths"]]
        metas = [format_path(m) if m else None for _, m in d["paths"]]
        entry["podSpec"] = specs[0] if len(specs) == 1 else specs
        if any(metas):
            entry["podMetadata"] = metas[0] if len(metas) == 1 else metas
        if d["note"]:
            entry["note"] = d["note"]
        out.append(entry)
    return out
