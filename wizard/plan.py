"""The file plan: what to write, and how each file compares with what is on disk.

Every write of the wizard goes through a plan; :mod:`wizard.writer` carries it out.  The
output folder keeps the wizard's state in ``.apim-wizard/``: a manifest (the hash and mode
of every file the wizard last wrote) and, while an apply runs, a journal (the hashes it is
about to put in place).  With them a later run tells apart

- files the wizard wrote and nobody touched since (safe to replace),
- files edited by hand since the wizard wrote them (never replaced without ``--force``),
- files that exist but were never written by the wizard (likewise),

and it recognises the files of an apply that was interrupted, so the next run completes it.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path, PurePosixPath

STATE_DIR = ".apim-wizard"
MANIFEST = f"{STATE_DIR}/manifest.json"
JOURNAL = f"{STATE_DIR}/journal.json"  # present only while an apply runs (or was killed)
LOCK = f"{STATE_DIR}/lock"
BACKUPS = f"{STATE_DIR}/backups"
TEMP_SUFFIX = ".apim-wizard.tmp"  # ".<name>.apim-wizard.tmp" next to the file it becomes

SECRET_MODE = 0o600
PUBLIC_MODE = 0o644
EXECUTABLE_MODE = 0o755
SECRET_DIR_MODE = 0o700
PUBLIC_DIR_MODE = 0o755


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


@dataclass(frozen=True)
class PlannedFile:
    path: str  # relative POSIX path inside the output folder
    content: bytes
    mode: int = PUBLIC_MODE

    def __post_init__(self):
        parts = PurePosixPath(self.path).parts
        if not parts or PurePosixPath(self.path).is_absolute() or ".." in parts:
            raise ValueError(f"planned path {self.path!r} must stay inside the output folder")
        if self.path in (MANIFEST, JOURNAL, LOCK) or self.path.startswith(BACKUPS + "/") or self.path.endswith(TEMP_SUFFIX):
            raise ValueError(f"planned path {self.path!r} is reserved for the wizard's own state")

    @property
    def secret(self) -> bool:
        return not self.mode & 0o077

    @property
    def digest(self) -> str:
        return sha256(self.content)


# Key material: a key that is replaced cannot be made again, so the old file is backed up.
KEY_MATERIAL_SUFFIXES = (".p12", ".jks", ".pfx", ".key")


def is_key_material(path: str) -> bool:
    return path.endswith(KEY_MATERIAL_SUFFIXES)


class Status(str, Enum):
    """How a planned file compares with the disk."""

    NEW = "new"
    UNCHANGED = "unchanged"
    CHANGED = "changed"
    EDITED = "edited"  # edited by hand since the wizard wrote it
    UNKNOWN = "unknown"  # exists, but the wizard never wrote it


class Action(str, Enum):
    """What the apply does with a planned file."""

    NONE = "none"  # already as planned
    CHMOD = "chmod"  # content as planned, mode is not
    WRITE = "write"  # new, or changed and untouched since the wizard wrote it
    REPLACE = "replace"  # edited by hand or foreign, --force: keep a backup, then write
    KEEP = "keep"  # edited by hand and the answers do not change it: the edit stays
    CONFLICT = "conflict"  # edited by hand or foreign, the answers change it: refuse without --force
    INPUT = "input"  # read as this run's input (answers.toml): left as the operator wrote it


STATUS_TEXT = {
    Status.NEW: "new",
    Status.UNCHANGED: "unchanged",
    Status.CHANGED: "changed",
    Status.EDITED: "edited by hand since apim-wizard wrote it",
    Status.UNKNOWN: "exists but was not written by apim-wizard",
}


@dataclass(frozen=True)
class PlanEntry:
    file: PlannedFile
    status: Status
    action: Action
    current_digest: str | None = None  # of the file on disk, when there is one

    @property
    def mode_only(self) -> bool:
        return self.action is Action.CHMOD

    @property
    def backs_up(self) -> bool:
        """The file on disk is copied to the backups before it is replaced: edited by hand
        (--force), or key material, which cannot be made again."""
        return self.action is Action.REPLACE or (self.status is Status.CHANGED and is_key_material(self.file.path))

    @property
    def writes_content(self) -> bool:
        return self.action in (Action.WRITE, Action.REPLACE)

    @property
    def recorded_digest(self) -> str:
        """What the manifest records after this apply: the content the wizard stands behind."""
        if self.action is Action.INPUT and self.current_digest is not None:
            return self.current_digest
        return self.file.digest


class Obsolete(str, Enum):
    """A file the wizard wrote before and no longer generates."""

    REMOVE = "remove"  # untouched since written: removed (secret files go to the backups)
    LEAVE = "leave"  # edited by hand: left in place and no longer tracked
    DISCARD = "discard"  # edited by hand, --force: backed up, then removed
    GONE = "gone"  # already deleted: only forgotten


@dataclass(frozen=True)
class ObsoleteEntry:
    path: str
    action: Obsolete
    secret: bool = False
    current_digest: str | None = None


@dataclass
class Plan:
    out_dir: Path
    entries: list[PlanEntry] = field(default_factory=list)
    obsolete: list[ObsoleteEntry] = field(default_factory=list)
    force: bool = False
    interrupted: bool = False  # an earlier apply was killed before it finished
    leftovers: list[str] = field(default_factory=list)  # its temporary files
    loose_dirs: list[str] = field(default_factory=list)  # folders of secret files others can enter
    manifest: dict | None = None  # as read
    # folder_generation() when the build began: apply refuses if another apply wrote since.
    based_on: str | None = None

    def count(self, status: Status) -> int:
        return sum(1 for e in self.entries if e.status is status)

    def with_action(self, *actions: Action) -> list[PlanEntry]:
        return [e for e in self.entries if e.action in actions]

    @property
    def writes(self) -> list[PlanEntry]:
        return self.with_action(Action.WRITE, Action.REPLACE, Action.CHMOD)

    @property
    def conflicts(self) -> list[PlanEntry]:
        return self.with_action(Action.CONFLICT)

    @property
    def removals(self) -> list[ObsoleteEntry]:
        return [o for o in self.obsolete if o.action in (Obsolete.REMOVE, Obsolete.DISCARD)]

    @property
    def has_changes(self) -> bool:
        """Anything for an apply to do besides recording the manifest."""
        return bool(self.writes or self.removals or self.leftovers or self.interrupted or self.loose_dirs)

    def new_manifest(self) -> dict:
        files = {
            e.file.path: {"sha256": e.recorded_digest, "mode": f"{e.file.mode:04o}"}
            for e in self.entries
            if e.action is not Action.CONFLICT
        }
        return {"generator": "apim-wizard", "files": dict(sorted(files.items()))}

    def summary(self) -> str:
        words = {
            Action.KEEP: "edited by hand and kept",
            Action.REPLACE: "replaced (backups kept)",
            Action.CONFLICT: "edited by hand in the way",
            Action.INPUT: "read as input",
        }
        counts: dict[str, int] = {}
        for entry in self.entries:
            if entry.action in words:
                label = words[entry.action]
            elif entry.action is Action.CHMOD:
                label = "mode corrected"
            else:
                label = entry.status.value
            counts[label] = counts.get(label, 0) + 1
        order = ["new", "changed", "unchanged", "mode corrected", *words.values()]
        parts = [f"{counts[label]} {label}" for label in order if counts.get(label)]
        removed = sum(1 for o in self.obsolete if o.action in (Obsolete.REMOVE, Obsolete.DISCARD))
        left = sum(1 for o in self.obsolete if o.action is Obsolete.LEAVE)
        if removed:
            parts.append(f"{removed} obsolete removed")
        if left:
            parts.append(f"{left} obsolete left in place")
        return ", ".join(parts) or "nothing to write"


class OutputDirError(Exception):
    """The output folder cannot be used (foreign content, not a folder, ...)."""


# ------------------------------------------------------------------------- state


def _read_state_file(out_dir: Path, relative: str) -> dict | None:
    path = out_dir / relative
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise OutputDirError(
            f"{path}: cannot read the wizard's state: {exc}; restore it, or move the folder "
            "aside and apply into a new one"
        ) from exc
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, dict) or not all(
        isinstance(v, dict) and isinstance(v.get("sha256"), str) for v in files.values()
    ):
        raise OutputDirError(f"{path}: not a state file written by apim-wizard")
    return data


def read_manifest(out_dir: Path) -> dict | None:
    return _read_state_file(out_dir, MANIFEST)


def read_journal(out_dir: Path) -> dict | None:
    return _read_state_file(out_dir, JOURNAL)


def is_wizard_folder(out_dir: Path) -> bool:
    return (out_dir / STATE_DIR).is_dir()


def check_output_dir(out_dir: Path, force: bool = False) -> None:
    """Refuse a non-empty folder the wizard did not create, unless forced."""
    for folder in (out_dir, *out_dir.parents):
        if folder.exists():
            if not folder.is_dir():
                raise OutputDirError(f"{folder}: exists and is not a folder, so {out_dir} cannot be written")
            break
    if not out_dir.exists() or force:
        return
    if not is_wizard_folder(out_dir) and any(out_dir.iterdir()):
        raise OutputDirError(
            f"{out_dir}: is not empty and was not written by apim-wizard (no {STATE_DIR}/); "
            "choose an empty or new folder, or pass --force to write into it anyway "
            "(files in the way are backed up first)"
        )


def check_generated_secrets(out_dir: Path, secrets_file: str, given: bool, force: bool) -> None:
    """Refuse an apply over an earlier output whose generated passwords are gone.

    ``secrets_file`` held the passwords the keystores and configs of ``out_dir`` were made
    with; without it they would be generated anew and every keystore they lock made again
    with a new key.  ``given``: the operator names another secrets file; ``force``: start
    over (the old files go to the backups)."""
    manifest = read_manifest(out_dir)
    if given or force or not manifest or secrets_file not in manifest.get("files", {}):
        return
    if not (out_dir / secrets_file).exists():
        raise OutputDirError(
            f"{out_dir / secrets_file}: is missing; it holds the generated passwords this folder's keystores "
            f"and configs were made with, and without it every keystore would get a new key.  Restore it, or "
            f"give the secrets file (--secrets FILE); to start over with new passwords and keys, force the write "
            f"(--force, or the wizard's replace option): the current keystores are backed up first"
        )


def find_leftovers(out_dir: Path) -> list[str]:
    """Temporary files of an apply that was killed before renaming them."""
    found = []
    if not out_dir.is_dir():
        return found
    for folder, dirs, files in os.walk(out_dir):
        for name in files:
            if name.startswith(".") and name.endswith(TEMP_SUFFIX):
                found.append(Path(folder, name).relative_to(out_dir).as_posix())
    return sorted(found)


def backup_path(path: str, content_digest: str) -> str:
    """Where a file the wizard replaces or removes is kept: named by its content, so
    backing up the same content twice gives the same file and never overwrites another."""
    return f"{BACKUPS}/{path}.{content_digest[:12]}"


# --------------------------------------------------------------------------- plan


def _read_regular(target: Path) -> bytes | None:
    """The file's bytes; None when absent.  Anything but a regular file is in the way."""
    try:
        info = os.lstat(target)
    except (FileNotFoundError, NotADirectoryError):
        return None
    if stat.S_ISDIR(info.st_mode):
        raise OutputDirError(f"{target}: is a folder where the wizard writes a file")
    if not stat.S_ISREG(info.st_mode):
        raise OutputDirError(
            f"{target}: is a symbolic link or special file where the wizard writes a file; "
            "remove it (the wizard does not write through links)"
        )
    return target.read_bytes()


