"""drop-all-capabilities: containers start with no Linux capabilities."""

from hardener.context import PodContext
from hardener.evidence import root_command
from hardener.transform import MAY_BREAK, Transform

from .references import azure, cis, nsa, pss


class DropAllCapabilities(Transform):
    """Drop every Linux capability; add back only what the app needs.

    ## What it changes
    Makes `securityContext.capabilities.drop` contain `ALL` in every
    container, init container and ephemeral container. Existing entries in
    `drop` and anything in `add` are kept.

    ## Why
    Container runtimes grant a default set of capabilities (`NET_RAW`,
    `CHOWN`, `SETUID`, `DAC_OVERRIDE`, ...). Most applications need none of
    them, and `NET_RAW` alone allows ARP and DNS spoofing inside the
    cluster network.

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
            drop: [NET_RAW]
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
            drop: [NET_RAW, ALL]
    ```

    ## Fix safety
    May break: a process that needs a capability (binding a port below 1024
    as non-root needs `NET_BIND_SERVICE`, `chown` needs `CHOWN`) fails with
    "operation not permitted". Add the capability it needs back under
    `capabilities.add`.
    """

    id = "drop-all-capabilities"
    title = "Drop all Linux capabilities"
    rationale = "Default capabilities such as NET_RAW and SETUID give an intruder tools most apps never use."
    safety = MAY_BREAK
    guidance = (
        "If the app binds a port below 1024 or changes file ownership, add back only the capability it "
        "needs (NET_BIND_SERVICE, CHOWN) under capabilities.add."
    )
    linux_only = True
    references = (
        pss("Capabilities", "restricted"),
        cis("5.2.10"),
        cis("5.2.8"),
        nsa("Drop unnecessary Linux capabilities"),
        azure("ContainerAllowedCapabilities"),
    )

    def apply(self, pod: PodContext) -> None:
        for container in pod.containers():
            drop = container.get("securityContext", "capabilities", "drop")
            if isinstance(drop, list) and "ALL" in drop:
                continue
            if drop is not None and not isinstance(drop, list):
                pod.finding(
                    f"capabilities.drop in container {container.name} is not a list; drop ALL by hand",
                    ("securityContext", "capabilities", "drop"),
                    container,
                )
                continue
            needs = root_command(container)
            pod.append(
                ("securityContext", "capabilities", "drop"),
                "ALL",
                f"Add ALL to capabilities.drop in container {container.name}",
                container,
                guidance=f"Container {container.name} runs {needs}, which needs a capability ALL removes (CHOWN, "
                "DAC_OVERRIDE, FOWNER, SETUID); exempt it from drop-all-capabilities, or do that step where the "
                "profile allows it." if needs else None,
            )
