"""default-proc-mount: containers see /proc with the runtime's masked paths."""

from dataclasses import dataclass

from hardener.context import PodContext
from hardener.transform import SAFE, Transform

from .references import pss


@dataclass(frozen=True)
class Params:
    allow_in_user_namespace: bool = False
    """Keep a non-default procMount in pods with ``hostUsers: false`` (allowed by baseline, not by restricted)."""


class DefaultProcMount(Transform):
    """Use the default /proc mount, with its masked and read-only paths.

    ## What it changes
    Sets `securityContext.procMount` to `Default` in every container that
    sets another value (`Unmasked`). With `allow_in_user_namespace`, pods
    that run in a user namespace (`hostUsers: false`) keep theirs, as Pod
    Security Standards baseline allows.

    ## Why
    The default proc mount masks kernel interfaces such as `/proc/kcore`
    and `/proc/sysrq-trigger` and makes others read-only. `Unmasked` exposes
    them to the container.

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
          procMount: Unmasked
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
          procMount: Default
    ```

    ## Fix safety
    Safe for almost every application: only nested container runtimes
    (building images inside a pod) need an unmasked /proc, and they need a
    user namespace for it anyway.
    """

    id = "default-proc-mount"
    example_unsafe = True
    title = "Use the default /proc mount"
    rationale = "An unmasked /proc exposes kernel interfaces the runtime normally hides from containers."
    safety = SAFE
    guidance = "Only nested container runtimes need an unmasked /proc; run them with hostUsers: false and exempt them."
    linux_only = True
    references = (pss("/proc Mount Type", "baseline"),)
    Params = Params

    def apply(self, pod: PodContext) -> None:
        if self.params.allow_in_user_namespace and pod.get("hostUsers") is False:
            return
        for container in pod.containers():
            current = container.get("securityContext", "procMount")
            if current is not None and current != "Default":
                pod.set(
                    ("securityContext", "procMount"),
                    "Default",
                    f"Set procMount to Default in container {container.name} (it was {current})",
                    container,
                )
