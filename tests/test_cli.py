"""Headless CLI: apply, validate, presets, exit codes, answers round trip."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from conftest import snapshot
from wizard.cli import main


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def test_apply_preset_writes_every_node(tmp_path):
    out = tmp_path / "apim-deployment"
    code, text = run("apply", "--preset", "ha", "--out", str(out))
    assert code == 0, text
    for node in ("cp-1", "cp-2", "gw-1", "gw-2"):
        config = tomllib.loads((out / node / "repository/conf/deployment.toml").read_text())
        assert config["server"]["offset"] == 0
    assert (out / "answers.toml").exists() and (out / "secrets.toml").exists()
    assert "done: " in text and " new" in text
    assert (out / "ca/ca.crt").exists() and (out / "lb/gw.example.com.key").exists()


def is_certificate_material(path: str) -> bool:
    """Keys and certificates are made anew in a new folder; everything else must match."""
    return path.startswith(("ca/", "lb/", ".apim-wizard/")) or "/resources/security/" in path


def test_answers_round_trip_gives_identical_bytes(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    assert run("apply", "--preset", "ha", "--out", str(first))[0] == 0
    code, text = run("apply", "--answers", str(first / "answers.toml"), "--out", str(second),
                     "--secrets", str(first / "secrets.toml"))
    assert code == 0, text
    a, b = snapshot(first), snapshot(second)
    assert a.keys() == b.keys()
    compared = [p for p in a if not is_certificate_material(p)]
    assert len(compared) >= 6
    assert {p: a[p] for p in compared} == {p: b[p] for p in compared}


def test_rerun_reuses_generated_secrets_and_reports_no_changes(tmp_path):
    out = tmp_path / "out"
    run("apply", "--preset", "ha", "--out", str(out))
    before = snapshot(out)
    code, text = run("apply", "--answers", str(out / "answers.toml"), "--out", str(out))
    assert code == 0 and "no changes" in text
    assert snapshot(out) == before


def test_dry_run_writes_nothing(tmp_path):
    out = tmp_path / "out"
    code, text = run("apply", "--preset", "single", "--out", str(out), "--dry-run")
    assert code == 0 and "nothing was written" in text
    assert "new        cp-1/repository/conf/deployment.toml" in text
    assert not out.exists()


def test_refuses_a_foreign_non_empty_folder(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    code, _ = run("apply", "--preset", "single", "--out", str(out))
    assert code == 3
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    code, _ = run("apply", "--preset", "single", "--out", str(out), "--force")
    assert code == 0 and (out / "notes.txt").read_text() == "mine"


def test_changed_answers_rewrite_only_what_changed(tmp_path):
    out = tmp_path / "out"
    run("apply", "--preset", "ha", "--out", str(out))
    answers = (out / "answers.toml").read_text().replace('name = "Default"\ntype = "hybrid"', 'name = "Default"\ntype = "production"')
    edited = tmp_path / "edited.toml"
    edited.write_text(answers)
    code, text = run("apply", "--answers", str(edited), "--out", str(out))
    assert code == 0
    assert "changed    cp-1/repository/conf/deployment.toml" in text
    assert "unchanged  gw-1/repository/conf/deployment.toml" in text


def test_validate_lists_every_problem_at_once(tmp_path, capsys):
    bad = tmp_path / "my-topology.toml"
    bad.write_text(
        """
