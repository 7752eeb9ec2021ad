"""``--chart-values``: a chart made by the real ``helm create`` is hardened through its values.yaml.

The proof is helm's own: after ``hardener fix -w --chart-values``, ``helm template``
renders a Deployment whose pod and container carry the hardened settings, and
values.yaml changed only where a setting was added (its comments all survive).
"""

from __future__ import annotations

import difflib
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.hosts import HostUnavailable, helm_binary


@pytest.fixture(scope="module")
def helm() -> Path:
    try:
        return helm_binary(3)
    except HostUnavailable as exc:
        pytest.skip(str(exc))


def hardener(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hardener.cli", *args], cwd=cwd, capture_output=True, check=False)


def rendered_deployment(helm: Path, chart: Path) -> dict:
    output = subprocess.run([str(helm), "template", "demo", str(chart)], capture_output=True, check=True, text=True).stdout
    documents = [d for d in YAML(typ="safe", pure=True).load_all(output) if d]
    return next(d for d in documents if d["kind"] == "Deployment")


def test_a_helm_create_chart_is_hardened_through_its_values(helm, tmp_path):
    subprocess.run([str(helm), "create", "demo"], cwd=tmp_path, check=True, capture_output=True)
    chart = tmp_path / "demo"
    values = chart / "values.yaml"
    before = values.read_text(encoding="utf-8")
    templates = {p: p.read_bytes() for p in (chart / "templates").rglob("*") if p.is_file()}

    assert hardener("check", ".", cwd=tmp_path).returncode == 0  # without the opt-in the chart is skipped
    assert hardener("check", "--chart-values", ".", cwd=tmp_path).returncode == 1
    fixed = hardener("fix", "-w", "--chart-values", "--report", "text", ".", cwd=tmp_path)
    assert fixed.returncode == 1, fixed.stderr.decode()  # written; the chart's explicit automount: true remains
    again = hardener("check", "--chart-values", ".", cwd=tmp_path)
    assert again.returncode == 1 and "would harden" not in again.stderr.decode()
    assert again.stderr.decode().endswith("hardener: failed (--fail-on changes): 1 error finding (the profile is not met)\n")

    spec = rendered_deployment(helm, chart)["spec"]["template"]["spec"]
    assert spec["securityContext"]["runAsNonRoot"] is True
    container = spec["containers"][0]["securityContext"]
    assert container["allowPrivilegeEscalation"] is False
    assert container["readOnlyRootFilesystem"] is True
    assert container["capabilities"]["drop"] == ["ALL"]

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
    assert "c/values.yaml: hardener skip: Skipped the file: the default values of a Helm chart whose templates do not read" in result.stderr.decode()
