"""Production checks: what would leave a deployment weaker than WSO2's security guidelines.

:func:`review` is pure: answers (and, when there is a build, its files) in, findings out.
The CLI shows findings as warnings, or as errors with ``--production``; the wizard's review
panel shows the same list.  Each finding names the answer field, what is wrong and the fix,
never a secret value.  ``[hardening] accept = ["code", ...]`` accepts a check for one
deployment (e.g. a database on a private link without TLS): it is still reported.
"""

from __future__ import annotations

import ipaddress
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass


from . import facts
from .model import HARDENING_CHECKS, Answers, Database
from .plan import PlannedFile
from .problems import Path, Problem

DEFAULT_PASSWORDS = frozenset({"admin", "wso2carbon"})
SHIPPED_KEYSTORES = frozenset({"wso2carbon.jks", "wso2carbon.p12"})
SHIPPED_TRUSTSTORES = frozenset({"client-truststore.jks"})
WEAK_PROTOCOLS = ("TLSv1", "TLSv1.1")
# The built-in administrator of each database server.
SUPERUSERS = {
    "mysql": {"root"},
    "mariadb": {"root"},
    "postgre": {"postgres"},
    "mssql": {"sa"},
    "oracle": {"sys", "system"},
    "db2": {"db2inst1"},
}
# WSO2 default.json: every control plane opens the broker's TLS listener (8672) with TLSv1.
BROKER_TLS_DEFAULT_PROTOCOLS = "TLSv1"
PROTOCOL_KEYS = {"ssl_enabled_protocols", "HttpsProtocols", "sslEnabledProtocols", "protocols"}


@dataclass(frozen=True)
class Finding:
    code: str  # one of model.HARDENING_CHECKS
    path: Path  # the answer field to change
    message: str  # what is wrong (never a secret value)
    fix: str

    def problem(self, severity: str = "warning") -> Problem:
        return Problem(self.path, f"{self.message}; fix: {self.fix} [{self.code}]", severity=severity)


def review(answers: Answers, files: Iterable[PlannedFile] = (), pki=None) -> list[Finding]:
    """Every production finding for ``answers`` (resolved or not: unresolved secret
    references are not judged) and, when given, the files and the PKI material
    (``build.shared["pki"]``) of its build."""
    files = list(files)
    findings: list[Finding] = []
    for check in (_default_credentials, _default_keystores, _weak_protocols, _jms_plaintext,
                  _database_users, _database_tls, _plaintext_secrets):
        findings.extend(check(answers))
    findings.extend(_weak_keys(files, pki))
    findings.extend(_broker_defaults(answers, files))
    findings.extend(_hostname_verification(answers, files))
    assert all(f.code in HARDENING_CHECKS for f in findings)
    return findings


def gate(findings: list[Finding], answers: Answers, production: bool) -> tuple[list[Problem], list[Problem]]:
    """(problems to report as warnings or errors, accepted findings shown as notes)."""
    accepted = set(answers.hardening.accept)
    severity = "error" if production else "warning"
    shown = [f.problem(severity) for f in findings if f.code not in accepted]
    notes = [f.problem("warning") for f in findings if f.code in accepted]
    return shown, notes


# ------------------------------------------------------------------ answer checks


def _literal(value) -> str | None:
    return value if isinstance(value, str) else None


def _default_credentials(answers: Answers) -> Iterator[Finding]:
    admin = answers.super_admin
    if _literal(admin.password) in DEFAULT_PASSWORDS:
        who = "admin/admin, " if admin.username == "admin" and admin.password == "admin" else ""
        yield Finding("default_credentials", ("super_admin", "password"),
                      f"is WSO2's default password ({who}known to every attacker)",
                      'choose a strong password, or password = { generate = true }')
    for key in ("primary", "tls", "truststore"):
        store = getattr(answers.keystores, key)
        if _literal(store.password) in DEFAULT_PASSWORDS:
            yield Finding("default_credentials", ("keystores", key, "password"),
                          "is WSO2's default keystore password wso2carbon",
                          "password = { generate = true } (or a strong password of your own)")
    for key, db in _databases(answers):
        password = _literal(db.password)
        if password in DEFAULT_PASSWORDS or password == db.user:
            what = "equals the user name" if password == db.user else "is a WSO2 default password"
            yield Finding("default_credentials", ("databases", key, "password"), f"{what}, the first guess of any attacker",
                          "password = { generate = true } (the db/ setup scripts create the user with it)")


