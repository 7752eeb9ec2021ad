"""Real kpt runs ``hardener krm``; real kubectl kustomize runs the legacy exec transformer."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from ruamel.yaml import YAML

from tests import hosts
from tests.integration.hostrun import comments, copy_example, host, run, unhardened_pods
from tests.psa import pod_specs

PACKAGE_FILES = ("deployment.yaml", "cronjob.yaml")


def read(package: Path) -> dict[str, str]:
    return {name: (package / name).read_text() for name in sorted(p.name for p in package.iterdir())}


def assert_hardened_in_place(before: dict[str, str], after: dict[str, str]) -> None:
    assert before.keys() == after.keys(), "no file added or removed"
    for name in PACKAGE_FILES:
        pods, problems = unhardened_pods(after[name])
        assert pods >= 1 and problems == [], name
        assert unhardened_pods(before[name])[1], f"{name} had something to fix"
        assert not Counter(comments(before[name])) - Counter(comments(after[name])), f"a comment was lost in {name}"


def test_kpt_fn_eval_exec(tmp_path: Path, host_env: dict):
    kpt = str(host(hosts.kpt_binary))
    package = copy_example("kpt", tmp_path) / "shop"
    (package / "Kptfile").unlink()  # eval needs no pipeline; hardener.yaml becomes a plain (local-config) item
    before = read(package)
    run([kpt, "fn", "eval", str(package), "--exec", "hardener krm", "--", "profile=restricted"], host_env)
    after = read(package)
    assert_hardened_in_place(before, after)
    assert "readOnlyRootFilesystem: true" in after["deployment.yaml"], "the restricted profile, from the ConfigMap"
    run([kpt, "fn", "eval", str(package), "--exec", "hardener krm"], host_env)
    assert read(package) == after, "a second run changes nothing"


def test_kpt_fn_render_allow_exec(tmp_path: Path, host_env: dict):
    kpt = str(host(hosts.kpt_binary))
    package = copy_example("kpt", tmp_path) / "shop"
    before = read(package)
    run([kpt, "fn", "render", str(package), "--allow-exec"], host_env)
    after = read(package)
    assert_hardened_in_place(before, after)
    assert "readOnlyRootFilesystem" not in after["deployment.yaml"], "hardener.yaml turned it off"
    run([kpt, "fn", "render", str(package), "--allow-exec"], host_env)
    assert read(package) == after, "a second run changes nothing"


def test_kpt_reports_a_bad_function_config_and_writes_nothing(tmp_path: Path, host_env: dict):
    import subprocess

    kpt = str(host(hosts.kpt_binary))
    package = copy_example("kpt", tmp_path) / "shop"
    config = package / "hardener.yaml"
    config.write_text(config.read_text().replace("profile: restricted", "profile: no-such-profile"))
    before = read(package)
    proc = subprocess.run([kpt, "fn", "render", str(package), "--allow-exec"], env=host_env, capture_output=True)
    assert proc.returncode != 0
    assert "unknown profile 'no-such-profile'" in proc.stdout.decode() + proc.stderr.decode()
    assert read(package) == before


def test_kubectl_kustomize_runs_the_legacy_exec_transformer(tmp_path: Path, host_env: dict):
    kubectl = str(host(hosts.kubectl_binary))
    example = copy_example("kustomize", tmp_path)
    env = {**host_env, "KUSTOMIZE_PLUGIN_HOME": str(example / "plugin")}
    assert unhardened_pods((example / "app" / "deployment.yaml").read_text())[1], "the app had something to fix"
    out = run([kubectl, "kustomize", "--enable-alpha-plugins", str(example / "app")], env)
    pods, problems = unhardened_pods(out)
    assert pods == 1 and problems == []
    assert "readOnlyRootFilesystem: true" in out


def test_kpt_writes_added_service_accounts_beside_their_workloads(tmp_path: Path, host_env: dict):
    kpt = str(host(hosts.kpt_binary))
    package = copy_example("kpt", tmp_path) / "shop"
    (package / "Kptfile").unlink()
    before = read(package)
    run([kpt, "fn", "eval", str(package), "--exec", "hardener krm", "--", "profile=restricted-service-accounts"], host_env)
    after = read(package)
    assert before.keys() == after.keys(), "new objects go into the workload's own file"
    for name in PACKAGE_FILES:
        documents = [d for d in YAML(typ="safe").load_all(after[name]) if d]
        accounts = {d["metadata"]["name"] for d in documents if d["kind"] == "ServiceAccount"}
        specs = [spec for d in documents for _meta, spec in pod_specs(d)]
        assert specs, name
        for spec in specs:
            assert spec["serviceAccountName"] in accounts, f"{name}: the account exists beside its workload"
        assert not Counter(comments(before[name])) - Counter(comments(after[name])), f"a comment was lost in {name}"
    run([kpt, "fn", "eval", str(package), "--exec", "hardener krm", "--", "profile=restricted-service-accounts"], host_env)
    assert read(package) == after, "a second run adds nothing"


SHARED_ANCHOR = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: NAME
  labels: &labels
    app: NAME
spec:
  selector:
    matchLabels: *labels
  template:
    metadata:
      labels: *labels
    spec:
      hostNetwork: on
      containers:
      - name: NAME
        image: nginx
"""


def test_kpt_runs_a_package_whose_files_share_an_anchor_name(tmp_path: Path, host_env: dict):
    """kpt hands the function one ResourceList with &labels defined twice: legal YAML, the latest binds.

    ``hostNetwork: on`` is true to kubectl: an explicit value, so the function fails on it until
    unsafe fixes are allowed, and then turns it off.
    """
    import subprocess

    kpt = str(host(hosts.kpt_binary))
    package = tmp_path / "pkg"
    package.mkdir()
    for name in ("web", "api"):
        (package / f"{name}.yaml").write_text(SHARED_ANCHOR.replace("NAME", name))
    before = read(package)
    refused = subprocess.run([kpt, "fn", "eval", str(package), "--exec", "hardener krm"], env=host_env, capture_output=True)
    assert refused.returncode != 0 and b"Set hostNetwork to false on the pod (it was explicitly true): not applied" in refused.stderr
    assert read(package) == before
    profile = tmp_path / "unsafe.yaml"
    profile.write_text("extends: restricted\nunsafe-fixes: true\n")
    run([kpt, "fn", "eval", str(package), "--exec", "hardener krm", "--", f"profile={profile}"], host_env)
    after = read(package)
    for name in ("web", "api"):
        text = after[f"{name}.yaml"]
        assert "labels: &labels\n" in text and text.count("*labels") == 2, "the anchors stay as written"
        assert "hostNetwork: false" in text and "runAsNonRoot: true" in text
        assert YAML(typ="safe").load(text)["spec"]["template"]["metadata"]["labels"] == {"app": name}
    run([kpt, "fn", "eval", str(package), "--exec", "hardener krm", "--", f"profile={profile}"], host_env)
    assert read(package) == after, "a second run changes nothing"
