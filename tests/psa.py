"""Independent Pod Security Admission checker, used by the tests to judge output.

This module re-implements the checks of the Kubernetes Pod Security Admission
(PSA) controller -- ``k8s.io/pod-security-admission/policy/check_*.go`` in
``kubernetes/kubernetes`` -- for the ``baseline`` and ``restricted`` levels at
the newest policy version (see :data:`POLICY_VERSION`).  It is written from the
upstream policy definitions and the Pod Security Standards page, *not* from
hardener's code, so that it can act as an independent oracle.

It works on plain data as produced by a YAML loader (dicts, lists, str, bool,
int, None) and never raises on badly shaped input: a value of the wrong type is
treated as if it were absent, which is what the API server would see after a
(hypothetical) lenient decode.

Upstream mechanics reproduced here:

* Containers are visited in the upstream order: ``initContainers``,
  ``containers``, ``ephemeralContainers``.
* Each check yields at most one :class:`Violation` (upstream returns one
  ``CheckResult`` per check); its message is ``"<reason> (<detail>)"``, the
  format PSA uses in its warnings.
* The ``restricted`` level is every ``baseline`` check, minus the baseline
  checks a restricted check overrides (``OverrideCheckIDs``), plus the
  restricted checks.  The overrides at the latest version are::

      restrictedVolumes         overrides hostPathVolumes
      capabilities_restricted   overrides capabilities_baseline
      seccompProfile_restricted overrides seccompProfile_baseline
      procMount_restricted      overrides procMount
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Optional

__all__ = [
    "AUTO_FIXABLE_RESTRICTED",
    "BASELINE_CHECKS",
    "POLICY_VERSION",
    "RESTRICTED_CHECKS",
    "Violation",
    "check_ids",
    "check_pod",
    "pod_specs",
]

#: The PSA policy version these checks follow: the newest ``MinimumVersion``
#: registered upstream (``latest`` resolves to it).  Version-specific notes:
#: 1.25 Windows exemptions, 1.31 ``container_engine_t``, 1.32/1.37 sysctls,
#: 1.33 ``image`` volumes, 1.34 probe/lifecycle host, 1.35 user namespaces.
POLICY_VERSION = "v1.37"

LEVEL_PRIVILEGED = "privileged"
LEVEL_BASELINE = "baseline"
LEVEL_RESTRICTED = "restricted"


@dataclass(frozen=True)
class Violation:
    """One failed PSA check: the upstream check id and a human message."""

    check: str
    message: str


# ---------------------------------------------------------------------------
# Shape-tolerant accessors: wrong types are treated as absent.
# ---------------------------------------------------------------------------


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _str(value: Any) -> Optional[str]:
    return value if isinstance(value, str) else None


def _int(value: Any) -> Optional[int]:
    # bool is a subclass of int in Python; YAML `true` is not a number.
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def _bool(value: Any) -> Optional[bool]:
    return value if isinstance(value, bool) else None


def _containers(pod_spec: dict) -> list[dict]:
    """All containers in upstream visiting order (visitor.go)."""
    out: list[dict] = []
    for key in ("initContainers", "containers", "ephemeralContainers"):
        out.extend(c for c in _list(pod_spec.get(key)) if isinstance(c, dict))
    return out


def _name(container: dict) -> str:
    return _str(container.get("name")) or ""


def _sc(obj: dict) -> dict:
    """The ``securityContext`` of a pod spec or a container."""
    return _dict(obj.get("securityContext"))


def _is_windows(pod_spec: dict) -> bool:
    """``spec.os.name == "windows"`` (exact, as ``corev1.Windows``)."""
    return _dict(pod_spec.get("os")).get("name") == "windows"


def _user_namespace_pod(pod_spec: dict) -> bool:
    """helpers.go ``relaxPolicyForUserNamespacePod``: ``hostUsers: false``."""
    return pod_spec.get("hostUsers") is False


def _quote(items: Iterable[str]) -> str:
    return ", ".join(f'"{i}"' for i in items)


def _plural(singular: str, plural: str, count: int) -> str:
    return singular if count == 1 else plural


def _containers_phrase(names: list[str]) -> str:
    return f"{_plural('container', 'containers', len(names))} {_quote(names)}"


def _fail(reason: str, detail: str) -> str:
    return f"{reason} ({detail})"


# ---------------------------------------------------------------------------
# Baseline checks
# ---------------------------------------------------------------------------


def check_windows_host_process(metadata: dict, spec: dict) -> Optional[str]:
    """Upstream ``windowsHostProcess`` (baseline, 1.0).

    ``spec.securityContext.windowsOptions.hostProcess`` and the same field on
    every container must be undefined or ``false``.
    """

    def host_process(sc: dict) -> bool:
        return _dict(sc.get("windowsOptions")).get("hostProcess") is True

    setters = ["pod"] if host_process(_sc(spec)) else []
    bad = [_name(c) for c in _containers(spec) if host_process(_sc(c))]
    if bad:
        setters.append(_containers_phrase(bad))
    if setters:
        return _fail(
            "hostProcess",
            f"{' and '.join(setters)} must not set securityContext.windowsOptions.hostProcess=true",
        )
    return None


def check_host_namespaces(metadata: dict, spec: dict) -> Optional[str]:
    """Upstream ``hostNamespaces`` (baseline, 1.0).

    ``spec.hostNetwork``, ``spec.hostPID`` and ``spec.hostIPC`` must be
    undefined or ``false``.
    """
    used = sorted(k for k in ("hostNetwork", "hostPID", "hostIPC") if spec.get(k) is True)
    if used:
        return _fail("host namespaces", ", ".join(used))
    return None


def check_privileged(metadata: dict, spec: dict) -> Optional[str]:
    """Upstream ``privileged`` (baseline, 1.0).

    ``securityContext.privileged`` on every container must be undefined or
    ``false``.  No Windows exemption.
    """
    bad = [_name(c) for c in _containers(spec) if _sc(c).get("privileged") is True]
    if bad:
        return _fail(
            "privileged", f"{_containers_phrase(bad)} must not set securityContext.privileged=true"
        )
    return None


#: check_capabilities_baseline.go ``capabilities_allowed_1_0`` (the Docker
#: default set minus NET_RAW).  Compared case-sensitively, without ``CAP_``.
BASELINE_CAPABILITIES = frozenset(
    {
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    }
)


def check_capabilities_baseline(metadata: dict, spec: dict) -> Optional[str]:
    """Upstream ``capabilities_baseline`` (baseline, 1.0).

    ``securityContext.capabilities.add`` may only hold values from the default
    set (:data:`BASELINE_CAPABILITIES`).  ``drop`` is not looked at.
    Overridden by ``capabilities_restricted`` at the restricted level.
    """
    bad: list[str] = []
    forbidden: set[str] = set()
    for c in _containers(spec):
        added = [a for a in _list(_dict(_sc(c).get("capabilities")).get("add")) if isinstance(a, str)]
        extra = [a for a in added if a not in BASELINE_CAPABILITIES]
        if extra:
            bad.append(_name(c))
            forbidden.update(extra)
    if bad:
        return _fail(
            "non-default capabilities",
            f"{_containers_phrase(bad)} must not include {_quote(sorted(forbidden))} "
            "in securityContext.capabilities.add",
        )
    return None


def check_host_path_volumes(metadata: dict, spec: dict) -> Optional[str]:
    """Upstream ``hostPathVolumes`` (baseline, 1.0).

    ``spec.volumes[*].hostPath`` must be undefined.  Overridden by
    ``restrictedVolumes`` at the restricted level.
    """
    bad = [
        _str(v.get("name")) or ""
        for v in _list(spec.get("volumes"))
        if isinstance(v, dict) and isinstance(v.get("hostPath"), dict)
    ]
    if bad:
        return _fail("hostPath volumes", f"{_plural('volume', 'volumes', len(bad))} {_quote(bad)}")
    return None


def check_host_ports(metadata: dict, spec: dict) -> Optional[str]:
    """Upstream ``hostPorts`` (baseline, 1.0).

    ``ports[*].hostPort`` on every container must be undefined or ``0``; any
    other value is forbidden (no allow-list).
    """
    bad: list[str] = []
    ports: set[int] = set()
    for c in _containers(spec):
        used = [
            p
            for p in (_int(_dict(port).get("hostPort")) for port in _list(c.get("ports")))
            if p not in (None, 0)
        ]
        if used:
            bad.append(_name(c))
            ports.update(used)
    if bad:
        return _fail(
            "hostPort",
            f"{_containers_phrase(bad)} {_plural('uses', 'use', len(bad))} "
            f"{_plural('hostPort', 'hostPorts', len(ports))} {', '.join(str(p) for p in sorted(ports))}",
        )
    return None


APPARMOR_ANNOTATION_PREFIX = "container.apparmor.security.beta.kubernetes.io/"
_APPARMOR_TYPES = frozenset({"RuntimeDefault", "Localhost"})


def check_app_armor_profile(metadata: dict, spec: dict) -> Optional[str]:
    """Upstream ``appArmorProfile`` (baseline, 1.0; field checks since 1.30).

    ``securityContext.appArmorProfile.type`` (pod and containers) must be
    undefined, ``RuntimeDefault`` or ``Localhost``; the legacy annotations
    ``container.apparmor.security.beta.kubernetes.io/*`` must be empty,
    ``runtime/default`` or ``localhost/*``.
    """
    setters: list[str] = []
    values: set[str] = set()

    def bad_type(sc: dict) -> Optional[str]:
        profile = sc.get("appArmorProfile")
        if not isinstance(profile, dict):
            return None
        kind = _str(profile.get("type")) or ""
        return None if kind in _APPARMOR_TYPES else kind

    pod_bad = bad_type(_sc(spec))
    if pod_bad is not None:
        setters.append("pod")
        values.add(pod_bad)
    bad = []
    for c in _containers(spec):
        value = bad_type(_sc(c))
        if value is not None:
            bad.append(_name(c))
            values.add(value)
    if bad:
        setters.append(_containers_phrase(bad))
    annotations = sorted(
        f'{k}="{v}"'
        for k, v in _dict(metadata.get("annotations")).items()
        if isinstance(k, str)
        and isinstance(v, str)
        and k.startswith(APPARMOR_ANNOTATION_PREFIX)
        and not (v == "" or v == "runtime/default" or v.startswith("localhost/"))
    )
    if annotations:
        setters.append(_plural("annotation", "annotations", len(annotations)))
    if setters:
        shown = sorted(values) + annotations
        return _fail(
            _plural("forbidden AppArmor profile", "forbidden AppArmor profiles", len(shown)),
            f"{' and '.join(setters)} must not set AppArmor profile type to {_quote(shown)}",
        )
    return None


#: check_seLinuxOptions.go ``selinuxAllowedTypes1_31`` (1.31 added
#: ``container_engine_t``).  The empty string means "unset".
SELINUX_TYPES = frozenset({"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"})


def check_se_linux_options(metadata: dict, spec: dict) -> Optional[str]:
    """Upstream ``seLinuxOptions`` (baseline, 1.0/1.31).

    ``securityContext.seLinuxOptions`` (pod and containers): ``type`` must be
    empty or one of :data:`SELINUX_TYPES`; ``user`` and ``role`` must be
    empty.  ``level`` is not restricted.
    """
    bad_types: set[str] = set()
    problems: set[str] = set()

    def valid(sc: dict) -> bool:
        opts = sc.get("seLinuxOptions")
        if not isinstance(opts, dict):
            return True
        ok = True
        kind = _str(opts.get("type")) or ""
        if kind not in SELINUX_TYPES:
            bad_types.add(kind)
            ok = False
        for field in ("user", "role"):
            if _str(opts.get(field)):
                problems.add(f"{field} may not be set")
                ok = False
        return ok

    setters = [] if valid(_sc(spec)) else ["pod"]
    bad = [_name(c) for c in _containers(spec) if not valid(_sc(c))]
    if bad:
        setters.append(_containers_phrase(bad))
    if setters:
        data = []
        if bad_types:
            data.append(f"{_plural('type', 'types', len(bad_types))} {_quote(sorted(bad_types))}")
        data.extend(sorted(problems))
        return _fail(
            "seLinuxOptions",
            f"{' and '.join(setters)} set forbidden securityContext.seLinuxOptions: {'; '.join(data)}",
        )
    return None


def _proc_mount(spec: dict) -> Optional[str]:
    """Shared body of ``procMount_1_0``: only undefined or ``Default``."""
    bad: list[str] = []
    types: set[str] = set()
    for c in _containers(spec):
        value = _str(_sc(c).get("procMount"))
        if value is not None and value != "Default":
            bad.append(_name(c))
            types.add(value)
    if bad:
        return _fail(
            "procMount",
            f"{_containers_phrase(bad)} must not set securityContext.procMount to {_quote(sorted(types))}",
        )
    return None


def check_proc_mount_baseline(metadata: dict, spec: dict) -> Optional[str]:
    """Upstream ``procMount`` (baseline, 1.0/1.35; check_procMount_baseline.go).

    ``securityContext.procMount`` on every container must be undefined or
    ``Default`` -- unless the pod sets ``hostUsers: false`` (1.35+), in which
    case any value is allowed.  Overridden by ``procMount_restricted`` at the
    restricted level.
    """
    if _user_namespace_pod(spec):
        return None
    return _proc_mount(spec)


_SECCOMP_TYPES = frozenset({"RuntimeDefault", "Localhost"})


def _seccomp_type(sc: dict) -> Optional[str]:
    """The explicitly set seccomp type ("" if the profile has no type), or None."""
    profile = sc.get("seccompProfile")
    if not isinstance(profile, dict):
        return None
    return _str(profile.get("type")) or ""


def check_seccomp_profile_baseline(metadata: dict, spec: dict) -> Optional[str]:
    """Upstream ``seccompProfile_baseline`` (baseline, 1.19 field form).

    ``securityContext.seccompProfile.type`` (pod and containers) must be
    undefined, ``RuntimeDefault`` or ``Localhost`` (so ``Unconfined`` fails).
    The pre-1.19 ``seccomp.security.alpha.kubernetes.io`` annotations are not
    checked at this policy version.  Overridden by
    ``seccompProfile_restricted`` at the restricted level.
    """
    setters: list[str] = []
    values: set[str] = set()
    pod_type = _seccomp_type(_sc(spec))
    if pod_type is not None and pod_type not in _SECCOMP_TYPES:
        setters.append("pod")
        values.add(pod_type)
    bad = []
    for c in _containers(spec):
        kind = _seccomp_type(_sc(c))
        if kind is not None and kind not in _SECCOMP_TYPES:
            bad.append(_name(c))
            values.add(kind)
    if bad:
        setters.append(_containers_phrase(bad))
    if setters:
        return _fail(
            "seccompProfile",
            f"{' and '.join(setters)} must not set securityContext.seccompProfile.type to {_quote(sorted(values))}",
        )
    return None


#: check_sysctls.go, cumulative: 1.0 base set, 1.27, 1.29, 1.32, 1.37 additions.
SAFE_SYSCTLS = frozenset(
    {
        # 1.0
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_unprivileged_port_start",
        # 1.27
        "net.ipv4.ip_local_reserved_ports",
        # 1.29
        "net.ipv4.tcp_keepalive_time",
        "net.ipv4.tcp_fin_timeout",
        "net.ipv4.tcp_keepalive_intvl",
        "net.ipv4.tcp_keepalive_probes",
        # 1.32
        "net.ipv4.tcp_rmem",
        "net.ipv4.tcp_wmem",
        # 1.37
        "net.ipv4.tcp_slow_start_after_idle",
        "net.ipv4.tcp_notsent_lowat",
    }
)


def check_sysctls(metadata: dict, spec: dict) -> Optional[str]:
    """Upstream ``sysctls`` (baseline, 1.0/1.27/1.29/1.32/1.37).

    Every ``spec.securityContext.sysctls[*].name`` must be in
    :data:`SAFE_SYSCTLS` (an entry without a name is forbidden too).
    """
    bad = [
        _str(s.get("name")) or ""
        for s in _list(_sc(spec).get("sysctls"))
        if isinstance(s, dict) and (_str(s.get("name")) or "") not in SAFE_SYSCTLS
    ]
    if bad:
        return _fail("forbidden sysctls", ", ".join(bad))
    return None


def check_host_probes_and_host_lifecycle(metadata: dict, spec: dict) -> Optional[str]:
    """Upstream ``hostProbesAndHostLifecycle`` (baseline, 1.34).

    ``host`` in ``httpGet`` / ``tcpSocket`` of ``livenessProbe``,
    ``readinessProbe``, ``startupProbe`` and ``lifecycle.postStart`` /
    ``lifecycle.preStop`` must be undefined or ``""`` on every container.
    """
    bad: list[str] = []
    hosts: set[str] = set()

    def handler_hosts(handler: Any) -> list[str]:
        handler = _dict(handler)
        found = (_str(_dict(handler.get(k)).get("host")) for k in ("httpGet", "tcpSocket"))
        return [h for h in found if h]

    for c in _containers(spec):
        lifecycle = _dict(c.get("lifecycle"))
        handlers = [c.get(p) for p in ("livenessProbe", "readinessProbe", "startupProbe")]
        handlers += [lifecycle.get("postStart"), lifecycle.get("preStop")]
        found = [h for handler in handlers for h in handler_hosts(handler)]
        if found:
            bad.append(_name(c))
            hosts.update(found)
    if bad:
        return _fail(
            "probe or lifecycle host",
            f"{_containers_phrase(bad)} {_plural('uses', 'use', len(bad))} "
            f"{_plural('probe or lifecycle host', 'probe or lifecycle hosts', len(hosts))} "
            f"{_quote(sorted(hosts))}",
        )
    return None


# ---------------------------------------------------------------------------
# Restricted checks
# ---------------------------------------------------------------------------

#: check_restrictedVolumes.go: inline volume sources allowed at restricted
#: (``image`` since the 1.33 fix, patched into the 1.0 function).
RESTRICTED_VOLUME_SOURCES = (
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "image",
    "persistentVolumeClaim",
    "projected",
    "secret",
)
_FORBIDDEN_VOLUME_SOURCES = (
    "hostPath",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "nfs",
    "iscsi",
    "glusterfs",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "fc",
    "azureFile",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "portworxVolume",
    "scaleIO",
    "storageos",
)


def check_restricted_volumes(metadata: dict, spec: dict) -> Optional[str]:
    """Upstream ``restrictedVolumes`` (restricted, 1.0; overrides hostPathVolumes).

    Every ``spec.volumes[*]`` must use one of :data:`RESTRICTED_VOLUME_SOURCES`;
    anything else (including a volume with no source at all) is forbidden.
    """
    bad: list[str] = []
    kinds: set[str] = set()
    for volume in _list(spec.get("volumes")):
        if not isinstance(volume, dict):
            continue
        if any(isinstance(volume.get(k), dict) for k in RESTRICTED_VOLUME_SOURCES):
            continue
        bad.append(_str(volume.get("name")) or "")
        kinds.add(next((k for k in _FORBIDDEN_VOLUME_SOURCES if isinstance(volume.get(k), dict)), "unknown"))
    if bad:
        return _fail(
            "restricted volume types",
            f"{_plural('volume', 'volumes', len(bad))} {_quote(bad)} {_plural('uses', 'use', len(bad))} "
            f"{_plural('restricted volume type', 'restricted volume types', len(kinds))} {_quote(sorted(kinds))}",
        )
    return None


def check_allow_privilege_escalation(metadata: dict, spec: dict) -> Optional[str]:
    """Upstream ``allowPrivilegeEscalation`` (restricted, 1.8/1.25).

    ``securityContext.allowPrivilegeEscalation`` must be explicitly ``false``
    on every container.  Windows pods (``spec.os.name: windows``) are exempt
    (1.25+).
    """
    if _is_windows(spec):
        return None
    bad = [_name(c) for c in _containers(spec) if _sc(c).get("allowPrivilegeEscalation") is not False]
    if bad:
        return _fail(
            "allowPrivilegeEscalation != false",
            f"{_containers_phrase(bad)} must set securityContext.allowPrivilegeEscalation=false",
        )
    return None


def check_run_as_non_root(metadata: dict, spec: dict) -> Optional[str]:
    """Upstream ``runAsNonRoot`` (restricted, 1.0/1.35).

    The pod must not set ``runAsNonRoot: false``; no container may set it
    ``false``; and every container that leaves it unset must be covered by a
    pod-level ``true``.  Skipped entirely for ``hostUsers: false`` pods (1.35+).
    No Windows exemption.
    """
    if _user_namespace_pod(spec):
        return None
    setters: list[str] = []
    pod_value = _bool(_sc(spec).get("runAsNonRoot"))
    if pod_value is False:
        setters.append("pod")
    explicit_bad: list[str] = []
    implicit_bad: list[str] = []
    for c in _containers(spec):
        value = _bool(_sc(c).get("runAsNonRoot"))
        if value is False:
            explicit_bad.append(_name(c))
        elif value is None and pod_value is not True:
            implicit_bad.append(_name(c))
    if explicit_bad:
        setters.append(_containers_phrase(explicit_bad))
    if setters:
        return _fail(
            "runAsNonRoot != true",
            f"{' and '.join(setters)} must not set securityContext.runAsNonRoot=false",
        )
    if implicit_bad:
        return _fail(
            "runAsNonRoot != true",
            f"pod or {_containers_phrase(implicit_bad)} must set securityContext.runAsNonRoot=true",
        )
    return None


def check_run_as_user(metadata: dict, spec: dict) -> Optional[str]:
    """Upstream ``runAsUser`` (restricted, 1.23/1.35).

    ``securityContext.runAsUser`` must not be ``0`` on the pod or on any
    container (undefined is fine).  A pod-level 0 fails even when every
    container overrides it.  Skipped for ``hostUsers: false`` pods (1.35+).
    """
    if _user_namespace_pod(spec):
        return None
    setters = ["pod"] if _int(_sc(spec).get("runAsUser")) == 0 else []
    bad = [_name(c) for c in _containers(spec) if _int(_sc(c).get("runAsUser")) == 0]
    if bad:
        setters.append(_containers_phrase(bad))
    if setters:
        return _fail("runAsUser=0", f"{' and '.join(setters)} must not set runAsUser=0")
    return None


def check_seccomp_profile_restricted(metadata: dict, spec: dict) -> Optional[str]:
    """Upstream ``seccompProfile_restricted`` (restricted, 1.19/1.25).

    ``seccompProfile.type`` must be ``RuntimeDefault`` or ``Localhost``, set
    on the pod or on every container (a container may leave it unset only if
    the pod sets a valid one); ``Unconfined`` anywhere fails.  Windows pods are
    exempt (1.25+).  Overrides ``seccompProfile_baseline``.
    """
    if _is_windows(spec):
        return None
    setters: list[str] = []
    values: set[str] = set()
    pod_type = _seccomp_type(_sc(spec))
    pod_ok = pod_type in _SECCOMP_TYPES
    if pod_type is not None and not pod_ok:
        setters.append("pod")
        values.add(pod_type)
    explicit_bad: list[str] = []
    implicit_bad: list[str] = []
    for c in _containers(spec):
        kind = _seccomp_type(_sc(c))
        if kind is None:
            if not pod_ok:
                implicit_bad.append(_name(c))
        elif kind not in _SECCOMP_TYPES:
            explicit_bad.append(_name(c))
            values.add(kind)
    if explicit_bad:
        setters.append(_containers_phrase(explicit_bad))
    if setters:
        return _fail(
            "seccompProfile",
            f"{' and '.join(setters)} must not set securityContext.seccompProfile.type to {_quote(sorted(values))}",
        )
    if implicit_bad:
        return _fail(
            "seccompProfile",
            f'pod or {_containers_phrase(implicit_bad)} must set securityContext.seccompProfile.type '
            'to "RuntimeDefault" or "Localhost"',
        )
    return None


def check_capabilities_restricted(metadata: dict, spec: dict) -> Optional[str]:
    """Upstream ``capabilities_restricted`` (restricted, 1.22/1.25).

    Every container must list ``ALL`` (exact, case-sensitive) in
    ``securityContext.capabilities.drop`` and may only have
    ``NET_BIND_SERVICE`` in ``add``.  Windows pods are exempt (1.25+).
    Overrides ``capabilities_baseline``.
    """
    if _is_windows(spec):
        return None
    missing_drop: list[str] = []
    adding: list[str] = []
    forbidden: set[str] = set()
    for c in _containers(spec):
        caps = _sc(c).get("capabilities")
        if not isinstance(caps, dict):
            missing_drop.append(_name(c))
            continue
        if "ALL" not in _list(caps.get("drop")):
            missing_drop.append(_name(c))
        extra = [a for a in _list(caps.get("add")) if isinstance(a, str) and a != "NET_BIND_SERVICE"]
        if extra:
            adding.append(_name(c))
            forbidden.update(extra)
    details = []
    if missing_drop:
        details.append(f'{_containers_phrase(missing_drop)} must set securityContext.capabilities.drop=["ALL"]')
    if adding:
        details.append(
            f"{_containers_phrase(adding)} must not include {_quote(sorted(forbidden))} "
            "in securityContext.capabilities.add"
        )
    if details:
        return _fail("unrestricted capabilities", "; ".join(details))
    return None


def check_proc_mount_restricted(metadata: dict, spec: dict) -> Optional[str]:
    """Upstream ``procMount_restricted`` (restricted, 1.35; overrides procMount).

    ``securityContext.procMount`` must be undefined or ``Default`` on every
    container, whatever ``hostUsers`` says.
    """
    return _proc_mount(spec)


# ---------------------------------------------------------------------------
# Registry and entry points
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Check:
    id: str
    level: str
    fn: Callable[[dict, dict], Optional[str]]
    overrides: tuple[str, ...] = ()


_CHECKS: tuple[_Check, ...] = (
    # baseline
    _Check("windowsHostProcess", LEVEL_BASELINE, check_windows_host_process),
    _Check("hostNamespaces", LEVEL_BASELINE, check_host_namespaces),
    _Check("privileged", LEVEL_BASELINE, check_privileged),
    _Check("capabilities_baseline", LEVEL_BASELINE, check_capabilities_baseline),
    _Check("hostPathVolumes", LEVEL_BASELINE, check_host_path_volumes),
    _Check("hostPorts", LEVEL_BASELINE, check_host_ports),
    _Check("appArmorProfile", LEVEL_BASELINE, check_app_armor_profile),
    _Check("seLinuxOptions", LEVEL_BASELINE, check_se_linux_options),
    _Check("procMount", LEVEL_BASELINE, check_proc_mount_baseline),
    _Check("seccompProfile_baseline", LEVEL_BASELINE, check_seccomp_profile_baseline),
    _Check("sysctls", LEVEL_BASELINE, check_sysctls),
    _Check("hostProbesAndHostLifecycle", LEVEL_BASELINE, check_host_probes_and_host_lifecycle),
    # restricted
    _Check("restrictedVolumes", LEVEL_RESTRICTED, check_restricted_volumes, ("hostPathVolumes",)),
    _Check("allowPrivilegeEscalation", LEVEL_RESTRICTED, check_allow_privilege_escalation),
    _Check("runAsNonRoot", LEVEL_RESTRICTED, check_run_as_non_root),
    _Check("runAsUser", LEVEL_RESTRICTED, check_run_as_user),
    _Check(
        "seccompProfile_restricted",
        LEVEL_RESTRICTED,
        check_seccomp_profile_restricted,
        ("seccompProfile_baseline",),
    ),
    _Check(
        "capabilities_restricted",
        LEVEL_RESTRICTED,
        check_capabilities_restricted,
        ("capabilities_baseline",),
    ),
    _Check("procMount_restricted", LEVEL_RESTRICTED, check_proc_mount_restricted, ("procMount",)),
)

_OVERRIDDEN_AT_RESTRICTED = frozenset(o for c in _CHECKS for o in c.overrides)


def _checks_for(level: str) -> tuple[_Check, ...]:
    if level == LEVEL_PRIVILEGED:
        return ()
    if level == LEVEL_BASELINE:
        return tuple(c for c in _CHECKS if c.level == LEVEL_BASELINE)
    if level == LEVEL_RESTRICTED:
        return tuple(c for c in _CHECKS if c.id not in _OVERRIDDEN_AT_RESTRICTED)
    raise ValueError(f"unknown Pod Security level {level!r}")


def check_ids(level: str) -> tuple[str, ...]:
    """The check ids evaluated at ``level`` (after restricted overrides)."""
    return tuple(c.id for c in _checks_for(level))


#: Every check evaluated at the baseline level.
BASELINE_CHECKS = frozenset(check_ids(LEVEL_BASELINE))
#: Every check evaluated at the restricted level (baseline minus overridden).
RESTRICTED_CHECKS = frozenset(check_ids(LEVEL_RESTRICTED))

#: Checks a fixer can satisfy without knowing the workload (a securityContext
#: setting, or removing a host namespace / host port / non-default procMount).
AUTO_FIXABLE_RESTRICTED = frozenset(
    {
        "privileged",
        "allowPrivilegeEscalation",
        "runAsNonRoot",
        "runAsUser",
        "seccompProfile_baseline",
        "seccompProfile_restricted",
        "capabilities_baseline",
        "capabilities_restricted",
        "hostNamespaces",
        "hostPorts",
        "procMount",
        "procMount_restricted",
    }
)


def check_pod(metadata: dict, pod_spec: dict, level: str = LEVEL_RESTRICTED) -> list[Violation]:
    """Evaluate one pod (template) against ``level`` at :data:`POLICY_VERSION`.

    ``metadata`` is the pod (template) metadata -- only its annotations are
    read (legacy AppArmor annotations).  Returns one :class:`Violation` per
    failing check, in a stable order; an empty list means the pod is allowed.
    ``level`` is ``"restricted"``, ``"baseline"`` or ``"privileged"`` (the
    latter allows everything); anything else raises ``ValueError``.
    """
    checks = _checks_for(level.lower() if isinstance(level, str) else level)
    metadata = _dict(metadata)
    pod_spec = _dict(pod_spec)
    violations = []
    for check in checks:
        message = check.fn(metadata, pod_spec)
        if message is not None:
            violations.append(Violation(check.id, message))
    return violations


# ---------------------------------------------------------------------------
# Extracting pod specs from Kubernetes objects
# ---------------------------------------------------------------------------

_CORE = frozenset({"v1"})
_APPS = frozenset({"apps/v1", "apps/v1beta1", "apps/v1beta2", "extensions/v1beta1"})

#: kind -> (allowed apiVersions, path to the pod template).  The Pod itself
#: uses an empty path: its own metadata and spec.
_WORKLOADS: dict[str, tuple[frozenset, tuple[str, ...]]] = {
    "Pod": (_CORE, ()),
    "PodTemplate": (_CORE, ("template",)),
    "ReplicationController": (_CORE, ("spec", "template")),
    "Deployment": (_APPS, ("spec", "template")),
    "StatefulSet": (_APPS, ("spec", "template")),
    "DaemonSet": (_APPS, ("spec", "template")),
    "ReplicaSet": (_APPS, ("spec", "template")),
    "Job": (frozenset({"batch/v1"}), ("spec", "template")),
    "CronJob": (frozenset({"batch/v1", "batch/v1beta1"}), ("spec", "jobTemplate", "spec", "template")),
}


def pod_specs(document: dict) -> list[tuple[dict, dict]]:
    """``(pod template metadata, pod spec)`` pairs in a Kubernetes object.

    Handles the built-in pod-bearing kinds (Pod, PodTemplate,
    ReplicationController, Deployment, StatefulSet, DaemonSet, ReplicaSet,
    Job, CronJob) in their built-in API groups, and ``kind: List`` (v1)
    recursively.  The returned dicts are the document's own objects, not
    copies.  Objects without a pod spec (or of other kinds/groups) yield
    nothing; missing metadata yields ``{}``.
    """
    if not isinstance(document, dict):
        return []
    kind = document.get("kind")
    api_version = document.get("apiVersion")
    if kind == "List" and api_version in _CORE:
        return [pair for item in _list(document.get("items")) for pair in pod_specs(item)]
    if not isinstance(kind, str) or kind not in _WORKLOADS:
        return []
    versions, path = _WORKLOADS[kind]
    if api_version not in versions:
        return []
    template: Any = document
    for key in path:
        template = template.get(key) if isinstance(template, dict) else None
    if not isinstance(template, dict) or not isinstance(template.get("spec"), dict):
        return []
    metadata = template.get("metadata")
    return [(metadata if isinstance(metadata, dict) else {}, template["spec"])]
