"""Carry out a plan so that no moment of it can lose or half-write a file.

One apply is a small transaction on the output folder:

1. take ``.apim-wizard/lock`` (one apply at a time) and settle an apply that was killed
   (:func:`recover`, below);
2. write the journal: every path about to change and the hash it will have;
3. write every new version to a temporary name next to its target and fsync it, and copy
   each file about to be overwritten or removed that is not reproducible into the backups;
4. rename the temporary files over their targets (each rename is atomic), fsync folders;
5. remove obsolete files;
6. write the manifest, then delete the journal.

A SIGKILL at any moment leaves each file either its old or its new version.  Before it
does anything else, the next apply settles the interrupted one (:func:`recover`): renames
start only once every new version is complete on disk, so either every journaled file is
in place or has a complete temporary file, and the interrupted apply is completed (its
keys and certificates included, which could not be made again identically), or none was
renamed yet, and its temporary files are removed.  Either way the folder is then one
consistent output.  File and folder modes are set explicitly, whatever the umask.

``APIM_WIZARD_TEST_CRASH_AFTER=N`` (a test hook) makes the process SIGKILL itself after
its N-th file operation, so tests can stop a real apply at every point.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .plan import (
    BACKUPS,
    JOURNAL,
    LOCK,
    MANIFEST,
    PUBLIC_DIR_MODE,
    SECRET_DIR_MODE,
    SECRET_MODE,
    STATE_DIR,
    TEMP_SUFFIX,
    Action,
    Obsolete,
    OutputDirError,
    Plan,
    PlanEntry,
    backup_path,
    find_leftovers,
    folder_generation,
    is_wizard_folder,
    read_journal,
    read_manifest,
    secret_dirs,
    sha256,
)

CRASH_ENV = "APIM_WIZARD_TEST_CRASH_AFTER"


class PlanConflict(Exception):
    """Files edited by hand (or not the wizard's) would be overwritten; nothing was written."""

    def __init__(self, entries: list[PlanEntry]):
        self.entries = entries
        paths = ", ".join(e.file.path for e in entries)
        super().__init__(f"would overwrite files edited by hand or not written by apim-wizard: {paths}")


@dataclass
class Recovery:
    """What :func:`recover` did about an interrupted apply."""

    completed: bool = False  # its renames had begun: every journaled file is now in place
    renamed: list[str] = field(default_factory=list)  # put in place from temporary files here
    removed_temps: int = 0

    def describe(self) -> str:
        if self.completed:
            return f"completed an interrupted apply: {len(self.renamed)} more file(s) put in place"
        return f"undid an interrupted apply that had changed nothing: {self.removed_temps} temporary file(s) removed"


@dataclass
class ApplyResult:
    written: list[PlanEntry] = field(default_factory=list)
    backups: dict[str, str] = field(default_factory=dict)  # path -> backup path
    removed: list[str] = field(default_factory=list)
    recovery: Recovery | None = None  # an interrupted apply settled first


class _Checkpoints:
    """Counts file operations; the test hook kills the process after the N-th."""

    def __init__(self) -> None:
        value = os.environ.get(CRASH_ENV, "").strip()
        self.left = int(value) if value.isdigit() else None

    def step(self) -> None:
        if self.left is None:
            return
        self.left -= 1
        if self.left <= 0:
            os.kill(os.getpid(), signal.SIGKILL)


def temp_path(target: Path) -> Path:
    return target.with_name(f".{target.name}{TEMP_SUFFIX}")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_fsynced(path: Path, content: bytes, mode: int, checkpoints: _Checkpoints | None = None) -> None:
    """Write ``path`` from scratch with ``mode`` (never readable by others before the chmod)."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, SECRET_MODE)
    try:
        os.fchmod(fd, mode)  # independent of the umask
        view = memoryview(content)
        half = len(view) // 2
        _write_all(fd, view[:half])
        if checkpoints:
            checkpoints.step()  # a kill here leaves a half-written temporary file
        _write_all(fd, view[half:])
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_all(fd: int, view: memoryview) -> None:
    while view:
        view = view[os.write(fd, view):]


def write_atomic(target: Path, content: bytes, mode: int) -> None:
    """Write one file so that a crash leaves the old or the new version."""
    tmp = temp_path(target)
    try:
        _write_fsynced(tmp, content, mode)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, target)


def ensure_dir(root: Path, relative: PurePosixPath, secret: bool) -> None:
    """Create the folders of ``relative`` under ``root``; folders on the way to a secret
    file are 0700 (tightened if they exist), others 0755 when created."""
    current = root
    for part in relative.parts:
        current = current / part
        if not current.exists():
            os.mkdir(current)
            os.chmod(current, SECRET_DIR_MODE if secret else PUBLIC_DIR_MODE)
        elif secret and current.stat().st_mode & 0o077:
            os.chmod(current, SECRET_DIR_MODE)


@contextmanager
def _locked(out_dir: Path) -> Iterator[None]:
    fd = os.open(out_dir / LOCK, os.O_RDWR | os.O_CREAT, SECRET_MODE)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputDirError(f"{out_dir}: another apim-wizard apply is writing this folder; wait for it to finish") from None
        yield
    finally:
        os.close(fd)  # releases the lock, also when the process is killed


def _state_dir(out_dir: Path) -> None:
    if not out_dir.exists():
        out_dir.mkdir(parents=True)
        # Created here: it holds answers and secrets, so it is private.
        os.chmod(out_dir, SECRET_DIR_MODE)
    ensure_dir(out_dir, PurePosixPath(STATE_DIR), secret=True)


def _check_unchanged_since_plan(plan: Plan) -> None:
    for entry in plan.entries:
        if entry.action in (Action.NONE, Action.KEEP, Action.INPUT):
            continue
        target = plan.out_dir / entry.file.path
        try:
            digest = sha256(target.read_bytes())
        except FileNotFoundError:
            digest = None
        if digest != entry.current_digest:
            raise OutputDirError(f"{target}: changed while the plan was made; run apply again")


def _digest_of(path: Path) -> str | None:
    try:
        return sha256(path.read_bytes())
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None


def check_not_busy(out_dir: Path) -> None:
    """Raise OutputDirError when another apply holds the folder's lock (it is writing), so
    its journal and temporary files are not taken for an interrupted apply."""
    if not (out_dir / LOCK).exists():
        return
    with _locked(out_dir):
        pass


def recover(out_dir: Path) -> Recovery | None:
    """Settle an apply that was killed (see the module docstring).  None: nothing to do."""
    if not is_wizard_folder(out_dir) or (read_journal(out_dir) is None and not find_leftovers(out_dir)):
        return None
    with _locked(out_dir):
        return _recover_locked(out_dir)


def _recover_locked(out_dir: Path) -> Recovery | None:
    journal = read_journal(out_dir)
    recovery = Recovery()
    if journal is not None:
        ready: dict[str, Path] | None = {}
        for path, value in journal["files"].items():
            target = out_dir / path
            if _digest_of(target) == value["sha256"]:
                continue  # renamed before the kill
            if _digest_of(temp_path(target)) == value["sha256"]:
                ready[path] = temp_path(target)
            else:
                ready = None  # killed before the renames began: nothing of it is in place
                break
        if ready is not None:
            recovery.completed = True
            for path, tmp in sorted(ready.items()):
                os.replace(tmp, out_dir / path)
                recovery.renamed.append(path)
            _fsync_all({(out_dir / p).parent for p in ready})
            manifest = read_manifest(out_dir) or {"generator": "apim-wizard", "files": {}}
            manifest["files"].update(journal["files"])
            manifest["files"] = dict(sorted(manifest["files"].items()))
            write_atomic(out_dir / MANIFEST, _json(manifest), SECRET_MODE)
        (out_dir / JOURNAL).unlink()
        _fsync_dir(out_dir / STATE_DIR)
    for leftover in find_leftovers(out_dir):
        (out_dir / leftover).unlink(missing_ok=True)
        recovery.removed_temps += 1
    if journal is None and not recovery.removed_temps:
        return None
    return recovery


def apply_plan(plan: Plan) -> ApplyResult:
    """Carry out ``plan``.  Raises PlanConflict (nothing written) when it has conflicts."""
    if plan.conflicts:
        raise PlanConflict(plan.conflicts)
    out_dir = plan.out_dir
    result = ApplyResult()
    manifest_text = json.dumps(plan.new_manifest(), indent=2, sort_keys=True) + "\n"
    if not plan.has_changes and plan.manifest is not None and plan.manifest == json.loads(manifest_text):
        return result  # same answers, same output: touch nothing

    _state_dir(out_dir)
    with _locked(out_dir):
        checkpoints = _Checkpoints()
        recovery = _recover_locked(out_dir)  # the CLI recovers before building; other callers may not
        result.recovery = recovery
        if folder_generation(out_dir) != plan.based_on:
            # Another apply wrote the folder after this one's build read it (its CA, keys,
            # secrets): writing now would replace that apply's CA and passwords.
            raise OutputDirError(f"{out_dir}: another apply wrote this folder while this one was being built; "
                                 "nothing was written; run apply again")
        _check_unchanged_since_plan(plan)
        writes = [e for e in plan.entries if e.writes_content]
        journal = {"generator": "apim-wizard", "files": {
            e.file.path: {"sha256": e.file.digest, "mode": f"{e.file.mode:04o}"} for e in writes}}
        write_atomic(out_dir / JOURNAL, _json(journal), SECRET_MODE)
        _fsync_dir(out_dir / STATE_DIR)
        checkpoints.step()

        private = secret_dirs([e.file for e in plan.entries])
        for folder in plan.loose_dirs:
            os.chmod(out_dir / folder, SECRET_DIR_MODE)
        touched: set[Path] = set()
        try:
            for entry in writes:
                relative = PurePosixPath(entry.file.path)
                ensure_dir(out_dir, relative.parent, relative.parent in private)
                target = out_dir / relative
                if entry.backs_up:
                    result.backups[entry.file.path] = _backup(out_dir, entry.file.path, target.read_bytes(), touched)
                    checkpoints.step()
                _write_fsynced(temp_path(target), entry.file.content, entry.file.mode, checkpoints)
                touched.add(target.parent)
                checkpoints.step()
        except OSError:
            # Nothing is in place yet (a full disk, a folder made read-only): undo the
            # temporary files and the journal, so the folder is as it was and the next apply
            # finds no "interrupted" one.  Backups made meanwhile stay.
            for entry in writes:
                try:
                    temp_path(out_dir / entry.file.path).unlink()
                except OSError:
                    pass
            try:
                (out_dir / JOURNAL).unlink()
            except OSError:
                pass
            raise
        _fsync_all(touched)

        for entry in writes:
            target = out_dir / entry.file.path
            os.replace(temp_path(target), target)
            result.written.append(entry)
            checkpoints.step()
        for entry in plan.with_action(Action.CHMOD):
            os.chmod(out_dir / entry.file.path, entry.file.mode)
            result.written.append(entry)
            checkpoints.step()
        _fsync_all(touched)

        for obsolete in plan.removals:
            target = out_dir / obsolete.path
            if not target.exists():
                continue
            if obsolete.secret or obsolete.action is Obsolete.DISCARD:
                # Keys and passwords cannot be made again, and an edit is the operator's
                # work: keep them in the backups rather than delete them.
                result.backups[obsolete.path] = _backup(out_dir, obsolete.path, target.read_bytes(), touched)
            target.unlink()
            result.removed.append(obsolete.path)
            touched.add(target.parent)
            checkpoints.step()
        for obsolete in plan.obsolete:
            if obsolete.action is not Obsolete.LEAVE:
                _prune_empty_dirs(out_dir, (out_dir / obsolete.path).parent)
        _fsync_all({d for d in touched if d.exists()})

        write_atomic(out_dir / MANIFEST, manifest_text.encode(), SECRET_MODE)
        checkpoints.step()
        (out_dir / JOURNAL).unlink()
        _fsync_dir(out_dir / STATE_DIR)
        checkpoints.step()
    return result


def _json(data: dict) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=True) + "\n").encode()


def _backup(out_dir: Path, path: str, content: bytes, touched: set[Path]) -> str:
    relative = backup_path(path, sha256(content))
    target = out_dir / relative
    if not target.exists():
        ensure_dir(out_dir, PurePosixPath(relative).parent, secret=True)
        write_atomic(target, content, SECRET_MODE)  # backups may hold secrets: always private
        touched.add(target.parent)
    return relative


def _fsync_all(folders: set[Path]) -> None:
    for folder in sorted(folders):
        _fsync_dir(folder)


def _prune_empty_dirs(out_dir: Path, folder: Path) -> None:
    """Remove folders an obsolete file leaves empty, up to (not including) the output folder."""
    while folder != out_dir and out_dir in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


__all__ = ["BACKUPS", "CRASH_ENV", "ApplyResult", "PlanConflict", "Recovery", "apply_plan", "check_not_busy",
           "ensure_dir", "recover", "write_atomic"]
