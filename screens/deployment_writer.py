"""The Write step's calls into the build, the file plan and the writer, in one place.

What ``apim-wizard apply`` does, split in two so the operator sees the plan before anything
is written: :func:`prepare` builds every file (keys included: the slow part, run in a
worker with progress) and compares them with the output folder; :func:`write` carries out
a plan the operator confirmed.  The plan and the outcome are told in apply's own words
(:mod:`wizard.plan_report`).  Files edited by hand that the answers would change are
conflicts: nothing is written while there are any, unless the operator asks to replace
them (``force``: each is backed up first, as ``apply --force`` does).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from wizard.answers_io import ANSWERS_FILE
from wizard.build import Build, BuildOptions, build_deployment
from wizard.hardening import gate, review
from wizard.model import Answers
from wizard.plan import OutputDirError, Plan, Status, check_generated_secrets, check_output_dir, folder_generation, make_plan
from wizard.plan_report import print_conflicts, print_plan, print_result
from wizard.problems import Problem
from wizard.render.runbook import StartPhase, start_order
from wizard.secrets_store import SECRETS_FILE, SecretsFileError, SecretStore
from wizard.writer import PlanConflict, apply_plan, check_not_busy, recover

Progress = Callable[[int, int], None]


@dataclass
class Prepared:
    out_dir: Path
    build: Build
    plan: Plan | None = None
    problems: list[Problem] = field(default_factory=list)  # the build refused (e.g. an unset variable)
    notes: list[str] = field(default_factory=list)  # recovery of an interrupted apply, the build's notes
    checks: list[Problem] = field(default_factory=list)  # production checks (warnings: see apply --production)

    @property
    def ok(self) -> bool:
        return self.plan is not None and not self.problems

    def plan_text(self) -> str:
        """The plan as apply prints it, and the conflicts when there are any."""
        assert self.plan is not None
        out = io.StringIO()
        print_plan(self.plan, out)
        if self.plan.conflicts:
            print(file=out)
            print_conflicts(self.plan, out)
        return out.getvalue().rstrip("\n")


class OutputFolderError(Exception):
    """The output folder cannot be used; the message says why and what to do."""

    def __init__(self, message: str, foreign: bool = False):
        super().__init__(message)
        self.foreign = foreign  # not empty and not the wizard's: may be written when forced


def check_folder(out_dir: Path, force: bool) -> None:
    try:
        check_output_dir(out_dir, force=force)
        check_generated_secrets(out_dir, SECRETS_FILE, given=False, force=force)
    except OutputDirError as exc:
        raise OutputFolderError(str(exc), foreign=out_dir.is_dir()) from None  # a file in the way cannot be forced


def prepare(answers: Answers, stored: dict[str, str], out_dir: Path, base_dir: Path, answer_files=(),
            force: bool = False, progress: Progress | None = None) -> Prepared:
    """Build every file for ``out_dir`` and plan them.  Writes nothing, except that an apply
    killed earlier in that folder is first completed or undone (its keys may sit in temporary
    files, and the build reuses them), as apply does.

    ``answers`` hold typed secrets as ``{ stored = true }`` and ``stored`` their values, so
    the answers.toml written holds no secret value and secrets.toml keeps them (as the prompt
    flow does).  ``answer_files``: where the answers were read from; the folder's own
    answers.toml among them is this run's input, not a file to overwrite.  Raises
    OutputFolderError."""
    check_folder(out_dir, force)
    notes = []
    try:
        check_not_busy(out_dir)
        recovery = recover(out_dir)
        based_on = folder_generation(out_dir)  # what the build reads: its keys and secrets
        store = SecretStore.load(out_dir / SECRETS_FILE)
    except (OutputDirError, SecretsFileError) as exc:
        raise OutputFolderError(str(exc)) from None
    if recovery:
        notes.append(recovery.describe())
    store.stored.update(stored)
    build = build_deployment(answers, store, options=BuildOptions(out_dir=out_dir, base_dir=base_dir, progress=progress))
    if not build.ok:
        return Prepared(out_dir, build, problems=build.problems, notes=notes)
    own = (out_dir / ANSWERS_FILE).resolve()
    inputs = {ANSWERS_FILE} if any(Path(f).resolve() == own for f in answer_files) else set()
    try:
        plan = make_plan(out_dir, build.files, force=force, inputs=inputs, based_on=based_on)
    except OutputDirError as exc:
        raise OutputFolderError(str(exc)) from None
    assert build.topology is not None
    resolved = build.topology.answers
    checks, _ = gate(review(resolved, build.files, build.shared.get("pki")), resolved, production=False)
    return Prepared(out_dir, build, plan, notes=notes + build.notes, checks=checks)


def overwrites(plan: Plan) -> list[str]:
    """Files on disk the plan replaces or removes: the operator confirms these first."""
    replaced = [f"{e.status.value}: {e.file.path}" for e in plan.entries
                if e.writes_content and e.status is not Status.NEW]
    return replaced + [f"obsolete: {o.path}" for o in plan.removals]


def write(plan: Plan) -> str:
    """Carry out a confirmed plan; returns apply's report of what it did.  Raises
    OutputFolderError when the plan has conflicts or the folder changed since the plan."""
    try:
        result = apply_plan(plan)
    except PlanConflict as exc:
        raise OutputFolderError(f"{plan.out_dir}: {exc}; nothing was written") from None
    except OutputDirError as exc:
        raise OutputFolderError(str(exc)) from None
    out = io.StringIO()
    print_result(plan, result, plan.out_dir, out)
    return out.getvalue().rstrip("\n")


def start_phases(prepared: Prepared) -> list[StartPhase]:
    """The order to bring the deployment up, with each node's start command (RUNBOOK.md's)."""
    assert prepared.build.topology is not None
    return start_order(prepared.build.topology)
