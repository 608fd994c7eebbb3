"""The Textual wizard driven by key presses (App.run_test + Pilot), on the real session,
validator, renderers, build and file plan.

The whole HA flow starts from nothing, ends in a written deployment, and the answers it
saves replay headless (``apim-wizard apply``) to the same bytes, certificates aside.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest
from textual.widgets import Input, OptionList

from conftest import assert_apply_replays
from screens.app import WizardApp
from screens.session import Start, WizardSession
from tui_helpers import choose, focused_key, settle, text_of, type_text

TYPED_DB_PASSWORD = "Typed-pw-7x"
ENV_DB_PASSWORD = "From-env-shared-pw-9"
ENV_NAME = "TUI_DB_PW"  # short: every character is a key press


async def add_nodes(pilot, prefix: str, base: int) -> None:
    """On the focused '+ Add row' button of an empty node table: two nodes, the second
    counted on from the first."""
    app = pilot.app
    await pilot.press("enter")  # row 1: cp-1 suggested, the hostname is asked first
    assert focused_key(app).endswith("[0].hostname")
    await type_text(pilot, f"{prefix}1.ex.net")
    await pilot.press("tab")
    await type_text(pilot, f"10.0.0.{base}")
    await pilot.press("tab", "tab")  # offset 0 kept; to '+ Add row'
    await pilot.press("enter")  # row 2: name, hostname and IP counted on
    await pilot.pause()


async def ha_flow(pilot, out: Path, saved: Path) -> None:
    app: WizardApp = pilot.app
    # 1 Start: a new deployment, named demo.
    assert isinstance(app.focused, OptionList)
    await pilot.press("enter")
    await pilot.pause()
    assert focused_key(app) == "name"
    await type_text(pilot, "demo")
    await pilot.press("ctrl+n")
    # 2 Topology: version kept; two control planes, two gateways.
    assert app.current == "topology" and focused_key(app) == "version"
    await pilot.press("tab", "tab")  # control_plane.existing, then '+ Add row'
    await add_nodes(pilot, "cp", 11)
    await pilot.press("tab", "tab", "tab", "tab")  # through row 2 to '+ Add row'
    await pilot.press("tab", "tab")  # gateway.existing, then its '+ Add row'
    await add_nodes(pilot, "gw", 21)
    await pilot.press("ctrl+n")
    # 3 Load balancers: asked because both clusters are HA now.
    assert app.current == "load_balancers", text_of(app, "#step-topology .step-status")
    assert focused_key(app) == "control_plane.lb_host"
    await type_text(pilot, "cp.ex.net")
    await pilot.press("tab")
    assert focused_key(app) == "gateway.lb_host"
    await type_text(pilot, "gw.ex.net")
    await pilot.press("ctrl+n")
    # 4 Environments, 5 Messaging: the defaults.
    assert app.current == "environments"
    await pilot.press("ctrl+n")
    assert app.current == "messaging"
    await pilot.press("ctrl+n")
    # 6 Databases: apim_db with a typed password, shared_db from an environment variable.
    assert app.current == "databases" and focused_key(app) == "databases.apim_db.type"
    await pilot.press("tab")
    await type_text(pilot, "db.ex.net")
    await pilot.press("tab", "tab", "tab", "tab")  # port, name, user kept; to the password
    assert focused_key(app) == "databases.apim_db.password"
    await choose(pilot, "type it")
    await pilot.press("tab")
    await type_text(pilot, TYPED_DB_PASSWORD)
    await pilot.press("tab")  # the show/hide button
    await pilot.press("tab")
    assert focused_key(app) == "databases.shared_db.type"
    await pilot.press("tab")
    await type_text(pilot, "db.ex.net")
    await pilot.press("tab", "tab", "tab", "tab")
    await choose(pilot, "environment variable")
    await pilot.press("tab")
    await type_text(pilot, ENV_NAME)
    await pilot.press("ctrl+n")
    # 7 Keystores, 8 Options: the defaults; 9 Review: valid.
    for expected in ("keystores", "options", "review"):
        assert app.current == expected, (expected, app.session.problems())
        await pilot.press("ctrl+n")
    # 10 Write: the plan first, then the files.
    assert app.current == "write" and isinstance(app.focused, Input)
    await type_text(pilot, str(out))
    await pilot.press("enter")
    await settle(pilot)
    plan = text_of(app, "#write-message")
    assert f"Plan for {out}:" in plan and " new" in plan and "changed" not in plan
    assert app.focused.id == "write-button"
    await pilot.press("enter")
    await settle(pilot)
    done = text_of(app, "#done-text")
    assert f"Wrote the deployment to {out}" in done
    # Save the answers (ctrl+s).
    await pilot.press("ctrl+s")
    await pilot.pause()
    await type_text(pilot, str(saved))
    await pilot.press("enter")
    await pilot.pause()


@pytest.fixture
def shared_password(monkeypatch):
    monkeypatch.setenv(ENV_NAME, ENV_DB_PASSWORD)


async def test_whole_ha_flow_by_keys_writes_what_apply_replays(tmp_path, shared_password, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the folder and the answer file are typed as relative paths
    out, saved = Path("out"), Path("demo.toml")
    app = WizardApp(WizardSession.open(Start(), environ={}))
    async with app.run_test(size=(80, 24)) as pilot:
        await ha_flow(pilot, out, saved)
        assert not app.session.dirty
        done = text_of(app, "#done-text")
    # The final screen: start order and each node's start command (the runbook's).
    assert done.index("cp-1 on cp1.ex.net") < done.index("cp-2 on cp2.ex.net") < done.index("gw-1 on")
    assert "sudo systemctl enable --now wso2am-cp-1" in done and "sudo -u wso2 /opt/wso2/gw-2/bin/start.sh" in done

    configs = {n: tomllib.loads((out / n / "repository/conf/deployment.toml").read_text())
               for n in ("cp-1", "cp-2", "gw-1", "gw-2")}
    assert configs["gw-2"]["server"]["hostname"] == "gw.ex.net"
    assert configs["cp-2"]["server"]["node_ip"] == "10.0.0.12"  # counted on from row 1
    assert configs["gw-1"]["apim"]["throttling"]["throttle_decision_endpoints"] == [
        "tcp://cp1.ex.net:5672", "tcp://cp2.ex.net:5672"]
    assert configs["cp-1"]["database"]["apim_db"]["password"] == TYPED_DB_PASSWORD
    assert configs["gw-1"]["database"]["shared_db"]["password"] == ENV_DB_PASSWORD

    # Saved answers: references only; the typed value is in the 0600 secrets file next to them.
    answers = tomllib.loads(saved.read_text())
    assert answers["name"] == "demo"
    assert answers["databases"]["apim_db"]["password"] == {"stored": True}
    assert answers["databases"]["shared_db"]["password"] == {"env": ENV_NAME}
    secrets = Path("demo.secrets.toml")
    assert os.stat(secrets).st_mode & 0o777 == 0o600
    assert tomllib.loads(secrets.read_text())["stored"] == {"databases.apim_db.password": TYPED_DB_PASSWORD}
    assert TYPED_DB_PASSWORD not in saved.read_text() and TYPED_DB_PASSWORD not in (out / "answers.toml").read_text()

    # Headless replay of the saved answers: the same bytes, keys and certificates aside.
    assert_apply_replays(saved, out / "secrets.toml", out, Path("replay"), at_least=25)
