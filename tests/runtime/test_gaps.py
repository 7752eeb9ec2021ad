"""Each place podman is not a kubelet, closed: the harness's verdicts in a real runtime.

Every test names a small manifest (``case(...)``, right above it) played with one of the
harness's probe images (busybox; USER unset, numeric 65532, or the name ``app``) and asserts
what a kubelet would do with it. The module's cases are played once, several at once.
"""

from __future__ import annotations

import pytest

from tests.runtime.harness import play_all
from tests.runtime.verdict import Verdict

ROOT = "localhost/hardener-test/probe:root"
UID_65532 = "localhost/hardener-test/probe:uid-65532"
NAMED_USER = "localhost/hardener-test/probe:named-user"

CASES: dict[str, str] = {}


def case(name: str, manifest: str) -> str:
    """Register a manifest for this module's plays; its name is the key of its verdict."""
    assert name not in CASES, name
    CASES[name] = manifest
    return name


@pytest.fixture(scope="module")
def played(runtime) -> dict[str, Verdict]:
    return play_all(CASES)


def pod(image: str, command: str, *, pod_security="{}", security="{}", extra="", restart="Never") -> str:
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


ROOT_NON_ROOT = case("root image, runAsNonRoot", pod(ROOT, "id -u", pod_security="{runAsNonRoot: true}"))
ROOT_AS_WRITTEN = case("root image", pod(ROOT, "id -u"))


def test_a_root_image_with_run_as_non_root_is_refused(played):
    verdict = played[ROOT_NON_ROOT]
    assert (verdict.outcome, verdict.cause, verdict.container) == ("refused", "runs-as-root", "probe"), verdict
    assert verdict.message.startswith("container has runAsNonRoot and image will run as root"), verdict
    # podman alone runs it, as root, and so does a kubelet without runAsNonRoot
    assert played[ROOT_AS_WRITTEN].started and played[ROOT_AS_WRITTEN].logs == ("0",), played[ROOT_AS_WRITTEN]


NUMERIC_NON_ROOT = case(
    "numeric image user, runAsNonRoot", pod(UID_65532, "id -u", pod_security="{runAsNonRoot: true}")
)


def test_a_numeric_user_image_with_run_as_non_root_starts(played):
    verdict = played[NUMERIC_NON_ROOT]
    assert verdict.started and verdict.logs == ("65532",), verdict


NAMED_NON_ROOT = case("named image user, runAsNonRoot", pod(NAMED_USER, "id -u", pod_security="{runAsNonRoot: true}"))
NAMED_RUN_AS_USER = case(
    "named image user, runAsNonRoot, runAsUser",
    pod(NAMED_USER, "id -u", pod_security="{runAsNonRoot: true, runAsUser: 1000}"),
)


def test_a_named_user_image_with_run_as_non_root_is_refused_unless_run_as_user_is_numeric(played):
    verdict = played[NAMED_NON_ROOT]
    assert (verdict.outcome, verdict.cause) == ("refused", "non-numeric-user"), verdict
    assert "image has non-numeric user (app), cannot verify user is non-root" in verdict.message
    verdict = played[NAMED_RUN_AS_USER]
    assert verdict.started and verdict.logs == ("1000",), verdict


RUN_AS_ZERO = case(
    "runAsNonRoot, runAsUser 0",
    pod(UID_65532, "id -u", pod_security="{runAsNonRoot: true}", security="{runAsUser: 0}"),
)


def test_run_as_user_zero_with_run_as_non_root_is_refused(played):
    verdict = played[RUN_AS_ZERO]
    assert (verdict.outcome, verdict.cause) == ("refused", "runs-as-root"), verdict
    assert verdict.message.startswith("container's runAsUser breaks non-root policy"), verdict


READ_ONLY_WRITE = case(
    "write to a read-only root",
    pod(UID_65532, "echo starting; touch /tmp/cache", security="{readOnlyRootFilesystem: true}"),
)


def test_a_write_to_a_read_only_root_crashes(played):
    verdict = played[READ_ONLY_WRITE]
    assert (verdict.outcome, verdict.cause, verdict.exit_code) == ("crashed", "read-only-filesystem", 1), verdict
    assert verdict.logs == ("starting", "touch: /tmp/cache: Read-only file system"), verdict


EMPTY_DIR = case(
    "emptyDir over an image directory",
    pod(
        UID_65532,
        "ls -A /data; touch /data/written && echo wrote",
        extra="""\
    volumeMounts:
    - {name: scratch, mountPath: /data}
  volumes:
  - {name: scratch, emptyDir: {}}
""",
    ),
)


