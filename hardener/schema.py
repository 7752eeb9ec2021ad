"""Kubernetes' field names and types, from the official ``kubernetes`` client's models.

The client's generated models (``V1SecurityContext.openapi_types`` and
``attribute_map``) are the source of truth. Importing the client costs about
a second, so the fields hardener meets every day are cached here (a test
checks every cached name against the models); the client is imported only
when a key is not in the cache, to tell a field newer than this cache from a
misspelling, and when a profile's injected values are validated. Should the
client be missing from an installation, the cache decides.
"""

from __future__ import annotations

import difflib
import functools
from typing import Any

from hardener.model import Path

# model -> {json field name: openapi type}; a subset of the client's models (checked by a test).
CACHE: dict[str, dict[str, str]] = {
    "V1PodSecurityContext": {
        "appArmorProfile": "V1AppArmorProfile", "fsGroup": "int", "fsGroupChangePolicy": "str", "runAsGroup": "int",
        "runAsNonRoot": "bool", "runAsUser": "int", "seLinuxChangePolicy": "str", "seLinuxOptions": "V1SELinuxOptions",
        "seccompProfile": "V1SeccompProfile", "supplementalGroups": "List[int]", "supplementalGroupsPolicy": "str",
        "sysctls": "List[V1Sysctl]", "windowsOptions": "V1WindowsSecurityContextOptions",
    },
    "V1SecurityContext": {
        "allowPrivilegeEscalation": "bool", "appArmorProfile": "V1AppArmorProfile", "capabilities": "V1Capabilities",
        "privileged": "bool", "procMount": "str", "readOnlyRootFilesystem": "bool", "runAsGroup": "int",
        "runAsNonRoot": "bool", "runAsUser": "int", "seLinuxOptions": "V1SELinuxOptions",
        "seccompProfile": "V1SeccompProfile", "windowsOptions": "V1WindowsSecurityContextOptions",
    },
    "V1Capabilities": {"add": "List[str]", "drop": "List[str]"},
    "V1SeccompProfile": {"localhostProfile": "str", "type": "str"},
    "V1AppArmorProfile": {"localhostProfile": "str", "type": "str"},
    "V1SELinuxOptions": {"level": "str", "role": "str", "type": "str", "user": "str"},
    "V1WindowsSecurityContextOptions": {
        "gmsaCredentialSpec": "str", "gmsaCredentialSpecName": "str", "hostProcess": "bool", "runAsUserName": "str",
    },
    "V1Sysctl": {"name": "str", "value": "str"},
}

# Names only: enough to tell `hostname` (a real field) from `hostPid` (a misspelling).
POD_SPEC_FIELDS = frozenset(
    "activeDeadlineSeconds affinity automountServiceAccountToken containers dnsConfig dnsPolicy enableServiceLinks "
    "ephemeralContainers hostAliases hostIPC hostNetwork hostPID hostUsers hostname hostnameOverride imagePullSecrets "
    "initContainers nodeName nodeSelector os overhead preemptionPolicy priority priorityClassName readinessGates "
    "resourceClaims resources restartPolicy runtimeClassName schedulerName schedulingGates securityContext "
    "serviceAccount serviceAccountName setHostnameAsFQDN shareProcessNamespace subdomain "
    "terminationGracePeriodSeconds tolerations topologySpreadConstraints volumes".split()
)
CONTAINER_FIELDS = frozenset(
    "args command env envFrom image imagePullPolicy lifecycle livenessProbe name ports readinessProbe resizePolicy "
    "resources restartPolicy restartPolicyRules securityContext startupProbe stdin stdinOnce targetContainerName "
    "terminationMessagePath terminationMessagePolicy tty volumeDevices volumeMounts workingDir".split()
)
POD_SECURITY_FIELDS = ("securityContext", "hostNetwork", "hostPID", "hostIPC", "hostUsers", "automountServiceAccountToken")
CONTAINER_SECURITY_FIELDS = ("securityContext",)


@functools.lru_cache(maxsize=None)
def client_fields(model: str) -> dict[str, str] | None:
    """``{json name: openapi type}`` of a client model; None when the client is not installed."""
    try:
        from kubernetes.client import models  # the only place hardener imports the client
    except ImportError:
        return None
    cls = getattr(models, model, None)
    if cls is None:
        return None
    return {cls.attribute_map[attr]: kind for attr, kind in cls.openapi_types.items()}


def fields(model: str) -> dict[str, str]:
    """Every field of ``model``: the client's when installed, else the cache."""
    return client_fields(model) or CACHE[model]


def is_field(model: str, key: str, cached_names: frozenset[str] | None = None) -> bool:
    """Is ``key`` a field of ``model``? The client is imported only for a key the cache does not know."""
    known = cached_names if cached_names is not None else CACHE.get(model, {})
    if key in known:
        return True
    full = client_fields(model)
    return full is not None and key in full


def suggestion(key: str, names) -> str | None:
    """The field ``key`` was probably meant to be."""
    lowered = {name.lower(): name for name in names}
    if key.lower() in lowered:
        return lowered[key.lower()]
    close = difflib.get_close_matches(key, list(names), n=1, cutoff=0.75)
    return close[0] if close else None


def _list_item(kind: str) -> str | None:
    """``List[V1Sysctl]`` (or the older ``list[...]``) -> ``V1Sysctl``; None for other types."""
    return kind[5:-1] if kind[:5] in ("List[", "list[") else None


def _dict_value(kind: str) -> str | None:
    """``Dict[str, str]`` (or the older ``dict(str, str)``) -> ``str``; None for other types."""
    if kind[:5] in ("Dict[", "dict("):
        return kind[5:-1].split(",", 1)[1].strip()
    return None


def value_fits(kind: str, value: Any) -> bool:
    """Does ``value`` (plain YAML data) have the openapi type ``kind``?"""
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "str":
        return isinstance(value, str)
    item = _list_item(kind)
    if item is not None:
        return isinstance(value, list) and all(value_fits(item, v) for v in value)
    if _dict_value(kind) is not None:
        return isinstance(value, dict)
    return isinstance(value, dict)  # a nested model


def _child_type(model: str, step: Any) -> str | None:
    kind = fields(model).get(step) if isinstance(step, str) else None
    return kind


def check_edit(path: Path, value: Any, root_model: str = "V1PodSpec") -> str | None:
    """Why setting ``value`` at ``path`` (from a pod spec) is not valid Kubernetes, or None when it is.

    Imports the client: used to validate what a profile injects, not on every run.
    """
    kind = root_model
    for position, step in enumerate(path):
        item, value_kind = _list_item(kind), _dict_value(kind)
        if item is not None:
            if not isinstance(step, int):
                return f"{_show(path[:position + 1])}: expected a list index"
            kind = item
            continue
        if value_kind is not None:
            kind = value_kind
            continue
        if kind in ("str", "int", "bool") or client_fields(kind) is None and kind not in CACHE:
            return f"{_show(path[:position + 1])}: {kind} has no fields"
        child = _child_type(kind, step)
        if child is None:
            hint = suggestion(str(step), fields(kind))
            return f"{_show(path[:position + 1])}: {kind} has no field {step!r}" + (f" (did you mean {hint}?)" if hint else "")
        kind = child
    if not value_fits(kind, value):
        return f"{_show(path)}: expected {kind}, got {value!r}"
    return None


def _show(path: Path) -> str:
    from hardener.model import format_path

    return format_path(path)
