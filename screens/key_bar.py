"""The keys that work here, on one line: each with its action's name, clickable.

Textual's Footer mounts a widget per key again on every focus change; in a form every Tab
then costs a full layout.  This bar is one line of text, redrawn only when the set of keys
changes (entering a table adds ctrl+t / ctrl+r).
"""

from __future__ import annotations

from textual.binding import Binding
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
        active = [(node, b, enabled) for node, b, enabled, _ in screen.active_bindings.values() if b.show]
        # The wizard's own keys first (next, back, ...), then those of the focused widget, quit last.
        rank = {b.action: i for i, b in enumerate(self.app.BINDINGS) if isinstance(b, Binding)}
        active.sort(key=lambda item: (item[1].action == "quit", item[0] is not self.app,
                                      rank.get(item[1].action, len(rank))))
        shown = [(self.app.get_key_display(b), b.description, b.key, enabled) for _, b, enabled in active]
        keys = tuple(shown)
        if keys == self._keys:
            return
        self._keys = keys
        parts = []
        for display, description, key, enabled in shown:
            text = Content.assemble((display, "bold"), " ", description)
            if enabled:
                text = text.stylize(f"@click=app.simulate_key({key!r})")
            else:
                text = text.stylize("dim")
            parts.append(text)
        palette = Content.assemble(("^p", "bold"), " palette").stylize("@click=app.command_palette")
        self.update(Content("  ").join([*parts, palette]))
