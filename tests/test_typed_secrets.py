"""Secrets typed at a prompt: { stored = true } references, the secrets file, resolution."""

from __future__ import annotations

import io
import os
import tomllib

import pytest

from conftest import build_raw, node_configs
from wizard.cli import main
from wizard.model import Answers
from wizard.saved_answers import keep_typed_secrets, save_answers, secrets_path_for
from wizard.secret_values import SecretRef, iter_secret_fields
from wizard.secrets_store import SecretStore, resolve_secrets
from wizard.validation import validate_answers


def valid(raw: dict) -> Answers:
    answers, problems = validate_answers(raw)
    assert answers is not None, problems
    return answers


def test_stored_reference_parses_and_resolves_from_the_store(ha_raw):
    ha_raw["databases"]["apim_db"]["password"] = {"stored": True}
    answers = valid(ha_raw)
    assert answers.databases.apim_db.password == SecretRef(stored=True)
    build = build_raw(ha_raw, SecretStore(stored={"databases.apim_db.password": "Typed-pw-1"}))
    assert node_configs(build)["cp-1"]["database"]["apim_db"]["password"] == "Typed-pw-1"
    secrets = next(f for f in build.files if f.path == "secrets.toml")
    assert tomllib.loads(secrets.content.decode())["stored"] == {"databases.apim_db.password": "Typed-pw-1"}


def test_missing_stored_value_is_a_clear_error(ha_raw, tmp_path, capsys):
    ha_raw["databases"]["apim_db"]["password"] = {"stored": True}
    resolution = resolve_secrets(valid(ha_raw), SecretStore(), environ={})
    (problem,) = resolution.problems
    assert problem.field == "databases.apim_db.password"
    assert "apply --secrets FILE" in problem.message
    answers = tmp_path / "site.toml"
    answers.write_text(_dump(ha_raw))
    assert main(["apply", "--answers", str(answers), "--out", str(tmp_path / "out")], out=io.StringIO()) == 1
    assert "databases.apim_db.password: is { stored = true }" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def _dump(raw: dict) -> str:
    from wizard.answers_io import dump_answers

    return dump_answers(valid(raw))


@pytest.mark.parametrize("value", [{"stored": False}, {"stored": "yes"}, {"stored": True, "env": "X"}])
def test_bad_stored_reference_is_refused(ha_raw, value):
    ha_raw["super_admin"]["password"] = value
    answers, problems = validate_answers(ha_raw)
    assert answers is None and problems[0].field == "super_admin.password"


def test_keep_typed_secrets_moves_literals_out(ha_raw):
    ha_raw["super_admin"]["password"] = "Typed-admin-pw"
    ha_raw["databases"]["shared_db"]["password"] = {"stored": True}
    ha_raw["analytics"] = {"enabled": True, "auth_token": "choreo-key"}
    answers, stored = keep_typed_secrets(valid(ha_raw), {"databases.shared_db.password": "Earlier-pw", "stale": "x"})
    assert stored == {"super_admin.password": "Typed-admin-pw", "analytics.auth_token": "choreo-key",
                      "databases.shared_db.password": "Earlier-pw"}
    assert not any(isinstance(v, str) for _, v, _ in iter_secret_fields(answers))


def test_save_answers_writes_references_and_a_private_secrets_file(tmp_path, ha_raw):
    ha_raw["super_admin"]["password"] = "Typed-admin-pw"
    answers, stored = keep_typed_secrets(valid(ha_raw), {})
    target = tmp_path / "site.toml"
    written = save_answers(answers, target, stored)
    assert written == [target, tmp_path / "site.secrets.toml"]
    assert "Typed-admin-pw" not in target.read_text()
    assert tomllib.loads(target.read_text())["super_admin"]["password"] == {"stored": True}
    assert os.stat(tmp_path / "site.secrets.toml").st_mode & 0o777 == 0o600
    # merged into an existing secrets file: generated values stay
    deployment = tmp_path / "deployment"
    deployment.mkdir()
    (deployment / "secrets.toml").write_text('[generated]\n"keystores.tls.password" = "Gen-1"\n')
    save_answers(answers, deployment / "answers.toml", stored)
    kept = SecretStore.load(deployment / "secrets.toml")
    assert kept.generated == {"keystores.tls.password": "Gen-1"}
    assert kept.stored == {"super_admin.password": "Typed-admin-pw"}


