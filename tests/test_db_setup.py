"""db/ on real servers: the setup SQL creates least-privilege users, the loader loads schemas.

PostgreSQL and MariaDB servers are started by the tests (tests/db_servers.py); the answers'
types mysql and mariadb share one SQL dialect and both run on MariaDB.  Passwords carry
quotes, backslashes and $ so that the quoting of the SQL and the scripts is exercised.
"""

from __future__ import annotations

import copy
import itertools
from pathlib import Path

import pytest

from conftest import build_raw, preset_raw
from db_servers import Server, server_folder, start_mariadb, start_postgres
from fake_apim import make_distribution_dir, make_distribution_zip
from tools import run
from wizard.render.db_setup import LOAD_SCRIPT, create_sql_path

PASSWORD = "It's \"q\" \\ $x `t` ;|&"
_names = itertools.count(1)


@pytest.fixture(scope="session")
def postgres():
    server = start_postgres(server_folder("postgres"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def mariadb():
    server = start_mariadb(server_folder("mariadb"))
    yield server
    server.stop()


@pytest.fixture
def servers(request):
    return {"postgre": lambda: request.getfixturevalue("postgres"),
            "mysql": lambda: request.getfixturevalue("mariadb"),
            "mariadb": lambda: request.getfixturevalue("mariadb")}


def answers_for(apim: tuple[str, Server], shared: tuple[str, Server]) -> dict:
    """The ha preset with its databases on the test servers, under names no other test uses."""
    raw = preset_raw("ha")
    n = next(_names)
    for key, (db_type, server), user in (("apim_db", apim, "apim"), ("shared_db", shared, "shared")):
        raw["databases"][key] = {
            "type": db_type, "host": server.host, "port": server.port,
            "name": f"{key}_{n}", "user": f"{user}admin_{n}", "password": f"{PASSWORD}{key}",
        }
    return raw


def write(raw: dict, out: Path) -> dict[str, bytes]:
    files = {f.path: f for f in build_raw(raw).files}
    for path, planned in files.items():
        if path.startswith("db/"):
            target = out / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(planned.content)
            target.chmod(planned.mode)
    return files


def db(raw: dict, key: str) -> dict:
    return raw["databases"][key]


def denied(result) -> bool:
    text = (result.stdout + result.stderr).lower()
    return result.returncode != 0 and ("permission denied" in text or "access denied" in text)


@pytest.mark.parametrize("db_type", ["postgre", "mysql", "mariadb"])
def test_setup_sql_gives_each_user_its_own_database_only(db_type, servers, tmp_path):
    server = servers[db_type]()
    raw = answers_for((db_type, server), (db_type, server))
    files = write(raw, tmp_path)
    for key in ("shared_db", "apim_db"):
        assert files[create_sql_path(key)].mode == 0o600
        done = server.admin_sql(tmp_path / create_sql_path(key))
        assert done.returncode == 0, done.stderr

    apim, shared = db(raw, "apim_db"), db(raw, "shared_db")
    for mine, other in ((apim, shared), (shared, apim)):
        connected = server.query(mine["user"], mine["password"], mine["name"], "SELECT 1")
        assert connected.returncode == 0 and connected.stdout.strip() == "1", connected.stderr
        created = server.query(mine["user"], mine["password"], mine["name"], "CREATE TABLE probe (i INTEGER)")
        assert created.returncode == 0, created.stderr
        assert denied(server.query(mine["user"], mine["password"], other["name"], "SELECT 1"))
        assert denied(server.query(mine["user"], mine["password"], mine["name"], "CREATE DATABASE sneaky"))
    assert server.query(apim["user"], "wrong", apim["name"], "SELECT 1").returncode != 0

    # Re-running is safe, and a password changed in the answers is applied.
    changed = copy.deepcopy(raw)
    changed["databases"]["apim_db"]["password"] = "new-" + PASSWORD
    write(changed, tmp_path)
    for key in ("shared_db", "apim_db"):
        again = server.admin_sql(tmp_path / create_sql_path(key))
        assert again.returncode == 0, again.stderr
    assert server.query(apim["user"], "new-" + PASSWORD, apim["name"], "SELECT 1").returncode == 0
    assert server.query(apim["user"], apim["password"], apim["name"], "SELECT 1").returncode != 0
    probe = server.query(shared["user"], shared["password"], shared["name"], "SELECT COUNT(*) FROM probe")
    assert probe.returncode == 0 and probe.stdout.strip() == "0"  # nothing was dropped


def _load(tmp_path: Path, source: Path):
    return run(["bash", str(tmp_path / LOAD_SCRIPT), str(source)], cwd=tmp_path)


@pytest.mark.parametrize("apim_type,shared_type", [("postgre", "postgre"), ("mariadb", "mariadb"),
                                                   ("mysql", "postgre")])
def test_schemas_load_into_their_databases_as_their_users(apim_type, shared_type, servers, tmp_path):
    """WSO2's order (shared_db, then apim_db), each as its own user; mixed servers too."""
    apim_server, shared_server = servers[apim_type](), servers[shared_type]()
    raw = answers_for((apim_type, apim_server), (shared_type, shared_server))
    files = write(raw, tmp_path)
    assert files[LOAD_SCRIPT].mode == 0o600
    for key, server in (("shared_db", shared_server), ("apim_db", apim_server)):
        assert server.admin_sql(tmp_path / create_sql_path(key)).returncode == 0

    zip_path = make_distribution_zip(tmp_path)
    loaded = _load(tmp_path, zip_path)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.splitlines()[:2] == [
        f"shared_db: loaded dbscripts/{'postgresql' if shared_type == 'postgre' else 'mysql'}.sql",
        f"apim_db: loaded dbscripts/apimgt/{'postgresql' if apim_type == 'postgre' else 'mysql'}.sql",
    ]
    apim, shared = db(raw, "apim_db"), db(raw, "shared_db")
    for server, mine, table in ((shared_server, shared, "UM_TENANT"), (apim_server, apim, "AM_API")):
        if server.kind == "postgre":
            sql = f"SELECT tableowner FROM pg_tables WHERE tablename = '{table.lower()}'"
            owner = server.query(mine["user"], mine["password"], mine["name"], sql)
            assert owner.stdout.strip() == mine["user"], owner.stderr
        else:
            count = server.query(mine["user"], mine["password"], mine["name"], f"SELECT COUNT(*) FROM {table}")
            assert count.returncode == 0 and count.stdout.strip() == "0", count.stderr
    # Each schema went into its own database only.
    other = server.query(apim["user"], apim["password"], apim["name"], "SELECT COUNT(*) FROM UM_TENANT")
    assert other.returncode != 0

    again = _load(tmp_path, make_distribution_dir(tmp_path / "unpacked"))
    assert again.returncode == 0, again.stderr
    assert "shared_db: WSO2's tables are there (UM_TENANT); not loading" in again.stdout
    assert "apim_db: WSO2's tables are there (AM_API); not loading" in again.stdout


def test_loader_names_what_is_missing(postgres, tmp_path):
    raw = answers_for(("postgre", postgres), ("postgre", postgres))
    write(raw, tmp_path)
    result = _load(tmp_path, tmp_path / "nowhere.zip")
    assert result.returncode == 1 and "neither an API-M distribution zip nor a folder" in result.stderr
    result = _load(tmp_path, make_distribution_dir(tmp_path / "dist"))
    assert result.returncode == 1 and "run db/create-shared_db.sql first" in result.stderr
    result = run(["bash", str(tmp_path / LOAD_SCRIPT)])
    assert result.returncode == 2 and "usage" in result.stderr


def test_setup_sql_is_written_only_for_databases_the_wizard_creates():
    raw = preset_raw("ha")
    raw["control_plane"]["existing"] = True  # its databases exist already
    paths = {f.path for f in build_raw(raw).files}
    assert not any(p.startswith("db/") for p in paths)

    raw = preset_raw("ha")
    raw["databases"]["apim_db"]["type"] = "oracle"
    files = {f.path: f.content.decode() for f in build_raw(raw).files}
    assert create_sql_path("apim_db") not in files and create_sql_path("shared_db") in files
    assert "load dbscripts/apimgt/oracle.sql into apim_db" in files[LOAD_SCRIPT]
