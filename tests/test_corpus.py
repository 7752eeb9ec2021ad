"""Every real-world manifest in tests/corpus keeps its fidelity and ends up hardened."""

from __future__ import annotations

import pytest

from hardener.api import harden_bytes
from hardener.errors import InputError
from hardener.stream import split
from hardener.yamlnodes import compose, to_data
from tests.conftest import corpus_params
from tests.fidelity import fidelity_problems
from tests.psa import pod_specs


@pytest.mark.parametrize("path", corpus_params())
def test_corpus_file_keeps_fidelity(path):
    assert fidelity_problems(path.read_bytes(), name=path.name) == []


def _missing_settings(metadata: dict, spec: dict) -> list[str]:
    """Which of the five settings a pod lacks (explicit, reported choices aside)."""
    missing = []
    containers = [c for key in ("initContainers", "containers", "ephemeralContainers") for c in spec.get(key) or [] if isinstance(c, dict)]
    pod_sc = spec.get("securityContext") or {}
    if pod_sc.get("runAsNonRoot") is not True and not all((c.get("securityContext") or {}).get("runAsNonRoot") is True for c in containers):
        missing.append("runAsNonRoot")
    if spec.get("automountServiceAccountToken") is None:
        missing.append("automountServiceAccountToken")
    for c in containers:
        sc = c.get("securityContext") or {}
        if sc.get("allowPrivilegeEscalation") is not False and sc.get("privileged") is not True:
            missing.append(f"{c.get('name')}: allowPrivilegeEscalation")
        if sc.get("readOnlyRootFilesystem") is not True:
            missing.append(f"{c.get('name')}: readOnlyRootFilesystem")
        if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
            missing.append(f"{c.get('name')}: capabilities.drop ALL")
    return missing


@pytest.mark.parametrize("path", corpus_params())
def test_corpus_workloads_have_the_five_settings(path):
    result = harden_bytes(path.read_bytes(), file=path.name)
    reported = {(r.document, r.path[-1]) for r in result.findings if r.path}
    problems = []
    for index, chunk in enumerate(c for c in split(result.output) if c.is_document):
        try:
            data = to_data(compose(chunk.text)).data
        except InputError:
            continue
        if not isinstance(data, dict):
            continue
        for metadata, spec in pod_specs(data):
            for missing in _missing_settings(metadata, spec):
                field = missing.rsplit(": ", 1)[-1].split(".")[0]
                if (index, field) not in reported and (index, "allowPrivilegeEscalation") not in reported:
                    problems.append(f"document {index}: {missing}")
    assert problems == []
