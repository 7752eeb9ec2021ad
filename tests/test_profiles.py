"""Profiles as a user meets them: the shipped ones, `hardener profiles`, errors, custom kinds, opt-in UIDs."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from hardener.api import harden
from hardener.errors import ProfileError
from hardener.profile import load_profile, shipped_profiles


def hardener(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hardener.cli", *args], input=stdin, capture_output=True, text=True)


def write(tmp_path, body: str, name: str = "profile.yaml") -> str:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return str(path)


def test_shipped_profiles():
    assert {"azure-baseline", "azure-restricted", "baseline", "restricted"} <= set(shipped_profiles())


def test_profiles_command_lists_every_shipped_profile():
    proc = hardener("profiles")
    assert proc.returncode == 0
    assert [line.split()[0] for line in proc.stdout.splitlines()] == shipped_profiles()


def test_profiles_show_prints_the_resolved_profile_with_azure_parameters():
    proc = hardener("profiles", "show", "azure-baseline")
    assert proc.returncode == 0, proc.stderr
    from ruamel.yaml import YAML

    shown = YAML(typ="safe").load(proc.stdout)
    assert shown["exemptions"]["namespaces"] == ["kube-system", "gatekeeper-system", "azure-arc", "azure-extensions-usage-system"]
    assert shown["transforms"]["no-host-ports"] == {"min_port": 0, "max_port": 0}
    assert "NET_RAW" in shown["transforms"]["restrict-capabilities"]["allowed"]
    assert "seccomp-runtime-default" not in shown["transforms"]  # not part of the Azure baseline initiative
    assert {"group": "argoproj.io", "kind": "Rollout", "podSpec": "spec.template.spec", "podMetadata": "spec.template.metadata"} in shown["kinds"]


def test_profiles_show_unknown_name_is_a_usage_error():
    proc = hardener("profiles", "show", "restrictd")
    assert proc.returncode == 2
    assert "unknown profile 'restrictd'" in proc.stderr


@pytest.mark.parametrize(
    "body, error",
    [
        ("transforms: {no-host-ports: {max_port: '80'}}", "transforms: no-host-ports: max_port: expected int, got '80'"),
        ("transforms: {run-as-non-root: {run_as_user: 0}}", "transforms: run-as-non-root: run_as_user: must be a non-zero UID/GID, got 0"),
        ("transforms: {no-host-path-volumes: {allowed_paths: [{pathPrefix: /var/log}]}}", "transforms: no-host-path-volumes: allowed_paths: each entry needs exactly pathPrefix and readOnly"),
        ("kinds: [{group: argoproj.io, kind: Rollout, podSpec: 'spec..template'}]", "kinds[0]: podSpec: '' is not a field name"),
        ("kinds: [{group: apps, kind: Deployment, podSpec: spec.template.spec}]", "kinds[0]: Deployment in group apps is built in"),
        ("kinds: [{kind: Rollout, podSpec: spec.template.spec}]", "kinds[0]: group: expected an API group"),
        ("transforms:\n  no-privileged: false\n  no-privileged: true", ":4:3: duplicate key 'no-privileged' (first at line 3)"),
        ("transforms: [", ":3:1: invalid YAML: did not find expected node content"),
    ],
)
def test_profile_errors_name_file_transform_and_key(tmp_path, body, error):
    path = write(tmp_path, "extends: restricted\n" + body + "\n")
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    assert str(path) in str(info.value) and error in str(info.value)


SHADOW = "root:$6$salt$hashhashhash:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (SHADOW, "not a hardener profile: 2 top-level keys unknown to profiles; allowed: "),
        ("password: hunter2\ntoken: abc\n", "not a hardener profile: 2 top-level keys unknown to profiles; allowed: "),
        ("password: hunter2\npassword: hunter3\n", ":2: not a hardener profile (it does not read as one)"),
        ("user: [hunter2\n", ":2:1: invalid YAML: did not find expected ',' or ']'"),
    ],
)
def test_a_profile_extending_a_file_that_is_no_profile_names_the_file_and_not_its_content(tmp_path, content, problem):
    secret = tmp_path / "secret"
    secret.write_text(content)
    path = write(tmp_path, f"extends: {secret}\n")
    result = hardener("fix", "--profile", path, "-", stdin="apiVersion: v1\nkind: Pod\n")
    assert result.returncode == 2 and result.stdout == ""
    assert f"{secret}{problem}" in result.stderr or f"{secret}: {problem}" in result.stderr
    message = result.stderr.replace(str(tmp_path), "")
    for word in ("hash", "hunter", "root", "daemon", "password", "token", "user"):
        assert word not in message


def test_a_file_given_as_the_profile_is_not_echoed_either(tmp_path):
    secret = tmp_path / "secret.yaml"
    secret.write_text(SHADOW)
    with pytest.raises(ProfileError) as info:
        load_profile(str(secret))
    assert str(info.value).startswith(f"{secret}: not a hardener profile: 2 top-level keys unknown to profiles; allowed: description, ")
    assert "root" not in str(info.value).replace(str(tmp_path), "")


def test_opt_in_numeric_uid_and_gid_are_marked_may_break(tmp_path):
    path = write(tmp_path, "extends: restricted\ntransforms:\n  run-as-non-root: {run_as_user: 65532, run_as_group: 65532}\n")
    text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: web\n    image: nginx\n"
    result = harden(text, path)
    assert "    runAsUser: 65532\n    runAsGroup: 65532\n" in result.output
    assert any(r.message.startswith("Set runAsUser to 65532 on the pod (may break:") for r in result.changes)


CUSTOM = """\
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata:
  name: checks
