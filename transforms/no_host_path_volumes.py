"""no-host-path-volumes: report hostPath volumes (a fix would lose the data they mount)."""

from dataclasses import dataclass

from hardener.context import PodContext
from hardener.transform import SAFE, Transform

from .references import azure, cis, nsa, pss


@dataclass(frozen=True)
class Params:
    allowed_paths: tuple[dict, ...] = ()
    """Azure Policy's ``allowedHostPaths.paths``: ``{pathPrefix: /var/log, readOnly: true}`` entries."""

    def __post_init__(self) -> None:
        for entry in self.allowed_paths:
            if set(entry) != {"pathPrefix", "readOnly"}:
                raise ValueError(f"allowed_paths: each entry needs exactly pathPrefix and readOnly, got {sorted(entry)}")
            if not isinstance(entry["pathPrefix"], str) or not isinstance(entry["readOnly"], bool):
                raise ValueError("allowed_paths: pathPrefix is a string and readOnly a boolean")


def path_matches(prefix: str, path: str) -> bool:
    """``/var/log`` allows ``/var/log`` and ``/var/log/pods``, not ``/var/logs`` (component-wise, as Gatekeeper)."""
    want = [part for part in prefix.strip("/").split("/") if part]
    have = [part for part in path.strip("/").split("/") if part]
    return have[: len(want)] == want


class NoHostPathVolumes(Transform):
    """Report hostPath volumes outside the allowed paths.

    ## What it changes
    Nothing: every `hostPath` volume whose path is not under one of the
    profile's `allowed_paths` is reported as a finding. An allowed path with
    `readOnly: true` is reported when a container mounts it writable.

    ## Why
    A hostPath volume gives the container the node's own files: the
    container runtime's socket (`/var/run/docker.sock`, `containerd.sock`)
    is root on the node, `/etc` and `/var/lib/kubelet` hold credentials.
    Replacing the volume cannot be automatic: the workload reads or writes
    those files on purpose.

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
      volumes:
      - name: docker
        hostPath:
          path: /var/run/docker.sock
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
      volumes:
      - name: docker
        hostPath:
          path: /var/run/docker.sock
    ```

    ## Fix safety
    Safe: it changes nothing. Replace the volume with an `emptyDir`, a
    PersistentVolumeClaim or a CSI volume, or exempt the workload.
    """

    id = "no-host-path-volumes"
    title = "Report hostPath volumes"
    rationale = "A hostPath volume hands the container the node's own files, sockets and credentials."
    safety = SAFE
    reports_only = True
    references = (
        pss("HostPath Volumes", "baseline"),
        cis("5.2.12"),
        nsa("Restrict hostPath volumes"),
        azure("AllowedHostPaths"),
    )
    Params = Params

    def apply(self, pod: PodContext) -> None:
        volumes = pod.get("volumes")
        if not isinstance(volumes, list):
            return
        for index, volume in enumerate(volumes):
            if not isinstance(volume, dict) or not isinstance(volume.get("hostPath"), dict):
                continue
            name, path = volume.get("name"), volume["hostPath"].get("path")
            rule = next((e for e in self.params.allowed_paths if isinstance(path, str) and path_matches(e["pathPrefix"], path)), None)
            where = ("volumes", index, "hostPath")
            if rule is None:
                pod.finding(f"Volume {name} mounts the node's path {path} (hostPath); replace it or exempt the workload", where)
                continue
            if rule["readOnly"]:
                for container in pod.containers():
                    for mount in container.get("volumeMounts") or []:
                        if isinstance(mount, dict) and mount.get("name") == name and mount.get("readOnly") is not True:
                            pod.finding(f"Volume {name} ({path}) is allowed read-only but container {container.name} mounts it writable; set readOnly: true on the mount", where)
