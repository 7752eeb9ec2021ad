"""safe-sysctls: report sysctls outside the namespaced, safe set."""

from dataclasses import dataclass

from hardener.context import PodContext
from hardener.transform import SAFE, Transform

from .references import pss

SAFE_SYSCTLS = (
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
    "net.ipv4.tcp_rmem",
    "net.ipv4.tcp_wmem",
    "net.ipv4.tcp_slow_start_after_idle",
    "net.ipv4.tcp_notsent_lowat",
)


@dataclass(frozen=True)
class Params:
    allowed: tuple[str, ...] = SAFE_SYSCTLS
    """Sysctl names a pod may set (Pod Security Standards baseline's safe set at the latest version)."""


class SafeSysctls(Transform):
    """Report sysctls outside the safe set.

    ## What it changes
    Nothing: every entry of `securityContext.sysctls` on the pod whose name
    is not in the safe set is reported.

    ## Why
    Unsafe sysctls are not namespaced or not isolated between pods: setting
    one changes the node for every pod on it, or can starve the node
    (`kernel.msgmax`, `vm.*`). Removing one silently would change how the
    application behaves.

    ## Example
    ```yaml
    apiVersion: v1
    kind: Pod
    metadata:
      name: web
    spec:
      securityContext:
        sysctls:
        - name: kernel.msgmax
          value: "65536"
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
      securityContext:
        sysctls:
        - name: kernel.msgmax
          value: "65536"
      containers:
      - name: web
        image: nginx
    ```

    ## Fix safety
    Safe: it changes nothing. Drop the sysctl, or set it on dedicated nodes
    (the kubelet's `--allowed-unsafe-sysctls`) and exempt the workload.
    """

    id = "safe-sysctls"
    title = "Report unsafe sysctls"
    rationale = "Unsafe sysctls change kernel settings shared by every pod on the node."
    safety = SAFE
    reports_only = True
    references = (pss("Sysctls", "baseline"),)
    Params = Params

    def apply(self, pod: PodContext) -> None:
        sysctls = pod.get("securityContext", "sysctls")
        if not isinstance(sysctls, list):
            return
        for index, entry in enumerate(sysctls):
            name = entry.get("name") if isinstance(entry, dict) else None
            if name not in self.params.allowed:
                pod.finding(f"Sysctl {name} is not in the safe set; drop it or run the workload on dedicated nodes",
                            ("securityContext", "sysctls", index))
