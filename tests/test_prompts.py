"""The plain-prompt wizard, driven by keystrokes through prompt_toolkit's pipe input.

The real command (``main(["prompt", ...])``), the real questionary prompts and the real
validator run; only the terminal is a pipe.  Every keystroke is sent before the flow
starts and the pipe is closed, so a flow that asks something unexpected ends with "the
input ended" instead of hanging.
"""

from __future__ import annotations

import io
import os
import re
import signal
import tomllib
from contextlib import contextmanager
from pathlib import Path

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.data_structures import Size
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from prompt_toolkit.output.vt100 import Vt100_Output

from conftest import assert_apply_replays
from wizard.cli import main
from wizard.facts import MAX_NODES_PER_CLUSTER

ENTER, DOWN, CLEAR = "\r", "\x1b[B", "\x15"  # Ctrl-U empties a text prompt's default
CTRL_C = "\x03"
TYPED_DB_PASSWORD = "Typed-apim-db-pw-7"
ENV_DB_PASSWORD = "From-env-shared-pw-9"


def type_(text: str) -> str:
    return CLEAR + text + ENTER


def drive(argv: list[str], keys: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    with create_pipe_input() as pipe, create_app_session(input=pipe, output=DummyOutput()):
        pipe.send_text("".join(keys))
        pipe.close()
        code = main(argv, out=out)
    return code, out.getvalue()


def drive_screen(argv: list[str], keys: list[str]) -> tuple[int, str, list[str]]:
    """As :func:`drive`, also returning the questions as the terminal showed them (one
    line each, escape sequences removed)."""
    out, screen = io.StringIO(), io.StringIO()
    terminal = Vt100_Output(screen, lambda: Size(rows=40, columns=400), term="dumb")
    with create_pipe_input() as pipe, create_app_session(input=pipe, output=terminal):
        pipe.send_text("".join(keys))
        pipe.close()
        code = main(argv, out=out)
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen.getvalue())
    asked = sorted({m.group(1) for m in re.finditer(r"\? (.+?\?)(?= |$)", text, re.M)})
    return code, out.getvalue(), asked


def ha_from_scratch(saved: Path, out: Path) -> list[str]:
    """Keystrokes for a new HA deployment: 2 control planes, 2 gateways, MySQL, one database
    password typed, one from an environment variable."""
    node_rows = []
    for prefix, base in (("cp", 11), ("gw", 21)):
        node_rows.append([
            ENTER,  # not existing
            type_("2"),  # how many nodes: HA
            ENTER, type_(f"{prefix}1.example.com"), type_(f"10.0.0.{base}"), ENTER,  # row 1: cp-1 suggested
            ENTER, ENTER, ENTER, ENTER,  # row 2: name, hostname and IP counted on from row 1
        ])
    return [
        ENTER,  # start: a new deployment
        # Start: valid with the defaults, changed anyway
        "y", type_("demo"), "n",  # name; no advanced settings (description)
        # Topology: no nodes yet, so asked in full
        ENTER,  # version 4.4
        *node_rows[0], *node_rows[1],
        # Load balancers: required in HA
        type_("cp.example.com"), "n", type_("gw.example.com"),
        # Environments, Messaging: the defaults (Default, hybrid; no JMS TLS) kept
        "n", "n",
        # Databases: apim_db (password typed), shared_db (password from an env variable)
        ENTER, type_("db.example.com"), ENTER, ENTER, ENTER,
        DOWN * 3 + ENTER, TYPED_DB_PASSWORD + ENTER, TYPED_DB_PASSWORD + ENTER,
        "n",  # no advanced (params, driver, validation query)
        ENTER, type_("db.example.com"), ENTER, ENTER, ENTER,
        DOWN + ENTER, type_("APIM_TEST_SHARED_DB_PASSWORD"),
        # Keystores & certificates, Options: the defaults kept (new CA, generated passwords)
        "n", "n",
        # Save, write
        ENTER, type_(str(saved)),
        ENTER, type_(str(out)), ENTER,
    ]


@pytest.fixture
def env_password(monkeypatch):
    monkeypatch.setenv("APIM_TEST_SHARED_DB_PASSWORD", ENV_DB_PASSWORD)


