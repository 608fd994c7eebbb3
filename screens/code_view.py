"""A scrollable, syntax-highlighted file: highlighted once per change, then only scrolled.

A Static holding a rich Syntax re-runs the highlighter every time the screen repaints it
(several times per keystroke).  Here each line is highlighted once and kept by its text,
so an edit re-highlights only the lines it changed; every repaint copies the visible part
(Textual's line API).  That keeps the preview within its keystroke budget
(bench/bench_tui.py).  TOML tokens do not span lines in the files the wizard writes, so a
line highlights the same alone as in its file.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

CHANGED_STYLE = Style(bgcolor="#4a4a10")
MARK_STYLE = Style(color="red", bold=True)
NUMBER_STYLE = Style(dim=True)


class CodeView(ScrollView, can_focus=True):
    """Read-only highlighted text with line numbers.  Lines in ``changed`` get ❱ in the
    gutter and a background."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._strips: list[Strip] = []
        self._lines: dict[str, list[Segment]] = {}  # highlighted line by its text
        self._theme = ""
        self.text = ""

    def _highlighted(self, syntax, line: str) -> list[Segment]:
        segments = self._lines.get(line)
        if segments is None:
            text = syntax.highlight(line)
            text.rstrip()
            segments = [s for s in text.render(self.app.console) if s.text != "\n"]
            if len(self._lines) > 5000:
                self._lines.clear()
            self._lines[line] = segments
        return segments

    def set_code(self, text: str, language: str = "toml", changed: set[int] | frozenset[int] = frozenset()) -> None:
        from rich.syntax import Syntax  # Pygments loads with the first file shown: startup time

        self.text = text
        theme = "monokai" if self.app.current_theme.dark else "default"
        if theme != self._theme:
            self._theme, self._lines = theme, {}
        syntax = Syntax("", language, theme=theme, background_color="default")
        lines = text.splitlines()
        width = len(str(len(lines)))
        strips = []
        for number, line in enumerate(lines, 1):
            body = self._highlighted(syntax, line)
            if number in changed:
                gutter = [Segment("❱ ", MARK_STYLE), Segment(f"{number:>{width}} ", NUMBER_STYLE)]
                body = list(Segment.apply_style(body, post_style=CHANGED_STYLE))
            else:
                gutter = [Segment("  "), Segment(f"{number:>{width}} ", NUMBER_STYLE)]
            strips.append(Strip([*gutter, *body]))
        self._strips = strips
        self.virtual_size = Size(max((s.cell_length for s in strips), default=0), len(strips))
        self.refresh()
        # Also mark the region on the screen itself: set from a keystroke's handler, the new
        # text then goes out with the frame that shows the keystroke (one frame, not two).
        self.screen.refresh(self.region)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = y + scroll_y
        width = self.size.width
        if index >= len(self._strips):
            return Strip.blank(width, self.rich_style)
        return self._strips[index].crop_extend(scroll_x, scroll_x + width, self.rich_style)
