"""Every application starts as its authors wrote it, before hardening: a breakage measured after
hardening is hardener's doing, not the harness's or the image's."""

from __future__ import annotations

import pytest

from tests.runtime.contract import applications
from tests.runtime.harness import play_all
from tests.runtime.verdict import Verdict

APPS = applications()


@pytest.fixture(scope="module")
def verdicts(runtime) -> dict[str, Verdict]:
    return play_all(APPS)


def test_the_applications_are_the_ones_the_contract_needs():
    assert set(APPS) >= {"nginx", "python-web", "redis", "volume-permissions-job", "static-site"}


@pytest.mark.parametrize("app", APPS)
def test_starts_before_hardening(app, verdicts):
    assert verdicts[app].started, verdicts[app]


EXPECTED_LOGS = {
    "nginx": "start worker processes",
    "python-web": "listening on :8000",
    "redis": "Ready to accept connections",
    "volume-permissions-job": "drwxr-x---    2 1000     1000",
    "static-site": None,  # busybox httpd -f logs nothing until a request
}


@pytest.mark.parametrize("app", APPS)
def test_runs_the_application_not_a_shell(app, verdicts):
    expected = EXPECTED_LOGS[app]
    if expected is None:
        assert verdicts[app].logs == (), verdicts[app]
    else:
        assert any(expected in line for line in verdicts[app].logs), verdicts[app]


NGINX_POD = """\
apiVersion: v1
kind: Pod
metadata: {{name: web}}
spec:
  securityContext: {{runAsNonRoot: true, runAsUser: 101, runAsGroup: 101}}
  containers:
  - name: nginx
    image: nginx:1.25
    securityContext: {{readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: {{drop: [ALL]}}}}
    volumeMounts: {mounts}
  volumes: {volumes}
"""
WRITABLE = """
    - {name: cache, mountPath: /var/cache/nginx}
    - {name: run, mountPath: /var/run}"""
WRITABLE_VOLUMES = """
  - {name: cache, emptyDir: {}}
  - {name: run, emptyDir: {}}"""
LISTEN_8080 = """
---
apiVersion: v1
kind: ConfigMap
metadata: {name: web-conf}
data:
  default.conf: |
    server { listen 8080; location / { root /usr/share/nginx/html; } }
"""


def test_nginx_hardened_step_by_step_breaks_for_each_reason_in_turn(runtime):
    """What hardening does to the official nginx layout, told apart by cause (one step per line)."""
    steps = {
        "hardened, nothing writable": NGINX_POD.format(mounts="[]", volumes="[]"),
        "+ emptyDirs where it writes": NGINX_POD.format(mounts=WRITABLE, volumes=WRITABLE_VOLUMES),
        "+ listens on 8080": NGINX_POD.format(
            mounts=WRITABLE + "\n    - {name: conf, mountPath: /etc/nginx/conf.d}",
            volumes=WRITABLE_VOLUMES + "\n  - {name: conf, configMap: {name: web-conf}}",
        )
        + LISTEN_8080,
    }
    verdicts = play_all(steps)
    assert verdicts["hardened, nothing writable"].cause == "read-only-filesystem", verdicts
    assert verdicts["+ emptyDirs where it writes"].cause == "bind-permission-denied", verdicts
    assert verdicts["+ listens on 8080"].started, verdicts
