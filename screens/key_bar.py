"""The keys that work here, on one line: each with its action's name, clickable.

Textual's Footer mounts a widget per key again on every focus change; in a form every Tab
then costs a full layout.  This bar is one line of text, redrawn only when the set of keys
changes (entering a table adds ctrl+t / ctrl+r).
"""

from __future__ import annotations

from textual.content import Content
from textual.screen import Screen
from textual.widgets import Static


class KeyBar(Static):
    def __init__(self) -> None:
        super().__init__("", id="key-bar")
        self._keys: tuple | None = None

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)
        self.bindings_changed(self.screen)

    def bindings_changed(self, screen: Screen) -> None:
        shown = [(self.app.get_key_display(b), b.description, b.key, enabled)
                 for _, b, enabled, _ in screen.active_bindings.values() if b.show]
        keys = tuple(shown)
        if keys == self._keys:
            return
        self._keys = keys
        parts = []
        for display, description, key, enabled in shown:
            text = Content.from_markup("[b]$display[/b] $description", display=display, description=description)
            if enabled:
                text = text.stylize(f"@click=app.simulate_key({key!r})")
            else:
                text = text.stylize("dim")
            parts.append(text)
        palette = Content.from_markup("[b]^p[/b] palette").stylize("@click=app.command_palette")
        self.update(Content("  ").join([*parts, palette]))
