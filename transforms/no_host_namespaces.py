"""no-host-namespaces: pods get their own network, process and IPC namespaces."""

from dataclasses import dataclass

from hardener.context import PodContext
from hardener.transform import MAY_BREAK, Transform

from .references import azure, cis, nsa, pss

NAMESPACE_FIELDS = ("hostNetwork", "hostPID", "hostIPC")


@dataclass(frozen=True)
class Params:
    allow_host_network: bool = False
    """Keep ``hostNetwork: true`` (Azure Policy's ``allowHostNetwork``); hostPID and hostIPC are still turned off."""


class NoHostNamespaces(Transform):
    """Stop pods from sharing the node's network, process and IPC namespaces.

    ## What it changes
    Sets `hostNetwork`, `hostPID` and `hostIPC` to `false` on a pod spec
    that sets them to `true`. With the parameter `allow_host_network`,
    `hostNetwork` is kept.

    ## Why
    `hostNetwork` lets a pod sniff and bind every interface of the node and
    reach services bound to localhost; `hostPID` shows (and lets it signal
    and ptrace) every process of the node; `hostIPC` shares the node's shared
    memory. Pod Security Standards baseline forbids all three.

    ## Example
    ```yaml
    apiVersion: v1
    kind: Pod
    metadata:
      name: web
    spec:
      hostNetwork: true
      hostPID: true
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
      hostNetwork: false
      hostPID: false
      containers:
      - name: web
        image: nginx
    ```

    ## Fix safety
    May break: node exporters, CNI agents and ingress controllers bound to
    node ports use the host network on purpose, and debugging tools use the
    host PID namespace. Exempt them (annotation or excluded namespace).
    """

    id = "no-host-namespaces"
    example_unsafe = True
    title = "Do not share the node's namespaces"
    rationale = "Host network, PID and IPC namespaces expose the node's interfaces, processes and shared memory to the pod."
    safety = MAY_BREAK
    guidance = (
        "Node-level agents (node exporters, CNI, ingress on node ports) need hostNetwork; exempt them with "
        "hardener.dev/skip: no-host-namespaces and a reason, or give the profile allow_host_network: true."
    )
    references = (
        pss("Host Namespaces", "baseline"),
        cis("5.2.3"),
        cis("5.2.4"),
        cis("5.2.5"),
        nsa("Do not share host namespaces"),
        azure("BlockHostNamespace"),
        azure("HostNetworkPorts"),
    )
    Params = Params

    def apply(self, pod: PodContext) -> None:
        for field in NAMESPACE_FIELDS:
            if field == "hostNetwork" and self.params.allow_host_network:
                continue
            if pod.get(field) is True:
                pod.set((field,), False, f"Set {field} to false on the pod (it was explicitly true)")
