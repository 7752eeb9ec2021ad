"""examples/bulk/ stays true: its diff and report are what the tool produces today."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.hosts import HostUnavailable, helm_binary

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "bulk"


def run(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hardener.cli", *args], cwd=cwd, capture_output=True, check=False, env=env)


def with_helm() -> dict:
    """--chart-values proves its edits with the real helm (HELM_BIN), fetched like every host binary."""
    try:
        return {**os.environ, "HELM_BIN": str(helm_binary(3))}
    except HostUnavailable as exc:
        pytest.skip(str(exc))


def copy_as_git_repository(tmp_path: Path) -> Path:
    """The example in a git repository of its own, as a user would have it."""
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLE / "repo", repo)
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    return repo


def test_the_example_diff_and_report_are_current(tmp_path):
    report = tmp_path / "pr-body.md"
    repo = copy_as_git_repository(tmp_path)
    result = run("fix", "--diff", ".", "--report", "markdown", "--report-file", str(report), cwd=repo)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout == (EXAMPLE / "remediation.diff").read_bytes()
    assert report.read_bytes() == (EXAMPLE / "pr-body.md").read_bytes()
    chart = run("fix", "--diff", "--chart-values", "charts", cwd=repo, env=with_helm())
    assert chart.returncode == 0, chart.stderr.decode()
    assert chart.stdout == (EXAMPLE / "chart-values.diff").read_bytes()


def test_the_example_repository_is_hardened_by_one_write(tmp_path):
    repo = copy_as_git_repository(tmp_path)
    before = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file() and ".git" not in p.relative_to(repo).parts[:1]}

    assert run("check", ".", cwd=repo).returncode == 1
    assert run("fix", "-w", ".", cwd=repo).returncode == 0
    assert run("check", ".", cwd=repo).returncode == 0

    changed = sorted(p.relative_to(repo).as_posix() for p, data in before.items() if p.read_bytes() != data)
    assert changed == [
        "services/cart/deployment.yaml",
        "services/checkout/cronjob.yaml",
        "services/checkout/deployment.yaml",
        "services/frontend/deployment.json",
    ]
