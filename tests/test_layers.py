"""Answer layers: precedence, merging, environment variables, --set, and `explain`."""

from __future__ import annotations

import io
import itertools
import re
from pathlib import Path

import pytest

from wizard.cli import _parser, main
from wizard.cli_common import CliError, load_layers
from wizard.layers import LayeredAnswers, LayerError, Origin, env_name, env_path
from wizard.model_paths import UNSET, effective_value

LB = ("control_plane", "lb_host")
LAYER_VALUES = {
    "preset": "cp.example.com",  # preset ha; without it, preset single (no lb_host)
    "file": "file.example.com",
    "env": "env.example.com",
    "set": "set.example.com",
    "typed": "typed.example.com",
}


def layered_from(argv: list[str], environ: dict[str, str]) -> LayeredAnswers:
    return load_layers(_parser().parse_args(["validate", *argv]), environ)


@pytest.mark.parametrize("present", list(itertools.product([False, True], repeat=5)),
                         ids=lambda p: "+".join(n for n, on in zip(LAYER_VALUES, p) if on) or "default")
def test_precedence_across_all_layers(tmp_path, present):
    """Each combination of layers: the highest layer that sets the value wins, and its origin is named."""
    on = dict(zip(LAYER_VALUES, present))
    argv = ["--preset", "ha" if on["preset"] else "single"]
    if on["file"]:
        answers = tmp_path / "site.toml"
        answers.write_text(f'[control_plane]\nlb_host = "{LAYER_VALUES["file"]}"\n')
        argv += ["--answers", str(answers)]
    environ = {"APIM_WIZARD_CONTROL_PLANE__LB_HOST": LAYER_VALUES["env"]} if on["env"] else {}
    if on["set"]:
        argv += ["--set", f"control_plane.lb_host={LAYER_VALUES['set']}"]
    layered = layered_from(argv, environ)
    if on["typed"]:
        layered.assign(LB, LAYER_VALUES["typed"], Origin("typed"))

    winner = next((name for name in reversed(LAYER_VALUES) if on[name]), None)
    assert effective_value(layered.raw, LB) == (LAYER_VALUES[winner] if winner else None)
    expected_origin = {
        None: "default", "preset": "preset ha", "file": f"file {tmp_path / 'site.toml'}",
        "env": "env APIM_WIZARD_CONTROL_PLANE__LB_HOST", "set": "--set control_plane.lb_host", "typed": "typed",
    }[winner]
    assert str(layered.origin_of(LB)) == expected_origin


def test_answer_files_layer_in_order_and_tables_merge_key_by_key(tmp_path):
    first, second = tmp_path / "a.toml", tmp_path / "b.toml"
    first.write_text('version = "4.2"\n[databases.apim_db]\nhost = "a.example.com"\nuser = "first"\n')
    second.write_text('[databases.apim_db]\nhost = "b.example.com"\n')
    layered = layered_from(["--preset", "ha", "--answers", str(first), "--answers", str(second)], {})
    db = layered.raw["databases"]["apim_db"]
    assert (db["host"], db["user"], db["type"]) == ("b.example.com", "first", "mysql")  # type still the preset's
    assert str(layered.origin_of(("version",))) == f"file {first}"
    assert str(layered.origin_of(("databases", "apim_db", "type"))) == "preset ha"
    assert layered.base_dir == tmp_path  # relative secret files: the last answer file's folder


def test_lists_and_secrets_replace_as_a_whole(tmp_path):
    site = tmp_path / "site.toml"
    site.write_text(
        '[control_plane]\n[[control_plane.nodes]]\nname = "cp-9"\nhostname = "cp9.example.com"\n'
        '[super_admin]\npassword = { env = "ADMIN_PW" }\n'
    )
    layered = layered_from(["--preset", "ha", "--answers", str(site)], {})
    assert [n["name"] for n in layered.raw["control_plane"]["nodes"]] == ["cp-9"]  # not merged with cp-1, cp-2
    assert layered.raw["super_admin"]["password"] == {"env": "ADMIN_PW"}  # not {generate, env}
    assert layered.raw["control_plane"]["lb_host"] == "cp.example.com"  # the table itself merged


