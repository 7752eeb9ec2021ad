"""restricted-volume-types: report volumes of types the restricted level forbids."""

from dataclasses import dataclass

from hardener.context import PodContext
from hardener.transform import SAFE, Transform

from .references import azure, pss

RESTRICTED_TYPES = ("configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image", "persistentVolumeClaim", "projected", "secret")


@dataclass(frozen=True)
class Params:
    allowed: tuple[str, ...] = RESTRICTED_TYPES
    """Volume source fields that may be used (Azure Policy's ``allowedVolumeTypes``)."""


class RestrictedVolumeTypes(Transform):
    """Report volumes whose type is outside the allowed set.

    ## What it changes
    Nothing: every volume that uses none of the allowed volume sources
    (`configMap`, `csi`, `downwardAPI`, `emptyDir`, `ephemeral`, `image`,
    `persistentVolumeClaim`, `projected`, `secret` at restricted) is
    reported, `hostPath` included.

    ## Why
    Inline volume sources such as `nfs`, `iscsi`, `rbd` or `gitRepo` let a
    pod author mount storage the cluster administrator never provisioned;
    `hostPath` mounts the node itself. Restricted admits only sources that
    go through Kubernetes objects (claims, config maps, secrets) or are
    private to the pod.

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
      - name: share
        nfs:
          server: nfs.example.com
          path: /exports
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
      - name: share
        nfs:
          server: nfs.example.com
          path: /exports
    ```

    ## Fix safety
    Safe: it changes nothing. Move the storage behind a PersistentVolume
    and claim it with a PersistentVolumeClaim.
    """

    id = "restricted-volume-types"
    title = "Report restricted volume types"
    rationale = "Inline volume sources mount storage (or node paths) the cluster administrator never provisioned."
    safety = SAFE
    reports_only = True
    references = (
        pss("Volume Types", "restricted"),
        azure("AllowedVolumeTypes"),
    )
    Params = Params

    def apply(self, pod: PodContext) -> None:
        volumes = pod.get("volumes")
        if not isinstance(volumes, list):
            return
        for index, volume in enumerate(volumes):
            if not isinstance(volume, dict) or any(isinstance(volume.get(k), dict) for k in self.params.allowed):
                continue
            kinds = [k for k, v in volume.items() if k != "name" and isinstance(v, dict)] or ["no source"]
            pod.finding(
                f"Volume {volume.get('name')} uses {', '.join(kinds)}, which the profile does not allow; "
                "use a PersistentVolumeClaim or an allowed type",
                ("volumes", index) if kinds == ["no source"] else ("volumes", index, kinds[0]),  # at the source's own line
            )
