"""The wizard's questions: one registry that every interactive front end renders.

Questions are derived from the answer model (field descriptions, defaults, Literal
choices, secret policies), so a field added to the model is asked without any change
here; the thin layer of overrides below only adds what the model cannot say: a short
label, help in WSO2 terms, the step that asks it, when it applies, and the value an
empty answer stands for.  Checking an answer runs the one validator
(:func:`wizard.validation.validate_answers`) on the raw answers with the answer put in,
and keeps the problems at or under the question's path: there is no second copy of a rule.

Steps follow the Textual wizard (issue 4): Start, Topology, Load balancers, Environments,
Messaging, Databases, Keystores & certificates, Options, Review, Write.  Each has an F1
help text that says what the settings do in API-M and which step of WSO2's guide
*Configuring a Distributed API-M Deployment* ("the seed") they automate.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from . import facts
from .model_paths import (
    MISSING,
    ROW,
    SECTION,
    TABLE,
    FieldSpec,
    effective_value,
    field_specs,
    get_value,
    parse_text,
    with_value,
)
from .problems import Path, Problem, format_path
from .validation import validate_answers

# --------------------------------------------------------------------------- steps


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    help: str  # F1: what the step's settings do in API-M, which seed step they automate
    owns: tuple[str, ...] = ()  # path patterns ("*" = any key or row) whose fields this step asks


STEPS: tuple[Step, ...] = (
    Step(
        "start",
        "Start",
        "Every front end of apim-wizard edits one answer file: a new deployment starts from the "
        "built-in defaults, a preset from one of the shipped topologies (apim-wizard presets), and an "
        "answer file from a deployment you saved before.  The name labels the deployment in the "
        "generated files' headers; nothing in API-M depends on it.",
        ("name", "description"),
    ),
    Step(
        "topology",
        "Topology",
        "WSO2 API-M 4.1-4.4 ships one pack that runs as a profile (seed step 1 and 6): Control Plane "
        "nodes (-Dprofile=control-plane: Publisher, Developer Portal, Key Manager, Traffic Manager and "
        "the event hub) and Gateway worker nodes (-Dprofile=gateway-worker).  One node of a profile is "
        "single mode; two or more form an HA cluster behind a load balancer (seed: 'configure High "
        "Availability').  Each node's [server] offset shifts every port it listens on; the wizard "
        "writes the shifted ports into the URLs the other nodes use.  Mark a profile as existing to "
        "describe nodes that already run: the other nodes are wired to them, but no files are written "
        "for them.",
        ("version", "control_plane.existing", "control_plane.nodes", "gateway.existing", "gateway.nodes"),
    ),
    Step(
        "load_balancers",
        "Load balancers",
        "An HA cluster is reached through its load balancer (seed step 6: 'Configuring the Proxy "
        "Server and the Load Balancer').  The control-plane LB hostname goes into every gateway's "
        "[apim.key_manager] and [apim.throttling] service_url and the Developer Portal URL; the "
        "gateway LB hostname into the gateway environment's http/https/ws endpoints on the control "
        "planes.  Nodes behind an LB get [server] hostname = the LB name and the LB's proxy ports "
        "([transport.http/https.properties] proxyPort).  Asked only for HA clusters.",
        ("control_plane.lb_host", "control_plane.proxy_http_port", "control_plane.proxy_https_port",
         "gateway.lb_host", "gateway.proxy_http_port", "gateway.proxy_https_port"),
    ),
    Step(
        "environments",
        "Environments",
        "Gateway environments are the [[apim.gateway.environment]] entries of the control planes: "
        "the targets the Publisher deploys API revisions to, with the URLs the Developer Portal shows.  "
        "Each gateway lists the environments it serves in [apim.sync_runtime_artifacts.gateway] "
        "gateway_labels (seed step 6.3), and pulls only their APIs when the control plane announces a "
        "deployment.  Every label must name an environment.",
        ("environments", "gateway.labels"),
    ),
    Step(
        "messaging",
        "Messaging (JMS TLS)",
        "Gateways receive throttle decisions and event-hub notifications (API, application, "
        "subscription and key manager events) over JMS from the broker on each control plane, on AMQP "
        "port 5672 by default.  With TLS on, the broker also listens on 8672 "
        "([broker.transport.amqp.ssl_connection]) and the gateways connect with ssl='true' and the "
        "keystore and truststore (seed step 6: 'Enabling TLS/SSL for Gateway to Traffic Manager JMS "
        "communications').",
        ("jms_tls",),
    ),
    Step(
        "databases",
        "Databases",
        "API-M keeps its data in two databases (seed step 2): apim_db (WSO2AM_DB: APIs, applications, "
        "subscriptions, throttling policies) used by the control planes, and shared_db (WSO2SHARED_DB: "
        "registry and user store) used by every node.  The type sets the default port, the JDBC driver "
        "and the connection validation query of [database.apim_db] and [database.shared_db]; the "
        "JDBC URL is built from type, host, port, name and parameters.",
        ("databases",),
    ),
    Step(
        "keystores",
        "Keystores & certificates",
        "Seed step 4: every node needs a TLS certificate whose names cover how the other nodes and "
        "clients reach it (node hostname, IP, the load balancer), imported into its keystore and "
        "into the truststores.  The primary keystore ([keystore.primary]) signs tokens and encrypts "
        "data and must be the same on every node; the TLS keystore ([keystore.tls]) is per node; the "
        "client truststore ([truststore]) holds the CA the nodes trust.  The wizard creates a "
        "deployment CA, or issues with yours, or takes certificates you bring.",
        ("pki", "keystores", "control_plane.nodes.*.extra_sans", "control_plane.nodes.*.tls_cert",
         "control_plane.nodes.*.tls_key", "gateway.nodes.*.extra_sans", "gateway.nodes.*.tls_cert",
         "gateway.nodes.*.tls_key"),
    ),
    Step(
        "options",
        "Options",
        "The super admin account ([super_admin]) every node uses to call the others; the user store; "
        "token revocation (the control plane notifies gateways of revoked tokens, [[event_listener]]); "
        "cache invalidation; the JWT sent to backends ([apim.jwt], seed step 6.4); Choreo analytics "
        "(seed step 5); runtime artifacts the gateways keep when the control plane syncs; the secure "
        "vault (passwords in deployment.toml as $secret{} references); and production checks accepted "
        "for this deployment.",
        ("super_admin", "user_store", "features", "backend_jwt", "analytics", "gateway.skip_list", "secure_vault",
         "hardening"),
    ),
    Step(
        "review",
        "Review",
        "Every node's deployment.toml exactly as it will be written (passwords shown as ********), and "
        "every problem the validator finds, each naming its field.",
    ),
    Step(
        "write",
        "Write",
        "The output folder gets one folder per node with repository/conf/deployment.toml, the answers "
        "(answers.toml, replayable with apim-wizard apply) and the secrets (secrets.toml, mode 0600).  "
        "The plan of files (new / changed / unchanged) is shown before anything is written.",
    ),
)
CATCH_ALL_STEP = "options"  # fields no step claims (e.g. added to the model later) are asked here


def step(key: str) -> Step:
    for candidate in STEPS:
        if candidate.key == key:
            return candidate
    raise KeyError(key)


# ----------------------------------------------------------------------- conditions


@dataclass(frozen=True)
class View:
    """What a condition sees: the effective answers (written, else model default) around a path."""

    raw: dict
    path: Path

    def get(self, dotted: str) -> Any:
        return effective_value(self.raw, tuple(int(p) if p.isdigit() else p for p in dotted.split(".")))

    def here(self, name: str) -> Any:
        """A field of the same section (or row) as the question."""
        return effective_value(self.raw, (*self.path[:-1], name))

    def rows(self, dotted: str) -> int:
        value = self.get(dotted)
        return len(value) if isinstance(value, list) else 0

    @property
    def cluster(self) -> str:
        return str(self.path[0])


Condition = Callable[[View], bool]


def _ha(v: View) -> bool:
    return v.rows(f"{v.cluster}.nodes") > 1


def _generated(v: View) -> bool:
    return not v.get(f"{v.cluster}.existing")


def _enabled(v: View) -> bool:
    return bool(v.here("enabled"))


def _db_type_fact(table: dict[str, Any], what: str) -> Callable[[View], str]:
    def derive(v: View) -> str:
        db_type = v.here("type")
        value = table.get(db_type)
        return f"{value}, {what} for {db_type}" if value is not None else ""

    return derive


# ------------------------------------------------------------------------ overrides


@dataclass(frozen=True)
class Ask:
    """What the model cannot say about a field.  ``when`` conditions of every matching
    override must hold; for the other attributes the most specific pattern wins."""

    label: str | None = None
    help: str | None = None
    when: Condition | None = None
    advanced: bool | None = None  # asked only on request (prompt) / folded away (Textual)
    derived: Callable[[View], str] | str | None = None  # what an empty answer stands for
    choice_help: dict[str, str] | None = None


OVERRIDES: dict[str, Ask] = {
    "name": Ask("Deployment name", "Labels the deployment in the header of every generated deployment.toml."),
    "description": Ask("Description", "One line saying what this deployment is (presets show it in `apim-wizard presets`).", advanced=True),
    "version": Ask("API-M version", "Version of the API-M packs on the nodes; selects the version-specific settings written."),
    "super_admin.username": Ask(
        "Super admin user name",
        "[super_admin] username: the admin account API-M creates at first start; nodes use it to call each "
        "other ($ref{super_admin.username}), so it is also embedded in the AMQP connection URLs."),
    "super_admin.password": Ask(
        "Super admin password",
        "[super_admin] password; embedded unencoded in the AMQP URLs between nodes, so only letters, digits "
        "and . _ ~ ! $ & ( ) * + , ; = : - can be used."),
    "user_store.type": Ask(
        "User store type",
        "[user_store] type: where users and roles live; database_unique_id keeps them in shared_db, the "
        "LDAP and Active Directory types need connection properties."),
    "user_store.properties": Ask(
        "User store properties", when=lambda v: v.here("type") not in ("database", "database_unique_id")),
    "control_plane.existing": Ask("Control-plane nodes already exist (write no files for them)"),
    "gateway.existing": Ask("Gateway nodes already exist (write no files for them)"),
    "control_plane.nodes": Ask("Control-plane nodes"),
    "gateway.nodes": Ask("Gateway nodes"),
    "*.nodes.*.name": Ask("Name"),
    "*.nodes.*.hostname": Ask("Hostname"),
    "*.nodes.*.ip": Ask("IP address", derived="[server] node_ip is not written"),
    "*.nodes.*.offset": Ask("Port offset"),
    "*.nodes.*.extra_sans": Ask("Extra certificate names (SANs)", when=_generated, advanced=True),
    "*.nodes.*.tls_cert": Ask("Certificate PEM file", when=lambda v: _generated(v) and v.get("pki.ca") == "external"),
    "*.nodes.*.tls_key": Ask("Private key PEM file", when=lambda v: _generated(v) and v.get("pki.ca") == "external"),
    "*.lb_host": Ask("Load balancer hostname", when=_ha),
    "*.proxy_http_port": Ask("Load balancer HTTP port", when=_ha, advanced=True),
    "*.proxy_https_port": Ask("Load balancer HTTPS port", when=_ha, advanced=True),
    "*.lb_ip": Ask("Load balancer IP address", when=_ha, advanced=True,
                   derived="the hosts file leaves the load balancer name commented out"),
    "control_plane.lb_host": Ask("Control-plane load balancer hostname"),
    "gateway.lb_host": Ask("Gateway load balancer hostname"),
    "gateway.labels": Ask("Gateway labels (environments the gateways serve)"),
    "gateway.skip_list.*": Ask(advanced=True),
    "gateway.skip_list.apis": Ask("Skip list: APIs", "API files (*.xml) in the gateways' synapse-configs the sync leaves alone."),
    "gateway.skip_list.endpoints": Ask("Skip list: endpoints", "Endpoint files (*.xml) the sync leaves alone."),
    "gateway.skip_list.sequences": Ask("Skip list: sequences", "Sequence files (*.xml) the sync leaves alone."),
    "gateway.skip_list.local_entries": Ask("Skip list: local entries", "Local entry files (*.xml) the sync leaves alone."),
    "environments": Ask(
        "Gateway environments", "[[apim.gateway.environment]] on the control planes: where the Publisher deploys APIs."),
    "environments.*.name": Ask(
        "Name", "[[apim.gateway.environment]] name: the Publisher deploys to it by this name, and gateways "
        "select it with gateway_labels."),
    "environments.*.type": Ask(
        "Type", "Which key types the environment serves.",
        choice_help={"hybrid": "production and sandbox keys", "production": "production keys only",
                     "sandbox": "sandbox keys only"}),
    "environments.*.description": Ask("Description", "Shown in the Publisher and the Developer Portal.", advanced=True),
    "environments.*.display_in_api_console": Ask(
        "Show in the API console", "List the environment's URLs in the Developer Portal's try-out console.", advanced=True),
    "environments.*.show_as_token_endpoint_url": Ask(
        "Show as token endpoint URL", "Show the environment's URL as the token endpoint in the Developer Portal.",
        advanced=True),
    "jms_tls.enabled": Ask("JMS over TLS"),
    "secure_vault.enabled": Ask("Secure vault"),
    "secure_vault.mode": Ask(
        "Secure vault mode", when=_enabled,
        choice_help={"encrypt": "the wizard encrypts the passwords as ciphertool.sh does",
                     "plaintext": "you run ciphertool.sh -Dconfigure on each node"}),
    "hardening.accept": Ask("Accepted production checks", advanced=True),
    "jms_tls.protocols": Ask(
        "TLS protocols", "[broker.transport.amqp.ssl_connection] ssl_enabled_protocols: TLS versions the broker accepts.",
        when=_enabled),
    "jms_tls.allow_weak_protocols": Ask("Allow TLSv1 / TLSv1.1", when=_enabled, advanced=True),
    "jms_tls.ciphers": Ask(
        "Cipher suites", "[broker.transport.amqp.ssl_connection] ciphers: Java (IANA) names of the suites the broker accepts.",
        when=_enabled, advanced=True),
    "databases.apim_db.*": Ask(when=lambda v: not v.get("control_plane.existing")),
    "databases.*.type": Ask(
        "Type", "WSO2 type token of [database.*] type; sets the default port, driver and validation query.",
        choice_help={"postgre": "PostgreSQL", "mssql": "Microsoft SQL Server", "db2": "IBM Db2"}),
    "databases.*.host": Ask("Host", "Database server hostname, as the nodes reach it."),
    "databases.*.port": Ask("Port", derived=_db_type_fact(facts.DB_DEFAULT_PORT, "the usual port")),
    "databases.*.name": Ask("Database name", "Name of the database on the server (for Oracle the service name or SID)."),
    "databases.*.user": Ask("User", "[database.*] username the nodes connect as."),
    "databases.*.password": Ask("Password", "[database.*] password."),
    "databases.*.params": Ask("JDBC URL parameters", advanced=True),
    "databases.*.driver": Ask("JDBC driver class", advanced=True, derived=_db_type_fact(facts.DB_DRIVER, "the driver")),
    "databases.*.validation_query": Ask(
        "Validation query", "SQL the connection pool runs to test a connection ([database.*.pool_options] validationQuery).",
        advanced=True, derived=_db_type_fact(facts.DB_VALIDATION_QUERY, "the query")),
    "databases.*.oracle_sid": Ask("Oracle SID", when=lambda v: v.here("type") == "oracle"),
    "databases.*.admin_user": Ask(
        "Administrator for the setup SQL", "The database administrator that runs db/create-*.sql.", advanced=True,
        derived=lambda v: "postgres" if v.here("type") == "postgre" else "root"),
    "install.*": Ask(advanced=True),
    "install.base_dir": Ask("Installation folder", "Each node's API-M home is <folder>/<node name> on its host."),
    "install.distribution": Ask("API-M distribution zip", derived="wso2am-<version>.0.zip next to install.sh"),
    "install.user": Ask("Service user", "System user that owns the API-M home and runs the node (systemd User=)."),
    "install.group": Ask("Service group"),
    "install.java_home": Ask("JAVA_HOME", derived="from the java on PATH"),
    "install.jdbc_drivers": Ask("JDBC driver jars", "Copied into repository/components/lib by install.sh."),
    "install.nginx_cert_dir": Ask("Certificate folder on the load balancers", "Where nginx finds lb/ and ca/ files."),
    "install.hostname_verifier": Ask(
        "Hostname verification", "How the nodes check the names in the certificates of the servers they call.",
        choice_help={"DefaultAndLocalhost": "verify every name except localhost (WSO2's production advice)",
                     "Strict": "verify every name", "AllowAll": "accept any name (api-manager.sh's default)"}),
    "keystores.*.file_name": Ask("File name", "File name in repository/resources/security of each node.", advanced=True),
    "keystores.*.type": Ask("Store type", "PKCS12 (the JDK default) or JKS.", advanced=True),
    "keystores.*.alias": Ask("Key alias", "Alias of the key entry in the keystore.", advanced=True),
    "keystores.primary.password": Ask(
        "Primary keystore password", "Password of the primary keystore and of its key (API-M requires them to be equal)."),
    "keystores.tls.password": Ask(
        "TLS keystore password", "Password of each node's TLS keystore and of its key (API-M requires them to be equal)."),
    "keystores.truststore.password": Ask("Truststore password", "Password of the client truststore."),
    "pki.ca": Ask(
        "Certificate authority", "Who issues the nodes' TLS certificates and the primary certificate.",
        choice_help={"generate": "a new deployment CA, kept in DIR/ca", "provided": "issued by your CA (ca_cert + ca_key)",
                     "external": "you bring every node's certificate (nodes' tls_cert/tls_key), issued by ca_cert"}),
    "pki.ca_cert": Ask("CA certificate PEM file", when=lambda v: v.here("ca") != "generate"),
    "pki.ca_key": Ask("CA private key PEM file", when=lambda v: v.here("ca") == "provided"),
    "pki.tls_key": Ask("TLS key type"),
    "pki.primary_key": Ask("Primary key type", advanced=True),
    "pki.validity_days": Ask("TLS certificate validity (days)", advanced=True),
    "pki.primary_validity_days": Ask("Primary certificate validity (days)", advanced=True),
    "pki.localhost_sans": Ask("Add localhost to the certificates", advanced=True),
    "pki.system_cas": Ask("Trust this machine's public CAs", advanced=True),
    "features.token_revocation": Ask("Token revocation notifications"),
    "features.cache_invalidation": Ask("Cache invalidation"),
    "features.cache_invalidation_domain": Ask(
        "Cache invalidation domain", "[apim.cache_invalidation] domain: control planes of one domain invalidate each other's caches.",
        when=lambda v: v.here("cache_invalidation"), advanced=True),
    "features.devportal_url": Ask(
        "Developer Portal URL", advanced=True, derived="https://<control-plane load balancer or host>/devportal"),
    "backend_jwt.enabled": Ask(
        "Backend JWT", "[apim.jwt]: gateways send a JWT with the caller's claims to the backend (signed with the primary key)."),
    "backend_jwt.*": Ask(when=lambda v: v.path[-1] == "enabled" or v.here("enabled")),
    "backend_jwt.encoding": Ask("Encoding", "How the JWT is encoded in the header.", advanced=True),
    "backend_jwt.header": Ask("Header", "HTTP header that carries the JWT to the backend.", advanced=True),
    "backend_jwt.signing_algorithm": Ask("Signing algorithm", "NONE sends an unsigned JWT.", advanced=True),
    "backend_jwt.claim_dialect": Ask("Claim dialect", "Claim URI dialect of the JWT's claims.", advanced=True),
    "backend_jwt.convert_dialect": Ask("Convert dialect", "Convert claims to the dialect above.", advanced=True),
    "backend_jwt.enable_user_claims": Ask("User claims"),
    "analytics.enabled": Ask("Choreo analytics", "Gateways publish API usage events to Choreo cloud analytics (seed step 5)."),
    "analytics.config_endpoint": Ask(
        "Config endpoint", "Choreo's analytics configuration endpoint.", when=_enabled, advanced=True),
    "analytics.auth_token": Ask("On-prem key", when=_enabled),
}


def _matches(pattern: tuple[str, ...], path: Path) -> bool:
    return len(pattern) == len(path) and all(p == "*" or p == str(q) for p, q in zip(pattern, path))


def _split(dotted: str) -> tuple[str, ...]:
    return tuple(dotted.split("."))


# ------------------------------------------------------------------------ questions

KEEP: Any = object()  # check(): the answer already in the raw answers


@dataclass(frozen=True)
class Question:
    """One answer the wizard asks for.

    ``path`` is a pattern until bound: table columns have ``"*"`` for the row, and
    :meth:`bind` gives the question of one row.  A TABLE question asks for rows of
    ``columns``; ``rows_editable`` is False where another step owns adding and removing rows
    (e.g. certificate columns of the node tables) and only existing rows are asked.
    """

    path: Path
    label: str
    help: str
    kind: str
    step: str
    spec: FieldSpec
    choices: tuple[str, ...] = ()
    choice_help: dict[str, str] = field(default_factory=dict)
    advanced: bool = False
    columns: tuple[Question, ...] = ()
    rows_editable: bool = True
    conditions: tuple[Condition, ...] = ()
    derived: Callable[[View], str] | str | None = None

    @property
    def key(self) -> str:
        return format_path(self.path)

    @property
    def required(self) -> bool:
        return self.spec.required

    @property
    def nullable(self) -> bool:
        return self.spec.nullable

    @property
    def min_rows(self) -> int:
        return self.spec.min_items

    @property
    def max_rows(self) -> int | None:
        """Most rows the table takes (the model's max_length; a cluster's nodes:
        facts.MAX_NODES_PER_CLUSTER); None when unbounded."""
        return self.spec.max_items

    def bind(self, row: int) -> Question:
        """A table column's question for one row."""
        return replace(self, path=tuple(row if part == ROW else part for part in self.path))

    def row_questions(self, raw: dict, row: int) -> list[Question]:
        """The columns of row ``row`` of this table that apply."""
        bound = [column.bind(row) for column in self.columns]
        return [column for column in bound if column.applies(raw)]

    def new_row(self, rows: list, index: int) -> dict[str, Any]:
        """A suggestion for row ``index`` of this table after ``rows``: the last row's numbered
        fields counted on (cp-2 -> cp-3, cp2.example.com -> cp3.example.com, 10.0.0.12 ->
        10.0.0.13), or the table's first row; the other fields keep their defaults."""
        if not rows:
            return dict(FIRST_ROWS.get(format_path(self.path), {}))
        last, step_by = rows[-1], index - len(rows) + 1
        return {
            key: _count_on(value, step_by)
            for key, value in last.items()
            if isinstance(value, str) and re.search(r"\d", value)
        }

    def applies(self, raw: dict) -> bool:
        if self.kind == TABLE and not self.rows_editable:
            rows = self.rows(raw)
            return any(self.row_questions(raw, i) for i in range(len(rows)))
        view = View(raw, self.path)
        return all(condition(view) for condition in self.conditions)

    def rows(self, raw: dict) -> list:
        value = effective_value(raw, self.path)
        return value if isinstance(value, list) else []

    def current(self, raw: dict) -> Any:
        """The answer as it stands: written, else the model default, else MISSING."""
        return effective_value(raw, self.path)

    def is_written(self, raw: dict) -> bool:
        return get_value(raw, self.path) is not MISSING

    def derived_text(self, raw: dict) -> str:
        """What an empty answer stands for (``""`` when nothing is derived)."""
        if self.derived is None:
            return ""
        return self.derived if isinstance(self.derived, str) else self.derived(View(raw, self.path))

    def parse(self, text: str) -> Any:
        """Text as typed to a raw value (UNSET for empty); ValueError for malformed structure."""
        return parse_text(self.spec, text, self.path)

    def check(self, raw: dict, value: Any = KEEP, under: bool = True) -> list[Problem]:
        """Problems the validator finds at (and, with ``under``, below) this question's path
        once ``value`` is the answer (UNSET: no answer)."""
        trial = raw if value is KEEP else with_value(raw, self.path, value)
        _, problems = validate_answers(trial)
        n = len(self.path)
        return [p for p in problems if p.path[:n] == self.path and (under or len(p.path) == n)]


