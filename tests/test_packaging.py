"""The wheel installs exactly one top-level package, ``hardener``, with profiles as data."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_wheel_maps_transforms_and_profiles_under_hardener(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(REPO)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("hardener-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {name.split("/")[0] for name in names if not name.split("/")[0].endswith((".dist-info", ".data"))}
    assert top_level == {"hardener"}
    assert "hardener/transforms/run_as_non_root.py" in names
    assert "hardener/profiles/restricted.yaml" in names
    assert "hardener/images.yaml" in names  # the shipped image facts
    (top_level_txt,) = [n for n in names if n.endswith(".dist-info/top_level.txt")]
    assert zipfile.ZipFile(wheel).read(top_level_txt).decode().split() == ["hardener"]
