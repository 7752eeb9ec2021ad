"""run-as-non-zero-user: no explicit runAsUser: 0."""

from dataclasses import dataclass

from hardener.context import PodContext
from hardener.transform import MAY_BREAK, Transform

from .references import azure, cis, pss


@dataclass(frozen=True)
class Params:
    replace_with: int | None = None
    """Set this UID instead of removing ``runAsUser: 0`` (for example 65532)."""


class RunAsNonZeroUser(Transform):
    """Remove an explicit `runAsUser: 0` so the container does not run as root.

    ## What it changes
    Removes `securityContext.runAsUser: 0` from the pod and from every
    container, so the user the image declares applies (and `runAsNonRoot`
    checks it). With `replace_with`, the field gets that UID instead. Pods
    in a user namespace (`hostUsers: false`) are left alone: UID 0 there is
    not root on the node, and Pod Security Standards allow it.

    ## Why
    `runAsUser: 0` forces the process to run as root whatever the image
    says, and contradicts `runAsNonRoot: true` (the kubelet then refuses to
    start the container).

    ## Example
    ```yaml
    apiVersion: v1
    kind: Pod
    metadata:
      name: web
    spec:
      securityContext:
        runAsUser: 0
        fsGroup: 2000
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
        fsGroup: 2000
      containers:
      - name: web
        image: nginx
    ```

    ## Fix safety
    May break: a process that really needs root (installing packages at
    start, writing root-owned paths) fails. Use an image that runs as a
    non-root user, or set `replace_with` to a UID the image supports.
    """

    id = "run-as-non-zero-user"
    example_unsafe = True
    title = "Do not run as UID 0"
    rationale = "runAsUser: 0 forces root whatever the image says, and the kubelet refuses it with runAsNonRoot."
    safety = MAY_BREAK
    guidance = (
        "Check that the image can run as its own non-root user; otherwise set a UID it supports with the "
        "parameter replace_with (for example 65532) and make the paths it writes writable by that UID."
    )
    references = (
        pss("Running as Non-root user", "restricted"),
        cis("5.2.7"),
        azure("AllowedUsersGroups"),
    )
    Params = Params

    def apply(self, pod: PodContext) -> None:
        if pod.get("hostUsers") is False:
            return
        targets = [(None, "on the pod")] + [(c, f"in container {c.name}") for c in pod.containers()]
        for container, where in targets:
            data = pod.spec if container is None else container.data
            sc = data.get("securityContext")
            value = sc.get("runAsUser") if isinstance(sc, dict) else None
            if value != 0 or isinstance(value, bool) or not isinstance(value, int):
                continue
            if self.params.replace_with is not None:
                pod.set(("securityContext", "runAsUser"), self.params.replace_with,
                        f"Set runAsUser to {self.params.replace_with} {where} (it was 0: root)", container)
            else:
                pod.remove(("securityContext", "runAsUser"), f"Remove runAsUser: 0 {where} (root)", container)
