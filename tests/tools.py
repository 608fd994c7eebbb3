"""Real tools the artefact tests run: find them, or skip locally and fail in CI.

.ci/run installs every tool these tests need and sets APIM_WIZARD_CI=1, so there a missing
tool is a failure, never a silent skip.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

IN_CI = os.environ.get("APIM_WIZARD_CI") == "1"


def require(name: str, *extra_dirs: str) -> str:
    """Path of executable ``name`` (PATH first, then ``extra_dirs`` globs)."""
    found = shutil.which(name)
    if found is None:
        for pattern in extra_dirs:
            for folder in sorted(glob.glob(pattern), reverse=True):
                candidate = Path(folder) / name
                if candidate.is_file() and os.access(candidate, os.X_OK):
                    found = str(candidate)
                    break
            if found:
                break
    if found is None:
        message = f"{name} is not installed (.ci/run installs it)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(cmd: list[str] | str, **kwargs) -> subprocess.CompletedProcess:
    """Run and capture text; never raises on a non-zero exit (tests assert on it)."""
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("text", True)
    kwargs.setdefault("timeout", 120)
    return subprocess.run(cmd, check=False, **kwargs)


def as_user(user: str) -> list[str]:
    """Command prefix that runs as ``user`` when we are root (servers refuse to run as root)."""
    if os.geteuid() != 0:
        return []
    runuser = require("runuser")
    try:
        import pwd

        pwd.getpwnam(user)
    except KeyError:
        message = f"system user {user} is missing (the Debian server package creates it)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return [runuser, "-u", user, "--"]
