"""Local container images for the runtime tests, built here without any registry.

Why: a manifest names an image (``nginx:1.25``), and no registry is reachable from CI. So every
image a test plays is built on this machine and tagged with the name manifests use, so the
manifests run unchanged. Two base images are built from what Debian ships:

* ``busybox``: the host's busybox-static and its applet links, for tiny images (built in a second or two).
* ``debian``: the application packages (nginx, python3, redis-server, ...) with their
  dependencies, *extracted* by ``mmdebstrap --variant=extract``, plus what their maintainer
  scripts would have done (``/etc/passwd``, the linker cache, ``/var/run``). Extracting instead
  of installing saves a minute of dpkg on CI, the way distroless images are built.

Every other image is a ``Containerfile`` under ``tests/runtime`` (``apps/*/image`` and the
harness's own ``images/*``), built ``FROM`` a base with ``podman build``. Its first lines name
the tags it gets::

    # image: docker.io/library/nginx:1.25

Each image carries a label with a digest of its recipe (this module's source for the bases; the
build context and its base's digest for the others) and is rebuilt only when the digest
changes: a session builds what is missing or stale, once.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tests.runtime import podman

HERE = Path(__file__).resolve().parent
RECIPE_LABEL = "dev.hardener.tests.recipe"
PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

BUSYBOX_BASE = "localhost/hardener-test/busybox:bookworm"
DEBIAN_BASE = "localhost/hardener-test/debian:bookworm"
DEBIAN_PACKAGES = (
    # what a Containerfile's RUN lines need: a shell, coreutils, useradd/groupadd, passwd and group
    "base-files",
    "base-passwd",
    "dash",
    "coreutils",
    "passwd",
    "login",
    # the applications
    "nginx",
    "python3",
    "python-is-python3",
    "redis-server",
)
_TAG = re.compile(r"^# image: (\S+)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Recipe:
    """One image built from a Containerfile: its build context and the tags it gets."""

    containerfile: Path
    tags: tuple[str, ...]

    @property
    def context(self) -> Path:
        return self.containerfile.parent

    @property
    def base(self) -> str:
        return re.search(r"^FROM\s+(\S+)", self.containerfile.read_text(), re.MULTILINE).group(1)


def recipes() -> list[Recipe]:
    """Every Containerfile under tests/runtime, with the tags its ``# image:`` lines name."""
    found = []
    for containerfile in sorted(HERE.glob("**/Containerfile")):
        tags = tuple(docker_reference(tag) for tag in _TAG.findall(containerfile.read_text()))
        if not tags:
            raise ValueError(f"{containerfile}: no '# image: NAME:TAG' line names the image it builds")
        found.append(Recipe(containerfile, tags))
    return found


def docker_reference(name: str) -> str:
    """``nginx:1.25`` -> ``docker.io/library/nginx:1.25``, as a kubelet (and Docker) reads a name."""
    first, _, rest = name.partition("/")
    if not rest:
        name = f"docker.io/library/{name}"
    elif "." not in first and ":" not in first and first != "localhost":
        name = f"docker.io/{name}"
    if ":" not in name.rpartition("/")[2] and "@" not in name:
        name += ":latest"
    return name