def folder_generation(out_dir: Path) -> str | None:
    """Which apply wrote ``out_dir`` last (its manifest's hash); None before the first."""
    try:
        return sha256((out_dir / MANIFEST).read_bytes())
    except (FileNotFoundError, NotADirectoryError):
        return None


def make_plan(
    out_dir: Path, files: list[PlannedFile], force: bool = False, inputs: frozenset[str] | set[str] = frozenset(),
    based_on: str | None | object = ...,
) -> Plan:
    """Compare ``files`` with ``out_dir``.  Reads only; writes nothing.

    ``inputs``: paths this run read as its input (the output's own answers.toml given as
    ``--answers``): an operator's edit there is the input, so it is left as written.
    ``based_on``: :func:`folder_generation` when the build read the folder (its keys and
    certificates); the apply refuses if another apply wrote the folder since.  Default:
    now (for a build that did not read the folder).
    """
    manifest = read_manifest(out_dir) if out_dir.is_dir() else None
    journal = read_journal(out_dir) if out_dir.is_dir() else None
    recorded = {p: v["sha256"] for p, v in (manifest or {}).get("files", {}).items()}
    modes = {p: v.get("mode") for p, v in (manifest or {}).get("files", {}).items()}
    # A killed apply may have put its new version in place: that is the wizard's too.
    ours: dict[str, set[str]] = {p: {h} for p, h in recorded.items()}
    for path, value in (journal or {}).get("files", {}).items():
        ours.setdefault(path, set()).add(value["sha256"])
        modes.setdefault(path, value.get("mode"))

    plan = Plan(out_dir, force=force, interrupted=journal is not None, manifest=manifest,
                based_on=folder_generation(out_dir) if based_on is ... else based_on)  # type: ignore[arg-type]
    plan.leftovers = find_leftovers(out_dir)
    seen: set[str] = set()
    for planned in files:
        if planned.path in seen:
            raise ValueError(f"two planned files share the path {planned.path}")
        seen.add(planned.path)
        plan.entries.append(_classify(out_dir, planned, ours.get(planned.path), force, planned.path in inputs))

    plan.loose_dirs = _loose_secret_dirs(out_dir, files)
    for path in sorted(set(ours) - seen):
        current = _read_regular(out_dir / path)
        secret = modes.get(path) is not None and not int(modes[path], 8) & 0o077
        if current is None:
            plan.obsolete.append(ObsoleteEntry(path, Obsolete.GONE, secret))
            continue
        digest = sha256(current)
        if digest in ours[path]:
            action = Obsolete.REMOVE
        else:
            action = Obsolete.DISCARD if force else Obsolete.LEAVE
        plan.obsolete.append(ObsoleteEntry(path, action, secret, digest))
    return plan


