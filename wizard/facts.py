"""WSO2 API-M 4.x facts the wizard relies on (see ../shared/reference/wso2-distributed-facts.md).

Kept in one place so that the validator, the topology and the renderers agree.
"""

from __future__ import annotations

SUPPORTED_VERSIONS = ("4.1", "4.2", "4.3", "4.4")
DEFAULT_VERSION = "4.4"

# Nodes per cluster the wizard plans (each gets a key, a certificate and a folder): far above
# any deployment WSO2 describes, low enough that a typo (99999) is refused, not attempted.
MAX_NODES_PER_CLUSTER = 100

CONTROL_PLANE = "control-plane"
GATEWAY = "gateway-worker"

# 4.0-4.4 ship one pack started with -Dprofile=<role>; server_role carries the same name,
# and infer.json keys the profile defaults off it (facts §1, config-mapper §5).
SERVER_ROLE = {CONTROL_PLANE: "control-plane", GATEWAY: "gateway-worker"}

# Default listening ports before [server] offset (facts §3.10).  Every node of a 4.x
# single pack may open all of them, so the port-clash check uses the full set.
BASE_PORTS = {
    "https": 9443,  # servlet HTTPS: /services/, /internal/data/v1, portals
    "http": 9763,  # servlet HTTP
    "passthrough_https": 8243,  # API traffic (gateway)
    "passthrough_http": 8280,
    "ws": 9099,
    "wss": 8099,
    "websub_http": 9021,
    "websub_https": 8021,
    "amqp": 5672,  # broker: throttle decisions, event hub notifications
    "amqp_tls": 8672,  # broker over TLS (JMS TLS)
    "binary": 9611,  # data bridge TCP (throttle events, event-hub publish)
    "binary_ssl": 9711,  # data bridge SSL (auth)
    "jmx_rmi_server": 9999,
    "jmx_rmi_registry": 11111,
}
PORT_LABELS = {
    "https": "HTTPS servlet",
    "http": "HTTP servlet",
    "passthrough_https": "PassThrough HTTPS",
    "passthrough_http": "PassThrough HTTP",
    "ws": "WebSocket",
    "wss": "secure WebSocket",
    "websub_http": "WebSub HTTP",
    "websub_https": "WebSub HTTPS",
    "amqp": "AMQP broker",
    "amqp_tls": "AMQP over TLS",
    "binary": "data bridge TCP",
    "binary_ssl": "data bridge SSL",
    "jmx_rmi_server": "JMX RMI server",
    "jmx_rmi_registry": "JMX RMI registry",
}
MAX_PORT = 65535
MAX_OFFSET = MAX_PORT - max(BASE_PORTS.values())

# Database type tokens understood by the config mapper (carbon-kernel infer.json).
DB_TYPES = ("mysql", "mariadb", "postgre", "mssql", "oracle", "db2")
DB_DEFAULT_PORT = {
    "mysql": 3306,
    "mariadb": 3306,
    "postgre": 5432,
    "mssql": 1433,
    "oracle": 1521,
    "db2": 50000,
}
# Explicit drivers: the inferred com.mysql.jdbc.Driver does not load with Connector/J 8+
# (product-apim#10369), so the wizard always writes the driver class.
DB_DRIVER = {
    "mysql": "com.mysql.cj.jdbc.Driver",
    "mariadb": "org.mariadb.jdbc.Driver",
    "postgre": "org.postgresql.Driver",
    "mssql": "com.microsoft.sqlserver.jdbc.SQLServerDriver",
    "oracle": "oracle.jdbc.OracleDriver",
    "db2": "com.ibm.db2.jcc.DB2Driver",
}
DB_VALIDATION_QUERY = {
    "mysql": "SELECT 1",
    "mariadb": "SELECT 1",
    "postgre": "SELECT 1; COMMIT",
    "mssql": "SELECT 1",
    "oracle": "SELECT 1 FROM DUAL",
    "db2": "SELECT 1 FROM sysibm.sysdummy1",
}
# WSO2's schema scripts in the distribution: dbscripts/<name>.sql creates shared_db's tables,
# dbscripts/apimgt/<name>.sql apim_db's (facts §3.6); MariaDB uses the MySQL scripts.
DB_SCRIPT_NAME = {
    "mysql": "mysql",
    "mariadb": "mysql",
    "postgre": "postgresql",
    "mssql": "mssql",
    "oracle": "oracle",
    "db2": "db2",
}
DB_DEFAULT_ADMIN = {"postgre": "postgres", "mysql": "root", "mariadb": "root", "mssql": "sa", "oracle": "system", "db2": "db2inst1"}
# Names operators often type instead of the WSO2 token.
DB_TYPE_ALIASES = {
    "postgres": "postgre",
    "postgresql": "postgre",
    "pgsql": "postgre",
    "sqlserver": "mssql",
    "mysql8": "mysql",
    "oracledb": "oracle",
}

