"""The answer model: everything the wizard needs to know about one deployment.

Every front end (Textual screens, prompts, answer files, presets) produces the same plain
dict, and :func:`wizard.validation.validate_answers` turns it into an :class:`Answers`.
Field-level rules live on the fields; rules that relate several fields live in
``wizard.validation``.  Values derived from other answers (default DB port, developer
portal URL) stay ``None`` here and are computed by ``wizard.topology``, so a saved answer
file keeps following its inputs when they change.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from . import facts
from .fields import (
    AbsolutePath,
    EnvironmentName,
    Hostname,
    HttpUrl,
    IpAddress,
    JarFile,
    NodeName,
    Offset,
    Port,
    SystemName,
    ZipFile,
)
from .secret_values import AdminPassword, DatabasePassword, KeystorePassword, SecretRef, Token


class Section(BaseModel):
    """Base of every answer-file table: unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", validate_default=True, strict=True)


# ---------------------------------------------------------------------------- topology


def _check_san(value: str) -> str:
    from .fields import check_hostname, check_ip

    if value.startswith("*."):
        check_hostname(value[2:])  # a wildcard covers exactly one label (facts §3.7)
        return value
    try:
        return check_ip(value)
    except ValueError:
        return check_hostname(value)


SubjectAltName = Annotated[str, AfterValidator(_check_san)]


class Node(Section):
    name: NodeName = Field(description="Node name; also the name of its output folder.")
    hostname: Hostname = Field(description="Name other nodes use to reach this node.")
    ip: IpAddress | None = Field(default=None, description="Node IP (written as [server] node_ip).")
    offset: Offset = Field(default=0, description="[server] offset: added to every port of the node.")
    extra_sans: list[SubjectAltName] = Field(
        default_factory=list, description="More DNS names or IPs for this node's TLS certificate."
    )
    tls_cert: str | None = Field(
        default=None, description="pki.ca = external: PEM file with this node's certificate (and chain)."
    )
    tls_key: str | None = Field(default=None, description="pki.ca = external: PEM file with this node's private key.")


class Cluster(Section):
    existing: bool = Field(
        default=False,
        description="The nodes already exist: describe them so other nodes can reach them, but write no files for them.",
    )
    lb_host: Hostname | None = Field(
        default=None,
        description="Load balancer hostname in front of the nodes (required with two or more nodes).",
    )
    proxy_http_port: Port = Field(default=80, description="HTTP port the load balancer listens on.")
    proxy_https_port: Port = Field(default=443, description="HTTPS port the load balancer listens on.")
    lb_ip: IpAddress | None = Field(
        default=None, description="Load balancer address, written to the hosts file for lb_host."
    )
    nodes: list[Node] = Field(min_length=1, max_length=facts.MAX_NODES_PER_CLUSTER,
                              description="One node = single mode, two or more = HA.")

    @property
    def ha(self) -> bool:
        return len(self.nodes) > 1


class ControlPlane(Cluster):
    """Control-plane nodes (Publisher, Developer Portal, Key Manager, Traffic Manager)."""


def _check_artifact_file(value: str) -> str:
    if "/" in value or "\\" in value or value.startswith("."):
        raise ValueError("is a path; give the plain file name of the artifact (e.g. api1.xml)")
    if not value.endswith(".xml"):
        raise ValueError("does not end in .xml; synced gateway artifacts are Synapse XML files (e.g. api1.xml)")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.:@+=-]*\.xml", value):
        raise ValueError("is not a plain file name: use letters, digits and _ . : @ + = - (e.g. admin--Pizza_v1.0.0.xml)")
    return value


ArtifactFile = Annotated[str, AfterValidator(_check_artifact_file)]


class SkipList(Section):
    """Runtime artifacts a gateway keeps when the control plane syncs (seed: skip_list)."""

    apis: list[ArtifactFile] = Field(default_factory=list)
    endpoints: list[ArtifactFile] = Field(default_factory=list)
    sequences: list[ArtifactFile] = Field(default_factory=list)
    local_entries: list[ArtifactFile] = Field(default_factory=list)

    def is_empty(self) -> bool:
        return not (self.apis or self.endpoints or self.sequences or self.local_entries)


class Gateway(Cluster):
    """Gateway worker nodes.  All gateways behind one load balancer serve the same labels."""

    labels: list[EnvironmentName] = Field(
        default_factory=lambda: ["Default"],
        min_length=1,
        description="gateway_labels: each names a gateway environment of the control plane.",
    )
    skip_list: SkipList = Field(
        default_factory=SkipList,
        description="Custom artifacts the gateways keep when the control plane syncs runtime artifacts.",
    )