# The first row a new table starts from (the next rows count on from the last one).
FIRST_ROWS: dict[str, dict[str, Any]] = {
    "control_plane.nodes": {"name": "cp-1"},
    "gateway.nodes": {"name": "gw-1"},
    "environments": {"name": "Default"},
}


def _count_on(text: str, step_by: int) -> str:
    match = list(re.finditer(r"\d+", text))[-1]
    number = str(int(match.group()) + step_by).zfill(len(match.group()))
    return text[: match.start()] + number + text[match.end() :]


@cache
def _override_patterns() -> dict[int, list[tuple[tuple[str, ...], tuple[int, int], Ask]]]:
    """OVERRIDES split once and grouped by length (a pattern matches paths of its length):
    (pattern, (specificity, declaration order), ask).  The registry asks for every field."""
    by_length: dict[int, list[tuple[tuple[str, ...], tuple[int, int], Ask]]] = {}
    for index, (dotted, ask) in enumerate(OVERRIDES.items()):
        pattern = _split(dotted)
        by_length.setdefault(len(pattern), []).append((pattern, (len(pattern) - pattern.count("*"), index), ask))
    return by_length


def _overrides_for(path: Path) -> list[Ask]:
    """The overrides that apply to ``path``, least specific first."""
    matching = [(rank, ask) for pattern, rank, ask in _override_patterns().get(len(path), ()) if _matches(pattern, path)]
    return [ask for _, ask in sorted(matching, key=lambda m: m[0])]