def test_full_ha_run_from_scratch_writes_and_replays_identically(tmp_path, env_password):
    saved, out = tmp_path / "demo.toml", tmp_path / "out"
    code, transcript = drive(["prompt"], ha_from_scratch(saved, out))
    assert code == 0, transcript
    assert "Wrote the deployment to" in transcript and "Replay: apim-wizard apply" in transcript

    configs = {n: tomllib.loads((out / n / "repository/conf/deployment.toml").read_text())
               for n in ("cp-1", "cp-2", "gw-1", "gw-2")}
    assert configs["gw-2"]["server"]["hostname"] == "gw.example.com"
    assert configs["gw-1"]["apim"]["throttling"]["throttle_decision_endpoints"] == [
        "tcp://cp1.example.com:5672", "tcp://cp2.example.com:5672"]
    assert configs["cp-2"]["server"]["node_ip"] == "10.0.0.12"  # counted on from cp-1's answer
    assert configs["cp-1"]["database"]["apim_db"]["password"] == TYPED_DB_PASSWORD
    assert configs["gw-1"]["database"]["shared_db"]["password"] == ENV_DB_PASSWORD

    # The summary showed every node's TOML, secrets masked.
    for node in ("cp-1", "cp-2", "gw-1", "gw-2"):
        assert f"-- {node}/repository/conf/deployment.toml" in transcript
    assert 'password = "********"' in transcript
    assert TYPED_DB_PASSWORD not in transcript and ENV_DB_PASSWORD not in transcript

    # The saved answers hold references only; the typed value sits in the 0600 secrets file.
    answers = tomllib.loads(saved.read_text())
    assert answers["databases"]["apim_db"]["password"] == {"stored": True}
    assert answers["databases"]["shared_db"]["password"] == {"env": "APIM_TEST_SHARED_DB_PASSWORD"}
    secrets_file = tmp_path / "demo.secrets.toml"
    assert os.stat(secrets_file).st_mode & 0o777 == 0o600
    assert tomllib.loads(secrets_file.read_text())["stored"] == {"databases.apim_db.password": TYPED_DB_PASSWORD}

    # Headless replay of the saved answers gives the same bytes (keys and certificates are made
    # anew in a new folder, so they and the manifest recording their digests are set aside).
    assert_apply_replays(saved, out / "secrets.toml", out, tmp_path / "replay", at_least=6)


def secret_values(*files: Path) -> list[str]:
    values = []
    for file in files:
        data = tomllib.loads(file.read_text())
        for table in ("generated", "stored"):
            values.extend(data.get(table, {}).values())
    return values


def test_saved_answer_files_never_contain_a_secret_value(tmp_path, env_password):
    saved, out = tmp_path / "demo.toml", tmp_path / "out"
    code, transcript = drive(["prompt"], ha_from_scratch(saved, out))
    assert code == 0, transcript
    known = secret_values(out / "secrets.toml") + [ENV_DB_PASSWORD]
    assert TYPED_DB_PASSWORD in known and len(known) >= 5
    for answer_file in (saved, out / "answers.toml"):
        text = answer_file.read_text()
        for value in known:
            assert value not in text, f"{answer_file.name} holds a secret value"
        assert not re.search(r'password = "', text)


def test_a_bad_value_is_asked_again_with_the_reason(tmp_path):
    keys = [
        "n", "n",  # Start, Topology unchanged
        "y",  # change Load balancers
        type_("cp_lb.example.com"),  # refused: '_' in a hostname
        type_("cp-lb.example.com"),  # accepted
        "n", ENTER,  # no advanced; gateway LB kept
        "n", "n", "n", "n", "n",  # Environments .. Options unchanged
        "n", "n",  # neither save nor write
    ]
    code, transcript = drive(["prompt", "--preset", "ha"], keys)
    assert code == 0, transcript
    assert ('error: control_plane.lb_host = "cp_lb.example.com": is not a valid hostname: \'_\' is not allowed'
            in transcript)
    assert transcript.count("error: control_plane.lb_host") == 1
    # asked again, and the second answer is the one kept
    assert re.search(r'control_plane\.lb_host +=  "cp-lb\.example\.com" +typed', transcript.replace('= "', '=  "'))
    assert "Nothing was written." in transcript


