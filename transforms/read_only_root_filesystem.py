"""read-only-root-filesystem: the container's image layers cannot be written to."""

from __future__ import annotations

import re
from dataclasses import dataclass

from hardener.context import Container, PodContext
from hardener.model import WARNING, yaml_text
from hardener.transform import MAY_BREAK, Transform

from .references import azure, cis, nsa

_NAME_JUNK = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class Params:
    mount_writable_paths: bool = True
    """Mount an ``emptyDir`` at each writable path of a container this transform makes read-only."""
    writable_paths: tuple[str, ...] = ("/tmp",)
    """Paths every such container can write to; known images add their own (see ``hardener.images``)."""

    def __post_init__(self) -> None:
        for path in self.writable_paths:
            if not path.startswith("/") or path == "/":
                raise ValueError(f"writable_paths: {path!r} is not an absolute path below /")


class ReadOnlyRootFilesystem(Transform):
    """Mount every container's root filesystem read-only, and keep the paths it writes writable.

    ## What it changes
    Sets `securityContext.readOnlyRootFilesystem: true` in every container,
    init container and ephemeral container, replacing an explicit `false`.
    With it, each container it makes read-only gets an `emptyDir` volume at
    `/tmp` (the parameter `writable_paths`) and at the paths its image is
    known to write (nginx: `/var/cache/nginx`, `/var/run`), unless a volume is
    already mounted there or above: one change per container for its mounts,
    one for the pod's new volumes, whose names do not clash with the pod's.
    `mount_writable_paths: false` turns the mounts off.

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
        image: registry.example.com/web:1
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
        image: registry.example.com/web:1
        securityContext:
          readOnlyRootFilesystem: true
        volumeMounts:
        - {name: tmp, mountPath: /tmp}
      volumes:
      - {name: tmp, emptyDir: {}}
    ```

    ## Fix safety
    May break: an application that writes outside its mounted volumes and
    the paths mounted for it (a cache or PID-file directory its image does
    not declare) fails with "Read-only file system". Mount an `emptyDir` at
    each such path, or list it in `writable_paths`. An `emptyDir` hides what
    the image had at its path.
    """

    id = "read-only-root-filesystem"
    title = "Mount the root filesystem read-only"
    rationale = "An immutable container filesystem stops an intruder from dropping tools or changing binaries."
    safety = MAY_BREAK
    guidance = (
        "The app must not write outside mounted volumes; hardener mounts an emptyDir at /tmp and at the paths "
        "known images write; mount one at any other cache or PID-file directory it uses."
    )
    linux_only = True
    references = (
        cis("5.7.3"),
        nsa("Use a read-only root file system"),
        azure("ReadOnlyRootFileSystem"),
    )
    Params = Params

    def apply(self, pod: PodContext) -> None:
        made_read_only = []
        for container in pod.containers():
            current = container.get("securityContext", "readOnlyRootFilesystem")
            if current is True:
                continue
            message = f"Set readOnlyRootFilesystem to true in container {container.name}"
            if current is not None:
                message += f" (it was explicitly {yaml_text(current)})"
            if pod.set(("securityContext", "readOnlyRootFilesystem"), True, message, container):
                made_read_only.append(container)
        if self.params.mount_writable_paths and made_read_only:
            self._mount_writable_paths(pod, made_read_only)

    def _mount_writable_paths(self, pod: PodContext, containers: list[Container]) -> None:
        """One emptyDir per writable path, mounted in each container that needs it and has nothing there.

        Each container's mounts are one change, and the pod's new volumes one
        more: every place the text changes has its record (a reviewer reads
        each where it is), and none of them is half of an edit.
        """
        wanted: dict[str, list[str]] = {}  # container name -> paths
        said: dict[str, str] = {}  # container name -> what its image is known to write
        for container in containers:
            facts = pod.images.lookup(container.get("image"))
            if facts is not None and facts.writable:
                said[container.name] = f"Image {container.get('image')} writes {', '.join(facts.writable)} (source: {facts.source}). "
            paths = [p for p in dict.fromkeys(self.params.writable_paths + (facts.writable if facts else ())) if not _covered(container, p)]
            if paths:
                wanted[container.name] = paths
        if not wanted:
            return
        users = [c for c in containers if c.name in wanted]
        problem = _cannot_mount(pod, users)
        if problem:
            pod.finding(f"Writable paths for the read-only root filesystem not mounted: {problem}", ("volumes",), severity=WARNING)
            return
        taken = {v.get("name") for v in pod.get("volumes") or () if isinstance(v, dict)}
        names: dict[str, str] = {}
        for path in dict.fromkeys(p for paths in wanted.values() for p in paths):
            names[path] = _free_name(path, taken)
            taken.add(names[path])
        hides = "An emptyDir hides what the image has at its path; mount one at any other path the app writes."
        for container in users:
            paths = wanted[container.name]
            message = f"Mount a writable emptyDir at {', '.join(paths)} in container {container.name}: its root filesystem is read-only"
            mounts = [{"name": names[path], "mountPath": path} for path in paths]
            with pod.one_change(message, mounts, guidance=said.get(container.name, "") + hides):
                for mount in mounts:
                    pod.append(("volumeMounts",), mount, message, container)
        volumes = [{"name": name, "emptyDir": {}} for name in names.values()]
        message = f"Add the emptyDir volume{'s' if len(volumes) > 1 else ''} {', '.join(names.values())} for those writable paths"
        with pod.one_change(message, volumes, guidance=hides):
            for volume in volumes:
                pod.append(("volumes",), volume, message)


def _covered(container: Container, path: str) -> bool:
    """Is a volume already mounted at ``path`` or at a directory above it?"""
    for mount in container.get("volumeMounts") or ():
        mount_path = mount.get("mountPath") if isinstance(mount, dict) else None
        if isinstance(mount_path, str):
            mount_path = mount_path.rstrip("/") or "/"
            if path == mount_path or path.startswith(mount_path.rstrip("/") + "/"):
                return True
    return False


def _cannot_mount(pod: PodContext, containers: list[Container]) -> str | None:
    """Why the volumes cannot be added safely (a mount without its volume would be invalid)."""
    lists = [(("volumes",), pod.get("volumes"), "the pod's volumes")]
    lists += [(("volumeMounts",), c.get("volumeMounts"), f"the volumeMounts of container {c.name}") for c in containers]
    for _path, value, what in lists:
        if value is not None and not isinstance(value, list):
            return f"{what} is not a list"
        if value is not None and id(value) in pod.shared:
            return f"{what} is inside a YAML anchor used in other places"
    return None


def _free_name(path: str, taken: set) -> str:
    """A volume name from the path (``/var/cache/nginx`` -> ``var-cache-nginx``) that the pod does not use yet."""
    base = _NAME_JUNK.sub("-", path.lower()).strip("-")[:55] or "writable"
    name, number = base, 2
    while name in taken:
        name, number = f"{base}-{number}", number + 1
    return name
