"""The Textual wizard's behaviours, each driven by keys (or the mouse) through Pilot:
validation blocks Next with the reason, going back keeps what was typed, the preview
follows edits without ever showing a secret, Review jumps to fields, saving, quitting,
writing over an earlier run, and the command palette."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from textual.widgets import Button, Input, OptionList

from screens.code_view import CodeView
from screens.dialogs import ChoiceDialog, PathDialog
from screens.session import Start, WizardSession
from tui_helpers import (burst, choose, focused_key, make_app, paste_text, rename_then_plan, screen_lines, settle,
                         text_of, type_text)
from wizard.cli import main
from wizard.questions import question_for


def notifications(app) -> str:
    return "\n".join(f"{n.title}: {n.message}" for n in app._notifications)


def field_problems(app, key: str) -> str:
    from screens.fields import field_id

    field = app.query_one(f"#{field_id(tuple(int(p) if p.isdigit() else p for p in key.replace('[', '.').replace(']', '').split('.')))}")
    return "\n".join(str(box.render()) for box in field.query(".field-problems") if box.display)


async def test_invalid_input_blocks_next_with_the_reason_at_the_field(tmp_path):
    app = make_app("ha")
    async with app.run_test(size=(100, 30)) as pilot:
        await app.goto("load_balancers")
        await pilot.pause()
        assert focused_key(app) == "control_plane.lb_host"
        await type_text(pilot, "cp_lb.example.com")
        await pilot.pause()
        shown = field_problems(app, "control_plane.lb_host")
        assert "✗ error" in shown and '"cp_lb.example.com"' in shown and "'_' is not allowed" in shown
        assert "✗ 1 problem in this step" in text_of(app, "#step-load_balancers .step-status")
        await pilot.press("tab")  # leave the field: Next still refuses, and goes back to it
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.current == "load_balancers"
        assert focused_key(app) == "control_plane.lb_host"
        assert "Load balancers: fix this first" in notifications(app)
        assert "control_plane.lb_host = \"cp_lb.example.com\"" in notifications(app)
        # Fixed: Next goes on.
        await paste_text(pilot, "cp-lb.example.com")
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.current == "environments"


async def test_text_that_does_not_parse_blocks_next_and_is_kept():
    app = make_app("ha")
    async with app.run_test(size=(100, 30)) as pilot:
        await app.goto("databases")
        await pilot.press("f3")  # the advanced settings: JDBC URL parameters
        await pilot.pause()
        await app.pane("databases").focus_question(question_for(("databases", "apim_db", "params")))
        await pilot.pause()
        assert focused_key(app) == "databases.apim_db.params"
        await type_text(pilot, "useSSL")
        await pilot.pause()
        assert "is not key=value" in field_problems(app, "databases.apim_db.params")
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.current == "databases"
        await pilot.press("ctrl+b", "ctrl+n")  # away and back: the text is still there, still refused
        await pilot.pause()
        assert app.current == "databases"
        await app.pane("databases").focus_question(app.session.unparsed["databases.apim_db.params"].question)
        await pilot.pause()
        assert app.focused.value == "useSSL"
        await paste_text(pilot, "useSSL=true")
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.current == "keystores"
        assert app.session.raw["databases"]["apim_db"]["params"] == {"useSSL": True}


async def test_back_navigation_keeps_the_values_typed():
    app = make_app("ha")
    async with app.run_test(size=(100, 30)) as pilot:
        await app.goto("topology")
        await pilot.press("tab", "tab")  # from the version: existing, then cp-1's name
        await pilot.press("tab", "tab")  # hostname, IP of cp-1
        assert focused_key(app) == "control_plane.nodes[0].ip"
        await type_text(pilot, "10.1.2.3")
        await pilot.press("ctrl+n")  # Load balancers
        await pilot.press("tab")
        await paste_text(pilot, "gw-lb.example.org")
        await pilot.press("ctrl+n", "ctrl+b", "ctrl+b")
        await pilot.pause()
        assert app.current == "topology"
        ip = app.query_one("#q-control_plane-nodes-0-ip Input", Input)
        assert ip.value == "10.1.2.3"
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.query_one("#q-gateway-lb_host Input", Input).value == "gw-lb.example.org"
        assert app.session.raw["control_plane"]["nodes"][0]["ip"] == "10.1.2.3"


async def test_load_balancers_are_skipped_for_single_nodes():
    app = make_app("single")
    async with app.run_test(size=(100, 30)) as pilot:
        await app.goto("topology")
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.current == "environments"
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert app.current == "topology"
        # Adding a second gateway makes it HA: the step is asked, and refuses Next without an LB.
        app.pane("topology").query(".row-add").last().focus()
        await pilot.press("enter")
        await pilot.pause()
        # gw-2 is counted on from gw-1; gw.example.com has no number, so its hostname is asked.
        assert focused_key(app) == "gateway.nodes[1].hostname"
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.current == "topology" and "gateway.nodes[1].hostname" in notifications(app)
        await paste_text(pilot, "gw2.example.com")
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.current == "load_balancers"
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.current == "load_balancers"
        assert "gateway.lb_host" in notifications(app)


async def test_rows_are_added_counted_on_and_removed_by_keys():
    app = make_app("ha")
    async with app.run_test(size=(100, 30)) as pilot:
        await app.goto("topology")
        await pilot.press("tab", "tab")  # cp-1's name
        assert focused_key(app) == "control_plane.nodes[0].name"
        await pilot.press("ctrl+t")
        await pilot.pause()
        nodes = app.session.raw["control_plane"]["nodes"]
        assert [n["name"] for n in nodes] == ["cp-1", "cp-2", "cp-3"]
        assert nodes[2]["hostname"] == "cp3.example.com" and nodes[2]["ip"] == "10.0.0.13"
        await pilot.press("ctrl+r")  # the focused row: cp-3
        await pilot.pause()
        assert [n["name"] for n in app.session.raw["control_plane"]["nodes"]] == ["cp-1", "cp-2"]


async def test_preview_follows_edits_marks_changed_lines_and_never_shows_a_secret():
    app = make_app("ha")
    async with app.run_test(size=(140, 40)) as pilot:
        await app.goto("topology")
        await pilot.pause()
        preview = app.query_one("#preview-text", CodeView)
        assert preview.text.startswith("# deployment.toml of node cp-1")
        assert 'node_ip = "10.0.0.11"' in preview.text
        await pilot.press("tab", "tab", "tab", "tab")  # existing, cp-1's name, hostname, IP
        assert focused_key(app) == "control_plane.nodes[0].ip"
        await type_text(pilot, "10.0.0.99")
        await pilot.pause()
        assert 'node_ip = "10.0.0.99"' in preview.text
        note = text_of(app, "#preview-note")
        number = preview.text.splitlines().index('node_ip = "10.0.0.99"') + 1
        assert "❱ changed since this node was last shown" in note and str(number) in note
        await pilot.press("ctrl+o")  # the next node
        await pilot.pause()
        assert preview.text.startswith("# deployment.toml of node cp-2")
        # A typed password reaches the answers, never the screen.
        await app.goto("databases")
        await pilot.press("tab", "tab", "tab", "tab", "tab")
        await choose(pilot, "type it")
        await pilot.press("tab")
        await paste_text(pilot, "Sup3r-Secret-Value")
        await pilot.pause()
        assert app.session.raw["databases"]["apim_db"]["password"] == "Sup3r-Secret-Value"
        assert "Sup3r-Secret-Value" not in preview.text and 'password = "********"' in preview.text
        assert "Sup3r-Secret-Value" not in app.export_screenshot()
        entry = app.focused
        assert entry.password
        await pilot.press("tab", "enter")  # show: the operator asked to see what they type
        assert not entry.password and str(app.focused.label) == "hide"


async def test_preview_folds_with_f2_and_is_folded_at_80_columns():
    app = make_app("ha")
    async with app.run_test(size=(80, 24)) as pilot:
        await app.goto("topology")
        await pilot.pause()
        assert not app.query_one("#preview").region.width
        await pilot.press("f2")
        await pilot.pause()
        assert app.query_one("#preview").region.width == 80
        assert app.query_one("#preview-text", CodeView).text.startswith("# deployment.toml of node cp-1")
        await pilot.press("f2")
        await pilot.pause()
        assert not app.query_one("#preview").region.width
        assert focused_key(app) == "version"
    app = make_app("ha")
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        assert app.query_one("#preview").region.width > 50
        await pilot.press("f2")
        await pilot.pause()
        assert not app.query_one("#preview").region.width


def write_answers(path: Path, preset: str, **changes) -> Path:
    from wizard.answers_io import dump_answers
    from wizard.presets import load_preset
    from wizard.validation import validate_answers

    raw = load_preset(preset).raw()
    raw.update(changes)
    answers, _ = validate_answers(raw)
    if answers is not None:
        path.write_text(dump_answers(answers))
    else:
        import tomlkit

        path.write_text(tomlkit.dumps(raw))
    return path


async def test_review_lists_every_problem_and_jumps_to_its_field(tmp_path):
    import tomlkit

    raw = tomllib.loads((Path(__file__).parents[1] / "presets" / "ha.toml").read_text())
    raw["gateway"]["lb_host"] = "gw_lb"
    raw["databases"]["shared_db"]["port"] = 70000
    raw["surprise"] = 1
    answers = tmp_path / "bad.toml"
    answers.write_text(tomlkit.dumps(raw))
    app = make_app(answers=[answers])
    async with app.run_test(size=(120, 36)) as pilot:
        await app.goto("review")
        await pilot.pause()
        listing = app.query_one("#problem-list", OptionList)
        shown = [str(listing.get_option_at_index(i).prompt) for i in range(listing.option_count)]
        assert any("gateway.lb_host" in s and "step Load balancers" in s for s in shown)
        assert any("databases.shared_db.port" in s and "step Databases" in s for s in shown)
        assert any("surprise" in s and "no field asks for it" in s for s in shown)
        assert "✗ 3 errors" in text_of(app, "#review-summary")
        await pilot.press("ctrl+n")  # refused: Write needs valid answers
        await pilot.pause()
        assert app.current != "write"
        await app.goto("review")
        app.query_one("#problem-list").focus()
        index = next(i for i, s in enumerate(shown) if "gateway.lb_host" in s)
        listing.highlighted = index
        await pilot.press("enter")
        await pilot.pause()
        assert app.current == "load_balancers" and focused_key(app) == "gateway.lb_host"
        # The answer no field asks for: removed after a confirmation.
        await app.goto("review")
        await pilot.pause()
        listing = app.query_one("#problem-list", OptionList)
        listing.focus()
        listing.highlighted = next(i for i in range(listing.option_count)
                                   if "surprise" in str(listing.get_option_at_index(i).prompt))
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog)
        await pilot.press("enter")  # "Remove it"
        await pilot.pause()
        assert "surprise" not in app.session.raw


async def test_save_refuses_invalid_answers_then_saves_without_secrets(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = WizardApp_new()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "Cannot save: the answers have problems" in notifications(app)
        assert not isinstance(app.screen, PathDialog)
    app = make_app("ha")
    async with app.run_test(size=(100, 30)) as pilot:
        await app.goto("databases")
        await pilot.press("tab", "tab", "tab", "tab", "tab")
        await choose(pilot, "type it")
        await pilot.press("tab")
        await paste_text(pilot, "Typed-Secret-1")
        assert app.session.dirty
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, PathDialog)
        await type_text(pilot, "mine.toml")
        await pilot.press("enter")
        await pilot.pause()
        assert not app.session.dirty and "Answers saved" in notifications(app)
    saved = tmp_path / "mine.toml"
    assert "Typed-Secret-1" not in saved.read_text()
    assert tomllib.loads(saved.read_text())["databases"]["apim_db"]["password"] == {"stored": True}
    assert tomllib.loads((tmp_path / "mine.secrets.toml").read_text())["stored"] == {
        "databases.apim_db.password": "Typed-Secret-1"}
    # Opened again from the file, the typed secret is known (kept, not asked again).
    app = make_app(answers=[saved])
    async with app.run_test(size=(100, 30)) as pilot:
        await app.goto("write")
        assert app.session.for_writing()[1] == {"databases.apim_db.password": "Typed-Secret-1"}


def WizardApp_new():
    from screens.app import WizardApp

    return WizardApp(WizardSession.open(Start(), environ={}))


async def test_quit_asks_only_when_typed_answers_are_unsaved():
    app = make_app("ha")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert app.return_value == 0  # nothing typed: quits at once
    app = make_app("ha")
    async with app.run_test(size=(100, 30)) as pilot:
        await app.pane("start").focus_question(question_for(("name",)))
        await pilot.pause()
        await type_text(pilot, "renamed")
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog)
        await pilot.press("escape")  # cancel: still running
        await pilot.pause()
        assert not isinstance(app.screen, ChoiceDialog) and app.is_running
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.press("tab", "enter")  # "Quit without saving"
        await pilot.pause()
    assert app.return_value == 0


async def test_start_opens_an_answer_file_and_reports_a_bad_path(tmp_path):
    good = write_answers(tmp_path / "single.toml", "single")
    app = WizardApp_new()
    async with app.run_test(size=(100, 30)) as pilot:
        choices = app.query_one("#start-choices", OptionList)
        assert app.focused is choices
        choices.highlighted = choices.option_count - 1  # an answer file
        await pilot.press("enter")
        assert app.focused.id == "answers-path"
        await paste_text(pilot, str(tmp_path / "missing.toml"))
        await pilot.press("enter")
        await pilot.pause()
        assert "no such answer file" in notifications(app)
        app.query_one("#answers-path").focus()
        await paste_text(pilot, str(good))
        await pilot.press("enter")
        await pilot.pause()
        assert app.session.source == str(good)
        assert "1 CP" in text_of(app, "#summary")


async def test_write_plans_first_confirms_overwrites_and_keeps_unchanged_files(tmp_path, monkeypatch):
    import threading

    from screens.write_pane import WritePane

    progress: list[tuple[int, int, bool]] = []
    shown = WritePane.show_progress

    def recorded(self, done, total):  # called in the UI thread for the worker's progress
        progress.append((done, total, threading.current_thread() is threading.main_thread()))
        shown(self, done, total)

    monkeypatch.setattr(WritePane, "show_progress", recorded)
    out = tmp_path / "out"
    app = make_app("ha", out_dir=out)
    async with app.run_test(size=(120, 36)) as pilot:
        await app.goto("write")
        await pilot.press("enter")  # plan
        await settle(pilot)
        assert not out.exists()  # the plan wrote nothing
        # Keys were made in a worker thread, the progress bar followed them in the UI thread.
        assert progress and progress[-1][0] == progress[-1][1] > 1 and all(main for _, _, main in progress)
        await pilot.press("enter")  # write
        await settle(pilot)
        first = (out / "cp-1/repository/conf/deployment.toml").read_bytes()
        # Again, unchanged: nothing to confirm.
        app.query_one("#out-dir").focus()
        await pilot.press("enter")
        await settle(pilot)
        assert "unchanged" in text_of(app, "#write-message") and "changed," not in text_of(app, "#write-message")
        # Change an answer: the plan shows changed files, and replacing them is confirmed first.
        await rename_then_plan(app, pilot, "renamed")
        assert "changed" in text_of(app, "#write-message")
        assert "will be replaced or removed; you confirm that first" in text_of(app, "#write-message")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog)
        await pilot.press("tab", "enter")  # Cancel: nothing written
        await pilot.pause()
        assert (out / "cp-1/repository/conf/deployment.toml").read_bytes() == first
        app.query_one("#write-button", Button).focus()
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("enter")  # Replace them
        await settle(pilot)
        assert b'deployment "renamed"' in (out / "cp-1/repository/conf/deployment.toml").read_bytes()


async def test_write_refuses_a_foreign_folder_unless_ticked(tmp_path):
    out = tmp_path / "busy"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    app = make_app("single", out_dir=out)
    async with app.run_test(size=(120, 36)) as pilot:
        await app.goto("write")
        await pilot.press("enter")
        await settle(pilot)
        assert "was not written by apim-wizard" in text_of(app, "#write-message")
        force = app.query_one("#force")
        assert force.display
        force.focus()
        await pilot.press("space")  # ticked: planned again, replacing what is in the way
        await settle(pilot)
        assert "unknown" in text_of(app, "#plan-text") or "new" in text_of(app, "#plan-text")
        await pilot.press("enter")  # the Write button has the focus
        await settle(pilot)
    assert (out / "notes.txt").read_text() == "mine"
    assert (out / "cp-1/repository/conf/deployment.toml").exists()


async def test_command_palette_jumps_to_steps_and_fields():
    app = make_app("ha")
    async with app.run_test(size=(100, 30)) as pilot:
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        assert {f"Step {n}: {t}" for n, t in [(3, "Load balancers"), (6, "Databases")]} <= set(commands)
        assert "Field: Gateway load balancer hostname · gateway.lb_host" in commands
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Step 6")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert app.current == "databases"
        commands["Field: Gateway load balancer hostname · gateway.lb_host"].callback()
        await settle(pilot)
        assert app.current == "load_balancers" and focused_key(app) == "gateway.lb_host"


async def test_help_explains_the_step_and_the_field():
    app = make_app("ha")
    async with app.run_test(size=(100, 30)) as pilot:
        await app.goto("load_balancers")
        await pilot.press("f1")
        await pilot.pause()
        text = "\n".join(str(s.render()) for s in app.screen.query("Static"))
        assert "seed step 6" in text and "control_plane.lb_host" in text
        await pilot.press("escape")
        await pilot.pause()
        assert app.current == "load_balancers" and focused_key(app) == "control_plane.lb_host"


@pytest.mark.parametrize("argv", [[], ["tui"], ["tui", "--preset", "ha"]])
def test_without_a_terminal_the_wizard_does_not_start(argv, capsys):
    import io

    out = io.StringIO()
    assert main(argv, out=out) == 2
    if argv:
        assert "needs a terminal" in capsys.readouterr().err
    else:
        assert out.getvalue().startswith("usage: apim-wizard")


async def test_the_database_type_sets_what_an_empty_port_means_and_the_url():
    app = make_app("ha")
    async with app.run_test(size=(100, 30)) as pilot:
        await app.goto("databases")
        await pilot.pause()
        port = app.query_one("#q-databases-apim_db-port Input", Input)
        assert port.placeholder == "empty: 3306, the usual port for mysql"
        assert "jdbc:mysql://db.example.com:3306/apim_db" in text_of(app, ".jdbc-url")
        await choose(pilot, "postgre")
        assert port.placeholder == "empty: 5432, the usual port for postgre"
        assert "jdbc:postgresql://db.example.com:5432/apim_db" in text_of(app, ".jdbc-url")


async def write_then_edit_by_hand(app, pilot, out: Path) -> tuple[Path, bytes]:
    """Write the deployment from the Write step (plan, then write), then edit cp-1's
    deployment.toml by hand: (that file, its edited bytes)."""
    await app.goto("write")
    await pilot.press("enter")
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    config = out / "cp-1/repository/conf/deployment.toml"
    edited = config.read_bytes() + b"\n# tuned by hand\n"
    config.write_bytes(edited)
    return config, edited


async def test_files_edited_by_hand_are_not_overwritten_unless_replacing_them_is_ticked(tmp_path):
    out = tmp_path / "out"
    app = make_app("ha", out_dir=out)
    async with app.run_test(size=(120, 36)) as pilot:
        config, edited = await write_then_edit_by_hand(app, pilot, out)
        # Another answer changes that file: the plan has a conflict and refuses to write.
        await rename_then_plan(app, pilot, "renamed")
        assert "edited by hand would be overwritten" in text_of(app, "#write-message")
        assert "cp-1/repository/conf/deployment.toml" in text_of(app, "#plan-text")
        assert app.query_one("#write-button", Button).disabled
        assert config.read_bytes() == edited
        # Ticked: planned again with backups, confirmed, written.
        app.query_one("#force").focus()
        await pilot.press("space")
        await settle(pilot)
        assert not app.query_one("#write-button", Button).disabled
        app.query_one("#write-button", Button).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog)
        await pilot.press("enter")  # Replace them
        await settle(pilot)
        assert b'deployment "renamed"' in config.read_bytes()
        assert "backup" in text_of(app, "#done-text")
    backups = list((out / ".apim-wizard" / "backups").rglob("*"))
    assert any(p.is_file() and p.read_bytes() == edited for p in backups)


async def test_the_first_frame_comes_before_the_preview_and_the_other_steps():
    """Startup time: the first frame shows the Start step alone; the preview renders right
    after it and each other step's pane is made when first shown."""
    import screens.app
    from screens.app import WizardApp

    seen = {}

    class Recording(WizardApp):
        CSS_PATH = Path(screens.app.__file__).with_name("app.tcss")  # not next to this test

        def settled(self) -> None:
            seen["preview rendered"] = self.preview._rendered[2] != ""
            seen["panes"] = [w.id for w in self.query_one("#switcher").children]
            super().settled()

    app = Recording(WizardSession.open(Start("ha", (), ())))
    async with app.run_test(size=(120, 32)) as pilot:
        await settle(pilot)
        assert seen == {"preview rendered": False, "panes": ["step-start"]}
        assert "# deployment.toml of node cp-1" in app.query_one("#preview-text", CodeView).text
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert app.current == "topology"
        assert [w.id for w in app.query_one("#switcher").children] == ["step-start", "step-topology"]
        assert [w.id for w in app.query_one("#switcher").children if w.display] == ["step-topology"]


