"""The deployment derived from validated answers: nodes, ports after offset, who calls whom.

API-M applies ``[server] offset`` to a node's own listeners but never to URLs written into
*other* nodes' configs, so every cross-node URL is computed here from the target node's
offset (facts §3.10, pain point 14).  Renderers and the PKI both read these endpoints, so
the names a node calls and the names its peers' certificates cover cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from . import facts
from .model import Answers, Cluster

DEFAULT_SCHEME_PORT = {"https": 443, "http": 80, "wss": 443, "ws": 80}


@dataclass(frozen=True)
class NodePlan:
    """One API-M node: its identity and the ports it listens on after the offset."""

    name: str
    profile: str  # facts.CONTROL_PLANE or facts.GATEWAY
    hostname: str
    ip: str | None
    offset: int
    generated: bool  # False for nodes marked existing: referenced, not written
    index: int  # position within its cluster in the answers
    extra_sans: tuple[str, ...] = ()

    def port(self, key: str) -> int:
        return facts.BASE_PORTS[key] + self.offset

    @property
    def cluster_key(self) -> str:
        return "control_plane" if self.profile == facts.CONTROL_PLANE else "gateway"

    @property
    def server_role(self) -> str:
        return facts.SERVER_ROLE[self.profile]


@dataclass(frozen=True)
class Endpoint:
    """A URL one node writes to reach another node or a load balancer."""

    scheme: str
    host: str
    port: int | None  # None: the scheme's default port, left out of the URL
    path: str = ""
    target: str = ""  # node name, or "lb:control_plane" / "lb:gateway"
    purpose: str = ""
    tls: bool = False  # TLS on a scheme that does not say so (JMS over TLS keeps tcp://)

    @property
    def url(self) -> str:
        port = "" if self.port is None else f":{self.port}"
        return f"{self.scheme}://{self.host}{port}{self.path}"

    @property
    def effective_port(self) -> int:
        return self.port if self.port is not None else DEFAULT_SCHEME_PORT[self.scheme]

    @property
    def is_tls(self) -> bool:
        return self.tls or self.scheme in ("https", "wss", "ssl")


def _lb_port(port: int, scheme: str) -> int | None:
    return None if port == DEFAULT_SCHEME_PORT[scheme] else port


class Topology:
    """Read-only view of a validated, secret-resolved deployment."""

    def __init__(self, answers: Answers):
        self.answers = answers
        self.control_planes = self._plan(answers.control_plane, facts.CONTROL_PLANE)
        self.gateways = self._plan(answers.gateway, facts.GATEWAY)

    @staticmethod
    def _plan(cluster: Cluster, profile: str) -> tuple[NodePlan, ...]:
        return tuple(
            NodePlan(n.name, profile, n.hostname, n.ip, n.offset, not cluster.existing, i, tuple(n.extra_sans))
            for i, n in enumerate(cluster.nodes)
        )

    # ------------------------------------------------------------------ nodes

    @cached_property
    def nodes(self) -> tuple[NodePlan, ...]:
        """Control planes first: that is also the start order."""
        return self.control_planes + self.gateways

    @cached_property
    def generated_nodes(self) -> tuple[NodePlan, ...]:
        return tuple(n for n in self.nodes if n.generated)

    def node(self, name: str) -> NodePlan:
        for node in self.nodes:
            if node.name == name:
                return node
        raise KeyError(name)

    def cluster(self, node_or_key: NodePlan | str) -> Cluster:
        key = node_or_key if isinstance(node_or_key, str) else node_or_key.cluster_key
        return getattr(self.answers, key)

    def peers(self, node: NodePlan) -> tuple[NodePlan, ...]:
        same = self.control_planes if node.profile == facts.CONTROL_PLANE else self.gateways
        return tuple(n for n in same if n.name != node.name)

    # ---------------------------------------------------------------- hostnames

    def lb_host(self, node_or_key: NodePlan | str) -> str | None:
        return self.cluster(node_or_key).lb_host

    def server_hostname(self, node: NodePlan) -> str:
        """[server] hostname: the name clients use, i.e. the LB when there is one."""
        return self.lb_host(node) or node.hostname

    def behind_lb(self, node: NodePlan) -> bool:
        return self.lb_host(node) is not None

    # --------------------------------------------------- control-plane endpoints

    def _cp_https(self, path: str, purpose: str) -> Endpoint:
        cluster = self.answers.control_plane
        if cluster.lb_host:
            return Endpoint(
                "https", cluster.lb_host, _lb_port(cluster.proxy_https_port, "https"), path,
                "lb:control_plane", purpose,
            )
        (cp,) = self.control_planes  # single mode: validation guarantees one node
        return Endpoint("https", cp.hostname, cp.port("https"), path, cp.name, purpose)

    @property
    def cp_service_url(self) -> Endpoint:
        return self._cp_https("/services/", "control-plane admin services")

    @property
    def notification_endpoint(self) -> Endpoint:
        return self._cp_https("/internal/data/v1/notify", "token revocation notification")

    @property
    def devportal_url(self) -> str:
        override = self.answers.features.devportal_url
        return override or self._cp_https("/devportal", "developer portal").url

    @property
    def jms_tls(self) -> bool:
        return self.answers.jms_tls.enabled

    def amqp_port(self, cp: NodePlan) -> int:
        """The broker port callers use.  Andes adds the node's offset to both AMQP ports
        (5672 -> 5673 with offset 1, product-apim#12754; the TLS port 8672 is read the same way)."""
        return cp.port("amqp_tls" if self.jms_tls else "amqp")

    def cp_amqp(self, cp: NodePlan, purpose: str) -> Endpoint:
        return Endpoint("tcp", cp.hostname, self.amqp_port(cp), "", cp.name, purpose, tls=self.jms_tls)

    def own_event_listener(self, cp: NodePlan) -> Endpoint:
        """A control plane's event hub listens on its own broker, through localhost."""
        return Endpoint("tcp", "localhost", self.amqp_port(cp), "", cp.name, "own event hub", tls=self.jms_tls)

    def throttle_decision_endpoints(self) -> list[Endpoint]:
        return [self.cp_amqp(cp, "throttle decisions (JMS)") for cp in self.control_planes]

    def event_listening_endpoints(self) -> list[Endpoint]:
        return [self.cp_amqp(cp, "event hub notifications (JMS)") for cp in self.control_planes]

    def data_bridge(self, cp: NodePlan, purpose: str) -> tuple[Endpoint, Endpoint]:
        return (
            Endpoint("tcp", cp.hostname, cp.port("binary"), "", cp.name, purpose),
            Endpoint("ssl", cp.hostname, cp.port("binary_ssl"), "", cp.name, purpose + " (auth)"),
        )

    def event_duplicate_urls(self, cp: NodePlan) -> list[Endpoint]:
        """Every *other* control plane: revocation events are duplicated to the peers."""
        return [self.cp_amqp(peer, "event duplication to peer") for peer in self.peers(cp)]

    # -------------------------------------------------------- gateway endpoints

    def gateway_environment(self) -> dict[str, Endpoint]:
        """service_url, ws/wss and http/https endpoints of the gateway cluster."""
        cluster = self.answers.gateway
        if cluster.lb_host:
            host, target = cluster.lb_host, "lb:gateway"
            https = _lb_port(cluster.proxy_https_port, "https")
            http = _lb_port(cluster.proxy_http_port, "http")
            # The load balancer exposes the WebSocket ports unchanged (facts §3.9).
            ws, wss = facts.BASE_PORTS["ws"], facts.BASE_PORTS["wss"]
            service = https
        else:
            (gw,) = self.gateways
            host, target = gw.hostname, gw.name
            https, http = gw.port("passthrough_https"), gw.port("passthrough_http")
            ws, wss, service = gw.port("ws"), gw.port("wss"), gw.port("https")
        return {
            "service_url": Endpoint("https", host, service, "/services/", target, "gateway admin services"),
            "ws_endpoint": Endpoint("ws", host, ws, "", target, "WebSocket APIs"),
            "wss_endpoint": Endpoint("wss", host, wss, "", target, "secure WebSocket APIs"),
            "http_endpoint": Endpoint("http", host, http, "", target, "API traffic (HTTP)"),
            "https_endpoint": Endpoint("https", host, https, "", target, "API traffic (HTTPS)"),
        }

    # ------------------------------------------------------------ certificates

    def _devportal_host(self) -> str | None:
        from urllib.parse import urlsplit

        override = self.answers.features.devportal_url
        return urlsplit(override).hostname if override else None

    def tls_names(self, node: NodePlan) -> list[str]:
        """Every name and address callers use for ``node``: its certificate's SANs."""
        names = [node.hostname]
        if node.ip:
            names.append(node.ip)
        lb = self.lb_host(node)
        if lb:
            # Behind a TLS-passthrough LB the node itself answers for the LB name.
            names.append(lb)
        elif node.profile == facts.CONTROL_PLANE and self._devportal_host():
            names.append(self._devportal_host())
        names.extend(node.extra_sans)
        if self.answers.pki.localhost_sans:
            names.extend(["localhost", "127.0.0.1"])
        return names

    def lb_names(self, key: str) -> list[str]:
        cluster = self.cluster(key)
        assert cluster.lb_host is not None
        names = [cluster.lb_host]
        if key == "control_plane" and self._devportal_host():
            names.append(self._devportal_host())
        return names

    def load_balancers(self) -> dict[str, str]:
        """{cluster key: LB hostname} for the clusters that have one and are generated."""
        return {
            key: getattr(self.answers, key).lb_host
            for key in ("control_plane", "gateway")
            if getattr(self.answers, key).lb_host and not getattr(self.answers, key).existing
        }

    # ------------------------------------------------------------------ calls

    def calls(self, node: NodePlan) -> list[Endpoint]:
        """Every endpoint ``node`` names in its deployment.toml, in the order written."""
        out: list[Endpoint] = []
        if node.profile == facts.GATEWAY:
            out.append(self.cp_service_url)
            out.extend(self.throttle_decision_endpoints())
            for cp in self.control_planes:
                out.extend(self.data_bridge(cp, "throttle events"))
            out.extend(self.event_listening_endpoints())
        else:
            out.extend(self.gateway_environment().values())
            out.append(self.cp_service_url)
            if self.answers.control_plane.ha:
                out.append(self.own_event_listener(node))
                out.extend(self.event_duplicate_urls(node))
                for cp in self.control_planes:
                    out.extend(self.data_bridge(cp, "event hub publishing"))
            if self.answers.features.token_revocation:
                out.append(self.notification_endpoint)
        return out
