"""run-as-non-root: the kubelet refuses to start a container as UID 0."""

from dataclasses import dataclass

from hardener.context import PodContext
from hardener.evidence import root_command
from hardener.model import yaml_text
from hardener.transform import MAY_BREAK, SAFE, Transform

from .references import azure, cis, nsa, pss


@dataclass(frozen=True)
class Params:
    run_as_user: int | None = None
    """Opt-in: also set this numeric ``runAsUser`` on the pod where no UID is set (for example 65532)."""
    run_as_group: int | None = None
    """Opt-in: also set this numeric ``runAsGroup`` on the pod where no GID is set."""

    def __post_init__(self) -> None:
        for name in ("run_as_user", "run_as_group"):
            value = getattr(self, name)
            if value is not None and not 1 <= value <= 2147483647:
                raise ValueError(f"{name}: must be a non-zero UID/GID, got {value}")


class RunAsNonRoot(Transform):
    """Require every container to run as a non-root user.

    ## What it changes
    Sets `securityContext.runAsNonRoot: true` on the pod, unless every
    container already sets it, and sets it to `true` on any container that
    says `runAsNonRoot: false` (a container's value wins over the pod's).
    What hardener knows about a container's image (`hardener.images`: a
    shipped table, the profile's `images:`, `--resolve-images`) decides the
    rest, as the kubelet would: a numeric non-root user makes the change safe;
    a root or named user with a known UID gets that `runAsUser` in the
    container (nginx: 101); one without is reported instead, and
    `runAsNonRoot` is not set, because the kubelet would refuse to start it.
    So is a container that runs as `runAsUser: 0`. Opt-in: with the parameters `run_as_user` / `run_as_group` (for example
    65532), the pod also gets that numeric `runAsUser` / `runAsGroup` where
    neither the pod nor every container sets one, so that images whose user
    is a name (or root) still start; those records say "may break".

    ## Why
    A process running as root inside a container is root on the node's
    kernel: one container-escape bug away from owning the node. With
    `runAsNonRoot: true` the kubelet checks the image's user before starting
    the container and refuses UID 0.

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
          runAsUser: 101
      securityContext:
        runAsNonRoot: true
    ```

    ## Fix safety
    May break: an image hardener does not know whose user is root, or a
    non-numeric user name, is refused by the kubelet
    (`CreateContainerConfigError`). Use an image built to run as a non-root
    user, set a numeric `runAsUser` (for example 65532) that the image
    supports, or let `--resolve-images` read the image's user. A UID from the
    image table must suit the workload's configuration (nginx as 101 cannot
    bind port 80 on most runtimes).
    """

    id = "run-as-non-root"
    title = "Run containers as a non-root user"
    rationale = "A container running as root is one kernel or runtime escape away from root on the node."
    safety = MAY_BREAK
    guidance = (
        "Check that the image runs as a non-root numeric user (USER 65532 in its Dockerfile) or set "
        "runAsUser to a UID the image supports; the kubelet refuses root images with CreateContainerConfigError."
    )
    references = (
        pss("Running as Non-root", "restricted"),
        cis("5.2.7"),
        nsa("Use containers built to run applications as non-root users"),
        azure("AllowedUsersGroups"),
    )
    Params = Params

    def apply(self, pod: PodContext) -> None:
        containers = list(pod.containers())
        verdicts = [(container, _user_verdict(pod, container, self.params.run_as_user)) for container in containers]
        refused = [(c, v) for c, v in verdicts if v.refused]
        if refused:
            for container, verdict in refused:
                pod.finding(
                    f"runAsNonRoot: true not applied: container {container.name} {verdict.reason}",
                    ("securityContext", "runAsNonRoot"), container, guidance=verdict.guidance,
                )
            return
        all_set = bool(containers) and all(c.get("securityContext", "runAsNonRoot") is True for c in containers)
        pod_value = pod.get("securityContext", "runAsNonRoot")
        known = [v for _c, v in verdicts if v.known]
        # An explicit false on the pod fails Pod Security even when every container says true.
        if pod_value is not True and (not all_set or pod_value is False):
            message = "Set runAsNonRoot to true on the pod"
            if pod_value is not None:
                message += f" (it was explicitly {yaml_text(pod_value)})"
            safe = bool(containers) and len(known) == len(containers)
            guidance = "; ".join(v.guidance for v in known if v.guidance) or None
            pod.set(("securityContext", "runAsNonRoot"), True, message, safety=SAFE if safe else None, guidance=guidance)
        for field, value in (("runAsUser", self.params.run_as_user), ("runAsGroup", self.params.run_as_group)):
            if value is None or pod.get("securityContext", field) is not None:
                continue
            if containers and all(c.get("securityContext", field) is not None for c in containers):
                continue
            pod.set(
                ("securityContext", field),
                value,
                f"Set {field} to {value} on the pod (may break: the image must work as this "
                f"{'UID' if field == 'runAsUser' else 'GID'}; files it writes need matching permissions)",
            )
        for container, verdict in verdicts:
            if verdict.run_as_user is not None:
                pod.set(
                    ("securityContext", "runAsUser"), verdict.run_as_user,
                    f"Set runAsUser to {verdict.run_as_user} in container {container.name}: {verdict.reason}",
                    container, guidance=verdict.guidance,
                )
            if container.get("securityContext", "runAsNonRoot") is False:
                pod.set(
                    ("securityContext", "runAsNonRoot"),
                    True,
                    f"Set runAsNonRoot to true in container {container.name} (it was explicitly false)",
                    container,
                )


