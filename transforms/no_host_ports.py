"""no-host-ports: containers do not bind ports on the node's interfaces."""

from dataclasses import dataclass

from hardener.context import PodContext
from hardener.transform import MAY_BREAK, Transform

from .references import azure, cis, pss


@dataclass(frozen=True)
class Params:
    min_port: int = 0
    max_port: int = 0
    """Host ports in ``min_port..max_port`` are kept (Azure Policy's ``minPort``/``maxPort``); 0..0 keeps none."""


class NoHostPorts(Transform):
    """Remove `hostPort` from container ports.

    ## What it changes
    Removes `hostPort` from every entry of `ports` in every container, init
    container and ephemeral container, unless it is `0` or inside the
    allowed range (`min_port`..`max_port`, empty by default). The
    `containerPort` stays: the port is still reachable through the pod's IP
    and through Services.

    ## Why
    A host port binds the node's own interfaces: it bypasses NetworkPolicy
    on many CNIs, limits scheduling to one such pod per node, and exposes
    the workload outside the cluster network. Pod Security Standards
    baseline forbids it.

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
        ports:
        - containerPort: 8080
          hostPort: 80
          protocol: TCP
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
        ports:
        - containerPort: 8080
          protocol: TCP
    ```

    ## Fix safety
    May break: clients that reach the pod on the node's address and port
    (a DaemonSet agent, an ingress controller without a LoadBalancer) lose
    it. Put a Service (NodePort or LoadBalancer) in front, or exempt the
    workload.
    """

    id = "no-host-ports"
    example_unsafe = True
    title = "Do not bind host ports"
    rationale = "A host port binds the node's interfaces, bypassing Services and often NetworkPolicy."
    safety = MAY_BREAK
    guidance = (
        "Clients that used node-address:hostPort must go through a Service (NodePort or LoadBalancer) instead; "
        "node agents that must bind the node can be exempted with hardener.dev/skip: no-host-ports."
    )
    references = (
        pss("Host Ports", "baseline"),
        cis("5.2.13"),
        azure("HostNetworkPorts"),
    )
    Params = Params

    def apply(self, pod: PodContext) -> None:
        for container in pod.containers():
            ports = container.get("ports")
            if not isinstance(ports, list):
                continue
            for index in reversed(range(len(ports))):
                port = ports[index]
                host_port = port.get("hostPort") if isinstance(port, dict) else None
                if host_port is None or host_port == 0 or self._allowed(host_port):
                    continue
                pod.remove(
                    ("ports", index, "hostPort"),
                    f"Remove hostPort {host_port} from port {port.get('containerPort')} in container {container.name}",
                    container,
                )

    def _allowed(self, port: object) -> bool:
        low, high = self.params.min_port, self.params.max_port
        return isinstance(port, int) and not isinstance(port, bool) and high > 0 and low <= port <= high
