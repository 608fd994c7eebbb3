"""Screenshots of every step (80x24, the smallest terminal the wizard is laid out for) and
one at 160x48, compared with the committed SVGs in __snapshots__/ (pytest-textual-snapshot).

After a deliberate change of the screens: look at the report of the failed run
(snapshot_report.html), then accept with ``pytest tests/test_tui_snapshots.py
--snapshot-update`` and commit the SVGs.

Deterministic by construction: the HA preset without environment variables, no cursor
blinking, no clock, relative paths only.
"""

from __future__ import annotations

import pytest
from textual.widgets import Input

from tui_helpers import make_app, paste_text
from wizard.questions import STEPS


@pytest.fixture(autouse=True)
def still_screen(monkeypatch, tmp_path):
    """No blinking cursor, no developer's own environment or folder in the picture."""
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    for name in [n for n in __import__("os").environ if n.startswith("APIM_WIZARD_")]:
        monkeypatch.delenv(name)


def at_step(key: str):
    async def run_before(pilot) -> None:
        await pilot.app.goto(key)
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("key", [s.key for s in STEPS])
def test_each_step_at_80x24(snap_compare, key):
    assert snap_compare(make_app("ha"), terminal_size=(80, 24), run_before=at_step(key))


def test_a_refused_value_at_80x24(snap_compare):
    """The problem under its field, the step's status, the error count in the breadcrumb."""

    async def run_before(pilot) -> None:
        await pilot.app.goto("load_balancers")
        await paste_text(pilot, "cp_lb.example.com")
        await pilot.press("ctrl+n")
        await pilot.pause()
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(make_app("ha"), terminal_size=(80, 24), run_before=run_before)


def test_topology_with_the_preview_at_160x48(snap_compare):
    """Steps, form and the preview side by side; the edited line marked in the preview."""

    async def run_before(pilot) -> None:
        await pilot.app.goto("topology")
        await pilot.press("tab", "tab", "tab", "tab")  # cp-1's IP
        await paste_text(pilot, "10.0.0.99")
        await pilot.pause()

    assert snap_compare(make_app("ha"), terminal_size=(160, 48), run_before=run_before)
