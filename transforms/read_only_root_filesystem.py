"""read-only-root-filesystem: the container's image layers cannot be written to."""

from hardener.context import PodContext
from hardener.model import yaml_text
from hardener.transform import MAY_BREAK, Transform

from .references import azure, cis, nsa


class ReadOnlyRootFilesystem(Transform):
    """Mount every container's root filesystem read-only.

    ## What it changes
    Sets `securityContext.readOnlyRootFilesystem: true` in every container,
    init container and ephemeral container, replacing an explicit `false`.

    ## Why
    An attacker who gets code execution usually writes next: a web shell, a
    downloaded tool, a modified binary or configuration. A read-only root
    filesystem makes the image immutable at run time; data belongs in
    volumes.

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
        securityContext: {}
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
          readOnlyRootFilesystem: true
    ```

    ## Fix safety
    May break: an application that writes outside its mounted volumes
    (`/tmp`, caches, PID files, nginx's `/var/cache/nginx`) fails with
    "Read-only file system". Mount an `emptyDir` volume at each path it
    writes to.
    """

    id = "read-only-root-filesystem"
    title = "Mount the root filesystem read-only"
    rationale = "An immutable container filesystem stops an intruder from dropping tools or changing binaries."
    safety = MAY_BREAK
    guidance = (
        "The app must not write outside mounted volumes; mount an emptyDir at /tmp (and any cache or "
        "PID-file directory) if it does."
    )
    linux_only = True
    references = (
        cis("5.7.3"),
        nsa("Use a read-only root file system"),
        azure("ReadOnlyRootFileSystem"),
    )

    def apply(self, pod: PodContext) -> None:
        for container in pod.containers():
            current = container.get("securityContext", "readOnlyRootFilesystem")
            if current is True:
                continue
            message = f"Set readOnlyRootFilesystem to true in container {container.name}"
            if current is not None:
                message += f" (it was explicitly {yaml_text(current)})"
            pod.set(("securityContext", "readOnlyRootFilesystem"), True, message, container)
