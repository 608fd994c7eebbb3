"""Production checks: each finding names the field and the fix, never a secret; --production
turns them into errors unless accepted in [hardening]."""

from __future__ import annotations

import datetime
import io
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from conftest import preset_raw
from wizard.cli import main
from wizard.hardening import Finding, gate, review
from wizard.model import HARDENING_CHECKS
from wizard.plan import PlannedFile
from wizard.validation import validate_answers

SAFE_DB = {"sslMode": "VERIFY_IDENTITY"}
DATA = Path(__file__).parent / "data"


def hardened_raw(preset: str = "ha") -> dict:
    raw = preset_raw(preset)
    raw["jms_tls"] = {"enabled": True}
    raw["secure_vault"] = {"enabled": True, "mode": "plaintext"}
    for key in ("apim_db", "shared_db"):
        raw["databases"][key]["params"] = dict(SAFE_DB)
    return raw


def findings(raw: dict, files=(), pki=None) -> list[Finding]:
    answers, problems = validate_answers(raw)
    assert answers is not None, problems
    return review(answers, files, pki)


def codes(raw: dict, files=()) -> list[tuple[str, str]]:
    return [(f.code, ".".join(map(str, f.path))) for f in findings(raw, files)]


def test_hardened_answers_have_no_findings():
    assert findings(hardened_raw()) == []


def test_every_check_has_a_code_the_answers_accept():
    assert set(HARDENING_CHECKS) == {
        "default_credentials", "default_keystore", "weak_keys", "weak_tls", "jms_plaintext",
        "db_superuser", "db_plaintext", "hostname_verification", "plaintext_secrets"}


def test_default_credentials_never_echo_the_value():
    raw = hardened_raw()
    raw["super_admin"]["password"] = "admin"
    raw["keystores"] = {"tls": {"file_name": "tls.p12", "alias": "tls", "password": "wso2carbon"}}
    raw["databases"]["apim_db"]["password"] = "apimadmin"  # = the default user name
    got = findings(raw)
    assert [(f.code, ".".join(f.path)) for f in got] == [
        ("default_credentials", "super_admin.password"),
        ("default_credentials", "keystores.tls.password"),
        ("default_credentials", "databases.apim_db.password"),
    ]
    assert "admin/admin" in got[0].message
    for finding in got:
        text = str(finding.problem())
        assert "wso2carbon\"" not in text and "apimadmin" not in text and "fix:" in text


def test_shipped_keystore_names():
    raw = hardened_raw()
    raw["keystores"] = {
        "primary": {"file_name": "wso2carbon.jks", "type": "JKS", "alias": "wso2carbon"},
        "truststore": {"file_name": "client-truststore.jks", "type": "JKS"},
    }
    assert codes(raw) == [("default_keystore", "keystores.primary.file_name"),
                          ("default_keystore", "keystores.truststore.file_name")]


def test_weak_jms_protocols():
    raw = hardened_raw()
    raw["jms_tls"] = {"enabled": True, "protocols": ["TLSv1.2", "TLSv1"], "allow_weak_protocols": True}
    assert codes(raw) == [("weak_tls", "jms_tls.protocols")]


def test_jms_plaintext_only_between_hosts():
    raw = hardened_raw()
    raw["jms_tls"] = {"enabled": False}
    assert codes(raw) == [("jms_plaintext", "jms_tls.enabled")]
    local = preset_raw("local")  # every node on localhost
    local["secure_vault"] = {"enabled": True, "mode": "plaintext"}
    assert codes(local) == []


@pytest.mark.parametrize("db_type, user", [("mysql", "root"), ("mssql", "sa"), ("postgre", "postgres"),
                                           ("oracle", "SYSTEM"), ("mariadb", "root")])
def test_database_superusers(db_type, user):
    raw = hardened_raw()
    raw["databases"]["shared_db"] = {"type": db_type, "host": "db.example.com", "user": user,
                                     "params": {"sslMode": "verify-full", "sslmode": "verify-full",
                                                "sslConnection": True}}
    assert ("db_superuser", "databases.shared_db.user") in codes(raw)


@pytest.mark.parametrize("db_type, params, verdict", [
    ("mysql", {}, "does not require TLS"),
    ("mysql", {"useSSL": False}, "turns TLS off"),
    ("mysql", {"sslMode": "DISABLED"}, "turns TLS off"),
    ("mysql", {"sslMode": "PREFERRED"}, "does not require TLS"),
    ("mysql", {"sslMode": "REQUIRED"}, None),
    ("mysql", {"useSSL": True, "requireSSL": True}, None),
    ("mariadb", {}, "does not enable TLS"),
    ("mariadb", {"sslMode": "disable"}, "turns TLS off"),
    ("mariadb", {"sslMode": "verify-full"}, None),
    ("mariadb", {"useSsl": True}, None),
    ("postgre", {}, "does not require TLS"),
    ("postgre", {"sslmode": "prefer"}, "does not require TLS"),
    ("postgre", {"sslmode": "disable"}, "turns TLS off"),
    ("postgre", {"ssl": True}, None),
    ("postgre", {"sslmode": "verify-full"}, None),
    ("mssql", {}, None),  # mssql-jdbc 10.2+ encrypts by default
    ("mssql", {"encrypt": False}, "turns TLS off"),
    ("mssql", {"trustServerCertificate": True}, "trusts any server certificate"),
    ("db2", {}, "does not enable TLS"),
    ("db2", {"sslConnection": True}, None),
    ("oracle", {}, None),  # negotiated by the server (native network encryption): not judged
])
def test_database_tls_per_type(db_type, params, verdict):
    raw = hardened_raw()
    raw["databases"]["shared_db"] = {"type": db_type, "host": "db.example.com", "params": params}
    if db_type == "db2":
        raw["databases"]["shared_db"]["name"] = "SHAREDDB"  # Db2: at most 8 of letters, digits and @ # $
    got = [f for f in findings(raw) if f.code == "db_plaintext"]
    if verdict is None:
        assert got == []
    else:
        (finding,) = got
        assert verdict in finding.message and finding.path == ("databases", "shared_db", "params")


def test_loopback_database_is_not_judged():
    raw = hardened_raw()
    raw["databases"]["shared_db"] = {"type": "mysql", "host": "127.0.0.1", "params": {"useSSL": False}}
    assert [f for f in findings(raw) if f.code == "db_plaintext"] == []


def test_plaintext_secrets():
    raw = hardened_raw()
    del raw["secure_vault"]
    assert codes(raw) == [("plaintext_secrets", "secure_vault.enabled")]


# ------------------------------------------------------------------ build files


def _cert(key, signer=None, algorithm=None, name="node.example.com"):
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Some CA")]) if signer else subject
    now = datetime.datetime.now(datetime.timezone.utc)
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1))
            .sign(signer or key, algorithm or hashes.SHA256()))


@pytest.fixture(scope="module")
def small_rsa():
    return rsa.generate_private_key(public_exponent=65537, key_size=1024)


@pytest.fixture(scope="module")
def good_rsa():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def test_weak_keys_in_pki_material_and_pem_files(small_rsa, good_rsa):
    from types import SimpleNamespace as Issued

    raw = hardened_raw()
    weak_leaf = _cert(small_rsa, signer=good_rsa)
    material = Issued(
        ca_cert=_cert(good_rsa, name="Deployment CA"),
        primary=Issued(cert=_cert(good_rsa, name="primary"), chain=()),
        nodes={"gw-1": Issued(cert=weak_leaf, chain=()), "gw-2": Issued(cert=_cert(good_rsa), chain=())},
        load_balancers={"gw.example.com": Issued(cert=_cert(ec.generate_private_key(ec.SECP256R1())), chain=())},
    )
    files = [
        PlannedFile("lb/weak.crt", _cert(small_rsa, name="lb.example.com").public_bytes(serialization.Encoding.PEM)),
        # also reached through the material: reported once
        PlannedFile("gw-1/tls.crt", weak_leaf.public_bytes(serialization.Encoding.PEM)),
        PlannedFile("lb/old.crt", (DATA / "sha1-signed-leaf.pem").read_bytes()),
    ]
    got = [(f.path, f.message) for f in findings(raw, files, material) if f.code == "weak_keys"]
    assert got == [
        (("pki", "tls_key"), "the TLS keystore of gw-1: CN=node.example.com: RSA 1024-bit key (at least 2048 needed)"),
        (("pki",), "lb/weak.crt: CN=lb.example.com: RSA 1024-bit key (at least 2048 needed)"),
        (("pki",), "lb/old.crt: CN=old-sha1.example.com: signed with SHA1"),
    ]


def test_real_pki_output_has_no_weak_keys():
    from conftest import build_raw

    build = build_raw(hardened_raw(), pki=True)
    answers = build.topology.answers
    assert [f for f in review(answers, build.files, build.shared["pki"]) if f.code == "weak_keys"] == []


def _cp_config(extra: str = "") -> PlannedFile:
    text = '[server]\nserver_role = "control-plane"\n' + extra
    return PlannedFile("cp-1/repository/conf/deployment.toml", text.encode(), 0o600)


def test_broker_tls_listener_left_at_wso2_default():
    raw = hardened_raw()
    assert codes(raw, [_cp_config()]) == [("weak_tls", "jms_tls.enabled")]
    disabled = _cp_config("[broker.transport.amqp.ssl_connection]\nenabled = false\n")
    assert codes(raw, [disabled]) == []
    strong = _cp_config('[broker.transport.amqp.ssl_connection]\nssl_enabled_protocols = "TLSv1.2,TLSv1.3"\n')
    assert codes(raw, [strong]) == []
    weak = _cp_config('[broker.transport.amqp.ssl_connection]\nssl_enabled_protocols = "TLSv1,TLSv1.2"\n')
    assert codes(raw, [weak]) == [("weak_tls", "jms_tls.protocols")]


def test_hostname_verification():
    raw = hardened_raw()
    raw["install"] = {"hostname_verifier": "AllowAll"}
    assert codes(raw) == [("hostname_verification", "install.hostname_verifier")]


def test_start_scripts_pass_the_hostname_verifier():
    from conftest import build_raw

    build = build_raw(hardened_raw())
    scripts = [f for f in build.files if f.path.endswith(("/start.sh", "/start.bat"))]
    assert scripts and all(b"-Dhttpclient.hostnameVerifier=DefaultAndLocalhost" in f.content for f in scripts)
    assert [f for f in review(build.topology.answers, build.files) if f.code == "hostname_verification"] == []
    stale = PlannedFile("gw-1/bin/start.sh", b'exec sh "$APIM_HOME/bin/api-manager.sh" -Dprofile=gateway-worker\n', 0o755)
    got = [f.message for f in review(build.topology.answers, [stale]) if f.code == "hostname_verification"]
    assert got == ["gw-1/bin/start.sh: does not pass -Dhttpclient.hostnameVerifier=DefaultAndLocalhost, "
                   "so API-M keeps api-manager.sh's AllowAll"]


def test_gate_accepts_by_code():
    raw = hardened_raw()
    raw["jms_tls"] = {"enabled": False}
    raw["hardening"] = {"accept": ["jms_plaintext"]}
    answers, _ = validate_answers(raw)
    shown, accepted = gate(review(answers), answers, production=True)
    assert shown == [] and [p.field for p in accepted] == ["jms_tls.enabled"]


def test_unknown_accepted_code_is_a_validation_error():
    raw = hardened_raw()
    raw["hardening"] = {"accept": ["db_plaintxt"]}
    answers, problems = validate_answers(raw)
    assert answers is None
    assert 'did you mean "db_plaintext"' in str(problems[0])


# ------------------------------------------------------------------------- CLI


def write_answers(tmp_path, raw) -> str:
    import tomlkit

    path = tmp_path / "answers.toml"
    path.write_text(tomlkit.dumps(raw))
    return str(path)


def test_apply_warns_by_default_and_production_refuses(tmp_path, capsys):
    raw = preset_raw("ha")
    answers = write_answers(tmp_path, raw)
    out = io.StringIO()
    assert main(["apply", "--answers", answers, "--out", str(tmp_path / "a")], out=out) == 0
    assert "warning jms_tls.enabled" in out.getvalue() and "(errors with --production)" in out.getvalue()
    assert main(["apply", "--answers", answers, "--out", str(tmp_path / "b"), "--production"], out=io.StringIO()) == 1
    err = capsys.readouterr().err
    assert "error   databases.apim_db.params" in err and "nothing was written" in err
    assert not (tmp_path / "b").exists()
    assert main(["apply", "--answers", answers, "--out", str(tmp_path / "c"), "--production", "--dry-run"],
                out=io.StringIO()) == 1
    assert not (tmp_path / "c").exists()


def test_production_passes_when_hardened_or_accepted(tmp_path):
    raw = hardened_raw()
    raw["jms_tls"] = {"enabled": False}
    raw["hardening"] = {"accept": ["jms_plaintext"]}
    out = io.StringIO()
    code = main(["apply", "--answers", write_answers(tmp_path, raw), "--out", str(tmp_path / "o"), "--production"],
                out=out)
    assert code == 0, out.getvalue()
    assert "accepted jms_tls.enabled" in out.getvalue()


def test_validate_production(tmp_path):
    answers = write_answers(tmp_path, preset_raw("wso2-docs-single"))
    assert main(["validate", "--answers", answers], out=io.StringIO()) == 0
    assert main(["validate", "--answers", answers, "--production"], out=io.StringIO()) == 1
