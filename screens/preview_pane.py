"""The live preview: one node's deployment.toml as apply writes it (passwords masked).

The text comes from :mod:`wizard.preview`, the same renderer as the written file.  Only the
node on screen is rendered, and requests are coalesced (an edit asks for a render; edits
that arrive before it runs share it), so a keystroke costs one render of one node.  Lines
that differ from what was last shown for that node are marked (❱ in the gutter and a
background), and the note below names them, so the mark never relies on colour alone.
"""

from __future__ import annotations

import difflib
import time

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, Select, Static

from wizard.model import Answers
from wizard.preview import node_preview, preview_topology
from wizard.topology import Topology

from .code_view import CodeView
from .fields import set_text
from .session import first_errors

THROTTLE = 0.05  # seconds between renders while keys arrive faster than that


def changed_lines(before: str | None, after: str) -> list[int]:
    """1-based numbers of the lines of ``after`` that differ from ``before``."""
    if before is None or before == after:
        return []
    new = after.splitlines()
    matcher = difflib.SequenceMatcher(None, before.splitlines(), new, autojunk=False)
    out: list[int] = []
    for tag, _, _, j1, j2 in matcher.get_opcodes():
        if tag in ("replace", "insert"):
            out.extend(range(j1 + 1, j2 + 1))
        elif tag == "delete" and j1 < len(new):
            out.append(j1 + 1)  # lines were removed just before this one
    return sorted(set(out))


def line_ranges(numbers: list[int]) -> str:
    """[3, 4, 5, 9] -> '3-5, 9'."""
    groups: list[list[int]] = []
    for number in numbers:
        if groups and number == groups[-1][1] + 1:
            groups[-1][1] = number
        else:
            groups.append([number, number])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in groups)


class PreviewPane(Vertical):
    """The preview beside the form; F2 folds it, ctrl+o (or the picker) changes the node."""

    def __init__(self) -> None:
        super().__init__(id="preview")
        self.node: str | None = None
        self._shown: dict[str, str] = {}  # per node, the text last shown (to mark what changed)
        self._answers: Answers | None = None
        self._topology: Topology | None = None
        self._rendered: tuple = (None, None, "")  # (answers, node, text) of the last render
        self._pending = False
        self._rendered_at = 0.0
        self.stale = True  # an edit came while the pane was hidden
        self.last_render_ms = 0.0  # wizard/ rendering of the last update (bench/bench_tui.py)

    def compose(self) -> ComposeResult:
        with Horizontal(id="preview-head"):
            yield Label("Preview", id="preview-label")
            yield Select([], id="node-picker", compact=True, allow_blank=True, prompt="(none)")
            yield Label("repository/conf/deployment.toml", id="preview-path")
        yield CodeView(id="preview-text")
        yield Static("", id="preview-note", markup=False)

    def reset(self) -> None:
        """Other answers: nothing shown before is a baseline any more."""
        self._shown.clear()
        self._answers = self._topology = None
        self._rendered = (None, None, "")
        self.node = None
        self.stale = True

    @property
    def nodes(self) -> list[str]:
        return [n.name for n in self._topology.generated_nodes] if self._topology else []

    @property
    def is_displayed(self) -> bool:
        return bool(self.display)

    def request(self, now: bool = False) -> None:
        """Render: ``now`` (a keystroke) at once, unless the last render was less than
        THROTTLE ago; then, and otherwise, soon, once for however many edits arrive before it
        runs.  A single keystroke costs one render right away; a held key or a burst of them
        at most one render per THROTTLE, the last one always shown."""
        self.stale = True
        if self._pending or not self.is_displayed:
            return
        wait = THROTTLE - (time.perf_counter() - self._rendered_at)
        if now and wait <= 0:
            self.render_now()
            return
        self._pending = True
        if now:
            self.set_timer(wait, self.render_now)
        else:
            self.call_later(self.render_now)

    def render_now(self) -> None:
        self._pending = False
        self.stale = False
        self._rendered_at = time.perf_counter()
        session = self.app.session  # type: ignore[attr-defined]
        note = self.query_one("#preview-note", Static)
        code = self.query_one("#preview-text", CodeView)
        started = time.perf_counter()
        answers = session.answers
        base = answers if answers is not None else session.last_valid
        if base is None:
            self._set_nodes([])
            code.set_code("")
            set_text(note, "No preview yet: the answers are not complete.\n" + "\n".join(first_errors(session.problems())))
            note.set_class(True, "-stale")
            return
        if base is not self._answers:
            self._answers, self._topology = base, preview_topology(base)
            self._set_nodes(self.nodes)
        if not self.nodes:
            code.set_code("")
            set_text(note, "Every profile is marked existing: no node gets files.")
            return
        name = self.node if self.node in self.nodes else self.nodes[0]
        self.node = name
        assert self._topology is not None
        if self._rendered[:2] == (base, name):
            text = self._rendered[2]  # an edit that left the answers invalid: the same last valid file
        else:
            text = node_preview(self._topology, name) or ""
            self._rendered = (base, name, text)
        self.last_render_ms = (time.perf_counter() - started) * 1000
        changed = changed_lines(self._shown.get(name), text)
        self._shown[name] = text
        code.set_code(text, changed=set(changed))
        lines = []
        if answers is None:
            errors = first_errors(session.problems(), 1)
            lines.append(f"⚠ not current: the answers have problems ({errors[0] if errors else 'see Review'}); "
                         "this is the last valid preview")
        if changed:
            lines.append(f"❱ changed since this node was last shown: line{'s' * (len(changed) > 1)} {line_ranges(changed)}")
            code.scroll_to(y=max(changed[0] - 3, 0), animate=False)
        set_text(note, "\n".join(lines))
        note.set_class(answers is None, "-stale")

    def _set_nodes(self, names: list[str]) -> None:
        picker = self.query_one("#node-picker", Select)
        if getattr(picker, "_names", None) != names:
            picker._names = list(names)  # type: ignore[attr-defined]
            with picker.prevent(Select.Changed):
                picker.set_options([(n, n) for n in names])
                if names:
                    picker.value = self.node if self.node in names else names[0]

    def next_node(self) -> None:
        if self.nodes:
            index = self.nodes.index(self.node) if self.node in self.nodes else -1
            self.show_node(self.nodes[(index + 1) % len(self.nodes)])

    def show_node(self, name: str) -> None:
        self.node = name
        picker = self.query_one("#node-picker", Select)
        with picker.prevent(Select.Changed):
            picker.value = name
        self.render_now()

    @on(Select.Changed, "#node-picker")
    def _picked(self, event: Select.Changed) -> None:
        event.stop()
        if isinstance(event.value, str) and event.value != self.node:
            self.node = event.value
            self.render_now()