# validator.json (enforced by the config mapper in 4.0-4.6).
USER_STORE_TYPES = (
    "database_unique_id",
    "database",
    "read_only_ldap_unique_id",
    "read_write_ldap_unique_id",
    "active_directory_unique_id",
    "read_only_ldap",
    "read_write_ldap",
    "active_directory",
)

ENVIRONMENT_TYPES = ("hybrid", "production", "sandbox")
DEFAULT_ENVIRONMENT_DESCRIPTION = (
    "This is a hybrid gateway that handles both production and sandbox token traffic."
)

KEYSTORE_TYPES = ("PKCS12", "JKS")

CHOREO_CONFIG_ENDPOINT = "https://analytics-event-auth.choreo.dev/auth/v1"

# Names the wizard writes at the top of the output folder; a node may not take them.
RESERVED_NODE_NAMES = frozenset({"ca", "lb", "nginx", "db", "systemd", "bin", "docs", "hosts"})

# Truststore aliases the renderers and the PKI agree on.
CA_ALIAS = "deployment-ca"  # the deployment CA; JMS TLS names it as ssl_cert_alias
GATEWAY_CERT_ALIAS = "gateway_certificate_alias"  # gateways validate JWTs with it (seed step 6.5)
RESERVED_ALIASES = frozenset({CA_ALIAS, GATEWAY_CERT_ALIAS})
SECURITY_DIR = "repository/resources/security"


# Entries of WSO2's profile templates (product-apim deployment-templates/<profile>.toml, the
# same in 4.1-4.4) that the seed keeps: its steps edit the template the profile optimiser
# laid down, while the wizard writes the whole file, so it writes these too.
TEMPLATE_CORS = {
    "allow_origins": "*",
    "allow_methods": ["GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS"],
    "allow_headers": ["authorization", "Access-Control-Allow-Origin", "Content-Type", "SOAPAction", "apikey",
                      "Internal-Key"],
    "allow_credentials": False,
}
# Control plane: self-signed-up Developer Portal users get their role from this handler;
# application names may hold spaces.
TEMPLATE_EVENT_HANDLERS = [{"name": "userPostSelfRegistration", "subscriptions": ["POST_ADD_USER"]}]
TEMPLATE_SP_NAME_REGEX = r"^[\sa-zA-Z0-9._-]*$"
# [[apim.gateway.environment]] provider (4.1+) and gateway_type (4.3+: Regular or APK).
TEMPLATE_ENVIRONMENT_PROVIDER = "wso2"
TEMPLATE_GATEWAY_TYPE = "Regular"
GATEWAY_TYPE_SINCE = "4.3"
# Gateway worker: token, resource and JWT-claim caches; the outbound Authorization header.
TEMPLATE_GATEWAY_CACHE = {
    "gateway_token": {"enable": True, "expiry_time": 15},
    "resource": {"enable": True},
    "jwt_claim": {"enable": True, "expiry_time": 900},
}
TEMPLATE_OAUTH_CONFIG = {"remove_outbound_auth_header": True, "auth_header": "Authorization"}


def version_at_least(version: str, since: str) -> bool:
    return tuple(map(int, version.split("."))) >= tuple(map(int, since.split(".")))
