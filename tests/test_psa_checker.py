"""Tests proving the independent PSA checker (tests/psa.py) itself right.

Each case is a small hand-written pod spec; expectations follow the upstream
``k8s.io/pod-security-admission/policy/check_*.go`` behaviour at the latest
policy version.
"""

from __future__ import annotations

import copy
import random

import pytest

try:
    import psa
except ImportError:  # tests/ imported as a package
    from tests import psa


CONTAINER_SC = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}


def compliant_pod() -> dict:
    """A pod spec that satisfies the restricted level."""
    return {
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "initContainers": [{"name": "init", "image": "busybox", "securityContext": copy.deepcopy(CONTAINER_SC)}],
        "containers": [
            {
                "name": "app",
                "image": "nginx",
                "ports": [{"containerPort": 8080}],
                "securityContext": copy.deepcopy(CONTAINER_SC),
            }
        ],
        "volumes": [{"name": "data", "emptyDir": {}}],
    }


def ids(metadata, spec, level):
    return {v.check for v in psa.check_pod(metadata, spec, level)}


def app_sc(spec: dict) -> dict:
    return spec["containers"][0]["securityContext"]


# --------------------------------------------------------------------------
# Compliant pods
# --------------------------------------------------------------------------


@pytest.mark.parametrize("level", ["baseline", "restricted", "privileged"])
def test_compliant_pod_passes(level):
    assert psa.check_pod({}, compliant_pod(), level) == []


