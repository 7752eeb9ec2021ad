"""Synthetic streams for the benchmarks: N unhardened Deployments, as Helm renders them.

Each document looks like ``helm template`` output: a ``# Source:`` comment,
``---``, two-space indentation, labels, an env list, probes and resources,
and no securityContext, so every transform of the restricted profile has
work to do. The text is deterministic for a given N.
"""

from __future__ import annotations

import argparse
import sys

_DEPLOYMENT = """\
---
# Source: app-{i}/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: release-app-{i}
  namespace: team-{team}
  labels:
    helm.sh/chart: app-{i}-1.4.2
    app.kubernetes.io/name: app-{i}
    app.kubernetes.io/instance: release
    app.kubernetes.io/version: "2.7.1"
    app.kubernetes.io/managed-by: Helm
  annotations:
    checksum/config: 5f1c7e0a9b3d2c4e6f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6
spec:
  replicas: 2
  revisionHistoryLimit: 10
  selector:
    matchLabels:
      app.kubernetes.io/name: app-{i}
      app.kubernetes.io/instance: release
  template:
    metadata:
      labels:
        app.kubernetes.io/name: app-{i}
        app.kubernetes.io/instance: release
    spec:
      serviceAccountName: release-app-{i}
      containers:
        - name: app
          image: "registry.example.com/team-{team}/app-{i}:2.7.1"
          imagePullPolicy: IfNotPresent
          args: [ "--port", '8080', "--log-level=info" ]
          ports:
            - name: http
              containerPort: 8080
              protocol: TCP
            - name: metrics
              containerPort: 9090
              protocol: TCP
          env:
            - name: APP_NAME
              value: "app-{i}"
            - name: POD_NAMESPACE
              valueFrom:
                fieldRef:
                  fieldPath: metadata.namespace
            - name: CACHE_SIZE
              value: "256"
          livenessProbe:
            httpGet:
              path: /healthz
              port: http
            initialDelaySeconds: 10
            periodSeconds: 10
          readinessProbe:
            httpGet:
              path: /ready
              port: http
          resources:
            limits:
              cpu: 500m
              memory: 256Mi
            requests:
              cpu: 100m
              memory: 128Mi
          volumeMounts:
            - name: config
              mountPath: /etc/app
      volumes:
        - name: config
          configMap:
            name: release-app-{i}
"""


def deployments(count: int, start: int = 0) -> str:
    """``count`` unhardened Helm-style Deployments as one stream (numbered from ``start``)."""
    return "".join(_DEPLOYMENT.format(i=i, team=i % 7) for i in range(start, start + count))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, nargs="?", default=1000, help="number of Deployments (default 1000)")
    args = parser.parse_args(argv)
    sys.stdout.write(deployments(args.count))


if __name__ == "__main__":
    main()
