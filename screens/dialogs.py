"""Modal decisions and help: confirm, choose among a few actions, a path, F1 help."""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from .fields import TextInput


class ChoiceDialog(ModalScreen[str]):
    """A question with a few answers as buttons; escape gives ``cancel``."""

    BINDINGS = [Binding("escape", "dismiss('cancel')", "Cancel")]
    DIALOG_CLASSES = "dialog"

    def __init__(self, title: str, body: str, choices: list[tuple[str, str]], variant_of: dict[str, str] | None = None):
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.body = body
        self.choices = choices  # (answer, button label)
        self.variant_of = variant_of or {}

    def compose(self) -> ComposeResult:
        with Vertical(classes=self.DIALOG_CLASSES):
            yield Label(self.title_text, classes="dialog-title", markup=False)
            with VerticalScroll(classes="dialog-body"):
                yield Static(self.body, markup=False)
            with Horizontal(classes="dialog-buttons"):
                for answer, label in self.choices:
                    yield Button(label, name=answer, variant=self.variant_of.get(answer, "default"), compact=True)

    def on_mount(self) -> None:
        self.query(Button).first().focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.name or "cancel")


def confirm(title: str, body: str, yes: str, no: str = "Cancel") -> ChoiceDialog:
    return ChoiceDialog(title, body, [("yes", yes), ("cancel", no)], {"yes": "warning"})


class PathDialog(ModalScreen["Path | None"]):
    """Ask for a file path (enter accepts, escape cancels)."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, title: str, body: str, default: str):
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.body = body
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title", markup=False)
            yield Static(self.body, markup=False, classes="dialog-text")
            yield TextInput(self.default, id="dialog-path", compact=True)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", name="ok", variant="primary", compact=True)
                yield Button("Cancel", name="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#dialog-path", Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._accept()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.name == "ok":
            self._accept()
        else:
            self.dismiss(None)

    def _accept(self) -> None:
        text = self.query_one("#dialog-path", Input).value.strip()
        if not text:
            self.notify("Give a file name.", severity="warning")
            return
        self.dismiss(Path(text).expanduser())


class HelpDialog(ChoiceDialog):
    """F1: what the step means in WSO2 terms, and the focused field's help."""

    BINDINGS = [Binding("escape,f1", "dismiss('close')", "Close")]
    DIALOG_CLASSES = "dialog help"

    def __init__(self, title: str, body: str):
        super().__init__(title, body, [("close", "Close (escape)")])
