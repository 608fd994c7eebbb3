"""The load balancer configs under real nginx.

``nginx -t`` loads the generated files with the certificates the PKI writes; then a real
nginx runs them in front of small TLS backends standing in for the nodes, to show the routes
the nodes' URLs rely on: /services/ to the gateways' servlet port and everything else to the
PassThrough ports, WebSocket ports, sticky control-plane sessions, X-Forwarded headers, and
that upstream certificates are verified (a node certificate without the LB name gets 502).
"""

from __future__ import annotations

import copy
import http.client
import json
import random
import socket
import ssl
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from conftest import apply_to, build_raw, preset_raw
from pki_helpers import issue_for, keystore_pems
from tools import IN_CI, free_port, require, run
from wizard import facts
from wizard import installation as inst
from wizard.render import nginx as nginx_render


def lb_hosts(topology) -> list[str]:
    return sorted({topology.cluster(k).lb_host for k in nginx_render.load_balancers(topology)})


def nginx_conf(prefix: Path, out: Path, extra: str = "") -> Path:
    (prefix / "logs").mkdir(parents=True, exist_ok=True)
    conf = prefix / "nginx.conf"
    conf.write_text(
        f"pid {prefix}/nginx.pid;\n"
        "error_log stderr warn;\n"
        "events {}\n"
        "http {\n"
        "    access_log off;\n"
        f"{extra}"
        f"    include {out}/nginx/*.conf;\n"
        "}\n"
    )
    return conf


def install_lb_files(out: Path, lb_hosts: list[str], answers) -> None:
    """Copy the PKI's files to the nginx cert folder, as RUNBOOK.md's load balancer step does."""
    for host in lb_hosts:
        copies = {
            out / inst.lb_cert(host): inst.nginx_cert(answers, host),
            out / inst.lb_key(host): inst.nginx_key(answers, host),
            out / inst.CA_CERT: inst.nginx_upstream_ca(answers, host),
        }
        for source, target in copies.items():
            Path(target).parent.mkdir(parents=True, exist_ok=True)
            Path(target).write_bytes(source.read_bytes())


def prepared(raw: dict, tmp_path: Path):
    raw = copy.deepcopy(raw)
    raw.setdefault("install", {})["nginx_cert_dir"] = str(tmp_path / "etc-nginx-ssl")
    out = tmp_path / "out"
    build, _ = apply_to(raw, out)  # with the PKI: ca/ and lb/ as apply writes them
    install_lb_files(out, lb_hosts(build.topology), build.topology.answers)
    return out, build.topology


def shared_lb_host_raw() -> dict:
    raw = preset_raw("ha")
    raw["gateway"].update(lb_host="cp.example.com", proxy_http_port=8280, proxy_https_port=8243)
    return raw


@pytest.mark.parametrize("case", ["ha", "local", "one load balancer host for both"])
def test_nginx_accepts_the_generated_configs(case, tmp_path):
    binary = require("nginx", "/usr/sbin")
    raw = shared_lb_host_raw() if case.startswith("one") else preset_raw(case)
    out, topology = prepared(raw, tmp_path)
    files = sorted(p.name for p in (out / "nginx").glob("*.conf"))
    assert files == ["control-plane-lb.conf", "gateway-lb.conf"]
    conf = nginx_conf(tmp_path / "prefix", out)
    result = run([binary, "-t", "-p", str(tmp_path / "prefix"), "-c", str(conf), "-e", "stderr"])
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_nginx_refuses_the_configs_without_their_certificates(tmp_path):
    """nginx -t really loads the certificate files the configs name."""
    binary = require("nginx", "/usr/sbin")
    out, topology = prepared(preset_raw("ha"), tmp_path)
    Path(topology.answers.install.nginx_cert_dir, "gw.example.com-upstream-ca.crt").unlink()
    conf = nginx_conf(tmp_path / "prefix", out)
    result = run([binary, "-t", "-p", str(tmp_path / "prefix"), "-c", str(conf), "-e", "stderr"])
    assert result.returncode != 0 and "gw.example.com-upstream-ca.crt" in result.stderr


