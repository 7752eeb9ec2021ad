"""The command line as a user meets it: bytes in, bytes out, exit codes, messages."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

POD = b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: web\n    image: registry.example.com/web:1\n"
HARDENED_POD = (
    b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: web\n    image: registry.example.com/web:1\n"
    b"    securityContext:\n      allowPrivilegeEscalation: false\n      readOnlyRootFilesystem: true\n"
    b"      capabilities:\n        drop:\n        - ALL\n"
    b"    volumeMounts:\n    - {name: tmp, mountPath: /tmp}\n"
    b"  securityContext:\n    runAsNonRoot: true\n    seccompProfile:\n      type: RuntimeDefault\n"
    b"  volumes:\n  - {name: tmp, emptyDir: {}}\n"
    b"  automountServiceAccountToken: false\n"
)
BROKEN = b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: 'web\n"


def hardener(*args: str, stdin: bytes = b"", cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hardener.cli", *args], input=stdin, capture_output=True, cwd=cwd)


def test_filter_reads_stdin_and_writes_only_the_stream():
    result = hardener("fix", stdin=POD)
    assert (result.returncode, result.stdout, result.stderr) == (0, HARDENED_POD, b"")


def test_dash_means_stdin():
    assert hardener("fix", "-", stdin=POD).stdout == HARDENED_POD


def test_empty_stdin_gives_empty_output():
    result = hardener("fix", stdin=b"")
    assert (result.returncode, result.stdout) == (0, b"")


def test_file_argument_prints_the_hardened_content_and_writes_nothing(tmp_path):
    path = tmp_path / "pod.yaml"
    path.write_bytes(POD)
    result = hardener("fix", str(path))
    assert (result.returncode, result.stdout) == (0, HARDENED_POD)
    assert path.read_bytes() == POD


def test_check_exits_1_and_says_what_would_change(tmp_path):
    path = tmp_path / "pod.yaml"
    path.write_bytes(POD)
    result = hardener("check", str(path))
    assert result.returncode == 1
    assert f"would harden {path} (8 changes)".encode() in result.stderr
    assert f"{path}:7:5: no-privilege-escalation fix: Set allowPrivilegeEscalation to false in container web (Pod web)\n".encode() in result.stdout
    assert path.read_bytes() == POD
    assert hardener("fix", "--check", str(path)).returncode == 1


def test_check_exits_0_when_already_hardened(tmp_path):
    path = tmp_path / "pod.yaml"
    path.write_bytes(HARDENED_POD)
    result = hardener("check", str(path))
    assert (result.returncode, result.stderr) == (0, b"")


def test_write_rewrites_in_place_keeps_the_mode_and_is_idempotent(tmp_path):
    path = tmp_path / "pod.yaml"
    path.write_bytes(POD)
    path.chmod(0o640)
    result = hardener("fix", "-w", str(path))
    assert result.returncode == 0
    assert path.read_bytes() == HARDENED_POD
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert b"hardened" in result.stderr
    assert sorted(os.listdir(tmp_path)) == ["pod.yaml"]  # no temporary file left behind
    again = hardener("fix", "-w", str(path))
    assert (again.returncode, again.stderr) == (0, b"")


def test_write_refuses_stdin():
    result = hardener("fix", "-w", stdin=POD)
    assert result.returncode == 2
    assert b"--write needs file paths" in result.stderr


def test_diff_is_a_unified_diff_of_the_edits(tmp_path):
    (tmp_path / "pod.yaml").write_bytes(POD)
    result = hardener("fix", "--diff", "pod.yaml", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.startswith(b"--- a/pod.yaml\n+++ b/pod.yaml\n@@ -6,3 +6,18 @@\n")
    assert b"+      allowPrivilegeEscalation: false\n" in result.stdout
    assert (tmp_path / "pod.yaml").read_bytes() == POD


def test_invalid_yaml_names_file_document_and_line_and_emits_nothing():
    stream = b"apiVersion: v1\nkind: ConfigMap\n---\n" + BROKEN
    result = hardener("fix", stdin=stream)
    assert result.returncode == 2
    assert result.stdout == b""
    message = result.stderr.decode()
    assert message.startswith("error: <stdin>:")
    assert "(document 1)" in message and "invalid YAML" in message
    line = int(message.split(":")[2])
    assert 10 <= line <= 12, message


def test_one_bad_file_does_not_stop_the_others_and_is_left_untouched(tmp_path):
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_bytes(POD)
    bad.write_bytes(BROKEN)
    result = hardener("fix", "-w", str(bad), str(good))
    assert result.returncode == 2
    assert good.read_bytes() == HARDENED_POD
    assert bad.read_bytes() == BROKEN
    assert str(bad).encode() in result.stderr


def test_missing_file_is_a_clear_error():
    result = hardener("fix", "no-such-file.yaml")
    assert result.returncode == 2
    assert result.stderr == b"error: no-such-file.yaml: no such file\n"


def test_unrendered_template_passes_through_byte_for_byte():
    template = b"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  replicas: {{ .Values.replicas }}\n"
    result = hardener("fix", stdin=template)
    assert (result.returncode, result.stdout) == (0, template)


def test_unknown_profile_lists_the_shipped_ones():
    result = hardener("fix", "--profile", "nope", stdin=POD)
    assert result.returncode == 2
    assert b"unknown profile 'nope'" in result.stderr and b"restricted" in result.stderr


def test_user_profile_extends_restricted_and_turns_a_transform_off(tmp_path):
    profile = tmp_path / "mine.yaml"
    profile.write_text("extends: restricted\ntransforms:\n  read-only-root-filesystem: false\n")
    result = hardener("fix", "--profile", str(profile), stdin=POD)
    assert result.returncode == 0
    assert b"readOnlyRootFilesystem" not in result.stdout
    assert b"allowPrivilegeEscalation: false" in result.stdout


@pytest.mark.parametrize(
    ("profile_text", "message"),
    [
        ("extends: restricted\ntransforms:\n  automount-service-account-token:\n    overide_explicit: true\n",
         "transforms: automount-service-account-token: unknown parameter 'overide_explicit'"),
        ("extends: restricted\ntransforms:\n  automount-service-account-token:\n    service_accounts: maybe\n",
         "transforms: automount-service-account-token: service_accounts: expected bool, got 'maybe'"),
        ("extends: restricted\ntransforms:\n  automount-service-account-token:\n    override_explicit: true\n",
         "override_explicit was replaced by the profile key 'unsafe-fixes: [automount-service-account-token]'"),
        ("extends: restricted\nunsafe-fixes: [no-such-transform]\n", "unsafe-fixes: unknown transform 'no-such-transform'"),
        ("extends: restricted\nunsafe-fixes: yes please\n", "unsafe-fixes: expected true, false or a list of transform ids"),
        ("extends: restricted\ntransforms:\n  run-as-root: {}\n", "unknown transform 'run-as-root'"),
        ("extends: mine.yaml\n", "'extends' loops back"),
        ("transformz: {}\n", "unknown key transformz"),
    ],
)
def test_bad_profiles_are_errors_naming_file_transform_and_key(tmp_path, profile_text, message):
    profile = tmp_path / "mine.yaml"
    profile.write_text(profile_text)
    result = hardener("fix", "--profile", str(profile), stdin=POD)
    assert result.returncode == 2
    assert result.stdout == b""
    assert str(profile).encode() in result.stderr
    assert message.encode() in result.stderr


def test_conflicting_modes_are_a_usage_error():
    result = hardener("fix", "--write", "--diff", "x.yaml")
    assert result.returncode == 2
    assert b"choose one" in result.stderr


def test_unknown_option_is_a_usage_error():
    result = hardener("fix", "--frobnicate", stdin=POD)
    assert result.returncode == 2
    assert b"No such option" in result.stderr
