"""Throwaway PostgreSQL and MariaDB servers for the database setup tests.

Each runs from a temporary data folder on a free port of 127.0.0.1 and is stopped at the end
of the session.  The administrator logs in without a password over TCP (PostgreSQL: trust for
"postgres" only) or over the server's socket (MariaDB: root by unix_socket), as on a fresh
Debian server; every other user must give a password, so the tests see what the generated
users can and cannot do.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tools import as_user, free_port, require, run

PG_DIRS = ("/usr/lib/postgresql/*/bin", "/usr/local/pgsql/bin")


@dataclass
class Server:
    kind: str  # "postgre" or "mariadb"
    host: str
    port: int
    socket: str  # folder (PostgreSQL) or file (MariaDB)
    stop: object = None

    def admin_sql(self, sql_file: Path):
        """Run a setup file as the administrator, the way the runbook says."""
        if self.kind == "postgre":
            return run([require("psql"), "-X", "-h", self.host, "-p", str(self.port), "-U", "postgres",
                        "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-f", str(sql_file)])
        with open(sql_file) as stdin:
            return run([mariadb_client(), "--no-defaults", f"--socket={self.socket}", "-u", "root"], stdin=stdin)

    def query(self, user: str, password: str, database: str, sql: str):
        """Run ``sql`` as ``user`` over TCP, as API-M's JDBC driver connects."""
        if self.kind == "postgre":
            env = {**os.environ, "PGPASSWORD": password, "PGCONNECT_TIMEOUT": "10"}
            return run([require("psql"), "-X", "-w", "-At", "-h", self.host, "-p", str(self.port), "-U", user,
                        "-d", database, "-v", "ON_ERROR_STOP=1", "-c", sql], env=env)
        env = {**os.environ, "MYSQL_PWD": password}
        return run([mariadb_client(), "--no-defaults", "--protocol=TCP", "-h", self.host, "-P", str(self.port),
                    "-u", user, "-N", "-B", "-e", sql, database], env=env)


def mariadb_client() -> str:
    return shutil.which("mariadb") or require("mysql")


def _wait(check, what: str, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not start:\n{log.read_text() if log.exists() else ''}")


def server_folder(kind: str) -> Path:
    """Not under pytest's tmp folder: the server user must reach it, and pytest's is root-only."""
    return Path(tempfile.mkdtemp(prefix=f"apim-wizard-{kind}-"))


def start_postgres(base: Path) -> Server:
    initdb, pg_ctl = require("initdb", *PG_DIRS), require("pg_ctl", *PG_DIRS)
    require("psql")
    prefix = as_user("postgres")
    data, log = base / "data", base / "server.log"
    base.chmod(0o755)
    if prefix:
        shutil.chown(base, "postgres")
    done = run([*prefix, initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale"])
    assert done.returncode == 0, done.stderr
    (data / "pg_hba.conf").write_text(
        "local all all trust\n"
        "host all postgres 127.0.0.1/32 trust\n"
        "host all all 127.0.0.1/32 scram-sha-256\n"
    )
    port = free_port()
    options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1"
    started = run([*prefix, pg_ctl, "-D", str(data), "-o", options, "-l", str(log), "-w", "start"])
    assert started.returncode == 0, started.stderr + (log.read_text() if log.exists() else "")
    server = Server("postgre", "127.0.0.1", port, str(base))
    def stop() -> None:
        run([*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "stop"])
        shutil.rmtree(base, ignore_errors=True)

    server.stop = stop
    return server


def start_mariadb(base: Path) -> Server:
    install_db, mariadbd = require("mariadb-install-db"), require("mariadbd", "/usr/sbin")
    mariadb_client()
    data, log, socket = base / "data", base / "server.log", base / "mysqld.sock"
    base.chmod(0o755)
    user = ["--user=mysql"] if os.geteuid() == 0 else []
    if user:
        as_user("mysql")  # skips or fails clearly when the package's user is missing
        shutil.chown(base, "mysql")
    done = run([install_db, "--no-defaults", f"--datadir={data}", *user, "--auth-root-authentication-method=socket",
                "--skip-test-db", "--skip-name-resolve"], timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    port = free_port()
    import subprocess

    process = subprocess.Popen(
        [mariadbd, "--no-defaults", f"--datadir={data}", f"--socket={socket}", f"--port={port}",
         "--bind-address=127.0.0.1", "--skip-name-resolve", f"--pid-file={base / 'mysqld.pid'}",
         f"--log-error={log}", *user],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    client = mariadb_client()

    def ready() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"mariadbd exited:\n{log.read_text() if log.exists() else ''}")
        return run([client, "--no-defaults", f"--socket={socket}", "-u", "root", "-e", "SELECT 1"]).returncode == 0

    _wait(ready, "MariaDB", log)
    server = Server("mariadb", "127.0.0.1", port, str(socket))

    def stop() -> None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(base, ignore_errors=True)

    server.stop = stop
    return server
