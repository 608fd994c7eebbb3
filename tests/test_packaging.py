"""The wheel carries the presets, so `pip install .` finds them at run time."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]


def test_wheel_contains_presets_and_both_packages(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    (wheel,) = tmp_path.glob("apim_wizard-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    presets = {p.name for p in (ROOT / "presets").glob("*.toml")}
    assert presets and {f"wizard/bundled_presets/{p}" for p in presets} <= names
    assert "wizard/cli.py" in names and "screens/__init__.py" in names
    assert "screens/app.tcss" in names  # the wizard's styles: without them it starts unstyled
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "apim-wizard = wizard.launch:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
