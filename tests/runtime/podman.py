"""Rootful podman on this machine, set up as a kubelet-like node for the runtime tests.

Why this module exists: the runtime tests start hardened workloads in a real container runtime,
and the only one a Debian machine without a cluster or a registry can have is podman (4.3.1 in
bookworm), installed from Debian's archive. Out of the box it fails every container on a VM like
CI's: it asks for higher rlimits than the VM grants ("setrlimit RLIMIT_NOFILE: Operation not
permitted") and crun refuses hybrid cgroups. A configuration of the tests' own fixes both and
gives containers the capabilities a containerd node gives them, so a capability a workload lacks
here is one it would lack on a cluster.

The tests' podman is private: its configuration (``CONTAINERS_CONF``, the only one podman then
reads) and its image and container storage (``--root``/``--runroot``) live in directories of their
own, so the images the tests build under names such as ``docker.io/library/nginx:1.25`` never
replace a machine's own, and the machine's podman settings are never touched.

Everything is idempotent: packages are installed only when missing, the configuration is
rewritten only when it differs. What cannot be had (not root, no apt-get, the archive unreachable) raises
``RuntimeUnavailable`` with a one-line reason, so the tests skip instead of failing.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
from pathlib import Path

from tests.psa import BASELINE_CAPABILITIES

PACKAGES = (
    "podman",
    "runc",  # crun 1.8 refuses hybrid cgroups
    "catatonit",  # the pause process of every pod's infra container
    "netavark",  # the pod network
    "aardvark-dns",
    "iptables",
    "busybox-static",  # the tiny images are built from it
    "mmdebstrap",  # the application images are built from Debian packages with it
)
"""Debian packages the runtime tests need (installed without their Recommends)."""

HOME = Path("/var/lib/hardener-tests")
"""Everything the tests' podman keeps between sessions: its configuration and its storage."""
CONFIG = HOME / "containers.conf"
STORAGE = HOME / "storage"
RUN_ROOT = Path("/run/hardener-tests/storage")
GLOBAL_OPTIONS = ("--root", str(STORAGE), "--runroot", str(RUN_ROOT))
ENVIRONMENT = {"CONTAINERS_CONF": str(CONFIG)}

CONTAINERD_CAPABILITIES = tuple(sorted(BASELINE_CAPABILITIES | {"NET_RAW"}))
"""The capabilities containerd gives a container by default (podman's own set is smaller): the Pod
Security Standards' baseline allows exactly these, minus NET_RAW."""

NPROC_LIMIT = 32768
"""podman's nproc request must stay within the machine's pid_max (32768 on these VMs)."""


class RuntimeUnavailable(RuntimeError):
    """podman cannot be had here; ``str(exc)`` is the one-line reason a test skips with."""


def ensure_ready() -> None:
    """Install and configure podman unless it already is; raise RuntimeUnavailable if it cannot be."""
    if os.geteuid() != 0:
        raise RuntimeUnavailable("runtime tests need root: they install podman and run rootful pods")
    missing = [package for package in PACKAGES if not installed(package)]
    if missing:
        apt_install(missing)
    _write_config()
    info = run("info", "--format", "json", check=False)
    if info.returncode != 0:
        raise RuntimeUnavailable(f"podman does not work here: {_last_line(info.stderr)}")
    runtime = json.loads(info.stdout)["host"]["ociRuntime"]["name"]
    if runtime != "runc":
        raise RuntimeUnavailable(f"podman uses {runtime}, not runc: another containers.conf overrides {CONFIG}")


def config_text() -> str:
    """The drop-in: this machine's rlimits, runc, containerd's capabilities."""
    nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    nproc_hard = resource.getrlimit(resource.RLIMIT_NPROC)[1]
    nproc = NPROC_LIMIT if nproc_hard == resource.RLIM_INFINITY else min(NPROC_LIMIT, nproc_hard)
    capabilities = ", ".join(f'"{name}"' for name in CONTAINERD_CAPABILITIES)
    return (
        "# Written by hardener's runtime tests (tests/runtime/podman.py) for their own podman; safe to delete.\n"
        "[containers]\n"
        f'default_ulimits = ["nofile={nofile}:{nofile}", "nproc={nproc}:{nproc}"]\n'
        f"default_capabilities = [{capabilities}]\n"
        "\n"
        "[engine]\n"
        'runtime = "runc"\n'
    )


def run(*args: str, check: bool = True, timeout: float = 120, stdin: str | None = None) -> subprocess.CompletedProcess:
    """Run ``podman ARGS``; with ``check``, a failure raises with podman's own message."""
    return _run(["podman", *GLOBAL_OPTIONS, *args], check=check, timeout=timeout, stdin=stdin)


def logs(container: str, tail: int) -> list[str]:
    """A container's last ``tail`` log lines, stdout and stderr interleaved as they were written.

    All of the log is read and cut here: podman 4.3.1's ``--tail`` counts the log's records, not
    its lines (Python's print writes a line as two records, so ``--tail 1`` gives an empty line),
    and sometimes returns nothing at all."""
    done = subprocess.run(
        ["podman", *GLOBAL_OPTIONS, "logs", container],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, **ENVIRONMENT},
    )
    return done.stdout.splitlines()[-tail:]


def installed(package: str) -> bool:
    if shutil.which("dpkg-query") is None:
        raise RuntimeUnavailable("runtime tests need a Debian-like system (dpkg and apt-get) to install podman")
    status = subprocess.run(
        ["dpkg-query", "-W", "-f=${db:Status-Status}", package], capture_output=True, text=True, check=False
    )
    return status.stdout == "installed"


def apt_install(packages: list[str]) -> None:
    if shutil.which("apt-get") is None:
        raise RuntimeUnavailable(f"cannot install {' '.join(packages)}: no apt-get")
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", "-o", "DPkg::Lock::Timeout=300", *packages]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    done = subprocess.run(install, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:  # a fresh machine's package lists may be stale or empty
        subprocess.run(["apt-get", "update", "-q"], capture_output=True, env=env, check=False)
        done = subprocess.run(install, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeUnavailable(f"apt-get could not install {' '.join(packages)}: {_last_line(done.stderr)}")


def _write_config() -> None:
    text = config_text()
    if CONFIG.exists() and CONFIG.read_text() == text:
        return
    CONFIG.parent.mkdir(parents=True, exist_ok=True)
    CONFIG.write_text(text)


def _run(argv: list[str], *, check: bool, timeout: float, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, **ENVIRONMENT}
    done = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=timeout, check=False, env=env)
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.strip() or done.stdout.strip()}")
    return done


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "(no message)"
