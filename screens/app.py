"""The full-screen wizard (Textual): steps on the left, the form in the middle, the live
preview of a node's deployment.toml on the right.

Thin by design: the answers live in a :class:`~screens.session.WizardSession`, every
question, rule, default and rendered file comes from ``wizard/``.  The app moves between
the steps of :data:`wizard.questions.STEPS`, routes edits into the session, hands the
validator's problems to the fields and asks the preview to render.

Keys: ctrl+n / ctrl+b next and previous step (Next refuses while the step has errors,
saying why), ctrl+s save the answers, F1 help in WSO2 terms, F2 fold the preview, F3 the
advanced settings, ctrl+o the next node in the preview, ctrl+q quit (asks when typed
answers are not saved), ctrl+p the command palette (jump to a step or a field).
"""

from __future__ import annotations

import gc
from collections.abc import Iterable
from pathlib import Path

from textual import events, on
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import ContentSwitcher, Input, Static

from wizard.cli_answers import in_terminal
from wizard.cli_common import EXIT_OK, EXIT_USAGE, CliError
from wizard.model_paths import MISSING
from wizard.problems import Problem
from wizard.questions import STEPS, Question, all_questions, question_for, step
from wizard.saved_answers import cannot_save_to
from wizard.secrets_store import SecretsFileError

from .dialogs import ChoiceDialog, HelpDialog, PathDialog, confirm
from .fields import field_id, owning_field, set_text
from .key_bar import KeyBar
from .preview_pane import PreviewPane
from .review_pane import ProblemChosen, ReviewPane
from .rows_editor import RowAdded, RowRemoved
from .session import STEP_KEYS, Start, WizardSession, first_errors
from .step_extras import DatabasesPane, KeystoresPane, StartChosen, StartPane
from .step_pane import StepPane
from .steps_nav import Breadcrumb, StepChosen, StepList
from .write_pane import WritePane

STEP_ACTIONS = {"next_step", "previous_step", "save", "help", "toggle_preview", "toggle_advanced", "next_node",
                "goto_step"}


def make_pane(key: str) -> Widget:
    special = {"start": StartPane, "databases": DatabasesPane, "keystores": KeystoresPane,
               "review": ReviewPane, "write": WritePane}
    return special[key]() if key in special else StepPane(step(key))


def short_summary(session: WizardSession) -> str:
    """The top bar's right side: version, node counts, JMS TLS (or how far from valid)."""
    answers = session.answers
    if answers is None:
        count = sum(1 for p in session.problems() if p.severity == "error")
        return f"✗ {count} error{'s' * (count != 1)}"
    parts = [f"API-M {answers.version}"]
    for word, cluster in (("CP", answers.control_plane), ("GW", answers.gateway)):
        parts.append(f"{len(cluster.nodes)} {word}" + (" existing" if cluster.existing else ""))
    parts.append(f"JMS TLS {'on' if answers.jms_tls.enabled else 'off'}")
    return " · ".join(parts)


