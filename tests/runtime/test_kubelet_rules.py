"""The harness's rules on their own, without a runtime: what a kubelet refuses, how a manifest is
rewritten to close podman's gaps, how a crash log is read, how image names resolve."""

from __future__ import annotations

import stat

import pytest
from ruamel.yaml import YAML

from tests.runtime import images
from tests.runtime.contract import applications
from tests.runtime.kubelet import HarnessError, Workload, image_user_id, kubeletize, refusal, seccomp_annotations
from tests.runtime.verdict import crash_cause


def pod(containers: list[dict], **spec) -> Workload:
    return Workload("Pod", "p", "default", "p-abc", {"containers": containers, **spec})


def c(name: str = "app", image: str = "img", **security) -> dict:
    return {"name": name, "image": image, **({"securityContext": security} if security else {})}


@pytest.mark.parametrize(
    ("image_user", "expected"),
    [
        ("", "runs-as-root"),  # unset: the kubelet treats the image as root
        ("0", "runs-as-root"),
        ("0:0", "runs-as-root"),
        ("root", "non-numeric-user"),  # a name, even root's: the kubelet cannot verify it
        ("app", "non-numeric-user"),
        ("app:app", "non-numeric-user"),
        ("65532", None),
        ("1000:1000", None),
    ],
)
def test_run_as_non_root_is_judged_against_the_image_user(image_user, expected):
    refused = refusal(pod([c()], securityContext={"runAsNonRoot": True}), lambda image: image_user)
    assert (refused[1] if refused else None) == expected


def test_refusals_carry_the_kubelets_messages():
    workload = pod([c()], securityContext={"runAsNonRoot": True})
    assert refusal(workload, lambda image: "") == (
        "app",
        "runs-as-root",
        'container has runAsNonRoot and image will run as root (pod: "p-abc_default", container: app)',
    )
    assert refusal(workload, lambda image: "redis")[2] == (
        "container has runAsNonRoot and image has non-numeric user (redis), cannot verify user is non-root"
        ' (pod: "p-abc_default", container: app)'
    )


def test_an_explicit_run_as_user_decides_before_the_image():
    asked = []
    numeric = pod([c()], securityContext={"runAsNonRoot": True, "runAsUser": 101})
    assert refusal(numeric, lambda image: asked.append(image) or "") is None
    assert asked == []  # the image's user is not even read
    zero = pod([c(runAsUser=0)], securityContext={"runAsNonRoot": True})
    assert refusal(zero, lambda image: "65532")[1:] == (
        "runs-as-root",
        'container\'s runAsUser breaks non-root policy (pod: "p-abc_default", container: app)',
    )


def test_the_containers_security_context_overrides_the_pods():
    relaxed = pod([c(runAsNonRoot=False)], securityContext={"runAsNonRoot": True})
    assert refusal(relaxed, lambda image: "") is None
    strict = pod([c(runAsNonRoot=True)])
    assert refusal(strict, lambda image: "")[1] == "runs-as-root"
    assert refusal(pod([c()]), lambda image: "") is None  # without runAsNonRoot a root image runs


def test_init_containers_are_verified_first():
    workload = pod([c("main")], initContainers=[c("init")], securityContext={"runAsNonRoot": True})
    assert refusal(workload, lambda image: "")[0] == "init"


@pytest.mark.parametrize(
    ("user", "expected"), [("", (0, "")), ("101", (101, "")), ("101:101", (101, "")), ("nginx", (None, "nginx"))]
)
def test_image_user_as_the_kubelet_reads_it(user, expected):
    assert image_user_id(user) == expected


