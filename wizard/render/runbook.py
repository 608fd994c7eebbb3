"""RUNBOOK.md: this deployment's steps in order, with its hostnames, ports and commands.

The order follows the dependencies between the parts: databases before any node, control
planes before gateways (gateways pull their artifacts from the control plane at start-up,
product-apim#12126), the control-plane load balancer before the gateways (they reach the
control planes through it), then smoke checks through the load balancers.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from .. import facts
from .. import installation as inst
from ..topology import NodePlan, Topology
from . import db_setup, nginx
from .hosts import block_markers, collect_names
from .text import GENERATED, sh

DRIVER_NAMES = {
    "mysql": "MySQL Connector/J (https://dev.mysql.com/downloads/connector/j/)",
    "mariadb": "MariaDB Connector/J (https://mariadb.com/downloads/connectors/)",
    "postgre": "the PostgreSQL JDBC driver (https://jdbc.postgresql.org/download/)",
    "mssql": "the Microsoft JDBC Driver for SQL Server",
    "oracle": "Oracle JDBC (ojdbc)",
    "db2": "the IBM Data Server Driver for JDBC (db2jcc)",
}
def node_ports(topology: Topology, node: NodePlan) -> list[tuple[str, str]]:
    """(port key, who connects to it) of ``node``: the runbook's firewall list (facts
    §3.10), following the answers: the JMS port the gateways are given (8672 with JMS TLS),
    and clients straight to the node where its cluster has no load balancer."""
    front = "load balancer" if topology.lb_host(node) else "clients"
    if node.profile == facts.CONTROL_PLANE:
        peers = "gateways, other control planes" if len(topology.control_planes) > 1 else "gateways"
        return [
            ("https", f"{front}, {peers}"),
            ("amqp_tls" if topology.jms_tls else "amqp",
             f"{peers} (JMS" + (" over TLS" if topology.jms_tls else "") + ": throttle decisions, events)"),
            ("binary", f"{peers} (throttle events, event hub)"),
            ("binary_ssl", f"{peers} (data bridge authentication)"),
        ]
    return [
        ("passthrough_https", f"{front} (API traffic)"),
        ("passthrough_http", f"{front} (API traffic)"),
        ("https", "control planes (gateway admin services" + (", through the load balancer" if front != "clients"
                                                               else "") + ")"),
        ("ws", f"{front} (WebSocket APIs)"),
        ("wss", f"{front} (secure WebSocket APIs)"),
    ]


def _code(*commands: str) -> list[str]:
    return ["```sh", *commands, "```", ""]


def _readiness(topology: Topology, node: NodePlan) -> str:
    """A curl that prints an HTTP status once the node listens, verifying its certificate."""
    key = "https" if node.profile == facts.CONTROL_PLANE else "passthrough_https"
    path = "/publisher/" if node.profile == facts.CONTROL_PLANE else "/"
    return (f"curl --cacert {inst.CA_CERT} -sS -o /dev/null -w '%{{http_code}}\\n' "
            f"https://{node.hostname}:{node.port(key)}{path}")


def _overview(topology: Topology) -> list[str]:
    answers = topology.answers
    out = [
        "## The deployment",
        "",
        "| node | profile | host | address | offset | API-M home | systemd unit |",
        "|---|---|---|---|---|---|---|",
    ]
    for node in topology.nodes:
        if node.generated:
            home, unit = inst.apim_home(answers, node), inst.service_name(node)
        else:
            home, unit = "(existing: not generated)", "-"
        out.append(f"| {node.name} | {node.server_role} | {node.hostname} | {node.ip or 'DNS'} | {node.offset} "
                   f"| {home} | {unit} |")
    out.append("")
    for key in ("control_plane", "gateway"):
        cluster = topology.cluster(key)
        if cluster.lb_host:
            word = "control-plane" if key == "control_plane" else "gateway"
            out.append(f"- {word} load balancer `{cluster.lb_host}` ({cluster.lb_ip or 'address by DNS'}): "
                       f"HTTPS {cluster.proxy_https_port}, HTTP {cluster.proxy_http_port}"
                       + (f", WS {facts.BASE_PORTS['ws']}, WSS {facts.BASE_PORTS['wss']}" if key == "gateway" else ""))
    for key in ("apim_db", "shared_db"):
        db = getattr(answers.databases, key)
        if db is not None:
            out.append(f"- {key}: `{db.name}` on {db_setup.server_label(db)}, user `{db.user}`")
    out += [
        "",
        "Run the commands from this output folder unless a step says otherwise; `ca/ca.crt` is the",
        "deployment CA, which `curl --cacert` uses to check every certificate on the way.",
        "",
    ]
    return out


def _prepare(topology: Topology) -> list[str]:
    answers = topology.answers
    begin, end = block_markers(topology)
    unresolved = [n.host for n in collect_names(topology) if n.address is None]
    out = [
        "## 1. Prepare the hosts",
        "",
        f"On every node: a Java runtime supported by API-M {answers.version}, `unzip`, and the service user",
        f"`{answers.install.user}`:",
        "",
        *_code(f"sudo useradd --system --user-group --no-create-home --shell /usr/sbin/nologin {answers.install.user}"),
        "On every node and load balancer host, the names of the deployment (`hosts`); this replaces the",
        "block of an earlier run:",
        "",
        *_code(
            f"sudo sed -i {sh(f'/^{begin}$/,/^{end}$/d')} /etc/hosts",
            "sudo tee -a /etc/hosts < hosts > /dev/null",
        ),
    ]
    if unresolved:
        out += [f"These names have no address in the answers and must resolve by DNS: {', '.join(unresolved)}.", ""]
    out += ["Open these ports to each node (after its offset):", ""]
    for node in topology.generated_nodes:
        ports = ", ".join(f"{node.port(key)} from {who}" for key, who in node_ports(topology, node))
        out.append(f"- {node.name} ({node.hostname}): {ports}")
    out.append("")
    remote = [node for node in topology.generated_nodes if node.hostname != "localhost"]
    zip_name = inst.distribution_zip(answers)
    if remote:
        out += [
            f"Copy each node's folder to its host, with the API-M distribution `{zip_name}`"
            + (" and the JDBC driver jars" if answers.install.jdbc_drivers else "") + ", e.g.",
            "",
            *_code(*(f"scp -r {node.name} {zip_name} {node.hostname}:" for node in remote)),
        ]
    if len(remote) < len(topology.generated_nodes):
        local = ", ".join(n.name for n in topology.generated_nodes if n.hostname == "localhost")
        out += [f"{local} run on this machine: put `{zip_name}` into this folder.", ""]
    return out


def _databases(topology: Topology) -> list[str]:
    out = ["## 2. Databases (seed step 2)", ""]
    setup = db_setup.databases_to_set_up(topology)
    if not setup:
        return out + ["The databases exist already: the existing nodes use them.", ""]
    sql = [(key, db) for key, db in setup if db.type in db_setup.SETUP_TYPES]
    manual = [(key, db) for key, db in setup if db.type not in db_setup.SETUP_TYPES]
    if sql:
        out += [
            "Create the databases and their users, as the database administrator, from a host that",
            "reaches the database servers (`psql`/`mysql` prompt for the administrator's password):",
            "",
            *_code(*(db_setup.admin_command(key, db) for key, db in sql)),
        ]
    for key, db in manual:
        out += [
            f"Create {key} `{db.name}` on {db_setup.server_label(db)} with a user `{db.user}` that may use only",
            "that database (the wizard writes setup SQL for PostgreSQL, MySQL and MariaDB only).",
            "",
        ]
    out += [
        "Load WSO2's schemas as the database users (shared_db first, then apim_db):",
        "",
        *_code(f"bash {db_setup.LOAD_SCRIPT} {inst.distribution_zip(topology.answers)}"),
    ]
    return out


def _drivers(topology: Topology) -> list[str]:
    answers = topology.answers
    out = ["## 3. JDBC drivers", ""]
    needs: dict[str, list[str]] = {}
    for node in topology.generated_nodes:
        keys = ["apim_db", "shared_db"] if node.profile == facts.CONTROL_PLANE else ["shared_db"]
        for key in keys:
            db = getattr(answers.databases, key)
            if db is not None:
                users = needs.setdefault(db.type, [])
                if node.name not in users:
                    users.append(node.name)
    for db_type, nodes in needs.items():
        out.append(f"- {', '.join(nodes)}: {DRIVER_NAMES[db_type]}, driver class `{facts.DB_DRIVER[db_type]}`")
    out.append("")
    if answers.install.jdbc_drivers:
        jars = ", ".join(f"`{jar}`" for jar in answers.install.jdbc_drivers)
        out += [f"install.sh copies {jars} (install.jdbc_drivers) into `repository/components/lib`.", ""]
    else:
        out += ["Download the jar and give it to install.sh with `--jdbc-driver <jar>` (or list it in",
                "`install.jdbc_drivers` and re-run apply); it goes into `repository/components/lib`.", ""]
    return out


def _install(topology: Topology) -> list[str]:
    answers = topology.answers
    out = [
        "## 4. Install the nodes (seed step 1)",
        "",
        "On each node's host, in the folder holding the node's folder and the distribution zip.",
        "install.sh unpacks API-M, runs the profile optimisation once, then copies the node's files in;",
        "`--dry-run` shows what it would do.",
        "",
    ]
    driver = "" if answers.install.jdbc_drivers else " --jdbc-driver <jar>"
    for node in topology.generated_nodes:
        unit = inst.unit_file(node)
        out += [
            f"### {node.name} on {node.hostname}",
            "",
            *_code(
                f"sudo ./{node.name}/{inst.INSTALL_SCRIPT} --source {inst.distribution_zip(answers)}{driver}",
                f"sudo install -m 0644 {node.name}/{unit} /etc/systemd/system/{unit}",
                "sudo systemctl daemon-reload",
            ),
        ]
    return out


@dataclass(frozen=True)
class NodeStart:
    """How one generated node is started, and how to tell that it is up."""

    node: NodePlan
    service: str  # systemd: enable and start the node's unit
    by_hand: str  # the start script, as the service user
    ready_check: str  # prints an HTTP status once the node listens (000: not yet)


@dataclass(frozen=True)
class StartPhase:
    """One step of bringing the deployment up, in the order the runbook gives."""

    number: int  # its section in RUNBOOK.md
    title: str
    why: str
    nodes: tuple[NodePlan, ...] = ()  # every node of the phase, existing ones included
    starts: tuple[NodeStart, ...] = ()  # the generated ones, in start order
    load_balancers: tuple[str, ...] = ()  # LB hostnames set up in this phase


def node_start(topology: Topology, node: NodePlan) -> NodeStart:
    return NodeStart(node, f"sudo systemctl enable --now {inst.service_name(node)}",
                     inst.start_command(topology.answers, node), _readiness(topology, node))


def start_order(topology: Topology) -> list[StartPhase]:
    """Control planes one by one, then their load balancer (gateways reach the control planes
    through it), then the gateways (they fetch their APIs from the control plane at start)."""

    def nodes(number: int, title: str, why: str, members: tuple[NodePlan, ...]) -> StartPhase:
        starts = tuple(node_start(topology, n) for n in members if n.generated)
        return StartPhase(number, title, why, members, starts)

    hosts = tuple(topology.cluster(key).lb_host for key in nginx.load_balancers(topology))
    return [
        nodes(5, "Start the control planes", "One after the other; each must be ready before the next starts.",
              topology.control_planes),
        StartPhase(6, "Load balancers (seed step 6)", "The gateways reach the control planes through their load "
                   "balancer, so set it up before starting the gateways.", load_balancers=hosts),
        nodes(7, "Start the gateways", "After the control planes and their load balancer: gateways fetch their "
              "APIs from the control plane when they start.", topology.gateways),
    ]


def _start(phase: StartPhase) -> list[str]:
    out = [f"## {phase.number}. {phase.title}", ""]
    if not phase.starts:
        return out + [f"They exist already ({', '.join(n.name for n in phase.nodes)}): make sure they run.", ""]
    out += [phase.why, ""]
    for position, start in enumerate(phase.starts):
        node = start.node
        out += [
            f"{position + 1}. **{node.name}** on {node.hostname}: `{start.service}`",
            f"   (by hand: `{start.by_hand}`). Ready when this prints an HTTP",
            "   status (000: not listening yet):",
            "",
            f"   `{start.ready_check}`",
            "",
        ]
    return out


def _load_balancers(topology: Topology, phase: StartPhase) -> list[str]:
    answers = topology.answers
    keys = nginx.load_balancers(topology)
    out = [f"## {phase.number}. {phase.title}", ""]
    if not keys:
        return out + ["No load balancer to set up: every generated cluster is a single node without one.", ""]
    out += [*textwrap.wrap(phase.why, 88), ""]
    if answers.pki.ca == "external":
        hosts = ", ".join(topology.cluster(key).lb_host for key in keys)
        out += ["With `pki.ca = external` the wizard makes no load balancer certificates: put yours for",
                f"{hosts}, issued by `pki.ca_cert`, in `lb/<name>.crt` (certificate, then its chain) and",
                "`lb/<name>.key` first.", ""]
    cert_dir = answers.install.nginx_cert_dir
    for key in keys:
        lb = topology.cluster(key).lb_host
        conf = nginx.LB_FILES[key]
        out += [
            f"### {lb}",
            "",
            *_code(
                f"sudo install -d -m 0755 {cert_dir}",
                f"sudo install -m 0644 {inst.lb_cert(lb)} {inst.nginx_cert(answers, lb)}",
                f"sudo install -m 0600 {inst.lb_key(lb)} {inst.nginx_key(answers, lb)}",
                f"sudo install -m 0644 {inst.CA_CERT} {inst.nginx_upstream_ca(answers, lb)}",
                f"sudo install -m 0644 {conf} /etc/nginx/conf.d/{conf.split('/')[-1]}",
                "sudo nginx -t && sudo systemctl reload nginx",
            ),
        ]
    return out


def _smoke(topology: Topology, number: int) -> list[str]:
    answers = topology.answers
    out = [f"## {number}. Smoke checks", ""]
    cp_portal = topology.devportal_url
    gw = topology.gateway_environment()
    out += [
        "Each command prints an HTTP status; `--cacert` also checks the certificate of the name called.",
        "",
        "- Developer Portal through the control-plane entry point (200):",
        f"  `curl --cacert {inst.CA_CERT} -sS -o /dev/null -w '%{{http_code}}\\n' {cp_portal}/`",
        "- Gateway API traffic over HTTPS (404 from the gateway: no API at /; 502 means the load balancer",
        "  cannot reach or verify the gateways, see /var/log/nginx/error.log):",
        f"  `curl --cacert {inst.CA_CERT} -sS -o /dev/null -w '%{{http_code}}\\n' {gw['https_endpoint'].url}/`",
        f"- Gateway API traffic over HTTP (404): `curl -sS -o /dev/null -w '%{{http_code}}\\n' {gw['http_endpoint'].url}/`",
        f"- Log in to the Publisher ({cp_portal.rsplit('/devportal', 1)[0]}/publisher) as `{answers.super_admin.username}`,",
        f"  create and deploy a test API to the gateway environment(s) {', '.join(answers.gateway.labels)}, subscribe to it in",
        f"  the Developer Portal, and call it through {gw['https_endpoint'].url}/<context>/<version>: a 200",
        "  shows artifact sync, key validation and throttling across the nodes.",
        "",
    ]
    return out


def render_runbook(topology: Topology) -> str:
    answers = topology.answers
    control_planes, load_balancers, gateways = start_order(topology)
    out = [
        f"# Runbook: deployment \"{answers.name}\" (WSO2 API Manager {answers.version})",
        "",
        f"{GENERATED}  Follow the steps in order; every host, port and command below is this",
        "deployment's.",
        "",
        *_overview(topology),
        *_prepare(topology),
        *_databases(topology),
        *_drivers(topology),
        *_install(topology),
        *_start(control_planes),
        *_load_balancers(topology, load_balancers),
        *_start(gateways),
        *_smoke(topology, 8),
    ]
    return "\n".join(out).rstrip("\n") + "\n"
