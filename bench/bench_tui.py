"""Figures for the Textual wizard (issue 4).

    .venv/bin/python bench/bench_tui.py [--runs 5] [--keys 40]

1. First screen from the command: the real program in a pseudo-terminal (120x32), time from
   starting the process until the Start step's form is on the screen, and (with a preset)
   until the preview's deployment.toml is too.  Target: under 1 s.
2. Keystroke to preview, in a real terminal: the program in a pseudo-terminal, each key
   typed into cp-1's IP field (HA preset) until the new value is on screen inside the
   preview's TOML (a quoted string: the input field shows it without quotes).
3. The same keystrokes in-process (headless, 120x32 and 160x48), split into what the
   wizard's renderer costs (deployment.toml of the node, secrets masked), the highlighting
   of the changed lines, and Textual's paint of the frame that shows them.
   Target: the preview updates in under 50 ms after a keystroke for the HA topology.
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import os
import pty
import re
import select
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
EXE = shutil.which("apim-wizard", path=str(Path(sys.executable).parent)) or "apim-wizard"
CTRL_Q, CTRL_N, CTRL_E, TAB, BACKSPACE = "\x11", "\x0e", "\x05", "\t", "\x7f"
ESCAPES = re.compile(rb"\x1b\[[0-9;?<>=$]*[A-Za-z~]")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:6.1f} ms"


def summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"median {ms(statistics.median(ordered))}   p95 {ms(p95)}   max {ms(ordered[-1])}   (n={len(ordered)})"


class Terminal:
    """The real program on a pseudo-terminal of a given size."""

    def __init__(self, argv: list[str], size: tuple[int, int] = (120, 32)):
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
        env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(size[0]), "LINES": str(size[1])}
        env = {k: v for k, v in env.items() if not k.startswith("APIM_WIZARD_")}
        self.started = time.perf_counter()
        self.process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                                        cwd=tempfile.gettempdir(), start_new_session=True)
        os.close(slave)
        self.master = master
        self.seen = b""

    def wait_for(self, marker: bytes, timeout: float = 10.0) -> float:
        """Seconds since start when ``marker`` appeared in the output (read from now on), in
        the text without its escape sequences (styles split a highlighted line into pieces)."""
        deadline = time.perf_counter() + timeout
        while marker not in ESCAPES.sub(b"", self.seen):
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise TimeoutError(f"{marker!r} not on the screen after {timeout} s")
            ready, _, _ = select.select([self.master], [], [], remaining)
            if ready:
                try:
                    self.seen += os.read(self.master, 65536)
                except OSError:
                    break
        return time.perf_counter() - self.started

    def send(self, keys: str) -> None:
        self.seen = b""
        os.write(self.master, keys.encode())

    def close(self) -> None:
        try:
            os.write(self.master, CTRL_Q.encode())
            self.process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
        os.close(self.master)


# For scale: the smallest Textual app (one line of text), alone and after importing what the
# wizard's command line imports (the answer model, validator, renderers).
BASELINE = ("from textual.app import App\nfrom textual.widgets import Static\n"
            "class One(App):\n    def compose(self):\n        yield Static('Start from')\nOne().run()\n")


def first_screen(runs: int) -> None:
    print("1. First screen from the command (pseudo-terminal 120x32, a new process each run)")
    for label, argv, markers in [
        ("baseline: a one-line Textual app", [sys.executable, "-c", BASELINE], [b"Start from"]),
        ("baseline: the same + wizard.cli", [sys.executable, "-c", "import wizard.cli\n" + BASELINE], [b"Start from"]),
        ("apim-wizard (new deployment)", [EXE], [b"Start from"]),
        ("apim-wizard tui --preset ha", [EXE, "tui", "--preset", "ha"], [b"Start from", b"# deployment.toml of node cp-1"]),
    ]:
        drawn: dict[bytes, list[float]] = {m: [] for m in markers}
        for _ in range(runs):
            terminal = Terminal(argv)
            try:
                for marker in markers:
                    drawn[marker].append(terminal.wait_for(marker))
            finally:
                terminal.close()
        for marker, samples in drawn.items():
            what = "preview" if b"toml" in marker else "form"
            print(f"   {label:<34} {what:<8} median {statistics.median(samples):.3f} s   "
                  f"max {max(samples):.3f} s   (n={runs})")


def keystrokes_in_terminal(keys: int) -> None:
    print("2. Keystroke to preview in a real terminal (pseudo-terminal 120x32, HA, cp-1's IP field)")
    terminal = Terminal([EXE, "tui", "--preset", "ha"])
    try:
        terminal.wait_for(b"# deployment.toml of node cp-1")
        terminal.send(CTRL_N)
        terminal.wait_for(b"2/10 Topology")
        terminal.send(TAB * 4)
        time.sleep(0.3)
        terminal.send(CTRL_E)  # focus selects the whole value: to its end first
        time.sleep(0.3)
        samples = []
        for index in range(keys):
            typed = index % 2 == 0
            start = time.perf_counter()
            terminal.send("1" if typed else BACKSPACE)
            terminal.wait_for(b'"10.0.0.111"' if typed else b'"10.0.0.11"')
            samples.append(time.perf_counter() - start)
            time.sleep(0.1)
        print(f"   key -> new value in the preview     {summary(samples)}")
    finally:
        terminal.close()


async def keystrokes_in_process(size: tuple[int, int], keys: int) -> None:
    from textual import events
    from textual.screen import Screen

    from screens.app import WizardApp
    from screens.code_view import CodeView
    from screens.preview_pane import PreviewPane
    from screens.session import Start, WizardSession

    marks: dict[str, float] = {}
    painted = asyncio.Event()
    highlight: list[float] = []
    paint: list[float] = []
    set_code, render_now, render_line = CodeView.set_code, PreviewPane.render_now, CodeView.render_line
    refresh = Screen._compositor_refresh

    def timed_set_code(self, *args, **kwargs):
        start = time.perf_counter()
        set_code(self, *args, **kwargs)
        if self.id == "preview-text":
            highlight.append(time.perf_counter() - start)
            marks["updated"] = time.perf_counter()

    def drawn_line(self, y):
        if self.id == "preview-text" and "updated" in marks:
            marks["drawn"] = 1
        return render_line(self, y)

    def timed_refresh(self):
        start = time.perf_counter()
        refresh(self)
        if marks.pop("drawn", None):  # the frame that shows the new text
            paint.append(time.perf_counter() - start)
            marks["painted"] = time.perf_counter()
            painted.set()

    CodeView.set_code, CodeView.render_line, Screen._compositor_refresh = timed_set_code, drawn_line, timed_refresh
    try:
        app = WizardApp(WizardSession.open(Start(preset="ha"), environ={}))
        async with app.run_test(size=size) as pilot:
            await app.goto("topology")
            await pilot.press("tab", "tab", "tab", "tab", "end")
            await pilot.pause(0.3)
            assert app.focused is not None and getattr(app.focused, "value", "") == "10.0.0.11"
            renders, updated, latency = [], [], []
            highlight.clear(), paint.clear()
            for index in range(keys):
                key = "1" if index % 2 == 0 else "backspace"
                painted.clear()
                marks.clear()
                start = time.perf_counter()
                app._driver.send_message(events.Key(key, "1" if key == "1" else None))
                await asyncio.wait_for(painted.wait(), 5)
                updated.append(marks["updated"] - start)
                latency.append(marks["painted"] - start)
                renders.append(app.preview.last_render_ms / 1000)
                await asyncio.sleep(0.1)  # keys slower than the throttle: each one rendered at once
            print(f"   {size[0]}x{size[1]}  key -> preview updated      {summary(updated)}")
            print(f"            of which wizard render    {summary(renders)}")
            print(f"            of which highlighting     {summary(highlight)}")
            print(f"         key -> preview on screen    {summary(latency)}")
            print(f"            of which Textual's paint  {summary(paint)}")
    finally:
        CodeView.set_code, CodeView.render_line, Screen._compositor_refresh = set_code, render_line, refresh


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keys", type=int, default=40)
    args = parser.parse_args()
    first_screen(args.runs)
    keystrokes_in_terminal(args.keys)
    print("3. Keystroke to preview in-process (headless), HA, cp-1's IP field")
    for size in ((120, 32), (160, 48)):
        asyncio.run(keystrokes_in_process(size, args.keys))


if __name__ == "__main__":
    main()
