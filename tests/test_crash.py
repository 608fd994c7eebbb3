"""SIGKILL at every file operation of a real apply.

After each kill: every file is its old version or the new version the killed apply meant
to write (the journal names it), never torn.  The same command run again settles the
interrupted apply as a whole (completed, keys and certificates included, when its renames
had begun; undone when not), then finishes: the output is what an uninterrupted apply
writes (byte for byte where no key is generated), consistent with its manifest, and a
further run reports no changes.

The CLI runs as a subprocess (the installed ``apim-wizard`` program); the test hook
``APIM_WIZARD_TEST_CRASH_AFTER=N`` makes it SIGKILL itself after its N-th file operation.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from wizard.plan import JOURNAL, MANIFEST, STATE_DIR, TEMP_SUFFIX
from wizard.writer import CRASH_ENV, temp_path

EXE = shutil.which("apim-wizard") or str(Path(sys.executable).parent / "apim-wizard")
CP1 = "cp-1/repository/conf/deployment.toml"
KEY_SUFFIXES = (".p12", ".jks", ".pfx", ".key", ".crt", ".pem")


def cli(*argv, crash_after: int | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != CRASH_ENV}
    if crash_after is not None:
        env[CRASH_ENV] = str(crash_after)
    return subprocess.run([EXE, *map(str, argv)], capture_output=True, text=True, env=env, timeout=120)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def files(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file the operator uses (not the wizard's state), with its mode."""
    if not folder.exists():
        return {}
    return {
        p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mode & 0o777)
        for p in folder.rglob("*")
        if p.is_file() and not p.relative_to(folder).as_posix().startswith(STATE_DIR + "/")
    }


def generated_keys(path: str) -> bool:
    """Files whose bytes depend on freshly generated keys (not comparable across runs)."""
    return path.endswith(KEY_SUFFIXES) or path.startswith(("ca/", "lb/"))


def second_answers(first: Path, target: Path) -> Path:
    """A new admin password (the control plane changes) and gw-1 renamed gw-2 (one node's
    files become obsolete, another's are new, with a new key)."""
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
        # changed, new and obsolete files, a new node key, --force over a hand edit (backup first)
        "update": (edited, ["--answers", answers_b, "--force"]),
    }, root


def _journal(work: Path) -> dict | None:
    try:
        return json.loads((work / JOURNAL).read_text())["files"]
    except FileNotFoundError:
        return None


def _check_old_or_new(work: Path, n: int, old: dict) -> dict[str, bytes] | None:
    """Assert no file is torn; return what a completion must put in place (None: undo)."""
    on_disk = files(work)
    journal = _journal(work)
    if journal is None:
        manifest = json.loads((work / MANIFEST).read_text())["files"] if (work / MANIFEST).exists() else {}
        untouched = {p: v[0] for p, v in on_disk.items() if not p.endswith(TEMP_SUFFIX)} == \
            {p: v[0] for p, v in old.items()}
        finished = all(sha(on_disk[p][0]) == v["sha256"] for p, v in manifest.items() if p in on_disk)
        assert untouched or finished, f"crash after {n}: neither the old output nor a finished apply"
        return None
    for path, (content, _) in on_disk.items():
        if path.endswith(TEMP_SUFFIX):
            continue
        allowed = {sha(old[path][0])} if path in old else set()
        if path in journal:
            allowed.add(journal[path]["sha256"])
        assert sha(content) in allowed, f"crash after {n}: {path} is neither its old nor its new version"
    pending: dict[str, bytes] = {}
    for path, value in journal.items():
        for candidate in (work / path, temp_path(work / path)):
            if candidate.exists() and sha(candidate.read_bytes()) == value["sha256"]:
                pending[path] = candidate.read_bytes()
                break
        else:
            return None  # killed before its renames: the next run undoes it
    return pending


