"""A scrollable, syntax-highlighted file: highlighted once per change, then only scrolled.

A Static holding a rich Syntax re-runs the highlighter every time the screen repaints it
(several times per keystroke); here the file is rendered to lines once when it changes and
each repaint copies the visible part (Textual's line API), which keeps the preview within
its keystroke budget (bench/bench_tui.py).
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from rich.syntax import Syntax
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

CHANGED_STYLE = Style(bgcolor="#4a4a10")


class CodeView(ScrollView, can_focus=True):
    """Read-only highlighted text.  Lines in ``changed`` get ❱ in the gutter and a background."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._strips: list[Strip] = []
        self.text = ""

    def set_code(self, text: str, language: str = "toml", changed: set[int] | frozenset[int] = frozenset()) -> None:
        self.text = text
        lines = text.splitlines() or [""]
        width = max(len(line) for line in lines)
        theme = "monokai" if self.app.current_theme.dark else "default"
        syntax = Syntax(text, language, theme=theme, line_numbers=True, highlight_lines=set(changed),
                        word_wrap=False, background_color="default", code_width=max(width, 1))
        for line in changed:
            syntax.stylize_range(CHANGED_STYLE, (line, 0), (line + 1, 0))
        console = self.app.console
        gutter = len(str(len(lines))) + 3
        options = console.options.update(width=width + gutter + 1, no_wrap=True, height=None)
        rendered = console.render_lines(syntax, options, pad=False, new_lines=False)
        self._strips = [Strip(Segment.simplify(line)) for line in rendered]
        self.virtual_size = Size(max((s.cell_length for s in self._strips), default=0), len(self._strips))
        self.refresh()

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = y + scroll_y
        width = self.size.width
        if index >= len(self._strips):
            return Strip.blank(width, self.rich_style)
        return self._strips[index].crop_extend(scroll_x, scroll_x + width, self.rich_style)
