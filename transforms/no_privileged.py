"""no-privileged: no container runs with every device and capability of the node."""

from hardener.context import PodContext
from hardener.transform import MAY_BREAK, Transform

from .references import azure, cis, nsa, pss


class NoPrivileged(Transform):
    """Turn off privileged mode in every container.

    ## What it changes
    Sets `securityContext.privileged: false` in every container, init
    container and ephemeral container that says `privileged: true`. A
    container that does not mention it is left alone (the default is false).

    ## Why
    A privileged container sees every device of the node, has every
    capability and runs without seccomp or AppArmor confinement: it is root
    on the node in all but name. Pod Security Standards baseline forbids it.

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
          privileged: true
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
          privileged: false
    ```

    ## Fix safety
    May break: node agents (CNI plugins, storage drivers, Docker-in-Docker)
    really need it. Run such workloads in a namespace the profile excludes,
    or keep them with `hardener.dev/skip: no-privileged` and a reason.
    """

    id = "no-privileged"
    example_unsafe = True
    title = "Turn off privileged mode"
    rationale = "A privileged container has every device and capability of the node: it is root on the node."
    safety = MAY_BREAK
    guidance = (
        "Node agents (CNI, CSI drivers, Docker-in-Docker) need privileged mode; exempt them with "
        "hardener.dev/skip: no-privileged and a hardener.dev/skip-reason, or run them in an excluded namespace."
    )
    references = (
        pss("Privileged Containers", "baseline"),
        cis("5.2.2"),
        nsa("Do not run privileged containers"),
        azure("ContainerNoPrivilege"),
    )

    def apply(self, pod: PodContext) -> None:
        for container in pod.containers():
            if container.get("securityContext", "privileged") is True:
                pod.set(
                    ("securityContext", "privileged"),
                    False,
                    f"Set privileged to false in container {container.name} (it was explicitly true)",
                    container,
                )
