"""Where ``podman kube play`` is not a kubelet, and how the harness closes each gap.

podman 4.3.1 runs a Pod or a Deployment much as a kubelet would, but not in every way that
decides whether a hardened workload starts. Each gap was measured on these machines, and each is
closed here the way a kubelet behaves:

* ``runAsNonRoot`` against the image's user: podman ignores it; a kubelet refuses a root or a
  named image user (CreateContainerConfigError). ``refusal`` applies the kubelet's rules.
* emptyDir: podman makes a volume that copies the image's directory, content, owner and mode
  (false passes, and false EACCES for a non-root user); a kubelet gives an empty 0777 directory.
  ``kubeletize`` points each emptyDir at a fresh 0777 host directory.
* ``seccompProfile``: podman ignores the field and filters every container; a kubelet applies it,
  and runs a pod without one Unconfined. The legacy annotations, which podman reads, say the same.
* ``containerPort``: podman publishes it on the host (replicas clash: "address already in use");
  for a kubelet it is informational. Only ``hostPort`` entries are kept.
* replicas: one pod is enough to know whether it starts.
* Job, CronJob, StatefulSet, DaemonSet, ReplicaSet: podman plays only Pods and Deployments; a
  kubelet runs their pod template, so they become a Pod of it.
* ``imagePullPolicy: Always``: no registry is reachable and the images are local; IfNotPresent.

Crash backoff (podman restarts at once) is closed in ``harness``: it judges by restart count
and exit code. Nothing here changes what a manifest means for security: a field the kubelet
honours and podman honours the same way (runAsUser, readOnlyRootFilesystem, capabilities,
allowPrivilegeEscalation) is passed through untouched. Neither function runs podman, so their
rules are tested without a runtime.

Not closed, because no application here depends on them: ``fsGroup`` (podman ignores it; an
emptyDir is 0777 anyway, but a claim's volume stays root-owned where a kubelet would hand it to
the group), pod ``sysctls``, and probes (podman never runs them here).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

RUNS_AS_ROOT, NON_NUMERIC_USER = "runs-as-root", "non-numeric-user"

POD_TEMPLATE = {
    "Deployment": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "ReplicationController": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
}
"""Where each workload kind keeps its pod template (a Pod is its own)."""

PLAYED_BESIDE = {"ConfigMap", "PersistentVolumeClaim"}
"""Kinds podman plays next to the workload (mounted ConfigMaps, claims as named volumes).
Every other kind (Service, ServiceAccount, ...) has no say in whether a container starts."""

SECCOMP_ANNOTATION = {"RuntimeDefault": "runtime/default", "Unconfined": "unconfined"}


class HarnessError(ValueError):
    """The manifest is not one the harness can play (a bug in the test, not a verdict)."""


@dataclass(frozen=True)
class Workload:
    """The one workload of a manifest: as written, and the pod podman will create for it."""

    kind: str
    name: str
    namespace: str
    pod: str
    """The name of the pod podman creates."""
    spec: dict
    """Its pod spec, as played."""
    volumes: tuple[str, ...] = ()
    """Named volumes podman creates for the manifest's ConfigMaps and claims (removed after the play)."""

    def containers(self) -> list[dict]:
        """Init containers first, as the kubelet creates them."""
        return _containers(self.spec)


def kubeletize(documents: list[dict], volumes: Path, suffix: str) -> tuple[list[dict], Workload]:
    """The documents podman should play so that it behaves as a kubelet would, and their workload.

    ``volumes`` is an empty directory that receives one fresh 0777 directory per emptyDir;
    ``suffix`` makes pod and claim names unique, as a ReplicaSet's hash does.
    """
    workloads = [d for d in documents if d.get("kind") == "Pod" or d.get("kind") in POD_TEMPLATE]
    if len(workloads) != 1:
        raise HarnessError(f"a played manifest holds exactly one workload, this one holds {len(workloads)}")
    source = workloads[0]
    kind, name = source["kind"], source["metadata"]["name"]
    namespace = source["metadata"].get("namespace") or "default"
    renamed = {  # podman keeps both as named volumes, and reuses a stale one of the same name
        (d["kind"], d["metadata"]["name"]): f"{d['metadata']['name']}-{suffix}"
        for d in documents
        if d.get("kind") in PLAYED_BESIDE
    }

    template = copy.deepcopy(source if kind == "Pod" else _dig(source, POD_TEMPLATE[kind]))
    spec = template["spec"]
    _close_volume_gaps(spec, volumes, renamed)
    for container in _containers(spec):
        _close_container_gaps(container, renamed)
    metadata = template["metadata"] = template.get("metadata") or {}
    metadata["annotations"] = {**(metadata.get("annotations") or {}), **seccomp_annotations(spec)}

    played_name = f"{name}-{suffix}"
    if kind == "Deployment":
        workload_doc = copy.deepcopy(source)
        workload_doc["metadata"]["name"] = played_name
        workload_doc["spec"]["replicas"] = 1
        workload_doc["spec"]["template"] = template
        pod = f"{played_name}-pod-0"
    else:
        metadata.pop("generateName", None)
        workload_doc = {"apiVersion": "v1", "kind": "Pod", "metadata": {**metadata, "name": played_name}, "spec": spec}
        pod = played_name

    beside = []
    for document in documents:
        if document.get("kind") in PLAYED_BESIDE:
            document = copy.deepcopy(document)
            document["metadata"]["name"] = renamed[document["kind"], document["metadata"]["name"]]
            beside.append(document)
    workload = Workload(kind, name, namespace, pod, spec, tuple(renamed.values()))
    return [*beside, workload_doc], workload