@pytest.mark.parametrize("preset", ["single", "ha"])
@pytest.mark.parametrize("width", [80, 100])
async def test_the_top_bar_keeps_the_title_and_the_summary_apart(preset, width):
    """The summary stays whole at the right, at least two blanks from the title; a title too
    long for what is left ends in an ellipsis (it never runs into the summary)."""
    from screens.app import short_summary
    from screens.session import STEP_KEYS
    from wizard.questions import step

    app = make_app(preset)
    async with app.run_test(size=(width, 24)) as pilot:
        for number, key in enumerate(STEP_KEYS, 1):
            await app.goto(key)
            await pilot.pause()
            top = screen_lines(app)[0]
            summary = short_summary(app.session)
            assert top.rstrip().endswith(summary), top
            title = top[:top.rindex(summary)]
            assert title.endswith("  "), top
            whole = f" apim-wizard · {step(key).title} ({number}/10) · preset {preset}"
            shown = title.rstrip()
            assert shown == whole or (shown.endswith("…") and whole.startswith(shown[:-1])), top


async def test_the_write_step_labels_are_whole_at_80x24(tmp_path):
    """The box that allows replacing files and the Write button fit the smallest terminal,
    with a hand-edited file in the way and obsolete files to remove (the longest plan)."""
    out = tmp_path / "out"
    app = make_app("ha", out_dir=out)
    async with app.run_test(size=(80, 24)) as pilot:
        await write_then_edit_by_hand(app, pilot, out)
        await app.goto("topology")
        app.pane("topology").focus_id("q-gateway-nodes-1-name")
        await pilot.press("ctrl+r")  # gw-2 goes: its files are obsolete
        await rename_then_plan(app, pilot, "renamed")
        message = text_of(app, "#write-message")
        assert "obsolete removed" in message and "edited by hand would be overwritten" in message

        def whole_on_screen(selector: str) -> None:
            widget = app.query_one(selector)
            label = str(widget.label)
            assert widget.region.right <= 80
            assert any(label in line for line in screen_lines(app)), (label, "\n".join(screen_lines(app)))

        whole_on_screen("#force")
        whole_on_screen("#write-button")
        app.query_one("#force").focus()
        await pilot.press("space")
        await settle(pilot)
        assert not app.query_one("#write-button", Button).disabled
        whole_on_screen("#force")
        whole_on_screen("#write-button")


