"""Fixtures for the real-host tests; the helpers live in hostrun.py."""

from tests.integration.hostrun import hardener_path, host_env  # noqa: F401  (pytest fixtures)
