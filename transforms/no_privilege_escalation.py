"""no-privilege-escalation: no process in the container can gain more privileges than its parent."""

from hardener.context import PodContext
from hardener.model import yaml_text
from hardener.transform import SAFE, Transform

from .references import azure, cis, nsa, pss

SYS_ADMIN = frozenset({"SYS_ADMIN", "CAP_SYS_ADMIN"})


class NoPrivilegeEscalation(Transform):
    """Forbid privilege escalation (setuid binaries, file capabilities) in every container.

    ## What it changes
    Sets `securityContext.allowPrivilegeEscalation: false` in every
    container, init container and ephemeral container, replacing an explicit
    `true`. A container that is `privileged` or adds `SYS_ADMIN` keeps its
    setting and gets a finding instead: Kubernetes rejects
    `allowPrivilegeEscalation: false` together with either of them.

    ## Why
    `allowPrivilegeEscalation` controls the kernel's `no_new_privs` flag.
    Without it, a setuid-root binary in the image (`su`, `ping`, `mount`)
    lets a compromised process become root.

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
          allowPrivilegeEscalation: true
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
          allowPrivilegeEscalation: false
    ```

    ## Fix safety
    Safe for almost every application: only programs that rely on setuid
    binaries or file capabilities at run time (for example `sudo` inside the
    container) stop working.
    """

    id = "no-privilege-escalation"
    example_unsafe = True
    title = "Forbid privilege escalation"
    rationale = "Without no_new_privs, a setuid binary in the image lets a compromised process become root."
    safety = SAFE
    guidance = "Only programs that call setuid binaries (sudo, su) or rely on file capabilities at run time are affected."
    linux_only = True
    references = (
        pss("Privilege Escalation", "restricted"),
        cis("5.2.6"),
        nsa("Prevent privilege escalation"),
        azure("ContainerNoPrivilegeEscalation"),
    )

    def apply(self, pod: PodContext) -> None:
        for container in pod.containers():
            current = container.get("securityContext", "allowPrivilegeEscalation")
            if current is False:
                continue
            added = container.get("securityContext", "capabilities", "add")
            if container.get("securityContext", "privileged") is True:
                pod.finding(
                    f"Container {container.name} is privileged; allowPrivilegeEscalation cannot be false "
                    "until privileged is false (no-privileged sets it when unsafe fixes are allowed)",
                    ("securityContext", "allowPrivilegeEscalation"),
                    container,
                )
            elif isinstance(added, list) and SYS_ADMIN & {str(cap).upper() for cap in added}:
                pod.finding(
                    f"Container {container.name} adds SYS_ADMIN; allowPrivilegeEscalation cannot be false "
                    "while it does (restrict-capabilities removes it when unsafe fixes are allowed)",
                    ("securityContext", "allowPrivilegeEscalation"),
                    container,
                )
            else:
                message = f"Set allowPrivilegeEscalation to false in container {container.name}"
                if current is not None:
                    message += f" (it was explicitly {yaml_text(current)})"
                pod.set(("securityContext", "allowPrivilegeEscalation"), False, message, container)