def _humanize(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _question(spec: FieldSpec, step_key: str) -> Question:
    asks = _overrides_for(spec.path)

    def pick(attribute: str, fallback: Any) -> Any:
        for ask in reversed(asks):  # most specific first
            value = getattr(ask, attribute)
            if value is not None:
                return value
        return fallback

    label = pick("label", _humanize(spec.name))
    return Question(
        path=spec.path,
        label=label,
        help=pick("help", spec.description) or spec.description,
        kind=spec.kind,
        step=step_key,
        spec=spec,
        choices=spec.choices,
        choice_help=pick("choice_help", {}),
        advanced=pick("advanced", False),
        conditions=tuple(ask.when for ask in asks if ask.when is not None),
        derived=pick("derived", None),
    )


def _owner(path: Path) -> tuple[str, int, int]:
    """(step key, index of the owning pattern in the step, pattern length) of the step that
    claims ``path`` with the longest pattern; the catch-all step when none does."""
    best = (CATCH_ALL_STEP, len(step(CATCH_ALL_STEP).owns), -1)
    for step_key, index, pattern in _owned_patterns():
        if best[2] < len(pattern) <= len(path) and _matches(pattern, path[: len(pattern)]):
            best = (step_key, index, len(pattern))
    return best


@cache
def _owned_patterns() -> tuple[tuple[str, int, tuple[str, ...]], ...]:
    return tuple((s.key, index, _split(dotted)) for s in STEPS for index, dotted in enumerate(s.owns))


@cache
def _registry() -> dict[str, tuple[Question, ...]]:
    specs = field_specs()
    placed: dict[str, list[tuple[tuple, Question]]] = {s.key: [] for s in STEPS}
    tables: dict[tuple[str, Path], list[Question]] = {}
    table_specs = {spec.path: (order, spec) for order, spec in enumerate(specs) if spec.kind == TABLE}
    for order, spec in enumerate(specs):
        if spec.kind in (SECTION, TABLE):
            continue
        step_key, rank, _ = _owner(spec.path)
        question = _question(spec, step_key)
        if ROW in spec.path:
            table_path = spec.path[: spec.path.index(ROW)]
            tables.setdefault((step_key, table_path), []).append(question)
            continue
        placed[step_key].append(((rank, order), question))
    for (step_key, table_path), columns in tables.items():
        order, spec = table_specs[table_path]
        owner_step, _, _ = _owner(table_path)
        rank = min(_owner(column.path)[1] for column in columns)
        table = replace(_question(spec, step_key), columns=tuple(columns), rows_editable=owner_step == step_key)
        if not table.rows_editable:  # the same rows, other columns: say which
            table = replace(table, label=f"{table.label}: {', '.join(c.label for c in columns)}")
        placed[step_key].append(((rank, order), table))
    return {key: tuple(q for _, q in sorted(items, key=lambda item: item[0])) for key, items in placed.items()}


def questions(step_key: str) -> tuple[Question, ...]:
    """The questions of a step, in the order they are asked."""
    return _registry()[step_key]


def all_questions() -> list[Question]:
    return [q for s in STEPS for q in questions(s.key)]


def question_for(path: Path) -> Question | None:
    """The (bound) question that answers ``path``, or the first question under it (a problem
    about a whole section): where a front end jumps for a problem.  None when no question
    covers it (e.g. an unknown key)."""
    below: Question | None = None
    for question in all_questions():
        n = len(question.path)
        if question.kind == TABLE and path[:n] == question.path:
            if len(path) > n + 1 and isinstance(path[n], int):
                for column in question.columns:
                    bound = column.bind(path[n])
                    if path[: len(bound.path)] == bound.path:
                        return bound
            elif question.rows_editable:
                return question
            continue
        if path[:n] == question.path:
            return question
        if below is None and question.path[: len(path)] == path:
            below = question
    return below


def step_problems(step_key: str, raw: dict) -> list[Problem]:
    """Problems the validator finds in the fields this step asks (Next, the step list)."""
    _, problems = validate_answers(raw)
    out = []
    for problem in problems:
        question = question_for(problem.path)
        if question is not None and question.step == step_key:
            out.append(problem)
    return out

