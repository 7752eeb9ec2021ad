"""restrict-capabilities: containers add only the capabilities the level allows."""

from dataclasses import dataclass

from hardener.context import PodContext
from hardener.transform import MAY_BREAK, Transform

from .references import azure, cis, nsa, pss


@dataclass(frozen=True)
class Params:
    allowed: tuple[str, ...] = ("NET_BIND_SERVICE",)
    """Capabilities that may stay in ``capabilities.add``, compared exactly as Pod Security Admission does."""


class RestrictCapabilities(Transform):
    """Remove added capabilities outside the allowed set.

    ## What it changes
    Removes every entry of `securityContext.capabilities.add` that is not
    in the allowed set: only `NET_BIND_SERVICE` at restricted, the runtime's
    default set minus `NET_RAW` at baseline. Names are compared exactly, as
    Pod Security Admission compares them (`CAP_NET_ADMIN`, `net_admin` and
    `NET_ADMIN` are all different strings). An `add` list left empty is
    removed.

    ## Why
    Capabilities such as `SYS_ADMIN`, `NET_ADMIN` or `SYS_PTRACE` give a
    container most of root's power over the node's kernel: mounting file
    systems, reconfiguring the network, reading other processes' memory.

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
          capabilities:
            add:
            - NET_BIND_SERVICE
            - SYS_ADMIN
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
          capabilities:
            add:
            - NET_BIND_SERVICE
    ```

    ## Fix safety
    May break: a workload that manages the network (CNI, VPN), mounts file
    systems or traces processes needs the capability it asked for. Exempt it
    with `hardener.dev/skip: restrict-capabilities` and a reason.
    """

    id = "restrict-capabilities"
    example_unsafe = True
    title = "Add only allowed capabilities"
    rationale = "Capabilities such as SYS_ADMIN and NET_ADMIN give a container most of root's power over the kernel."
    safety = MAY_BREAK
    guidance = (
        "Network agents, VPNs and storage drivers need the capability they add; exempt them with "
        "hardener.dev/skip: restrict-capabilities and a hardener.dev/skip-reason."
    )
    linux_only = True
    references = (
        pss("Capabilities", "restricted"),
        pss("Capabilities", "baseline"),
        cis("5.2.9"),
        nsa("Drop unnecessary Linux capabilities"),
        azure("ContainerAllowedCapabilities"),
    )
    Params = Params

    def apply(self, pod: PodContext) -> None:
        allowed = set(self.params.allowed)
        for container in pod.containers():
            added = container.get("securityContext", "capabilities", "add")
            if added is None:
                continue
            if not isinstance(added, list):
                pod.finding(f"capabilities.add in container {container.name} is not a list; check it by hand",
                            ("securityContext", "capabilities", "add"), container)
                continue
            for index in reversed(range(len(added))):
                cap = added[index]
                if not isinstance(cap, str) or cap in allowed:
                    continue
                canonical = cap.upper().removeprefix("CAP_")
                hint = f"; write it as {canonical} if the app needs it" if canonical in allowed else ""
                pod.remove(("securityContext", "capabilities", "add", index),
                           f"Remove capability {cap} from capabilities.add in container {container.name}{hint}", container)
