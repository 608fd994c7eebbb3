"""JDBC URL, driver and validation query per WSO2 database type.

API-M renders ``[database.*] url`` raw into master-datasources.xml, so the value written to
deployment.toml must be XML text: ``&`` becomes ``&amp;`` (facts §3.6, pain point 13).
"""

from __future__ import annotations

from . import facts
from .model import Database


def _text(value: str | int | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def jdbc_url(db: Database) -> str:
    """The JDBC URL as the driver reads it (not yet XML-escaped)."""
    host, port, name = db.host, db.effective_port, db.name
    params = {k: _text(v) for k, v in db.params.items()}
    if db.type == "mssql":
        merged = {"databaseName": name, "SendStringParametersAsUnicode": "false", **params}
        return f"jdbc:sqlserver://{host}:{port};" + ";".join(f"{k}={v}" for k, v in merged.items())
    if db.type == "db2":
        merged = {"progressiveStreaming": "2", **params}
        return f"jdbc:db2://{host}:{port}/{name}:" + "".join(f"{k}={v};" for k, v in merged.items())
    if db.type == "oracle":
        base = f"jdbc:oracle:thin:@{host}:{port}{':' if db.oracle_sid else '/'}{name}"
    else:
        scheme = {"mysql": "mysql", "mariadb": "mariadb", "postgre": "postgresql"}[db.type]
        base = f"jdbc:{scheme}://{host}:{port}/{name}"
    if params:
        base += "?" + "&".join(f"{k}={v}" for k, v in params.items())
    return base


def xml_text(value: str) -> str:
    """Escape a value that API-M copies into XML element text."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def jdbc_url_for_toml(db: Database) -> str:
    return xml_text(jdbc_url(db))


def driver_class(db: Database) -> str:
    return db.driver or facts.DB_DRIVER[db.type]


def validation_query(db: Database) -> str:
    return db.validation_query or facts.DB_VALIDATION_QUERY[db.type]
