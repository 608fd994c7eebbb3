"""Steps that show more than their fields: where the deployment starts from (Start), the
JDBC URL being built (Databases), the names each certificate will cover (Keystores).

Each value shown comes from ``wizard/`` (the presets, ``wizard.jdbc``, the topology): the
form only displays it.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pydantic import ValidationError
from textual import on
from textual.containers import Horizontal
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from wizard.jdbc import jdbc_url_for_toml
from wizard.model import Databases
from wizard.model_paths import effective_value, unwrap
from wizard.presets import list_presets
from wizard.preview import preview_topology
from wizard.problems import Path as FieldPath
from wizard.questions import step

from .fields import TextInput, set_text
from .session import Start
from .step_pane import StepPane


class StartChosen(Message):
    """The operator chose where the answers start from."""

    def __init__(self, start: Start) -> None:
        super().__init__()
        self.start = start


class StartPane(StepPane):
    def __init__(self) -> None:
        super().__init__(step("start"))

    def lead(self) -> Iterable[Widget]:
        yield Static("", id="start-source", markup=False)
        yield Label("Start from (enter chooses; the answers are replaced):", classes="start-label")
        options = [Option("a new deployment: every answer from the built-in defaults", id="new")]
        options += [Option(f"preset {p.name}: {p.description}", id=f"preset:{p.name}") for p in list_presets()]
        options.append(Option("an answer file saved before: type its path below", id="file"))
        choices = OptionList(*options, id="start-choices", compact=True)
        start = self.session.start
        wanted = {"new": "new", "preset": f"preset:{start.preset}", "file": "file"}[start.kind]
        choices.highlighted = next((i for i, o in enumerate(options) if o.id == wanted), 0)
        yield choices
        with Horizontal(classes="field-line", id="start-file"):
            yield Label("Answer file", classes="field-label")
            text = str(start.answer_files[-1]) if start.answer_files else ""
            yield TextInput(text, placeholder="path/to/answers.toml (enter opens it)", compact=True, id="answers-path")
            yield Button("Open", compact=True, id="open-answers")

    def update_extras(self) -> None:
        session = self.session
        lines = [f"Answers now: {session.source}" + ("  (typed changes not saved)" if session.dirty else "")]
        lines += [f"⚠ {note}" for note in session.notes]
        set_text(self.query_one("#start-source", Static), "\n".join(lines))

    @on(OptionList.OptionSelected, "#start-choices")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        choice = event.option.id or "new"
        if choice == "file":
            self.query_one("#answers-path", Input).focus()
        elif choice.startswith("preset:"):
            self.post_message(StartChosen(Start(preset=choice.split(":", 1)[1])))
        else:
            self.post_message(StartChosen(Start()))

    @on(Input.Submitted, "#answers-path")
    @on(Button.Pressed, "#open-answers")
    def _open(self, event: Input.Submitted | Button.Pressed) -> None:
        event.stop()
        text = self.query_one("#answers-path", Input).value.strip()
        if text:
            self.post_message(StartChosen(Start(answer_files=(Path(text).expanduser(),))))
        else:
            self.app.notify("Type the path of an answer file first.", severity="warning")


class DatabasesPane(StepPane):
    def __init__(self) -> None:
        super().__init__(step("databases"))

    def section_end(self, section: FieldPath) -> Iterable[Widget]:
        if len(section) == 2 and section[0] == "databases":
            yield Static("", classes="derived jdbc-url", name=str(section[1]), markup=False)

    def update_extras(self) -> None:
        raw = self.session.raw
        for box in self.query(".jdbc-url").results(Static):
            key = box.name or ""
            model = unwrap(Databases.model_fields[key].annotation)
            table = effective_value(raw, ("databases", key))
            # The URL does not depend on the password: one being typed must not hide it.
            fields = {**table, "password": {"generate": True}} if isinstance(table, dict) else table
            try:
                db = model.model_validate(fields)
            except ValidationError:
                set_text(box, "JDBC URL: shown once type, host, port and name are valid")
                continue
            set_text(box, f"JDBC URL written to [database.{key}] url:\n  {jdbc_url_for_toml(db)}")


class KeystoresPane(StepPane):
    def __init__(self) -> None:
        super().__init__(step("keystores"))

    def extras(self) -> Iterable[Widget]:
        yield Static("", classes="derived", id="certificate-names", markup=False)

    def update_extras(self) -> None:
        answers = self.session.answers
        box = self.query_one("#certificate-names", Static)
        if answers is None:
            set_text(box, "Certificate names: shown once the answers are valid (see Review).")
            return
        topology = preview_topology(answers)
        lines = ["Names each TLS certificate covers (SANs), from the topology:"]
        lines += [f"  {node.name}: {', '.join(topology.tls_names(node))}" for node in topology.generated_nodes]
        if answers.pki.ca != "external":  # with external certificates the LBs bring their own
            lines += [f"  load balancer {host}: {', '.join(topology.lb_names(key))}"
                      for key, host in topology.load_balancers().items()]
        set_text(box, "\n".join(lines))
