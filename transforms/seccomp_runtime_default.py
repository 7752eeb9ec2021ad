"""seccomp-runtime-default: every container runs under the runtime's default seccomp filter."""

from dataclasses import dataclass

from hardener.context import PodContext
from hardener.transform import SAFE, Transform

from .references import azure, cis, nsa, pss

ALLOWED_TYPES = ("RuntimeDefault", "Localhost")


@dataclass(frozen=True)
class Params:
    require: bool = True
    """Also set a profile where none is set (restricted); false only replaces Unconfined (baseline)."""


class SeccompRuntimeDefault(Transform):
    """Run containers under the container runtime's default seccomp profile.

    ## What it changes
    Sets `securityContext.seccompProfile.type: RuntimeDefault` on the pod
    when neither the pod nor every container sets `RuntimeDefault` or
    `Localhost`. A `type` other than those two (`Unconfined`) is replaced
    with `RuntimeDefault`, on the pod and in containers. A `Localhost`
    profile is kept. With `require: false` (baseline) only `Unconfined` is
    replaced.

    ## Why
    Without a seccomp filter a process can make every system call the
    kernel offers, including the rarely used ones behind most container
    escapes (`unshare`, `keyctl`, `bpf`). The runtime's default profile
    blocks about 50 of them and breaks almost nothing.

    ## Example
    ```yaml
    apiVersion: v1
    kind: Pod
    metadata:
      name: web
    spec:
      containers:
      - name: web
        image: nginx
        securityContext:
          seccompProfile:
            type: Unconfined
      - name: log
        image: fluent-bit
    ```
    ```yaml
    apiVersion: v1
    kind: Pod
    metadata:
      name: web
    spec:
      containers:
      - name: web
        image: nginx
        securityContext:
          seccompProfile:
            type: RuntimeDefault
      - name: log
        image: fluent-bit
      securityContext:
        seccompProfile:
          type: RuntimeDefault
    ```

    ## Fix safety
    Safe for almost every application: the default profile blocks only
    system calls ordinary programs do not make. Tools that create
    namespaces or load BPF programs need a `Localhost` profile.
    """

    id = "seccomp-runtime-default"
    example_unsafe = True
    title = "Use the runtime's default seccomp profile"
    rationale = "Without seccomp a container can make every system call, including those behind most kernel escapes."
    safety = SAFE
    guidance = "Programs that create namespaces, load BPF or use keyctl need a Localhost seccomp profile instead."
    linux_only = True
    references = (
        pss("Seccomp", "restricted"),
        cis("5.7.2"),
        nsa("Use seccomp to restrict system calls"),
        azure("AllowedSeccompProfile"),
    )
    Params = Params

    def apply(self, pod: PodContext) -> None:
        pod_profile = pod.get("securityContext", "seccompProfile")
        self._replace_bad(pod, pod_profile, None, "on the pod")
        containers = list(pod.containers())
        for container in containers:
            self._replace_bad(pod, container.get("securityContext", "seccompProfile"), container, f"in container {container.name}")
        if not self.params.require or pod_profile is not None:
            return
        if containers and all(c.get("securityContext", "seccompProfile", "type") in ALLOWED_TYPES for c in containers):
            return
        pod.set(("securityContext", "seccompProfile", "type"), "RuntimeDefault", "Set seccompProfile.type to RuntimeDefault on the pod")

    def _replace_bad(self, pod: PodContext, profile: object, container, where: str) -> None:
        if profile is None:
            return
        if not isinstance(profile, dict):
            pod.finding(f"seccompProfile {where} is not a mapping; set type: RuntimeDefault by hand", ("securityContext", "seccompProfile"), container)
            return
        current = profile.get("type")
        if current in ALLOWED_TYPES:
            return
        was = f" (it was {current})" if current is not None else ""
        pod.set(("securityContext", "seccompProfile", "type"), "RuntimeDefault", f"Set seccompProfile.type to RuntimeDefault {where}{was}", container)