class Environment(Section):
    name: EnvironmentName
    type: Literal["hybrid", "production", "sandbox"] = "hybrid"
    description: str = facts.DEFAULT_ENVIRONMENT_DESCRIPTION
    display_in_api_console: bool = True
    show_as_token_endpoint_url: bool = True


def _default_environments() -> list[Environment]:
    return [Environment(name="Default")]


# ----------------------------------------------------------------------------- people


def _check_admin_username(value: str) -> str:
    if not value:
        raise ValueError("is empty; give the super admin user name (e.g. admin)")
    bad = sorted({c for c in value if not re.fullmatch(r"[A-Za-z0-9._-]", c)})
    if bad:
        shown = " ".join(repr(c) for c in bad)
        hint = " (e-mail user names need WSO2's '!' substitution, which the wizard does not set up)" if "@" in bad else ""
        raise ValueError(
            f"contains {shown}; the user name is embedded in AMQP connection URLs, so use "
            f"letters, digits and . _ -{hint}"
        )
    return value


def _check_deployment_name(value: str) -> str:
    # It labels file headers, comments and the primary certificate's subject.
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}", value):
        raise ValueError("use 1-64 letters, digits, spaces and . _ -, starting with a letter or digit")
    return value


class SuperAdmin(Section):
    username: Annotated[str, AfterValidator(_check_admin_username)] = "admin"
    password: AdminPassword = Field(default_factory=lambda: SecretRef(generate=True))


class UserStore(Section):
    type: Literal[facts.USER_STORE_TYPES] = "database_unique_id"  # type: ignore[valid-type]
    properties: dict[str, str | int | bool] = Field(
        default_factory=dict,
        description="Extra [user_store] keys for LDAP/AD stores (connection_url, user_search_base, ...).",
    )


# -------------------------------------------------------------------------- databases


def _check_db_admin(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.@-]{0,79}", value):
        raise ValueError("is not a database user name: use letters, digits and _ . @ - (e.g. postgres)")
    return value


class Database(Section):
    type: Literal[facts.DB_TYPES] = "mysql"  # type: ignore[valid-type]
    host: Hostname
    port: Port | None = Field(default=None, description="Defaults to the usual port of the type.")
    name: str = Field(min_length=1, description="Database name (service name or SID for Oracle).")
    user: str = Field(min_length=1)
    password: DatabasePassword = Field(default_factory=lambda: SecretRef(generate=True))
    params: dict[str, str | int | bool] = Field(
        default_factory=dict, description="Extra JDBC URL parameters, e.g. { useSSL = true }."
    )
    driver: str | None = Field(default=None, description="JDBC driver class; defaults per type.")
    validation_query: str | None = None
    oracle_sid: bool = Field(default=False, description="Oracle: name is a SID (host:port:SID), not a service name.")
    admin_user: Annotated[str, AfterValidator(_check_db_admin)] | None = Field(
        default=None,
        description="Administrator that runs the setup SQL in db/ (creates the database and its user); "
        "defaults to postgres (PostgreSQL) or root (MySQL, MariaDB).",
    )

    @property
    def effective_port(self) -> int:
        return self.port if self.port is not None else facts.DB_DEFAULT_PORT[self.type]


class ApimDb(Database):
    name: str = Field(default="apim_db", min_length=1)
    user: str = Field(default="apimadmin", min_length=1)


class SharedDb(Database):
    name: str = Field(default="shared_db", min_length=1)
    user: str = Field(default="sharedadmin", min_length=1)


class Databases(Section):
    apim_db: ApimDb | None = Field(default=None, description="Used by control-plane nodes.")
    shared_db: SharedDb = Field(description="Used by every node (registry and user store).")


# -------------------------------------------------------------------------- keystores


