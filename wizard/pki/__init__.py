"""The deployment's PKI: CA, per-node TLS keystores, the shared primary keystore, truststores.

``build_pki(topology, out_dir)`` returns the material, the files to plan and notes for the
operator; it reuses an earlier run's CA, keys and certificates whose inputs did not change.
"""

from .material import (
    CA_ALIAS,
    CA_CERT,
    CA_KEY,
    GATEWAY_CERT_ALIAS,
    SECURITY_DIR,
    PkiError,
    PkiMaterial,
    PkiJob,
    build_pki,
    start_pki,
    lb_cert_path,
    lb_key_path,
    security_path,
)

__all__ = [
    "CA_ALIAS", "CA_CERT", "CA_KEY", "GATEWAY_CERT_ALIAS", "SECURITY_DIR", "PkiError", "PkiMaterial",
    "PkiJob", "build_pki", "start_pki", "lb_cert_path", "lb_key_path", "security_path",
]
