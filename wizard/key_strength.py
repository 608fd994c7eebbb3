"""Key strength of certificates, for the production checks (wizard.hardening).

A certificate's public key has the size of its private key, so checking certificates
covers the keys without decrypting a keystore (about 0.1 s each).  Imported only when a
build has key material: cryptography is not needed to validate answers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa

from .plan import PlannedFile

MIN_RSA_BITS = 2048
MIN_EC_BITS = 256


def key_problem(key) -> str | None:
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < MIN_RSA_BITS:
        return f"RSA {key.key_size}-bit key (at least {MIN_RSA_BITS} needed)"
    if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.key_size < MIN_EC_BITS:
        return f"EC {key.curve.key_size}-bit key (at least {MIN_EC_BITS} needed)"
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA key (TLS 1.3 and modern clients do not accept DSA)"
    return None


def cert_problem(cert: x509.Certificate) -> str | None:
    problem = key_problem(cert.public_key())
    if problem:
        return problem
    algorithm = cert.signature_hash_algorithm
    if cert.issuer != cert.subject and isinstance(algorithm, hashes.SHA1 | hashes.MD5):
        return f"signed with {algorithm.name.upper()}"
    return None


def _material_certs(pki) -> Iterator[tuple[str, tuple, x509.Certificate]]:
    """(where, answer field, certificate) for everything the PKI made or was given."""
    if pki is None:
        return
    if getattr(pki, "ca_cert", None) is not None:
        yield "the deployment CA", ("pki", "ca_cert"), pki.ca_cert
    primary = getattr(pki, "primary", None)
    if primary is not None:
        for cert in (primary.cert, *primary.chain):
            yield "the primary keystore", ("pki", "primary_key"), cert
    for name, issued in sorted(getattr(pki, "nodes", {}).items()):
        for cert in (issued.cert, *issued.chain):
            yield f"the TLS keystore of {name}", ("pki", "tls_key"), cert
    for host, issued in sorted(getattr(pki, "load_balancers", {}).items()):
        for cert in (issued.cert, *issued.chain):
            yield f"the certificate of load balancer {host}", ("pki", "tls_key"), cert


def _file_certs(files: Iterable[PlannedFile]) -> Iterator[tuple[str, tuple, x509.Certificate]]:
    for planned in files:
        if b"-----BEGIN CERTIFICATE-----" not in planned.content:
            continue
        try:
            certs = x509.load_pem_x509_certificates(planned.content)
        except ValueError:
            continue
        for cert in certs:
            yield planned.path, ("pki",), cert


def weak_certificates(files: Iterable[PlannedFile], pki) -> Iterator[tuple[str, tuple, str, str]]:
    """(where, answer field, subject, problem) for each weak certificate, each once."""
    seen: set[bytes] = set()
    for where, field, cert in (*_material_certs(pki), *_file_certs(files)):
        fingerprint = cert.fingerprint(hashes.SHA256())
        if fingerprint in seen:
            continue
        seen.add(fingerprint)
        problem = cert_problem(cert)
        if problem:
            yield where, field, cert.subject.rfc4514_string(), problem
