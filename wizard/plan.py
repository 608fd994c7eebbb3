"""The file plan: what to write, how it compares with the disk, and writing it safely.

Every write of the wizard goes through here.  Files are written to a temporary name in
the target folder, fsynced and renamed, so each file is always either its old or its new
version; modes are set explicitly (secrets 0600 in 0700 folders) whatever the umask.  The
manifest (written last) records what the wizard generated, so a later run can tell its
own files from the operator's.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path, PurePosixPath

MANIFEST = ".apim-wizard/manifest.json"

SECRET_MODE = 0o600
PUBLIC_MODE = 0o644
EXECUTABLE_MODE = 0o755
SECRET_DIR_MODE = 0o700
PUBLIC_DIR_MODE = 0o755


@dataclass(frozen=True)
class PlannedFile:
    path: str  # relative POSIX path inside the output folder
    content: bytes
    mode: int = PUBLIC_MODE

    def __post_init__(self):
        parts = PurePosixPath(self.path).parts
        if not parts or PurePosixPath(self.path).is_absolute() or ".." in parts:
            raise ValueError(f"planned path {self.path!r} must stay inside the output folder")

    @property
    def secret(self) -> bool:
        return not self.mode & 0o077

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


class Status(str, Enum):
    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class PlanEntry:
    file: PlannedFile
    status: Status
    mode_only: bool = False  # content equal, mode differs


@dataclass
class Plan:
    out_dir: Path
    entries: list[PlanEntry] = field(default_factory=list)
    obsolete: list[str] = field(default_factory=list)  # generated before, not any more

    def count(self, status: Status) -> int:
        return sum(1 for e in self.entries if e.status is status)

    @property
    def writes(self) -> list[PlanEntry]:
        return [e for e in self.entries if e.status is not Status.UNCHANGED or e.mode_only]

    def summary(self) -> str:
        parts = [f"{self.count(s)} {s.value}" for s in Status if self.count(s)]
        if self.obsolete:
            parts.append(f"{len(self.obsolete)} no longer generated (left in place)")
        return ", ".join(parts) or "nothing to write"


class OutputDirError(Exception):
    """The output folder cannot be used (foreign content, not a folder, ...)."""


def read_manifest(out_dir: Path) -> dict | None:
    path = out_dir / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise OutputDirError(f"{path}: cannot read the wizard's manifest: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
        raise OutputDirError(f"{path}: not a manifest written by apim-wizard")
    return data


def check_output_dir(out_dir: Path, force: bool = False) -> None:
    """Refuse a non-empty folder the wizard did not create, unless forced."""
    for folder in (out_dir, *out_dir.parents):
        if folder.exists():
            if not folder.is_dir():
                raise OutputDirError(f"{folder}: exists and is not a folder, so {out_dir} cannot be written")
            break
    if not out_dir.exists() or force:
        return
    if read_manifest(out_dir) is None and any(out_dir.iterdir()):
        raise OutputDirError(
            f"{out_dir}: is not empty and was not written by apim-wizard (no {MANIFEST}); "
            "choose an empty or new folder, or pass --force to write into it anyway"
        )


def make_plan(out_dir: Path, files: list[PlannedFile]) -> Plan:
    seen: set[str] = set()
    plan = Plan(out_dir)
    for planned in files:
        if planned.path in seen:
            raise ValueError(f"two planned files share the path {planned.path}")
        seen.add(planned.path)
        target = out_dir / planned.path
        try:
            current = target.read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            plan.entries.append(PlanEntry(planned, Status.NEW))
            continue
        except IsADirectoryError:
            raise OutputDirError(f"{target}: is a folder where the wizard writes a file") from None
        if current != planned.content:
            plan.entries.append(PlanEntry(planned, Status.CHANGED))
        else:
            mode_only = (target.stat().st_mode & 0o777) != planned.mode
            plan.entries.append(PlanEntry(planned, Status.UNCHANGED, mode_only))
    manifest = read_manifest(out_dir) if out_dir.exists() else None
    if manifest:
        plan.obsolete = sorted(set(manifest["files"]) - seen)
    return plan


def _ensure_dir(root: Path, relative: PurePosixPath, secret: bool) -> None:
    current = root
    for part in relative.parts:
        current = current / part
        if not current.exists():
            os.mkdir(current)
            os.chmod(current, SECRET_DIR_MODE if secret else PUBLIC_DIR_MODE)
        elif secret and current != root and current.stat().st_mode & 0o077:
            os.chmod(current, SECRET_DIR_MODE)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(target: Path, content: bytes, mode: int) -> None:
    """Write ``content`` to ``target`` so that a crash leaves the old or the new file."""
    tmp = target.with_name(f".{target.name}.apim-wizard-{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, mode)  # independent of the umask
        view = memoryview(content)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    os.close(fd)
    os.replace(tmp, target)


def apply_plan(plan: Plan) -> list[PlanEntry]:
    """Write what the plan says changed, then the manifest.  Returns the entries written."""
    out_dir = plan.out_dir
    if not out_dir.exists():
        out_dir.mkdir(parents=True)
        os.chmod(out_dir, PUBLIC_DIR_MODE)
    secret_dirs = {PurePosixPath(e.file.path).parent for e in plan.entries if e.file.secret}
    touched_dirs: set[Path] = set()
    written = []
    for entry in plan.entries:
        relative = PurePosixPath(entry.file.path)
        parent = relative.parent
        _ensure_dir(out_dir, parent, any(d == parent or parent in d.parents for d in secret_dirs))
        target = out_dir / relative
        if entry.status is Status.UNCHANGED:
            if entry.mode_only:
                os.chmod(target, entry.file.mode)
                written.append(entry)
            continue
        write_atomic(target, entry.file.content, entry.file.mode)
        touched_dirs.add(target.parent)
        written.append(entry)
    for directory in touched_dirs:
        _fsync_dir(directory)
    _write_manifest(plan)
    return written


def _write_manifest(plan: Plan) -> None:
    manifest = {
        "generator": "apim-wizard",
        "files": {
            e.file.path: {"sha256": e.file.digest, "mode": f"{e.file.mode:04o}"}
            for e in sorted(plan.entries, key=lambda e: e.file.path)
        },
    }
    target = plan.out_dir / MANIFEST
    _ensure_dir(plan.out_dir, PurePosixPath(MANIFEST).parent, secret=False)
    write_atomic(target, (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode(), PUBLIC_MODE)
    _fsync_dir(target.parent)
