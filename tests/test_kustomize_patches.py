"""Kustomize patches are left alone: the base, or the built output, is what gets hardened.

A real kustomize layout (a base and an overlay with strategic-merge and JSON
6902 patches) in a temporary directory, through the real command line.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hardener.api import harden

BASE = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: nginx\n"
OVERLAY = {
    "kustomization.yaml": "resources:\n- ../base\npatches:\n- path: replicas.yaml\n- path: ops.yaml\n  target: {kind: Deployment, name: web}\n- patch: |-\n    - op: add\n      path: /x\npatchesStrategicMerge:\n- env.yaml\n",
    "replicas.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n",
    "ops.yaml": "- op: replace\n  path: /spec/replicas\n  value: 2\n",
    "env.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        env: [{name: A, value: b}]\n",
    # Not listed, but patches by their content:
    "delete-sidecar.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: sidecar\n        $patch: delete\n",
    "more-ops.json": '[{"op": "add", "path": "/metadata/labels/x", "value": "y"}]\n',
}


def _layout(tmp_path: Path) -> Path:
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "deploy.yaml").write_text(BASE)
    (tmp_path / "base" / "kustomization.yaml").write_text("resources:\n- deploy.yaml\n")
    (tmp_path / "overlay").mkdir()
    for name, text in OVERLAY.items():
        (tmp_path / "overlay" / name).write_text(text)
    return tmp_path


def hardener(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hardener.cli", *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_a_walk_hardens_the_base_and_leaves_every_patch_and_kustomization_alone(tmp_path):
    root = _layout(tmp_path)
    result = hardener("fix", "-w", ".", "--report", "text", cwd=root)
    assert result.returncode == 0, result.stderr
    assert (root / "base" / "deploy.yaml").read_text() != BASE
    for name, text in OVERLAY.items():
        assert (root / "overlay" / name).read_text() == text, name
    assert (root / "base" / "kustomization.yaml").read_text() == "resources:\n- deploy.yaml\n"
    lines = {line.split(":", 1)[0]: line for line in result.stderr.splitlines() if line.startswith(("overlay/", "base/"))}
    listed = "Skipped the file: kustomize patch: harden the base or the built output (a patch overlay/kustomization.yaml lists)"
    for name in ("env.yaml", "ops.yaml", "replicas.yaml"):
        assert listed in lines[f"overlay/{name}"]
    assert "Skipped the file: kustomize patch: harden the base or the built output (a JSON 6902 patch)" in lines["overlay/more-ops.json"]
    assert "Skipped the document: kustomize patch: harden the base or the built output (it uses $patch)" in lines["overlay/delete-sidecar.yaml"]


def test_a_patch_named_on_the_command_line_is_skipped_the_same_way(tmp_path):
    root = _layout(tmp_path)
    result = hardener("fix", "-w", "overlay/env.yaml", "--report", "text", cwd=root)
    assert result.returncode == 0 and (root / "overlay" / "env.yaml").read_text() == OVERLAY["env.yaml"]
    assert "kustomize patch: harden the base or the built output (a patch overlay/kustomization.yaml lists)" in result.stderr
    printed = hardener("fix", "overlay/env.yaml", cwd=root)  # to stdout, as a filter: the bytes as they were
    assert printed.returncode == 0 and printed.stdout == OVERLAY["env.yaml"]


def test_a_strategic_merge_directive_in_a_stream_leaves_that_document_alone():
    pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: nginx\n"
    patch = OVERLAY["delete-sidecar.yaml"]
    result = harden(patch + "---\n" + pod)
    assert result.output.startswith(patch + "---\n") and "runAsNonRoot: true" in result.output
    assert [r.message for r in result.skipped] == ["Skipped the document: kustomize patch: harden the base or the built output (it uses $patch)"]
