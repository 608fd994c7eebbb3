"""Review: every problem (choose one to jump to its field) and every node's deployment.toml."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from wizard.preview import node_previews
from wizard.problems import Problem, errors, warnings
from wizard.questions import question_for, step

from .code_view import CodeView
from .fields import problem_text
from .step_view import StepView, step_heading


class ProblemChosen(Message):
    def __init__(self, problem: Problem) -> None:
        super().__init__()
        self.problem = problem


def where(problem: Problem) -> str:
    question = question_for(problem.path)
    if question is None:
        return "no field asks for it: choose it to remove the answer"
    return f"step {step(question.step).title}"


class ReviewPane(StepView, Vertical):
    def __init__(self) -> None:
        super().__init__(id="step-review", classes="step-pane")
        self._problems: list[Problem] = []
        self._revision = -1
        self._tab_names: list[str] | None = None

    def compose(self) -> ComposeResult:
        if not self.active:
            return
        from textual.widgets import TabbedContent  # loaded with the step: startup time

        yield step_heading("review")
        yield Static("", id="review-summary", markup=False)
        yield OptionList(id="problem-list", compact=True)
        yield TabbedContent(id="node-tabs")

    async def refresh_state(self) -> None:
        session = self.session
        if session.revision == self._revision:
            return
        self._revision = session.revision
        problems = session.problems()
        self._problems = errors(problems) + warnings(problems)
        answers = session.answers
        n_err, n_warn = len(errors(problems)), len(warnings(problems))
        if answers is None:
            summary = (f"✗ {n_err} error{'s' * (n_err != 1)}" + (f", ⚠ {n_warn} warning{'s' * (n_warn != 1)}" if n_warn else "")
                       + ": choose one to go to its field.  The files below are from the last valid answers.")
        else:
            summary = f"✓ The answers are valid: {session.describe()}."
            if n_warn:
                summary += f"  ⚠ {n_warn} warning{'s' * (n_warn != 1)} below."
            summary += "  ctrl+n: write the deployment."
        self.query_one("#review-summary", Static).update(summary)
        listing = self.query_one("#problem-list", OptionList)
        listing.clear_options()
        listing.add_options([Option(Content(f"{problem_text(p, f'{p.field}: ')}  ({where(p)})"), id=str(i))
                             for i, p in enumerate(self._problems)])
        listing.display = bool(self._problems)
        await self.update_tabs(answers if answers is not None else session.last_valid)

    async def update_tabs(self, answers) -> None:
        from textual.widgets import TabPane

        tabs = self.query_one("#node-tabs")
        texts = {node.name: text for node, text in (node_previews(answers) if answers is not None else [])}
        if list(texts) != self._tab_names:
            self._tab_names = list(texts)
            await tabs.clear_panes()
            for name in texts:
                await tabs.add_pane(TabPane(name, CodeView(id=f"review-{name}", classes="review-code"), id=f"tab-{name}"))
            if not texts:
                await tabs.add_pane(TabPane("no files", Static("No deployment.toml yet: the answers are not complete.")))
        for name, text in texts.items():
            self.query_one(f"#review-{name}", CodeView).set_code(text)

    def focus_first(self) -> None:
        listing = self.query_one("#problem-list", OptionList)
        if listing.display and listing.option_count:
            listing.focus()
        else:
            self.query_one("#node-tabs").query("Tabs").first().focus()

    @on(OptionList.OptionSelected, "#problem-list")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.post_message(ProblemChosen(self._problems[int(event.option.id or 0)]))
