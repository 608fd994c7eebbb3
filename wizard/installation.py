"""Where things live once installed: API-M homes, service names, kit paths, certificate files.

The install script, the start scripts, the systemd units, the nginx configs and the runbook
all name these paths; computing them once here keeps the artefacts consistent with each
other (a unit that starts a home install.sh never created would be a silent failure).
"""

from __future__ import annotations

from . import facts
from .model import Answers, Database
from .topology import NodePlan

# Files of a node's folder that are not copied into the API-M home.
INSTALL_SCRIPT = "install.sh"
# Files of a node's folder that install.sh copies into the API-M home (with repository/).
START_SCRIPT = "bin/start.sh"
START_BATCH = "bin/start.bat"
# Overlay top-level folders: the node folder mirrors the API-M home below these.
OVERLAY_ROOTS = ("bin/", "repository/")

# Written by install.sh inside the API-M home; read by start.sh.
MARKER_DIR = ".apim-wizard"
NODE_MARKER = f"{MARKER_DIR}/node"
PROFILE_MARKER = f"{MARKER_DIR}/profile"
CARBON_PID_FILE = "wso2carbon.pid"

# The PKI's output: the deployment CA and one certificate chain + key per LB name.  The same
# names as wizard.pki.material, repeated so that rendering does not import cryptography
# (tests/test_runbook.py checks that they agree).
CA_CERT = "ca/ca.crt"


def lb_cert(lb_host: str) -> str:
    return f"lb/{lb_host}.crt"  # PEM: leaf, then the CA


def lb_key(lb_host: str) -> str:
    return f"lb/{lb_host}.key"


def node_path(node: NodePlan, relative: str) -> str:
    return f"{node.name}/{relative}"


def is_overlay(node: NodePlan, path: str) -> bool:
    prefix = f"{node.name}/"
    return path.startswith(prefix) and path[len(prefix):].startswith(OVERLAY_ROOTS)


def apim_home(answers: Answers, node: NodePlan) -> str:
    base = answers.install.base_dir
    return f"{base.rstrip('/')}/{node.name}"


def release(answers: Answers) -> str:
    """The product release of the answers' version: 4.4 ships as wso2am-4.4.0."""
    return f"{answers.version}.0"


def distribution_zip(answers: Answers) -> str:
    return answers.install.distribution or f"wso2am-{release(answers)}.zip"


def service_name(node: NodePlan) -> str:
    return f"wso2am-{node.name}"


def unit_file(node: NodePlan) -> str:
    return f"{service_name(node)}.service"


def owner(answers: Answers) -> str:
    return f"{answers.install.user}:{answers.install.group}"


def start_command(answers: Answers, node: NodePlan) -> str:
    """How an operator starts the node by hand: as the service user, from the installed home."""
    return f"sudo -u {answers.install.user} {apim_home(answers, node)}/{START_SCRIPT}"


def config_signature(node: NodePlan) -> str:
    """The first line of the node's generated deployment.toml, up to the deployment name.

    start.sh looks for it to tell the generated file from WSO2's template (the profile
    optimiser swaps them when --skipConfigOptimization is missing).
    """
    return f"# deployment.toml of node {node.name} ({node.server_role})"


def nginx_cert(answers: Answers, lb_host: str) -> str:
    return f"{answers.install.nginx_cert_dir}/{lb_host}.crt"


def nginx_key(answers: Answers, lb_host: str) -> str:
    return f"{answers.install.nginx_cert_dir}/{lb_host}.key"


def nginx_upstream_ca(answers: Answers, lb_host: str) -> str:
    """The deployment CA as the LB keeps it, to verify the nodes' certificates."""
    return f"{answers.install.nginx_cert_dir}/{lb_host}-upstream-ca.crt"


def db_admin(db: Database) -> str:
    return db.admin_user or facts.DB_DEFAULT_ADMIN[db.type]
