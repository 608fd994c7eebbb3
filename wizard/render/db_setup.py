"""db/: SQL that creates apim_db and shared_db with least-privilege users, and the script that
loads WSO2's schemas into them (seed step 2, facts §3.6).

Each user may connect to its own database only and create tables there: nothing on other
databases, no server-wide rights ("connect to data stores using a less privileged user",
WSO2's security guidelines).  The SQL is idempotent, so re-running it after changing a
password in the answers updates the password.  The schemas are loaded as the database users,
so the tables belong to them, in the order WSO2 gives: shared_db, then apim_db.
"""

from __future__ import annotations

from .. import facts
from .. import installation as inst
from ..model import Database
from ..secret_values import SecretRef
from ..topology import Topology
from .text import GENERATED, comment_block, sh

# Types the wizard writes setup SQL for (each is run on a real server by the tests).
SETUP_TYPES = ("postgre", "mysql", "mariadb")
DB_USERS = {"apim_db": ("control_plane",), "shared_db": ("control_plane", "gateway")}
LOAD_SCRIPT = "db/load-schemas.sh"
# A table each WSO2 schema creates: the loader skips a schema already there, which also
# keeps apim_db and shared_db apart when the answers put both in one database.
SCHEMA_MARKER_TABLE = {"shared_db": "UM_TENANT", "apim_db": "AM_API"}
TYPE_LABEL = {"postgre": "PostgreSQL", "mysql": "MySQL", "mariadb": "MariaDB", "mssql": "SQL Server",
              "oracle": "Oracle", "db2": "Db2"}


def _password(db: Database) -> str:
    if isinstance(db.password, SecretRef):
        raise RuntimeError(f"password of {db.name} was not resolved before rendering")
    return db.password


def databases_to_set_up(topology: Topology) -> list[tuple[str, Database]]:
    """shared_db first (WSO2's order); a database an existing cluster uses exists already."""
    out = []
    for key in ("shared_db", "apim_db"):
        db = getattr(topology.answers.databases, key)
        if db is not None and not any(topology.cluster(c).existing for c in DB_USERS[key]):
            out.append((key, db))
    return out


def create_sql_path(key: str) -> str:
    return f"db/create-{key}.sql"


def schema_script(key: str, db: Database) -> str:
    name = facts.DB_SCRIPT_NAME[db.type]
    return f"dbscripts/{name}.sql" if key == "shared_db" else f"dbscripts/apimgt/{name}.sql"


def server_label(db: Database) -> str:
    return f"{TYPE_LABEL[db.type]} {db.host}:{db.effective_port}"


def admin_command(key: str, db: Database) -> str:
    """The command the runbook gives to run the setup SQL as the administrator."""
    path = create_sql_path(key)
    if db.type == "postgre":
        return (f"psql -h {sh(db.host)} -p {db.effective_port} -U {sh(inst.db_admin(db))} "
                f"-d postgres -v ON_ERROR_STOP=1 -f {path}")
    return f"mysql --protocol=TCP -h {sh(db.host)} -P {db.effective_port} -u {sh(inst.db_admin(db))} -p < {path}"


# --------------------------------------------------------------------------- SQL text


