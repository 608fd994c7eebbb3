"""Cross-field checks: rules that relate several answers (the validator runs them).

Each check is registered with the top-level sections it reads and the paths whose repair
could make it report something that is not wrong; see wizard.validation for how broken
answers are repaired so these checks still run.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from . import facts
from .model import Answers, Cluster
from .problems import Path, Problem, did_you_mean

Check = Callable[[Answers, dict], Iterable[Problem]]
CHECKS: list[tuple[frozenset[str], tuple[Path, ...], Check]] = []


def _check(*sections: str, sensitive: tuple[Path, ...] = ()) -> Callable[[Check], Check]:
    """Register a cross-field check.

    ``sections``: top-level sections it reads (skipped when one is unusable).
    ``sensitive``: paths where a value dropped by the repair could make the check report
    something that is not wrong (e.g. a dropped environment makes a label look dangling);
    the check is skipped when anything at or under them was dropped.
    A check receives the (possibly repaired) answers and the answers as written.
    """

    def register(func: Check) -> Check:
        CHECKS.append((frozenset(sections), sensitive, func))
        return func

    return register


def overlaps(a: Path, b: Path) -> bool:
    n = min(len(a), len(b))
    return a[:n] == b[:n]


_CLUSTER_KEYS = {facts.CONTROL_PLANE: "control_plane", facts.GATEWAY: "gateway"}
_CLUSTER_WORDS = {facts.CONTROL_PLANE: "control-plane", facts.GATEWAY: "gateway"}


@_check("control_plane", "gateway", sensitive=(("control_plane", "existing"), ("gateway", "existing")))
def _something_to_generate(answers: Answers, written: dict):
    if answers.control_plane.existing and answers.gateway.existing:
        yield Problem(
            ("gateway", "existing"),
            "both the control plane and the gateways are marked existing, so there is nothing to "
            "generate; set existing = false on the profile to write",
            True,
        )


def _cluster_checks(key: str, profile: str):
    @_check(key, sensitive=((key, "lb_host"),))
    def _load_balancer(answers: Answers, written: dict):
        cluster: Cluster = getattr(answers, key)
        word = _CLUSTER_WORDS[profile]
        # Count the nodes as written: a node dropped for another error still makes HA.
        nodes = written.get(key, {}).get("nodes") if isinstance(written.get(key), dict) else None
        count = len(nodes) if isinstance(nodes, list) else len(cluster.nodes)
        if count > 1 and cluster.lb_host is None:
            yield Problem(
                (key, "lb_host"),
                f"is required: {count} {word} nodes form an HA cluster, and other nodes and "
                f"clients reach it through a load balancer hostname (e.g. {'cp' if key == 'control_plane' else 'gw'}.example.com)",
            )
        if cluster.lb_host is not None:
            # Any node's name, of either profile: the hosts file and the certificates would
            # give the load balancer's name to that node.
            for other in ("control_plane", "gateway"):
                if other not in answers.__dict__:
                    continue  # that cluster did not parse
                for index, node in enumerate(getattr(answers, other).nodes):
                    if node.hostname == cluster.lb_host:
                        yield Problem(
                            (key, "lb_host"),
                            f"is also the hostname of node {node.name} ({other}.nodes[{index}]); the load "
                            "balancer needs a name of its own",
                            cluster.lb_host,
                        )

    return _load_balancer


for _profile, _key in _CLUSTER_KEYS.items():
    _cluster_checks(_key, _profile)


def _nodes_of(answers: Answers, available: set[str]):
    for key in ("control_plane", "gateway"):
        if key in available:
            for index, node in enumerate(getattr(answers, key).nodes):
                yield (key, "nodes", index), node


def _unique_node_names(answers: Answers, available: set[str]):
    first: dict[str, Path] = {}
    for path, node in _nodes_of(answers, available):
        if node.name in first:
            from .problems import format_path

            yield Problem(
                (*path, "name"),
                f"is already the name of {format_path(first[node.name])}; node names must be unique "
                "because each names an output folder",
                node.name,
            )
        else:
            first[node.name] = path


def _ports(offset: int) -> dict[int, str]:
    return {base + offset: label for label, base in facts.BASE_PORTS.items()}


def _port_clashes(answers: Answers, available: set[str]):
    placed: list[tuple[Path, Any, set[str]]] = []
    for path, node in _nodes_of(answers, available):
        hosts = {node.hostname} | ({node.ip} if node.ip else set())
        mine = _ports(node.offset)
        for other_path, other, other_hosts in placed:
            shared = hosts & other_hosts
            if not shared:
                continue
            clash = sorted(set(mine) & set(_ports(other.offset)))
            if clash:
                used = [n.offset for p, n, h in placed if h & hosts]
                free = next(o for o in range(facts.MAX_OFFSET + 1) if all(
                    not set(_ports(o)) & set(_ports(u)) for u in used))
                shown = ", ".join(f"{p} ({facts.PORT_LABELS[mine[p]]})" for p in clash[:4])
                more = f" and {len(clash) - 4} more" if len(clash) > 4 else ""
                yield Problem(
                    (*path, "offset"),
                    f"node {node.name} and node {other.name} both run on {sorted(shared)[0]} and would both "
                    f"listen on {shown}{more}; give each node on one host its own offset (offset "
                    f"{free} is free here)",
                    node.offset,
                )
                break
        placed.append((path, node, hosts))


@_check()
def _nodes_across_profiles(answers: Answers, written: dict):
    # Runs with whichever clusters and nodes parsed: a dropped node can hide a clash but
    # never invent one.
    available = {k for k in ("control_plane", "gateway") if k in answers.__dict__}
    yield from _unique_node_names(answers, available)
    yield from _port_clashes(answers, available)


@_check("control_plane", "gateway", sensitive=(("control_plane",), ("gateway", "lb_host"),
          ("gateway", "proxy_http_port"), ("gateway", "proxy_https_port")))
def _load_balancers_apart(answers: Answers, written: dict):
    cp, gw = answers.control_plane, answers.gateway
    if cp.lb_host and cp.lb_host == gw.lb_host:
        shared = {cp.proxy_http_port, cp.proxy_https_port} & {gw.proxy_http_port, gw.proxy_https_port}
        if shared:
            yield Problem(
                ("gateway", "lb_host"),
                f"is also the control-plane load balancer and both would listen on port(s) "
                f"{', '.join(map(str, sorted(shared)))}; give the gateway load balancer its own hostname "
                "or other proxy ports",
                gw.lb_host,
            )


def _lb_ports(answers: Answers, key: str) -> dict[int, str]:
    cluster: Cluster = getattr(answers, key)
    ports = {cluster.proxy_https_port: "proxy_https_port", cluster.proxy_http_port: "proxy_http_port"}
    if key == "gateway":
        # The gateway LB also exposes the WebSocket ports unchanged (facts §3.9).
        ports.update({facts.BASE_PORTS["ws"]: "its WebSocket port", facts.BASE_PORTS["wss"]: "its secure WebSocket port"})
    return ports


def _lb_address(cluster: Cluster) -> str | None:
    if cluster.lb_ip:
        return cluster.lb_ip
    return "127.0.0.1" if cluster.lb_host and cluster.lb_host.endswith(".localhost") else None


@_check("control_plane", "gateway")
def _load_balancer_ports(answers: Answers, written: dict):
    for key in ("control_plane", "gateway"):
        cluster: Cluster = getattr(answers, key)
        if cluster.lb_host is None:
            continue
        word = _CLUSTER_WORDS[facts.CONTROL_PLANE if key == "control_plane" else facts.GATEWAY]
        if cluster.proxy_http_port == cluster.proxy_https_port:
            yield Problem((key, "proxy_http_port"), f"is also proxy_https_port; the {word} load balancer needs "
                          "two ports, one for HTTP and one for HTTPS", cluster.proxy_http_port)
        if key == "gateway":
            for field in ("proxy_http_port", "proxy_https_port"):
                port = getattr(cluster, field)
                if port in (facts.BASE_PORTS["ws"], facts.BASE_PORTS["wss"]):
                    yield Problem((key, field), "is a port the gateway load balancer already listens on for "
                                  "WebSocket APIs (9099 and 8099); choose another", port)
        address = _lb_address(cluster)
        if address is None:
            continue
        lb_ports = _lb_ports(answers, key)
        for path, node in _nodes_of(answers, {"control_plane", "gateway"}):
            on_lb_host = node.ip == address or (address == "127.0.0.1" and node.hostname == "localhost")
            clash = sorted(set(lb_ports) & set(_ports(node.offset))) if on_lb_host else []
            if clash:
                shown = ", ".join(f"{p} ({facts.PORT_LABELS[_ports(node.offset)[p]]})" for p in clash)
                yield Problem(
                    (*path, "offset"),
                    f"makes node {node.name} listen on {shown}, which the {word} load balancer {cluster.lb_host} "
                    f"on the same address ({address}) listens on; give the node another offset",
                    node.offset,
                )


@_check("control_plane", "gateway")
def _one_address_per_hostname(answers: Answers, written: dict):
    seen: dict[str, tuple[str, str]] = {}
    for path, node in _nodes_of(answers, {"control_plane", "gateway"}):
        if node.ip is None:
            continue
        if node.hostname in seen and seen[node.hostname][0] != node.ip:
            other_ip, other_name = seen[node.hostname]
            yield Problem(
                (*path, "ip"),
                f"differs from node {other_name}'s address {other_ip} for the same hostname {node.hostname}; "
                "one name resolves to one address (the hosts file and TLS checks rely on it)",
                node.ip,
            )
        seen.setdefault(node.hostname, (node.ip, node.name))


@_check("environments")
def _unique_environments(answers: Answers, written: dict):
    seen: set[str] = set()
    for index, env in enumerate(answers.environments):
        if env.name in seen:
            yield Problem(
                ("environments", index, "name"),
                "is defined twice; each gateway environment needs a unique name",
                env.name,
            )
        seen.add(env.name)


@_check("gateway", "environments", sensitive=(("environments",), ("gateway", "labels")))
def _labels_name_environments(answers: Answers, written: dict):
    names = [env.name for env in answers.environments]
    for index, label in enumerate(answers.gateway.labels):
        if label not in names:
            yield Problem(
                ("gateway", "labels", index),
                f"names no gateway environment{did_you_mean(label, names)}; defined environments: "
                f"{', '.join(names)} (a label without an environment makes the control plane answer "
                "'Environment not found for label')",
                label,
            )
    seen: set[str] = set()
    for index, label in enumerate(answers.gateway.labels):
        if label in seen:
            yield Problem(("gateway", "labels", index), "is listed twice", label, "warning")
        seen.add(label)
    for index, env in enumerate(answers.environments):
        if env.name not in answers.gateway.labels:
            yield Problem(
                ("environments", index, "name"),
                "is carried by no gateway label, so APIs deployed to this environment reach no "
                "gateway of this deployment",
                env.name,
                "warning",
            )


@_check("databases", "control_plane", sensitive=(("databases", "apim_db"), ("control_plane", "existing")))
def _databases_needed(answers: Answers, written: dict):
    if not answers.control_plane.existing and answers.databases.apim_db is None:
        yield Problem(
            ("databases", "apim_db"),
            "is required: control-plane nodes keep APIs, applications and subscriptions in apim_db",
        )


@_check("databases")
def _database_details(answers: Answers, written: dict):
    for key in ("apim_db", "shared_db"):
        db = getattr(answers.databases, key)
        if db is None:
            continue
        for name in db.params:
            if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
                yield Problem(
                    ("databases", key, "params", name),
                    "is not a JDBC parameter name; use letters, digits, '_', '.' and '-'",
                    db.params[name],
                )
        for name, value in db.params.items():
            if isinstance(value, str) and any(c in value for c in "&;?= "):
                yield Problem(
                    ("databases", key, "params", name),
                    "contains one of & ; ? = or a space, which separate JDBC URL parameters; give "
                    "each parameter as its own key",
                    value,
                )
        if db.oracle_sid and db.type != "oracle":
            yield Problem(("databases", key, "oracle_sid"), f"only applies to oracle, not {db.type}", True, "warning")


# The setup SQL in db/ and the JDBC URL carry these names unquoted in places.
_SETUP_DB_NAME = re.compile(r"[A-Za-z0-9_]{1,63}")
_SETUP_DB_USER = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
_SETUP_USER_MAX = {"postgre": 63, "mysql": 32, "mariadb": 80}
_DB_USED_BY = {"apim_db": ("control_plane",), "shared_db": ("control_plane", "gateway")}


@_check("databases", "control_plane", "gateway", sensitive=(("control_plane", "existing"), ("gateway", "existing")))
def _database_setup_names(answers: Answers, written: dict):
    for key, users in _DB_USED_BY.items():
        db = getattr(answers.databases, key)
        if db is None or db.type not in _SETUP_USER_MAX:
            continue
        if not _SETUP_DB_NAME.fullmatch(db.name):
            yield Problem(("databases", key, "name"), f"is not a usable {db.type} database name: use 1-63 letters, "
                          "digits and _ (e.g. apim_db)", db.name)
        if any(getattr(answers, c).existing for c in users):
            continue  # the database exists; the wizard writes no setup SQL for it
        top = _SETUP_USER_MAX[db.type]
        if not _SETUP_DB_USER.fullmatch(db.user) or len(db.user) > top:
            yield Problem(("databases", key, "user"), f"is not a user name the setup SQL can create on {db.type}: "
                          f"use at most {top} letters, digits and _ . -, starting with a letter, digit or _", db.user)


# Names of the other types sit in the JDBC URL as they are (;databaseName=X; / @host:port/X /
# :port/X:), so they keep to each server's unquoted names, which carry no URL separator.
_OTHER_DB_NAMES = {
    "mssql": (re.compile(r"[A-Za-z_@#][A-Za-z0-9_@#$]{0,127}"),
              "1-128 letters, digits and _ @ # $, not starting with a digit or $ (a regular SQL Server identifier)"),
    "oracle": (re.compile(r"[A-Za-z][A-Za-z0-9_.$#-]{0,127}"),
               "a service name or SID: letters, digits and _ . $ # -, starting with a letter"),
    "db2": (re.compile(r"[A-Za-z@#$][A-Za-z0-9@#$]{0,7}"),
            "1-8 letters, digits and @ # $, not starting with a digit (Db2 database names; e.g. APIMDB)"),
}


@_check("databases")
def _database_names_in_urls(answers: Answers, written: dict):
    for key in ("apim_db", "shared_db"):
        db = getattr(answers.databases, key)
        if db is not None and db.type in _OTHER_DB_NAMES:
            pattern, allowed = _OTHER_DB_NAMES[db.type]
            if not pattern.fullmatch(db.name):
                yield Problem(("databases", key, "name"), f"is not a usable {db.type} database name: use {allowed}",
                              db.name)


@_check("user_store", sensitive=(("user_store",),))
def _user_store(answers: Answers, written: dict):
    store = answers.user_store
    if store.type not in ("database", "database_unique_id") and "connection_url" not in store.properties:
        yield Problem(
            ("user_store", "properties"),
            f"needs connection_url (and the other LDAP settings) for a {store.type} user store, e.g. "
            '{ connection_url = "ldaps://ldap.example.com:636", ... }',
            store.properties,
        )


@_check("analytics", sensitive=(("analytics",),))
def _analytics(answers: Answers, written: dict):
    if answers.analytics.enabled and answers.analytics.auth_token is None:
        yield Problem(
            ("analytics", "auth_token"),
            "is required when analytics is enabled: the on-prem key from the Choreo analytics console",
        )


@_check("keystores", sensitive=(("keystores",),))
def _keystore_files(answers: Answers, written: dict):
    stores = answers.keystores
    if stores.tls.file_name == stores.primary.file_name:
        yield Problem(
            ("keystores", "tls", "file_name"),
            "is also the primary keystore's file; the per-node TLS keystore needs its own file",
            stores.tls.file_name,
        )
    if stores.truststore.file_name in (stores.tls.file_name, stores.primary.file_name):
        yield Problem(
            ("keystores", "truststore", "file_name"),
            "is also a keystore's file; the truststore needs its own file",
            stores.truststore.file_name,
        )


@_check("pki", "control_plane", "gateway", sensitive=(("pki",),))
def _pki_sources(answers: Answers, written: dict):
    pki = answers.pki
    needed = {"generate": (), "provided": ("ca_cert", "ca_key"), "external": ("ca_cert",)}[pki.ca]
    for key in needed:
        if getattr(pki, key) is None:
            what = "your CA certificate (PEM)" if key == "ca_cert" else "your CA private key (PEM, unencrypted)"
            yield Problem(("pki", key), f"is required with ca = \"{pki.ca}\": the path of {what}")
    for key in ("ca_cert", "ca_key"):
        if getattr(pki, key) is not None and key not in needed:
            yield Problem(("pki", key), f"is ignored with ca = \"{pki.ca}\"", getattr(pki, key), "warning")
    for cluster_key in ("control_plane", "gateway"):
        cluster = getattr(answers, cluster_key)
        for index, node in enumerate(cluster.nodes):
            for key in ("tls_cert", "tls_key"):
                path = (cluster_key, "nodes", index, key)
                if pki.ca == "external" and not cluster.existing and getattr(node, key) is None:
                    yield Problem(path, f"is required with pki.ca = \"external\": the PEM file of {node.name}'s "
                                        f"{'certificate' if key == 'tls_cert' else 'private key'}")
                elif pki.ca != "external" and getattr(node, key) is not None:
                    yield Problem(path, "is ignored: the wizard issues this node's certificate (pki.ca = "
                                        f"\"{pki.ca}\"); set pki.ca = \"external\" to bring your own",
                                  getattr(node, key), "warning")


@_check("keystores", sensitive=(("keystores",),))
def _keystore_aliases(answers: Answers, written: dict):
    for key in ("primary", "tls"):
        alias = getattr(answers.keystores, key).alias
        if alias in facts.RESERVED_ALIASES or alias.startswith("public-"):
            yield Problem(
                ("keystores", key, "alias"),
                f"is reserved for the truststore ({', '.join(sorted(facts.RESERVED_ALIASES))} and public-*); "
                "choose another alias",
                alias,
            )


_TLS13_SUITES = ("TLS_AES_", "TLS_CHACHA20_")


@_check("jms_tls", "pki", "control_plane", sensitive=(("jms_tls",), ("pki",)))
def _jms_tls(answers: Answers, written: dict):
    jms = answers.jms_tls
    for index, protocol in enumerate(jms.protocols):
        if protocol in ("TLSv1", "TLSv1.1") and not jms.allow_weak_protocols:
            yield Problem(
                ("jms_tls", "protocols", index),
                "is a broken protocol version (the seed's sample enables TLSv1); use TLSv1.2 and TLSv1.3, or set "
                "jms_tls.allow_weak_protocols = true if an old client truly needs it",
                protocol,
            )
    if not jms.enabled:
        return
    # TLSv1.3 suites work with any key; older ones must match the key type of the certificate.
    rsa_key = answers.pki.tls_key.startswith("rsa")
    tls13 = [c for c in jms.ciphers if c.startswith(_TLS13_SUITES)]
    older = [c for c in jms.ciphers if not c.startswith(_TLS13_SUITES) and ("_RSA_" if rsa_key else "_ECDSA_") in c]
    usable = (tls13 if "TLSv1.3" in jms.protocols else []) + (older if set(jms.protocols) - {"TLSv1.3"} else [])
    if not usable:
        yield Problem(
            ("jms_tls", "ciphers"),
            f"offers no suite for the enabled protocols ({', '.join(jms.protocols)}) with "
            f"{answers.pki.tls_key} keys, so no JMS TLS handshake can succeed; add e.g. "
            + ("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384" if rsa_key else "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384")
            + " or TLS_AES_256_GCM_SHA384",
        )
    if answers.control_plane.ha and not answers.pki.localhost_sans:
        yield Problem(
            ("pki", "localhost_sans"),
            "must stay true with JMS TLS on an HA control plane: each event hub reaches its own broker as "
            "localhost over TLS, so the node certificates must cover localhost",
            False,
        )
