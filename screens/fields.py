"""One widget per question kind: the editor, its label and its problems.

A field never judges a value itself: it parses the text with the question
(:meth:`Question.parse`) and hands the answer to the app (``answer_changed``), which puts it
into the session and gives every field its problems from the one validator.  Values are
loaded from the session when the field is built; the operator's own text stays as typed.
"""

from __future__ import annotations

from typing import Any

from textual import events, on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from wizard.model_paths import BOOL, CHOICE, LIST, MAPPING, MISSING, MULTI_CHOICE, SECRET, UNSET
from wizard.problems import Path as FieldPath
from wizard.problems import Problem, show_value
from wizard.questions import Question
from wizard.secrets_store import SECRETS_FILE

from .answer_text import as_text, describe_secret, secret_kind
from .session import WizardSession


def field_id(path: FieldPath) -> str:
    """A widget id for the field at ``path`` (model names and row numbers are id-safe)."""
    return "q-" + "-".join(str(part) for part in path)


def set_text(box: Static, text: str, fixed: bool = False) -> bool:
    """Update a Static only when its text changes: an update costs the screen a layout, and
    an edit refreshes many of them (keystroke latency, see bench/bench_tui.py).  ``fixed``:
    the box's size does not depend on the text (one line, a set height), so only repaint."""
    if getattr(box, "_set_text", None) == text:
        return False
    box._set_text = text  # type: ignore[attr-defined]
    box.update(text, layout=not fixed)
    return True


def problem_text(problem: Problem, prefix: str = "") -> str:
    """One problem as shown under its field: a word and a sign, never colour alone."""
    sign = "✗ error" if problem.severity == "error" else "⚠ warning"
    value = f"{show_value(problem.value)}: " if problem.has_value else ""
    return f"{sign}: {prefix}{value}{problem.message}"


class TextInput(Input):
    """An Input whose own keys (backspace, delete, the arrows, home, end, ctrl+u, ...) act in
    the order they were typed among the characters.  Textual inserts a typed character as
    the Input receives it but runs the Input's bindings only after the key has bubbled up to
    the app, so in a burst of keys (a fast typist, tmux send-keys) the characters behind a
    binding overtook it: end, ctrl+u, c, p left an empty box."""

    async def _on_key(self, event: events.Key) -> None:
        for binding in self._bindings.key_to_bindings.get(event.key, ()):
            if await self.app.run_action(binding.action, self):
                event.stop()
                event.prevent_default()
                return
        await super()._on_key(event)


class Tick(Checkbox):
    """A checkbox whose mark is a sign (X or blank), so its state never rests on colour alone."""

    @property
    def BUTTON_INNER(self) -> str:  # type: ignore[override]  # read by Checkbox when it draws
        return "X" if self.value else " "


class AnswerField(Vertical):
    """Base of the field widgets: a label and an editor on one line, problems below.  In a
    table row (``in_table``) only the editor shows; the row lists the problems."""

    def __init__(self, question: Question, session: WizardSession, in_table: bool = False) -> None:
        classes = f"field kind-{question.kind}"
        if in_table:
            classes += f" cell cell-{question.spec.name}"
        super().__init__(id=field_id(question.path), classes=classes)
        self.question = question
        self.session = session
        self.in_table = in_table

    def compose(self) -> ComposeResult:
        if self.in_table:
            yield from self.editors()
            return
        with Horizontal(classes="field-line"):
            yield Label(self.question.label, classes="field-label", markup=False)
            yield from self.editors()
        yield Static("", classes="field-problems", markup=False)

    def editors(self) -> ComposeResult:
        raise NotImplementedError

    @property
    def current(self) -> Any:
        return self.question.current(self.session.raw)

    def focus_editor(self) -> None:
        for widget in self.query("Input, Select, Checkbox, Button"):
            if widget.focusable:
                widget.focus()
                return

    def show_problems(self, problems: list[Problem]) -> None:
        shown = tuple(problems)
        if shown == getattr(self, "_problems_shown", ()):
            return  # most edits leave most fields as they were
        self._problems_shown = shown
        for editor in self.query("Input, Select, Checkbox"):
            editor.set_class(any(p.severity == "error" for p in problems), "-invalid")
        if not self.in_table:
            box = self.query_one(".field-problems", Static)
            set_text(box, "\n".join(problem_text(p) for p in problems))
            box.display = bool(problems)

    def refresh_derived(self) -> None:
        """Show what other answers imply for this one (see TextField)."""

    async def edited(self, value: Any) -> None:
        """Hand the answer to the app at once.  (A message would travel through every
        container up to the app, and the screen would paint in between: keystroke latency.)"""
        await self.app.answer_changed(self.question, value)  # type: ignore[attr-defined]


