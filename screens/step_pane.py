"""The form of one step: its questions from the registry, grouped by answer-file table.

What a step shows follows the answers: questions that do not apply are left out (load
balancers of a single node, Oracle's SID for MySQL), advanced ones are folded away until
asked for or until they have a problem (then they stay, so a field does not vanish while
it is being fixed).  When that set changes the pane is rebuilt from the session, keeping
the focused field.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Checkbox, Static

from wizard.model_paths import SECTION, TABLE, spec_at
from wizard.problems import Path as FieldPath
from wizard.problems import format_path
from wizard.questions import Question, Step, question_for, questions

from .fields import AnswerField, Tick, field_id, make_field, problem_text, set_text
from .rows_editor import RowsEditor
from .session import problem_key
from .step_view import StepView, step_heading

EDITORS = "Input, Select, Checkbox, Button"


@dataclass(frozen=True)
class Shown:
    """A question on the form; for a table, the columns shown."""

    question: Question
    columns: tuple[Question, ...] = ()


def section_title(path: FieldPath) -> str:
    """``[databases.apim_db]: Used by control-plane nodes.`` (the answer file's table)."""
    spec = spec_at(path)
    about = ""
    if spec is not None:
        about = spec.description
        if not about and spec.kind == SECTION and spec.model.__doc__:
            about = spec.model.__doc__.strip().split("\n")[0]
    return f"[{format_path(path)}]" + (f"  {about}" if about else "")


def cluster_mode(table: Question, raw: dict) -> str:
    """For a node table: single or HA, as the registry decides it (an LB is asked for HA)."""
    if table.path[-1] != "nodes":
        return ""
    rows = len(table.rows(raw))
    lb = question_for((*table.path[:-1], "lb_host"))
    if lb is not None and lb.applies(raw):
        return f"HA: {rows} nodes behind a load balancer"
    return "single node" if rows == 1 else f"{rows} nodes"


class StepPane(StepView, VerticalScroll):
    """A step's form.  Subclasses add what a step shows besides its fields."""

    def __init__(self, step: Step) -> None:
        super().__init__(id=f"step-{step.key}", classes="step-pane")
        self.step = step
        self.show_advanced = False
        self.revealed: set[str] = set()  # advanced fields shown because they had a problem
        self._signature: tuple | None = None

    # ------------------------------------------------------------ what to show

    def wanted(self, question: Question, keys: Iterable[str]) -> bool:
        return not question.advanced or self.show_advanced or any(k in self.revealed for k in keys)

    def shown(self) -> list[Shown]:
        raw = self.session.raw
        out = []
        for question in questions(self.step.key):
            if not question.applies(raw):
                continue
            if question.kind != TABLE:
                if self.wanted(question, [question.key]):
                    out.append(Shown(question))
                continue
            count = len(question.rows(raw))
            applicable = [{q.key for q in question.row_questions(raw, i)} for i in range(count)]
            columns = []
            for column in question.columns:
                keys = [column.bind(i).key for i in range(count)]
                if any(k in applicable[i] for i, k in enumerate(keys)) or not count:
                    if self.wanted(column, keys):
                        columns.append(column)
            if columns and (count or question.rows_editable):
                out.append(Shown(question, tuple(columns)))
        return out

    def advanced_labels(self) -> list[str]:
        raw = self.session.raw
        labels = []
        for question in questions(self.step.key):
            if question.applies(raw):
                labels += [q.label for q in (question, *question.columns) if q.advanced]
        return list(dict.fromkeys(labels))

    def signature(self) -> tuple:
        raw = self.session.raw
        return (
            self.show_advanced,
            tuple((s.question.key, tuple(c.key for c in s.columns), len(s.question.rows(raw)) if s.columns else -1)
                  for s in self.shown()),
        )

    # ------------------------------------------------------------ building

    def compose(self) -> ComposeResult:
        if not self.active:
            return
        self.reveal_problems()
        self._signature = self.signature()
        yield step_heading(self.step.key)
        yield from self.lead()
        section: FieldPath | None = None
        for shown in self.shown():
            question = shown.question
            parent = question.path[:-1]
            if parent != section:
                if section is not None:
                    yield from self.section_end(section)
                if parent:
                    yield Static(section_title(parent), classes="section-heading", markup=False)
                    yield Static("", classes="field-problems section-problems", name=f"section:{format_path(parent)}",
                                 markup=False)
                section = parent
            if question.kind == TABLE:
                yield RowsEditor(question, self.session, list(shown.columns), self.table_title(question))
            else:
                yield make_field(question, self.session)
        if section is not None:
            yield from self.section_end(section)
        yield from self.extras()
        advanced = self.advanced_labels()
        if advanced:
            toggle = Tick(f"Show advanced settings ({len(advanced)}): {', '.join(advanced)}",
                              self.show_advanced, compact=True, classes="advanced-toggle")
            toggle.tooltip = "F3 toggles the advanced settings of this step"
            yield toggle
        yield Static("", classes="step-status", markup=False)

    def table_title(self, table: Question) -> str:
        mode = cluster_mode(table, self.session.raw)
        return f"{table.label}" + (f"  ({mode})" if mode else "")

    def lead(self) -> Iterable[Widget]:
        """Widgets above the questions."""
        return ()

    def section_end(self, section: FieldPath) -> Iterable[Widget]:
        """Widgets after the fields of an answer-file table."""
        return ()

    def extras(self) -> Iterable[Widget]:
        """Widgets after all fields."""
        return ()

    def update_extras(self) -> None:
        """Refresh what ``lead``/``section_end``/``extras`` show after an edit."""

    # ------------------------------------------------------------ refreshing

    def reveal_problems(self) -> None:
        for key, problems in self.session.problems_by_key().items():
            question = question_for(problems[0].path) if key else None
            if question is not None and question.step == self.step.key and question.advanced:
                self.revealed.add(key)

    def children_of(self, kind: type) -> list:
        """Direct children of a type (fields and tables sit directly in the pane), without a
        CSS query over the whole form on every keystroke."""
        return [child for child in self.children if isinstance(child, kind)]

    def needs_rebuild(self) -> bool:
        if not self.active:
            return True
        self.reveal_problems()
        return self.signature() != self._signature

    def refresh_state(self) -> None:
        """Problems under every field, derived values, the step's status line."""
        by_key = self.session.problems_by_key()
        for field in self.children_of(AnswerField):
            if not field.in_table:
                field.show_problems(by_key.get(field.question.key, []))
                field.refresh_derived()
        for table in self.children_of(RowsEditor):
            table.show_problems(by_key)
        self.update_extras()
        shown_keys = {f"section:{format_path(s.question.path[:-1])}" for s in self.shown()}
        for box in self.query(".section-problems").results(Static):
            problems = by_key.get(box.name or "", [])
            set_text(box, "\n".join(problem_text(p) for p in problems))
            box.display = bool(problems)
        shown_keys |= {s.question.key for s in self.shown()}
        mine = [p for key, problems in by_key.items() for p in problems
                if key and (q := question_for(p.path)) is not None and q.step == self.step.key]
        elsewhere = [p for p in mine if problem_key(p) not in shown_keys and not any(
            problem_key(p).startswith(k + "[") for k in shown_keys)]
        step_errors = self.session.step_errors(self.step.key)
        step_warnings = [p for p in mine if p.severity == "warning"]
        if step_errors:
            text = (f"✗ {len(step_errors)} problem{'s' * (len(step_errors) != 1)} in this step: "
                    "Next (ctrl+n) waits until they are fixed.")
        elif step_warnings:
            text = f"⚠ {len(step_warnings)} warning{'s' * (len(step_warnings) != 1)}; ctrl+n: next step."
        else:
            text = "✓ No problems in this step; ctrl+n: next step."
        # Problems of fields not on the form (folded away, or not asked for these answers).
        text += "".join(f"\n{problem_text(p, f'{p.field}: ')}" for p in elsewhere)
        status = self.query_one(".step-status", Static)
        set_text(status, text)
        status.set_class(bool(step_errors), "-errors")

    async def rebuild(self) -> None:
        """Build the form anew from the session, focus staying on the same field (and the
        same editor of a field with several)."""
        focused = self.screen.focused
        target, position = None, 0
        widget = focused
        while widget is not None and widget is not self:
            if widget.id:
                target = widget.id
                if isinstance(widget, AnswerField):
                    editors = list(widget.query(EDITORS))
                    position = editors.index(focused) if focused in editors else 0
                break
            widget = widget.parent  # type: ignore[assignment]
        self.active = True
        await self.recompose()
        self.refresh_state()
        if target and self.focus_id(target) and position:
            found = self.query_one(f"#{target}", AnswerField)
            editors = [e for e in found.query(EDITORS) if e.focusable]
            if position < len(editors):
                editors[position].focus()

    async def unbuild(self) -> None:
        self.active = False
        await self.remove_children()

    def focus_id(self, widget_id: str) -> bool:
        found = self.query(f"#{widget_id}")
        if not found:
            return False
        widget = found.first()
        if isinstance(widget, AnswerField):
            widget.focus_editor()
        elif widget.focusable:
            widget.focus()
        else:
            return False
        self.scroll_to_widget(widget, animate=False)
        return True

    def focus_first(self) -> None:
        for widget in self.query("AnswerField, OptionList, Input, Button, Select, Checkbox"):
            if isinstance(widget, AnswerField):
                widget.focus_editor()
                return
            if widget.focusable:
                widget.focus()
                return

    async def focus_question(self, question: Question) -> None:
        """Show and focus the field answering ``question`` (revealing it when folded)."""
        if question.advanced and question.key not in self.revealed:
            self.revealed.add(question.key)
            await self.rebuild()
        if not self.focus_id(field_id(question.path)) and len(question.path) > 2:
            # A row field whose column is not shown: the table itself.
            for table in self.query(RowsEditor):
                if question.path[: len(table.table.path)] == table.table.path:
                    self.scroll_to_widget(table, animate=False)
                    table.query("Button, Input").first().focus()
                    return

    @on(Checkbox.Changed, ".advanced-toggle")
    async def _toggle_advanced(self, event: Checkbox.Changed) -> None:
        event.stop()
        await self.set_advanced(event.value)

    async def set_advanced(self, shown: bool) -> None:
        self.show_advanced = shown
        await self.rebuild()
        for toggle in self.query(".advanced-toggle").results(Checkbox):
            toggle.focus()
