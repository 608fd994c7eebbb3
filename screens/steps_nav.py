"""Where the operator is: the step list (wide terminals) or a one-line breadcrumb (80 columns).

Each step carries a sign and a word, not only a colour: ▶ current, ✓ visited without
errors, ✗ N errors, – not needed for these answers (load balancers of single nodes).
"""

from __future__ import annotations

from textual import on
from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from wizard.questions import STEPS

SHORT = {"start": "Start", "topology": "Topology", "load_balancers": "LB", "environments": "Env",
         "messaging": "JMS", "databases": "DB", "keystores": "Keys", "options": "Options", "review": "Review",
         "write": "Write"}


# The step list is narrow: long titles in short.
LIST_TITLES = {"keystores": "Keystores & certs", "messaging": "Messaging (JMS)"}


class StepChosen(Message):
    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key


def mark(key: str, current: str, visited: set[str], errors: dict[str, int], needed: bool) -> str:
    if key == current:
        return "▶"
    if not needed:
        return "–"
    if errors.get(key):
        return "✗"
    return "✓" if key in visited else " "


class StepList(OptionList):
    """The steps down the left side; enter or a click goes to one."""

    def __init__(self) -> None:
        super().__init__(id="steps", compact=True)

    def show(self, current: str, visited: set[str], errors: dict[str, int], needed: dict[str, bool]) -> None:
        state = (current, tuple(sorted(visited)), tuple(sorted(errors.items())), tuple(needed.items()))
        if state == getattr(self, "_marks", None):
            return  # rebuilding the options costs a layout: only when a mark changes
        self._marks = state
        options = []
        for step in STEPS:
            sign = mark(step.key, current, visited, errors, needed[step.key])
            count = f" {errors[step.key]}" if errors.get(step.key) and step.key != current else ""
            if step.key == "review" and errors.get(""):
                count = f" {errors['']}"
            text = Content(f"{sign} {LIST_TITLES.get(step.key, step.title)}{count}")
            if not needed[step.key]:
                text = text.stylize("dim")
            options.append(Option(text, id=step.key))
        self.clear_options()
        self.add_options(options)
        self.highlighted = [s.key for s in STEPS].index(current)

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.post_message(StepChosen(event.option.id or "start"))


class Breadcrumb(Static):
    """The steps on one line; the current one in brackets.  Clickable."""

    def __init__(self) -> None:
        super().__init__("", id="breadcrumb")

    def show(self, current: str, visited: set[str], errors: dict[str, int], needed: dict[str, bool]) -> None:
        state = (current, tuple(sorted(errors.items())), tuple(needed.items()))
        if state == getattr(self, "_marks", None):
            return
        self._marks = state
        parts = []
        for step in STEPS:
            if not needed[step.key] and step.key != current:
                continue
            name = SHORT[step.key]
            if step.key == current:
                parts.append(f"[bold reverse]\\[{name}][/]")
            else:
                bad = "✗" if errors.get(step.key) else ""
                parts.append(f"[@click=app.goto_step('{step.key}')]{name}{bad}[/]")
        self.update(Content.from_markup(" › ".join(parts)))