version = "4.5"
[super_admin]
password = "p@ss"
[control_plane]
[[control_plane.nodes]]
name = "cp-1"
hostname = "cp_1"
[[control_plane.nodes]]
name = "cp-2"
hostname = "cp2"
[gateway]
labels = ["Prod"]
[[gateway.nodes]]
name = "gw-1"
hostnmae = "gw"
[databases.shared_db]
type = "postgres"
host = "db"
"""
    )
    code, _ = run("validate", "--answers", str(bad))
    err = capsys.readouterr().err
    assert code == 1
    for fragment in (
        'version = "4.5": is not a supported API-M version: 4.5 and later ship separate component',
        "allowed: 4.1, 4.2, 4.3, 4.4",
        'gateway.labels[0] = "Prod": names no gateway environment',
        "super_admin.password: the given value contains '@'",
        'control_plane.nodes[0].hostname = "cp_1"',
        "control_plane.lb_host: is required",
        'gateway.nodes[0].hostnmae: unknown key (did you mean "hostname"?)',
        'databases.shared_db.type = "postgres": is not allowed (did you mean "postgre"?)',
        "databases.apim_db: is required",
    ):
        assert fragment in err, fragment
    assert "Traceback" not in err and "p@ss" not in err


def test_validate_ok_and_unset_env_reference_is_a_warning(tmp_path):
    answers = tmp_path / "a.toml"
    text = (Path(__file__).parents[1] / "presets" / "single.toml").read_text()
    answers.write_text(text.replace('password = { generate = true }', 'password = { env = "APIM_TEST_UNSET_VAR" }', 1))
    code, out = run("validate", "--answers", str(answers))
    assert code == 0
    assert "APIM_TEST_UNSET_VAR is not set" in out and "valid: API-M 4.4" in out


def test_apply_fails_cleanly_on_unset_env_reference(tmp_path, capsys):
    answers = tmp_path / "a.toml"
    text = (Path(__file__).parents[1] / "presets" / "single.toml").read_text()
    answers.write_text(text.replace('password = { generate = true }', 'password = { env = "APIM_TEST_UNSET_VAR" }', 1))
    code, _ = run("apply", "--answers", str(answers), "--out", str(tmp_path / "out"))
    assert code == 1 and not (tmp_path / "out").exists()
    assert "super_admin.password: environment variable APIM_TEST_UNSET_VAR is not set" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, code",
    [
        (["apply", "--preset", "nope", "--out", "x"], 2),
        (["apply", "--preset", "ha"], 2),  # --out missing
        (["validate", "--preset", "ha", "--set", "control_plane.lbhost=x"], 2),  # no such field
        (["validate", "--preset", "ha", "--set", "version"], 2),  # not PATH=VALUE
        (["apply", "--preset", "ha", "--answers", "/nonexistent/a.toml", "--out", "x"], 3),  # layered
        (["validate"], 2),
        (["frobnicate"], 2),
        (["validate", "--answers", "/nonexistent/answers.toml"], 3),
    ],
)
def test_exit_codes(argv, code, capsys):
    assert main(argv, out=io.StringIO()) == code
    assert "Traceback" not in capsys.readouterr().err


def test_unknown_preset_suggests(capsys):
    assert main(["validate", "--preset", "hA"], out=io.StringIO()) == 2
    assert 'did you mean "ha"' in capsys.readouterr().err


def test_invalid_toml_is_exit_1_with_position(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[gateway\nx = 1\n")
    assert main(["validate", "--answers", str(bad)], out=io.StringIO()) == 1
    assert "not valid TOML" in capsys.readouterr().err


def test_output_path_that_is_a_file(tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    assert run("apply", "--preset", "single", "--out", str(target))[0] == 3


def test_unwritable_output_is_exit_3(tmp_path, capsys):
    blocker = tmp_path / "plain-file"
    blocker.write_text("x")
    assert run("apply", "--preset", "single", "--out", str(blocker / "out"))[0] == 3
    assert "is not a folder" in capsys.readouterr().err


def test_presets_command_lists_names_and_descriptions():
    code, text = run("presets")
    assert code == 0
    names = [line.split()[0] for line in text.splitlines()]
    assert names == ["ha", "ha-jms-tls", "local", "single", "wso2-docs-ha", "wso2-docs-single"]
    assert "behind two load balancers" in text


def test_real_console_script(tmp_path):
    """The installed `apim-wizard` program, as a user runs it."""
    exe = shutil.which("apim-wizard") or str(Path(sys.executable).parent / "apim-wizard")
    result = subprocess.run([exe, "apply", "--preset", "ha", "--out", str(tmp_path / "d")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "d/gw-2/repository/conf/deployment.toml").exists()
    result = subprocess.run([exe], capture_output=True, text=True, timeout=60)
    assert result.returncode in (0, 2)


@pytest.mark.parametrize("content, message", [
    ('version = "4.4"\n[x]\ny = ' + "9" * 5000 + "\n", "holds a number too large to be an answer"),
    ("x = " + "[" * 600 + "]" * 600 + "\n", "nested too deeply to be answers"),
])
def test_absurd_answer_files_get_a_message_not_a_traceback(tmp_path, capsys, content, message):
    answers = tmp_path / "absurd.toml"
    answers.write_text(content)
    code, _ = run("validate", "--answers", str(answers))
    err = capsys.readouterr().err
    assert code != 0 and message in err and "Traceback" not in err


def test_a_byte_order_mark_is_not_an_error(tmp_path):
    from wizard.presets import load_preset

    answers = tmp_path / "windows.toml"
    answers.write_bytes(b"\xef\xbb\xbf" + load_preset("single").text.encode())
    code, out = run("validate", "--answers", str(answers))
    assert code == 0 and "valid" in out


def test_a_huge_number_in_set_is_named_and_cut_short(capsys):
    code, _ = run("validate", "--preset", "ha", "--set", "control_plane.nodes[0].offset=" + "9" * 5000)
    err = capsys.readouterr().err
    assert code != 0 and "control_plane.nodes[0].offset" in err and "(5000 characters)" in err
    assert len(err) < 2000


def test_validate_warns_about_secrets_not_here_and_refuses_unusable_ones(tmp_path, capsys):
    """A variable not set or a file not there may be fine where validate runs (CI); an empty,
    non-UTF-8 or folder secret file is wrong wherever it runs."""
    answers = tmp_path / "a.toml"
    for reference, code, word in [
        ('{ file = "absent.txt" }', 0, "warning"),
        ('{ env = "APIM_TEST_NOT_SET_ANYWHERE" }', 0, "warning"),
        ('{ file = "empty.txt" }', 1, "error"),
        ('{ file = "latin1.txt" }', 1, "error"),
        ('{ file = "folder" }', 1, "error"),
    ]:
        (tmp_path / "empty.txt").write_text("")
        (tmp_path / "latin1.txt").write_bytes(b"caf\xe9\n")
        (tmp_path / "folder").mkdir(exist_ok=True)
        answers.write_text(f'[super_admin]\npassword = {reference}\n')
        got, printed = run("validate", "--preset", "ha", "--answers", str(answers))
        shown = printed + capsys.readouterr().err
        assert got == code, (reference, shown)
        assert re.search(rf"{word} +super_admin.password", shown), (reference, shown)
