"""The gate and unsafe fixes, as a user meets them: exit codes, what is written, what is said.

A fix run fails while a workload still violates the profile (an error finding); a check also
fails when anything would change; ``--fail-on`` moves the line. Values the author wrote are
decisions: overriding one is an unsafe fix, applied only when asked.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from hardener.api import harden
from hardener.cli import app
from hardener.gate import FAIL_ON_LEVELS, Tally, failure
from hardener.model import ERROR, FINDING, WARNING, Record
from hardener.profile import load_profile

DOCKER_SOCKET = """\
apiVersion: v1
kind: Pod
metadata:
  name: builder
spec:
  automountServiceAccountToken: false
  securityContext:
    runAsNonRoot: true
    seccompProfile:
      type: RuntimeDefault
  containers:
  - name: builder
    image: docker:27
    securityContext:
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      capabilities:
        drop: [ALL]
    volumeMounts:
    - name: docker
      mountPath: /var/run/docker.sock
  volumes:
  - name: docker
    hostPath:
      path: /var/run/docker.sock
"""

AGENT = """\
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  template:
    spec:
      hostNetwork: true
      containers:
      - name: agent
        image: agent:1
        securityContext:
          privileged: true
"""

PLAIN = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: web\n    image: web:1\n"


def cli(*args: str, stdin: str = ""):
    result = CliRunner().invoke(app, list(args), input=stdin.encode())
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout_bytes.decode(), result.stderr_bytes.decode()


def test_check_fails_on_a_hardened_pod_that_mounts_the_docker_socket():
    code, out, err = cli("check", "-", stdin=DOCKER_SOCKET)
    assert code == 1
    assert "would harden" not in err  # nothing to change: the finding alone fails it
    assert "<stdin>:24:5: restricted-volume-types error: Volume docker uses hostPath" in out  # check's line, at its volume
    assert err == "hardener: failed (--fail-on changes): 1 error finding (the profile is not met)\n"
    assert cli("check", "--exit-zero", "-", stdin=DOCKER_SOCKET)[0] == 0


def test_an_explicit_privileged_container_is_kept_and_fails_the_fix():
    code, out, err = cli("fix", "-", stdin=AGENT)
    assert code == 1
    assert "privileged: true" in out and "hostNetwork: true" in out  # written all the same, values kept
    assert "allowPrivilegeEscalation" not in out  # impossible next to privileged: true, and reported
    assert "<stdin>:13:11: no-privileged error: Set privileged to false in container agent (it was explicitly true): " in err
    assert "rerun with --unsafe-fixes or exempt it" in err
    assert "<stdin>:8:7: no-host-namespaces error: Set hostNetwork to false on the pod (it was explicitly true)" in err


def test_unsafe_fixes_override_explicit_values_and_say_so():
    code, out, err = cli("fix", "--unsafe-fixes", "--report", "json", "-", stdin=AGENT)
    assert code == 0, err
    assert "privileged: false" in out and "hostNetwork: false" in out and "allowPrivilegeEscalation: false" in out
    report = json.loads(err)
    unsafe = {c["transform"] for c in report["changes"] if c["unsafe_fix"]}
    assert unsafe == {"no-privileged", "no-host-namespaces"}
    assert [f["severity"] for f in report["findings"]] == ["warning"]  # only advice is left (its own account)
    assert report["summary"]["error_findings"] == 0


def test_a_profile_lists_the_transforms_whose_unsafe_fixes_it_wants(tmp_path):
    profile = tmp_path / "p.yaml"
    profile.write_text("extends: restricted\nunsafe-fixes: [no-privileged]\n")
    result = harden(AGENT, load_profile(str(profile)))
    assert "privileged: false" in result.output and "hostNetwork: true" in result.output
    withheld = [r for r in result.findings if r.unsafe_fix]
    assert [(r.transform, r.before, r.after, r.severity) for r in withheld] == [("no-host-namespaces", True, False, ERROR)]
    code, out, _ = cli("fix", "--profile", str(profile), "--no-unsafe-fixes", "-", stdin=AGENT)
    assert (code, "privileged: true" in out) == (1, True)  # the command line wins over the profile


def test_the_azure_profiles_apply_unsafe_fixes():
    assert load_profile("azure-restricted").unsafe_fixes >= {"no-privileged", "no-host-namespaces"}
    result = harden(AGENT, "azure-baseline")
    assert "privileged: false" in result.output and not [r for r in result.findings if r.is_error]
    assert "unsafe-fixes: true" in cli("profiles", "show", "azure-baseline")[1]
    assert "unsafe-fixes: false" in cli("profiles", "show", "restricted")[1]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["fix"], 0),  # only fills: nothing left unmet
        (["fix", "--fail-on", "changes"], 1),
        (["fix", "--fail-on", "may-break"], 1),  # run-as-non-root and friends may break the app
        (["fix", "--fail-on", "never"], 0),
        (["check"], 1),
        (["check", "--fail-on", "errors"], 0),
        (["check", "--exit-zero"], 0),
    ],
)
def test_fail_on_levels_on_a_pod_that_only_needs_fills(args, expected):
    code, _, err = cli(*args, "-", stdin=PLAIN)
    assert code == expected, err


def test_warnings_fail_only_the_findings_level():
    text = PLAIN.replace("    image: web:1\n", "    image: web:1\n    securityContex: {}\n")  # misspelled: a warning
    hardened = harden(text).output
    assert [r.severity for r in harden(hardened).findings] == [WARNING, WARNING]  # and the default-account advice
    assert cli("check", "-", stdin=hardened)[0] == 0
    code, _, err = cli("check", "--fail-on", "findings", "-", stdin=hardened)
    assert code == 1 and err.endswith("hardener: failed (--fail-on findings): 2 warnings\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fail-on", "sometimes"], "error: unknown --fail-on level 'sometimes'; choose from findings, changes, may-break, errors, never"),
        (["--fail-on", "changes", "--exit-zero"], "error: --exit-zero and --fail-on contradict each other; give one"),
    ],
)
def test_bad_gate_options_are_usage_errors_before_anything_is_read(args, message):
    code, out, err = cli("fix", *args, "-", stdin=PLAIN)
    assert (code, out, err) == (2, "", message + "\n")


def test_the_levels_nest():
    """Each level fails on everything the next one fails on: the order in FAIL_ON_LEVELS is strictness."""
    cases = [Tally(errors=1), Tally(changes=1, may_break=1), Tally(changes=1), Tally(warnings=1), Tally()]
    failing = [{i for i, tally in enumerate(cases) if failure(level, tally)} for level in FAIL_ON_LEVELS]
    assert failing == [{0, 1, 2, 3}, {0, 1, 2}, {0, 1}, {0}, set()]


def test_a_finding_without_a_severity_is_an_error():
    assert Record(FINDING, "x", "m").severity == ERROR
    assert Record("change", "x", "m").severity is None
