"""apparmor-runtime-default: no container runs without AppArmor confinement."""

from hardener.context import PodContext
from hardener.transform import SAFE, Transform

from .references import nsa, pss

ALLOWED_TYPES = ("RuntimeDefault", "Localhost")
ANNOTATION_PREFIX = "container.apparmor.security.beta.kubernetes.io/"


def _annotation_ok(value: str) -> bool:
    return value in ("", "runtime/default") or value.startswith("localhost/")


class AppArmorRuntimeDefault(Transform):
    """Replace an unconfined AppArmor profile with the runtime's default.

    ## What it changes
    Sets `securityContext.appArmorProfile.type` to `RuntimeDefault` on the
    pod and in containers where it is anything but `RuntimeDefault` or
    `Localhost` (that is, `Unconfined`). The legacy annotation
    `container.apparmor.security.beta.kubernetes.io/<container>` on the pod
    (template) metadata gets `runtime/default` where it says `unconfined`
    (or anything else but `runtime/default` and `localhost/<profile>`).
    Nothing is added where nothing is set: the runtime applies its default
    profile on its own.

    ## Why
    On nodes with AppArmor, the runtime's default profile denies writes to
    `/proc` and `/sys` and mounting file systems; `Unconfined` removes that
    protection.

    ## Example
    ```yaml
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
    spec:
      template:
        metadata:
          annotations:
            container.apparmor.security.beta.kubernetes.io/web: unconfined
        spec:
          containers:
          - name: web
            image: nginx
            securityContext:
              appArmorProfile:
                type: Unconfined
    ```
    ```yaml
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
    spec:
      template:
        metadata:
          annotations:
            container.apparmor.security.beta.kubernetes.io/web: runtime/default
        spec:
          containers:
          - name: web
            image: nginx
            securityContext:
              appArmorProfile:
                type: RuntimeDefault
    ```

    ## Fix safety
    Safe for almost every application: the default profile only denies
    what ordinary programs never do (mounts, writes under /proc and /sys).
    """

    id = "apparmor-runtime-default"
    example_unsafe = True
    title = "Use the runtime's default AppArmor profile"
    rationale = "An Unconfined AppArmor profile lifts the runtime's protection of /proc, /sys and mounts."
    safety = SAFE
    guidance = "A program that must mount file systems or write under /proc needs a Localhost AppArmor profile."
    references = (
        pss("AppArmor", "baseline"),
        nsa("Use AppArmor or SELinux to confine containers"),
    )

    def apply(self, pod: PodContext) -> None:
        self._field(pod, pod.get("securityContext", "appArmorProfile"), None, "on the pod")
        for container in pod.containers():
            self._field(pod, container.get("securityContext", "appArmorProfile"), container, f"in container {container.name}")
        annotations = pod.metadata.get("annotations")
        if not isinstance(annotations, dict):
            return
        for key, value in list(annotations.items()):
            if isinstance(key, str) and key.startswith(ANNOTATION_PREFIX) and isinstance(value, str) and not _annotation_ok(value):
                pod.set_metadata(("annotations", key), "runtime/default", f"Set annotation {key} to runtime/default (it was {value})")

    def _field(self, pod: PodContext, profile: object, container, where: str) -> None:
        if not isinstance(profile, dict) or profile.get("type") in ALLOWED_TYPES:
            return
        pod.set(("securityContext", "appArmorProfile", "type"), "RuntimeDefault",
                f"Set appArmorProfile.type to RuntimeDefault {where} (it was {profile.get('type')})", container)
