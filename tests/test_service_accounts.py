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


WORKLOAD, BINDING = BOUND.split("---\n")


def _hardener(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hardener", *args], cwd=cwd, capture_output=True, text=True)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_binding_in_another_file_of_the_run_keeps_the_token(tmp_path, jobs):
    """kubectl apply -f DIR applies the files together: a binding in rbac.yaml is evidence for deployment.yaml.

    With nine files and two jobs, the files are hardened in worker processes, which see the same evidence.
    """
    (tmp_path / "deployment.yaml").write_text(WORKLOAD)
    (tmp_path / "rbac.yaml").write_text(BINDING)
    for number in range(7):  # enough files for worker processes
        (tmp_path / f"config-{number}.yaml").write_text(f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{number}\n")
    check = _hardener("check", "--jobs", jobs, ".", cwd=tmp_path)
    assert "deployment.yaml:8:5: automount-service-account-token warning: Kept the service-account token: its ServiceAccount " \
        "metrics-server is bound by ClusterRoleBinding metrics-server:system:auth-delegator" in check.stdout
    assert "automountServiceAccountToken to false" not in check.stdout
    result = _hardener("fix", "-w", "--jobs", jobs, ".", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    hardened = (tmp_path / "deployment.yaml").read_text()
    assert "runAsNonRoot: true" in hardened and "automountServiceAccountToken" not in hardened
    assert (tmp_path / "rbac.yaml").read_text() == BINDING


def test_files_named_together_on_the_command_line_are_evidence_for_each_other(tmp_path):
    (tmp_path / "deployment.yaml").write_text(WORKLOAD)
    (tmp_path / "rbac.yaml").write_text(BINDING)
    together = _hardener("fix", "deployment.yaml", "rbac.yaml", cwd=tmp_path)
    assert together.returncode == 0, together.stderr
    assert "runAsNonRoot: true" in together.stdout and "automountServiceAccountToken" not in together.stdout
    alone = _hardener("fix", "deployment.yaml", cwd=tmp_path)
    assert alone.returncode == 0, alone.stderr
    assert "automountServiceAccountToken: false" in alone.stdout, "without the binding nothing proves the token is used"


def test_a_binding_in_another_directory_is_no_evidence(tmp_path):
    """A repository holds unrelated applications: evidence stays within a directory."""
    (tmp_path / "app").mkdir()
    (tmp_path / "other").mkdir()
    (tmp_path / "app" / "deployment.yaml").write_text(WORKLOAD)
    (tmp_path / "app" / "service.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n")
    (tmp_path / "other" / "rbac.yaml").write_text(BINDING)
    result = _hardener("fix", "-w", ".", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "automountServiceAccountToken: false" in (tmp_path / "app" / "deployment.yaml").read_text()
