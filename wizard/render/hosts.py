"""The deployment's /etc/hosts block: every node, load balancer and database name it uses.

A name with an address in the answers gets a hosts line.  A name without one is written as a
comment that says which answer would give it an address: guessing one would silently send
traffic to the wrong host, while a commented line leaves DNS in charge and shows the gap.
Names under ``localhost`` resolve to the loopback address (RFC 6761), which glibc's hosts
lookup does not do by itself, so they get 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from ..topology import Topology
from .text import GENERATED, comment_block

LOOPBACK = "127.0.0.1"


def block_markers(topology: Topology) -> tuple[str, str]:
    name = topology.answers.name
    return f"# BEGIN apim-wizard deployment {name}", f"# END apim-wizard deployment {name}"


@dataclass
class _Name:
    host: str
    address: str | None
    hint: str  # how to give it an address
    uses: list[str] = field(default_factory=list)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def collect_names(topology: Topology) -> list[_Name]:
    """Every hostname the output names, in answer order, with its address when known."""
    answers = topology.answers
    names: dict[str, _Name] = {}

    def add(host: str, address: str | None, where: str, use: str) -> None:
        """``where``: how to give the name an address, for the comment when there is none."""
        if _is_ip(host) or host == "localhost":
            return
        if address is None and host.endswith(".localhost"):
            address = LOOPBACK
        entry = names.setdefault(host, _Name(host, address, where))
        if entry.address is None and address is not None:
            entry.address = address
        entry.uses.append(use)

    for node in topology.nodes:
        key = node.cluster_key
        add(node.hostname, node.ip, f"set {key}.nodes[{node.index}].ip or let DNS resolve it",
            f"{node.name} ({node.server_role})")
    for key, word in (("control_plane", "control-plane"), ("gateway", "gateway")):
        cluster = topology.cluster(key)
        if cluster.lb_host:
            add(cluster.lb_host, cluster.lb_ip, f"set {key}.lb_ip or let DNS resolve it", f"{word} load balancer")
    for key in ("apim_db", "shared_db"):
        db = getattr(answers.databases, key)
        if db is not None:
            add(db.host, None, "DNS must resolve it (the answers hold no database address)", f"{key} ({db.type})")
    return list(names.values())


def render_hosts(topology: Topology) -> str:
    begin, end = block_markers(topology)
    out = [
        begin,
        *comment_block([
            f"/etc/hosts entries of deployment \"{topology.answers.name}\" (WSO2 API Manager {topology.answers.version}).",
            "Every node, load balancer and database name of the generated files.  Put this block in",
            "/etc/hosts on every node and load balancer host (RUNBOOK.md shows how), or publish the",
            "names in DNS.  A commented line has no address in the answers: set the answer it names,",
            "or make sure DNS resolves the name.",
            GENERATED,
        ]).splitlines(),
    ]
    entries = collect_names(topology)
    width = max((len(e.address or "") for e in entries), default=0)
    width = max(width, len("<address>"))
    for entry in entries:
        uses = ", ".join(entry.uses)
        if entry.address:
            out.append(f"{entry.address:<{width}}  {entry.host}  # {uses}")
        else:
            out.append(f"# {'<address>':<{width}}  {entry.host}  # {uses}: no address; {entry.hint}")
    out.append(end)
    return "\n".join(out) + "\n"