def apply_plan(plan: Plan):
    """Carry out ``plan`` safely: see :mod:`wizard.writer`."""
    from .writer import apply_plan as apply

    return apply(plan)


def _classify(out_dir: Path, planned: PlannedFile, ours: set[str] | None, force: bool, is_input: bool) -> PlanEntry:
    target = out_dir / planned.path
    current = _read_regular(target)
    if current is None:
        return PlanEntry(planned, Status.NEW, Action.WRITE)
    digest = sha256(current)
    if current == planned.content:
        same_mode = (os.lstat(target).st_mode & 0o777) == planned.mode
        return PlanEntry(planned, Status.UNCHANGED, Action.NONE if same_mode else Action.CHMOD, digest)
    if is_input:
        status = Status.CHANGED if ours and digest in ours else Status.EDITED if ours else Status.UNKNOWN
        return PlanEntry(planned, status, Action.INPUT, digest)
    if ours and digest in ours:
        return PlanEntry(planned, Status.CHANGED, Action.WRITE, digest)
    status = Status.EDITED if ours else Status.UNKNOWN
    if force:
        return PlanEntry(planned, status, Action.REPLACE, digest)
    if ours and planned.digest in ours:
        # The answers would write what the wizard wrote last time: the hand edit is the
        # only difference, so it stays.
        return PlanEntry(planned, status, Action.KEEP, digest)
    return PlanEntry(planned, status, Action.CONFLICT, digest)


def secret_dirs(files: list[PlannedFile]) -> set[PurePosixPath]:
    """Every folder (below the output folder) on the way to a secret file."""
    out: set[PurePosixPath] = set()
    for planned in files:
        if planned.secret:
            out.update(p for p in PurePosixPath(planned.path).parents if p != PurePosixPath("."))
    return out


def _loose_secret_dirs(out_dir: Path, files: list[PlannedFile]) -> list[str]:
    loose = []
    for folder in sorted(secret_dirs(files)):
        try:
            mode = os.lstat(out_dir / folder).st_mode
        except (FileNotFoundError, NotADirectoryError):
            continue
        if stat.S_ISDIR(mode) and mode & 0o077:
            loose.append(folder.as_posix())
    return loose
