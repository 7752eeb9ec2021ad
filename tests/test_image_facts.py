"""What image facts change in the output and the report: a UID that works, a safe change, or a finding instead."""

from __future__ import annotations

import json
import subprocess
import sys

from hardener.api import harden
from hardener.profile import load_profile


def pod(image: str, name: str = "app") -> str:
    return f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n  containers:\n  - name: {name}\n    image: {image}\n"


def team_profile(tmp_path, entries: str):
    path = tmp_path / "team.yaml"
    path.write_text("extends: restricted\nimages:\n" + entries)
    return load_profile(str(path))


def records(result, transform: str) -> list:
    return [r for r in result.records if r.transform == transform]


def test_a_named_user_with_a_known_uid_from_the_profile_gets_it(tmp_path):
    profile = team_profile(tmp_path, "  - {image: registry.example.com/platform/redis, user: redis, runAsUser: 999, writable: [/data], source: our Containerfile}\n")
    result = harden(pod("registry.example.com/platform/redis:7.0", "cache"), profile)
    assert "    securityContext:\n      runAsUser: 999\n" in result.output
    assert "    - {name: data, mountPath: /data}\n" in result.output
    change = next(r for r in records(result, "run-as-non-root") if r.path[-1] == "runAsUser")
    assert change.message == "Set runAsUser to 999 in container cache: image registry.example.com/platform/redis:7.0 runs as the user name 'redis', which the kubelet cannot check is not root; it works as UID 999"
    assert change.guidance.endswith("Source: our Containerfile.")


def test_a_named_user_without_a_uid_is_an_error_finding_and_runasnonroot_is_not_set(tmp_path):
    profile = team_profile(tmp_path, "  - {image: registry.example.com/platform/redis, user: redis, source: registry}\n")
    result = harden(pod("registry.example.com/platform/redis:7.0", "cache"), profile)
    assert "runAsNonRoot" not in result.output
    (finding,) = [r for r in records(result, "run-as-non-root") if r.type == "finding"]
    assert finding.is_error and "runs as the user name 'redis', which the kubelet cannot check is not root" in finding.message
    assert finding.guidance.startswith("Set runAsUser to a UID the image supports")


def test_a_numeric_user_makes_runasnonroot_safe_and_says_why():
    result = harden(pod("nginxinc/nginx-unprivileged:1.25"))
    (change,) = records(result, "run-as-non-root")
    assert (change.safety, change.guidance.split(" Source:")[0]) == (
        "safe", "Image nginxinc/nginx-unprivileged:1.25 runs as UID 101: the kubelet accepts runAsNonRoot.")
    unknown = records(harden(pod("registry.example.com/web:1")), "run-as-non-root")
    assert [(r.safety, r.guidance) for r in unknown] == [(None, None)]  # the transform's generic may-break note


def test_the_json_report_carries_the_records_own_safety_and_guidance():
    result = subprocess.run(
        [sys.executable, "-m", "hardener", "fix", "--report", "json", "-"], input=pod("nginx:1.25", "web").encode(), capture_output=True
    )
    report = json.loads(result.stderr)
    uid = next(c for c in report["changes"] if c["transform"] == "run-as-non-root" and c["path"].endswith("runAsUser"))
    assert "cannot bind port 80" in uid["guidance"] and "github.com/nginxinc/docker-nginx" in uid["guidance"]
    mounts = next(c for c in report["changes"] if c["transform"] == "read-only-root-filesystem" and c["message"].startswith("Mount"))
    assert mounts["guidance"].startswith("Image nginx:1.25 writes /var/cache/nginx, /var/run (source: https://github.com/nginxinc/")


def test_a_command_that_needs_root_is_named_where_capabilities_are_dropped():
    text = pod("registry.example.com/tools:1", "fix-perms").replace(
        "    image: registry.example.com/tools:1\n", '    image: registry.example.com/tools:1\n    command: ["sh", "-c", "chown -R 1000 /data"]\n'
    )
    (change,) = records(harden(text), "drop-all-capabilities")
    assert change.guidance.startswith("Container fix-perms runs chown, which needs a capability ALL removes (CHOWN,")
    (plain,) = records(harden(pod("registry.example.com/tools:1")), "drop-all-capabilities")
    assert plain.guidance is None
