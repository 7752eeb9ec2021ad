"""restrict-selinux-options: no SELinux user, role or type that escapes container confinement."""

from dataclasses import dataclass

from hardener.context import PodContext
from hardener.transform import MAY_BREAK, Transform

from .references import nsa, pss


@dataclass(frozen=True)
class Params:
    allowed_types: tuple[str, ...] = ("container_t", "container_init_t", "container_kvm_t", "container_engine_t")
    """SELinux types that may stay in ``seLinuxOptions.type`` (Pod Security Standards baseline's list)."""


class RestrictSELinuxOptions(Transform):
    """Remove SELinux options that would lift container confinement.

    ## What it changes
    In `securityContext.seLinuxOptions` of the pod and of every container,
    removes a `type` outside the allowed types (`container_t`,
    `container_init_t`, `container_kvm_t`, `container_engine_t`) and any
    non-empty `user` or `role`. `level` is kept. Options left empty are
    removed.

    ## Why
    A custom SELinux type such as `spc_t` ("super privileged container") or
    `unconfined_t`, or a custom user or role, takes the process out of the
    policy that keeps containers away from the node's files and from each
    other.

    ## Example
    ```yaml
    apiVersion: v1
    kind: Pod
    metadata:
      name: web
    spec:
      securityContext:
        seLinuxOptions:
          type: spc_t
          level: "s0:c123,c456"
      containers:
      - name: web
        image: nginx
    ```
    ```yaml
    apiVersion: v1
    kind: Pod
    metadata:
      name: web
    spec:
      securityContext:
        seLinuxOptions:
          level: "s0:c123,c456"
      containers:
      - name: web
        image: nginx
    ```

    ## Fix safety
    May break: agents that need `spc_t` (log collectors reading the node's
    files, some CSI drivers) are denied access. Exempt them with
    `hardener.dev/skip: restrict-selinux-options` and a reason.
    """

    id = "restrict-selinux-options"
    example_unsafe = True
    title = "Keep SELinux container confinement"
    rationale = "Custom SELinux types (spc_t), users and roles take the process out of the container policy."
    safety = MAY_BREAK
    guidance = (
        "Agents that read the node's files (log collectors, CSI drivers) may need spc_t; exempt them with "
        "hardener.dev/skip: restrict-selinux-options and a reason."
    )
    linux_only = True
    references = (
        pss("SELinux", "baseline"),
        nsa("Use AppArmor or SELinux to confine containers"),
    )
    Params = Params

    def apply(self, pod: PodContext) -> None:
        self._restrict(pod, pod.get("securityContext", "seLinuxOptions"), None, "on the pod")
        for container in pod.containers():
            self._restrict(pod, container.get("securityContext", "seLinuxOptions"), container, f"in container {container.name}")

    def _restrict(self, pod: PodContext, options: object, container, where: str) -> None:
        if not isinstance(options, dict):
            return
        for field in ("type", "user", "role"):
            value = options.get(field)
            if not isinstance(value, str) or not value:
                continue
            if field == "type" and value in self.params.allowed_types:
                continue
            pod.remove(("securityContext", "seLinuxOptions", field), f"Remove seLinuxOptions.{field} {value} {where}", container)
