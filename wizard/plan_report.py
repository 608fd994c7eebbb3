"""What ``apply`` tells the operator: the plan, masked diffs, the outcome."""

from __future__ import annotations

import difflib
from pathlib import Path, PurePosixPath
from typing import TextIO

from .masking import Masker, secret_literals
from .plan import STATUS_TEXT, Action, Obsolete, Plan, PlanEntry, PlannedFile, Status, backup_path
from .writer import ApplyResult

# Files whose whole content is a secret: a diff would show nothing useful once masked.
_SECRET_NAMES = {"secrets.toml", "password-tmp", "password-persist"}
_SECRET_SUFFIXES = {".key", ".p12", ".pfx", ".jks"}

_LABEL = {Action.CHMOD: "mode", Action.INPUT: "input"}


def _note(entry: PlanEntry) -> str:
    what = STATUS_TEXT[entry.status]
    if entry.action is Action.KEEP:
        return f" ({what}; the answers do not change it, so the edit stays)"
    if entry.action is Action.CONFLICT:
        return f" ({what}: NOT overwritten; see below)"
    if entry.action is Action.REPLACE:
        return f" ({what}: --force backs it up to {backup_path(entry.file.path, entry.current_digest or '')}, then replaces it)"
    if entry.action is Action.INPUT:
        return " (read as this run's answers: left as you wrote it)"
    if entry.action is Action.CHMOD:
        return f" (content unchanged; mode set to {entry.file.mode:04o})"
    return ""


def print_plan(plan: Plan, out: TextIO) -> None:
    if plan.interrupted or plan.leftovers:
        print("  an earlier apply was interrupted: apply (without --dry-run) first completes or undoes it; "
              "this plan is of the folder as it is now", file=out)
    for entry in plan.entries:
        label = _LABEL.get(entry.action, entry.status.value)
        print(f"  {label:<10} {entry.file.path}{_note(entry)}", file=out)
    for folder in plan.loose_dirs:
        print(f"  {'mode':<10} {folder}/ (folder of secret files: set to 0700)", file=out)
    for obsolete in plan.obsolete:
        if obsolete.action is Obsolete.GONE:
            continue
        if obsolete.action is Obsolete.REMOVE:
            note = ("no longer generated: moved to the backups (keys and passwords are never deleted)"
                    if obsolete.secret else "no longer generated: removed")
        elif obsolete.action is Obsolete.DISCARD:
            note = "no longer generated, edited by hand: --force backs it up, then removes it"
        else:
            note = "no longer generated, edited by hand: left in place and no longer tracked"
        print(f"  {'obsolete':<10} {obsolete.path} ({note})", file=out)


def print_conflicts(plan: Plan, out: TextIO) -> None:
    print("these files were edited by hand (or not written by apim-wizard) and the answers change them:", file=out)
    for entry in plan.conflicts:
        print(f"  {entry.file.path}", file=out)
    print("move the edits into the answers (or revert them) and apply again, or pass --force to "
          f"replace them (each is backed up under {plan.out_dir / '.apim-wizard' / 'backups'} first); "
          "`apply --dry-run` shows the differences", file=out)


def _text(content: bytes) -> str | None:
    if b"\0" in content:
        return None
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _whole_secret(planned: PlannedFile, *contents: bytes) -> bool:
    """Files whose diff is not shown at all.  Private TOML files (deployment.toml, answers)
    are shown masked, key by key; other private files (keys, database setup scripts with
    their passwords in SQL or shell quoting) only as "changed"."""
    path = PurePosixPath(planned.path)
    if path.name in _SECRET_NAMES or path.suffix in _SECRET_SUFFIXES:
        return True
    if planned.secret and path.suffix != ".toml":
        return True
    return any(b"PRIVATE KEY-----" in c for c in contents)


def diff_lines(entry: PlanEntry, old: bytes, masker: Masker) -> list[str]:
    path, new = entry.file.path, entry.file.content
    if _whole_secret(entry.file, old, new):
        return [f"--- {path}: secret file; contents not shown"]
    old_text, new_text = _text(old), _text(new)
    if old_text is None or new_text is None:
        return [f"--- {path}: binary file ({len(old)} -> {len(new)} bytes); contents not shown"]
    before = masker.text(old_text).splitlines(keepends=True)
    after = masker.text(new_text).splitlines(keepends=True)
    lines = list(difflib.unified_diff(before, after, f"{path} (on disk)", f"{path} (planned)"))
    if not lines:
        return [f"--- {path}: differs only in secret values (masked)"]
    return [line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines]


def print_diffs(plan: Plan, masker: Masker, out: TextIO) -> None:
    shown = [e for e in plan.entries
             if e.status in (Status.CHANGED, Status.EDITED, Status.UNKNOWN) and e.action is not Action.INPUT]
    for entry in shown:
        try:
            old = (plan.out_dir / entry.file.path).read_bytes()
        except OSError:
            continue
        out.write("".join(line if line.endswith("\n") else line + "\n" for line in diff_lines(entry, old, masker)))


def print_result(plan: Plan, result: ApplyResult, out_dir: Path, out: TextIO) -> None:
    for path, backup in sorted(result.backups.items()):
        print(f"  backup     {path} -> {backup}", file=out)
    content = [e for e in result.written if e.action is not Action.CHMOD]
    if not content and not result.removed:
        fixed = len(result.written) + len(plan.loose_dirs)
        modes = f" (modes corrected on {fixed} file(s) and folder(s))" if fixed else ""
        print(f"no changes: the output already matches the answers{modes}", file=out)
    else:
        print(f"done: {plan.summary()}", file=out)


def masker_for(resolved_answers, out_dir: Path, pki=None) -> Masker:
    """Every secret this run knows, and those the previous run wrote: diffs show old
    versions, whose secrets the current answers may no longer hold (a changed password, an
    environment variable that changed).  They are read from the previous answers, secrets
    and node configurations, decrypting its secure-vault values with the primary key."""
    import tomllib

    from .secret_values import iter_secret_fields

    known = {v for _, v, _ in iter_secret_fields(resolved_answers) if isinstance(v, str)} if resolved_answers else set()
    previous = [out_dir / "answers.toml", out_dir / "secrets.toml", *out_dir.glob("*/repository/conf/deployment.toml")]
    for path in previous:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        known |= secret_literals(data)
        known |= _vault_plaintexts(data.get("secrets"), pki)
    return Masker(known)


def _vault_plaintexts(secrets, pki) -> set[str]:
    if not isinstance(secrets, dict):
        return set()
    from .secure_vault import VaultError, VaultKey

    found: set[str] = set()
    key = None
    if pki is not None:
        try:
            key = VaultKey.from_material(pki)
        except VaultError:
            key = None
    for value in secrets.values():
        if not isinstance(value, str):
            continue
        if value.startswith("[") and value.endswith("]"):
            found.add(value[1:-1])
        elif key is not None:
            plain = key.decrypt(value)
            if plain is not None:
                found.add(plain)
    return found