def test_save_answers_refuses_a_literal_secret(tmp_path, ha_raw):
    ha_raw["super_admin"]["password"] = "Typed-admin-pw"
    with pytest.raises(ValueError, match="must not hold a secret value"):
        save_answers(valid(ha_raw), tmp_path / "a.toml", {})
    assert not (tmp_path / "a.toml").exists()


def test_secrets_file_names():
    from pathlib import Path

    assert secrets_path_for(Path("d/answers.toml")) == Path("d/secrets.toml")
    assert secrets_path_for(Path("d/site.toml")) == Path("d/site.secrets.toml")


def test_optional_secret_references_are_resolved(ha_raw):
    """analytics.auth_token is Optional[secret]: its reference is resolved like any other."""
    ha_raw["analytics"] = {"enabled": True, "auth_token": {"env": "CHOREO_KEY"}}
    build = build_raw(ha_raw, environ={"CHOREO_KEY": "on-prem-key-1"})
    assert node_configs(build)["gw-1"]["apim"]["analytics"]["auth_token"] == "on-prem-key-1"


def test_missing_env_reference_names_field_and_variable(ha_raw):
    ha_raw["databases"]["shared_db"]["password"] = {"env": "APIM_TEST_NOT_SET"}
    resolution = resolve_secrets(valid(ha_raw), SecretStore(), environ={})
    assert [str(p) for p in resolution.problems] == [
        "databases.shared_db.password: environment variable APIM_TEST_NOT_SET is not set; "
        "export it or give the value another way"]


def test_secrets_from_variables_and_set_are_references_in_the_written_answers(tmp_path, monkeypatch):
    """DIR/answers.toml never holds a secret value that no answer file held: a variable's
    becomes { env = VAR }, a --set one { stored = true } kept in DIR/secrets.toml; the
    answers replay to the same output."""
    out = tmp_path / "out"
    monkeypatch.setenv("APIM_WIZARD_DATABASES__APIM_DB__PASSWORD", "EnvLiteral123")
    code = main(["apply", "--preset", "ha", "--set", "keystores.tls.password=SetLiteral99", "--out", str(out)],
                out=io.StringIO())
    assert code == 0
    written = (out / "answers.toml").read_text()
    assert "EnvLiteral123" not in written and "SetLiteral99" not in written
    answers = tomllib.loads(written)
    assert answers["databases"]["apim_db"]["password"] == {"env": "APIM_WIZARD_DATABASES__APIM_DB__PASSWORD"}
    assert answers["keystores"]["tls"]["password"] == {"stored": True}
    assert SecretStore.load(out / "secrets.toml").stored["keystores.tls.password"] == "SetLiteral99"
    replay = io.StringIO()
    assert main(["apply", "--answers", str(out / "answers.toml"), "--out", str(out)], out=replay) == 0
    assert "no changes" in replay.getvalue()


def test_a_set_over_the_outputs_own_answers_is_recorded_in_them(tmp_path):
    out = tmp_path / "out"
    assert main(["apply", "--preset", "ha", "--out", str(out)], out=io.StringIO()) == 0
    assert main(["apply", "--answers", str(out / "answers.toml"), "--set", "gateway.lb_host=gwx.example.com",
                 "--out", str(out)], out=io.StringIO()) == 0
    assert tomllib.loads((out / "answers.toml").read_text())["gateway"]["lb_host"] == "gwx.example.com"
    replay = io.StringIO()
    assert main(["apply", "--answers", str(out / "answers.toml"), "--out", str(out)], out=replay) == 0
    assert "no changes" in replay.getvalue()