def test_no_load_balancer_config_without_a_load_balancer():
    build = build_raw(preset_raw("single"))
    assert not [f for f in build.files if f.path.startswith("nginx/")]
    raw = preset_raw("ha")
    raw["control_plane"]["existing"] = True  # its load balancer exists too
    assert [f.path for f in build_raw(raw).files if f.path.startswith("nginx/")] == ["nginx/gateway-lb.conf"]


# ----------------------------------------------------------------------- routing


class _Backend(BaseHTTPRequestHandler):
    """Answers with who it is and what it was sent; 101 for WebSocket upgrades."""

    protocol_version = "HTTP/1.1"

    def do_GET(self):  # noqa: N802 (http.server API)
        node, port = self.server.node, self.server.server_address[1]
        body = json.dumps({"node": node, "port": port, "path": self.path, "headers": dict(self.headers)}).encode()
        if self.headers.get("Upgrade", "").lower() == "websocket":
            self.send_response(101)
            self.send_header("Upgrade", "websocket")
            self.send_header("Connection", "Upgrade")
            self.send_header("X-Backend", f"{node}:{port}")
            self.end_headers()
            self.close_connection = True
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def _serve(node: str, port: int, tls: tuple[Path, Path] | None):
    server = ThreadingHTTPServer(("127.0.0.1", port), _Backend)
    server.node = node
    if tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*tls)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as nginx does: TIME_WAIT is no obstacle
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _request(port: int, lb: str, path: str, ca: Path | None, headers: dict | None = None):
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    if ca is not None:
        context = ssl.create_default_context(cafile=str(ca))
        sock = context.wrap_socket(sock, server_hostname=lb)  # verifies the LB certificate
    connection = http.client.HTTPConnection(lb, port, timeout=10)
    connection.sock = sock
    connection.request("GET", path, headers=headers or {})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, response, body


def routing_raw() -> dict:
    """The local preset on ports this test can bind: free LB ports, node offsets in a quiet range."""
    raw = preset_raw("local")
    base = random.randrange(20000, 40000, 10)
    for cluster in ("control_plane", "gateway"):
        raw[cluster]["proxy_http_port"], raw[cluster]["proxy_https_port"] = free_port(), free_port()
    for offset, node in enumerate(raw["control_plane"]["nodes"] + raw["gateway"]["nodes"], start=1):
        node["offset"] = base + offset
    return raw


