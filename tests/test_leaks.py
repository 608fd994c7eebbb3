"""Leak scan: known secrets go through validate, apply (dry run with diffs, real runs,
--force backups, --production) of the real CLI; none may appear in the terminal output or
in any output file that should not hold it.

Which file may hold which secret is stated here, not derived from the code under test:
a deployment.toml holds the passwords its node uses (with the secure vault only those
API-M cannot read from the vault), answers.toml only secrets given literally, secrets.toml
only generated ones, the database setup scripts the database passwords, backups what their
originals held; every other file none.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from conftest import preset_raw

EXE = shutil.which("apim-wizard") or str(Path(sys.executable).parent / "apim-wizard")

LITERAL = {  # written in the answer file
    "admin": "Leak-Admin-Pass-41",
    "primary": "Leak-Primary-Store-42",
    "token": "Leak-Choreo-Token-43",
}
FROM_ENV = {  # given through environment variables: never in answers.toml
    "apim_db": ("APIM_LEAK_APIM_DB", "Leak-Apim-Db-Pass-44"),
    "shared_db": ("APIM_LEAK_SHARED_DB", "Leak-Shared-Db-Pass-45"),
    "tls": ("APIM_LEAK_TLS", "Leak-Tls-Store-46"),
}
# the truststore password is generated: read from secrets.toml after the first run


def answers_text(vault: str | None, jms_tls: bool) -> str:
    import tomlkit

    raw = preset_raw("ha")
    raw["super_admin"]["password"] = LITERAL["admin"]
    raw["databases"]["apim_db"]["password"] = {"env": FROM_ENV["apim_db"][0]}
    raw["databases"]["shared_db"]["password"] = {"env": FROM_ENV["shared_db"][0]}
    raw["keystores"] = {
        "primary": {"file_name": "primary.p12", "alias": "primary", "password": LITERAL["primary"]},
        "tls": {"file_name": "tls.p12", "alias": "tls", "password": {"env": FROM_ENV["tls"][0]}},
        "truststore": {"password": {"generate": True}},
    }
    raw["analytics"] = {"enabled": True, "auth_token": LITERAL["token"]}
    raw["jms_tls"] = {"enabled": jms_tls}
    if vault:
        raw["secure_vault"] = {"enabled": True, "mode": vault}
    return tomlkit.dumps(raw)


def cli(*argv, env_extra=None) -> subprocess.CompletedProcess:
    env = {**os.environ, **{name: value for name, value in FROM_ENV.values()}, **(env_extra or {})}
    return subprocess.run([EXE, *map(str, argv)], capture_output=True, text=True, env=env, timeout=180)


def allowed(path: str, secrets: dict[str, str], vault: str | None, jms_tls: bool) -> set[str]:
    """Names of the secrets the file at ``path`` may hold."""
    parts = Path(path).parts
    if parts[0] == ".apim-wizard" and len(parts) > 2 and parts[1] == "backups":
        original = "/".join(parts[2:]).rsplit(".", 1)[0]  # backups are named <path>.<hash>
        return allowed(original, secrets, vault, jms_tls)
    if path == "answers.toml":
        return set(LITERAL)
    if path == "secrets.toml":
        return {"truststore"}
    # The database setup creates the users with their passwords (mode 0600, run once).
    if path == "db/load-schemas.sh":
        return {"apim_db", "shared_db"}
    if path.startswith("db/create-"):
        return {path[len("db/create-"):].removesuffix(".sql")}
    if path.endswith("/repository/conf/deployment.toml"):
        gateway = parts[0].startswith("gw-")
        used = {"admin", "shared_db", "primary", "tls", "truststore"} | ({"token"} if gateway else {"apim_db"})
        if not vault:
            return used
        # API-M cannot read these from the vault (see SECURE-VAULT.md): broker keystore
        # passwords and passwords inside JMS connection strings.
        return ({"tls", "truststore"} | ({"admin"} if gateway else set())) if jms_tls else set()
    return set()


@pytest.mark.parametrize("vault, jms_tls", [(None, False), (None, True), ("encrypt", True), ("plaintext", False)])
def test_no_secret_leaks(tmp_path, vault, jms_tls):
    answers = tmp_path / "answers-in.toml"
    answers.write_text(answers_text(vault, jms_tls))
    out = tmp_path / "out"
    terminal: list[str] = []

    def run(*argv, expect=0, **kwargs):
        result = cli(*argv, **kwargs)
        terminal.extend([result.stdout, result.stderr])
        assert result.returncode == expect, (argv, result.stdout, result.stderr)
        return result

    run("validate", "--answers", answers)
    run("validate", "--answers", answers, "--production", expect=1)
    run("apply", "--answers", answers, "--out", out, "--dry-run")
    run("apply", "--answers", answers, "--out", out)
    run("apply", "--answers", answers, "--out", out)
    # a changed password, shown as a diff, then a hand edit replaced with --force (backup)
    changed = tmp_path / "changed.toml"
    changed.write_text(answers.read_text().replace(LITERAL["admin"], "Leak-Admin-Pass-47")
                       .replace('type = "hybrid"', 'type = "production"'))
    run("apply", "--answers", changed, "--out", out, "--dry-run")
    node = out / "gw-1/repository/conf/deployment.toml"
    node.write_text(node.read_text() + "# edited\n")
    run("apply", "--answers", changed, "--out", out, expect=3)
    run("apply", "--answers", changed, "--out", out, "--force")
    run("apply", "--answers", answers, "--out", out, "--production", expect=1)
    run("apply", "--answers", answers, "--out", out, "--dry-run",
        env_extra={FROM_ENV["apim_db"][0]: "Leak-Apim-Db-Pass-48"})

    generated = tomllib.loads((out / "secrets.toml").read_text())["generated"]
    secrets = {**LITERAL, **{k: v for k, (_, v) in FROM_ENV.items()},
               "truststore": generated["keystores.truststore.password"],
               "admin-2": "Leak-Admin-Pass-47", "apim_db-2": "Leak-Apim-Db-Pass-48"}

    shown = "\n".join(terminal)
    for name, value in secrets.items():
        assert value not in shown, f"{name} printed to the terminal"

    checked = 0
    for path in sorted(out.rglob("*")):
        if not path.is_file():
            continue
        relative = path.relative_to(out).as_posix()
        data = path.read_bytes()
        if vault == "plaintext" and ".toml" in relative and "deployment" in relative:
            # "[password]" for ciphertool stands in the [secrets] table, and only there.
            data = data.split(b"\n[secrets]\n")[0]
        may_hold = allowed(relative, secrets, vault, jms_tls)
        may_hold |= {f"{n}-2" for n in may_hold}  # the changed values stand where the old ones did
        for name, value in secrets.items():
            if name not in may_hold:
                assert value.encode() not in data, f"{relative} holds {name}"
        checked += 1
    assert checked > 20
    # The vault really moved them: with it, deployment.toml holds none of the vaultable secrets.
    if vault:
        text = (out / "cp-1/repository/conf/deployment.toml").read_text().split("\n[secrets]\n")[0]
        assert LITERAL["primary"] not in text and secrets["shared_db"] not in text


def test_no_secret_leaks_from_the_prompt_flow(tmp_path, monkeypatch, capsys):
    """The plain-prompt wizard: a typed database password and one from the environment."""
    from test_prompts import ENV_DB_PASSWORD, TYPED_DB_PASSWORD, drive, ha_from_scratch

    monkeypatch.setenv("APIM_TEST_SHARED_DB_PASSWORD", ENV_DB_PASSWORD)
    saved, out = tmp_path / "demo.toml", tmp_path / "out"
    code, transcript = drive(["prompt"], ha_from_scratch(saved, out))
    assert code == 0, transcript
    captured = capsys.readouterr()
    generated = tomllib.loads((out / "secrets.toml").read_text())["generated"]
    secrets = {
        "apim_db": TYPED_DB_PASSWORD, "shared_db": ENV_DB_PASSWORD,
        "admin": generated["super_admin.password"], "primary": generated["keystores.primary.password"],
        "tls": generated["keystores.tls.password"], "truststore": generated["keystores.truststore.password"],
    }
    for name, value in secrets.items():
        for shown in (transcript, captured.out, captured.err):
            assert value not in shown, f"{name} printed by the prompt flow"
    holders = {
        saved: set(),  # the saved answers: references only
        out / "answers.toml": set(),
        tmp_path / "demo.secrets.toml": {"apim_db"},  # the typed value, mode 0600
        out / "secrets.toml": {"admin", "primary", "tls", "truststore", "apim_db"},
    }
    for path in out.rglob("*"):
        if path.is_file() and path not in holders:
            holders[path] = allowed(path.relative_to(out).as_posix(), secrets, None, False)
    for path, may_hold in holders.items():
        data = path.read_bytes()
        for name, value in secrets.items():
            if name not in may_hold:
                assert value.encode() not in data, f"{path.relative_to(tmp_path)} holds {name}"
