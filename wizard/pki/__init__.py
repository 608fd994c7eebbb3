"""The deployment's PKI: CA, per-node TLS keystores, the shared primary keystore, truststores.

``build_pki(topology, out_dir)`` returns the material, the files to plan and notes for the
operator; it reuses an earlier run's CA, keys and certificates whose inputs did not change.

The names below load :mod:`.material` (x509, PKCS12) on first use, not on import of the
package: the build imports :mod:`.key_specs` and :mod:`.keys` first to set the key workers
going for a fresh output folder while that heavier code loads.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__all__ = [
    "CA_ALIAS", "CA_CERT", "CA_KEY", "GATEWAY_CERT_ALIAS", "SECURITY_DIR", "PkiError", "PkiMaterial",
    "PkiJob", "build_pki", "start_pki", "lb_cert_path", "lb_key_path", "security_path",
]

if TYPE_CHECKING:
    from .material import (CA_ALIAS, CA_CERT, CA_KEY, GATEWAY_CERT_ALIAS, SECURITY_DIR, PkiError, PkiJob,
                           PkiMaterial, build_pki, lb_cert_path, lb_key_path, security_path, start_pki)


def __getattr__(name: str):
    if name in __all__:
        return getattr(importlib.import_module(".material", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
