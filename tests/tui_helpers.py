"""Driving the Textual wizard in tests: an app on a session, keystrokes, waiting until settled."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input, Select, Static

from screens.app import WizardApp
from screens.session import Start, WizardSession


def make_app(preset: str | None = None, answers: list[Path] | None = None, out_dir: Path | None = None) -> WizardApp:
    start = Start(preset=preset, answer_files=tuple(answers or ()))
    return WizardApp(WizardSession.open(start, out_dir=out_dir, environ={}))


async def settle(pilot: Pilot) -> None:
    """Until workers (key generation, writing) are done and the screen caught up."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def type_text(pilot: Pilot, text: str, clear: bool = True) -> None:
    """Type into the focused input, replacing what it holds (ctrl+u clears left of the cursor)."""
    if clear:
        await pilot.press("end", "ctrl+u")
    await pilot.press(*text)


async def paste_text(pilot: Pilot, text: str) -> None:
    """Replace the focused input's text by pasting (as a terminal's bracketed paste does):
    one event instead of a key press per character, for tests about something else than typing."""
    from textual import events

    await pilot.press("end", "ctrl+u")
    pilot.app.focused.post_message(events.Paste(text))
    await pilot.pause()


async def choose(pilot: Pilot, label_start: str) -> None:
    """On a focused Select: open it and pick the option whose label starts with ``label_start``."""
    select = pilot.app.focused
    assert isinstance(select, Select), f"focus is on {select!r}, not a Select"
    labels = [str(prompt) for prompt, _ in select._options]
    index = next(i for i, label in enumerate(labels) if label.startswith(label_start))
    current = select.selection
    now = next((i for i, (_, value) in enumerate(select._options) if value == current), 0)
    await pilot.press("enter")
    await pilot.press(*(["down"] * (index - now) if index >= now else ["up"] * (now - index)), "enter")
    await pilot.pause()


def text_of(app: WizardApp, selector: str) -> str:
    return str(app.query_one(selector, Static).render())


def focused_key(app: WizardApp) -> str | None:
    """The answer path of the field that has the focus."""
    from screens.fields import owning_field

    field = owning_field(app.focused)
    return field.question.key if field is not None else None


def input_value(app: WizardApp) -> str:
    assert isinstance(app.focused, Input), app.focused
    return app.focused.value


def screen_lines(app: WizardApp) -> list[str]:
    """The screen as it is drawn now (every layer composed: toasts over the form), a line of
    text per row, each as wide as the terminal."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


async def burst(pilot: Pilot, *keys: str) -> None:
    """Keys that arrive together, as a terminal hands over what was typed (or sent by tmux
    send-keys) faster than the app handles it: every key is queued before the first is
    handled.  (Pilot.press waits until the app is idle after each key, which hides what
    happens to keys that arrive while an earlier one is still on its way.)"""
    import unicodedata

    from textual import events
    from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key

    app = pilot.app
    for key in keys:  # named as Pilot.press names them
        if len(key) == 1 and not key.isalnum():
            key = _character_to_key(key)
        try:
            char: str | None = unicodedata.lookup(_get_unicode_name_from_key(REPLACED_KEYS.get(key, key)))
        except KeyError:
            char = key if len(key) == 1 else None
        event = events.Key(key, char)
        event.set_sender(app)
        app.post_message(event)
    await pilot.pause()
    await pilot.pause()


async def rename_then_plan(app: WizardApp, pilot: Pilot, name: str) -> None:
    """Give the deployment another name on Start (which changes every generated file), then
    plan the write again on the Write step."""
    from wizard.questions import question_for

    await app.goto("start")
    await app.pane("start").focus_question(question_for(("name",)))
    await pilot.pause()
    await paste_text(pilot, name)
    await app.goto("write")
    await pilot.press("enter")
    await settle(pilot)
