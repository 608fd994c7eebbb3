"""Which keys a deployment needs, known without the certificate machinery.

Kept apart from material.py (which imports x509 and PKCS12 support) so the build can set
the key workers going for a fresh output folder before that import: the keys are made
while the rest of the PKI code loads and the configuration renders.
"""

from __future__ import annotations

from ..topology import Topology
from .keys import KeySpec


def primary_key_name() -> str:
    return "primary"


def node_key_name(node_name: str) -> str:
    return f"node:{node_name}"


def lb_key_name(host: str) -> str:
    return f"lb:{host}"


def all_key_specs(topology: Topology) -> dict[str, KeySpec]:
    """Every key of the deployment, as when nothing can be reused (the CA's is made apart)."""
    pki = topology.answers.pki
    specs: dict[str, KeySpec] = {primary_key_name(): pki.primary_key}
    if pki.ca != "external":  # with an external CA the nodes bring their own keys
        specs.update({node_key_name(n.name): pki.tls_key for n in topology.generated_nodes})
        specs.update({lb_key_name(host): pki.tls_key for host in topology.load_balancers().values()})
    return specs
