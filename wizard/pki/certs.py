"""Certificates: the deployment CA, per-node TLS leaves, load balancer leaves, the primary.

A :class:`CertRequest` says what a certificate must be; :func:`satisfies` tells whether an
existing certificate still is that, so re-runs reuse every certificate whose inputs did not
change and reissue only the ones that did.
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from typing import Literal

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .keys import KeySpec, PrivateKey, spec_of

# Certificates start a little in the past so a node whose clock lags accepts them.
CLOCK_SKEW = datetime.timedelta(minutes=5)
# A certificate this close to expiry is renewed on the next run.
RENEW_BEFORE = datetime.timedelta(days=30)
CA_VALIDITY_DAYS = 3650


@dataclass(frozen=True)
class CertRequest:
    common_name: str
    dns_names: tuple[str, ...]
    ip_addresses: tuple[str, ...]
    key_spec: KeySpec
    purpose: Literal["tls", "primary"]
    validity_days: int

    @property
    def sans(self) -> set[str]:
        return {f"DNS:{d}" for d in self.dns_names} | {f"IP:{i}" for i in self.ip_addresses}


def san_request(common_name: str, names: list[str], key_spec: KeySpec, validity_days: int) -> CertRequest:
    """A TLS request from a list of names and addresses (order kept, duplicates dropped)."""
    dns: list[str] = []
    ips: list[str] = []
    for name in names:
        try:
            address = str(ipaddress.ip_address(name))
        except ValueError:
            if name.lower() not in dns:
                dns.append(name.lower())
        else:
            if address not in ips:
                ips.append(address)
    return CertRequest(common_name, tuple(dns), tuple(ips), key_spec, "tls", validity_days)


def _name(common_name: str, unit: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "apim-wizard"),
        ]
    )


def _signing_hash(key: PrivateKey):
    return hashes.SHA256()


def make_ca(deployment: str, key: PrivateKey, now: datetime.datetime) -> x509.Certificate:
    subject = _name(f"{deployment} deployment CA", "API Manager deployment CA")
    public = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(now + datetime.timedelta(days=CA_VALIDITY_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, _signing_hash(key))
    )


def issue(
    request: CertRequest,
    key: PrivateKey,
    issuer_cert: x509.Certificate | None,
    issuer_key: PrivateKey,
    now: datetime.datetime,
) -> x509.Certificate:
    """Issue ``request`` for ``key``; self-signed when ``issuer_cert`` is None."""
    public = key.public_key()
    subject = _name(request.common_name, "API Manager primary" if request.purpose == "primary" else "API Manager TLS")
    not_after = now + datetime.timedelta(days=request.validity_days)
    if issuer_cert is not None:
        # A leaf never outlives its CA: Java would reject the chain after the CA expires.
        not_after = min(not_after, issuer_cert.not_valid_after_utc)
    is_rsa = isinstance(key, rsa.RSAPrivateKey)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_cert.subject if issuer_cert is not None else subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
    )
    if issuer_cert is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_cert.public_key()), critical=False
        )
    if request.purpose == "primary":
        # Signs tokens and encrypts data (cipher tool, internal crypto): keyEncipherment and
        # dataEncipherment, non-critical as in WSO2's own wso2carbon certificate.
        usage = x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=True,
            data_encipherment=True, key_agreement=False, key_cert_sign=False, crl_sign=False,
            encipher_only=False, decipher_only=False,
        )
        builder = builder.add_extension(usage, critical=False)
    else:
        usage = x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=is_rsa,
            data_encipherment=False, key_agreement=not is_rsa, key_cert_sign=False, crl_sign=False,
            encipher_only=False, decipher_only=False,
        )
        sans: list[x509.GeneralName] = [x509.DNSName(d) for d in request.dns_names]
        sans += [x509.IPAddress(ipaddress.ip_address(i)) for i in request.ip_addresses]
        builder = (
            builder.add_extension(usage, critical=True)
            # Nodes are servers to their callers and clients of their peers (JMS, binary).
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                critical=False,
            )
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        )
    return builder.sign(issuer_key, _signing_hash(issuer_key))


def sans_of(cert: x509.Certificate) -> set[str]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set()
    out = {f"DNS:{d.lower()}" for d in ext.get_values_for_type(x509.DNSName)}
    out |= {f"IP:{ip}" for ip in ext.get_values_for_type(x509.IPAddress)}
    return out


def common_name_of(cert: x509.Certificate) -> str:
    attrs = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(attrs[0].value) if attrs else ""


def signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    if cert.issuer != issuer.subject:
        return False
    public = issuer.public_key()
    try:
        if isinstance(public, rsa.RSAPublicKey):
            public.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), cert.signature_hash_algorithm)
        elif isinstance(public, ec.EllipticCurvePublicKey):
            public.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
        else:
            return False
    except InvalidSignature:
        return False
    return True


def is_ca(cert: x509.Certificate) -> bool:
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


KEY_TYPE_CHANGED = "key type is now"


def why_not(
    cert: x509.Certificate,
    request: CertRequest,
    issuer: x509.Certificate | None,
    now: datetime.datetime,
) -> str | None:
    """None when ``cert`` still is what ``request`` asks for; else the reason.

    The caller guarantees the certificate belongs to the key stored with it.
    """
    if spec_of(cert.public_key()) != request.key_spec:
        return f"{KEY_TYPE_CHANGED} {request.key_spec}"
    if issuer is not None and not signed_by(cert, issuer):
        return "not issued by the current CA"
    if common_name_of(cert) != request.common_name:
        return f"name is now {request.common_name}"
    if request.purpose == "tls" and sans_of(cert) != request.sans:
        added = sorted(request.sans - sans_of(cert))
        removed = sorted(sans_of(cert) - request.sans)
        parts = ([f"adds {', '.join(added)}"] if added else []) + ([f"drops {', '.join(removed)}"] if removed else [])
        return "names changed: " + "; ".join(parts)
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc - CLOCK_SKEW
    capped = issuer is not None and cert.not_valid_after_utc == issuer.not_valid_after_utc
    if not capped and lifetime != datetime.timedelta(days=request.validity_days):
        return f"validity is now {request.validity_days} days"
    if cert.not_valid_after_utc - now < RENEW_BEFORE:
        return f"expires on {cert.not_valid_after_utc:%Y-%m-%d}"
    return None
