"""Kustomize patches are not workloads: find them, so they are left alone.

A strategic-merge patch is a partial object that kustomize merges into a
base; a JSON 6902 patch is a list of operations. Hardening either as if it
were a whole workload adds pod-level settings to a fragment and bypasses the
exemptions the base declares: the base (or the built output, ``kustomize
build | hardener fix -``) is what gets hardened. A patch is known:

* by its content: a strategic-merge directive as a key (``$patch``,
  ``$setElementOrder/...``, ``$retainKeys``, ``$deleteFromPrimitiveList/...``),
  or a JSON 6902 operation list;
* by name: a file a kustomization in the same walk lists under ``patches``,
  ``patchesStrategicMerge`` or ``patchesJson6902``.

A ``kustomization.yaml`` itself holds no workload and passes through untouched.
"""

from __future__ import annotations

import os
from typing import Any

PATCH_REASON = "kustomize patch: harden the base or the built output"
KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
_DIRECTIVES = ("$patch", "$retainKeys")
_DIRECTIVE_PREFIXES = ("$setElementOrder/", "$deleteFromPrimitiveList/")
_JSON6902_OPS = frozenset({"add", "remove", "replace", "move", "copy", "test"})


def mentions_directive(text: str) -> bool:
    """A cheap look before parsing: could the text hold a strategic-merge directive?"""
    return "$patch" in text or "$setElementOrder/" in text or "$retainKeys" in text or "$deleteFromPrimitiveList/" in text


def directive_in(data: Any) -> str | None:
    """The first strategic-merge directive used as a key anywhere in ``data``, or None."""
    stack = [data]
    seen: set[int] = set()
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, dict):
            for key, value in item.items():
                if isinstance(key, str) and (key in _DIRECTIVES or key.startswith(_DIRECTIVE_PREFIXES)):
                    return key
                stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)
    return None


def is_json6902(data: Any) -> bool:
    """A JSON 6902 patch: a non-empty list of operations, each with an ``op`` and a ``/path``."""
    return (
        isinstance(data, list)
        and bool(data)
        and all(isinstance(op, dict) and op.get("op") in _JSON6902_OPS and str(op.get("path", "")).startswith("/") for op in data)
    )


def listed_patches(kustomization: str) -> set[str]:
    """The real paths of the patch files a kustomization file lists (inline patches aside); empty if unreadable."""
    from hardener.errors import HardenerError
    from hardener.yamlnodes import compose, to_data

    try:
        with open(kustomization, encoding="utf-8") as handle:
            text = handle.read()
        data = to_data(compose(text, file=kustomization), file=kustomization, text=text).data
    except (OSError, UnicodeDecodeError, HardenerError):
        return set()  # not ours to judge: it is reported (or hardened) as the file it is
    if not isinstance(data, dict):
        return set()
    directory = os.path.dirname(kustomization)
    names: list[Any] = []
    for key in ("patches", "patchesJson6902"):
        entries = data.get(key)
        if isinstance(entries, list):
            names.extend(entry.get("path") for entry in entries if isinstance(entry, dict))
    entries = data.get("patchesStrategicMerge")
    if isinstance(entries, list):
        names.extend(entries)
    return {
        os.path.realpath(os.path.join(directory, name))
        for name in names
        if isinstance(name, str) and name and "\n" not in name and ":" not in name  # a path, not an inline patch
    }


def patches_beside(path: str) -> dict[str, str]:
    """The patch files listed by the kustomization in ``path``'s own directory, each with that kustomization."""
    directory = os.path.dirname(path) or "."
    found: dict[str, str] = {}
    for name in KUSTOMIZATION_NAMES:
        candidate = os.path.join(directory, name)
        if os.path.isfile(candidate):
            found.update(dict.fromkeys(listed_patches(candidate), candidate))
    return found
