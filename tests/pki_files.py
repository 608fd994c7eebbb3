"""Certificates for the load balancer tests, following the PKI's file contract (issue 3).

apply writes ``ca/ca.crt``, ``ca/ca.key`` and, per load balancer name, ``lb/<name>.crt``
(leaf then CA) and ``lb/<name>.key``.  When an output folder already holds them (the PKI
wrote them) they are used as they are; otherwise they are made here with the same layout,
so the nginx tests read certificates exactly where the generated configs say.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from wizard import installation as inst

_NOW = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)


def _key():
    return ec.generate_private_key(ec.SECP256R1())


def _pem_key(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _ca(out: Path):
    cert_path, key_path = out / inst.CA_CERT, out / "ca/ca.key"
    if cert_path.exists() and key_path.exists():
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        return cert, key
    cert, key = _new_ca("apim-wizard test CA")
    cert_path.parent.mkdir(parents=True, exist_ok=True)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(_pem_key(key))
    key_path.chmod(0o600)
    return cert, key


def issue(out: Path, names: list[str], ca=None) -> tuple[bytes, bytes]:
    """A TLS server certificate chain (leaf + CA) and key for ``names``, from the deployment CA."""
    ca_cert, ca_key = ca or _ca(out)
    key = _key()
    sans = []
    for name in names:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            sans.append(x509.DNSName(name))
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(names[0])).issuer_name(ca_cert.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(_NOW).not_valid_after(_NOW + dt.timedelta(days=825))
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    chain = cert.public_bytes(serialization.Encoding.PEM) + ca_cert.public_bytes(serialization.Encoding.PEM)
    return chain, _pem_key(key)


def _new_ca(common_name: str):
    key = _key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name)).issuer_name(_name(common_name))
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(_NOW).not_valid_after(_NOW + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def ensure_lb_files(out: Path, lb_hosts: list[str]) -> None:
    """ca/ca.crt and lb/<name>.crt|key as the PKI writes them, unless they are there already."""
    ca = _ca(out)
    for host in lb_hosts:
        cert, key = out / inst.lb_cert(host), out / inst.lb_key(host)
        if cert.exists() and key.exists():
            continue
        chain, pem = issue(out, [host], ca)
        cert.parent.mkdir(parents=True, exist_ok=True)
        cert.write_bytes(chain)
        key.write_bytes(pem)
        key.chmod(0o600)


def install_lb_files(out: Path, lb_hosts: list[str], answers) -> None:
    """Copy the files to the nginx cert folder, as RUNBOOK.md's load balancer step does."""
    for host in lb_hosts:
        copies = {
            out / inst.lb_cert(host): inst.nginx_cert(answers, host),
            out / inst.lb_key(host): inst.nginx_key(answers, host),
            out / inst.CA_CERT: inst.nginx_upstream_ca(answers, host),
        }
        for source, target in copies.items():
            Path(target).parent.mkdir(parents=True, exist_ok=True)
            Path(target).write_bytes(source.read_bytes())