def drawn_cells(app, widget) -> list[tuple[str, tuple | None, tuple | None, bool]]:
    """Each cell of a widget as drawn: character, foreground, background (reverse applied),
    underlined."""
    region = widget.region.intersection(app.screen.region)
    rows = app.screen._compositor.render_strips()
    cells = []
    for y in range(region.y, region.bottom):
        for segment in rows[y].crop(region.x, region.right):
            style = segment.style
            fg = style.color.get_truecolor() if style and style.color else None
            bg = style.bgcolor.get_truecolor() if style and style.bgcolor else None
            if style and style.reverse:
                fg, bg = bg, fg
            cells += [(char, fg, bg, bool(style and style.underline)) for char in segment.text]
    return cells


def focus_is_marked(unfocused: list, focused: list) -> bool:
    """Focus shows by more than a shade: a sign appears, a cell is underlined, or takes
    colours that are neither the ones it had nor those swapped (reverse alone reads as
    another button)."""

    def far(a, b) -> bool:
        return a != b if a is None or b is None else sum(abs(x - y) for x, y in zip(a, b)) > 60

    for (char, fg, bg, underline), (char2, fg2, bg2, underline2) in zip(unfocused, focused):
        if char != char2 or underline != underline2:
            return True
        if char.isspace():  # only the background shows
            if far(bg, bg2) and (fg is None or far(fg, bg2)):
                return True
        elif (far(fg, fg2) or far(bg, bg2)) and (far(fg, bg2) or far(bg, fg2)):
            return True
    return False


