"""The commands in the examples' READMEs run as written, against the real hosts.

Every ```sh block of a README is run by ``bash -euo pipefail`` in a copy of its
example directory, with hardener and the host on PATH. Blocks marked
```console need what no test here has (a cluster, standalone kustomize) and
are not run.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests import hosts
from tests.integration.hostrun import EXAMPLES, copy_example, helm_for, host, non_hook_text, unhardened_pods

SH_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.S | re.M)


def script_of(example: str) -> str:
    blocks = SH_BLOCK.findall((EXAMPLES / example / "README.md").read_text())
    assert blocks, f"examples/{example}/README.md has no ```sh block"
    return "\n".join(blocks)


def run_readme(example: str, tmp_path: Path, env: dict) -> Path:
    workdir = copy_example(example, tmp_path)
    proc = subprocess.run(["bash", "-euo", "pipefail", "-c", script_of(example)], cwd=workdir, env=env, capture_output=True)
    if proc.returncode != 0:
        pytest.fail(f"examples/{example}/README.md commands failed ({proc.returncode}):\n"
                    f"{proc.stdout.decode(errors='replace')}\n{proc.stderr.decode(errors='replace')}")
    return workdir


@pytest.mark.parametrize("example, major", [("helm", 3), ("helm-plugin", 4)])
def test_helm_readmes(example: str, major: int, tmp_path: Path, host_env: dict):
    env = {**host_env, "PATH": f"{helm_for(major, tmp_path)}:{host_env['PATH']}"}
    workdir = run_readme(example, tmp_path, env)
    hardened = (workdir / "hardened.yaml").read_text()
    pods, problems = unhardened_pods(hardened if major == 4 else non_hook_text(hardened))  # Helm 3 skips hooks
    assert pods >= 1 and problems == []
    assert " fix: " in (workdir / "hardener-report.txt").read_text()


def test_kpt_readme(tmp_path: Path, host_env: dict):
    host(hosts.kpt_binary)
    workdir = run_readme("kpt", tmp_path, host_env)
    for package in ("shop-eval", "shop-render"):
        pods, problems = unhardened_pods((workdir / package / "deployment.yaml").read_text())
        assert pods == 1 and problems == [], package


def test_kustomize_readme(tmp_path: Path, host_env: dict):
    host(hosts.kubectl_binary)
    workdir = run_readme("kustomize", tmp_path, host_env)
    pods, problems = unhardened_pods((workdir / "hardened.yaml").read_text())
    assert pods == 1 and problems == []
