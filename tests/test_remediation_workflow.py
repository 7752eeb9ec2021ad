"""examples/github-action/remediate.yml: many repositories, one matrix job each, a pull request per repository.

GitHub's runner is not here; the workflow's shape is checked (and its schema
in test_ci_integrations), and its shell steps run as the runner runs them
(``bash -e -o pipefail``), against scratch repositories.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parent.parent
WORKFLOW = REPO / "examples" / "github-action" / "remediate.yml"
BIN = Path(sys.executable).parent


def workflow() -> dict:
    return YAML(typ="safe", pure=True).load(WORKFLOW.read_text())


def step(job: str, name: str) -> dict:
    return next(s for s in workflow()["jobs"][job]["steps"] if s.get("name") == name)


def run_step(script: str, cwd: Path, env: dict) -> tuple[subprocess.CompletedProcess, dict]:
    output = cwd / "github_output"
    output.write_text("")
    full = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "GITHUB_OUTPUT": str(output), **env}
    proc = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], cwd=cwd, env=full, capture_output=True, text=True)
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
    return proc, outputs


def test_one_job_per_repository_and_a_pull_request_from_the_markdown_report():
    jobs = workflow()["jobs"]
    remediate = jobs["remediate"]
    assert remediate["needs"] == "list"
    assert remediate["strategy"]["matrix"]["repository"] == "${{ fromJSON(needs.list.outputs.repositories) }}"
    assert remediate["strategy"]["fail-fast"] is False
    checkout = remediate["steps"][0]
    assert checkout["uses"].startswith("actions/checkout@") and checkout["with"]["repository"] == "${{ matrix.repository }}"
    harden = step("remediate", "Harden the repository")
    assert "hardener fix -w ." in harden["run"] and "--report markdown" in harden["run"]
    pull = step("remediate", "Open or update the pull request")
    assert pull["uses"].startswith("peter-evans/create-pull-request@")
    assert pull["with"]["body-path"] == harden["env"]["BODY"], "the body is the report the harden step wrote"
    assert pull["with"]["path"] == checkout["with"]["path"] == harden["working-directory"]


@pytest.mark.parametrize(
    "given, listed, expected",
    [
        ("acme/web acme/api", "", ["acme/web", "acme/api"]),
        ("", "# platform\nacme/web\n\n  acme/api  # the API\n", ["acme/web", "acme/api"]),
        ("", "# nothing yet\n", []),
    ],
)
def test_the_list_step_gives_the_matrix_its_repositories(tmp_path: Path, given: str, listed: str, expected: list):
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "hardener-repositories.txt").write_text(listed)
    proc, outputs = run_step(step("list", "List the repositories")["run"], tmp_path, {"REPOSITORIES": given})
    assert proc.returncode == 0, proc.stderr
    assert json.loads(outputs["repositories"]) == expected


def test_the_list_step_refuses_what_is_not_owner_slash_name(tmp_path: Path):
    proc, outputs = run_step(step("list", "List the repositories")["run"], tmp_path, {"REPOSITORIES": "acme/web https://evil"})
    assert proc.returncode == 1 and "::error::not owner/name: https://evil" in proc.stdout and "repositories" not in outputs


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=cwd, check=True, capture_output=True)


def test_the_harden_step_rewrites_a_repository_honouring_its_configuration_and_writes_the_body(tmp_path: Path):
    target = tmp_path / "target"
    shutil.copytree(REPO / "examples" / "bulk" / "repo", target)
    (target / ".hardener.yaml").write_text("ignore: [read-only-root-filesystem]\n")
    git("init", "-q", cwd=target)
    git("add", "-A", cwd=target)
    git("commit", "-qm", "init", cwd=target)
    body = tmp_path / "runner-temp" / "hardener-pull-request.md"
    body.parent.mkdir()
    script = step("remediate", "Harden the repository")["run"]
    proc, outputs = run_step(script, target, {"BODY": str(body)})
    assert proc.returncode == 0, proc.stderr
    assert outputs == {"changed": "true"}
    text = body.read_text()
    assert text.startswith("## hardener") and "services/cart/deployment.yaml" in text
    hardened = (target / "services" / "cart" / "deployment.yaml").read_text()
    assert "allowPrivilegeEscalation: false" in hardened and "readOnlyRootFilesystem" not in hardened, "the repository's own configuration"
    git("commit", "-qam", "hardened", cwd=target)
    proc, outputs = run_step(script, target, {"BODY": str(body)})
    assert (proc.returncode, outputs) == (0, {"changed": "false"}), "nothing left: no pull request"