spec:
  metrics:
  - name: smoke
    provider:
      job:
        spec:
          template:
            spec:
              containers:
              - name: smoke
                image: curl
                securityContext:
                  privileged: true
              restartPolicy: Never
  - name: web
    provider:
      web: {url: "http://example.com"}
"""


def test_declared_kind_with_a_list_wildcard_is_hardened_where_it_has_a_pod_spec():
    result = harden(CUSTOM, load_profile("baseline").with_unsafe_fixes(True))
    assert [r.message for r in result.changes] == ["Set privileged to false in container smoke (it was explicitly true)"]
    assert result.changes[0].line == 17


def test_a_kind_of_another_group_is_not_a_declared_kind():
    text = CUSTOM.replace("argoproj.io/v1alpha1", "example.com/v1")
    assert not harden(text, "baseline").changed


def test_user_profile_declares_its_own_kind(tmp_path):
    path = write(tmp_path, """\
        extends: baseline
        kinds:
        - apiVersion: example.com/v1
          kind: Runner
          podSpec: spec.pod
    """)
    text = "apiVersion: example.com/v1\nkind: Runner\nmetadata: {name: r}\nspec:\n  pod:\n    hostPID: true\n    containers: [{name: r, image: r}]\n"
    assert "    hostPID: false\n" in harden(text, load_profile(path).with_unsafe_fixes(True)).output


def test_baseline_leaves_restricted_only_settings_and_restricted_sets_them():
    text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  hostIPC: true\n  containers:\n  - name: web\n    image: nginx\n"
    baseline = harden(text, load_profile("baseline").with_unsafe_fixes(True))
    assert baseline.output == text.replace("hostIPC: true", "hostIPC: false")
    restricted = harden(text, "restricted")
    assert "runAsNonRoot: true" in restricted.output and "allowPrivilegeEscalation: false" in restricted.output


def test_the_readme_profile_example_loads(tmp_path):
    import re
    from pathlib import Path

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    examples = [block for block in re.findall(r"```yaml\n(.*?)```", readme, re.DOTALL) if block.startswith("extends:")]
    assert examples
    for index, block in enumerate(examples):
        profile = load_profile(write(tmp_path, block, f"readme-{index}.yaml"))
        assert profile.transforms
