"""A table of answers (nodes, environments) as rows of fields, with add and remove.

Rows come from the session; a new row is the question's suggestion (counted on from the
last row: cp-2 -> cp-3, 10.0.0.12 -> 10.0.0.13).  Where another step owns the rows (the
certificate columns of the node tables) rows are only edited, never added or removed.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Label, Static

from wizard.problems import Problem
from wizard.questions import Question

from .fields import field_id, make_field, problem_text, set_text
from .session import WizardSession


class RowAdded(Message):
    def __init__(self, table: Question) -> None:
        super().__init__()
        self.table = table


class RowRemoved(Message):
    def __init__(self, table: Question, index: int) -> None:
        super().__init__()
        self.table = table
        self.index = index


class RowsEditor(Vertical):
    BINDINGS = [
        Binding("ctrl+t", "add_row", "Add row"),
        Binding("ctrl+r", "remove_row", "Remove row"),
    ]

    def __init__(self, table: Question, session: WizardSession, columns: list[Question], title: str) -> None:
        super().__init__(id=field_id(table.path), classes="table")
        self.table = table
        self.session = session
        self.columns = columns  # the visible columns (unbound)
        self.title = title

    def compose(self) -> ComposeResult:
        raw = self.session.raw
        rows = self.table.rows(raw)
        yield Label(self.title, classes="table-title", markup=False)
        if not rows:
            yield Static("No rows yet." + (" Add one with the button below (ctrl+t)." if self.table.rows_editable else ""),
                         classes="table-empty")
        else:
            with Horizontal(classes="table-head"):
                if not self.table.rows_editable:
                    yield Static("node", classes="row-label")
                for column in self.columns:
                    yield Static(column.label, classes=f"cell cell-{column.spec.name}", markup=False)
                if self.table.rows_editable:
                    yield Static("", classes="row-remove-head")
        for index, row in enumerate(rows):
            applicable = {q.path for q in self.table.row_questions(raw, index)}
            with Horizontal(classes="table-row", id=f"{field_id(self.table.path)}-row-{index}"):
                if not self.table.rows_editable:
                    yield Static(str(row.get("name", index + 1)) if isinstance(row, dict) else str(index + 1),
                                 classes="row-label", markup=False)
                for column in self.columns:
                    bound = column.bind(index)
                    if bound.path in applicable:
                        yield make_field(bound, self.session, in_table=True)
                    else:
                        yield Static("-", classes=f"cell cell-{column.spec.name} cell-absent")
                if self.table.rows_editable:
                    remove = Button("✕", compact=True, classes="row-remove", name=str(index))
                    remove.can_focus = False  # ctrl+r removes the focused row from the keyboard
                    remove.tooltip = "Remove this row (ctrl+r)"
                    yield remove
            yield Static("", classes="row-problems", name=str(index), markup=False)
        yield Static("", classes="field-problems", markup=False)
        if self.table.rows_editable:
            yield Button("+ Add row", compact=True, classes="row-add")

    def show_problems(self, by_key: dict[str, list[Problem]]) -> None:
        rows = len(self.table.rows(self.session.raw))
        mine = {k: v for k, v in by_key.items() if k == self.table.key or k.startswith(self.table.key + "[")}
        state = tuple((k, tuple(v)) for k, v in sorted(mine.items()))
        if state == getattr(self, "_problems_shown", None):
            return
        self._problems_shown = state
        for box in self.query(".row-problems").results(Static):
            index = int(box.name or 0)
            lines = []
            for column in self.columns:
                bound = column.bind(index)
                lines += [problem_text(p, f"{column.label}: ") for p in by_key.get(bound.key, [])]
            set_text(box, "\n".join(lines))
            box.display = bool(lines) and index < rows
        own = by_key.get(self.table.key, [])
        box = self.query_one(".field-problems", Static)
        set_text(box, "\n".join(problem_text(p) for p in own))
        box.display = bool(own)
        for cell in self.query(".cell.field"):
            question = getattr(cell, "question", None)
            if question is not None:
                cell.show_problems(by_key.get(question.key, []))  # type: ignore[attr-defined]

    def focused_row(self) -> int | None:
        widget = self.screen.focused
        while widget is not None and widget is not self:
            if widget.has_class("table-row") and widget.id:
                return int(widget.id.rsplit("-", 1)[1])
            widget = widget.parent  # type: ignore[assignment]
        return None

    def action_add_row(self) -> None:
        if self.table.rows_editable:
            self.post_message(RowAdded(self.table))

    def action_remove_row(self) -> None:
        index = self.focused_row()
        if self.table.rows_editable and index is not None:
            self.post_message(RowRemoved(self.table, index))

    @on(Button.Pressed, ".row-add")
    def _add(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_add_row()

    @on(Button.Pressed, ".row-remove")
    def _remove(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(RowRemoved(self.table, int(event.button.name or 0)))
