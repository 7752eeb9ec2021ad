"""Every host honours the repository's configuration, and every host shows hardener's errors.

A scratch repository holds a ``.hardener.yaml`` that turns read-only root
filesystems off; the real Helm 3 post-renderer, the Helm 4 plugin, kpt and
kubectl kustomize run hardener in it and must all leave
``readOnlyRootFilesystem`` out while hardening the rest. (pre-commit:
test_pre_commit.py; the Action's step: tests/test_ci_integrations.py.)
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests import hosts
from tests.integration.hostrun import (
    EXAMPLES,
    VENV_BIN,
    copy_example,
    documents,
    helm4_plugins,
    helm_for,
    host,
    non_hook_text,
    run,
    unhardened_pods,
)

NO_ROOTFS = "ignore: [read-only-root-filesystem]\n"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository (``.git``, so discovery stops here) whose configuration turns read-only root filesystems off."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / ".hardener.yaml").write_text(NO_ROOTFS)
    shutil.copytree(EXAMPLES / "helm" / "shop", root / "shop")
    return root


def assert_hardened_without_rootfs(text: str, pods: int = 1) -> None:
    found, problems = unhardened_pods(text)
    assert found >= pods and problems == []
    assert "allowPrivilegeEscalation: false" in text
    assert "readOnlyRootFilesystem" not in text, "the repository's .hardener.yaml turned it off"


def test_helm3_post_renderer_honours_the_configuration(repo: Path, tmp_path: Path, host_env: dict):
    helm = str(helm_for(3, tmp_path) / "helm")
    out = run([helm, "template", "rel", "shop", "--post-renderer", "hardener", "--post-renderer-args", "fix"], host_env, cwd=repo)
    assert_hardened_without_rootfs(non_hook_text(out))  # Helm 3 does not post-render hooks


def test_helm3_post_renderer_without_a_command_says_what_to_add(repo: Path, tmp_path: Path, host_env: dict):
    helm = str(helm_for(3, tmp_path) / "helm")
    proc = subprocess.run([helm, "template", "rel", "shop", "--post-renderer", "hardener"], env=host_env, cwd=repo, capture_output=True, text=True)
    assert proc.returncode != 0 and proc.stdout == ""
    assert "--post-renderer-args fix" in proc.stderr, proc.stderr


def test_helm4_plugin_honours_the_configuration_and_errors_reach_the_report_file(repo: Path, tmp_path: Path, host_env: dict):
    helm = str(helm_for(4, tmp_path) / "helm")
    report = tmp_path / "report.txt"
    env = {**host_env, "HELM_PLUGINS": str(helm4_plugins(tmp_path)), "HARDENER_REPORT_FILE": str(report)}
    out = run([helm, "template", "rel", "shop", "--post-renderer", "hardener"], env, cwd=repo)
    assert_hardened_without_rootfs(out, pods=3)  # Helm 4 post-renders hooks too
    (repo / ".hardener.yaml").write_text("ignore: [read-only-root-fs]\n")
    proc = subprocess.run([helm, "template", "rel", "shop", "--post-renderer", "hardener"], env=env, cwd=repo, capture_output=True, text=True)
    assert proc.returncode != 0 and "kind: Deployment" not in proc.stdout
    assert ".hardener.yaml:1: ignore: unknown transform 'read-only-root-fs'" in report.read_text(), "Helm 4 hides stderr: the file says why"


def test_helm3_and_helm4_share_a_machine_when_helm4_has_its_own_data_home(repo: Path, tmp_path: Path, host_env: dict):
    """What examples/helm-plugin/README.md says: Helm 3 cannot read a v1 plugin, so Helm 4 keeps its plugins apart.

    ``helm plugin install`` (Helm 4.1) writes into ``$HELM_DATA_HOME/plugins``
    whatever ``HELM_PLUGINS`` says, so the data home is what sets them apart.
    """
    helm3, helm4 = str(helm_for(3, tmp_path) / "helm"), str(helm_for(4, tmp_path) / "helm")
    run([helm4, "plugin", "install", str(EXAMPLES / "helm-plugin")], host_env)  # the data home Helm 3 reads too
    broken = subprocess.run([helm3, "plugin", "list"], env=host_env, capture_output=True, text=True)
    assert broken.returncode != 0 and 'unknown field "apiVersion"' in broken.stderr, "why the README keeps them apart"
    run([helm4, "plugin", "uninstall", "hardener"], host_env)

    helm4_env = {**host_env, "HELM_DATA_HOME": str(tmp_path / "helm4-data")}  # the README's alias
    run([helm4, "plugin", "install", str(EXAMPLES / "helm-plugin")], helm4_env)
    listed = subprocess.run([helm3, "plugin", "list"], env=host_env, capture_output=True, text=True)
    assert listed.returncode == 0 and listed.stderr == "", listed.stderr
    three = subprocess.run([helm3, "template", "rel", "shop", "--post-renderer", "hardener", "--post-renderer-args", "fix"],
                           env=host_env, cwd=repo, capture_output=True, text=True)  # fmt: skip
    assert three.returncode == 0 and three.stderr == "", three.stderr
    assert_hardened_without_rootfs(non_hook_text(three.stdout))
    assert_hardened_without_rootfs(run([helm4, "template", "rel", "shop", "--post-renderer", "hardener"], helm4_env, cwd=repo), pods=3)


def test_kpt_krm_function_honours_the_configuration(repo: Path, tmp_path: Path, host_env: dict):
    kpt = str(host(hosts.kpt_binary))
    package = copy_example("kpt", tmp_path) / "shop"
    (package / "Kptfile").unlink()
    shutil.move(str(package), repo / "package")
    run([kpt, "fn", "eval", "package", "--exec", "hardener krm"], host_env, cwd=repo)
    assert_hardened_without_rootfs((repo / "package" / "deployment.yaml").read_text())
    assert not (repo / "package" / ".hardener.yaml").exists()


def test_kustomize_legacy_plugin_honours_the_configuration(repo: Path, tmp_path: Path, host_env: dict):
    kubectl = str(host(hosts.kubectl_binary))
    example = copy_example("kustomize", tmp_path)
    (example / "app" / "hardener.yaml").write_text("apiVersion: hardener.dev/v1alpha1\nkind: Hardener\nmetadata:\n  name: harden\n")
    env = {**host_env, "KUSTOMIZE_PLUGIN_HOME": str(example / "plugin")}
    shutil.move(str(example / "app"), repo / "app")
    out = run([kubectl, "kustomize", "--enable-alpha-plugins", "app"], env, cwd=repo)
    assert_hardened_without_rootfs(out)


def test_several_files_to_stdout_are_one_stream_kustomize_can_build(tmp_path: Path, host_env: dict):
    """`hardener fix a.yaml b.yaml > all.yaml` as a kustomization's resource: no document merges into another."""
    kubectl = str(host(hosts.kubectl_binary))
    app = tmp_path / "app"
    app.mkdir()
    (app / "a.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: v")  # no final newline
    (app / "b.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata:\n  name: b\nspec:\n  containers:\n  - name: c\n    image: i\n")
    stream = run([str(VENV_BIN / "hardener"), "fix", "a.yaml", "b.yaml"], host_env, cwd=app)
    (app / "all.yaml").write_text(stream)
    (app / "kustomization.yaml").write_text("resources:\n- all.yaml\n")
    built = run([kubectl, "kustomize", str(app)], host_env)
    assert sorted((d["kind"], d["metadata"]["name"]) for d in documents(built)) == [("ConfigMap", "a"), ("Pod", "b")]
    assert unhardened_pods(built) == (1, [])
