"""File and folder modes of the output, whatever the umask of the process that writes it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from wizard.plan import MANIFEST

EXE = shutil.which("apim-wizard") or str(Path(sys.executable).parent / "apim-wizard")
SECRET_SUFFIXES = (".p12", ".jks", ".pfx", ".key")


def apply_with_umask(umask: int, *argv) -> subprocess.CompletedProcess:
    return subprocess.run([EXE, "apply", *map(str, argv)], capture_output=True, text=True, timeout=120,
                          preexec_fn=lambda: os.umask(umask))


def holds_secret(path: Path, secrets: set[str]) -> bool:
    if path.suffix in SECRET_SUFFIXES or path.name in ("secrets.toml", "answers.toml"):
        return True
    data = path.read_bytes()
    return b"PRIVATE KEY" in data or any(s.encode() in data for s in secrets)


def known_secrets(out: Path) -> set[str]:
    import tomllib

    generated = tomllib.loads((out / "secrets.toml").read_text())["generated"]
    return set(generated.values())


def check_modes(out: Path) -> None:
    secrets = known_secrets(out)
    manifest = json.loads((out / MANIFEST).read_text())["files"]
    secret_files = []
    for path in out.rglob("*"):
        if not path.is_file() or path.name == "lock":
            continue
        mode = path.stat().st_mode & 0o777
        relative = path.relative_to(out).as_posix()
        if relative in manifest:
            assert f"{mode:04o}" == manifest[relative]["mode"], relative
        if holds_secret(path, secrets) or relative.startswith(".apim-wizard/"):
            assert mode == 0o600, f"{relative}: {mode:04o}, expected 0600"
            secret_files.append(path)
        else:
            assert mode in (0o644, 0o755), f"{relative}: {mode:04o}"
    assert secret_files
    for path in secret_files:
        for folder in path.parents:
            assert folder.stat().st_mode & 0o777 == 0o700, f"{folder}: folder of {path.name} is not 0700"
            if folder == out:
                break


@pytest.mark.parametrize("umask", [0o000, 0o077, 0o022])
def test_modes_whatever_the_umask(tmp_path, umask):
    out = tmp_path / "out"
    result = apply_with_umask(umask, "--preset", "ha", "--out", out)
    assert result.returncode == 0, result.stderr
    check_modes(out)
    # A --force replacement keeps a backup: private as well.
    target = out / "cp-1/repository/conf/deployment.toml"
    target.write_text(target.read_text() + "# edit\n")
    edited = tmp_path / "edited.toml"
    edited.write_text((out / "answers.toml").read_text().replace('type = "hybrid"', 'type = "production"'))
    result = apply_with_umask(umask, "--answers", edited, "--out", out, "--force")
    assert result.returncode == 0, result.stderr
    assert list((out / ".apim-wizard/backups").rglob("deployment.toml.*"))
    check_modes(out)


def test_existing_folders_are_tightened_for_secrets(tmp_path):
    out = tmp_path / "out"
    assert apply_with_umask(0o022, "--preset", "single", "--out", out).returncode == 0
    os.chmod(out / "cp-1", 0o755)
    os.chmod(out / "cp-1/repository/conf/deployment.toml", 0o644)
    result = apply_with_umask(0o000, "--answers", out / "answers.toml", "--out", out)
    assert result.returncode == 0, result.stderr
    check_modes(out)
