"""security-field-names: report security settings Kubernetes would silently ignore."""

from hardener import schema
from hardener.context import PodContext
from hardener.model import WARNING
from hardener.transform import SAFE, Transform

from .references import pss

NESTED = {
    "capabilities": "V1Capabilities",
    "seccompProfile": "V1SeccompProfile",
    "appArmorProfile": "V1AppArmorProfile",
    "seLinuxOptions": "V1SELinuxOptions",
    "windowsOptions": "V1WindowsSecurityContextOptions",
}


class SecurityFieldNames(Transform):
    """Report misspelled security fields, which Kubernetes silently drops.

    ## What it changes
    Nothing: a key in a pod or container `securityContext` (and its
    `capabilities`, `seccompProfile`, `seLinuxOptions`, `appArmorProfile`,
    `windowsOptions`) that is not a field of the Kubernetes API, or a pod or
    container key that looks like a misspelled security field
    (`securityContex`, `hostPid`), is reported with the field it was
    probably meant to be. A value of the wrong type (`runAsNonRoot: "true"`)
    is reported too. Field names and types come from the official
    `kubernetes` client's models.

    ## Why
    `kubectl apply` drops unknown fields with at most a warning: a
    misspelled `runAsNonroot: true` leaves the container running as root
    while the manifest looks hardened. Fixing it by guessing could set a
    field nobody meant.

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
          runAsNonroot: true
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
          runAsNonroot: true
    ```

    ## Fix safety
    Safe: it changes nothing. Correct the spelling the finding suggests.
    """

    id = "security-field-names"
    title = "Report misspelled security fields"
    rationale = "Kubernetes silently drops unknown fields: a misspelled setting looks hardened but is not."
    safety = SAFE
    reports_only = True
    references = (pss("Pod Security Standards", "baseline"),)

    def apply(self, pod: PodContext) -> None:
        self._keys(pod, pod.spec, schema.POD_SPEC_FIELDS, schema.POD_SECURITY_FIELDS, "the pod spec", None)
        self._security_context(pod, pod.get("securityContext"), "V1PodSecurityContext", (), "on the pod", None)
        for container in pod.containers():
            self._keys(pod, container.data, schema.CONTAINER_FIELDS, schema.CONTAINER_SECURITY_FIELDS, f"container {container.name}", container)
            self._security_context(pod, container.get("securityContext"), "V1SecurityContext", (), f"in container {container.name}", container)

    def _keys(self, pod, data: dict, names, security, where: str, container) -> None:
        for key in data:
            if not isinstance(key, str) or key in names:
                continue
            hint = schema.suggestion(key, security)
            if hint and hint != key and not schema.is_field("V1Container" if container else "V1PodSpec", key, names):
                pod.finding(f"{where} has {key!r}, which Kubernetes ignores; did you mean {hint}?", (key,), container, severity=WARNING)

    def _security_context(self, pod, data, model: str, path: tuple, where: str, container) -> None:
        if not isinstance(data, dict):
            return
        types = schema.CACHE[model]
        for key, value in data.items():
            here = ("securityContext", *path, key)
            if not isinstance(key, str) or not schema.is_field(model, key):
                hint = schema.suggestion(str(key), schema.fields(model))
                tail = f"; did you mean {hint}?" if hint else ""
                pod.finding(f"securityContext{''.join('.' + p for p in path)} {where} has {key!r}, which is not a Kubernetes field and is ignored{tail}", here, container, severity=WARNING)
                continue
            kind = types.get(key)
            if kind is not None and value is not None and not schema.value_fits(kind, value):
                pod.finding(f"securityContext{''.join('.' + p for p in path)}.{key} {where} should be {kind.lower()}, not {value!r}", here, container, severity=WARNING)
            elif key in NESTED:
                self._security_context(pod, value, NESTED[key], (*path, key), where, container)