async def test_focus_is_visible_on_every_kind_of_widget_of_the_steps(tmp_path):
    """Each focusable kind of widget of every step (buttons, selects, checkboxes, inputs,
    lists, scroll areas) looks different focused than when another widget of the step has
    the focus."""
    from wizard.questions import STEPS

    app = make_app("ha", out_dir=tmp_path / "out")
    seen, unmarked = set(), []
    async with app.run_test(size=(80, 50)) as pilot:
        for current in STEPS:
            await app.goto(current.key)
            await pilot.pause()
            if current.key == "write":
                await pilot.press("enter")  # the plan: the Write button and the plan's scroll area
                await settle(pilot)
            pane = app.pane(current.key)
            focusable = [w for w in pane.query("*") if w.focusable and w.region.area]
            for widget in focusable:
                kind = (type(widget).__name__, widget.id if widget.id and not widget.id.startswith("q-") else
                        " ".join(sorted(c for c in widget.classes if not c.startswith("-"))))
                if kind in seen:
                    continue
                seen.add(kind)
                other = next(w for w in focusable if w is not widget)
                widget.focus()
                await pilot.pause()
                focused = drawn_cells(app, widget)
                other.focus()
                await pilot.pause()
                if not focus_is_marked(drawn_cells(app, widget), focused):
                    unmarked.append(f"{current.key}: {kind}")
    assert {kind[0] for kind in seen} >= {"Button", "Select", "Tick", "TextInput", "OptionList", "CodeView",
                                          "VerticalScroll"}
    assert not unmarked, unmarked


