"""The Write step's calls into the build and the file plan, in one place.

What ``apim-wizard apply`` does, split in two so the operator sees the plan before anything
is written: :func:`prepare` builds every file (keys included: the slow part, run in a
worker with progress) and compares them with the output folder; :func:`write` carries out
a plan the operator confirmed.  The app renders plan entries generically (their status
names are the plan's own enum values), and refuses a plan that has conflicts: files the
plan says must not be overwritten without ``--force``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from wizard.build import Build, BuildOptions, build_deployment
from wizard.model import Answers
from wizard.plan import OutputDirError, Plan, PlanEntry, Status, apply_plan, check_output_dir, make_plan
from wizard.problems import Problem
from wizard.render.runbook import StartPhase, start_order
from wizard.secrets_store import SECRETS_FILE, SecretsFileError, SecretStore

Progress = Callable[[int, int], None]


@dataclass
class Prepared:
    out_dir: Path
    build: Build
    plan: Plan | None = None
    problems: list[Problem] = field(default_factory=list)  # the build refused (e.g. an unset variable)

    @property
    def ok(self) -> bool:
        return self.plan is not None and not self.problems


class OutputFolderError(Exception):
    """The output folder cannot be used; the message says why and what to do."""

    def __init__(self, message: str, foreign: bool = False):
        super().__init__(message)
        self.foreign = foreign  # not empty and not the wizard's: may be written when forced


def check_folder(out_dir: Path, force: bool) -> None:
    try:
        check_output_dir(out_dir, force=force)
    except OutputDirError as exc:
        foreign = out_dir.is_dir()  # a file in the way cannot be forced
        raise OutputFolderError(str(exc), foreign) from None


def prepare(answers: Answers, stored: dict[str, str], out_dir: Path, base_dir: Path,
            force: bool = False, progress: Progress | None = None) -> Prepared:
    """Build every file for ``out_dir`` and plan them; writes nothing.

    ``answers`` hold typed secrets as ``{ stored = true }`` and ``stored`` their values, so
    the answers.toml written holds no secret value and secrets.toml keeps them (as the prompt
    flow does).  Raises OutputFolderError."""
    check_folder(out_dir, force)
    try:
        store = SecretStore.load(out_dir / SECRETS_FILE)
    except SecretsFileError as exc:
        raise OutputFolderError(str(exc)) from None
    store.stored.update(stored)
    options = BuildOptions(out_dir=out_dir, base_dir=base_dir, progress=progress)
    build = build_deployment(answers, store, options=options)
    if not build.ok:
        return Prepared(out_dir, build, problems=build.problems)
    try:
        plan = make_plan(out_dir, build.files)
    except OutputDirError as exc:
        raise OutputFolderError(str(exc)) from None
    return Prepared(out_dir, build, plan)


def status_name(entry: PlanEntry) -> str:
    """The entry's status as the plan names it (mode-only fixes say so)."""
    return "mode" if getattr(entry, "mode_only", False) else str(entry.status.value)


def conflicts(plan: Plan) -> list[PlanEntry]:
    """Entries the plan refuses to overwrite (files edited by hand, ...): nothing is
    written while there are any."""
    return list(getattr(plan, "conflicts", []))


def overwrites(plan: Plan) -> list[PlanEntry]:
    """Existing files the plan replaces: the operator confirms these first."""
    return [e for e in plan.entries if e.status not in (Status.NEW, Status.UNCHANGED)]


def write(plan: Plan) -> None:
    """Carry out a confirmed plan (atomic per file, manifest last)."""
    if conflicts(plan):
        raise OutputFolderError(f"{plan.out_dir}: the plan would overwrite files edited by hand; nothing was written")
    apply_plan(plan)


def start_phases(prepared: Prepared) -> list[StartPhase]:
    """The order to bring the deployment up, with each node's start command (RUNBOOK.md's)."""
    assert prepared.build.topology is not None
    return start_order(prepared.build.topology)


__all__ = ["OutputFolderError", "Prepared", "check_folder", "conflicts", "overwrites", "prepare",
           "start_phases", "status_name", "write", "SECRETS_FILE"]
