"""The opt-in service-account profile over real manifests: one identity per workload, no stray token."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from hardener.api import harden_bytes
from hardener.errors import InputError
from hardener.stream import split
from hardener.workloads import locate, locate_objects, lookup
from hardener.yamlnodes import compose, to_data
from tests.conftest import corpus_params
from tests.fidelity import fidelity_problems

PROFILE = "restricted-service-accounts"


def _objects(text: str) -> list[dict]:
    objects = []
    for chunk in split(text):
        if chunk.is_document:
            try:
                data = to_data(compose(chunk.text)).data
            except InputError:
                continue
            objects.extend(obj for _path, obj in locate_objects(data))
    return objects


@pytest.mark.parametrize("path", corpus_params())
def test_every_workload_gets_an_account_of_its_own(path):
    data = path.read_bytes()
    assert fidelity_problems(data, PROFILE, name=path.name) == []
    result = harden_bytes(data, PROFILE, file=path.name)
    objects = _objects(result.output)
    accounts = {
        ((obj.get("metadata") or {}).get("namespace"), (obj.get("metadata") or {}).get("name"))
        for obj in objects
        if obj.get("kind") == "ServiceAccount"
    }
    generated = {r.after["metadata"]["name"] for r in result.changes if r.path == () and isinstance(r.after, dict)}
    assert len(generated) == len([r for r in result.changes if r.path == ()]), "two workloads share a generated account"
    unnamed = {(r.document, r.name) for r in result.findings if r.transform == "dedicated-service-account"}
    for obj in objects:
        for location in locate(obj):
            spec = lookup(obj, location.pod_spec_path)
            if not isinstance(spec, dict):
                continue
            name = (obj.get("metadata") or {}).get("name")
            account = spec.get("serviceAccountName") or spec.get("serviceAccount")
            if (None, name) in unnamed or any(n == name for _d, n in unnamed):
                continue  # reported: no name to build an account from, or a JSON file
            kept = any(r.transform == "dedicated-service-account" and r.name == name and "Kept the default" in r.message for r in result.findings)
            assert account not in (None, "", "default") or kept, f"{obj.get('kind')}/{name} still runs as default"
            if account in generated:
                namespace = (obj.get("metadata") or {}).get("namespace")
                assert (namespace, account) in accounts
            token = spec.get("automountServiceAccountToken")
            assert token is False or any(
                r.transform == "automount-service-account-token" and r.name == name for r in result.findings
            ), f"{name} mounts a token without saying so"


BOUND = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: metrics-server
  namespace: kube-system
spec:
  template:
    spec:
      serviceAccountName: metrics-server
      containers:
      - name: metrics-server
        image: registry.k8s.io/metrics-server/metrics-server:v0.7.0
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: metrics-server:system:auth-delegator
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:auth-delegator"}
subjects:
- {kind: ServiceAccount, name: metrics-server, namespace: kube-system}
"""


def test_a_cluster_role_binding_to_the_account_keeps_its_token_with_a_warning_that_names_it():
    result = subprocess.run([sys.executable, "-m", "hardener", "fix", "--report", "json", "-"], input=BOUND.encode(), capture_output=True)
    assert result.returncode == 0  # a warning: the profile is met as far as the stream shows
    assert b"automountServiceAccountToken" not in result.stdout
    report = json.loads(result.stderr)
    (kept,) = [f for f in report["findings"] if f["transform"] == "automount-service-account-token"]
    assert kept["severity"] == "warning" and kept["name"] == "metrics-server"
    assert "ClusterRoleBinding metrics-server:system:auth-delegator (ClusterRole system:auth-delegator)" in kept["message"]