async def test_the_command_palette_finds_a_field_by_its_path():
    """A fragment of an answer path (what the help line and the answer file show) finds the
    fields under it, as their labels do; enter goes to the field."""
    from textual.command import CommandList, CommandPalette

    app = make_app("ha")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"apim_db")
        await pilot.pause(0.5)
        results = app.screen.query_one(CommandList)
        shown = [str(results.get_option_at_index(i).prompt) for i in range(results.option_count)]
        assert shown and all("databases.apim_db." in s for s in shown), shown
        host = next(i for i, s in enumerate(shown) if "databases.apim_db.host" in s)
        await pilot.press(*["down"] * (host - (results.highlighted or 0)), "enter")
        await settle(pilot)
        assert app.current == "databases" and focused_key(app) == "databases.apim_db.host"


async def test_nothing_shows_beside_a_notification():
    """A notification reaches the right edge: no character of what lies under it shows in a
    column beside it (the end of the focused field's help reaches the last columns here)."""
    from textual.widgets._toast import Toast

    app = make_app("ha")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await app.pane("start").focus_question(question_for(("name",)))
        await pilot.pause()
        assert max(len(line.rstrip()) for line in screen_lines(app)[-3:-1]) >= 79
        app.notify("Answers from preset ha.", timeout=30)
        await pilot.pause()
        toast = app.screen.query_one(Toast)
        assert toast.region.right == 80
        shown = [screen_lines(app)[y][toast.region.x:].rstrip() for y in range(toast.region.y, toast.region.bottom)]
        assert shown == ["▌", "▌ Answers from preset ha.", "▌"], shown


