"""dedicated-service-account: each application runs under a service account of its own."""

from dataclasses import dataclass

from hardener.context import PodContext
from hardener.model import WARNING
from hardener.transform import MAY_BREAK, Transform
from hardener.workloads import lookup

from .references import cis, nsa


@dataclass(frozen=True)
class Params:
    create: bool = False
    """Create a ServiceAccount per workload and use it (off: only report)."""


class DedicatedServiceAccount(Transform):
    """Give every workload a service account of its own instead of the namespace's `default`.

    ## What it changes
    Reports a workload that runs as the namespace's `default` service account
    (no `serviceAccountName`, or `default`). With the parameter `create: true`
    it also sets `serviceAccountName` to an account named after the workload
    and adds that `ServiceAccount` (same namespace, the workload's selector
    labels, `automountServiceAccountToken: false`) to the stream right after
    the workload. An account the stream already defines under that name is
    reused, never duplicated, and two workloads never get the same new name.
    A workload whose `default` account a RoleBinding or ClusterRoleBinding in
    the stream names keeps it (with a warning): a new account would not have
    those permissions.

    ## Why
    Every pod of a namespace that names no account shares `default`, so one
    compromised pod can use whatever RBAC anyone ever granted to `default`,
    and audit logs cannot tell the applications apart. One identity per
    application keeps permissions and audit trails separate.

    ## Example
    ```yaml
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
      namespace: shop
    spec:
      selector:
        matchLabels:
          app: web
      template:
        spec:
          containers:
          - name: web
            image: nginx
    ```
    ```yaml
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
      namespace: shop
    spec:
      selector:
        matchLabels:
          app: web
      template:
        spec:
          containers:
          - name: web
            image: nginx
          serviceAccountName: web
    ---
    apiVersion: v1
    kind: ServiceAccount
    metadata:
      name: web
      namespace: shop
      labels:
        app: web
    automountServiceAccountToken: false
    ```

    ## Fix safety
    May break: a workload whose code calls the Kubernetes API loses the
    permissions RBAC granted to `default`. Bind the role it needs to the new
    account (a RoleBinding naming the ServiceAccount) and set
    `automountServiceAccountToken: true` on its pod spec.
    """

    id = "dedicated-service-account"
    title = "Run each workload under its own service account"
    rationale = "Workloads that share the default service account share every permission granted to it."
    safety = MAY_BREAK
    example_params = {"create": True}
    guidance = (
        "If the workload calls the Kubernetes API, bind the Role it needs to the new ServiceAccount "
        "(a RoleBinding) and mount its token explicitly (automountServiceAccountToken: true)."
    )
    references = (
        cis("5.1.5"),
        nsa("Create separate service accounts for each application"),
    )
    Params = Params

    @property
    def needs_stream_index(self) -> bool:
        return self.params.create

    def apply(self, pod: PodContext) -> None:
        account = pod.get("serviceAccountName") or pod.get("serviceAccount")
        if account not in (None, "", "default"):
            return
        if not self.params.create:  # advice: the restricted profile does not create accounts
            pod.finding(
                "The workload runs as the namespace's default service account; give it a ServiceAccount of its own",
                ("serviceAccountName",),
                severity=WARNING,
            )
            return
        kind, name, namespace = pod.object.get("kind"), pod.object_name, pod.object_namespace
        bindings = pod.stream.bindings_of(namespace, "default") if pod.stream else []
        if bindings:
            pod.finding(
                f"Kept the default service account: it is bound by {', '.join(map(str, bindings))}, and a new "
                "account would not have those permissions; bind them to an account of the workload's own",
                ("serviceAccountName",),
            )
            return
        if not name:
            pod.finding("The workload has no metadata.name to name its service account after; not changed", ("serviceAccountName",))
            return
        if pod.json_style:
            pod.finding("A JSON file holds one document: create the ServiceAccount by hand; not changed", ("serviceAccountName",))
            return
        account_name, exists = pod.stream.account_for(namespace, name, str(kind))
        before = "default" if account == "default" else None
        message = f"Set serviceAccountName to {account_name}" + (" (was default)" if before else "")
        pod.set(("serviceAccountName",), account_name, message)
        if pod.get("serviceAccount") == "default":
            pod.set(("serviceAccount",), account_name, f"Set the deprecated serviceAccount to {account_name} as well")
        if not exists:
            pod.add_document(_service_account(account_name, namespace, _selector_labels(pod)), f"Add ServiceAccount {account_name} for {kind} {name}")


def _selector_labels(pod: PodContext) -> dict:
    """The labels that select the workload's pods, else its pod template's labels."""
    for path in (("spec", "selector", "matchLabels"), ("spec", "template", "metadata", "labels"), ("metadata", "labels")):
        labels = lookup(pod.object, path)
        if isinstance(labels, dict) and labels and all(isinstance(v, str) for v in labels.values()):
            return dict(labels)
    return {}


def _service_account(name: str, namespace: str | None, labels: dict) -> dict:
    metadata: dict = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    if labels:
        metadata["labels"] = labels
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": metadata, "automountServiceAccountToken": False}
