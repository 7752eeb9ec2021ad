"""``--chart-values``: a chart is hardened through its values.yaml, where helm proves the effect.

The proof is helm's own: after ``hardener fix -w --chart-values``, ``helm template``
renders a Deployment whose pod and container carry the hardened settings, every
security field it renders is valid where it stands (the Kubernetes models, through
``hardener.schema``), and values.yaml changed only where a setting was added (its
comments all survive). A chart whose ``securityContext`` value is the pod's context
gets container-only fields in the key that reaches the container, or a finding.
"""

from __future__ import annotations

import difflib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from hardener.schema import check_edit
from hardener.workloads import locate, lookup
from tests.hosts import HostUnavailable, helm_binary


@pytest.fixture(scope="module")
def helm() -> Path:
    try:
        return helm_binary(3)
    except HostUnavailable as exc:
        pytest.skip(str(exc))


def hardener(*args: str, cwd: Path, helm: Path | str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "HELM_BIN": str(helm)} if helm is not None else None
    return subprocess.run([sys.executable, "-m", "hardener.cli", *args], cwd=cwd, capture_output=True, check=False, env=env)


def rendered(helm: Path, chart: Path) -> list[dict]:
    output = subprocess.run([str(helm), "template", "demo", str(chart)], capture_output=True, check=True, text=True).stdout
    return [d for d in YAML(typ="safe", pure=True).load_all(output) if d]


def rendered_deployment(helm: Path, chart: Path) -> dict:
    return next(d for d in rendered(helm, chart) if d["kind"] == "Deployment")


def invalid_security_fields(documents: list[dict]) -> list[str]:
    """Every rendered security field that is not a field of what it stands in (Kubernetes' models)."""
    problems = []
    for document in documents:
        for location in locate(document):
            spec = lookup(document, location.pod_spec_path)
            leaves = [(("securityContext",) + path, value) for path, value in _leaves(spec.get("securityContext") or {})]
            for list_name in ("initContainers", "containers"):
                for index, container in enumerate(spec.get(list_name) or []):
                    context = container.get("securityContext") or {}
                    leaves += [((list_name, index, "securityContext") + path, value) for path, value in _leaves(context)]
            problems += [problem for path, value in leaves if (problem := check_edit(path, value)) is not None]
    return problems


def _leaves(data, path=()):
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _leaves(value, path + (key,))
    elif isinstance(data, list) and data and isinstance(data[0], dict):
        for index, value in enumerate(data):
            yield from _leaves(value, path + (index,))
    else:
        yield path, data


def test_a_helm_create_chart_is_hardened_through_its_values(helm, tmp_path):
    subprocess.run([str(helm), "create", "demo"], cwd=tmp_path, check=True, capture_output=True)
    chart = tmp_path / "demo"
    values = chart / "values.yaml"
    before = values.read_text(encoding="utf-8")
    templates = {p: p.read_bytes() for p in (chart / "templates").rglob("*") if p.is_file()}

    assert hardener("check", ".", cwd=tmp_path).returncode == 0  # without the opt-in the chart is skipped
    assert hardener("check", "--chart-values", ".", cwd=tmp_path, helm=helm).returncode == 1
    fixed = hardener("fix", "-w", "--chart-values", "--report", "text", ".", cwd=tmp_path, helm=helm)
    assert fixed.returncode == 1, fixed.stderr.decode()  # written; the chart's explicit automount: true remains
    again = hardener("check", "--chart-values", ".", cwd=tmp_path, helm=helm)
    assert again.returncode == 1 and "would harden" not in again.stderr.decode()
    assert again.stderr.decode().endswith("hardener: failed (--fail-on changes): 1 error finding (the profile is not met)\n")

    spec = rendered_deployment(helm, chart)["spec"]["template"]["spec"]
    assert spec["securityContext"]["runAsNonRoot"] is True
    container = spec["containers"][0]["securityContext"]
    assert container["allowPrivilegeEscalation"] is False
    assert container["readOnlyRootFilesystem"] is True
    assert container["capabilities"]["drop"] == ["ALL"]
    assert invalid_security_fields(rendered(helm, chart)) == []

    after = values.read_text(encoding="utf-8")
    removed = [l for l in difflib.ndiff(before.splitlines(), after.splitlines()) if l.startswith("- ")]
    assert removed == ["- podSecurityContext: {}", "- securityContext: {}"]
    assert all(line in after.splitlines() for line in before.splitlines() if line.lstrip().startswith("#"))
    assert {p: p.read_bytes() for p in templates} == templates
    report = fixed.stderr.decode()
    assert "demo/values.yaml:41:1: run-as-non-root fix (may break): " in report
    assert "serviceAccount.automount to true on purpose; left as it is" in report