def _check_store_file_name(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*\.(p12|pfx|jks)", value):
        raise ValueError(
            "is not a keystore file name: API-M looks for a bare file name in "
            "repository/resources/security, so use letters, digits . _ - ending in .p12, .pfx or .jks"
        )
    return value


def _check_alias(value: str) -> str:
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", value):
        raise ValueError(
            "is not a usable alias: Java lower-cases PKCS12 aliases, so use lower-case "
            "letters, digits . _ -"
        )
    return value


StoreFileName = Annotated[str, AfterValidator(_check_store_file_name)]
Alias = Annotated[str, AfterValidator(_check_alias)]


class Keystore(Section):
    file_name: StoreFileName
    type: Literal[facts.KEYSTORE_TYPES] = "PKCS12"  # type: ignore[valid-type]
    alias: Alias
    # API-M requires key_password == password, so there is only one.
    password: KeystorePassword = Field(default_factory=lambda: SecretRef(generate=True))


class PrimaryKeystore(Keystore):
    file_name: StoreFileName = "primary.p12"
    alias: Alias = "primary"


class TlsKeystore(Keystore):
    file_name: StoreFileName = "tls.p12"
    alias: Alias = "tls"


class Truststore(Section):
    file_name: StoreFileName = "client-truststore.p12"
    type: Literal[facts.KEYSTORE_TYPES] = "PKCS12"  # type: ignore[valid-type]
    password: KeystorePassword = Field(default_factory=lambda: SecretRef(generate=True))


class Keystores(Section):
    # Defaults per store, so an answer file may give only some keys of a table.
    primary: PrimaryKeystore = Field(
        default_factory=PrimaryKeystore,
        description="Signs tokens and encrypts data; identical on every node (also used as [keystore.internal]).",
    )
    tls: TlsKeystore = Field(
        default_factory=TlsKeystore,
        description="Per-node TLS key and certificate for every HTTPS, WSS, binary and JMS listener.",
    )
    truststore: Truststore = Field(default_factory=Truststore)


# ---------------------------------------------------------------------------- options


class Pki(Section):
    """Certificates and keys the wizard makes (seed step 4)."""

    ca: Literal["generate", "provided", "external"] = Field(
        default="generate",
        description="generate: a new deployment CA in DIR/ca; provided: issue with your CA (ca_cert + ca_key); "
        "external: bring every node's certificate (nodes[].tls_cert/tls_key) issued by ca_cert.",
    )
    ca_cert: str | None = Field(default=None, description="PEM file of your CA certificate (provided/external).")
    ca_key: str | None = Field(default=None, description="PEM file of your CA private key (provided).")
    tls_key: Literal["rsa-2048", "rsa-3072", "rsa-4096", "ec-p256"] = Field(
        default="rsa-2048", description="Key of each node's and load balancer's TLS certificate."
    )
    primary_key: Literal["rsa-2048", "rsa-3072", "rsa-4096"] = Field(
        default="rsa-2048",
        description="Key of the primary keystore; RSA because it also encrypts (keyEncipherment, dataEncipherment).",
    )
    validity_days: int = Field(default=825, ge=1, le=3650, description="Validity of TLS certificates.")
    primary_validity_days: int = Field(
        default=3650, ge=1, le=36500,
        description="Validity of the primary certificate: long, since replacing it means re-encrypting data.",
    )
    localhost_sans: bool = Field(default=True, description="Add localhost and 127.0.0.1 to every TLS certificate.")
    system_cas: bool = Field(
        default=True,
        description="Add this machine's public CAs to the truststores, as WSO2's shipped truststore has them, "
        "so gateways can call HTTPS backends.",
    )


MODERN_CIPHERS = [
    "TLS_AES_256_GCM_SHA384",
    "TLS_AES_128_GCM_SHA256",
    "TLS_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
]


def _check_cipher(value: str) -> str:
    if not re.fullmatch(r"TLS_[A-Z0-9_]+", value):
        raise ValueError("is not a Java (IANA) cipher suite name such as TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384")
    return value


class JmsTls(Section):
    """TLS on the broker connections (JMS) between gateways and control planes."""

    enabled: bool = Field(default=False, description="Gateways and event hubs talk to the broker over TLS (8672).")
    protocols: list[Literal["TLSv1.3", "TLSv1.2", "TLSv1.1", "TLSv1"]] = Field(
        default_factory=lambda: ["TLSv1.2", "TLSv1.3"], min_length=1
    )
    allow_weak_protocols: bool = Field(
        default=False, description="Permit TLSv1/TLSv1.1 (the seed's sample uses TLSv1; they are broken)."
    )
    ciphers: list[Annotated[str, AfterValidator(_check_cipher)]] = Field(
        default_factory=lambda: list(MODERN_CIPHERS), min_length=1
    )


class Features(Section):
    token_revocation: bool = Field(
        default=True,
        description="Resident key manager: the control plane notifies gateways of revoked tokens ([[event_listener]]).",
    )
    cache_invalidation: bool = Field(default=False, description="[apim.cache_invalidation] on control planes.")
    cache_invalidation_domain: str = Field(default="control-plane-domain", min_length=1)
    devportal_url: HttpUrl | None = Field(
        default=None, description="Developer Portal URL; derived from the control-plane LB or host when unset."
    )


def _check_header_name(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+", value):
        raise ValueError("is not an HTTP header name: use letters, digits and - (e.g. X-JWT-Assertion)")
    return value


class BackendJwt(Section):
    """[apim.jwt]: a JWT with the caller's claims sent to the backend (seed step 4)."""

    enabled: bool = False
    encoding: Literal["base64", "base64url"] = "base64"
    header: Annotated[str, AfterValidator(_check_header_name)] = "X-JWT-Assertion"
    signing_algorithm: Literal["SHA256withRSA", "NONE"] = "SHA256withRSA"
    claim_dialect: str = Field(default="http://wso2.org/claims", min_length=1)
    convert_dialect: bool = False
    enable_user_claims: bool = Field(default=False, description="Add the user's claims from the user store.")


class Analytics(Section):
    enabled: bool = False
    config_endpoint: HttpUrl = facts.CHOREO_CONFIG_ENDPOINT
    auth_token: Token | None = Field(default=None, description="Choreo on-prem key.")


class Install(Section):
    """How each node is installed and run: install.sh, start scripts, systemd units, LB files, runbook."""

    base_dir: AbsolutePath = Field(
        default="/opt/wso2",
        description="Each node's API-M home is <base_dir>/<node name> on its host (distinct per node, "
        "so several nodes can share a host).",
    )
    distribution: ZipFile | None = Field(
        default=None,
        description="The API-M distribution zip install.sh unpacks; defaults to wso2am-<version>.0.zip. "
        "A relative path is looked up next to install.sh, then in the output folder.",
    )
    user: SystemName = Field(default="wso2", description="System user that owns the API-M home and runs the node.")
    group: SystemName = Field(default="wso2", description="Group of that user.")
    java_home: AbsolutePath | None = Field(
        default=None,
        description="JAVA_HOME for the nodes; when unset, start.sh derives it from the java on PATH.",
    )
    jdbc_drivers: list[JarFile] = Field(
        default_factory=list,
        description="JDBC driver jars install.sh copies into repository/components/lib; a relative path is "
        "looked up next to install.sh, then in the output folder.",
    )
    nginx_cert_dir: AbsolutePath = Field(
        default="/etc/nginx/ssl",
        description="Folder on the load balancer host that holds its certificate, key and the deployment CA "
        "(the nginx configs name files there).",
    )
    hostname_verifier: Literal["DefaultAndLocalhost", "Strict", "AllowAll"] = Field(
        default="DefaultAndLocalhost",
        description="httpclient.hostnameVerifier the start scripts pass: api-manager.sh's own default AllowAll "
        "accepts a certificate for any name; the generated certificates cover every name the nodes call.",
    )


class SecureVault(Section):
    """WSO2 secure vault: passwords in deployment.toml become $secret{alias} references."""

    enabled: bool = Field(default=False, description="Replace the passwords in deployment.toml by $secret{} references.")
    mode: Literal["encrypt", "plaintext"] = Field(
        default="encrypt",
        description="encrypt: the wizard writes the [secrets] ciphertexts as ciphertool does (RSA with the primary "
        "certificate); plaintext: [secrets] holds \"[password]\" and you run ciphertool.sh -Dconfigure on each node.",
    )


# Production checks (wizard.hardening); each can be accepted by name for a deployment.
HARDENING_CHECKS = (
    "default_credentials",
    "default_keystore",
    "weak_keys",
    "weak_tls",
    "jms_plaintext",
    "db_superuser",
    "db_plaintext",
    "hostname_verification",
    "plaintext_secrets",
)


class Hardening(Section):
    accept: list[Literal[HARDENING_CHECKS]] = Field(  # type: ignore[valid-type]
        default_factory=list,
        description="Production checks accepted for this deployment: reported, but not errors with --production.",
    )


# ----------------------------------------------------------------------------- answers


class Answers(Section):
    name: Annotated[str, AfterValidator(_check_deployment_name)] = "apim"
    description: str = ""
    version: Literal[facts.SUPPORTED_VERSIONS] = facts.DEFAULT_VERSION  # type: ignore[valid-type]
    super_admin: SuperAdmin = Field(default_factory=SuperAdmin)
    user_store: UserStore = Field(default_factory=UserStore)
    control_plane: ControlPlane
    gateway: Gateway
    environments: list[Environment] = Field(default_factory=_default_environments, min_length=1)
    databases: Databases
    keystores: Keystores = Field(default_factory=Keystores)
    pki: Pki = Field(default_factory=Pki)
    jms_tls: JmsTls = Field(default_factory=JmsTls)
    features: Features = Field(default_factory=Features)
    backend_jwt: BackendJwt = Field(default_factory=BackendJwt)
    analytics: Analytics = Field(default_factory=Analytics)
    install: Install = Field(default_factory=Install)
    secure_vault: SecureVault = Field(default_factory=SecureVault)
    hardening: Hardening = Field(default_factory=Hardening)

    def clusters(self) -> dict[str, Cluster]:
        return {facts.CONTROL_PLANE: self.control_plane, facts.GATEWAY: self.gateway}

    def generated_profiles(self) -> list[str]:
        return [profile for profile, cluster in self.clusters().items() if not cluster.existing]