@pytest.mark.parametrize("preset", ["single", "ha"])
async def test_keys_typed_right_after_tab_or_enter_go_to_the_next_field(preset):
    """Tab or enter, then characters, all in one burst (a fast typist, tmux send-keys): the
    characters land in the field the focus moved to, never in the one it left."""
    from screens.fields import field_id

    app = make_app(preset)

    def value(key: str) -> str:
        path = tuple(int(p) if p.isdigit() else p for p in key.replace("[", ".").replace("]", "").split("."))
        return app.query_one(f"#{field_id(path)} Input", Input).value

    host, ip = "control_plane.nodes[0].hostname", "control_plane.nodes[0].ip"
    async with app.run_test(size=(80, 24)) as pilot:
        await app.goto("topology")
        await pilot.pause()
        await pilot.press("tab", "tab", "tab")
        assert focused_key(app) == host
        before = value(host)
        await pilot.press("tab", "8")
        assert (focused_key(app), value(host), value(ip)) == (ip, before, "8")
        await pilot.press("shift+tab")
        await burst(pilot, "tab", "9")
        assert (focused_key(app), value(host), value(ip)) == (ip, before, "9")
        await pilot.press("shift+tab")
        await type_text(pilot, "cp.example.com")
        await burst(pilot, "enter", "5")
        assert (focused_key(app), value(host), value(ip)) == (ip, "cp.example.com", "5")
        await burst(pilot, "shift+tab", "x")  # back, and a key: into the field it went back to
        assert (focused_key(app), value(host)) == (host, "x")
        assert app.session.raw["control_plane"]["nodes"][0]["hostname"] == "x"