def test_a_refused_value_from_the_preset_is_asked_in_its_step(tmp_path):
    bad = tmp_path / "bad.toml"
    text = (Path(__file__).parents[1] / "presets" / "single.toml").read_text()
    bad.write_text(text.replace('hostname = "cp.example.com"', 'hostname = "cp..example.com"', 1))
    assert 'hostname = "cp..example.com"' in bad.read_text()
    keys = [
        "n",  # Start unchanged
        # Topology has a problem, so it is asked in full (no "change?" question)
        ENTER, ENTER, ENTER, ENTER,  # version, not existing, 1 node, name
        type_("cp.example.com"),  # the refused hostname, corrected
        ENTER, ENTER,  # IP, offset
        ENTER, ENTER, ENTER, ENTER, ENTER, ENTER,  # the gateway, unchanged
        "n", "n", "n", "n", "n",  # Environments .. Options unchanged (no load balancers in single mode)
        "n", "n",
    ]
    code, transcript = drive(["prompt", "--answers", str(bad)], keys)
    assert code == 0, transcript
    assert 'error: control_plane.nodes[0].hostname = "cp..example.com"' in transcript  # named at the step
    assert "Load balancers" not in transcript
    assert "Nothing was written." in transcript


@pytest.mark.parametrize("where", [1, 20, 37, 50, "end"],
                         ids=["first question", "topology", "typing a password", "after choosing the file", "last confirmation"])
def test_ctrl_c_anywhere_writes_nothing(tmp_path, env_password, where):
    saved, out = tmp_path / "demo.toml", tmp_path / "out"
    keys = ha_from_scratch(saved, out)
    cut = len(keys) - 1 if where == "end" else where
    code, transcript = drive(["prompt"], keys[:cut] + [CTRL_C])
    assert code == 130
    assert "cancelled: nothing was written" in transcript
    assert list(tmp_path.iterdir()) == []


def test_input_that_ends_early_writes_nothing(tmp_path):
    code, transcript = drive(["prompt", "--preset", "ha", "--out", str(tmp_path / "out")], ["n", "n"])
    assert code == 2
    assert "the input ended before the wizard finished: nothing was written" in transcript
    assert list(tmp_path.iterdir()) == []


def test_typed_secret_is_kept_across_runs(tmp_path, env_password):
    """Re-running on the saved answers keeps the typed value without asking for it again."""
    saved, out = tmp_path / "demo.toml", tmp_path / "out"
    assert drive(["prompt"], ha_from_scratch(saved, out))[0] == 0
    again = tmp_path / "again"
    keys = ["n"] * 8 + ["n", ENTER, type_(str(again)), ENTER]  # unchanged; no save; write to a new folder
    code, transcript = drive(["prompt", "--answers", str(saved)], keys)
    assert code == 0, transcript
    config = tomllib.loads((again / "gw-1/repository/conf/deployment.toml").read_text())
    assert tomllib.loads((again / "cp-1/repository/conf/deployment.toml").read_text())[
        "database"]["apim_db"]["password"] == TYPED_DB_PASSWORD
    assert config["database"]["shared_db"]["password"] == ENV_DB_PASSWORD


def test_no_terminal_points_at_apply(capsys):
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "wizard.cli", "prompt", "--preset", "ha"],
                            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "prompt needs a terminal on stdin" in result.stderr
    assert "apim-wizard apply --answers FILE --out DIR" in result.stderr
    assert "Traceback" not in result.stderr


def test_write_is_refused_when_a_referenced_variable_is_unset(tmp_path, monkeypatch):
    monkeypatch.delenv("APIM_TEST_UNSET_VARIABLE", raising=False)
    out = tmp_path / "out"
    keys = [
        "n", "n", "n", "n", "n",  # Start .. Messaging unchanged
        "y",  # change Databases
        ENTER, ENTER, ENTER, ENTER, ENTER, ENTER, "n",  # apim_db unchanged (password: generate); no advanced
        ENTER, ENTER, ENTER, ENTER, ENTER, DOWN + ENTER, type_("APIM_TEST_UNSET_VARIABLE"),
        "n", "n",  # Keystores, Options unchanged
        "n",  # no save
        ENTER, type_(str(out)),  # write: refused
    ]
    code, transcript = drive(["prompt", "--preset", "ha"], keys)
    assert code == 1, transcript
    assert "note: APIM_TEST_UNSET_VARIABLE is not set in this shell" in transcript
    assert ("databases.shared_db.password: environment variable APIM_TEST_UNSET_VARIABLE is not set"
            in transcript)
    assert "Nothing was written." in transcript and not out.exists()


