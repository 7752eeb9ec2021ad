"""Real pre-commit runs the hooks of .pre-commit-hooks.yaml in a repository that configures hardener.

pre-commit decides which files a hook sees (``types_or``, ``exclude``) and
runs its ``entry`` with their names; that is what is tested here, with the
hook definitions exactly as this repository publishes them. Only the
``language`` is ``system`` (this checkout's hardener on PATH) instead of
``python``: with ``python`` pre-commit builds a fresh virtualenv of hardener
and its dependencies for every commit, minutes per run, which the package
build (tests/test_packaging.py) already covers.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.integration.hostrun import REPO
from tests.test_cli import POD

PRE_COMMIT = Path(sys.executable).parent / "pre-commit"
TEMPLATE = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  containers:\n  - name: c\n    image: i\n"
JSON_POD = '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "j"}, "spec": {"containers": [{"name": "c", "image": "i"}]}}\n'


def published_hooks_as_local() -> str:
    """A .pre-commit-config.yaml running this repository's hook definitions on this checkout's hardener."""
    hooks = YAML(typ="safe", pure=True).load((REPO / ".pre-commit-hooks.yaml").read_text())
    for hook in hooks:
        hook["language"] = "system"
    return json.dumps({"repos": [{"repo": "local", "hooks": hooks}]})


@pytest.fixture
def repository(tmp_path: Path, host_env: dict) -> Path:
    if not PRE_COMMIT.exists():
        pytest.skip("pre-commit is not installed here (pip install -e '.[test]')")
    repo = tmp_path / "repo"
    files = {
        ".hardener.yaml": "ignore: [read-only-root-filesystem]\nexclude: [vendor]\n",
        ".pre-commit-config.yaml": published_hooks_as_local(),
        "deploy/pod.yaml": POD.decode(),
        "deploy/pod.json": JSON_POD,
        "vendor/pod.yaml": POD.decode(),
        "chart/Chart.yaml": "apiVersion: v2\nname: chart\nversion: 0.1.0\n",
        "chart/templates/pod.yaml": TEMPLATE,
        "README.md": "not a manifest\n",
    }
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    return repo


def pre_commit(repo: Path, env: dict, hook: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(PRE_COMMIT), "run", hook, "--all-files"], cwd=repo, env={**env, "PRE_COMMIT_HOME": str(repo.parent / "pre-commit-home")},
                          capture_output=True, text=True)  # fmt: skip


def test_pre_commit_hooks_honour_the_repository_configuration(repository: Path, host_env: dict):
    check = pre_commit(repository, host_env, "hardener-check")
    assert check.returncode == 1, check.stdout + check.stderr
    assert "deploy/pod.yaml:" in check.stdout and "deploy/pod.json:" in check.stdout, "JSON manifests are checked too"
    assert "read-only-root-filesystem" not in check.stdout, ".hardener.yaml turned it off"

    fix = pre_commit(repository, host_env, "hardener-fix")
    assert fix.returncode == 1 and "files were modified by this hook" in fix.stdout  # pre-commit's own verdict
    for name in ("deploy/pod.yaml", "deploy/pod.json"):
        text = (repository / name).read_text()
        assert "allowPrivilegeEscalation" in text and "readOnlyRootFilesystem" not in text, name
    assert (repository / "vendor/pod.yaml").read_text() == POD.decode(), "excluded by .hardener.yaml"
    assert (repository / "chart/templates/pod.yaml").read_text() == TEMPLATE, "chart sources are not the hooks' business"

    again = pre_commit(repository, host_env, "hardener-check")
    assert again.returncode == 0, again.stdout + again.stderr