def ensure_all() -> list[str]:
    """Build whatever image is missing or stale; return the tags of every image, base images first.

    Each base and the images built from it are one chain; the chains build side by side (the
    Debian one waits on the archive most of the time), and so do the images of a chain. One
    session at a time on a machine (a lock file): two would build the same tags at once."""
    chains: dict[str, list[Recipe]] = {BUSYBOX_BASE: [], DEBIAN_BASE: []}
    for recipe in recipes():
        if recipe.base not in chains:
            raise ValueError(f"{recipe.containerfile}: FROM {recipe.base}; images here build FROM {list(chains)}")
        chains[recipe.base].append(recipe)
    with open(Path(tempfile.gettempdir()) / "hardener-runtime-images.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with ThreadPoolExecutor(len(chains)) as pool:
            for built in [pool.submit(_ensure_chain, base, chain) for base, chain in chains.items()]:
                built.result()
    return [*chains, *(tag for chain in chains.values() for recipe in chain for tag in recipe.tags)]


def _ensure_chain(base: str, recipes: list[Recipe]) -> None:
    digest = _ensure_base(base, _busybox_rootfs if base == BUSYBOX_BASE else _debian_rootfs)
    with ThreadPoolExecutor(max(1, len(recipes))) as pool:
        list(pool.map(lambda recipe: _ensure_recipe(recipe, digest), recipes))


def image_user(image: str) -> str:
    """The image's ``USER`` (empty when unset), as the kubelet reads it for runAsNonRoot."""
    return podman.run("image", "inspect", "--format", "{{.Config.User}}", image).stdout.strip()


def _ensure_base(tag: str, build_rootfs) -> str:
    digest = _digest(Path(__file__).read_bytes(), tag.encode())
    if _label(tag) == digest:
        return digest
    with tempfile.TemporaryDirectory(prefix="hardener-rootfs-", dir=_scratch()) as scratch:
        rootfs = Path(scratch) / "rootfs"
        build_rootfs(rootfs)
        archive = Path(scratch) / "rootfs.tar"
        subprocess.run(["tar", "--numeric-owner", "-C", str(rootfs), "-cf", str(archive), "."], check=True)
        changes = [f"ENV {PATH_ENV}", f"LABEL {RECIPE_LABEL}={digest}", 'CMD ["sh"]']
        podman.run(
            "import", *(arg for change in changes for arg in ("--change", change)), str(archive), tag, timeout=600
        )
    return digest


def _ensure_recipe(recipe: Recipe, base_digest: str) -> None:
    files = sorted(p for p in recipe.context.rglob("*") if p.is_file())
    digest = _digest(
        base_digest.encode(), *(f"{p.relative_to(recipe.context)}\0".encode() + p.read_bytes() for p in files)
    )
    if all(_label(tag) == digest for tag in recipe.tags):
        return
    tags = [arg for tag in recipe.tags for arg in ("--tag", tag)]
    podman.run(
        "build",
        "--pull=never",
        "--layers=false",  # no intermediate images: a recipe label, not the layer cache, decides rebuilds
        "--quiet",
        "--label",
        f"{RECIPE_LABEL}={digest}",
        *tags,
        str(recipe.context),
        timeout=600,
    )


def _busybox_rootfs(root: Path) -> None:
    """busybox-static with a link per applet, root and nobody, a sticky /tmp."""
    busybox = Path(shutil.which("busybox") or "/bin/busybox")
    (root / "bin").mkdir(parents=True)
    shutil.copy2(busybox, root / "bin" / "busybox")
    applets = subprocess.run([busybox, "--list"], capture_output=True, text=True, check=True).stdout.split()
    for applet in applets:
        if applet != "busybox":
            (root / "bin" / applet).symlink_to("busybox")
    (root / "etc").mkdir()
    (root / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n")
    (root / "etc" / "group").write_text("root:x:0:\nnobody:x:65534:\n")
    for directory in ("tmp", "var/tmp"):
        (root / directory).mkdir(parents=True)
        (root / directory).chmod(0o1777)
    for directory in ("root", "run", "var/run"):
        (root / directory).mkdir(parents=True, exist_ok=True)


def _debian_rootfs(root: Path) -> None:
    """Debian bookworm's packages extracted, then what their maintainer scripts would have done."""
    mmdebstrap = ["mmdebstrap", "--variant=extract", "--quiet", f"--include={','.join(DEBIAN_PACKAGES)}", "bookworm"]
    scratch = {**os.environ, "TMPDIR": str(root.parent)}
    done = subprocess.run([*mmdebstrap, str(root)], capture_output=True, text=True, env=scratch, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(mmdebstrap)} exited {done.returncode}: {done.stderr.strip()}")
    # base-passwd's postinst: the system users and groups
    for name in ("passwd", "group"):
        shutil.copy(root / "usr/share/base-passwd" / f"{name}.master", root / "etc" / name)
    (root / "etc/shadow").write_text("root:*:19000:0:99999:7:::\n")
    (root / "etc/gshadow").write_text("root:*::\n")
    (root / "etc/shadow").chmod(0o640)
    (root / "etc/gshadow").chmod(0o640)
    # base-files' postinst: /var/run and /var/lock live in /run
    for legacy, target in (("var/run", "/run"), ("var/lock", "/run/lock")):
        shutil.rmtree(root / legacy, ignore_errors=True)
        (root / legacy).symlink_to(target)
    (root / "run/lock").mkdir(parents=True, exist_ok=True)
    # what slim images leave out
    for unread in ("usr/share/doc", "usr/share/man", "usr/share/locale", "usr/share/info"):
        shutil.rmtree(root / unread, ignore_errors=True)
    # libc-bin's trigger: the linker cache
    subprocess.run(["ldconfig", "-r", str(root)], check=True, capture_output=True)


def _label(tag: str) -> str | None:
    done = podman.run(
        "image", "inspect", "--format", f'{{{{index .Config.Labels "{RECIPE_LABEL}"}}}}', tag, check=False
    )
    return done.stdout.strip() if done.returncode == 0 else None


def _digest(*parts: bytes) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(hashlib.sha256(part).digest())
    return hasher.hexdigest()[:16]


def _scratch() -> str | None:
    """A tmpfs for the root filesystems when there is one: dpkg's and tar's writes stay off the disk."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None