def _crash_and_recover(start: Path | None, args: list, work: Path, n: int, old: dict, reference: dict) -> str:
    if start is not None:
        shutil.copytree(start, work, symlinks=True)
    result = cli("apply", *args, "--out", work, crash_after=n)
    if result.returncode == 0:
        return "completed"
    assert result.returncode == -signal.SIGKILL, (n, result.returncode, result.stderr)
    pending = _check_old_or_new(work, n, old)

    again = cli("apply", *args, "--out", work)  # the same command, run again
    assert again.returncode == 0, (n, again.stdout, again.stderr)
    if pending:
        assert "completed an interrupted apply" in again.stdout, (n, again.stdout)
    after = files(work)
    assert not (work / JOURNAL).exists() and not any(p.endswith(TEMP_SUFFIX) for p in after)
    assert {p: m for p, (_, m) in after.items()} == {p: m for p, (_, m) in reference.items()}, n
    for path, (content, _) in after.items():
        if not generated_keys(path):
            assert content == reference[path][0], f"crash after {n}: {path} differs from an uninterrupted apply"
    for path, content in (pending or {}).items():
        if path in after:  # what the killed apply made (keys too) is what the output keeps
            assert after[path][0] == content, f"crash after {n}: {path} was made again instead of completed"
    manifest = json.loads((work / MANIFEST).read_text())["files"]
    assert {p: sha(c) for p, (c, _) in after.items() if not p.startswith(STATE_DIR + "/backups/")} == \
        {p: v["sha256"] for p, v in manifest.items() if not p.startswith(STATE_DIR + "/")}
    if n % 4 == 0:  # the keys and certificates left are consistent: nothing to reissue
        final = cli("apply", *args, "--out", work)
        assert final.returncode == 0 and "no changes" in final.stdout, (n, final.stdout)
    return "killed" if pending is None else "completed-by-recovery"


@pytest.mark.parametrize("name", ["fresh", "update"])
def test_sigkill_at_every_file_operation(scenarios, name):
    table, root = scenarios
    start, args = table[name]
    reference_dir = root / f"{name}-reference"
    if start is not None:
        shutil.copytree(start, reference_dir, symlinks=True)
    assert cli("apply", *args, "--out", reference_dir).returncode == 0
    assert "no changes" in cli("apply", *args, "--out", reference_dir).stdout
    old = files(start) if start is not None else {}
    reference = files(reference_dir)

    def attempt(n: int) -> str:
        return _crash_and_recover(start, args, root / f"{name}-{n}", n, old, reference)

    # Every operation up to 6 (journal, first temporary files, backup), then every 5th up to
    # the end of the apply, then the last three (renames, removals, manifest, journal removal).
    outcomes: dict[int, str] = {}
    with ThreadPoolExecutor(max_workers=2) as pool:
        def run(points):
            outcomes.update(zip(points, pool.map(attempt, points)))

        run(range(1, 7))
        n = 7
        while "completed" not in outcomes.values():
            run(range(n, n + 10, 5))
            n += 10
            assert n < 500, "the apply never completed"
        end = min(p for p, o in outcomes.items() if o == "completed")
        run([p for p in range(end - 3, end) if p not in outcomes])
    end = min(p for p, o in outcomes.items() if o == "completed")
    kills = [o for p, o in sorted(outcomes.items()) if p < end]
    assert end > 20, f"the apply ended after {end - 1} operations: the hook is not reached"
    assert len(kills) >= 10 and set(kills) == {"killed", "completed-by-recovery"}, kills


def test_dry_run_on_an_interrupted_folder_reports_it_and_changes_nothing(scenarios, tmp_path):
    _, root = scenarios
    work = tmp_path / "out"
    shutil.copytree(root / "edited", work, symlinks=True)
    args = ["--answers", root / "b.toml", "--force"]
    assert cli("apply", *args, "--out", work, crash_after=3).returncode == -signal.SIGKILL
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in work.rglob("*") if p.is_file()}
    dry = cli("apply", *args, "--out", work, "--dry-run")
    assert dry.returncode == 0 and "an earlier apply was interrupted" in dry.stdout
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in work.rglob("*") if p.is_file()} == before
    done = cli("apply", *args, "--out", work)
    assert done.returncode == 0 and "undid an interrupted apply that had changed nothing" in done.stdout
