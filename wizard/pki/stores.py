"""PKCS12 keystores and Java truststores, and reading back what an earlier run wrote.

Files are PKCS12 written by ``cryptography``; Java 17 loads them declared as PKCS12 or JKS
(keystore.type.compat).  Truststores must be made with ``serialize_java_truststore``: a
certificates-only PKCS12 from ``serialize_key_and_certificates`` shows 0 entries in Java.
"""

from __future__ import annotations

import re
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from .keys import PrivateKey

# PBES2 / PBKDF2-HMAC-SHA256 / AES-256-CBC with a SHA-256 MAC: Java 17's own defaults.
_KDF_ROUNDS = 10000


def _encryption(password: str):
    return (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(_KDF_ROUNDS)
        .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
        .hmac_hash(hashes.SHA256())
        .build(password.encode())
    )


def keystore_bytes(alias: str, key: PrivateKey, cert: x509.Certificate, chain: list[x509.Certificate], password: str) -> bytes:
    return pkcs12.serialize_key_and_certificates(alias.encode(), key, cert, chain or None, _encryption(password))


def truststore_bytes(entries: dict[str, x509.Certificate], password: str) -> bytes:
    certs = [pkcs12.PKCS12Certificate(cert, alias.encode()) for alias, cert in sorted(entries.items())]
    return pkcs12.serialize_java_truststore(certs, _encryption(password))


@dataclass(frozen=True)
class KeyEntry:
    alias: str
    key: PrivateKey
    cert: x509.Certificate
    chain: tuple[x509.Certificate, ...]


def read_keystore(data: bytes, password: str) -> KeyEntry | None:
    """The key entry of a keystore we wrote, or None when it cannot be opened."""
    try:
        p12 = pkcs12.load_pkcs12(data, password.encode())
    except (ValueError, TypeError):
        return None
    if p12.key is None or p12.cert is None:
        return None
    alias = (p12.cert.friendly_name or b"").decode(errors="replace")
    return KeyEntry(alias, p12.key, p12.cert.certificate, tuple(c.certificate for c in p12.additional_certs))


def read_truststore(data: bytes, password: str) -> dict[str, x509.Certificate] | None:
    try:
        p12 = pkcs12.load_pkcs12(data, password.encode())
    except (ValueError, TypeError):
        return None
    return {(c.friendly_name or b"").decode(errors="replace"): c.certificate for c in p12.additional_certs}


def same_certs(a: dict[str, x509.Certificate], b: dict[str, x509.Certificate]) -> bool:
    der = serialization.Encoding.DER
    return a.keys() == b.keys() and all(a[k].public_bytes(der) == b[k].public_bytes(der) for k in a)


def same_chain(a, b) -> bool:
    der = serialization.Encoding.DER
    return len(a) == len(b) and all(x.public_bytes(der) == y.public_bytes(der) for x, y in zip(a, b))


# ----------------------------------------------------------------- PEM helpers


def cert_pem(*certs: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def key_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def load_cert_pem(data: bytes) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(data)


def load_key_pem(data: bytes, trusted: bool = False) -> PrivateKey:
    """``trusted``: a key the wizard wrote itself, so the (slow, ~0.1 s) RSA re-validation
    is skipped; keys operators bring are always validated."""
    key = serialization.load_pem_private_key(data, password=None, unsafe_skip_rsa_key_validation=trusted)
    return key  # type: ignore[return-value]


# ---------------------------------------------------------------- system CAs

_SYSTEM_BUNDLES = (
    "/etc/ssl/certs/ca-certificates.crt",  # Debian, Ubuntu, Alpine
    "/etc/pki/tls/certs/ca-bundle.crt",  # RHEL, Fedora
    "/etc/ssl/cert.pem",  # macOS, BSD
)


def system_ca_bundle() -> Path | None:
    candidates = [ssl.get_default_verify_paths().cafile, *_SYSTEM_BUNDLES]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def _alias_for(cert: x509.Certificate) -> str:
    from cryptography.x509.oid import NameOID

    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME) or cert.subject.get_attributes_for_oid(
        NameOID.ORGANIZATIONAL_UNIT_NAME
    ) or cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    label = str(names[0].value) if names else "ca"
    label = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")[:48] or "ca"
    return f"public-{label}-{cert.fingerprint(hashes.SHA256()).hex()[:8]}"


def system_cas(bundle: Path) -> dict[str, x509.Certificate]:
    """Public CAs of this machine keyed by a stable alias (what WSO2's truststore ships)."""
    import warnings

    out: dict[str, x509.Certificate] = {}
    with warnings.catch_warnings():
        # Some bundles carry legacy roots with non-positive serial numbers, which cryptography
        # warns about and Java's PKCS12 writer rejects: they are left out.
        warnings.simplefilter("ignore")
        for cert in x509.load_pem_x509_certificates(bundle.read_bytes()):
            try:
                if cert.serial_number > 0:
                    out[_alias_for(cert)] = cert
            except ValueError:
                continue
    return out