DEPLOYMENT = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: conf}
data: {a: b}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {ports: [{port: 80}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      securityContext: {runAsUser: 101, seccompProfile: {type: RuntimeDefault}}
      containers:
      - name: web
        image: nginx
        imagePullPolicy: Always
        ports: [{containerPort: 80}, {containerPort: 9000, hostPort: 9000}]
        envFrom: [{configMapRef: {name: conf}}]
        env: [{name: X, valueFrom: {configMapKeyRef: {name: conf, key: a}}}]
        securityContext: {readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
      volumes:
      - {name: scratch, emptyDir: {}}
      - {name: conf, configMap: {name: conf}}
      - {name: data, persistentVolumeClaim: {claimName: data}}
"""


def test_kubeletize_closes_the_gaps_and_keeps_the_security_fields(tmp_path):
    documents = list(YAML(typ="safe").load_all(DEPLOYMENT))
    played, workload = kubeletize(documents, tmp_path, suffix="x1")
    assert [d["kind"] for d in played] == ["ConfigMap", "PersistentVolumeClaim", "Deployment"]  # Service dropped
    deployment = played[-1]
    assert (workload.kind, workload.name, workload.pod) == ("Deployment", "web", "web-x1-pod-0")
    assert deployment["metadata"]["name"] == "web-x1" and deployment["spec"]["replicas"] == 1
    spec = deployment["spec"]["template"]["spec"]
    container = spec["containers"][0]
    assert container["ports"] == [{"containerPort": 9000, "hostPort": 9000}]  # only what a kubelet publishes
    assert container["imagePullPolicy"] == "IfNotPresent"
    assert container["securityContext"] == {"readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}}
    assert spec["securityContext"]["runAsUser"] == 101
    assert container["envFrom"][0]["configMapRef"]["name"] == "conf-x1"
    assert container["env"][0]["valueFrom"]["configMapKeyRef"]["name"] == "conf-x1"
    scratch, conf, data = spec["volumes"]
    directory = tmp_path / "emptydir-scratch"
    assert scratch == {"name": "scratch", "hostPath": {"path": str(directory), "type": "Directory"}}
    assert list(directory.iterdir()) == [] and stat.S_IMODE(directory.stat().st_mode) == 0o777
    assert conf["configMap"]["name"] == "conf-x1" and data["persistentVolumeClaim"]["claimName"] == "data-x1"
    assert [d["metadata"]["name"] for d in played[:2]] == ["conf-x1", "data-x1"]
    assert workload.volumes == ("conf-x1", "data-x1")
    assert deployment["spec"]["template"]["metadata"]["annotations"] == {
        "seccomp.security.alpha.kubernetes.io/pod": "runtime/default"
    }
    assert documents[-1]["spec"]["replicas"] == 3  # the caller's documents are left alone


def test_a_job_becomes_a_pod_of_its_template(tmp_path):
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "migrate", "namespace": "shop"},
        "spec": {
            "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"restartPolicy": "Never", "containers": [c()]}}
        },
    }
    played, workload = kubeletize([job], tmp_path, suffix="x1")
    assert played == [
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": "migrate-x1",
                "labels": {"a": "b"},
                "annotations": {"seccomp.security.alpha.kubernetes.io/pod": "unconfined"},
            },
            "spec": {"restartPolicy": "Never", "containers": [c()]},
        }
    ]
    assert (workload.kind, workload.name, workload.namespace, workload.pod) == ("Job", "migrate", "shop", "migrate-x1")


def test_one_workload_per_manifest(tmp_path):
    with pytest.raises(HarnessError, match="exactly one workload, this one holds 2"):
        kubeletize([{"kind": "Pod", "metadata": {"name": "a"}, "spec": {}}] * 2, tmp_path, "x")


def test_seccomp_unset_is_unconfined_as_on_a_kubelet():
    assert seccomp_annotations({"containers": [c()]}) == {"seccomp.security.alpha.kubernetes.io/pod": "unconfined"}
    spec = {
        "securityContext": {"seccompProfile": {"type": "Unconfined"}},
        "containers": [
            c("a", seccompProfile={"type": "RuntimeDefault"}),
            c("b", seccompProfile={"type": "Localhost", "localhostProfile": "p.json"}),
        ],
    }
    assert seccomp_annotations(spec) == {
        "seccomp.security.alpha.kubernetes.io/pod": "unconfined",
        "container.seccomp.security.alpha.kubernetes.io/a": "runtime/default",
        "container.seccomp.security.alpha.kubernetes.io/b": "localhost/p.json",
    }


@pytest.mark.parametrize(
    ("log", "cause"),
    [
        (
            'nginx: [emerg] mkdir() "/var/cache/nginx/client_temp" failed (30: Read-only file system)',
            "read-only-filesystem",
        ),
        ("OSError: [Errno 30] Read-only file system: '/tmp/uploads'", "read-only-filesystem"),
        ("nginx: [emerg] bind() to 0.0.0.0:80 failed (13: Permission denied)", "bind-permission-denied"),
        (
            (
                '  File "/usr/lib/python3.11/socketserver.py", line 473, in server_bind\n'
                "    self.socket.bind(self.server_address)\n"
                "PermissionError: [Errno 13] Permission denied"
            ),
            "bind-permission-denied",
        ),
        ("httpd: bind: Permission denied", "bind-permission-denied"),
        ('nginx: [emerg] mkdir() "/var/cache/nginx/client_temp" failed (13: Permission denied)', "permission-denied"),
        ("chown: /data: Operation not permitted", "permission-denied"),
        ("Segmentation fault", "other"),
        ("", "other"),
    ],
)
def test_crash_causes_are_read_from_errno_texts(log, cause):
    assert crash_cause(log.splitlines()) == cause


@pytest.mark.parametrize(
    ("name", "reference"),
    [
        ("nginx", "docker.io/library/nginx:latest"),
        ("nginx:1.25", "docker.io/library/nginx:1.25"),
        ("bitnami/redis:7", "docker.io/bitnami/redis:7"),
        ("registry.example.com/shop/site:1.0", "registry.example.com/shop/site:1.0"),
        ("localhost:5000/app", "localhost:5000/app:latest"),
        ("localhost/hardener-test/probe:root", "localhost/hardener-test/probe:root"),
    ],
)
def test_image_names_resolve_as_a_kubelet_resolves_them(name, reference):
    assert images.docker_reference(name) == reference


def test_every_image_an_application_names_is_built_here():
    built = {tag for recipe in images.recipes() for tag in recipe.tags}
    for app, manifest in applications().items():
        named = [image for document in YAML(typ="safe").load_all(manifest.read_text()) for image in _images(document)]
        assert named, f"{app}: its manifest names no image"
        for image in named:
            assert images.docker_reference(image) in built, f"{app} names {image}; no Containerfile builds it"


def _images(node) -> list[str]:
    if isinstance(node, dict):
        found = [node["image"]] if isinstance(node.get("image"), str) else []
        return found + [image for value in node.values() for image in _images(value)]
    if isinstance(node, list):
        return [image for item in node for image in _images(item)]
    return []