class WizardApp(App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "apim-wizard"
    WIDE = 100  # columns from which the step list and the preview sit beside the form
    BINDINGS = [
        Binding("ctrl+n", "next_step", "Next", priority=True),
        Binding("ctrl+b", "previous_step", "Back", priority=True),
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("f1", "help", "Help", priority=True),
        Binding("f2", "toggle_preview", "Preview", priority=True),
        Binding("f3", "toggle_advanced", "Advanced", priority=True),
        Binding("ctrl+o", "next_node", "Node", priority=True),
        Binding("ctrl+q", "quit", "Quit", priority=True),
        # Moving between fields happens as the key arrives, before the keys after it are
        # handed out.  Textual runs a widget's own (non-priority) bindings only once the key
        # has bubbled from the focused widget up to the app, and a field's enter only when
        # its Submitted message reached the field; keys typed in the same burst went to the
        # focused field first (tab, 8 put the 8 into the field being left).
        Binding("tab", "focus_next", show=False, priority=True),
        Binding("shift+tab", "focus_previous", show=False, priority=True),
        Binding("enter", "next_field", show=False, priority=True),
    ]

    def __init__(self, session: WizardSession) -> None:
        super().__init__()
        self.session = session
        self.current = "start"
        self.visited: set[str] = {"start"}
        self.preview_open: bool | None = None  # None: open on wide terminals, folded on narrow ones
        self.built: dict[str, tuple[int, int]] = {}  # pane -> (session id, revision) it was built for
        self.saved_here: set[Path] = set()
        self.first_frame_drawn = False  # the preview's first render waits for it (startup time)

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        with Horizontal(id="topbar"):
            yield Static("", id="title", markup=False)
            yield Static("", id="summary", markup=False)
        yield Breadcrumb()
        with Horizontal(id="body"):
            yield StepList()
            with Vertical(id="main"):
                # The other steps' panes are made when first shown (goto): a smaller first
                # frame, sooner (bench/bench_tui.py).
                with ContentSwitcher(initial="step-start", id="switcher"):
                    yield make_pane("start")
                yield Static("", id="field-help", markup=False)
            yield PreviewPane()
        yield KeyBar()

    async def on_mount(self) -> None:
        await self.goto("start")
        self.call_after_refresh(self.settled)

    def settled(self) -> None:
        """After the first frame: the preview's first render, and the garbage collector back.
        Everything loaded so far lives as long as the app, so it is frozen: full collections
        walking it again and again would stall keystrokes (~100 ms each)."""
        self.first_frame_drawn = True
        self.preview.request()
        gc.freeze()
        gc.enable()
        for note in self.session.notes:
            self.notify(note, severity="warning", timeout=10)

    @property
    def preview(self) -> PreviewPane:
        return self.query_one(PreviewPane)

    def pane(self, key: str) -> Widget:
        return self.query_one(f"#step-{key}")

    async def ensure_pane(self, key: str) -> None:
        if not self.query(f"#step-{key}"):
            pane = make_pane(key)
            pane.display = False  # the switcher shows it, hiding the current one
            await self.query_one(ContentSwitcher).mount(pane)

    def needed(self) -> dict[str, bool]:
        return {key: self.session.step_applies(key) for key in STEP_KEYS}

    def refresh_chrome(self) -> None:
        """Top bar, step list, breadcrumb: where the operator is and what is left."""
        session = self.session
        number = STEP_KEYS.index(self.current) + 1
        unsaved = " · unsaved" if session.dirty else ""
        set_text(self.query_one("#title", Static),
                 f" apim-wizard · {step(self.current).title} ({number}/{len(STEPS)}) · {session.source}{unsaved}",
                 fixed=True)
        set_text(self.query_one("#summary", Static), f"{short_summary(session)} ")
        errors, needed = session.errors_by_step(), self.needed()
        self.query_one(StepList).show(self.current, self.visited, errors, needed)
        self.query_one(Breadcrumb).show(self.current, self.visited, errors, needed)

    def update_layout(self) -> None:
        """What is beside the form, for the terminal's width and the F2 switch."""
        if not self.query(PreviewPane):
            return  # a resize before the widgets are there
        narrow = self.narrow
        # Display flags, not classes (breakpoints): a class on the screen restyles every widget.
        self.query_one(StepList).display = not narrow
        self.query_one(Breadcrumb).display = narrow
        wanted = self.preview_open if self.preview_open is not None else not narrow
        if self.current == "review":
            wanted = False  # Review shows every node's file itself
        self.preview.display = wanted
        self.query_one("#main").display = not (narrow and wanted)
        if wanted and self.preview.stale and self.first_frame_drawn:
            self.preview.request()

    @property
    def narrow(self) -> bool:
        return self.size.width < self.WIDE

    def on_resize(self, event: events.Resize) -> None:
        self.update_layout()

    # ------------------------------------------------------------------ steps

    async def goto(self, key: str, focus: bool = True) -> None:
        await self.ensure_pane(key)
        left = self.pane(self.current)
        if key != self.current and isinstance(left, StepPane):
            # A form left behind is dropped: it is rebuilt from the session when shown again,
            # and a small DOM keeps every keystroke's restyle and layout cheap.
            await left.unbuild()
            self.built.pop(self.current, None)
        self.current = key
        self.visited.add(key)
        self.query_one(ContentSwitcher).current = f"step-{key}"
        await self.refresh_pane(key, rebuild=True)
        self.refresh_chrome()
        self.update_layout()
        if focus:
            self.pane(key).focus_first()  # type: ignore[attr-defined]

    async def refresh_pane(self, key: str, rebuild: bool = False) -> None:
        pane = self.pane(key)
        stamp = (id(self.session), self.session.revision)
        if isinstance(pane, StepPane):
            if (rebuild and self.built.get(key) != stamp) or pane.needs_rebuild():
                await pane.rebuild()
            else:
                pane.refresh_state()
        elif isinstance(pane, ReviewPane):
            await pane.activate()
            await pane.refresh_state()
        elif isinstance(pane, WritePane):
            await pane.activate()
            pane.refresh_state()
        self.built[key] = stamp

    def next_needed(self, direction: int) -> str | None:
        needed = self.needed()
        index = STEP_KEYS.index(self.current) + direction
        while 0 <= index < len(STEP_KEYS):
            if needed[STEP_KEYS[index]]:
                return STEP_KEYS[index]
            index += direction
        return None

    async def action_next_step(self) -> None:
        session = self.session
        if self.current == "review":
            problems = session.problems()
            if session.answers is None or session.unparsed:
                self.notify("\n".join(first_errors(problems)), title="The answers have problems: fix them first",
                            severity="error", timeout=8)
                await self.focus_problem([p for p in problems if p.severity == "error"][0])
                return
        else:
            errors = session.step_errors(self.current)
            if errors:
                pane = self.pane(self.current)
                if isinstance(pane, StepPane):
                    pane.refresh_state()
                self.notify("\n".join(first_errors(errors)), title=f"{step(self.current).title}: fix this first",
                            severity="error", timeout=8)
                await self.focus_problem(errors[0])
                return
        target = self.next_needed(+1)
        if target is not None:
            await self.goto(target)

    async def action_previous_step(self) -> None:
        target = self.next_needed(-1)
        if target is not None:
            await self.goto(target)

    async def action_goto_step(self, key: str) -> None:
        await self.goto(key)

    @on(StepChosen)
    async def _step_chosen(self, message: StepChosen) -> None:
        await self.goto(message.key)

    async def focus_problem(self, problem: Problem) -> None:
        question = question_for(problem.path)
        if question is not None:
            await self.focus_question(question)

    async def focus_question(self, question: Question) -> None:
        if question.step != self.current:
            await self.goto(question.step, focus=False)
        pane = self.pane(question.step)
        if isinstance(pane, StepPane):
            await pane.focus_question(question)

    # ------------------------------------------------------------------ edits

    async def answer_changed(self, question: Question, value: object) -> None:
        """A field's new answer (UNSET: cleared), straight from the field."""
        self.session.set(question, value)
        await self.after_edit(typed=True)

    async def answer_unparsed(self, question: Question, text: str, message: str) -> None:
        self.session.set_unparsed(question, text, message)
        await self.after_edit(typed=True)

    @on(RowAdded)
    async def _row_added(self, message: RowAdded) -> None:
        index = self.session.add_row(message.table)
        await self.after_edit()
        pane = self.pane(self.current)
        if isinstance(pane, StepPane):
            cells = message.table.row_questions(self.session.raw, index)
            empty = [c for c in cells if c.current(self.session.raw) is MISSING]
            for cell in empty or cells:
                if pane.focus_id(field_id(cell.path)):
                    break

    @on(RowRemoved)
    async def _row_removed(self, message: RowRemoved) -> None:
        self.session.remove_row(message.table, message.index)
        await self.after_edit()
        pane = self.pane(self.current)
        if isinstance(pane, StepPane):
            pane.focus_id(field_id(message.table.path))

    async def after_edit(self, typed: bool = False) -> None:
        await self.refresh_pane(self.current)
        self.refresh_chrome()
        self.preview.request(now=typed)

    @on(ProblemChosen)
    async def _problem_chosen(self, message: ProblemChosen) -> None:
        problem = message.problem
        question = question_for(problem.path)
        if question is not None:
            await self.focus_question(question)
            return

        async def answered(answer: str | None) -> None:
            if answer == "yes":
                self.session.remove_answer(problem.path)
                await self.after_edit()

        self.push_screen(confirm(f"Remove {problem.field}?",
                                 f"{problem}\n\nNo question of the wizard asks for this answer; it can only be "
                                 "removed here (or fixed in the answer file).", "Remove it"), answered)

    @on(StartChosen)
    async def _start_chosen(self, message: StartChosen) -> None:
        async def replace(answer: str | None = "yes") -> None:
            if answer != "yes":
                return
            try:
                session = WizardSession.open(message.start, out_dir=self.session.out_dir,
                                             environ=self.session.environ)
            except CliError as exc:
                self.notify(str(exc), title="Cannot open the answers", severity="error", timeout=10)
                return
            await self.replace_session(session)
            self.notify(f"Answers from {session.source}.", timeout=4)
            for note in session.notes:
                self.notify(note, severity="warning", timeout=10)

        if self.session.dirty:
            self.push_screen(confirm("Replace the answers?", "The answers typed so far are not saved; they are "
                                     "replaced by the new start (ctrl+s saves them first).", "Replace them"), replace)
        else:
            await replace()

    async def replace_session(self, session: WizardSession) -> None:
        self.session = session
        self.visited = {"start"}
        self.built.clear()
        for pane in self.query(".step-pane"):
            if isinstance(pane, StepPane):
                pane.revealed.clear()
        self.preview.reset()
        await self.goto("start", focus=False)
        self.preview.request()
        name = question_for(("name",))
        if name is not None:
            await self.focus_question(name)  # what a new start asks next

    # ------------------------------------------------------------------ focus help

    @on(events.DescendantFocus)
    def _focus_moved(self, event: events.DescendantFocus) -> None:
        field = owning_field(self.screen.focused)
        box = self.query_one("#field-help", Static)
        if field is None:
            set_text(box, f"{step(self.current).title}: F1 explains this step in WSO2 terms.", fixed=True)
            return
        question = field.question
        derived = question.derived_text(self.session.raw)
        set_text(box, f"{question.label} ({question.key}): {question.help}" + (f"  Empty: {derived}." if derived else ""),
                 fixed=True)

    # ------------------------------------------------------------------ actions

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        # While a dialog is open, its keys win: no step moves underneath it.
        if isinstance(self.screen, ModalScreen) and action in STEP_ACTIONS:
            return False
        if action == "next_field":  # enter in a field's text box; elsewhere enter is the widget's
            return isinstance(self.focused, Input) and owning_field(self.focused) is not None
        return True

    def action_next_field(self) -> None:
        """Enter in a field's text box: on to the next field (the answer is in already)."""
        self.screen.focus_next()

    def action_help(self) -> None:
        current = step(self.current)
        body = current.help
        field = owning_field(self.screen.focused)
        if field is not None:
            question = field.question
            body += f"\n\n{question.label} ({question.key})\n{question.help}"
            for choice, meaning in question.choice_help.items():
                body += f"\n  {choice}: {meaning}"
            derived = question.derived_text(self.session.raw)
            if derived:
                body += f"\nEmpty: {derived}."
        body += ("\n\nKeys: ctrl+n next step, ctrl+b back, tab / shift+tab between fields, ctrl+s save the answers, "
                 "F2 fold the preview, F3 advanced settings, ctrl+o next node in the preview, ctrl+t / ctrl+r add / "
                 "remove a table row, ctrl+p jump to a step or field, ctrl+q quit.")
        self.push_screen(HelpDialog(f"{current.title}: what it means in WSO2 API-M", body))

    def action_toggle_preview(self) -> None:
        self.preview_open = not self.preview.display
        self.update_layout()
        if self.narrow:
            if self.preview_open:
                self.preview.query_one("#preview-text").focus()
            else:
                self.pane(self.current).focus_first()  # type: ignore[attr-defined]

    async def action_toggle_advanced(self) -> None:
        pane = self.pane(self.current)
        if isinstance(pane, StepPane) and pane.advanced_labels():
            await pane.set_advanced(not pane.show_advanced)

    def action_next_node(self) -> None:
        self.preview.next_node()

    def action_save(self) -> None:
        session = self.session
        if session.answers is None or session.unparsed:
            self.notify("\n".join(first_errors(session.problems())), title="Cannot save: the answers have problems",
                        severity="error", timeout=8)
            return
        default = str(session.save_path or "answers.toml")
        dialog = PathDialog("Save the answers", "An answer file without secret values; passwords you typed go to "
                            "a secrets file next to it (mode 0600).  apim-wizard apply replays it.", default)
        self.push_screen(dialog, self.save_to)

    def save_to(self, path: Path | None, then_quit: bool = False) -> None:
        if path is None:
            return
        if path.is_dir():
            self.notify(f"{path} is a folder; give a file name.", severity="error")
            return
        reason = cannot_save_to(path)
        if reason:
            self.notify(f"{reason}; give another path.", title="Not saved", severity="error")
            return
        if path.exists() and path.resolve() not in self.saved_here:
            def answered(answer: str | None) -> None:
                if answer == "yes":
                    self.do_save(path, then_quit)

            self.push_screen(confirm(f"Replace {path}?", f"{path} exists; saving replaces it (comments in it are not "
                                     "kept).", "Replace it"), answered)
            return
        self.do_save(path, then_quit)

    def do_save(self, path: Path, then_quit: bool = False) -> None:
        try:
            saved = self.session.save(path)
        except (ValueError, SecretsFileError) as exc:
            self.notify(str(exc), title="Not saved", severity="error", timeout=10)
            return
        except OSError as exc:
            self.notify(f"{exc.filename or path}: cannot write: {exc.strerror}", title="Not saved", severity="error")
            return
        self.saved_here.add(path.resolve())
        secrets = f"; typed secrets in {saved.secrets} (0600)" if saved.secrets else ""
        self.notify(f"{path} (no secret values){secrets}.\nReplay: {saved.replay}", title="Answers saved", timeout=8)
        self.refresh_chrome()
        if then_quit:
            self.exit(0)

    async def action_quit(self) -> None:
        if any(pane.writing for pane in self.query(WritePane)):  # (a dialog cannot stop the writer thread half-way)
            self.notify("Files are being written; quit when that is done.", severity="warning")
            return
        if not self.session.dirty:
            self.exit(0)
            return

        def answered(answer: str | None) -> None:
            if answer == "quit":
                self.exit(0)
            elif answer == "save":
                if self.session.answers is None:
                    self.action_save()  # says why it cannot
                    return
                default = str(self.session.save_path or "answers.toml")
                self.push_screen(PathDialog("Save the answers, then quit", "An answer file without secret values.",
                                            default), lambda path: self.save_to(path, then_quit=True))

        self.push_screen(ChoiceDialog("Quit apim-wizard?", "Answers typed in this session are not saved.",
                                      [("save", "Save, then quit"), ("quit", "Quit without saving"),
                                       ("cancel", "Cancel")], {"quit": "error"}), answered)

    # ------------------------------------------------------------------ palette

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for number, candidate in enumerate(STEPS, 1):
            yield SystemCommand(f"Step {number}: {candidate.title}", f"Go to the {candidate.title} step",
                                lambda key=candidate.key: self.run_worker(self.goto(key)))
        yield SystemCommand("Save answers", "Save the answers to a file (ctrl+s)", self.action_save)
        yield SystemCommand("Toggle preview", "Fold or unfold the deployment.toml preview (F2)",
                            self.action_toggle_preview)
        raw = self.session.raw
        for question in all_questions():
            if question.columns or not question.applies(raw):
                continue
            # The palette searches titles only: the answer path is in the title so that a
            # fragment of it (apim_db) finds the field as its label does.
            yield SystemCommand(f"Field: {question.label} · {question.key}", f"in the {step(question.step).title} step",
                                lambda q=question: self.run_worker(self.focus_question(q)), discover=False)


def run_tui(args) -> int:
    """``apim-wizard`` / ``apim-wizard tui``: open the wizard in this terminal.  Exit code as
    the CLI's; raises CliError (usage) without a terminal, or when a source cannot be read."""
    if not in_terminal():
        raise CliError("the wizard needs a terminal (stdin and stdout); for scripted runs give the answers "
                       "instead: apim-wizard apply --answers FILE --out DIR (or apim-wizard prompt)", EXIT_USAGE)
    start = Start(args.preset, tuple(args.answers or ()), tuple(args.assignments or ()))
    gc.disable()  # until the first frame is drawn (WizardApp.settled): startup time
    try:
        session = WizardSession.open(start, out_dir=args.out)
        result = WizardApp(session).run()
    finally:
        gc.enable()
    return result if isinstance(result, int) else EXIT_OK