class TextField(AnswerField):
    """Text, numbers, lists (``a, b``) and key=value tables, parsed by the question.  Enter
    moves on to the next field (the app's binding: ``WizardApp.action_next_field``)."""

    def editors(self) -> ComposeResult:
        unparsed = self.session.unparsed.get(self.question.key)
        self._text = unparsed.text if unparsed else as_text(self.current)
        editor = TextInput(self._text, placeholder=self.placeholder(), compact=True, classes="editor")
        editor.tooltip = self.question.help
        yield editor

    def placeholder(self) -> str:
        """What an empty answer stands for (it follows other answers: the port of the type)."""
        derived = self.question.derived_text(self.session.raw)
        hint = {LIST: "a, b", MAPPING: "key=value, key2=value2"}.get(self.question.kind, "")
        return f"empty: {derived}" if derived else hint

    def refresh_derived(self) -> None:
        editor = self.query_one(Input)
        text = self.placeholder()
        if editor.placeholder != text:
            editor.placeholder = text

    @on(Input.Changed)
    async def _changed(self, event: Input.Changed) -> None:
        event.stop()
        if event.value == self._text:
            return
        self._text = event.value
        try:
            value = self.question.parse(event.value)
        except ValueError as exc:
            await self.app.answer_unparsed(self.question, event.value, str(exc))  # type: ignore[attr-defined]
            return
        await self.edited(value)


class BoolField(AnswerField):
    def editors(self) -> ComposeResult:
        value = self.current is True
        editor = Tick("yes" if value else "no", value, compact=True, classes="editor")
        editor.tooltip = self.question.help
        yield editor

    @on(Checkbox.Changed)
    async def _changed(self, event: Checkbox.Changed) -> None:
        event.stop()
        event.checkbox.label = "yes" if event.value else "no"
        await self.edited(event.value)


class ChoiceField(AnswerField):
    def editors(self) -> ComposeResult:
        current = self.current
        options = [(self.choice_label(c), c) for c in self.question.choices]
        selected = current if current in self.question.choices else Select.NULL
        self._value = selected
        editor = Select(options, value=selected, allow_blank=selected is Select.NULL or self.question.nullable,
                        compact=True, prompt="(none)", classes="editor")
        editor.tooltip = self.question.help
        yield editor

    def choice_label(self, choice: str) -> str:
        explained = self.question.choice_help.get(choice)
        return f"{choice}: {explained}" if explained else choice

    @on(Select.Changed)
    async def _changed(self, event: Select.Changed) -> None:
        event.stop()
        if event.value == self._value:
            return
        self._value = event.value
        await self.edited(UNSET if event.value is Select.NULL else event.value)


class MultiChoiceField(AnswerField):
    """A checkbox per choice; the answer keeps the order it had, new choices go last."""

    def editors(self) -> ComposeResult:
        current = self.current if isinstance(self.current, list) else []
        with Horizontal(classes="editor choices"):
            for choice in self.question.choices:
                box = Tick(choice, choice in current, compact=True, name=choice)
                box.tooltip = self.question.help
                yield box

    @on(Checkbox.Changed)
    async def _changed(self, event: Checkbox.Changed) -> None:
        event.stop()
        checked = {box.name for box in self.query(Checkbox) if box.value}
        current = self.current if isinstance(self.current, list) else []
        value = [c for c in current if c in checked] + [c for c in self.question.choices if c in checked and c not in current]
        await self.edited(value)


