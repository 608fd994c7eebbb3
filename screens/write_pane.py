"""Write: the output folder, the plan of files before anything is written, confirmation
before replacing or removing files, key generation in a worker with a progress bar, then
the start order and each node's start command.

Every call into the build, the plan and the writer goes through
:mod:`screens.deployment_writer`.
"""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, Static

from wizard.answers_io import ANSWERS_FILE

from . import deployment_writer as writer
from .dialogs import confirm
from .fields import TextInput, Tick, problem_text
from .session import first_errors
from .step_view import StepView, step_heading

DEFAULT_OUT = "apim-deployment"


class WritePane(StepView, Vertical):
    def __init__(self) -> None:
        super().__init__(id="step-write", classes="step-pane")
        self.prepared: writer.Prepared | None = None
        self._planned_revision = -1
        self.wrote = False
        self.writing = False  # files are being written: quitting waits

    def compose(self) -> ComposeResult:
        if not self.active:
            return
        from textual.widgets import ProgressBar  # loaded with the step: startup time

        yield step_heading("write")
        with Horizontal(classes="field-line"):
            yield Label("Output folder", classes="field-label")
            out = self.session.out_dir
            yield TextInput(str(out) if out else DEFAULT_OUT, compact=True, id="out-dir")
            yield Button("Plan", compact=True, id="plan-button", variant="primary")
        # One line at 80 columns (a checkbox does not wrap); the messages below say the rest.
        force = Tick("Replace files apim-wizard did not write or that were edited by hand", compact=True, id="force")
        force.tooltip = "Each file replaced is backed up first, as apply --force does."
        force.display = False
        yield force
        yield Static("Enter (or Plan) shows every file and what happens to it; nothing is written before you "
                     "confirm.", id="write-message", markup=False)
        progress = ProgressBar(id="keygen", show_eta=False)
        progress.display = False
        yield progress
        with Horizontal(id="write-actions"):
            yield Button("Write", id="write-button", variant="warning", compact=True, disabled=True)
        with VerticalScroll(id="plan-view"):
            yield Static("", id="plan-text", markup=False)
        with VerticalScroll(id="write-done"):
            yield Static("", id="done-text", markup=False)

    def built(self) -> None:
        for part in ("#plan-view", "#write-actions", "#write-done"):
            self.query_one(part).display = False

    # ------------------------------------------------------------ state

    def refresh_state(self) -> None:
        """After an edit elsewhere: a plan (or a written deployment) of other answers is
        no longer offered as current."""
        if not self.active or self.prepared is None or self._planned_revision == self.session.revision:
            return
        self.query_one("#write-button", Button).disabled = True
        if self.wrote:
            self.wrote = False
            self.query_one("#write-done").display = False
            self.say(f"The answers changed since the deployment was written to {self.prepared.out_dir}: plan again "
                     "(enter in the folder field) to see what changes.")
        else:
            self.say("The answers changed since this plan: plan again (enter in the folder field).")

    def focus_first(self) -> None:
        if self.wrote:
            self.query_one("#write-done").focus()
        else:
            self.query_one("#out-dir", Input).focus()

    def say(self, text: str, error: bool = False) -> None:
        message = self.query_one("#write-message", Static)
        message.update(text)
        message.set_class(error, "-error")

    @property
    def out_dir(self) -> Path:
        return Path(self.query_one("#out-dir", Input).value.strip() or DEFAULT_OUT).expanduser()

    # ------------------------------------------------------------ plan

    @on(Input.Submitted, "#out-dir")
    @on(Button.Pressed, "#plan-button")
    def _plan(self, event: Input.Submitted | Button.Pressed) -> None:
        event.stop()
        self.start_plan()

    @on(Input.Changed, "#out-dir")
    def _folder_changed(self, event: Input.Changed) -> None:
        event.stop()
        force = self.query_one("#force", Tick)
        force.display = False
        with force.prevent(Tick.Changed):  # another folder: its own plan decides
            force.value = False
        self.query_one("#write-button", Button).disabled = True

    @on(Tick.Changed, "#force")
    def _force_changed(self, event: Tick.Changed) -> None:
        event.stop()
        self.start_plan()  # the plan with (or without) replacing is another plan

    def start_plan(self) -> None:
        session = self.session
        if session.answers is None or session.unparsed:
            self.say("The answers have problems; fix them first (Review lists them, each jumps to its field):\n"
                     + "\n".join(first_errors(session.problems())), error=True)
            return
        self.wrote = False
        self.prepared = None
        for part in ("#write-done", "#write-actions", "#plan-view"):
            self.query_one(part).display = False
        answers, stored = session.for_writing()
        self._planned_revision = session.revision
        progress = self.query_one("#keygen")
        progress.update(total=None, progress=0)  # type: ignore[attr-defined]
        progress.display = True
        self.say(f"Building the files for {self.out_dir} (keys are made now; nothing is written yet) ...")
        self.plan_files(answers, stored, self.out_dir, session.base_dir, session.start.answer_files,
                        self.query_one("#force", Tick).value)

    @work(thread=True, exclusive=True, group="write", exit_on_error=False)
    def plan_files(self, answers, stored, out_dir: Path, base_dir: Path, answer_files, force: bool) -> None:
        def progress(done: int, total: int) -> None:
            self.app.call_from_thread(self.show_progress, done, total)

        try:
            prepared = writer.prepare(answers, stored, out_dir, base_dir, answer_files, force, progress)
        except writer.OutputFolderError as exc:
            self.app.call_from_thread(self.show_folder_error, exc)
            return
        except OSError as exc:
            self.app.call_from_thread(self.say, f"✗ {exc.filename or out_dir}: cannot read: {exc.strerror}", True)
            return
        self.app.call_from_thread(self.show_plan, prepared)

    def show_progress(self, done: int, total: int) -> None:
        self.query_one("#keygen").update(total=max(total, 1), progress=done)  # type: ignore[attr-defined]
        self.say(f"Generating keys: {done} of {total} (the slow part; the wizard stays usable) ...")

    def show_folder_error(self, exc: writer.OutputFolderError) -> None:
        self.query_one("#keygen").display = False
        self.query_one("#force").display = exc.foreign
        extra = ("\nTick the box above to write into it anyway (each file replaced is backed up first)."
                 if exc.foreign else "")
        self.say(f"✗ {exc}{extra}", error=True)

    def show_plan(self, prepared: writer.Prepared) -> None:
        self.query_one("#keygen").display = False
        if not prepared.ok:
            self.say("✗ The deployment cannot be written yet:\n"
                     + "\n".join(problem_text(p, f"{p.field}: ") for p in prepared.problems)
                     + "\nThe answers can still be saved (ctrl+s); write later with apim-wizard apply.", error=True)
            return
        self.prepared = prepared
        plan = prepared.plan
        assert plan is not None
        details = [f"note: {note}" for note in prepared.notes]
        details += [problem_text(p, f"production check {p.field}: ") for p in prepared.checks]
        self.query_one("#plan-text", Static).update("\n".join([prepared.plan_text(), *([""] if details else []),
                                                                *details]))
        self.query_one("#plan-view").display = True
        lines = [f"Plan for {prepared.out_dir}: {plan.summary()}."]
        if prepared.checks:
            lines[0] += (f"  ⚠ {len(prepared.checks)} production check{'s' * (len(prepared.checks) != 1)} "
                         "below (apply --production refuses them).")
        button = self.query_one("#write-button", Button)
        force = self.query_one("#force", Tick)
        if plan.conflicts:
            force.display = True
            lines.append(f"✗ {len(plan.conflicts)} file(s) edited by hand would be overwritten: nothing is written "
                         "unless you tick the box above (each is backed up first).")
        elif writer.overwrites(plan):
            lines.append(f"⚠ {len(writer.overwrites(plan))} file(s) on disk will be replaced or removed; you "
                         "confirm that first.")
        button.disabled = bool(plan.conflicts)
        # The summary is in the message above: a label of its own length would not fit 80 columns.
        button.label = "Write" if plan.has_changes else "Record (the folder already matches)"
        self.query_one("#write-actions").display = True
        self.say("\n".join(lines), error=bool(plan.conflicts))
        if not button.disabled:
            button.focus()

    # ------------------------------------------------------------ write

    @on(Button.Pressed, "#write-button")
    def _write(self, event: Button.Pressed) -> None:
        event.stop()
        prepared = self.prepared
        if prepared is None or prepared.plan is None or self._planned_revision != self.session.revision:
            self.refresh_state()
            return
        overwrites = writer.overwrites(prepared.plan)
        if overwrites:
            listed = "\n".join(f"  {line}" for line in overwrites[:12])
            more = f"\n  ... and {len(overwrites) - 12} more" if len(overwrites) > 12 else ""
            dialog = confirm(f"Replace {len(overwrites)} file(s) in {prepared.out_dir}?",
                             f"These files are on disk and will be replaced or removed:\n{listed}{more}", "Replace them")
            self.app.push_screen(dialog, lambda answer: self.write_files() if answer == "yes" else None)
        else:
            self.write_files()

    def write_files(self) -> None:
        self.query_one("#write-button", Button).disabled = True
        self.writing = True
        self.say("Writing ...")
        self.run_write(self.prepared)

    @work(thread=True, exclusive=True, group="write", exit_on_error=False)
    def run_write(self, prepared: writer.Prepared) -> None:
        try:
            report = writer.write(prepared.plan)
        except (OSError, writer.OutputFolderError) as exc:
            where = getattr(exc, "filename", None) or prepared.out_dir
            reason = getattr(exc, "strerror", None) or str(exc)
            self.app.call_from_thread(self.write_failed, f"✗ {where}: cannot write: {reason}; files already renamed "
                                      "into place are complete, none is half-written")
            return
        self.app.call_from_thread(self.show_done, prepared, report)

    def write_failed(self, message: str) -> None:
        self.writing = False
        self.say(message, error=True)

    def show_done(self, prepared: writer.Prepared, report: str) -> None:
        self.wrote = True
        self.writing = False
        self.session.written()
        self.app.refresh_chrome()  # type: ignore[attr-defined]
        plan = prepared.plan
        assert plan is not None
        out = prepared.out_dir
        lines = [
            f"✓ Wrote the deployment to {out}: {plan.summary()}.",
            *report.splitlines(),
            f"Passwords are in {out / writer.SECRETS_FILE} (mode 0600); keep it safe.",
            f"Replay: apim-wizard apply --answers {out / ANSWERS_FILE} --out {out}",
            "",
            "Start order (RUNBOOK.md in the folder has every step, from the databases on):",
        ]
        for phase in writer.start_phases(prepared):
            lines.append(f"{phase.number}. {phase.title}: {phase.why}")
            if phase.load_balancers:
                lines.append(f"   {', '.join(phase.load_balancers)} (configs in nginx/, certificates in lb/)")
            elif not phase.starts and phase.nodes:
                lines.append(f"   existing: {', '.join(n.name for n in phase.nodes)}: make sure they run")
            for position, start in enumerate(phase.starts, 1):
                lines += [
                    f"   {position}. {start.node.name} on {start.node.hostname}: {start.service}",
                    f"      by hand: {start.by_hand}",
                    f"      ready when this prints an HTTP status: {start.ready_check}",
                ]
        self.query_one("#done-text", Static).update("\n".join(lines))
        for part in ("#plan-view", "#write-actions"):
            self.query_one(part).display = False
        self.say(f"✓ Done: {plan.summary()}.")
        done = self.query_one("#write-done")
        done.display = True
        done.focus()
