"""Each place podman is not a kubelet, closed: the harness's verdicts in a real runtime.

Every test plays a small manifest with one of the harness's probe images (busybox; USER unset,
numeric 65532, or the name ``app``) and asserts what a kubelet would do with it.
"""

from __future__ import annotations

import pytest

from tests.runtime.harness import play

ROOT = "localhost/hardener-test/probe:root"
UID_65532 = "localhost/hardener-test/probe:uid-65532"
NAMED_USER = "localhost/hardener-test/probe:named-user"

pytestmark = pytest.mark.usefixtures("runtime")


def pod(
    image: str, command: str, *, pod_security: str = "{}", security: str = "{}", extra: str = "", restart: str = "Never"
) -> str:
    """A Pod manifest with one container named ``probe`` running ``sh -c COMMAND``."""
    return f"""\
apiVersion: v1
kind: Pod
metadata:
  name: probe
spec:
  restartPolicy: {restart}
  securityContext: {pod_security}
  containers:
  - name: probe
    image: {image}
    command: ["sh", "-c", {command!r}]
    securityContext: {security}
{extra}"""


def test_a_root_image_with_run_as_non_root_is_refused():
    verdict = play(pod(ROOT, "id", pod_security="{runAsNonRoot: true}"))
    assert (verdict.outcome, verdict.cause, verdict.container) == ("refused", "runs-as-root", "probe")
    assert verdict.message.startswith("container has runAsNonRoot and image will run as root"), verdict
    # the same pod without runAsNonRoot runs, as root
    verdict = play(pod(ROOT, "id -u"))
    assert verdict.started and verdict.logs == ("0",), verdict


def test_a_numeric_user_image_with_run_as_non_root_starts():
    verdict = play(pod(UID_65532, "id -u", pod_security="{runAsNonRoot: true}"))
    assert verdict.started and verdict.logs == ("65532",), verdict


def test_a_named_user_image_with_run_as_non_root_is_refused_unless_run_as_user_is_numeric():
    verdict = play(pod(NAMED_USER, "id -u", pod_security="{runAsNonRoot: true}"))
    assert (verdict.outcome, verdict.cause) == ("refused", "non-numeric-user"), verdict
    assert "image has non-numeric user (app), cannot verify user is non-root" in verdict.message
    verdict = play(pod(NAMED_USER, "id -u", pod_security="{runAsNonRoot: true, runAsUser: 1000}"))
    assert verdict.started and verdict.logs == ("1000",), verdict


def test_run_as_user_zero_with_run_as_non_root_is_refused():
    verdict = play(pod(UID_65532, "id -u", pod_security="{runAsNonRoot: true}", security="{runAsUser: 0}"))
    assert (verdict.outcome, verdict.cause) == ("refused", "runs-as-root"), verdict
    assert verdict.message.startswith("container's runAsUser breaks non-root policy"), verdict


def test_a_write_to_a_read_only_root_crashes():
    verdict = play(pod(UID_65532, "echo starting; touch /tmp/cache", security="{readOnlyRootFilesystem: true}"))
    assert (verdict.outcome, verdict.cause, verdict.exit_code) == ("crashed", "read-only-filesystem", 1), verdict
    assert verdict.logs == ("starting", "touch: /tmp/cache: Read-only file system"), verdict


EMPTY_DIR_OVER_IMAGE_DIRECTORY = """\
    volumeMounts:
    - {name: scratch, mountPath: /data}
  volumes:
  - {name: scratch, emptyDir: {}}
"""


def test_an_empty_dir_is_empty_and_writable_by_a_non_root_user():
    # podman alone would copy the image's /data (a file, root-owned, 0755) into the volume: not
    # empty, and not writable by uid 65532
    verdict = play(
        pod(UID_65532, "ls -A /data; touch /data/written && echo wrote", extra=EMPTY_DIR_OVER_IMAGE_DIRECTORY)
    )
    assert verdict.started and verdict.logs == ("wrote",), verdict


def test_seccomp_unset_runs_unconfined_and_runtime_default_is_filtered():
    show = "grep '^Seccomp:' /proc/self/status"
    assert play(pod(UID_65532, show)).logs == ("Seccomp:\t0",)  # a kubelet's default: Unconfined
    runtime_default = "{seccompProfile: {type: RuntimeDefault}}"
    assert play(pod(UID_65532, show, pod_security=runtime_default)).logs == ("Seccomp:\t2",)
    assert play(pod(UID_65532, show, security=runtime_default)).logs == ("Seccomp:\t2",)


def test_a_deployment_plays_one_replica_with_its_pod_templates_seccomp_profile():
    # three replicas with containerPort 8080 would clash on the host under podman alone
    verdict = play(f"""\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: replicas}}
spec:
  replicas: 3
  selector: {{matchLabels: {{app: replicas}}}}
  template:
    metadata: {{labels: {{app: replicas}}}}
    spec:
      securityContext: {{seccompProfile: {{type: RuntimeDefault}}}}
      containers:
      - name: httpd
        image: {UID_65532}
        imagePullPolicy: Always
        command: ["sh", "-c", "grep '^Seccomp:' /proc/self/status; exec httpd -f -p 8080"]
        ports: [{{containerPort: 8080}}]
""")
    assert verdict.started and verdict.logs == ("Seccomp:\t2",), verdict
    assert (verdict.kind, verdict.name) == ("Deployment", "replicas")


def test_a_crash_loop_is_a_crash_with_its_exit_code_and_last_log_lines():
    verdict = play(pod(UID_65532, "echo giving up; exit 3", restart="Always"))
    assert (verdict.outcome, verdict.exit_code, verdict.cause) == ("crashed", 3, "other"), verdict
    assert verdict.logs[-1] == "giving up", verdict


def test_a_job_runs_to_completion_or_fails_with_its_exit_code():
    job = """\
apiVersion: batch/v1
kind: Job
metadata: {{name: once}}
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - {{name: step, image: "{image}", command: ["sh", "-c", "{command}"]}}
"""
    done = play(job.format(image=UID_65532, command="echo done"))
    assert (done.outcome, done.kind, done.message, done.logs) == ("started", "Job", "ran to completion", ("done",)), (
        done
    )
    failed = play(job.format(image=UID_65532, command="exit 2"))
    assert (failed.outcome, failed.exit_code) == ("crashed", 2), failed


def test_binding_a_low_port_as_non_root_is_denied():
    verdict = play(pod(UID_65532, "exec httpd -f -p 80", restart="Always"))
    assert (verdict.outcome, verdict.cause) == ("crashed", "bind-permission-denied"), verdict