def _pg_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _pg_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _my_ident(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _my_literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def _sql_header(topology: Topology, key: str, db: Database, run: str, notes: list[str]) -> str:
    return comment_block([
        f"{key} \"{db.name}\" and its user \"{db.user}\" on {server_label(db)}, for deployment",
        f"\"{topology.answers.name}\" (WSO2 API Manager {topology.answers.version}).",
        *notes,
        "Run it as a database administrator:",
        f"  {run}",
        "Safe to re-run: it creates what is missing and resets the user's password and rights.",
        "It holds the user's password: keep it private (mode 0600).",
        GENERATED,
    ], mark="--")


def render_postgresql(topology: Topology, key: str, db: Database) -> str:
    user, name = db.user, db.name
    header = _sql_header(topology, key, db, admin_command(key, db), [
        f"{db.user} may connect to {db.name} only and create objects in its public schema; other",
        "roles (PUBLIC) may not connect.  psql runs it: it uses \\gexec and \\connect.",
    ])
    exists_role = f"SELECT FROM pg_roles WHERE rolname = {_pg_literal(user)}"
    exists_db = f"SELECT FROM pg_database WHERE datname = {_pg_literal(name)}"
    return header + "\n".join([
        "\\set ON_ERROR_STOP on",
        "SET standard_conforming_strings = on;",
        "SET password_encryption = 'scram-sha-256';",
        "",
        f"SELECT format('CREATE ROLE %I', {_pg_literal(user)}) WHERE NOT EXISTS ({exists_role}) \\gexec",
        f"ALTER ROLE {_pg_ident(user)} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS",
        f"    PASSWORD {_pg_literal(_password(db))};",
        f"SELECT format('CREATE DATABASE %I', {_pg_literal(name)}) WHERE NOT EXISTS ({exists_db}) \\gexec",
        "-- New databases let every role connect; only this user may.",
        f"REVOKE ALL ON DATABASE {_pg_ident(name)} FROM PUBLIC;",
        f"GRANT CONNECT, TEMPORARY ON DATABASE {_pg_ident(name)} TO {_pg_ident(user)};",
        "",
        f"\\connect {_pg_literal(name)}",
        "-- PostgreSQL 14 and older let every role create objects in public.",
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC;",
        f"GRANT USAGE, CREATE ON SCHEMA public TO {_pg_ident(user)};",
    ]) + "\n"


def render_mysql(topology: Topology, key: str, db: Database) -> str:
    user = _my_literal(db.user) + "@'%'"
    password = _my_literal(_password(db))
    header = _sql_header(topology, key, db, admin_command(key, db), [
        f"{db.user} gets every right on {db.name} (WSO2's schema scripts create tables, indexes and",
        "triggers) and none elsewhere.  It may connect from any host ('%'); narrow that to the",
        "nodes' addresses if your network allows.  latin1, as WSO2's MySQL guide creates them.",
    ])
    return header + "\n".join([
        "-- Backslashes in the password below are escaped, which needs backslash escapes on.",
        "SET SESSION sql_mode = REPLACE(@@SESSION.sql_mode, 'NO_BACKSLASH_ESCAPES', '');",
        f"CREATE DATABASE IF NOT EXISTS {_my_ident(db.name)} CHARACTER SET latin1;",
        f"CREATE USER IF NOT EXISTS {user} IDENTIFIED BY {password};",
        f"ALTER USER {user} IDENTIFIED BY {password};",
        f"GRANT ALL PRIVILEGES ON {_my_ident(db.name)}.* TO {user};",
    ]) + "\n"


def render_create_sql(topology: Topology, key: str, db: Database) -> str:
    return render_postgresql(topology, key, db) if db.type == "postgre" else render_mysql(topology, key, db)


# ------------------------------------------------------------------ schema loader

_LOADER = r"""#!/usr/bin/env bash
@HEADER@
set -euo pipefail

usage() {
    echo "usage: bash @SCRIPT@ <wso2am zip | API-M home | unpacked distribution>" >&2
    exit 2
}
[ $# -eq 1 ] || usage
case $1 in -h|--help) usage ;; esac
source_path=$1

say() { printf '%s\n' "$*"; }
fail() { printf 'load-schemas.sh: %s\n' "$*" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT

if [ -d "$source_path/dbscripts" ]; then
    dbscripts=$source_path/dbscripts
elif [ -f "$source_path" ]; then
    if command -v unzip >/dev/null; then
        unzip -q -- "$source_path" '*/dbscripts/*' -d "$work/dist" || fail "cannot unpack dbscripts/ from $source_path"
    else
        fail "unzip is needed to read $source_path (or give an unpacked distribution)"
    fi
    dbscripts=$(find "$work/dist" -mindepth 2 -maxdepth 2 -type d -name dbscripts -print -quit)
    [ -n "$dbscripts" ] || fail "$source_path holds no dbscripts/ folder: is it the API-M distribution?"
else
    fail "$source_path is neither an API-M distribution zip nor a folder with dbscripts/"
fi

# load_postgresql KEY HOST PORT DATABASE USER PASSWORD SCRIPT MARKER-TABLE
load_postgresql() {
    local key=$1 host=$2 port=$3 database=$4 user=$5 password=$6 script=$7 marker=$8 found
    command -v psql >/dev/null || fail "psql is needed to load $key (apt-get install postgresql-client)"
    found=$(PGPASSWORD=$password psql -X -w -q -At -h "$host" -p "$port" -U "$user" -d "$database" \
        -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND lower(tablename) = lower('$marker')") ||
        fail "cannot connect to $key as $user at $host:$port: run db/create-$key.sql first"
    if [ "$found" -gt 0 ]; then
        say "$key: WSO2's tables are there ($marker); not loading $script again"
        return
    fi
    # WSO2's PostgreSQL scripts run in their own transaction (BEGIN ... COMMIT).
    PGPASSWORD=$password psql -X -w -q -h "$host" -p "$port" -U "$user" -d "$database" \
        -v ON_ERROR_STOP=1 -f "$dbscripts/${script#dbscripts/}" >/dev/null ||
        fail "loading $script into $key failed (see the errors above)"
    say "$key: loaded $script"
}

# load_mysql KEY HOST PORT DATABASE USER PASSWORD-OPTION-VALUE SCRIPT MARKER-TABLE
load_mysql() {
    local key=$1 host=$2 port=$3 database=$4 user=$5 password=$6 script=$7 marker=$8 client found
    client=$(command -v mariadb || command -v mysql) ||
        fail "the mysql or mariadb client is needed to load $key (apt-get install default-mysql-client)"
    # The password goes in an option file, not on the command line where ps shows it.
    local options="$work/$key.cnf"
    (umask 077 && printf '[client]\npassword="%s"\n' "$password" > "$options")
    found=$("$client" --defaults-extra-file="$options" --protocol=TCP -h "$host" -P "$port" -u "$user" -N -B \
        -e "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '$database' AND lower(table_name) = lower('$marker')" "$database") ||
        fail "cannot connect to $key as $user at $host:$port: run db/create-$key.sql first"
    if [ "$found" -gt 0 ]; then
        say "$key: WSO2's tables are there ($marker); not loading $script again"
        return
    fi
    "$client" --defaults-extra-file="$options" --protocol=TCP -h "$host" -P "$port" -u "$user" "$database" \
        < "$dbscripts/${script#dbscripts/}" || fail "loading $script into $key failed (see the errors above)"
    say "$key: loaded $script"
}

@CHECKS@
@LOADS@
"""


def _option_value(password: str) -> str:
    """A value for a MySQL option file, inside double quotes."""
    return password.replace("\\", "\\\\").replace('"', '\\"')


def render_load_schemas(topology: Topology) -> str:
    databases = databases_to_set_up(topology)
    header = comment_block([
        f"Loads WSO2's schemas into the databases of deployment \"{topology.answers.name}\"",
        f"(WSO2 API Manager {topology.answers.version}), as their own users, in WSO2's order:",
        *(f"  {schema_script(key, db)} -> {key} \"{db.name}\" on {server_label(db)}" for key, db in databases),
        "Run it after db/create-*.sql, from a host that reaches the databases:",
        f"  bash {LOAD_SCRIPT} {inst.distribution_zip(topology.answers)}",
        "(the distribution zip, or an unpacked distribution or API-M home).  A schema already loaded",
        "is left alone, so re-running is safe.  It holds the users' passwords: keep it private",
        "(mode 0600).",
        GENERATED,
    ])
    loads, checks = [], []
    for key, db in databases:
        script = schema_script(key, db)
        if db.type in SETUP_TYPES:
            inside = script.removeprefix("dbscripts/")
            checks.append(f'[ -f "$dbscripts/{inside}" ] || fail "{script} is missing from $source_path"')
            function = "load_postgresql" if db.type == "postgre" else "load_mysql"
            password = _password(db) if db.type == "postgre" else _option_value(_password(db))
            args = [key, db.host, str(db.effective_port), db.name, db.user, password, script,
                    SCHEMA_MARKER_TABLE[key]]
            if any(c in password for c in "$`"):
                loads.append("# shellcheck disable=SC2016  # the password is literal text")
            loads.append(f"{function} " + " ".join(sh(a) for a in args))
        else:
            message = (f"{key}: load {script} into {db.name} on {server_label(db)} with your "
                       f"{TYPE_LABEL[db.type]} client as {db.user} (this script loads PostgreSQL, MySQL "
                       "and MariaDB only)")
            loads.append(f"say {sh(message)}")
    text = _LOADER.replace("@HEADER@", header.rstrip("\n")).replace("@SCRIPT@", LOAD_SCRIPT)
    return text.replace("@CHECKS@", "\n".join(checks)).replace("@LOADS@", "\n".join(loads))
