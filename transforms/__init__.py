"""Built-in transforms, one module per hardening concern.

``BUILTINS`` is the explicit list the registry loads, so the built-ins work
from a source checkout or a frozen binary without package metadata. Order
matters: a transform sees the edits of those before it. run-as-non-zero-user
removes ``runAsUser: 0`` before run-as-non-root may set a UID where none is
set; no-privileged and restrict-capabilities run before
no-privilege-escalation, because Kubernetes rejects
``allowPrivilegeEscalation: false`` next to ``privileged: true`` or an added
``SYS_ADMIN``. Transforms that only report come last.
"""

from .apparmor_runtime_default import AppArmorRuntimeDefault
from .automount_service_account_token import AutomountServiceAccountToken
from .dedicated_service_account import DedicatedServiceAccount
from .default_proc_mount import DefaultProcMount
from .drop_all_capabilities import DropAllCapabilities
from .no_host_namespaces import NoHostNamespaces
from .no_host_path_volumes import NoHostPathVolumes
from .no_host_ports import NoHostPorts
from .no_privilege_escalation import NoPrivilegeEscalation
from .no_privileged import NoPrivileged
from .no_probe_host import NoProbeHost
from .no_windows_host_process import NoWindowsHostProcess
from .read_only_root_filesystem import ReadOnlyRootFilesystem
from .restrict_capabilities import RestrictCapabilities
from .restrict_selinux_options import RestrictSELinuxOptions
from .restricted_volume_types import RestrictedVolumeTypes
from .run_as_non_root import RunAsNonRoot
from .run_as_non_zero_user import RunAsNonZeroUser
from .safe_sysctls import SafeSysctls
from .seccomp_runtime_default import SeccompRuntimeDefault
from .security_field_names import SecurityFieldNames

BUILTINS = (
    RunAsNonZeroUser,
    RunAsNonRoot,
    NoPrivileged,
    NoHostNamespaces,
    NoHostPorts,
    DefaultProcMount,
    SeccompRuntimeDefault,
    AppArmorRuntimeDefault,
    RestrictSELinuxOptions,
    RestrictCapabilities,
    NoPrivilegeEscalation,
    ReadOnlyRootFilesystem,
    DropAllCapabilities,
    AutomountServiceAccountToken,
    DedicatedServiceAccount,
    NoHostPathVolumes,
    RestrictedVolumeTypes,
    SafeSysctls,
    NoWindowsHostProcess,
    NoProbeHost,
    SecurityFieldNames,
)

__all__ = ["BUILTINS"]