def test_environment_variables_map_to_paths():
    environ = {
        "APIM_WIZARD_VERSION": "4.3",
        "APIM_WIZARD_CONTROL_PLANE__NODES__1__OFFSET": "5",
        "APIM_WIZARD_DATABASES__APIM_DB__PARAMS__useSSL": "true",
        "APIM_WIZARD_DATABASES__SHARED_DB__PASSWORD": '{ env = "SHARED_PW" }',
        "APIM_WIZARD_GATEWAY__LABELS": "Default, Internal",
        "APIM_WIZARD_FEATURES__TOKEN_REVOCATION": "no",
        "APIM_WIZARD_CI": "1",  # the tool's own settings, not answers
        "APIM_WIZARD_KEYGEN": "threads",
        "APIM_WIZARD_TEST_CRASH_AFTER": "3",
        "UNRELATED": "x",
    }
    raw = layered_from(["--preset", "ha"], environ).raw
    assert raw["version"] == "4.3"
    assert raw["control_plane"]["nodes"][1]["offset"] == 5  # typed by the model: an int
    assert raw["databases"]["apim_db"]["params"] == {"useSSL": True}  # free-form key keeps its case
    assert raw["databases"]["shared_db"]["password"] == {"env": "SHARED_PW"}
    assert raw["gateway"]["labels"] == ["Default", "Internal"]
    assert raw["features"]["token_revocation"] is False
    assert env_name(("databases", "apim_db", "host")) == "APIM_WIZARD_DATABASES__APIM_DB__HOST"
    assert env_path("APIM_WIZARD_CONTROL_PLANE__NODES__0__HOSTNAME") == ("control_plane", "nodes", 0, "hostname")


def test_unknown_environment_variable_is_an_error_with_a_suggestion(capsys):
    with pytest.raises(CliError) as caught:
        layered_from(["--preset", "ha"], {"APIM_WIZARD_DATABASES__APIM_DB__HOTS": "x"})
    assert caught.value.code == 2
    assert "APIM_WIZARD_DATABASES__APIM_DB__HOTS: names no answer field" in str(caught.value)
    assert "did you mean APIM_WIZARD_DATABASES__APIM_DB__HOST?" in str(caught.value)


def test_empty_value_unsets_and_explain_says_by_whom():
    layered = layered_from(["--preset", "ha", "--set", "control_plane.lb_host="], {})
    assert "lb_host" not in layered.raw["control_plane"]
    assert str(layered.origin_of(LB)) == "default (unset by --set control_plane.lb_host)"


def test_removing_a_row_shifts_the_origins_of_the_rows_below():
    layered = layered_from(["--preset", "ha", "--set", "gateway.nodes[1].hostname=gwx.example.com",
                            "--set", "gateway.nodes[0]="], {})
    assert [n["name"] for n in layered.raw["gateway"]["nodes"]] == ["gw-2"]
    assert str(layered.origin_of(("gateway", "nodes", 0, "hostname"))) == "--set gateway.nodes[1].hostname"


@pytest.mark.parametrize(
    "option, expected",
    [
        ("control_plane.nodes[0].offset=10", ("control_plane", "nodes", 0, "offset", 10)),
        ("control_plane.nodes.1.ip=10.9.9.9", ("control_plane", "nodes", 1, "ip", "10.9.9.9")),
        ("jms_tls.enabled=true", ("jms_tls", "enabled", True)),
        ("jms_tls.protocols=[\"TLSv1.3\"]", ("jms_tls", "protocols", ["TLSv1.3"])),
        ("databases.apim_db.params=useSSL=true, serverTimezone=UTC",
         ("databases", "apim_db", "params", {"useSSL": True, "serverTimezone": "UTC"})),
        ("databases.apim_db.params.oracle.net.ssl_version=1.2",
         ("databases", "apim_db", "params", "oracle.net.ssl_version", "1.2")),
        ("super_admin.password={ file = \"/run/secrets/admin\" }", ("super_admin", "password", {"file": "/run/secrets/admin"})),
        ("super_admin.password={not a table", ("super_admin", "password", "{not a table")),  # a literal
        ("gateway.nodes[2].name=gw-3", ("gateway", "nodes", 2, "name", "gw-3")),  # appends a row
    ],
)
def test_set_values_are_typed_by_the_model(option, expected):
    *path, value = expected
    layered = layered_from(["--preset", "ha", "--set", option], {})
    assert effective_value(layered.raw, tuple(path)) == value


@pytest.mark.parametrize(
    "option, fragment",
    [
        ("control_plane.lbhost=x", "no such answer field (did you mean control_plane.lb_host?)"),
        ("gateway.nodes[5].name=x", "there are 2 rows"),
        ("databases.apim_db.params={ x = ", "is not a TOML inline table"),
        ("version", "expected PATH=VALUE"),
    ],
)
def test_bad_set_options_are_usage_errors_naming_the_option(option, fragment, capsys):
    assert main(["validate", "--preset", "ha", "--set", option], out=io.StringIO()) == 2
    err = capsys.readouterr().err
    assert fragment in err and "Traceback" not in err


def test_validation_problems_name_the_variable_that_set_the_value(capsys, monkeypatch):
    monkeypatch.setenv("APIM_WIZARD_DATABASES__APIM_DB__PORT", "70000")
    assert main(["validate", "--preset", "ha"], out=io.StringIO()) == 1
    err = capsys.readouterr().err
    assert "databases.apim_db.port = 70000: is not a TCP port" in err
    assert "[from env APIM_WIZARD_DATABASES__APIM_DB__PORT]" in err


