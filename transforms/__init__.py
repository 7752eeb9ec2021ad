"""Built-in transforms, one module per hardening concern.

``BUILTINS`` is the explicit list the registry loads, so the built-ins work
from a source checkout or a frozen binary without package metadata. Order
matters: a transform sees the edits of those before it.
"""

from .automount_service_account_token import AutomountServiceAccountToken
from .dedicated_service_account import DedicatedServiceAccount
from .drop_all_capabilities import DropAllCapabilities
from .no_privilege_escalation import NoPrivilegeEscalation
from .read_only_root_filesystem import ReadOnlyRootFilesystem
from .run_as_non_root import RunAsNonRoot

BUILTINS = (
    RunAsNonRoot,
    NoPrivilegeEscalation,
    ReadOnlyRootFilesystem,
    DropAllCapabilities,
    AutomountServiceAccountToken,
    DedicatedServiceAccount,
)

__all__ = ["BUILTINS"]