def seccomp_annotations(spec: dict) -> dict[str, str]:
    """The legacy annotations podman reads, from the seccompProfile fields a kubelet reads.

    A pod without a profile runs Unconfined on a kubelet, so it gets ``unconfined`` here
    (podman would otherwise give every container its default filter)."""
    annotations = {
        "seccomp.security.alpha.kubernetes.io/pod": _seccomp_value(
            (spec.get("securityContext") or {}).get("seccompProfile")
        )
        or "unconfined"
    }
    for container in _containers(spec):
        value = _seccomp_value((container.get("securityContext") or {}).get("seccompProfile"))
        if value:
            annotations[f"container.seccomp.security.alpha.kubernetes.io/{container['name']}"] = value
    return annotations


def refusal(workload: Workload, image_user: Callable[[str], str]) -> tuple[str, str, str] | None:
    """``(container, cause, message)`` for the first container a kubelet would refuse to create, else None.

    The kubelet's rules (pkg/kubelet/kuberuntime, ``verifyRunAsNonRoot``), which podman ignores:
    with ``runAsNonRoot: true`` in the effective security context (the container's fields over
    the pod's), an explicit ``runAsUser: 0`` is refused and any other ``runAsUser`` passes;
    without one, the image's user decides: unset or numeric 0 runs as root, a name (``app``,
    even ``root``) cannot be verified. Both are refused (CreateContainerConfigError).
    ``image_user`` gives an image's ``Config.User``.
    """
    pod_context = workload.spec.get("securityContext") or {}
    where = f'(pod: "{workload.pod}_{workload.namespace}", container: {{}})'
    for container in workload.containers():
        own = container.get("securityContext") or {}
        run_as_non_root = own.get("runAsNonRoot", pod_context.get("runAsNonRoot"))
        run_as_user = own.get("runAsUser", pod_context.get("runAsUser"))
        if not run_as_non_root:
            continue
        name = container["name"]
        if run_as_user is not None:
            if run_as_user == 0:
                return name, RUNS_AS_ROOT, "container's runAsUser breaks non-root policy " + where.format(name)
            continue
        uid, username = image_user_id(image_user(container["image"]))
        if uid is None:
            message = f"container has runAsNonRoot and image has non-numeric user ({username}), cannot verify user is"
            return name, NON_NUMERIC_USER, f"{message} non-root {where.format(name)}"
        if uid == 0:
            return name, RUNS_AS_ROOT, "container has runAsNonRoot and image will run as root " + where.format(name)
    return None


def image_user_id(user: str) -> tuple[int | None, str]:
    """An image's ``USER`` as the kubelet sees it: ``(uid, "")`` or ``(None, username)``.

    Unset is uid 0 (the kubelet treats an image without a user as root); ``user:group`` keeps the
    user; anything not numeric is a name."""
    user = user.split(":", 1)[0]
    if not user:
        return 0, ""
    return (int(user), "") if user.isdigit() else (None, user)


def _containers(spec: dict) -> list[dict]:
    return [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]


def _close_volume_gaps(spec: dict, volumes: Path, renamed: dict[tuple[str, str], str]) -> None:
    for volume in spec.get("volumes") or []:
        if "emptyDir" in volume:
            directory = volumes / f"emptydir-{volume['name']}"
            directory.mkdir()
            directory.chmod(0o777)  # mkdir honours the umask; the kubelet's emptyDir is 0777
            del volume["emptyDir"]
            volume["hostPath"] = {"path": str(directory), "type": "Directory"}
        _rename(volume.get("persistentVolumeClaim"), "claimName", "PersistentVolumeClaim", renamed)
        _rename(volume.get("configMap"), "name", "ConfigMap", renamed)


def _close_container_gaps(container: dict, renamed: dict[tuple[str, str], str]) -> None:
    for source in container.get("envFrom") or []:
        _rename(source.get("configMapRef"), "name", "ConfigMap", renamed)
    for variable in container.get("env") or []:
        _rename((variable.get("valueFrom") or {}).get("configMapKeyRef"), "name", "ConfigMap", renamed)
    ports = [port for port in container.get("ports") or [] if port.get("hostPort")]
    if ports:
        container["ports"] = ports
    else:
        container.pop("ports", None)
    if container.get("imagePullPolicy") == "Always":
        container["imagePullPolicy"] = "IfNotPresent"


def _rename(reference: dict | None, key: str, kind: str, renamed: dict[tuple[str, str], str]) -> None:
    if reference and (kind, reference.get(key)) in renamed:
        reference[key] = renamed[kind, reference[key]]


def _seccomp_value(profile: dict | None) -> str | None:
    if not profile:
        return None
    if profile.get("type") == "Localhost":
        return f"localhost/{profile.get('localhostProfile', '')}"
    return SECCOMP_ANNOTATION.get(profile.get("type"))


def _dig(document: dict, path: tuple[str, ...]) -> dict:
    for key in path:
        document = document[key]
    return document