def test_apply_takes_layers_and_writes_them(tmp_path, monkeypatch):
    monkeypatch.setenv("APIM_WIZARD_GATEWAY__LB_HOST", "api.example.com")
    out = tmp_path / "out"
    code = main(["apply", "--preset", "ha", "--set", "control_plane.nodes[0].offset=1", "--out", str(out)],
                out=io.StringIO())
    assert code == 0
    gateway = (out / "gw-1/repository/conf/deployment.toml").read_text()
    assert 'hostname = "api.example.com"' in gateway
    assert 'offset = 1' in (out / "cp-1/repository/conf/deployment.toml").read_text()


def explain_lines(argv: list[str]) -> dict[str, tuple[str, str]]:
    out = io.StringIO()
    code = main(["explain", *argv], out=out)
    assert code == 0, out.getvalue()
    rows = {}
    for line in out.getvalue().splitlines()[1:]:
        match = re.match(r"(\S+) += (.*?)  +(\S.*)$", line)
        assert match, line
        rows[match.group(1)] = (match.group(2).strip(), match.group(3))
    return rows


def test_explain_names_the_layer_of_every_answer(tmp_path, monkeypatch):
    site = tmp_path / "site.toml"
    site.write_text('[databases.apim_db]\nhost = "apimdb.example.com"\n')
    monkeypatch.setenv("APIM_WIZARD_DATABASES__SHARED_DB__PASSWORD", "literal-shared-pw")
    rows = explain_lines(["--preset", "ha", "--answers", str(site), "--set", "pki.validity_days=397"])
    assert rows["databases.apim_db.host"] == ('"apimdb.example.com"', f"file {site}")
    assert rows["databases.shared_db.host"] == ('"db.example.com"', "preset ha")
    assert rows["databases.shared_db.password"] == ("****", "env APIM_WIZARD_DATABASES__SHARED_DB__PASSWORD")
    assert rows["pki.validity_days"] == ("397", "--set pki.validity_days")
    assert rows["pki.tls_key"] == ('"rsa-2048"', "default")
    assert rows["keystores.primary.password"] == ("{ generate = true }", "default")
    assert rows["databases.apim_db.port"][0] == "(not set: 3306, the usual port for mysql)"
    assert rows["control_plane.nodes[1].hostname"] == ('"cp2.example.com"', "preset ha")


def test_explain_never_prints_a_secret_value(monkeypatch):
    out = io.StringIO()
    main(["explain", "--preset", "wso2-docs-single", "--set", "super_admin.password=Sup3r-secret"], out=out)
    assert "Sup3r-secret" not in out.getvalue() and "super_admin.password" in out.getvalue()
    assert '"admin"' not in [line.split("=", 1)[1].split()[0] for line in out.getvalue().splitlines()[1:]
                             if "password" in line]


def test_explain_of_invalid_answers_lists_them_and_the_problems(capsys):
    out = io.StringIO()
    assert main(["explain", "--preset", "ha", "--set", "control_plane.lb_host=cp_1"], out=out) == 1
    assert re.search(r'control_plane\.lb_host += "cp_1" +--set control_plane\.lb_host', out.getvalue())
    assert "is not a valid hostname" in capsys.readouterr().err


def test_layer_errors_are_plain_exceptions_for_other_front_ends():
    layered = LayeredAnswers()
    with pytest.raises(LayerError, match="--set x=1: .*no such answer field"):
        layered.apply_sets(["x=1"])
    layered.assign(("version",), "4.2", Origin("typed"))
    layered.assign(("version",), UNSET, Origin("typed"))
    assert "version" not in layered.raw and layered.origin_of(("version",)).unset


def test_source_names_every_layer(tmp_path):
    site = tmp_path / "site.toml"
    site.write_text("")
    layered = layered_from(["--preset", "ha", "--answers", str(site), "--set", "version=4.3"],
                           {"APIM_WIZARD_NAME": "x"})
    assert layered.source == f"preset ha + {site} + env (1) + --set (1)"
    assert Path(layered.base_dir) == tmp_path


def test_a_row_out_of_order_names_the_variable_or_option(capsys, monkeypatch):
    monkeypatch.setenv("APIM_WIZARD_CONTROL_PLANE__NODES__5__HOSTNAME", "x")
    assert main(["validate", "--preset", "ha"]) != 0
    assert "APIM_WIZARD_CONTROL_PLANE__NODES__5__HOSTNAME: control_plane.nodes[5]: there are 2 rows" in \
        capsys.readouterr().err
    monkeypatch.delenv("APIM_WIZARD_CONTROL_PLANE__NODES__5__HOSTNAME")
    assert main(["validate", "--preset", "ha", "--set", "control_plane.nodes[5].hostname=x"]) != 0
    assert "--set control_plane.nodes[5].hostname=x: control_plane.nodes[5]" in capsys.readouterr().err