def test_answers_saved_into_the_deployment_folder_replay_with_no_changes(tmp_path):
    out = tmp_path / "out"
    keys = ["n"] * 7 + [ENTER, type_(str(out / "answers.toml")), ENTER, type_(str(out)), ENTER]
    code, transcript = drive(["prompt", "--preset", "single"], keys)
    assert code == 0, transcript
    assert f"The answers are in the deployment: {out / 'answers.toml'}" in transcript
    replay = io.StringIO()
    assert main(["apply", "--answers", str(out / "answers.toml"), "--out", str(out)], out=replay) == 0
    assert "no changes" in replay.getvalue()


def single_unchanged_but_name(name: str) -> list[str]:
    """Keystrokes for the `single` preset: the deployment name typed, every step kept."""
    return ["y", type_(name), "n"] + ["n"] * 6


def test_a_save_path_under_a_file_is_asked_again_with_the_reason(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("")
    saved = tmp_path / "ok.toml"
    keys = single_unchanged_but_name("kept") + [ENTER, type_(str(afile / "x.toml")), type_(str(saved)), "n"]
    code, transcript = drive(["prompt", "--preset", "single"], keys)
    assert code == 0, transcript
    assert (f"error: {afile} is a file, not a folder, so {afile / 'x.toml'} cannot be saved there; "
            "give another path") in transcript
    assert "cannot write" not in transcript
    assert tomllib.loads(saved.read_text())["name"] == "kept"  # the typed answer survived


def test_a_save_the_disk_refuses_is_asked_again(tmp_path, monkeypatch):
    """A save that fails after the path was checked (permissions, a full disk) asks again."""
    import screens.prompts as prompts

    refused, saved = tmp_path / "refused.toml", tmp_path / "ok.toml"
    real_save = prompts.save_answers

    def save(answers, path, stored):
        if path == refused:
            raise PermissionError(13, "Permission denied", str(path))
        return real_save(answers, path, stored)

    monkeypatch.setattr(prompts, "save_answers", save)
    keys = single_unchanged_but_name("kept") + [ENTER, type_(str(refused)), "n", type_(str(saved))]
    code, transcript = drive(["prompt", "--preset", "single"], keys)
    assert code == 0, transcript
    assert f"error: {refused}: cannot save the answers: Permission denied" in transcript
    assert tomllib.loads(saved.read_text())["name"] == "kept"


def advanced_questions(asked: list[str]) -> list[str]:
    return [q for q in asked if q.startswith("Also change the advanced settings")]


def test_environments_step_names_its_advanced_settings(tmp_path):
    keys = [
        "n", "n", "n",  # Start .. Load balancers unchanged
        "y", ENTER, ENTER, ENTER,  # change Environments: 1, Default, hybrid
        "n",  # no advanced settings
        ENTER,  # gateway labels kept
        "n", "n", "n", "n",  # Messaging .. Options unchanged
        "n", "n",
    ]
    code, transcript, asked = drive_screen(["prompt", "--preset", "ha"], keys)
    assert code == 0, transcript
    assert advanced_questions(asked) == [
        "Also change the advanced settings (Description, Show in the API console, Show as token endpoint URL)?"]


def test_databases_step_names_each_advanced_setting_once(tmp_path):
    keys = [
        "n", "n", "n", "n", "n",  # Start .. Messaging unchanged
        "y",  # change Databases
        ENTER, ENTER, ENTER, ENTER, ENTER, ENTER, "n",  # apim_db kept; no advanced settings
        ENTER, ENTER, ENTER, ENTER, ENTER, ENTER,  # shared_db kept
        "n", "n",  # Keystores, Options unchanged
        "n", "n",
    ]
    code, transcript, asked = drive_screen(["prompt", "--preset", "ha"], keys)
    assert code == 0, transcript
    assert advanced_questions(asked) == [
        "Also change the advanced settings (JDBC URL parameters, JDBC driver class, Validation query, "
        "Administrator for the setup SQL, each for databases.apim_db and databases.shared_db)?"]


def test_the_summary_lists_no_default_confirmed_with_enter(tmp_path, env_password):
    keys = ha_from_scratch(tmp_path / "demo.toml", tmp_path / "out")[:-5] + ["n", "n"]  # neither save nor write
    code, transcript = drive(["prompt"], keys)
    assert code == 0, transcript
    summary = transcript.split("Answers not left to the built-in defaults (value, then where it comes from):\n")[1]
    summary = summary.split("-- cp-1/")[0]
    for confirmed in ("version", "control_plane.existing", "control_plane.nodes[0].offset", "gateway.existing",
                      "gateway.nodes[1].offset", "databases.apim_db.type", "databases.apim_db.name",
                      "databases.shared_db.user"):
        assert not re.search(rf"^  {re.escape(confirmed)} ", summary, re.M), confirmed
    # what was typed, or suggested and kept for a required field, is listed
    assert re.search(r'^  control_plane\.nodes\[0\]\.hostname += "cp1\.example\.com" +typed$', summary, re.M)
    assert re.search(r'^  gateway\.nodes\[1\]\.name += "gw-2" +typed$', summary, re.M)
    assert re.search(r'^  name += "demo" +typed$', summary, re.M)


@pytest.fixture
def hand_edited_out(tmp_path) -> Path:
    """An output folder with a file apim-wizard did not write, where it writes one."""
    out = tmp_path / "out"
    (out / "cp-1/repository/conf").mkdir(parents=True)
    (out / "cp-1/repository/conf/deployment.toml").write_text("# edited by hand\n")
    return out


@pytest.mark.parametrize("save_first", [True, False], ids=["answers saved", "saving offered after declining"])
def test_declining_to_replace_says_the_deployment_was_not_written(tmp_path, hand_edited_out, save_first):
    out, saved = hand_edited_out, tmp_path / "later.toml"
    save = [ENTER, type_(str(saved))] if save_first else ["n"]
    write = [ENTER, type_(str(out)), "y", "n"]  # write: into the folder anyway, but do not replace
    offered = [] if save_first else [ENTER, type_(str(saved))]  # save, to write it later
    code, transcript = drive(["prompt", "--preset", "single"], ["n"] * 7 + save + write + offered)
    assert code == 0, transcript
    assert f"The deployment was NOT written to {out}: the files in the way were left as they are." in transcript
    command = f"apim-wizard apply --answers {saved} --out {out} --force"
    assert f"Write it later with:\n  {command}\n" in transcript
    assert (out / "cp-1/repository/conf/deployment.toml").read_text() == "# edited by hand\n"
    # the command given does write it
    assert main(command.split()[1:], out=io.StringIO()) == 0
    assert "[server]" in (out / "cp-1/repository/conf/deployment.toml").read_text()


def test_declining_to_replace_and_to_save_says_so(tmp_path, hand_edited_out):
    keys = ["n"] * 7 + ["n", ENTER, type_(str(hand_edited_out)), "y", "n", "n"]
    code, transcript = drive(["prompt", "--preset", "single"], keys)
    assert code == 0, transcript
    assert "Nothing was written." in transcript
    assert f"The deployment was NOT written to {hand_edited_out}" in transcript
    assert "The answers were not saved either: run apim-wizard prompt again to write it." in transcript


class TookTooLong(BaseException):  # not an Exception: no handler of the CLI catches it
    pass


@contextmanager
def within(seconds: float):
    def expire(*_):
        raise TookTooLong(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_a_node_count_above_the_bound_is_refused_before_any_row_is_made():
    keys = [
        "n", "y", ENTER, ENTER,  # change Topology: version, not existing
        type_("99999"),  # refused at once (it used to build and validate 99999 rows for minutes)
        type_("9" * 5000),  # more digits than int() takes
        type_(str(MAX_NODES_PER_CLUSTER + 1)),
        type_("2"), *[ENTER] * 8,  # two control planes, the suggested rows
        ENTER, ENTER, *[ENTER] * 8,  # the gateways kept
        "n", "n", "n", "n", "n", "n",  # Load balancers .. Options unchanged
        "n", "n",
    ]
    with within(30):
        code, transcript = drive(["prompt", "--preset", "ha"], keys)
    assert code == 0, transcript
    high = MAX_NODES_PER_CLUSTER
    assert (f"error: control_plane.nodes: 99999 is more than the {high} the answers allow; give 1 to {high}"
            in transcript)
    assert f"error: control_plane.nodes: a 5000-digit number is more than the {high} the answers allow" in transcript
    assert f"error: control_plane.nodes: {high + 1} is more than the {high}" in transcript
    assert "control_plane.nodes[2]" not in transcript
