"""automount-service-account-token: no API credentials in pods that do not ask for them."""

from dataclasses import dataclass

from hardener.context import PodContext
from hardener.evidence import api_access
from hardener.model import WARNING, yaml_text
from hardener.transform import MAY_BREAK, Transform

from .references import azure, cis, nsa


@dataclass(frozen=True)
class Params:
    service_accounts: bool = False
    """Also set ``automountServiceAccountToken: false`` on ServiceAccount objects in the stream."""


class AutomountServiceAccountToken(Transform):
    """Do not mount the service-account token into pods that do not ask for it.

    ## What it changes
    Sets `automountServiceAccountToken: false` on the pod spec when it is
    not set, unless the input proves the workload calls the Kubernetes API:
    a RoleBinding or ClusterRoleBinding in the stream names the pod's
    ServiceAccount (`default` when the pod names none), that ServiceAccount
    sets `automountServiceAccountToken: true`, or a container runs `kubectl`
    or `helm` (a Helm hook that upgrades CRDs, say). Such a pod keeps its
    token and a warning names the evidence, with or without `--unsafe-fixes`
    (the evidence says the fix would break it). An explicit `true` usually means
    the workload calls the Kubernetes API: changing it is an unsafe fix,
    reported and applied only with `--unsafe-fixes`. With the parameter
    `service_accounts: true`, ServiceAccount objects in the stream get
    `automountServiceAccountToken: false` too, except those a binding in the
    stream names (an explicit `true` there is an unsafe fix as well).

    ## Why
    Every pod gets a token for its service account at
    `/var/run/secrets/kubernetes.io/serviceaccount` by default. An intruder
    in any container can use it against the API server with whatever RBAC
    the account (often the namespace's `default`) was ever granted.

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
      automountServiceAccountToken: false
    ```

    ## Fix safety
    May break: a workload that calls the Kubernetes API (operators,
    controllers, service-mesh sidecars, anything using a client library's
    in-cluster configuration) loses its credentials. Set
    `automountServiceAccountToken: true` on such a pod explicitly.
    """

    id = "automount-service-account-token"
    title = "Do not mount the service-account token"
    rationale = "A mounted token lets an intruder in any container call the Kubernetes API as the pod's service account."
    safety = MAY_BREAK
    guidance = (
        "If the workload calls the Kubernetes API (an operator, a controller, a client library's in-cluster "
        "config), set automountServiceAccountToken: true on its pod spec explicitly."
    )
    references = (
        cis("5.1.6"),
        nsa("Disable automatic mounting of service account tokens"),
        azure("BlockAutomountToken"),
    )
    Params = Params
    object_kinds = frozenset({"ServiceAccount"})

    @property
    def needs_stream_index(self) -> bool:
        return True  # the bindings and ServiceAccounts elsewhere in the stream are the evidence

    def apply_object(self, account: PodContext) -> None:
        if not self.params.service_accounts:
            return
        current = account.get("automountServiceAccountToken")
        if current is False:
            return
        bindings = account.stream.bindings_of(account.object_namespace, account.object_name) if account.stream and account.object_name else []
        if bindings:
            account.finding(
                f"Kept the token mounts of ServiceAccount {account.object_name}: it is bound by "
                f"{', '.join(map(str, bindings))}, so its pods call the Kubernetes API",
                ("automountServiceAccountToken",),
                severity=WARNING,
            )
            return
        message = f"Set automountServiceAccountToken to false on ServiceAccount {account.object_name}"
        if current is not None:
            message += f" (it was explicitly {yaml_text(current)}: keep it only if its pods call the Kubernetes API)"
        account.set(("automountServiceAccountToken",), False, message)

    def apply(self, pod: PodContext) -> None:
        current = pod.get("automountServiceAccountToken")
        if current is False:
            return
        evidence = api_access(pod)
        if evidence:
            pod.finding(
                f"Kept the service-account token: {'; '.join(evidence)}, so the workload calls the Kubernetes API",
                ("automountServiceAccountToken",),
                severity=WARNING,
            )
            return
        message = "Set automountServiceAccountToken to false on the pod"
        if current is not None:
            message += f" (it was explicitly {yaml_text(current)})"
        pod.set(("automountServiceAccountToken",), False, message)