SECRET_HOW = {
    "generate": f"generate ({SECRETS_FILE}, 0600)",
    "env": "environment variable",
    "file": "file (first line)",
    "type": "type it (hidden)",
}
SECRET_INPUT_HINT = {
    "generate": "made once when the deployment is written",
    "env": "variable name, e.g. APIM_DB_PASSWORD",
    "file": "path of a file whose first line is the value",
    "type": "the value (hidden)",
    "none": "not set",
}


class SecretField(AnswerField):
    """How a secret is given: generated, from a variable or a file, or typed (masked, with
    show/hide).  A value is never shown unless the operator asks to see what they type."""

    def editors(self) -> ComposeResult:
        current = self.current
        self._kept = current  # a literal or { stored = true } from the answers: kept as it is
        options = []
        if isinstance(current, str) or (isinstance(current, dict) and current.get("stored")):
            options.append((f"keep: {describe_secret(current)}", "keep"))
        options += [(label, how) for how, label in SECRET_HOW.items()]
        if self.question.nullable:
            options.append(("none", "none"))
        if options[0][1] == "keep":
            how = "keep"
        elif current is MISSING or current is None:
            how = "none" if self.question.nullable else "generate"
        else:
            how = secret_kind(current)
        self._how = how
        text = current.get(how, "") if isinstance(current, dict) and how in ("env", "file") else ""
        self._text = text
        with Horizontal(classes="editor secret"):
            choose = Select(options, value=how, allow_blank=False, compact=True, classes="secret-how")
            choose.tooltip = self.question.help
            yield choose
            yield TextInput(text, password=how == "type", compact=True, classes="secret-text",
                        placeholder=SECRET_INPUT_HINT.get(how, describe_secret(current)),
                        disabled=how not in ("env", "file", "type"))
            yield Button("show", compact=True, classes="secret-reveal", disabled=how != "type")

    def value_for(self, how: str, text: str) -> Any:
        if how == "keep":
            return self._kept
        if how == "none":
            return UNSET
        if how == "generate":
            return {"generate": True}
        if how in ("env", "file"):
            return {how: text.strip()}
        return text

    @on(Select.Changed, ".secret-how")
    async def _how_changed(self, event: Select.Changed) -> None:
        event.stop()
        how = str(event.value)
        if how == self._how:
            return
        self._how = how
        entry = self.query_one(".secret-text", Input)
        reveal = self.query_one(".secret-reveal", Button)
        entry.disabled = how not in ("env", "file", "type")
        entry.password = how == "type" and str(reveal.label) == "show"
        entry.placeholder = SECRET_INPUT_HINT.get(how, describe_secret(self._kept))
        reveal.disabled = how != "type"
        with entry.prevent(Input.Changed):
            entry.value = ""
        self._text = ""
        await self.edited(self.value_for(how, ""))

    @on(Input.Changed, ".secret-text")
    async def _text_changed(self, event: Input.Changed) -> None:
        event.stop()
        if event.value == self._text:
            return
        self._text = event.value
        await self.edited(self.value_for(self._how, event.value))

    @on(Button.Pressed, ".secret-reveal")
    def _reveal(self, event: Button.Pressed) -> None:
        event.stop()
        entry = self.query_one(".secret-text", Input)
        entry.password = not entry.password
        event.button.label = "show" if entry.password else "hide"

    def focus_editor(self) -> None:
        self.query_one(".secret-how", Select).focus()


FIELD_TYPES: dict[str, type[AnswerField]] = {
    BOOL: BoolField,
    CHOICE: ChoiceField,
    MULTI_CHOICE: MultiChoiceField,
    SECRET: SecretField,
}


def make_field(question: Question, session: WizardSession, in_table: bool = False) -> AnswerField:
    return FIELD_TYPES.get(question.kind, TextField)(question, session, in_table)


def owning_field(widget: Widget | None) -> AnswerField | None:
    """The field a (focused) widget belongs to."""
    while widget is not None:
        if isinstance(widget, AnswerField):
            return widget
        widget = widget.parent  # type: ignore[assignment]
    return None