def _default_keystores(answers: Answers) -> Iterator[Finding]:
    for key in ("primary", "tls"):
        store = getattr(answers.keystores, key)
        if store.file_name in SHIPPED_KEYSTORES or store.alias == "wso2carbon":
            field = "file_name" if store.file_name in SHIPPED_KEYSTORES else "alias"
            yield Finding(
                "default_keystore", ("keystores", key, field),
                "is the name of the keystore every API-M download ships, whose private key is public: "
                "a node where the generated file was not installed starts on that key without a word",
                f'give it a name of its own, e.g. file_name = "{key}.p12", alias = "{key}"')
    store = answers.keystores.truststore
    if store.file_name in SHIPPED_TRUSTSTORES:
        yield Finding(
            "default_keystore", ("keystores", "truststore", "file_name"),
            "is the name of WSO2's shipped truststore, which trusts WSO2's public default certificate "
            "for gateway tokens: a node without the generated file accepts tokens anyone can sign",
            'file_name = "client-truststore.p12" (or another name of your own)')


def _weak_protocols(answers: Answers) -> Iterator[Finding]:
    jms = answers.jms_tls
    weak = [p for p in jms.protocols if p in WEAK_PROTOCOLS]
    if jms.enabled and weak:
        yield Finding("weak_tls", ("jms_tls", "protocols"),
                      f"enables {', '.join(weak)}, deprecated by RFC 8996 and broken",
                      'protocols = ["TLSv1.2", "TLSv1.3"]')


def _is_loopback(host: str | None) -> bool:
    if host is None:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _host_of(node) -> str:
    return "localhost" if _is_loopback(node.hostname) or _is_loopback(node.ip) else node.hostname


def _jms_plaintext(answers: Answers) -> Iterator[Finding]:
    if answers.jms_tls.enabled:
        return
    # Gateways talk to every control plane, and HA control planes to each other.
    hosts = {_host_of(n) for n in (*answers.control_plane.nodes, *answers.gateway.nodes)}
    if len(hosts) > 1:
        yield Finding(
            "jms_plaintext", ("jms_tls", "enabled"),
            "is false while gateways and control planes run on different hosts: throttle decisions and "
            "event notifications, with the super admin credentials in the AMQP URL, cross the network unencrypted",
            "[jms_tls] enabled = true")


def _databases(answers: Answers) -> Iterator[tuple[str, Database]]:
    for key in ("apim_db", "shared_db"):
        db = getattr(answers.databases, key)
        if db is not None:
            yield key, db


def _database_users(answers: Answers) -> Iterator[Finding]:
    for key, db in _databases(answers):
        if db.user.lower() in SUPERUSERS[db.type]:
            yield Finding(
                "db_superuser", ("databases", key, "user"),
                f"is the {db.type} superuser {db.user}: API-M then holds full control of the database server",
                f"a user of its own with rights on {db.name} only (the db/ setup scripts create one)")


def _param(db: Database, *names: str) -> str | None:
    lowered = {k.lower(): v for k, v in db.params.items()}
    for name in names:
        if name.lower() in lowered:
            value = lowered[name.lower()]
            return ("true" if value else "false") if isinstance(value, bool) else str(value).lower()
    return None


def _tls_state(db: Database) -> tuple[str, str] | None:
    """(what is wrong, the params to set) when the connection is not TLS-protected."""
    if db.type == "mysql":
        mode, use_ssl, require = _param(db, "sslMode"), _param(db, "useSSL"), _param(db, "requireSSL")
        if mode == "disabled" or use_ssl == "false":
            return "turns TLS off (useSSL=false / sslMode=DISABLED)", 'sslMode = "VERIFY_IDENTITY"'
        if mode in ("required", "verify_ca", "verify_identity") or require == "true":
            return None
        return ("does not require TLS (Connector/J falls back to plaintext)", 'sslMode = "VERIFY_IDENTITY"')
    if db.type == "mariadb":
        mode, use_ssl = _param(db, "sslMode"), _param(db, "useSsl", "useSSL")
        if mode == "disable" or use_ssl == "false":
            return "turns TLS off", 'sslMode = "verify-full"'
        if mode in ("trust", "verify-ca", "verify-full") or use_ssl == "true":
            return None
        return "does not enable TLS (MariaDB Connector/J connects in plaintext by default)", 'sslMode = "verify-full"'
    if db.type == "postgre":
        mode, ssl = _param(db, "sslmode"), _param(db, "ssl")
        if mode in ("disable", "allow") or ssl == "false":
            return "turns TLS off", 'sslmode = "verify-full"'
        if mode in ("require", "verify-ca", "verify-full") or (ssl == "true" and mode is None):
            return None
        return "does not require TLS (pgjdbc's default sslmode=prefer falls back to plaintext)", 'sslmode = "verify-full"'
    if db.type == "mssql":
        if _param(db, "encrypt") == "false":
            return "turns TLS off (encrypt=false)", "encrypt = true"
        if _param(db, "trustServerCertificate") == "true":
            return "encrypts but trusts any server certificate (trustServerCertificate=true)", \
                "drop trustServerCertificate and trust the server's CA"
        return None  # mssql-jdbc 10.2+ encrypts by default
    if db.type == "db2":
        if _param(db, "sslConnection") != "true":
            return "does not enable TLS", "sslConnection = true"
        return None
    # Oracle's thin driver negotiates Native Network Encryption on the server side; the
    # JDBC URL cannot tell, so there is nothing to judge here.
    return None


