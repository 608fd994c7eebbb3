"""SIGKILL at every file operation of a real apply: every file is old or new, never torn,
and the next apply completes the job to exactly what an uninterrupted apply writes.

The CLI runs as a subprocess (the installed ``apim-wizard`` program); the test hook
``APIM_WIZARD_TEST_CRASH_AFTER=N`` makes it SIGKILL itself after its N-th file operation.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from wizard.plan import STATE_DIR, TEMP_SUFFIX
from wizard.writer import CRASH_ENV

EXE = shutil.which("apim-wizard") or str(Path(sys.executable).parent / "apim-wizard")
CP1 = "cp-1/repository/conf/deployment.toml"


def cli(*argv, crash_after: int | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != CRASH_ENV}
    if crash_after is not None:
        env[CRASH_ENV] = str(crash_after)
    return subprocess.run([EXE, *map(str, argv)], capture_output=True, text=True, env=env, timeout=120)


def files(folder: Path, state: bool = True) -> dict[str, tuple[bytes, int]]:
    if not folder.exists():
        return {}
    out = {}
    for path in folder.rglob("*"):
        relative = path.relative_to(folder).as_posix()
        if path.is_file() and (state or not relative.startswith(STATE_DIR + "/")):
            out[relative] = (path.read_bytes(), path.stat().st_mode & 0o777)
    return out


def dirs(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): p.stat().st_mode & 0o777 for p in folder.rglob("*") if p.is_dir()}


def second_answers(first: Path, target: Path) -> Path:
    """A new admin password (the control plane changes) and gw-1 renamed gw-2 (one node's
    files become obsolete, another's are new)."""
    text = first.read_text()
    start = text.index("[super_admin]")
    line = text.index("password", start)
    text = text[:line] + 'password = "Changed-Admin-Pass-1"' + text[text.index("\n", line):]
    assert 'name = "gw-1"' in text
    target.write_text(text.replace('name = "gw-1"', 'name = "gw-2"'))
    return target


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory):
    # The single topology keeps the number of crash points (and subprocesses) small while
    # still covering every kind of operation.
    root = tmp_path_factory.mktemp("crash")
    old = root / "old"
    assert cli("apply", "--preset", "single", "--out", old).returncode == 0
    answers_b = second_answers(old / "answers.toml", root / "b.toml")
    edited = root / "edited"
    shutil.copytree(old, edited, symlinks=True)
    (edited / CP1).write_bytes((edited / CP1).read_bytes() + b"# hand edit\n")
    return {
        # a fresh apply into a new folder (generated secrets taken from the first run)
        "fresh": (None, ["--preset", "single", "--secrets", old / "secrets.toml"]),
        # changed, new and obsolete files, and --force over a hand edit (backup first)
        "update": (edited, ["--answers", answers_b, "--force"]),
    }, root


def _reference(start: Path | None, args: list, target: Path) -> Path:
    if start is not None:
        shutil.copytree(start, target, symlinks=True)
    result = cli("apply", *args, "--out", target)
    assert result.returncode == 0, result.stderr
    return target


def _crash_and_recover(start: Path | None, args: list, work: Path, n: int, old: dict, new: dict, reference: Path):
    if start is not None:
        shutil.copytree(start, work, symlinks=True)
    result = cli("apply", *args, "--out", work, crash_after=n)
    if result.returncode == 0:
        return "completed"
    assert result.returncode == -signal.SIGKILL, (n, result.returncode, result.stderr)

    # Every file the operator uses is its old or its new version; none is torn.
    on_disk = files(work, state=False)
    for path, (content, mode) in on_disk.items():
        if path.endswith(TEMP_SUFFIX):
            continue
        versions = [v for v in (old.get(path), new.get(path)) if v is not None]
        assert versions, f"crash after {n}: unexpected file {path}"
        assert content in [v[0] for v in versions], f"crash after {n}: {path} is neither old nor new"
    for path in set(old) & set(new):
        assert path in on_disk, f"crash after {n}: {path} vanished"

    # The next apply completes the job: exactly the uninterrupted result.
    again = cli("apply", *args, "--out", work)  # the same command, run again
    assert again.returncode == 0, (n, again.stdout, again.stderr)
    assert files(work) == files(reference), f"crash after {n}: recovery differs from an uninterrupted apply"
    assert dirs(work) == dirs(reference)
    assert not any(p.endswith(TEMP_SUFFIX) for p in files(work))
    return "killed"


@pytest.mark.parametrize("name", ["fresh", "update"])
def test_sigkill_at_every_file_operation(scenarios, name):
    table, root = scenarios
    start, args = table[name]
    reference = _reference(start, args, root / f"{name}-reference")
    assert "no changes" in cli("apply", *args, "--out", reference).stdout
    old = files(start, state=False) if start is not None else {}
    new = files(reference, state=False)

    def attempt(n: int) -> str:
        return _crash_and_recover(start, args, root / f"{name}-{n}", n, old, new, reference)

    outcomes: list[str] = []
    n, batch = 1, 4
    with ThreadPoolExecutor(max_workers=2) as pool:
        while "completed" not in outcomes:
            outcomes += list(pool.map(attempt, range(n, n + batch)))
            n += batch
            assert n < 500, "the apply never completed"
    killed = outcomes.index("completed")
    # Each scenario has journal, temp files (half and whole), renames, manifest, journal removal.
    assert killed >= 8, f"only {killed} crash points: the hook is not reached"
    assert all(o == "killed" for o in outcomes[:killed])