def test_values_of_a_chart_that_does_not_read_them_are_left_alone(tmp_path):
    (tmp_path / "c" / "templates").mkdir(parents=True)
    (tmp_path / "c" / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 0.1.0\n")
    (tmp_path / "c" / "templates" / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n")
    values = tmp_path / "c" / "values.yaml"
    values.write_text("securityContext: {}\n")
    result = hardener("fix", "-w", "--chart-values", "--report", "text", ".", cwd=tmp_path)
    assert result.returncode == 0
    assert values.read_text() == "securityContext: {}\n"
    assert "c/values.yaml: hardener skip: Skipped the file: the default values of a Helm chart whose templates read no securityContext or automount values" in result.stderr.decode()


DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      {{- with .Values.securityContext }}
      securityContext:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      serviceAccountName: {{ .Release.Name }}
      containers:
        - name: web
          image: registry.example.com/web:1
          {{- with .Values.containerSecurityContext }}
          securityContext:
            {{- toYaml . | nindent 12 }}
          {{- end }}
"""
SERVICE_ACCOUNT = """\
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ .Release.Name }}
automountServiceAccountToken: {{ .Values.serviceAccount.automountServiceAccountToken }}
"""


def chart(tmp_path: Path, values: str, templates: dict[str, str]) -> Path:
    directory = tmp_path / "web"
    (directory / "templates").mkdir(parents=True)
    (directory / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 0.1.0\n")
    (directory / "values.yaml").write_text(textwrap.dedent(values))
    for name, text in templates.items():
        (directory / "templates" / name).write_text(text)
    return directory


def test_container_fields_go_to_the_key_that_reaches_the_container_when_securitycontext_is_the_pods(helm, tmp_path):
    web = chart(tmp_path, """\
        # the pod's securityContext (this chart's convention, as in many popular charts)
        securityContext: {}
        # the container's
        containerSecurityContext: {}
    """, {"deployment.yaml": DEPLOYMENT})
    result = hardener("fix", "-w", "--chart-values", "--report", "text", ".", cwd=tmp_path, helm=helm)
    assert result.returncode == 0, result.stderr.decode()
    assert (web / "values.yaml").read_text() == textwrap.dedent("""\
        # the pod's securityContext (this chart's convention, as in many popular charts)
        securityContext:
          runAsNonRoot: true
        # the container's
        containerSecurityContext:
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
          capabilities:
            drop:
              - ALL
    """)
    documents = rendered(helm, web)
    assert invalid_security_fields(documents) == []
    spec = next(d for d in documents if d["kind"] == "Deployment")["spec"]["template"]["spec"]
    assert spec["securityContext"] == {"runAsNonRoot": True}
    assert spec["containers"][0]["securityContext"]["readOnlyRootFilesystem"] is True


def test_container_fields_with_no_key_to_carry_them_are_refused_with_what_helm_showed(helm, tmp_path):
    web = chart(tmp_path, "securityContext: {}\n", {"deployment.yaml": DEPLOYMENT.replace("containerSecurityContext", "nothing")})
    result = hardener("fix", "-w", "--chart-values", "--report", "text", ".", cwd=tmp_path, helm=helm)
    assert (web / "values.yaml").read_text() == "securityContext:\n  runAsNonRoot: true\n"
    assert invalid_security_fields(rendered(helm, web)) == []
    report = result.stderr.decode()
    assert (
        "web/values.yaml: read-only-root-filesystem error: Not set in the chart's values: no values key is proven to set "
        "readOnlyRootFilesystem: true where it is valid (securityContext: web/templates/deployment.yaml renders it at "
        "spec.template.spec.securityContext.readOnlyRootFilesystem: V1PodSecurityContext has no field 'readOnlyRootFilesystem')"
    ) in report
    assert "drop-all-capabilities error: Not set in the chart's values: no values key is proven to set capabilities.drop: [ALL]" in report
    assert result.returncode == 1  # the chart's defaults still miss three settings: the gate fails


def test_the_token_setting_goes_to_the_key_the_templates_read_not_a_lookalike(helm, tmp_path):
    web = chart(tmp_path, "serviceAccount:\n  create: true\n", {"serviceaccount.yaml": SERVICE_ACCOUNT})
    result = hardener("fix", "-w", "--chart-values", "--report", "text", ".", cwd=tmp_path, helm=helm)
    assert result.returncode == 0, result.stderr.decode()
    assert (web / "values.yaml").read_text() == "serviceAccount:\n  create: true\n  automountServiceAccountToken: false\n"
    account = next(d for d in rendered(helm, web) if d["kind"] == "ServiceAccount")
    assert account["automountServiceAccountToken"] is False


def test_without_helm_the_values_are_not_edited_and_a_finding_says_why(tmp_path):
    web = chart(tmp_path, "securityContext: {}\n", {"deployment.yaml": DEPLOYMENT})
    result = hardener("fix", "-w", "--chart-values", "--report", "text", ".", cwd=tmp_path, helm=tmp_path / "no-helm")
    assert (web / "values.yaml").read_text() == "securityContext: {}\n"
    assert "web/values.yaml: hardener error: values.yaml not edited: proving where a value lands needs helm (set HELM_BIN or put helm on the PATH)" in result.stderr.decode()
    assert result.returncode == 1
