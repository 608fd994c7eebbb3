"""nginx configs of the load balancers (seed step 6, WSO2's "Configuring the Proxy Server
and the Load Balancer"), one file per load balancer, for nginx's http{} context
(/etc/nginx/conf.d/).

What each LB must route follows from the URLs the nodes write (wizard.topology): the
control planes name the gateway LB as ``https://<gw-lb>[:https]/services/`` (servlet port),
``https://<gw-lb>[:https]`` and ``http://<gw-lb>[:http]`` (PassThrough ports) and
``ws(s)://<gw-lb>:9099/8099``; the gateways name the control-plane LB as
``https://<cp-lb>[:https]/services/``.  TLS is terminated with the LB certificate and
re-established to the nodes, whose certificates are verified against the deployment CA
under the LB name (every node's certificate carries the name of the LB in front of it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .. import facts
from .. import installation as inst
from ..model import Cluster
from ..topology import NodePlan, Topology
from .text import GENERATED, comment_block

TLS_PROTOCOLS = "TLSv1.2 TLSv1.3"
# Mozilla's "intermediate" TLS 1.2 suites without DHE (which would need a dhparam file).
TLS12_CIPHERS = ":".join([
    "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
])
PROXY_TIMEOUT = "5m"  # WSO2's sample: long-running API calls and publisher imports
LB_FILES = {"control_plane": "nginx/control-plane-lb.conf", "gateway": "nginx/gateway-lb.conf"}

STICKY_COMMENT = [
    "Sticky sessions: WSO2 requires them for the Publisher and Developer Portal.  Open-source",
    "nginx has no 'sticky' directive (NGINX Plus only), and hashing the JSESSIONID cookie would",
    "not help: the hash of a session id picks some node, not the node that issued it.  So the",
    "client address is hashed ('consistent': adding or removing a node moves only its share of",
    "clients).  Clients behind one NAT address all land on one node; if this LB itself sits",
    "behind a proxy, set real_ip_header/set_real_ip_from so $remote_addr is the client.",
]


@dataclass(frozen=True)
class Upstream:
    name: str
    nodes: tuple[NodePlan, ...]
    port_key: str  # facts.BASE_PORTS key: the node port after offset
    tls: bool
    sticky: bool = False
    keepalive: bool = True


def _slug(host: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", host).strip("_").lower()


def node_address(node: NodePlan) -> str:
    """An IP needs no name resolution when nginx starts; the hostname otherwise.

    ``localhost`` becomes 127.0.0.1: nginx would also try ::1, where API-M does not listen
    (its start script sets -Djava.net.preferIPv4Stack=true).
    """
    if node.ip is None:
        return "127.0.0.1" if node.hostname == "localhost" else node.hostname
    return f"[{node.ip}]" if ":" in node.ip else node.ip


def _upstream_block(up: Upstream) -> list[str]:
    out = [f"upstream {up.name} {{"]
    if up.sticky:
        out += [f"    # {line}" for line in STICKY_COMMENT]
        out.append("    hash $remote_addr consistent;")
    for node in up.nodes:
        out.append(
            f"    server {node_address(node)}:{node.port(up.port_key)};"
            f"  # {node.name} {node.hostname} ({facts.PORT_LABELS[up.port_key]} {node.port(up.port_key)})"
        )
    if up.keepalive:
        out.append("    keepalive 32;")
    out.append("}")
    return out


def _proxy(up: Upstream, lb_host: str, topology: Topology, websocket: bool = False) -> list[str]:
    scheme = "https" if up.tls else "http"
    out = [
        f"proxy_pass {scheme}://{up.name};",
        "proxy_http_version 1.1;",
        "proxy_set_header Host $http_host;",
        "proxy_set_header X-Forwarded-Host $host;",
        "proxy_set_header X-Forwarded-Server $host;",
        "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "proxy_set_header X-Forwarded-Proto $scheme;",
        "proxy_set_header X-Forwarded-Port $server_port;",
        "proxy_set_header X-Real-IP $remote_addr;",
    ]
    if websocket:
        out += ["proxy_set_header Upgrade $http_upgrade;", 'proxy_set_header Connection "upgrade";']
    else:
        out.append('proxy_set_header Connection "";  # keep upstream connections alive')
    out += [f"proxy_read_timeout {PROXY_TIMEOUT};", f"proxy_send_timeout {PROXY_TIMEOUT};"]
    if up.tls:
        out += [
            "# Verify the node: its certificate is issued by the deployment CA and names this LB.",
            "proxy_ssl_verify on;",
            "proxy_ssl_verify_depth 2;",
            f"proxy_ssl_trusted_certificate {inst.nginx_upstream_ca(topology.answers, lb_host)};",
            f"proxy_ssl_name {lb_host};",
            "proxy_ssl_server_name on;",
            f"proxy_ssl_protocols {TLS_PROTOCOLS};",
            "proxy_ssl_session_reuse on;",
        ]
    return out


def _location(path: str, body: list[str]) -> list[str]:
    return [f"    location {path} {{", *(f"        {line}" for line in body), "    }"]


def _server(topology: Topology, lb_host: str, port: int, tls: bool, body: list[str], comment: str,
            max_body: str) -> list[str]:
    answers = topology.answers
    out = [f"# {comment}", "server {", f"    listen {port}{' ssl' if tls else ''};", f"    server_name {lb_host};"]
    if tls:
        out += [
            f"    ssl_certificate {inst.nginx_cert(answers, lb_host)};  # {inst.lb_cert(lb_host)}: leaf + CA",
            f"    ssl_certificate_key {inst.nginx_key(answers, lb_host)};  # {inst.lb_key(lb_host)}",
            f"    ssl_protocols {TLS_PROTOCOLS};",
            f"    ssl_ciphers {TLS12_CIPHERS};",
            "    ssl_prefer_server_ciphers off;",
            "    ssl_session_cache shared:apim_tls:10m;",
            "    ssl_session_timeout 1d;",
            "    ssl_session_tickets off;",
        ]
    out += [
        "    # WSO2's production checklist: headers of up to 32 KB (federated logins, large tokens).",
        "    large_client_header_buffers 4 32k;",
        f"    client_max_body_size {max_body};",
        *body,
        "}",
    ]
    return out


def _header(topology: Topology, key: str, cluster: Cluster, routes: list[str]) -> list[str]:
    answers = topology.answers
    lb = cluster.lb_host
    word = "control-plane" if key == "control_plane" else "gateway"
    nodes = topology.control_planes if key == "control_plane" else topology.gateways
    return comment_block([
        f"nginx load balancer {lb} for the {word} nodes of deployment \"{answers.name}\"",
        f"(WSO2 API Manager {answers.version}): {', '.join(n.name for n in nodes)}.",
        *routes,
        "",
        f"Install on the load balancer host as /etc/nginx/conf.d/{LB_FILES[key].split('/')[-1]}, with the files it names",
        f"in {answers.install.nginx_cert_dir} (from this output folder):",
        f"  {inst.lb_cert(lb)} -> {inst.nginx_cert(answers, lb)}",
        f"  {inst.lb_key(lb)} -> {inst.nginx_key(answers, lb)} (mode 0600)",
        f"  {inst.CA_CERT} -> {inst.nginx_upstream_ca(answers, lb)}",
        "then: nginx -t && systemctl reload nginx.  RUNBOOK.md has the commands.",
        GENERATED,
    ]).splitlines()


def render_gateway_lb(topology: Topology) -> str:
    cluster = topology.answers.gateway
    lb = cluster.lb_host
    nodes = topology.gateways
    base = f"gw_{_slug(lb)}"
    servlet = Upstream(f"{base}_servlet_https", nodes, "https", tls=True)
    https = Upstream(f"{base}_passthrough_https", nodes, "passthrough_https", tls=True)
    http = Upstream(f"{base}_passthrough_http", nodes, "passthrough_http", tls=False)
    ws = Upstream(f"{base}_ws", nodes, "ws", tls=False, keepalive=False)
    wss = Upstream(f"{base}_wss", nodes, "wss", tls=True, keepalive=False)
    ws_port, wss_port = facts.BASE_PORTS["ws"], facts.BASE_PORTS["wss"]
    routes = [
        f"  HTTPS {cluster.proxy_https_port}: /services/ -> servlet HTTPS (9443+offset, the control planes' service_url),",
        "             everything else -> PassThrough HTTPS (8243+offset, API traffic)",
        f"  HTTP  {cluster.proxy_http_port}: PassThrough HTTP (8280+offset)",
        f"  WS    {ws_port}: WebSocket (9099+offset);  WSS {wss_port}: secure WebSocket (8099+offset)",
        "Gateways need no sticky sessions: API calls carry their own credentials.",
    ]
    out = _header(topology, "gateway", cluster, routes)
    for up in (servlet, https, http, ws, wss):
        out += ["", *_upstream_block(up)]
    body = "0"  # API payloads: the gateway applies its own limits
    out += [""] + _server(
        topology, lb, cluster.proxy_https_port, True,
        _location("/services/", _proxy(servlet, lb, topology)) + _location("/", _proxy(https, lb, topology)),
        "API traffic over HTTPS, and the gateways' admin services under /services/", body,
    )
    out += [""] + _server(
        topology, lb, cluster.proxy_http_port, False, _location("/", _proxy(http, lb, topology)),
        "API traffic over HTTP", body,
    )
    out += [""] + _server(
        topology, lb, ws_port, False, _location("/", _proxy(ws, lb, topology, websocket=True)),
        "WebSocket APIs (ws_endpoint)", body,
    )
    out += [""] + _server(
        topology, lb, wss_port, True, _location("/", _proxy(wss, lb, topology, websocket=True)),
        "secure WebSocket APIs (wss_endpoint)", body,
    )
    return "\n".join(out) + "\n"


def render_control_plane_lb(topology: Topology) -> str:
    cluster = topology.answers.control_plane
    lb = cluster.lb_host
    servlet = Upstream(f"cp_{_slug(lb)}_https", topology.control_planes, "https", tls=True, sticky=True)
    https_port = cluster.proxy_https_port
    redirect_port = "" if https_port == 443 else f":{https_port}"
    routes = [
        f"  HTTPS {https_port}: servlet HTTPS (9443+offset): Publisher, Developer Portal, Admin portal,",
        "             /services/ (the gateways' service_url), /oauth2, /internal/data/v1; sticky",
        f"  HTTP  {cluster.proxy_http_port}: redirects to HTTPS",
    ]
    out = _header(topology, "control_plane", cluster, routes)
    out += ["", *_upstream_block(servlet)]
    out += [""] + _server(
        topology, lb, https_port, True, _location("/", _proxy(servlet, lb, topology)),
        "portals, admin services and key manager endpoints",
        "100m",  # Publisher imports of API archives and OpenAPI documents
    )
    out += [""] + _server(
        topology, lb, cluster.proxy_http_port, False,
        [f"    return 301 https://$host{redirect_port}$request_uri;"],
        "plain HTTP: the portals and APIs of the control plane are served over HTTPS only", "1m",
    )
    return "\n".join(out) + "\n"


RENDERERS = {"control_plane": render_control_plane_lb, "gateway": render_gateway_lb}


def load_balancers(topology: Topology) -> list[str]:
    """Cluster keys whose load balancer the wizard configures: generated clusters with an LB."""
    return [
        key for key in ("control_plane", "gateway")
        if topology.cluster(key).lb_host and not topology.cluster(key).existing
    ]
