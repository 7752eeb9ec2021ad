"""The pre-commit hooks and the GitHub Action: their files, and the commands they run.

pre-commit and GitHub's runner are not run here (pre-commit builds a fresh
environment per repository, which takes half a minute); the hooks' entries and
the action's check step are run exactly as those hosts run them.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
POD = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: i\n"


def load(path: Path):
    return YAML(typ="safe", pure=True).load(path.read_text())


def hooks() -> dict[str, dict]:
    return {hook["id"]: hook for hook in load(REPO / ".pre-commit-hooks.yaml")}


def run_entry(entry: str, files: list[Path]) -> subprocess.CompletedProcess:
    """What pre-commit does: the entry, split like a shell would, then the file names."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(shlex.split(entry) + [str(f) for f in files], env=env, capture_output=True, text=True)


def test_pre_commit_hooks_exclude_chart_templates():
    found = hooks()
    assert set(found) == {"hardener-fix", "hardener-check"}
    for hook in found.values():
        assert hook["language"] == "python" and hook["types_or"] == ["yaml", "json"]
        exclude = re.compile(hook["exclude"])
        assert exclude.search("chart/templates/deployment.yaml") and exclude.search("templates/a.yaml")
        assert not exclude.search("deploy/web.yaml") and not exclude.search("deploy/templates.yaml")


def test_pre_commit_hook_entries_fix_and_check(tmp_path: Path):
    manifest = tmp_path / "pod.yaml"
    manifest.write_text(POD)
    found = hooks()
    check = run_entry(found["hardener-check"]["entry"], [manifest])
    assert check.returncode == 1 and "would harden" in check.stderr and manifest.read_text() == POD
    fix = run_entry(found["hardener-fix"]["entry"], [manifest])
    assert fix.returncode == 0 and "runAsNonRoot: true" in manifest.read_text()
    assert run_entry(found["hardener-check"]["entry"], [manifest]).returncode == 0


def action() -> dict:
    return load(REPO / "action.yml")


def test_action_is_composite_install_check_upload():
    spec = action()
    assert spec["runs"]["using"] == "composite"
    steps = spec["runs"]["steps"]
    assert "pip install" in steps[0]["run"]
    check = next(step for step in steps if step.get("id") == "check")
    assert "--report sarif" in check["run"] and "--report-file" in check["run"] and "--exit-zero" in check["run"]
    assert "--output-format github" in check["run"]
    upload = next(step for step in steps if "upload-sarif" in step.get("uses", ""))
    assert "always()" in upload["if"]
    assert steps.index(upload) > steps.index(check)
    assert steps[-1]["if"] == "${{ steps.check.outputs.status == '1' }}" and "exit 1" in steps[-1]["run"]
    assert {"paths", "profile", "fail-on", "sarif-file", "upload-sarif", "fail-on-findings", "annotations"} <= set(spec["inputs"])
    assert spec["inputs"]["profile"]["default"] == "", "the repository's configuration decides unless the workflow says"


def run_check_step(tmp_path: Path, paths: str, fail_on_findings: str, **inputs: str) -> tuple[int, str, Path]:
    """The action's check step, run by bash as the runner runs it (`bash -e -o pipefail`)."""
    from hardener.report import FORMATS

    script = next(step for step in action()["runs"]["steps"] if step.get("id") == "check")["run"]
    if "sarif" not in FORMATS:  # the SARIF renderer is built on another branch; exercise the rest
        script = script.replace("--report sarif", "--report text")
    output = tmp_path / "github_output"
    output.unlink(missing_ok=True)  # one step, one run: a fresh file as the runner gives each step
    sarif = tmp_path / "hardener.sarif"
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "GITHUB_OUTPUT": str(output),
        "HARDENER_PROFILE": inputs.get("profile", ""),
        "HARDENER_FAIL_ON": inputs.get("fail_on", ""),
        "HARDENER_SARIF": str(sarif),
        "HARDENER_PATHS": paths,
        "FAIL_ON_FINDINGS": fail_on_findings,
        "ANNOTATIONS": inputs.get("annotations", "true"),
    }
    proc = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], env=env, cwd=tmp_path, capture_output=True)
    run_check_step.stdout = proc.stdout.decode()  # type: ignore[attr-defined]
    return proc.returncode, output.read_text() if output.exists() else "", sarif


@pytest.mark.parametrize("fail_on_findings, status", [("true", "1"), ("false", "0")])
def test_action_check_step_holds_back_would_change_for_the_upload(tmp_path: Path, fail_on_findings: str, status: str):
    (tmp_path / "pod.yaml").write_text(POD)
    code, output, sarif = run_check_step(tmp_path, "*.yaml", fail_on_findings)
    assert code == 0, "the upload step must still run"
    assert output == f"status={status}\n"
    assert sarif.read_text(), "the report was written"
    assert (tmp_path / "pod.yaml").read_text() == POD


def test_action_check_step_fails_on_input_errors(tmp_path: Path):
    code, output, _ = run_check_step(tmp_path, "missing.yaml", "false")
    assert code == 2 and output == "status=2\n"


def test_action_check_step_honours_the_repository_configuration_and_annotates(tmp_path: Path):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".hardener.yaml").write_text("ignore: [read-only-root-filesystem]\n")
    (tmp_path / "pod.yaml").write_text(POD)
    code, output, _ = run_check_step(tmp_path, ".", "true")
    assert (code, output) == (0, "status=1\n")
    annotations = run_check_step.stdout  # type: ignore[attr-defined]
    assert "::error file=pod.yaml,line=" in annotations and "title=hardener no-privilege-escalation::" in annotations
    assert "read-only-root-filesystem" not in annotations
    code, output, _ = run_check_step(tmp_path, ".", "true", profile="baseline", annotations="false")
    assert run_check_step.stdout == ""  # type: ignore[attr-defined]


def test_action_fails_on_a_hardened_pod_that_mounts_the_docker_socket(tmp_path: Path):
    """fail-on-findings does what it says: a finding hardener cannot fix fails the job."""
    from tests.test_cli_conventions import DOCKER_SOCKET_POD

    (tmp_path / "pod.yaml").write_bytes(DOCKER_SOCKET_POD)
    assert run_check_step(tmp_path, "pod.yaml", "true")[:2] == (0, "status=1\n")
    assert run_check_step(tmp_path, "pod.yaml", "false")[:2] == (0, "status=0\n")


@pytest.mark.parametrize("path, schema", [("action.yml", "vendor.github-actions"), ("examples/github-action/workflow.yml", "vendor.github-workflows"),
                                          ("examples/github-action/remediate.yml", "vendor.github-workflows")])
def test_action_and_workflows_follow_githubs_schemas(path: str, schema: str):
    """SchemaStore's schemas, as vendored by check-jsonschema: a typo in a key fails here, not on GitHub."""
    checker = BIN / "check-jsonschema"
    if not checker.exists():
        pytest.skip("check-jsonschema is not installed here (pip install -e '.[test]')")
    proc = subprocess.run([str(checker), "--builtin-schema", schema, str(REPO / path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
