"""no-windows-host-process: report Windows HostProcess containers."""

from hardener.context import PodContext
from hardener.transform import SAFE, Transform

from .references import cis, pss


class NoWindowsHostProcess(Transform):
    """Report Windows HostProcess pods and containers.

    ## What it changes
    Nothing: a pod or container with
    `securityContext.windowsOptions.hostProcess: true` is reported.

    ## Why
    A HostProcess container runs directly on the Windows node, with the
    node's network and file system and as a node account: it is not a
    container in any sense that matters for isolation. Turning it off cannot
    be automatic: such pods also use `hostNetwork` and node accounts that
    only make sense as HostProcess.

    ## Example
    ```yaml
    apiVersion: v1
    kind: Pod
    metadata:
      name: agent
    spec:
      securityContext:
        windowsOptions:
          hostProcess: true
          runAsUserName: 'NT AUTHORITY\\SYSTEM'
      hostNetwork: true
      containers:
      - name: agent
        image: agent
    ```
    ```yaml
    apiVersion: v1
    kind: Pod
    metadata:
      name: agent
    spec:
      securityContext:
        windowsOptions:
          hostProcess: true
          runAsUserName: 'NT AUTHORITY\\SYSTEM'
      hostNetwork: true
      containers:
      - name: agent
        image: agent
    ```

    ## Fix safety
    Safe: it changes nothing. Run node agents in an excluded namespace.
    """

    id = "no-windows-host-process"
    title = "Report Windows HostProcess containers"
    rationale = "A HostProcess container runs on the Windows node itself, outside any container isolation."
    safety = SAFE
    reports_only = True
    references = (pss("HostProcess", "baseline"), cis("5.2.11"))

    def apply(self, pod: PodContext) -> None:
        if pod.get("securityContext", "windowsOptions", "hostProcess") is True:
            pod.finding("The pod runs as a Windows HostProcess on the node; exempt it or run it elsewhere",
                        ("securityContext", "windowsOptions", "hostProcess"))
        for container in pod.containers():
            if container.get("securityContext", "windowsOptions", "hostProcess") is True:
                pod.finding(f"Container {container.name} runs as a Windows HostProcess on the node",
                            ("securityContext", "windowsOptions", "hostProcess"), container)