def test_compliant_pod_with_every_allowed_volume_type_and_safe_settings():
    spec = compliant_pod()
    spec["volumes"] = [
        {"name": "cm", "configMap": {"name": "x"}},
        {"name": "csi", "csi": {"driver": "d"}},
        {"name": "dapi", "downwardAPI": {}},
        {"name": "empty", "emptyDir": {}},
        {"name": "eph", "ephemeral": {"volumeClaimTemplate": {}}},
        {"name": "img", "image": {"reference": "registry/x:1"}},
        {"name": "pvc", "persistentVolumeClaim": {"claimName": "c"}},
        {"name": "proj", "projected": {"sources": []}},
        {"name": "sec", "secret": {"secretName": "s"}},
    ]
    spec["securityContext"].update(
        {
            "runAsUser": 1000,
            "sysctls": [{"name": "net.ipv4.tcp_rmem", "value": "4096 87380 16777216"}],
            "seLinuxOptions": {"type": "container_engine_t", "level": "s0:c1,c2"},
            "appArmorProfile": {"type": "Localhost", "localhostProfile": "p"},
        }
    )
    app_sc(spec).update({"capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}, "procMount": "Default"})
    spec["containers"][0]["ports"] = [{"containerPort": 80, "hostPort": 0}]
    meta = {"annotations": {"container.apparmor.security.beta.kubernetes.io/app": "runtime/default"}}
    assert psa.check_pod(meta, spec, "restricted") == []
    assert psa.check_pod(meta, spec, "baseline") == []


# --------------------------------------------------------------------------
# Each check fires on a minimal violation, at the right level(s)
# --------------------------------------------------------------------------


def _set(path, value):
    """Mutation setting spec[path...] = value (creating dicts on the way)."""

    def mutate(spec, meta):
        target = spec
        for key in path[:-1]:
            target = target[key] if isinstance(key, int) else target.setdefault(key, {})
        target[path[-1]] = value

    return mutate


def _delete(path):
    def mutate(spec, meta):
        target = spec
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return mutate


def _annotate(key, value):
    def mutate(spec, meta):
        meta.setdefault("annotations", {})[key] = value

    return mutate


APP = ("containers", 0, "securityContext")
POD = ("securityContext",)

# (id, mutation, violations at baseline, violations at restricted)
CASES = [
    ("privileged", _set(APP + ("privileged",), True), {"privileged"}, {"privileged"}),
    ("hostNetwork", _set(("hostNetwork",), True), {"hostNamespaces"}, {"hostNamespaces"}),
    ("hostPID", _set(("hostPID",), True), {"hostNamespaces"}, {"hostNamespaces"}),
    ("hostIPC", _set(("hostIPC",), True), {"hostNamespaces"}, {"hostNamespaces"}),
    ("hostPort", _set(("containers", 0, "ports"), [{"containerPort": 80, "hostPort": 80}]), {"hostPorts"}, {"hostPorts"}),
    ("hostPath", _set(("volumes",), [{"name": "h", "hostPath": {"path": "/"}}]), {"hostPathVolumes"}, {"restrictedVolumes"}),
    ("nfs volume", _set(("volumes",), [{"name": "n", "nfs": {"server": "s", "path": "/"}}]), set(), {"restrictedVolumes"}),
    ("volume without source", _set(("volumes",), [{"name": "n"}]), set(), {"restrictedVolumes"}),
    (
        "add SYS_ADMIN",
        _set(APP + ("capabilities",), {"drop": ["ALL"], "add": ["SYS_ADMIN"]}),
        {"capabilities_baseline"},
        {"capabilities_restricted"},
    ),
    (
        "add NET_RAW (not in baseline default set)",
        _set(APP + ("capabilities",), {"drop": ["ALL"], "add": ["NET_RAW"]}),
        {"capabilities_baseline"},
        {"capabilities_restricted"},
    ),
    (
        "add CHOWN (baseline default, not restricted)",
        _set(APP + ("capabilities",), {"drop": ["ALL"], "add": ["CHOWN"]}),
        set(),
        {"capabilities_restricted"},
    ),
    (
        "add CAP_NET_BIND_SERVICE (prefixed name)",
        _set(APP + ("capabilities",), {"drop": ["ALL"], "add": ["CAP_NET_BIND_SERVICE"]}),
        {"capabilities_baseline"},
        {"capabilities_restricted"},
    ),
    ("no capabilities", _delete(APP + ("capabilities",)), set(), {"capabilities_restricted"}),
    ("drop without ALL", _set(APP + ("capabilities",), {"drop": ["NET_RAW"]}), set(), {"capabilities_restricted"}),
    ("drop lowercase all", _set(APP + ("capabilities",), {"drop": ["all"]}), set(), {"capabilities_restricted"}),
    ("allowPrivilegeEscalation unset", _delete(APP + ("allowPrivilegeEscalation",)), set(), {"allowPrivilegeEscalation"}),
    ("allowPrivilegeEscalation true", _set(APP + ("allowPrivilegeEscalation",), True), set(), {"allowPrivilegeEscalation"}),
    ("runAsNonRoot unset", _delete(POD + ("runAsNonRoot",)), set(), {"runAsNonRoot"}),
    ("runAsNonRoot false", _set(POD + ("runAsNonRoot",), False), set(), {"runAsNonRoot"}),
    ("pod runAsUser 0", _set(POD + ("runAsUser",), 0), set(), {"runAsUser"}),
    ("container runAsUser 0", _set(APP + ("runAsUser",), 0), set(), {"runAsUser"}),
    (
        "pod seccomp Unconfined",
        _set(POD + ("seccompProfile",), {"type": "Unconfined"}),
        {"seccompProfile_baseline"},
        {"seccompProfile_restricted"},
    ),
    (
        "container seccomp Unconfined",
        _set(APP + ("seccompProfile",), {"type": "Unconfined"}),
        {"seccompProfile_baseline"},
        {"seccompProfile_restricted"},
    ),
    ("seccomp unset", _delete(POD + ("seccompProfile",)), set(), {"seccompProfile_restricted"}),
    ("pod seccomp Localhost", _set(POD + ("seccompProfile",), {"type": "Localhost", "localhostProfile": "p.json"}), set(), set()),
    ("container seccomp Localhost", _set(APP + ("seccompProfile",), {"type": "Localhost", "localhostProfile": "p"}), set(), set()),
    ("pod AppArmor Unconfined", _set(POD + ("appArmorProfile",), {"type": "Unconfined"}), {"appArmorProfile"}, {"appArmorProfile"}),
    ("container AppArmor Unconfined", _set(APP + ("appArmorProfile",), {"type": "Unconfined"}), {"appArmorProfile"}, {"appArmorProfile"}),
    (
        "AppArmor annotation unconfined",
        _annotate("container.apparmor.security.beta.kubernetes.io/app", "unconfined"),
        {"appArmorProfile"},
        {"appArmorProfile"},
    ),
    ("AppArmor annotation localhost/", _annotate("container.apparmor.security.beta.kubernetes.io/app", "localhost/p"), set(), set()),
    (
        "seccomp alpha annotation is not checked at this version",
        _annotate("seccomp.security.alpha.kubernetes.io/pod", "unconfined"),
        set(),
        set(),
    ),
    ("SELinux type spc_t", _set(APP + ("seLinuxOptions",), {"type": "spc_t"}), {"seLinuxOptions"}, {"seLinuxOptions"}),
    ("SELinux user", _set(POD + ("seLinuxOptions",), {"user": "system_u"}), {"seLinuxOptions"}, {"seLinuxOptions"}),
    ("SELinux role", _set(APP + ("seLinuxOptions",), {"role": "sysadm_r"}), {"seLinuxOptions"}, {"seLinuxOptions"}),
    ("SELinux level only", _set(APP + ("seLinuxOptions",), {"level": "s0:c123,c456"}), set(), set()),
    ("procMount Unmasked", _set(APP + ("procMount",), "Unmasked"), {"procMount"}, {"procMount_restricted"}),
    ("sysctl unsafe", _set(POD + ("sysctls",), [{"name": "kernel.msgmax", "value": "1"}]), {"sysctls"}, {"sysctls"}),
    ("sysctl safe (1.0)", _set(POD + ("sysctls",), [{"name": "net.ipv4.ip_unprivileged_port_start", "value": "0"}]), set(), set()),
    (
        "hostProcess on pod",
        _set(POD + ("windowsOptions",), {"hostProcess": True}),
        {"windowsHostProcess"},
        {"windowsHostProcess"},
    ),
    (
        "hostProcess on container",
        _set(APP + ("windowsOptions",), {"hostProcess": True}),
        {"windowsHostProcess"},
        {"windowsHostProcess"},
    ),
    (
        "probe httpGet host",
        _set(("containers", 0, "livenessProbe"), {"httpGet": {"host": "10.0.0.1", "port": 80}}),
        {"hostProbesAndHostLifecycle"},
        {"hostProbesAndHostLifecycle"},
    ),
    (
        "probe tcpSocket host",
        _set(("containers", 0, "startupProbe"), {"tcpSocket": {"host": "node", "port": 80}}),
        {"hostProbesAndHostLifecycle"},
        {"hostProbesAndHostLifecycle"},
    ),
    (
        "lifecycle preStop httpGet host",
        _set(("containers", 0, "lifecycle"), {"preStop": {"httpGet": {"host": "metadata", "port": 80}}}),
        {"hostProbesAndHostLifecycle"},
        {"hostProbesAndHostLifecycle"},
    ),
    ("probe with empty host", _set(("containers", 0, "readinessProbe"), {"httpGet": {"host": "", "port": 80}}), set(), set()),
]


@pytest.mark.parametrize("name,mutate,at_baseline,at_restricted", CASES, ids=[c[0] for c in CASES])
def test_single_violation(name, mutate, at_baseline, at_restricted):
    spec, meta = compliant_pod(), {}
    mutate(spec, meta)
    assert ids(meta, spec, "baseline") == at_baseline
    assert ids(meta, spec, "restricted") == at_restricted


def test_violation_messages_name_containers():
    spec = compliant_pod()
    spec["containers"][0]["securityContext"]["privileged"] = True
    (violation,) = psa.check_pod({}, spec, "baseline")
    assert violation == psa.Violation("privileged", violation.message)
    assert '"app"' in violation.message and "privileged=true" in violation.message


def test_level_attribution_of_check_ids():
    baseline = {
        "windowsHostProcess",
        "hostNamespaces",
        "privileged",
        "capabilities_baseline",
        "hostPathVolumes",
        "hostPorts",
        "appArmorProfile",
        "seLinuxOptions",
        "procMount",
        "seccompProfile_baseline",
        "sysctls",
        "hostProbesAndHostLifecycle",
    }
    assert psa.BASELINE_CHECKS == baseline
    overridden = {"hostPathVolumes", "capabilities_baseline", "seccompProfile_baseline", "procMount"}
    restricted_only = {
        "restrictedVolumes",
        "allowPrivilegeEscalation",
        "runAsNonRoot",
        "runAsUser",
        "seccompProfile_restricted",
        "capabilities_restricted",
        "procMount_restricted",
    }
    assert psa.RESTRICTED_CHECKS == (baseline - overridden) | restricted_only
    assert psa.check_ids("privileged") == ()
    with pytest.raises(ValueError):
        psa.check_pod({}, compliant_pod(), "strict")


def test_auto_fixable_ids_are_real_check_ids():
    listed = {
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
    }
    assert listed <= psa.AUTO_FIXABLE_RESTRICTED
    assert psa.AUTO_FIXABLE_RESTRICTED <= psa.BASELINE_CHECKS | psa.RESTRICTED_CHECKS
    assert "restrictedVolumes" not in psa.AUTO_FIXABLE_RESTRICTED


# --------------------------------------------------------------------------
# Pod-level vs container-level interplay
# --------------------------------------------------------------------------


def test_container_run_as_non_root_false_overrides_pod_true():
    spec = compliant_pod()
    app_sc(spec)["runAsNonRoot"] = False
    assert ids({}, spec, "restricted") == {"runAsNonRoot"}


def test_run_as_non_root_unset_on_pod_but_true_on_every_container_passes():
    spec = compliant_pod()
    del spec["securityContext"]["runAsNonRoot"]
    for c in spec["containers"] + spec["initContainers"]:
        c["securityContext"]["runAsNonRoot"] = True
    assert ids({}, spec, "restricted") == set()


def test_run_as_non_root_one_container_not_covered():
    spec = compliant_pod()
    del spec["securityContext"]["runAsNonRoot"]
    app_sc(spec)["runAsNonRoot"] = True  # init container left unset
    violations = psa.check_pod({}, spec, "restricted")
    assert [v.check for v in violations] == ["runAsNonRoot"]
    assert '"init"' in violations[0].message


def test_pod_run_as_non_root_false_fails_even_if_every_container_true():
    spec = compliant_pod()
    spec["securityContext"]["runAsNonRoot"] = False
    for c in spec["containers"] + spec["initContainers"]:
        c["securityContext"]["runAsNonRoot"] = True
    assert ids({}, spec, "restricted") == {"runAsNonRoot"}


def test_pod_run_as_user_zero_fails_even_if_containers_override():
    spec = compliant_pod()
    spec["securityContext"]["runAsUser"] = 0
    for c in spec["containers"] + spec["initContainers"]:
        c["securityContext"]["runAsUser"] = 1000
    assert ids({}, spec, "restricted") == {"runAsUser"}


def test_seccomp_unset_on_pod_but_set_on_every_container_passes():
    spec = compliant_pod()
    del spec["securityContext"]["seccompProfile"]
    for c in spec["containers"] + spec["initContainers"]:
        c["securityContext"]["seccompProfile"] = {"type": "RuntimeDefault"}
    assert ids({}, spec, "restricted") == set()


def test_seccomp_container_unconfined_overrides_pod_runtime_default():
    spec = compliant_pod()
    app_sc(spec)["seccompProfile"] = {"type": "Unconfined"}
    assert ids({}, spec, "restricted") == {"seccompProfile_restricted"}


def test_seccomp_pod_unconfined_not_rescued_by_containers():
    spec = compliant_pod()
    spec["securityContext"]["seccompProfile"] = {"type": "Unconfined"}
    for c in spec["containers"] + spec["initContainers"]:
        c["securityContext"]["seccompProfile"] = {"type": "RuntimeDefault"}
    assert ids({}, spec, "restricted") == {"seccompProfile_restricted"}
    assert ids({}, spec, "baseline") == {"seccompProfile_baseline"}


def test_ephemeral_containers_are_checked():
    spec = compliant_pod()
    spec["ephemeralContainers"] = [{"name": "debug", "image": "busybox", "securityContext": {"privileged": True}}]
    assert ids({}, spec, "baseline") == {"privileged"}
    assert ids({}, spec, "restricted") == {"privileged", "allowPrivilegeEscalation", "capabilities_restricted"}


def test_init_containers_are_checked():
    spec = compliant_pod()
    del spec["initContainers"][0]["securityContext"]
    assert ids({}, spec, "restricted") == {"allowPrivilegeEscalation", "capabilities_restricted"}


def test_no_containers_means_no_implicit_failures():
    assert psa.check_pod({}, {}, "restricted") == []


# --------------------------------------------------------------------------
# Windows and user-namespace exceptions
# --------------------------------------------------------------------------


def windows_pod() -> dict:
    return {
        "os": {"name": "windows"},
        "securityContext": {"runAsNonRoot": True, "windowsOptions": {"runAsUserName": "ContainerUser"}},
        "containers": [{"name": "win", "image": "mcr.microsoft.com/windows/nanoserver"}],
    }


def test_windows_pod_exempt_from_linux_only_restricted_checks():
    assert psa.check_pod({}, windows_pod(), "restricted") == []


def test_windows_pod_still_needs_run_as_non_root():
    spec = windows_pod()
    del spec["securityContext"]["runAsNonRoot"]
    assert ids({}, spec, "restricted") == {"runAsNonRoot"}


def test_windows_exemption_needs_exact_os_name():
    spec = windows_pod()
    spec["os"]["name"] = "Windows"
    assert ids({}, spec, "restricted") == {
        "allowPrivilegeEscalation",
        "seccompProfile_restricted",
        "capabilities_restricted",
    }


def test_windows_host_process_forbidden_on_windows_pod():
    spec = windows_pod()
    spec["securityContext"]["windowsOptions"]["hostProcess"] = True
    spec["hostNetwork"] = True
    assert ids({}, spec, "baseline") == {"windowsHostProcess", "hostNamespaces"}
    assert ids({}, spec, "restricted") == {"windowsHostProcess", "hostNamespaces"}


def test_windows_pod_is_not_exempt_from_baseline_checks():
    spec = windows_pod()
    spec["containers"][0]["securityContext"] = {"privileged": True, "capabilities": {"add": ["SYS_ADMIN"]}}
    assert ids({}, spec, "baseline") == {"privileged", "capabilities_baseline"}
    # capabilities_restricted exempts Windows and overrides capabilities_baseline
    assert ids({}, spec, "restricted") == {"privileged"}


def test_user_namespace_pod_relaxes_run_as_user_non_root_and_baseline_proc_mount():
    spec = compliant_pod()
    spec["hostUsers"] = False
    del spec["securityContext"]["runAsNonRoot"]
    spec["securityContext"]["runAsUser"] = 0
    app_sc(spec)["procMount"] = "Unmasked"
    assert ids({}, spec, "baseline") == set()
    assert ids({}, spec, "restricted") == {"procMount_restricted"}


def test_host_users_true_relaxes_nothing():
    spec = compliant_pod()
    spec["hostUsers"] = True
    del spec["securityContext"]["runAsNonRoot"]
    assert ids({}, spec, "restricted") == {"runAsNonRoot"}


# --------------------------------------------------------------------------
# Robustness to badly shaped input
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec",
    [
        None,
        "spec",
        [],
        {"containers": "nginx"},
        {"containers": [None, "x", 3, {"securityContext": "oops"}]},
        {"securityContext": ["x"], "containers": [{"name": 5, "securityContext": {"capabilities": ["ALL"]}}]},
        {"containers": [{"securityContext": {"capabilities": {"add": "SYS_ADMIN", "drop": "ALL"}}}]},
        {"containers": [{"ports": [None, {"hostPort": "80"}, {"hostPort": True}]}], "volumes": ["v", {"hostPath": "/"}]},
        {"os": "windows", "hostUsers": "false", "securityContext": {"sysctls": [None, {"name": 1}, "x"]}},
        {"containers": [{"livenessProbe": "x", "lifecycle": {"preStop": []}, "readinessProbe": {"httpGet": None}}]},
    ],
)
def test_wrong_shapes_never_raise(spec):
    for level in ("baseline", "restricted"):
        result = psa.check_pod({"annotations": ["x"]}, spec, level)
        assert all(isinstance(v, psa.Violation) for v in result)
    psa.check_pod(None, spec)
    psa.check_pod("meta", spec)


def test_wrong_typed_values_are_treated_as_absent():
    spec = compliant_pod()
    app_sc(spec)["privileged"] = "true"  # not a bool: absent
    app_sc(spec)["runAsUser"] = False  # a bool is not the integer 0
    spec["containers"][0]["ports"] = [{"hostPort": "8080"}]
    assert psa.check_pod({}, spec, "restricted") == []
    app_sc(spec)["allowPrivilegeEscalation"] = "false"  # absent -> must be false
    assert ids({}, spec, "restricted") == {"allowPrivilegeEscalation"}


def _junk(rng: random.Random, depth: int = 0):
    keys = [
        "securityContext", "containers", "initContainers", "ephemeralContainers", "capabilities", "add",
        "drop", "seccompProfile", "type", "appArmorProfile", "seLinuxOptions", "volumes", "hostPath",
        "ports", "hostPort", "sysctls", "name", "os", "hostUsers", "runAsNonRoot", "runAsUser",
        "windowsOptions", "hostProcess", "livenessProbe", "httpGet", "host", "lifecycle", "preStop",
        "procMount", "privileged", "allowPrivilegeEscalation", "hostNetwork", "annotations",
    ]
    choice = rng.randrange(8 if depth < 4 else 5)
    if choice == 0:
        return None
    if choice == 1:
        return rng.choice([True, False, 0, 1, -1])
    if choice == 2:
        return rng.choice(["", "ALL", "windows", "Unconfined", "RuntimeDefault", "x"])
    if choice == 3:
        return 3.5
    if choice == 4:
        return []
    if choice in (5, 6):
        return {rng.choice(keys): _junk(rng, depth + 1) for _ in range(rng.randrange(4))}
    return [_junk(rng, depth + 1) for _ in range(rng.randrange(3))]


def test_random_junk_never_raises():
    rng = random.Random(20240601)
    for _ in range(2000):
        meta, spec = _junk(rng), _junk(rng)
        for level in ("baseline", "restricted"):
            psa.check_pod(meta, spec, level)
        psa.pod_specs({"apiVersion": "apps/v1", "kind": "Deployment", "spec": spec})


# --------------------------------------------------------------------------
# pod_specs
# --------------------------------------------------------------------------


def test_pod_specs_pod_uses_own_metadata():
    doc = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": []}}
    ((meta, spec),) = psa.pod_specs(doc)
    assert meta is doc["metadata"] and spec is doc["spec"]


@pytest.mark.parametrize(
    "api_version,kind",
    [
        ("apps/v1", "Deployment"),
        ("apps/v1", "StatefulSet"),
        ("apps/v1", "DaemonSet"),
        ("apps/v1", "ReplicaSet"),
        ("extensions/v1beta1", "Deployment"),
        ("apps/v1beta1", "StatefulSet"),
        ("apps/v1beta2", "DaemonSet"),
        ("v1", "ReplicationController"),
        ("batch/v1", "Job"),
    ],
)
def test_pod_specs_template_workloads(api_version, kind):
    template = {"metadata": {"annotations": {"a": "b"}}, "spec": {"containers": [{"name": "c"}]}}
    doc = {"apiVersion": api_version, "kind": kind, "metadata": {"name": "w"}, "spec": {"template": template}}
    ((meta, spec),) = psa.pod_specs(doc)
    assert meta is template["metadata"] and spec is template["spec"]


@pytest.mark.parametrize("api_version", ["batch/v1", "batch/v1beta1"])
def test_pod_specs_cronjob(api_version):
    template = {"spec": {"containers": [{"name": "c"}]}}
    doc = {"apiVersion": api_version, "kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": template}}}}
    assert psa.pod_specs(doc) == [({}, template["spec"])]


def test_pod_specs_pod_template_and_nested_lists():
    pod_template = {"apiVersion": "v1", "kind": "PodTemplate", "template": {"metadata": {}, "spec": {"containers": []}}}
    pod = {"apiVersion": "v1", "kind": "Pod", "spec": {"containers": []}}
    doc = {"apiVersion": "v1", "kind": "List", "items": [pod_template, {"apiVersion": "v1", "kind": "List", "items": [pod]}, None]}
    assert [spec for _, spec in psa.pod_specs(doc)] == [pod_template["template"]["spec"], pod["spec"]]


@pytest.mark.parametrize(
    "doc",
    [
        None,
        "kind: Pod",
        {"apiVersion": "v1", "kind": "Service", "spec": {"template": {"spec": {}}}},
        {"apiVersion": "serving.knative.dev/v1", "kind": "Deployment", "spec": {"template": {"spec": {}}}},
        {"apiVersion": "example.com/v1", "kind": "Pod", "spec": {}},
        {"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"template": "x"}},
        {"apiVersion": "apps/v1", "kind": "Deployment"},
        {"apiVersion": "v1", "kind": "List", "items": "x"},
    ],
)
def test_pod_specs_ignores_other_objects(doc):
    assert psa.pod_specs(doc) == []
