"""Over the real-world corpus, judged by the independent PSA checker in tests/psa.py.

``--profile restricted`` leaves no violation of the auto-fixable restricted checks, except where
hardener reported an error finding that says why it did not fix it (so the run fails closed); ``--profile baseline`` fixes the
auto-fixable baseline checks and leaves restricted-only settings exactly as they were.
"""

from __future__ import annotations

import functools

import pytest

from hardener.api import harden_bytes
from hardener.errors import InputError
from hardener.profile import load_profile
from hardener.stream import split
from hardener.textio import decode
from hardener.workloads import locate, lookup
from hardener.yamlnodes import compose, to_data
from tests.conftest import corpus_params
from tests.psa import AUTO_FIXABLE_RESTRICTED, BASELINE_CHECKS, check_pod, pod_specs

# The transform whose finding explains an unfixed violation of each check.
EXPLAINED_BY = {
    "privileged": {"no-privileged"},
    "allowPrivilegeEscalation": {"no-privilege-escalation"},
    "runAsNonRoot": {"run-as-non-root"},
    "runAsUser": {"run-as-non-zero-user"},
    "seccompProfile_baseline": {"seccomp-runtime-default"},
    "seccompProfile_restricted": {"seccomp-runtime-default"},
    "capabilities_baseline": {"restrict-capabilities"},
    "capabilities_restricted": {"restrict-capabilities", "drop-all-capabilities"},
    "hostNamespaces": {"no-host-namespaces"},
    "hostPorts": {"no-host-ports"},
    "procMount": {"default-proc-mount"},
    "procMount_restricted": {"default-proc-mount"},
    "appArmorProfile": {"apparmor-runtime-default"},
    "seLinuxOptions": {"restrict-selinux-options"},
}
AUTO_FIXABLE_BASELINE = (AUTO_FIXABLE_RESTRICTED & BASELINE_CHECKS) | {"appArmorProfile", "seLinuxOptions"}
RESTRICTED_ONLY_FIELDS = ("runAsNonRoot", "runAsUser", "allowPrivilegeEscalation", "readOnlyRootFilesystem", "capabilities.drop")


@functools.lru_cache(maxsize=None)
def _profile(name: str):
    return load_profile(name)


def _pods(text: str) -> list[tuple[int, dict, dict]]:
    """(document index, pod metadata, pod spec) for every pod in ``text``.

    Built-in kinds are found by the PSA checker's own table; the custom kinds the shipped
    profiles declare (Argo Rollouts, Knative, ...) by hardener's locator, since the checker
    knows no custom resources.
    """
    declared = _profile("baseline").workload_kinds
    pods = []
    for index, chunk in enumerate(c for c in split(text) if c.is_document):
        try:
            data = to_data(compose(chunk.text)).data
        except InputError:
            continue
        if isinstance(data, dict):
            pods.extend((index, metadata, spec) for metadata, spec in pod_specs(data))
            for location in locate(data, declared):
                metadata = lookup(data, location.pod_metadata_path or ("-",))
                pods.append((index, metadata if isinstance(metadata, dict) else {}, lookup(data, location.pod_spec_path)))
    return pods


def _unexplained(result, level: str, fixable: set[str]) -> list[str]:
    """Violations left in the output that no *error* finding explains: a run that fails open."""
    explained = {(r.document, r.transform) for r in result.findings if r.is_error}
    left = []
    for document, metadata, spec in _pods(result.output):
        for violation in check_pod(metadata, spec, level):
            if violation.check in fixable and not any((document, t) in explained for t in EXPLAINED_BY[violation.check]):
                left.append(f"document {document}: {violation.check}: {violation.message}")
    return left


@pytest.mark.parametrize("path", corpus_params())
def test_restricted_leaves_no_auto_fixable_violation(path):
    result = harden_bytes(path.read_bytes(), _profile("restricted"), file=path.name)
    assert _unexplained(result, "restricted", set(AUTO_FIXABLE_RESTRICTED)) == []


def _restricted_only_settings(spec: dict) -> list:
    def sc(obj):
        return obj.get("securityContext") if isinstance(obj.get("securityContext"), dict) else {}

    containers = [c for k in ("initContainers", "containers", "ephemeralContainers") for c in spec.get(k) or [] if isinstance(c, dict)]
    values = [spec.get("automountServiceAccountToken"), sc(spec).get("runAsNonRoot"), sc(spec).get("runAsUser"), "seccompProfile" in sc(spec)]
    for c in containers:
        caps = sc(c).get("capabilities") if isinstance(sc(c).get("capabilities"), dict) else {}
        values += [sc(c).get(f) for f in RESTRICTED_ONLY_FIELDS[:-1]] + [caps.get("drop")]
    return values


@pytest.mark.parametrize("path", corpus_params())
def test_baseline_fixes_baseline_checks_and_leaves_restricted_only_settings_alone(path):
    data = path.read_bytes()
    result = harden_bytes(data, _profile("baseline"), file=path.name)
    assert _unexplained(result, "baseline", AUTO_FIXABLE_BASELINE) == []
    before = [_restricted_only_settings(spec) for _, _, spec in _pods(decode(data)[0])]
    after = [_restricted_only_settings(spec) for _, _, spec in _pods(result.output)]
    assert after == before