def _database_tls(answers: Answers) -> Iterator[Finding]:
    for key, db in _databases(answers):
        if _is_loopback(db.host):
            continue
        state = _tls_state(db)
        if state:
            what, params = state
            yield Finding(
                "db_plaintext", ("databases", key, "params"),
                f"the connection to {db.host} {what}: database passwords and API data cross the network readable",
                f"params = {{ {params} }} (and put the database server's CA in the truststore)")


def _plaintext_secrets(answers: Answers) -> Iterator[Finding]:
    if not answers.secure_vault.enabled:
        yield Finding(
            "plaintext_secrets", ("secure_vault", "enabled"),
            "is false: deployment.toml holds the admin, database and keystore passwords in clear text "
            "(readable by its owner only, mode 0600)",
            '[secure_vault] enabled = true (mode = "encrypt" writes the ciphertexts ciphertool would)')


# -------------------------------------------------------------------- file checks


def _weak_keys(files: list[PlannedFile], pki) -> Iterator[Finding]:
    if not files and pki is None:
        return
    from .key_strength import weak_certificates  # cryptography only when there is key material

    for where, field, subject, problem in weak_certificates(files, pki):
        yield Finding("weak_keys", field, f"{where}: {subject}: {problem}",
                      "issue it again with an RSA key of at least 2048 bits (or EC P-256), signed with SHA-256")


def _node_configs(files: list[PlannedFile]) -> Iterator[tuple[PlannedFile, dict]]:
    for planned in files:
        if planned.path.endswith("repository/conf/deployment.toml"):
            yield planned, tomllib.loads(planned.content.decode())


def _dig(config: dict, dotted: str):
    for part in dotted.split("."):
        if not isinstance(config, dict) or part not in config:
            return None
        config = config[part]
    return config


def _protocol_values(config, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(config, dict):
        for key, value in config.items():
            here = f"{path}.{key}" if path else key
            if key.split(".")[-1] in PROTOCOL_KEYS and isinstance(value, str | list):
                yield here, ",".join(value) if isinstance(value, list) else value
            else:
                yield from _protocol_values(value, here)


def _broker_defaults(answers: Answers, files: list[PlannedFile]) -> Iterator[Finding]:
    for planned, config in _node_configs(files):
        node = planned.path.split("/")[0]
        for key, value in _protocol_values(config):
            weak = [p for p in (v.strip().lstrip("+") for v in value.split(",")) if p in WEAK_PROTOCOLS]
            if weak:
                yield Finding("weak_tls", ("jms_tls", "protocols"),
                              f"{node}: {key} enables {', '.join(weak)}, deprecated by RFC 8996 and broken",
                              'protocols = ["TLSv1.2", "TLSv1.3"] and allow_weak_protocols = false')
        if _dig(config, "server.server_role") != facts.SERVER_ROLE[facts.CONTROL_PLANE]:
            continue
        ssl = _dig(config, "broker.transport.amqp.ssl_connection") or {}
        enabled = ssl.get("enabled", True)
        if enabled and "ssl_enabled_protocols" not in ssl:
            yield Finding(
                "weak_tls", ("jms_tls", "enabled"),
                f"{node}: the broker's TLS listener (port 8672) is on by WSO2's default with "
                f"{BROKER_TLS_DEFAULT_PROTOCOLS} only (default.json), which is broken and which current JDKs refuse",
                "[jms_tls] enabled = true: the wizard then sets the broker to TLSv1.2/TLSv1.3")


def _hostname_verification(answers: Answers, files: list[PlannedFile]) -> Iterator[Finding]:
    fix = 'hostname_verifier = "DefaultAndLocalhost" (or "Strict"); the generated certificates cover every name the nodes use'
    if answers.install.hostname_verifier == "AllowAll":
        yield Finding(
            "hostname_verification", ("install", "hostname_verifier"),
            "is AllowAll: the nodes' outgoing HTTPS calls (key manager, event hub, notifications) accept a "
            "certificate issued for any name", fix)
        return
    # The answers ask for verification: every start script in the output must pass it on
    # (api-manager.sh itself sets AllowAll).
    for planned in files:
        if not planned.path.endswith(("/start.sh", "/start.bat")) or b"api-manager" not in planned.content:
            continue
        text = planned.content.decode(errors="replace")
        if f"hostnameVerifier={answers.install.hostname_verifier}" not in text:
            yield Finding(
                "hostname_verification", ("install", "hostname_verifier"),
                f"{planned.path}: does not pass -Dhttpclient.hostnameVerifier={answers.install.hostname_verifier}, "
                "so API-M keeps api-manager.sh's AllowAll", "apply again to regenerate the start scripts")
