"""The real program in a real terminal: ``apim-wizard`` (no arguments) inside tmux, driven by
keys sent to the pane and read back from the screen, from the Start step to a written
deployment.  A tmux server of its own (``-L``) keeps the test away from any other session."""

from __future__ import annotations

import io
import os
import re
import shlex
import sys
import time
import tomllib
from pathlib import Path

import pytest

from conftest import require_tool
from tools import run
from wizard.cli import main

EXE = Path(sys.executable).parent / "apim-wizard"


class Pane:
    def __init__(self, tmux: str, socket: str, folder: Path, command: str):
        self.tmux, self.socket, self.folder = tmux, socket, folder
        self.name = "wizard"
        script = folder / "run.sh"
        # The developer's own APIM_WIZARD_* answers must not leak into the answers.
        unset = " ".join(k for k in os.environ if k.startswith("APIM_WIZARD_"))
        script.write_text(f"{'unset ' + unset if unset else ''}\ncd {shlex.quote(str(folder))}\n{command}\n"
                          "echo \"exit=$?\" > exit-code\n")
        # A detached session has tmux's default size, 80x24: the smallest the wizard is laid out for.
        result = self.tmux_run("new-session", "-d", "-s", self.name, f"sh {shlex.quote(str(script))}")
        assert result.returncode == 0, result.stderr

    def tmux_run(self, *args: str):
        return run([self.tmux, "-L", self.socket, *args], timeout=30)

    def screen(self) -> str:
        return self.tmux_run("capture-pane", "-p", "-t", self.name).stdout

    def wait_for(self, text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} did not appear on the screen:\n{self.screen()}")

    def keys(self, *keys: str) -> None:
        for key in keys:
            self.tmux_run("send-keys", "-t", self.name, key)
            time.sleep(0.15)

    def type(self, text: str) -> None:
        self.tmux_run("send-keys", "-t", self.name, "-l", text)
        time.sleep(0.3)

    def close(self) -> None:
        self.tmux_run("kill-server")


@pytest.fixture
def terminal(tmp_path):
    tmux = require_tool("tmux")
    panes: list[Pane] = []

    def start(command: str) -> Pane:
        pane = Pane(tmux, f"apim-wizard-test-{os.getpid()}", tmp_path, command)
        panes.append(pane)
        return pane

    yield start
    for pane in panes:
        pane.close()


def test_the_wizard_in_a_real_terminal_from_start_to_a_written_deployment(terminal, tmp_path):
    pane = terminal(shlex.quote(str(EXE)))  # no arguments: a terminal, so the wizard opens
    pane.wait_for("Start from")
    pane.wait_for("a new deployment")
    pane.keys("Down", "Enter")  # preset ha
    pane.wait_for("Answers now: preset ha")
    for title in ("Topology", "Load balancers", "Environments", "Messaging", "Databases", "Keystores", "Options",
                  "Review", "Write"):
        pane.keys("C-n")
        pane.wait_for(f"{title}")
    screen = pane.wait_for("Output folder")
    assert "10/10 Write" in screen
    pane.keys("End", "C-u")
    pane.type("out")
    pane.keys("Enter")
    screen = pane.wait_for("Plan for out:")
    assert " new." in screen and re.search(r"new +cp-1/repository/conf/deployment\.toml", screen), screen
    assert not (tmp_path / "out").exists()  # the plan writes nothing
    pane.keys("Enter")  # the Write button has the focus
    screen = pane.wait_for("Wrote the deployment to out")
    assert "Start order" in screen and "sudo systemctl enable --now wso2am-cp-1" in screen
    pane.keys("C-q")  # everything is in the output: no question
    deadline = time.monotonic() + 15
    while not (tmp_path / "exit-code").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert (tmp_path / "exit-code").read_text().strip() == "exit=0"

    out = tmp_path / "out"
    config = tomllib.loads((out / "cp-1/repository/conf/deployment.toml").read_text())
    assert config["server"]["hostname"] == "cp.example.com"
    # What apply writes from the same answers and secrets, byte for byte (keys aside).
    replay = tmp_path / "replay"
    assert main(["apply", "--answers", str(out / "answers.toml"), "--secrets", str(out / "secrets.toml"),
                 "--out", str(replay)], out=io.StringIO()) == 0
    for node in ("cp-1", "cp-2", "gw-1", "gw-2"):
        path = f"{node}/repository/conf/deployment.toml"
        assert (out / path).read_bytes() == (replay / path).read_bytes()
    assert (out / "RUNBOOK.md").read_bytes() == (replay / "RUNBOOK.md").read_bytes()
