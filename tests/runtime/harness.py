"""Play a manifest in podman as a kubelet would run it, and return a Verdict.

``play(manifest)`` is the one thing a runtime test calls::

    verdict = play(Path("tests/runtime/apps/nginx/manifest.yaml"))
    assert verdict.started, verdict

It rewrites the manifest where podman is not a kubelet (``kubelet.kubeletize``), refuses what a
kubelet would refuse (``kubelet.refusal``), plays the rest with ``podman kube play`` and watches
the pod for ``stay_up`` seconds. podman restarts a crashing container at once instead of backing
off, so a restart or a non-zero exit is a crash; a container that exits 0 under restartPolicy
Never or OnFailure (a Job's) ran to completion. The pod, its volumes and its directories are
removed afterwards, whatever happened.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from ruamel.yaml import YAML

from tests.runtime import images, podman
from tests.runtime.kubelet import Workload, kubeletize, refusal
from tests.runtime.verdict import Verdict, crash_cause

PARALLEL = 4
"""Plays at once: each mostly waits out ``stay_up``, and names, volumes and ports never clash."""
STAY_UP = 3.0
"""Seconds a workload must stay up to count as started; podman restarts a crash within one."""
POLL = 0.5
CRASH_SETTLE = 5.0
"""Seconds to wait for a restarted container to exit again, so its exit code can be read."""
K = TypeVar("K")
LOG_LINES = 12


def play(manifest: str | Path, *, stay_up: float = STAY_UP) -> Verdict:
    """Play a manifest (its text, or a path to it) holding one workload; say whether it started."""
    text = manifest.read_text() if isinstance(manifest, Path) else manifest
    documents = [document for document in YAML(typ="safe").load_all(text) if document]
    with tempfile.TemporaryDirectory(prefix="hardener-play-") as workdir:
        played, workload = kubeletize(documents, Path(workdir), suffix=secrets.token_hex(3))
        refused = refusal(workload, images.image_user)
        if refused:
            container, cause, message = refused
            return Verdict("refused", workload.kind, workload.name, cause, message, container)
        kubefile = Path(workdir) / "kube.yaml"
        with kubefile.open("w") as out:
            YAML(typ="safe", pure=True).dump_all(played, out)
        try:
            played_out = podman.run("kube", "play", str(kubefile), check=False)
            return _watch(workload, played_out, stay_up)
        finally:
            _tear_down(kubefile, workload)


def play_all(manifests: dict[K, str | Path], *, stay_up: float = STAY_UP) -> dict[K, Verdict]:
    """``play`` each manifest, several at once; the verdicts by the same keys."""
    with ThreadPoolExecutor(PARALLEL) as pool:
        verdicts = {key: pool.submit(play, manifest, stay_up=stay_up) for key, manifest in manifests.items()}
    return {key: future.result() for key, future in verdicts.items()}


def _watch(workload: Workload, played: subprocess.CompletedProcess, stay_up: float) -> Verdict:
    """Poll the pod's containers until one crashes, all complete, or ``stay_up`` seconds pass."""
    runs_to_completion = workload.spec.get("restartPolicy") in ("Never", "OnFailure")
    deadline = time.monotonic() + stay_up
    while True:
        containers = _containers(workload.pod)
        crashed = next((c for c in containers if c["RestartCount"] or c["State"]["ExitCode"]), None)
        never_ran = [c for c in containers if c["State"]["Status"] == "created"]
        if played.returncode and never_ran:  # podman could not start it at all (an OCI runtime error)
            crashed = never_ran[0]
        if crashed or not containers:
            return _crash(workload, crashed and _between_restarts(crashed), played.stderr)
        if runs_to_completion and all(c["State"]["Status"] == "exited" for c in containers):
            return _started(workload, containers[0], "ran to completion")
        if time.monotonic() >= deadline:
            if never_ran:
                return _crash(workload, never_ran[0], played.stderr)
            return _started(workload, containers[0], f"up for {stay_up:g}s, no restart")
        time.sleep(POLL)


def _between_restarts(container: dict) -> dict:
    """The container once it has exited again: podman clears the exit code when it restarts one."""
    deadline = time.monotonic() + CRASH_SETTLE
    while container["State"]["Status"] not in ("exited", "stopped", "created") and time.monotonic() < deadline:
        time.sleep(POLL / 4)
        found = _inspect([container["Id"]])
        container = found[0] if found else container
    return container


def _started(workload: Workload, container: dict, message: str) -> Verdict:
    name = container["Name"].removeprefix(f"{workload.pod}-")
    return Verdict("started", workload.kind, workload.name, None, message, name, logs=_logs(container))


def _crash(workload: Workload, container: dict | None, play_errors: str) -> Verdict:
    errors = [line for line in play_errors.splitlines() if line.strip() and "failed to connect to syslog" not in line]
    if container is None:
        return Verdict("crashed", workload.kind, workload.name, crash_cause(errors), "\n".join(errors))
    lines = _logs(container) or tuple(errors)
    name = container["Name"].removeprefix(f"{workload.pod}-")
    state = container["State"]
    message = f"restarted {container['RestartCount']} times" if container["RestartCount"] else state["Status"]
    return Verdict(
        "crashed", workload.kind, workload.name, crash_cause(list(lines)), message, name, state["ExitCode"], lines
    )


def _logs(container: dict) -> tuple[str, ...]:
    """The container's last log lines, its stdout and stderr as podman keeps them."""
    return tuple(podman.logs(container["Id"], LOG_LINES))


def _containers(pod: str) -> list[dict]:
    """The pod's own containers (not its infra container), as ``podman container inspect`` shows them."""
    ids = podman.run("ps", "--all", "--quiet", "--filter", f"pod={pod}").stdout.split()
    return [c for c in _inspect(ids) if not c.get("IsInfra")] if ids else []


def _inspect(ids: list[str]) -> list[dict]:
    return json.loads(podman.run("container", "inspect", *ids, check=False).stdout or "[]")


def _tear_down(kubefile: Path, workload: Workload) -> None:
    """Stop at once (a kubelet would wait out the grace period; nobody here needs it), then kube down."""
    podman.run("pod", "stop", "--time", "0", workload.pod, check=False)
    podman.run("kube", "down", str(kubefile), check=False)
    podman.run("pod", "rm", "--force", workload.pod, check=False)
    for volume in workload.volumes:
        podman.run("volume", "rm", "--force", volume, check=False)
