"""``hardener fix`` loads only what hardening needs: start-up is paid inside every ``helm install``."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

POD = b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: web\n    image: nginx\n"
HEAVY = ("deepdiff", "kubernetes", "rich", "pydantic", "hardener.testing", "syrupy", "pytest")  # pydantic: typer >= 0.29
RENDERERS = "hardener.report."


# Runs ``python -m hardener ARGS`` and, at exit, writes the names in sys.modules to a file.
PROBE = """
import atexit, runpy, sys
out = sys.argv.pop(1)
atexit.register(lambda: open(out, "w").write("\\n".join(sys.modules)))
sys.argv[0] = "hardener"
runpy.run_module("hardener", run_name="__main__", alter_sys=True)
"""


def imported_modules(*args: str, stdin: bytes = POD) -> tuple[subprocess.CompletedProcess, set[str]]:
    with tempfile.TemporaryDirectory() as tmp:
        listing = Path(tmp) / "modules.txt"
        result = subprocess.run([sys.executable, "-c", PROBE, str(listing), *args], input=stdin, capture_output=True)
        return result, set(listing.read_text().split("\n"))


def heavy(modules: set[str]) -> list[str]:
    """The heavy packages (and report renderers) among ``modules``."""
    return sorted(m for m in modules if m.startswith(RENDERERS) or any(m == h or m.startswith(h + ".") for h in HEAVY))


def test_fix_imports_no_heavy_module():
    result, modules = imported_modules("fix")
    assert result.returncode == 0 and b"runAsNonRoot: true" in result.stdout
    assert "hardener.engine" in modules  # the probe sees the modules that were loaded
    assert heavy(modules) == []


def test_fix_of_an_already_hardened_stream_imports_no_heavy_module():
    hardened = subprocess.run([sys.executable, "-m", "hardener", "fix"], input=POD, capture_output=True).stdout
    result, modules = imported_modules("fix", stdin=hardened)
    assert (result.returncode, result.stdout) == (0, hardened)
    assert heavy(modules) == []


def test_a_report_loads_its_renderer_only_when_asked():
    result, modules = imported_modules("fix", "--report", "text")
    assert result.returncode == 0
    assert "hardener.report.text" in modules


def test_python_dash_m_hardener_is_the_command_line():
    result = subprocess.run([sys.executable, "-m", "hardener", "--help"], capture_output=True)
    assert result.returncode == 0 and b"fix" in result.stdout
