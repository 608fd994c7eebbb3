"""Reading a written deployment back the way API-M does, and real TLS handshakes."""

from __future__ import annotations

import datetime
import ipaddress
import re
import socket
import ssl
import threading
import tomllib
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12


def node_config(out: Path, node: str) -> dict:
    return tomllib.loads((out / node / "repository/conf/deployment.toml").read_text())


def open_store(out: Path, node: str, block: dict):
    """Open a keystore with exactly what its deployment.toml block says."""
    data = (out / node / "repository/resources/security" / block["file_name"]).read_bytes()
    return pkcs12.load_pkcs12(data, block["password"].encode())


def keystore_pems(out: Path, node: str) -> tuple[bytes, bytes]:
    """(chain PEM, key PEM) of a node's TLS keystore, as its [keystore.tls] block names it."""
    p12 = open_store(out, node, node_config(out, node)["keystore"]["tls"])
    chain = [p12.cert.certificate] + [c.certificate for c in p12.additional_certs]
    chain_pem = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain)
    key_pem = p12.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    return chain_pem, key_pem


def truststore_pem(out: Path, node: str) -> str:
    """Every certificate a node trusts, from its [truststore] file, as PEM."""
    block = node_config(out, node)["truststore"]
    p12 = open_store(out, node, block)
    return "".join(c.certificate.public_bytes(serialization.Encoding.PEM).decode() for c in p12.additional_certs)


def handshake(chain_pem: bytes, key_pem: bytes, trusted_pem: str, server_name: str, tmp: Path) -> None:
    """A TLS handshake with hostname verification; raises ssl.SSLError when it fails."""
    certfile, keyfile = tmp / "server-chain.pem", tmp / "server-key.pem"
    certfile.write_bytes(chain_pem)
    keyfile.write_bytes(key_pem)
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(certfile, keyfile)
    # CERT_REQUIRED + check_hostname, trusting only the truststore's certificates.
    client_ctx = ssl.create_default_context(cadata=trusted_pem)
    left, right = socket.socketpair()
    errors: list[BaseException] = []

    def serve():
        try:
            with server_ctx.wrap_socket(right, server_side=True) as tls:
                tls.recv(1)
        except (ssl.SSLError, OSError) as exc:
            errors.append(exc)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        with client_ctx.wrap_socket(left, server_hostname=server_name) as tls:
            tls.sendall(b"x")
    finally:
        thread.join(timeout=10)
        right.close()


URL = re.compile(r"\b(https|wss|ssl|tcp|http|ws)://([A-Za-z0-9.-]+):?(\d*)")


def urls_in(text: str) -> set[tuple[str, str, int]]:
    default = {"https": 443, "wss": 443, "http": 80, "ws": 80}
    return {(scheme, host, int(port) if port else default[scheme]) for scheme, host, port in URL.findall(text)}


def issue_for(ca_cert, ca_key, names, tmp_path, stem):
    """A leaf certificate for ``names`` from the given CA: ``stem``.pem and ``stem``.key in tmp_path."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    sans = []
    for name in names:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            sans.append(x509.DNSName(name))
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, names[0])]))
            .issuer_name(ca_cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=90))
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .sign(ca_key, hashes.SHA256()))
    (tmp_path / f"{stem}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / f"{stem}.key").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
