"""hardener: rewrite Kubernetes manifests so every workload runs hardened.

The output is the user's own bytes plus the smallest edits that harden each
workload, and every edit comes with a record that explains it.
"""

from hardener.api import Result, harden, harden_bytes

__all__ = ["Result", "harden", "harden_bytes"]
__version__ = "0.1.0"