def test_an_empty_dir_is_empty_and_writable_by_a_non_root_user(played):
    # podman alone would copy the image's /data (a file, root-owned, 0755) into the volume: not
    # empty, and not writable by uid 65532
    verdict = played[EMPTY_DIR]
    assert verdict.started and verdict.logs == ("wrote",), verdict


SHOW_SECCOMP = "grep '^Seccomp:' /proc/self/status"
RUNTIME_DEFAULT = "{seccompProfile: {type: RuntimeDefault}}"
SECCOMP_UNSET = case("seccomp unset", pod(UID_65532, SHOW_SECCOMP))
SECCOMP_POD = case("seccomp RuntimeDefault on the pod", pod(UID_65532, SHOW_SECCOMP, pod_security=RUNTIME_DEFAULT))
SECCOMP_CONTAINER = case(
    "seccomp RuntimeDefault on the container", pod(UID_65532, SHOW_SECCOMP, security=RUNTIME_DEFAULT)
)


def test_seccomp_unset_runs_unconfined_and_runtime_default_is_filtered(played):
    assert played[SECCOMP_UNSET].logs == ("Seccomp:\t0",), played[SECCOMP_UNSET]  # a kubelet's default: Unconfined
    assert played[SECCOMP_POD].logs == ("Seccomp:\t2",), played[SECCOMP_POD]
    assert played[SECCOMP_CONTAINER].logs == ("Seccomp:\t2",), played[SECCOMP_CONTAINER]


DEPLOYMENT = case(
    "deployment, 3 replicas",
    f"""\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: replicas}}
spec:
  replicas: 3
  selector: {{matchLabels: {{app: replicas}}}}
  template:
    metadata: {{labels: {{app: replicas}}}}
    spec:
      securityContext: {RUNTIME_DEFAULT}
      containers:
      - name: httpd
        image: {UID_65532}
        imagePullPolicy: Always
        command: ["sh", "-c", "{SHOW_SECCOMP}; exec httpd -f -p 8080"]
        ports: [{{containerPort: 8080}}]
""",
)


def test_a_deployment_plays_one_replica_with_its_pod_templates_seccomp_profile(played):
    # three replicas publishing containerPort 8080 would clash on the host under podman alone,
    # and imagePullPolicy Always would try a registry
    verdict = played[DEPLOYMENT]
    assert verdict.started and verdict.logs == ("Seccomp:\t2",), verdict
    assert (verdict.kind, verdict.name, verdict.container) == ("Deployment", "replicas", "httpd")


CRASH_LOOP = case("crash loop", pod(UID_65532, "echo giving up; exit 3", restart="Always"))


def test_a_crash_loop_is_a_crash_with_its_exit_code_and_last_log_lines(played):
    verdict = played[CRASH_LOOP]
    assert (verdict.outcome, verdict.exit_code, verdict.cause) == ("crashed", 3, "other"), verdict
    assert verdict.logs[-1] == "giving up", verdict


JOB = """\
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
JOB_DONE = case("job that succeeds", JOB.format(image=UID_65532, command="echo done"))
JOB_FAILED = case("job that fails", JOB.format(image=UID_65532, command="exit 2"))


def test_a_job_runs_to_completion_or_fails_with_its_exit_code(played):
    done, failed = played[JOB_DONE], played[JOB_FAILED]
    assert (done.outcome, done.kind, done.message, done.logs) == ("started", "Job", "ran to completion", ("done",)), (
        done
    )
    assert (failed.outcome, failed.exit_code) == ("crashed", 2), failed


LOW_PORT = case("non-root binds port 80", pod(UID_65532, "exec httpd -f -p 80", restart="Always"))


def test_binding_a_low_port_as_non_root_is_denied(played):
    verdict = played[LOW_PORT]
    assert (verdict.outcome, verdict.cause) == ("crashed", "bind-permission-denied"), verdict


CAPABILITIES = case("default capabilities", pod(ROOT, "grep '^CapBnd:' /proc/self/status"))


def test_a_container_gets_containerds_default_capabilities(played):
    # podman's own default set lacks NET_RAW, MKNOD and AUDIT_WRITE; these 14 bits are containerd's
    # AUDIT_WRITE CHOWN DAC_OVERRIDE FOWNER FSETID KILL MKNOD NET_BIND_SERVICE NET_RAW SETFCAP SETGID
    # SETPCAP SETUID SYS_CHROOT
    assert played[CAPABILITIES].logs == ("CapBnd:\t00000000a80425fb",), played[CAPABILITIES]
