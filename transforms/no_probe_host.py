"""no-probe-host: report probes and lifecycle hooks aimed at another host."""

from hardener.context import PodContext
from hardener.transform import SAFE, Transform

from .references import pss

HANDLERS = (("livenessProbe",), ("readinessProbe",), ("startupProbe",), ("lifecycle", "postStart"), ("lifecycle", "preStop"))


class NoProbeHost(Transform):
    """Report probes and lifecycle hooks that set `host`.

    ## What it changes
    Nothing: a `host` in the `httpGet` or `tcpSocket` of a liveness,
    readiness or startup probe or of a `postStart`/`preStop` hook is
    reported.

    ## Why
    The kubelet makes these requests from the node. A `host` lets a pod
    author make the node call any address (the cloud metadata service, the
    kubelet's own port on another node): a server-side request forgery.
    Removing it would point the probe at the pod, which may not answer.

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
        livenessProbe:
          httpGet:
            host: 169.254.169.254
            path: /
            port: 80
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
        livenessProbe:
          httpGet:
            host: 169.254.169.254
            path: /
            port: 80
    ```

    ## Fix safety
    Safe: it changes nothing. Remove `host` so the probe targets the pod's
    own IP, or use an `exec` probe.
    """

    id = "no-probe-host"
    title = "Report probe and lifecycle hosts"
    rationale = "A probe or hook with host makes the node's kubelet call any address the pod author names."
    safety = SAFE
    reports_only = True
    references = (pss("Probes / Lifecycle Hooks", "baseline"),)

    def apply(self, pod: PodContext) -> None:
        for container in pod.containers():
            for handler in HANDLERS:
                for action in ("httpGet", "tcpSocket"):
                    host = container.get(*handler, action, "host")
                    if isinstance(host, str) and host:
                        where = ".".join(handler)
                        pod.finding(f"{where}.{action} in container {container.name} targets host {host}; remove host so it targets the pod",
                                    (*handler, action, "host"), container)