def test_load_balancers_route_as_the_nodes_urls_expect(tmp_path):
    binary = require("nginx", "/usr/sbin")
    ws_ports = (facts.BASE_PORTS["ws"], facts.BASE_PORTS["wss"])
    if not all(_port_free(p) for p in ws_ports):
        message = f"ports {ws_ports} are taken; the gateway LB listens there"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    out, topology = prepared(routing_raw(), tmp_path)
    ca = out / "ca/ca.crt"
    gw_lb, cp_lb = topology.answers.gateway.lb_host, topology.answers.control_plane.lb_host

    certs = tmp_path / "node-certs"
    certs.mkdir()

    ca_cert = x509.load_pem_x509_certificate((out / inst.CA_CERT).read_bytes())
    ca_key = serialization.load_pem_private_key((out / "ca/ca.key").read_bytes(), password=None)
    servers = []
    for node in topology.nodes:
        # The node's own TLS keystore, as the PKI wrote it and deployment.toml names it.
        chain, key = keystore_pems(out, node.name)
        good = certs / f"{node.name}.pem", certs / f"{node.name}.key"
        good[0].write_bytes(chain)
        good[1].write_bytes(key)
        # From the same CA, but without the LB name: nginx must refuse it.
        issue_for(ca_cert, ca_key, [node.hostname, "127.0.0.1"], certs, f"{node.name}-no-lb")
        without_lb_name = certs / f"{node.name}-no-lb.pem", certs / f"{node.name}-no-lb.key"
        keys = {"https": good} if node.profile == facts.CONTROL_PLANE else {
            "https": good, "passthrough_https": good, "passthrough_http": None, "ws": None, "wss": without_lb_name,
        }
        for port_key, tls in keys.items():
            servers.append(_serve(node.name, node.port(port_key), tls))

    prefix = tmp_path / "prefix"
    conf = nginx_conf(prefix, out)
    process = subprocess.Popen([binary, "-p", str(prefix), "-c", str(conf), "-e", "stderr", "-g", "daemon off;"],
                               stderr=subprocess.PIPE, text=True)
    try:
        gw, cp = topology.answers.gateway, topology.answers.control_plane
        deadline = time.monotonic() + 15
        while _port_free(gw.proxy_https_port):
            assert process.poll() is None, process.stderr.read()
            assert time.monotonic() < deadline, "nginx did not start"
            time.sleep(0.1)
        gateways = {n.name: n for n in topology.gateways}

        def backend(body: bytes) -> tuple[str, int, dict]:
            data = json.loads(body)
            return data["node"], data["port"], data

        # Gateway LB, HTTPS: /services/ to the servlet port, the rest to PassThrough HTTPS.
        status, _, body = _request(gw.proxy_https_port, gw_lb, "/services/APIGatewayAdmin", ca)
        node, port, data = backend(body)
        assert status == 200 and port == gateways[node].port("https") and data["path"] == "/services/APIGatewayAdmin"
        status, _, body = _request(gw.proxy_https_port, gw_lb, "/pizzashack/1.0.0/menu", ca)
        node, port, data = backend(body)
        assert status == 200 and port == gateways[node].port("passthrough_https")
        headers = {k.lower(): v for k, v in data["headers"].items()}
        assert headers["x-forwarded-for"] == "127.0.0.1" and headers["x-forwarded-proto"] == "https"
        assert headers["x-forwarded-host"] == gw_lb and headers["x-forwarded-port"] == str(gw.proxy_https_port)
        assert headers["host"] == f"{gw_lb}:{gw.proxy_https_port}"
        # Round robin reaches both gateways.
        seen = {backend(_request(gw.proxy_https_port, gw_lb, "/x", ca)[2])[0] for _ in range(6)}
        assert seen == set(gateways)

        # Gateway LB, HTTP to PassThrough HTTP.
        status, _, body = _request(gw.proxy_http_port, gw_lb, "/pizzashack/1.0.0/menu", None)
        node, port, _ = backend(body)
        assert status == 200 and port == gateways[node].port("passthrough_http")

        # WebSocket: 9099 to the gateways' WS port; 8099 (TLS) is refused upstream because
        # those backends present certificates without the LB name.
        upgrade = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Key": "dGhlIHNhbXBsZQ==",
                   "Sec-WebSocket-Version": "13"}
        status, response, _ = _request(facts.BASE_PORTS["ws"], gw_lb, "/chat/1.0.0", None, upgrade)
        node, port = response.getheader("X-Backend").split(":")
        assert status == 101 and int(port) == gateways[node].port("ws")
        status, _, _ = _request(facts.BASE_PORTS["wss"], gw_lb, "/chat/1.0.0", ca, upgrade)
        assert status == 502

        # Control-plane LB: servlet port, one client stays on one node (sticky).
        cps = {n.name: n for n in topology.control_planes}
        answers = [backend(_request(cp.proxy_https_port, cp_lb, "/publisher/", ca)[2]) for _ in range(8)]
        assert {port == cps[node].port("https") for node, port, _ in answers} == {True}
        assert len({node for node, _, _ in answers}) == 1
        status, response, _ = _request(cp.proxy_http_port, cp_lb, "/devportal/apis?x=1", None)
        assert status == 301
        assert response.getheader("Location") == f"https://{cp_lb}:{cp.proxy_https_port}/devportal/apis?x=1"
    finally:
        process.terminate()
        process.wait(timeout=15)
        for server in servers:
            server.shutdown()
            server.server_close()
    log = process.stderr.read()
    assert f'upstream SSL certificate does not match "{gw_lb}"' in log, log
