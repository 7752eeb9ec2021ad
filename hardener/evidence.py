"""What the input proves about a workload, for transforms that must not guess.

Removing a service-account token is right for most pods and fatal for the
ones that call the Kubernetes API. The input often says which those are:
the stream grants the pod's account a role, the ServiceAccount object asks
for its token, or a container runs ``kubectl`` or ``helm``. Each reason is a
sentence a record can carry, naming the document that proves it.

Being a Helm hook is not a reason on its own: database migrations, tests and
backups are hooks too, and gain nothing from a token. A hook that runs
``kubectl``/``helm`` (CRD upgrades, clean-up jobs) or whose account is bound
(an admission webhook's certificate patcher) is kept by the rules above,
and its record says it is a hook.
"""

from __future__ import annotations

import re
from typing import Any

from hardener.context import PodContext
from hardener.streamindex import StreamIndex
from hardener.workloads import lookup

HOOK_ANNOTATION = "helm.sh/hook"

_CLIENT_IMAGE = re.compile(r"(?:^|[-_.])(kubectl|helm)(?:$|[-_.])")
"""An image whose repository's last component is a Kubernetes client: bitnami/kubectl, alpine/helm, dtzar/helm-kubectl."""
_ROOT_COMMAND = re.compile(
    r"(?:^|[\s;&|(/'\"])(chown|chgrp|apt-get|apt|apk|yum|dnf|microdnf|setcap|mount|iptables|sysctl|useradd|groupadd|adduser|addgroup)(?=$|[\s;&|)'\"])"
)
"""Commands that need root's powers: a non-root UID, or no capabilities, breaks them."""
_CLIENT_COMMAND = re.compile(r"(?:^|[\s/;&|'\"(`])(kubectl|helm)(?:$|[\s;&|'\")`])|(kubernetes\.default\b|KUBERNETES_SERVICE_HOST)")
"""A command line that runs kubectl or helm, or talks to the API server's in-cluster address."""


def service_account(pod: PodContext) -> str:
    """The account the pod runs as: ``serviceAccountName``, the deprecated ``serviceAccount``, else ``default``."""
    for field in ("serviceAccountName", "serviceAccount"):
        value = pod.get(field)
        if isinstance(value, str) and value:
            return value
    return "default"


def api_access(pod: PodContext) -> list[str]:
    """Why the input says this pod calls the Kubernetes API (empty: no evidence)."""
    stream = pod.stream or StreamIndex()
    account, namespace = service_account(pod), pod.object_namespace
    reasons = [f"its ServiceAccount {account} is bound by {binding}" for binding in stream.bindings_of(namespace, account)]
    if stream.automount_of(namespace, account) is True:
        reasons.append(f"its ServiceAccount {account} sets automountServiceAccountToken: true")
    reasons.extend(_client_containers(pod))
    hook = hook_of(pod)
    if reasons and hook:
        reasons[0] = f"it is a Helm hook ({hook}) and {reasons[0]}"
    return reasons


def hook_of(pod: PodContext) -> str | None:
    """The ``helm.sh/hook`` events of the object that owns the pod (``pre-install,pre-upgrade``), if any."""
    value = lookup(pod.object, ("metadata", "annotations", HOOK_ANNOTATION))
    return value if isinstance(value, str) and value else None


def root_command(container) -> str | None:
    """The command a container runs that needs root (``chown``, a package install), if any."""
    words = [word for field in ("command", "args") for word in _strings(container.get(field))]
    match = _ROOT_COMMAND.search(" ".join(words))
    return match.group(1) if match else None


def _client_containers(pod: PodContext) -> list[str]:
    reasons = []
    for container in pod.containers():
        image = container.get("image")
        if isinstance(image, str) and _CLIENT_IMAGE.search(_repository_name(image)):
            reasons.append(f"container {container.name} runs the image {image}, a Kubernetes API client")
            continue
        words = [word for field in ("command", "args") for word in _strings(container.get(field))]
        match = next((m for m in map(_CLIENT_COMMAND.search, words) if m), None)
        if match:
            what = match.group(1) or match.group(2)
            reasons.append(f"container {container.name} runs {what}" if match.group(1) else f"container {container.name} calls the API server ({what})")
    return reasons


def _repository_name(image: str) -> str:
    """The last path component of an image reference, without tag or digest."""
    name = image.split("@", 1)[0].rsplit("/", 1)[-1]
    return name.split(":", 1)[0]


def _strings(value: Any) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []
