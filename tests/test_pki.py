"""Certificates, keystores and truststores: real handshakes, keytool, modes, re-runs."""

from __future__ import annotations

import datetime
import ssl
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from conftest import apply_to, build_raw, preset_raw, require_tool
from pki_helpers import handshake, issue_for, keystore_pems, node_config, open_store, truststore_pem, urls_in
from wizard.plan import Status
from wizard.presets import list_presets
from wizard.topology import Topology

NODES = ["cp-1", "cp-2", "gw-1", "gw-2"]


@pytest.fixture(scope="module")
def ha(tmp_path_factory):
    """The ha preset written once, with every key (the expensive part)."""
    out = tmp_path_factory.mktemp("ha")
    build, _ = apply_to(preset_raw("ha"), out)
    return out, build


def callee_materials(out, endpoint, topology: Topology):
    """(label, chain PEM, key PEM) of every server that may answer ``endpoint``."""
    if endpoint.target.startswith("lb:"):
        key = endpoint.target.split(":", 1)[1]
        host = topology.lb_host(key)
        yield f"LB {host}", (out / f"lb/{host}.crt").read_bytes(), (out / f"lb/{host}.key").read_bytes()
        # Behind a TLS-passthrough load balancer the nodes answer for the LB name themselves.
        cluster = topology.control_planes if key == "control_plane" else topology.gateways
        for node in cluster:
            yield (f"{node.name} behind LB", *keystore_pems(out, node.name))
    else:
        yield (endpoint.target, *keystore_pems(out, endpoint.target))


def test_every_tls_call_handshakes_with_hostname_verification(ha, tmp_path):
    out, build = ha
    topology = build.topology
    pairs = 0
    for caller in topology.generated_nodes:
        trusted = truststore_pem(out, caller.name)
        for endpoint in topology.calls(caller):
            if not endpoint.is_tls:
                continue
            for label, chain, key in callee_materials(out, endpoint, topology):
                try:
                    handshake(chain, key, trusted, endpoint.host, tmp_path)
                except ssl.SSLError as exc:
                    pytest.fail(f"{caller.name} -> {endpoint.url} ({endpoint.purpose}) served by {label}: {exc}")
                pairs += 1
    # 2 gateways x (CP LB + 2 CP nodes) + CP side calls: well over twenty real handshakes.
    assert pairs >= 30


def test_every_url_written_is_a_call_the_handshake_test_covers(ha):
    """The handshake test walks Topology.calls(); every URL in every deployment.toml is there."""
    out, build = ha
    topology = build.topology
    for node in topology.generated_nodes:
        text = (out / node.name / "repository/conf/deployment.toml").read_text()
        covered = {(e.scheme, e.host, e.effective_port) for e in topology.calls(node)}
        devportal = urls_in(topology.devportal_url)
        missing = urls_in(text) - covered - devportal
        assert not missing, f"{node.name}: {missing}"


def test_a_wrong_name_fails_the_handshake(ha, tmp_path):
    out, _ = ha
    chain, key = keystore_pems(out, "cp-1")
    with pytest.raises(ssl.SSLCertVerificationError, match="match"):
        handshake(chain, key, truststore_pem(out, "gw-1"), "cp2.example.com", tmp_path)
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(chain, key, truststore_pem(out, "gw-1"), "wrong.example.com", tmp_path)


def test_a_foreign_ca_fails_the_handshake(ha, tmp_path):
    out, _ = ha
    chain, key = keystore_pems(out, "cp-1")
    other = tmp_path / "other"
    apply_to(preset_raw("ha"), other, rotate_certs=False)
    with pytest.raises(ssl.SSLCertVerificationError, match="certificate verify failed"):
        handshake(chain, key, truststore_pem(other, "gw-1"), "cp1.example.com", tmp_path)


def test_sans_cover_hostname_ip_lb_and_localhost(ha):
    out, _ = ha
    p12 = open_store(out, "gw-2", node_config(out, "gw-2")["keystore"]["tls"])
    sans = p12.cert.certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["gw2.example.com", "gw.example.com", "localhost"]
    assert [str(ip) for ip in sans.get_values_for_type(x509.IPAddress)] == ["10.0.0.22", "127.0.0.1"]


def test_keystore_blocks_match_the_files(ha):
    out, _ = ha
    for node in NODES:
        config = node_config(out, node)
        for kind in ("primary", "tls", "internal"):
            block = config["keystore"][kind]
            assert block["password"] == block["key_password"]
            p12 = open_store(out, node, block)  # opens with the declared password
            assert p12.key is not None
            assert p12.cert.friendly_name.decode() == block["alias"]
            assert len(p12.additional_certs) == 1  # chain: leaf + deployment CA
        trust = open_store(out, node, config["truststore"])
        aliases = {c.friendly_name.decode() for c in trust.additional_certs}
        assert {"deployment-ca", "gateway_certificate_alias", "primary"} <= aliases


def test_primary_keystore_and_truststore_are_identical_everywhere(ha):
    out, _ = ha
    primaries = {(out / n / "repository/resources/security/primary.p12").read_bytes() for n in NODES}
    truststores = {(out / n / "repository/resources/security/client-truststore.p12").read_bytes() for n in NODES}
    assert len(primaries) == 1 and len(truststores) == 1
    tls = {(out / n / "repository/resources/security/tls.p12").read_bytes() for n in NODES}
    assert len(tls) == 4


def test_primary_certificate_can_sign_and_encrypt(ha):
    out, _ = ha
    p12 = open_store(out, "cp-1", node_config(out, "cp-1")["keystore"]["primary"])
    cert = p12.cert.certificate
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.value.digital_signature and usage.value.key_encipherment and usage.value.data_encipherment
    assert isinstance(p12.key, rsa.RSAPrivateKey) and p12.key.key_size == 2048
    gateway_cert = {c.friendly_name.decode(): c.certificate
                    for c in open_store(out, "gw-1", node_config(out, "gw-1")["truststore"]).additional_certs}
    assert gateway_cert["gateway_certificate_alias"] == cert


def test_modes_and_ca_key_never_in_a_node_folder(ha):
    out, _ = ha
    ca_key = (out / "ca/ca.key").read_bytes()
    assert (out / "ca/ca.key").stat().st_mode & 0o777 == 0o600
    assert (out / "ca").stat().st_mode & 0o777 == 0o700
    for path in out.rglob("*"):
        if path.is_file() and (path.suffix in (".p12", ".key", ".jks")):
            assert path.stat().st_mode & 0o777 == 0o600, path
        if path.is_file() and path.parts[len(out.parts)] in NODES:
            assert path.name != "ca.key" and ca_key not in path.read_bytes(), path
    for node in NODES:
        assert (out / node / "repository/resources/security").stat().st_mode & 0o777 == 0o700


def test_keytool_lists_every_store(ha):
    keytool = require_tool("keytool")
    out, _ = ha
    for node in NODES:
        config = node_config(out, node)
        for kind in ("tls", "primary"):
            block = config["keystore"][kind]
            for declared in (block["type"], "JKS"):  # Java 17 also reads our PKCS12 declared as JKS
                listing = subprocess.run(
                    [keytool, "-list", "-v", "-keystore", str(out / node / "repository/resources/security" / block["file_name"]),
                     "-storetype", declared, "-storepass", block["password"]],
                    capture_output=True, text=True, timeout=60,
                ).stdout
                assert f"Alias name: {block['alias']}" in listing
                assert "Entry type: PrivateKeyEntry" in listing
                assert "Certificate chain length: 2" in listing
        trust = config["truststore"]
        listing = subprocess.run(
            [keytool, "-list", "-keystore", str(out / node / "repository/resources/security" / trust["file_name"]),
             "-storetype", "JKS", "-storepass", trust["password"]],
            capture_output=True, text=True, timeout=60,
        ).stdout
        entries = [line for line in listing.splitlines() if "Entry" in line]
        assert entries and all("trustedCertEntry" in line for line in entries)
        assert "gateway_certificate_alias" in listing and "deployment-ca" in listing


# ---------------------------------------------------------------- re-runs


def pki_statuses(plan) -> dict[str, Status]:
    return {e.file.path: e.status for e in plan.entries
            if "/resources/security/" in e.file.path or e.file.path.startswith(("ca/", "lb/"))}


def public_key_of(out, node):
    p12 = open_store(out, node, node_config(out, node)["keystore"]["tls"])
    return p12.key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def test_second_apply_changes_no_key_or_certificate(tmp_path):
    out = tmp_path / "out"
    apply_to(preset_raw("ha"), out)
    build, plan = apply_to(preset_raw("ha"), out)
    statuses = pki_statuses(plan)
    assert statuses and set(statuses.values()) == {Status.UNCHANGED}
    assert all(e.status is Status.UNCHANGED for e in plan.entries), [e.file.path for e in plan.writes]
    assert build.notes == []


def test_a_san_change_reissues_only_that_node(tmp_path):
    out = tmp_path / "out"
    raw = preset_raw("ha")
    apply_to(raw, out)
    before = {n: public_key_of(out, n) for n in NODES}
    raw["gateway"]["nodes"][0]["extra_sans"] = ["api.example.com"]
    build, plan = apply_to(raw, out)
    changed = {p for p, s in pki_statuses(plan).items() if s is not Status.UNCHANGED}
    assert changed == {"gw-1/repository/resources/security/tls.p12"}
    assert public_key_of(out, "gw-1") == before["gw-1"]  # same key, new certificate
    assert build.notes == ["node gw-1: certificate reissued (names changed: adds DNS:api.example.com)"]
    p12 = open_store(out, "gw-1", node_config(out, "gw-1")["keystore"]["tls"])
    sans = p12.cert.certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "api.example.com" in sans.get_values_for_type(x509.DNSName)


def test_rotate_certs_reissues_every_leaf_and_keeps_the_ca(tmp_path):
    out = tmp_path / "out"
    apply_to(preset_raw("ha"), out)
    ca_before = (out / "ca/ca.key").read_bytes()
    before = {n: public_key_of(out, n) for n in NODES}
    _, plan = apply_to(preset_raw("ha"), out, rotate_certs=True)
    statuses = pki_statuses(plan)
    assert statuses["ca/ca.key"] is Status.UNCHANGED and statuses["ca/ca.crt"] is Status.UNCHANGED
    assert (out / "ca/ca.key").read_bytes() == ca_before
    for node in NODES:
        assert statuses[f"{node}/repository/resources/security/tls.p12"] is Status.CHANGED
        assert public_key_of(out, node) != before[node]
    assert statuses["lb/gw.example.com.key"] is Status.CHANGED


def test_a_changed_keystore_password_gives_a_new_keystore_and_says_why(tmp_path):
    out = tmp_path / "out"
    raw = preset_raw("ha")
    apply_to(raw, out)
    before = public_key_of(out, "cp-1")
    raw["keystores"] = {"tls": {"file_name": "tls.p12", "alias": "tls", "password": "n3w-Passw0rd"}}
    build, plan = apply_to(raw, out)
    statuses = pki_statuses(plan)
    assert statuses["cp-1/repository/resources/security/tls.p12"] is Status.CHANGED
    assert statuses["cp-1/repository/resources/security/primary.p12"] is Status.UNCHANGED
    assert node_config(out, "cp-1")["keystore"]["tls"]["password"] == "n3w-Passw0rd"
    assert public_key_of(out, "cp-1") != before  # the old file cannot be opened without its password
    assert "cp-1/repository/resources/security/tls.p12 cannot be opened with the current password" in build.notes[0]


def test_the_ca_is_never_regenerated_silently(tmp_path):
    from wizard.build import BuildOptions, build_deployment
    from wizard.secrets_store import SecretStore
    from wizard.validation import validate_answers

    out = tmp_path / "out"
    apply_to(preset_raw("ha"), out)
    (out / "ca/ca.key").unlink()
    answers, _ = validate_answers(preset_raw("ha"))
    build = build_deployment(answers, SecretStore.load(out / "secrets.toml"), environ={},
                             options=BuildOptions(out_dir=out))
    (problem,) = build.problems
    assert problem.field == "pki.ca" and "ca.key is missing" in problem.message
    assert not build.files


# ------------------------------------------------------- bring your own CA


def make_ca(tmp_path, name="Corp Root"):
    key = rsa.generate_private_key(65537, 2048)
    subject = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    (tmp_path / "corp-ca.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "corp-ca.key").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert, key


def test_provided_ca_issues_every_certificate(tmp_path):
    ca_cert, _ = make_ca(tmp_path)
    raw = preset_raw("single")
    raw["pki"] = {"ca": "provided", "ca_cert": str(tmp_path / "corp-ca.pem"), "ca_key": str(tmp_path / "corp-ca.key")}
    out = tmp_path / "out"
    apply_to(raw, out)
    assert not (out / "ca/ca.key").exists()
    assert x509.load_pem_x509_certificate((out / "ca/ca.crt").read_bytes()) == ca_cert
    p12 = open_store(out, "gw-1", node_config(out, "gw-1")["keystore"]["tls"])
    assert p12.cert.certificate.issuer == ca_cert.subject
    handshake(*keystore_pems(out, "cp-1"), truststore_pem(out, "gw-1"), "cp.example.com", tmp_path)


def test_external_certificates_are_checked_and_used(tmp_path):
    ca_cert, ca_key = make_ca(tmp_path)
    raw = preset_raw("single")
    raw["pki"] = {"ca": "external", "ca_cert": str(tmp_path / "corp-ca.pem")}
    issue_for(ca_cert, ca_key, ["cp.example.com", "10.0.0.11", "localhost", "127.0.0.1"], tmp_path, "cp")
    issue_for(ca_cert, ca_key, ["gw.example.com", "localhost"], tmp_path, "gw")  # misses 10.0.0.21, 127.0.0.1
    raw["control_plane"]["nodes"][0].update(tls_cert=str(tmp_path / "cp.pem"), tls_key=str(tmp_path / "cp.key"))
    raw["gateway"]["nodes"][0].update(tls_cert=str(tmp_path / "gw.pem"), tls_key=str(tmp_path / "gw.key"))
    from wizard.build import BuildOptions, build_deployment
    from wizard.validation import validate_answers
    answers, problems = validate_answers(raw)
    assert answers is not None, problems
    build = build_deployment(answers, None, environ={}, options=BuildOptions(out_dir=tmp_path / "out"))
    (problem,) = build.problems
    assert problem.field == "gateway.nodes[0].tls_cert"
    assert "does not cover IP:10.0.0.21, IP:127.0.0.1" in problem.message
    issue_for(ca_cert, ca_key, ["gw.example.com", "10.0.0.21", "localhost", "127.0.0.1"], tmp_path, "gw")
    out = tmp_path / "out"
    apply_to(raw, out)
    handshake(*keystore_pems(out, "gw-1"), truststore_pem(out, "cp-1"), "gw.example.com", tmp_path)
    _, plan = apply_to(raw, out)
    assert all(s is Status.UNCHANGED for s in pki_statuses(plan).values())


def test_missing_ca_files_are_named(tmp_path):
    from wizard.build import BuildOptions, build_deployment
    from wizard.validation import validate_answers
    raw = preset_raw("single")
    raw["pki"] = {"ca": "provided"}
    fields = {p.field for p in validate_answers(raw)[1]}
    assert {"pki.ca_cert", "pki.ca_key"} <= fields
    raw["pki"] = {"ca": "provided", "ca_cert": str(tmp_path / "nope.pem"), "ca_key": str(tmp_path / "nope.key")}
    answers, _ = validate_answers(raw)
    build = build_deployment(answers, None, environ={}, options=BuildOptions(out_dir=tmp_path / "o"))
    assert build.problems[0].field == "pki.ca_cert" and "cannot read" in build.problems[0].message


def test_ec_tls_keys_handshake(tmp_path):
    raw = preset_raw("single")
    raw["pki"] = {"tls_key": "ec-p256", "system_cas": False}
    out = tmp_path / "out"
    apply_to(raw, out)
    p12 = open_store(out, "gw-1", node_config(out, "gw-1")["keystore"]["tls"])
    assert isinstance(p12.key, ec.EllipticCurvePrivateKey)
    handshake(*keystore_pems(out, "gw-1"), truststore_pem(out, "cp-1"), "gw.example.com", tmp_path)
    trust = open_store(out, "cp-1", node_config(out, "cp-1")["truststore"])
    assert len(trust.additional_certs) == 3  # no public CAs when system_cas = false


def test_localhost_sans_can_be_turned_off(tmp_path):
    raw = preset_raw("single")
    raw["pki"] = {"localhost_sans": False}
    out = tmp_path / "out"
    apply_to(raw, out)
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(*keystore_pems(out, "cp-1"), truststore_pem(out, "gw-1"), "localhost", tmp_path)


def test_keys_are_generated_in_parallel_processes_and_threads(monkeypatch):
    from wizard.pki.keys import generate_keys, spec_of
    specs = {"a": "rsa-2048", "b": "rsa-2048", "c": "ec-p256"}
    seen = []
    keys = generate_keys(specs, progress=lambda done, total: seen.append((done, total)))
    assert {n: spec_of(k) for n, k in keys.items()} == specs
    assert seen[-1] == (3, 3) and [d for d, _ in seen] == sorted(d for d, _ in seen)
    monkeypatch.setenv("APIM_WIZARD_KEYGEN", "threads")
    keys = generate_keys(specs)
    assert {n: spec_of(k) for n, k in keys.items()} == specs


def test_build_reports_key_progress(tmp_path):
    seen = []
    apply_to(preset_raw("single"), tmp_path / "out", progress=lambda done, total: seen.append((done, total)))
    # The primary and two node keys (the EC CA key takes microseconds and is made apart).
    assert seen == [(0, 3), (1, 3), (2, 3), (3, 3)]


@pytest.mark.parametrize("preset", [p.name for p in list_presets()])
def test_keys_started_early_for_a_fresh_folder_are_exactly_the_keys_needed(preset, tmp_path):
    """The build starts the key workers before loading the certificate code when the output
    folder is new; the PKI adopts that job only if it names the same keys, so a mismatch
    here would silently cost a second round of key generation."""
    from wizard.pki.key_specs import all_key_specs
    from wizard.pki.prefetch import nothing_to_reuse
    from wizard.pki.material import start_pki

    build = build_raw(preset_raw(preset))
    out = tmp_path / "new"
    assert nothing_to_reuse(out)
    job = start_pki(build.topology, out, None, False)
    try:
        assert job.key_job.specs == all_key_specs(build.topology)
    finally:
        job.key_job.cancel()
    (out / "x").mkdir(parents=True)
    assert not nothing_to_reuse(out)


def test_validate_reads_the_certificate_files_apply_would(tmp_path, capsys):
    """validate checks a provided CA's files as apply does (without making any key)."""
    import io

    from wizard.cli import main

    make_ca(tmp_path)
    good = ["--set", "pki.ca=provided", "--set", f"pki.ca_cert={tmp_path / 'corp-ca.pem'}",
            "--set", f"pki.ca_key={tmp_path / 'corp-ca.key'}"]
    assert main(["validate", "--preset", "single", *good], out=io.StringIO()) == 0
    (tmp_path / "not-a-cert.pem").write_text("hello\n")
    bad = [*good[:2], "--set", f"pki.ca_cert={tmp_path / 'not-a-cert.pem'}", *good[4:]]
    assert main(["validate", "--preset", "single", *bad], out=io.StringIO()) == 1
    assert "pki.ca_cert" in capsys.readouterr().err
    mismatched = [*good[:4], "--set", f"pki.ca_key={tmp_path / 'other.key'}"]
    other = ec.generate_private_key(ec.SECP256R1())
    (tmp_path / "other.key").write_bytes(other.private_bytes(serialization.Encoding.PEM,
                                                             serialization.PrivateFormat.PKCS8,
                                                             serialization.NoEncryption()))
    assert main(["validate", "--preset", "single", *mismatched], out=io.StringIO()) == 1
    assert "is not the private key of pki.ca_cert" in capsys.readouterr().err