async def test_editing_keys_keep_their_place_among_typed_characters():
    """In a burst, ctrl+u, end, backspace and the arrows act where they were typed, not after
    the characters typed behind them."""
    app = make_app("single")
    async with app.run_test(size=(80, 24)) as pilot:
        await app.goto("topology")
        await pilot.press("tab", "tab", "tab")
        assert focused_key(app) == "control_plane.nodes[0].hostname"
        await burst(pilot, "end", "ctrl+u", *"cp.exx", "backspace", *"ample.com", "home", "x", "delete")
        assert app.focused.value == "xp.example.com"
        assert app.session.raw["control_plane"]["nodes"][0]["hostname"] == "xp.example.com"
        await app.goto("write")
        await burst(pilot, "end", "ctrl+u", *"outt", "backspace", "left", "a", "end", "2")
        assert app.focused.id == "out-dir" and app.focused.value == "ouat2"


async def test_a_save_path_under_a_file_says_so_and_keeps_the_answers(tmp_path):
    (tmp_path / "afile").write_text("")
    app = make_app("ha")
    async with app.run_test(size=(100, 30)) as pilot:
        await app.goto("start")
        await app.pane("start").focus_question(question_for(("name",)))
        await paste_text(pilot, "typed")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, PathDialog)
        await type_text(pilot, str(tmp_path / "afile/x.toml"))
        await pilot.press("enter")
        await pilot.pause()
        shown = notifications(app)
        assert f"{tmp_path / 'afile'} is a file, not a folder" in shown and "File exists" not in shown
        assert app.session.dirty and app.session.answers.name == "typed"