@dataclass(frozen=True)
class _UserVerdict:
    """What the kubelet will make of ``runAsNonRoot`` for one container, as far as hardener knows."""

    known: bool = False
    """The container's user is known to be non-root (a UID is set, or the image's user is numeric)."""
    refused: bool = False
    """The kubelet would refuse the container: its user is root, or a name, and no UID is known."""
    run_as_user: int | None = None
    """A UID to set in the container so that it starts (the image table's)."""
    reason: str = ""
    guidance: str | None = None


def _user_verdict(pod: PodContext, container, profile_uid: int | None) -> _UserVerdict:
    """The kubelet's rules (effective runAsUser, else the image's user) against what hardener knows."""
    uid = container.get("securityContext", "runAsUser")
    uid = uid if uid is not None else pod.get("securityContext", "runAsUser")
    uid = uid if uid is not None else profile_uid
    if isinstance(uid, int) and not isinstance(uid, bool):
        if uid != 0:
            return _UserVerdict(known=True)
        return _UserVerdict(refused=True, reason="runs as UID 0 (runAsUser: 0), which the kubelet refuses with it (CreateContainerConfigError)",
                            guidance="Remove runAsUser: 0 (run-as-non-zero-user does, with --unsafe-fixes) or set a non-zero UID the image supports.")
    image = container.get("image")
    facts = pod.images.lookup(image)
    if facts is None:
        return _UserVerdict()
    known = f"Image {image}: {facts.note}. " if facts.note else ""
    source = f"Source: {facts.source}."
    if facts.user_kind == "numeric":
        return _UserVerdict(known=True, guidance=f"Image {image} runs as UID {facts.uid}: the kubelet accepts runAsNonRoot. {source}")
    needs_root = root_command(container)
    if facts.run_as_user is not None and needs_root:
        return _UserVerdict(
            refused=True,
            reason=f"runs image {image}, which {facts.describe_user()}, and its command runs {needs_root}, which needs root",
            guidance=f"{known}Run the step that needs root where the profile exempts it, or give it a UID that owns what it changes. {source}",
        )
    if facts.run_as_user is not None:
        return _UserVerdict(
            known=True, run_as_user=facts.run_as_user,
            reason=f"image {image} {facts.describe_user()}; it works as UID {facts.run_as_user}",
            guidance=f"{known}Check that it works as UID {facts.run_as_user} in this configuration. {source}",
        )
    return _UserVerdict(
        refused=True,
        reason=f"runs image {image}, which {facts.describe_user()}, and hardener knows no UID it works as; the kubelet refuses that (CreateContainerConfigError)",
        guidance=f"{known}Set runAsUser to a UID the image supports (and make what it writes writable by it), "
                 f"or use an image built to run as a non-root numeric user. {source}",
    )
