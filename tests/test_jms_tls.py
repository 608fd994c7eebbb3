"""JMS over TLS: the seed's strings built in code, escaping, rendering, validation, handshakes."""

from __future__ import annotations

import ssl
import subprocess

import pytest

from conftest import apply_to, build_raw, node_configs, preset_raw, problems_of
from pki_helpers import handshake, keystore_pems, truststore_pem
from seed_samples import SEED_TEXT
from wizard.render.jms import JmsTlsError, SslOptions, event_hub_ssl, topic_connection_factory

# The seed's two JMS TLS strings, verbatim (checked against the guide when it is present).
SEED_TOPIC_CONNECTION_FACTORY = (
    "amqp://<![CDATA[<username>]]>:<![CDATA[<password>]]>@clientid/carbon?brokerlist='tcp://tm.wso2.com:8672"
    "?ssl='true'%26ssl_cert_alias='<certificate_alias_in_truststore>'%26trust_store='<path_to_trust_store>'"
    "%26trust_store_password='<truststore_password>'%26key_store='<path_to_key_store>'"
    "%26key_store_password='<keystore_password>''"
)
SEED_EVENT_HUB_SSL = (
    "true'&amp;ssl_cert_alias='<certificate_alias_in_truststore>'&amp;trust_store='<path_to_trust_store>'"
    "&amp;trust_store_password='<truststore_password>'&amp;key_store='<path_to_key_store>'"
    "&amp;key_store_password='<keystore_password>"
)
SEED_OPTIONS = SslOptions(
    cert_alias="<certificate_alias_in_truststore>",
    trust_store="<path_to_trust_store>",
    trust_store_password="<truststore_password>",
    key_store="<path_to_key_store>",
    key_store_password="<keystore_password>",
)


def test_topic_connection_factory_is_the_seed_string():
    built = topic_connection_factory("<username>", "<password>", [("tm.wso2.com", 8672)], SEED_OPTIONS)
    assert built == SEED_TOPIC_CONNECTION_FACTORY


def test_event_hub_ssl_is_the_seed_string():
    assert event_hub_ssl(SEED_OPTIONS) == SEED_EVENT_HUB_SSL


@pytest.mark.skipif(not SEED_TEXT.exists(), reason="../shared/seed is not present in this clone")
def test_the_seed_strings_are_quoted_verbatim():
    text = SEED_TEXT.read_text(encoding="utf-8")
    assert f'topic_connection_factory = "{SEED_TOPIC_CONNECTION_FACTORY}"' in text
    assert f'jms.ssl = "{SEED_EVENT_HUB_SSL}"' in text and f'ssl = "{SEED_EVENT_HUB_SSL}"' in text


def test_several_brokers_fail_over_round_robin():
    options = SslOptions("ca", "ts.p12", "tpw", "ks.p12", "kpw")
    built = topic_connection_factory("admin", "secret", [("cp1", 8672), ("cp2", 8673)], options)
    assert built.startswith("amqp://<![CDATA[admin]]>:<![CDATA[secret]]>@clientid/carbon?"
                            "failover='roundrobin'%26cyclecount='2'%26brokerlist='tcp://cp1:8672?ssl='true'")
    assert ";tcp://cp2:8673?ssl='true'%26ssl_cert_alias='ca'" in built
    assert built.endswith("%26key_store_password='kpw'%26retries='5'%26connectdelay='50''")
    assert built.count("brokerlist=") == 1


def test_credentials_that_need_escaping_are_wrapped_not_broken():
    options = SslOptions("ca", "ts.p12", "tpw", "ks.p12", "kpw")
    built = topic_connection_factory("admin", "Tom&Jerry<3", [("cp", 8672)], options)
    assert "<![CDATA[Tom&Jerry<3]]>@clientid" in built
    # [super_admin] may already hold the CDATA form; it is not wrapped twice.
    assert topic_connection_factory("admin", "<![CDATA[a&b]]>", [("cp", 8672)], options).count("CDATA") == 2


def test_what_cannot_be_escaped_is_refused_with_the_field():
    options = SslOptions("ca", "ts.p12", "tpw", "ks.p12", "kpw")
    with pytest.raises(JmsTlsError) as err:
        topic_connection_factory("admin", "a]]>b", [("cp", 8672)], options)
    assert err.value.problem.field == "super_admin.password" and "CDATA" in err.value.problem.message
    bad = SslOptions("ca", "ts.p12", "it's", "ks.p12", "kpw")
    with pytest.raises(JmsTlsError) as err:
        event_hub_ssl(bad)
    assert err.value.problem.field == "keystores.truststore.password"
    assert "trust_store_password" in err.value.problem.message and "it's" not in err.value.problem.message
    for char in "%&;":
        with pytest.raises(JmsTlsError):
            SslOptions("ca", "ts.p12", "tpw", "ks.p12", f"k{char}pw").joined("%26")


@pytest.fixture(scope="module")
def jms():
    return node_configs(build_raw(preset_raw("ha-jms-tls")))


def test_gateway_uses_the_tls_port_and_the_built_factory(jms):
    gw = jms["gw-1"]
    stores = gw["keystore"]
    throttling = gw["apim"]["throttling"]
    assert throttling["throttle_decision_endpoints"] == ["tcp://cp1.example.com:8672", "tcp://cp2.example.com:8672"]
    factory = throttling["jms"]["topic_connection_factory"]
    options = SslOptions("deployment-ca", "repository/resources/security/client-truststore.p12",
                         gw["truststore"]["password"], "repository/resources/security/tls.p12",
                         stores["tls"]["password"])
    assert factory == topic_connection_factory(
        "admin", gw["super_admin"]["password"], [("cp1.example.com", 8672), ("cp2.example.com", 8672)], options)
    hub = gw["apim"]["event_hub"]
    assert hub["event_listening_endpoints"] == throttling["throttle_decision_endpoints"]
    assert hub["jms"] == {"username": "$ref{super_admin.username}", "password": "$ref{super_admin.password}",
                          "ssl": event_hub_ssl(options)}
    assert hub["ssl"] == hub["jms"]["ssl"]
    # The data bridge is unchanged (binary 9611 / 9711).
    assert throttling["url_group"][0]["traffic_manager_auth_urls"] == ["ssl://cp1.example.com:9711"]


def test_broker_listens_on_tls_with_the_node_stores(jms):
    cp = jms["cp-2"]
    ssl_block = cp["broker"]["transport"]["amqp"]["ssl_connection"]
    assert ssl_block["enabled"] is True and ssl_block["port"] == 8672
    assert ssl_block["ssl_enabled_protocols"] == "TLSv1.2,TLSv1.3"
    assert "TLSv1," not in ssl_block["ssl_enabled_protocols"] + ","
    assert ssl_block["ciphers"].split(",")[0] == "TLS_AES_256_GCM_SHA384"
    assert ssl_block["keystore"] == {"location": "repository/resources/security/tls.p12",
                                     "password": cp["keystore"]["tls"]["password"], "cert_type": "SunX509"}
    assert ssl_block["truststore"]["password"] == cp["truststore"]["password"]
    assert "$secret" not in str(ssl_block)
    hub = cp["apim"]["event_hub"]
    assert hub["event_listening_endpoints"] == ["tcp://localhost:8672"]
    assert hub["event_duplicate_url"] == ["tcp://cp1.example.com:8672"]
    assert hub["jms"]["ssl"].startswith("true'&amp;ssl_cert_alias='deployment-ca'")


def test_jms_tls_off_closes_the_default_tlsv1_listener():
    cp = node_configs(build_raw(preset_raw("ha")))["cp-1"]
    assert cp["broker"]["transport"]["amqp"]["ssl_connection"] == {"enabled": False}
    assert "jms" not in cp["apim"]["event_hub"]


def test_offsets_are_carried_to_the_tls_port():
    raw = preset_raw("local")
    raw["jms_tls"] = {"enabled": True}
    configs = node_configs(build_raw(raw))
    assert configs["gw-1"]["apim"]["throttling"]["throttle_decision_endpoints"] == [
        "tcp://localhost:8673", "tcp://localhost:8674"]
    assert configs["cp-2"]["apim"]["event_hub"]["event_listening_endpoints"] == ["tcp://localhost:8674"]
    assert configs["cp-2"]["broker"]["transport"]["amqp"]["ssl_connection"]["port"] == 8672  # + offset by API-M


def test_weak_protocols_need_an_explicit_yes():
    raw = preset_raw("ha-jms-tls")
    raw["jms_tls"]["protocols"] = ["TLSv1", "TLSv1.2"]
    (problem,) = problems_of(raw)
    assert problem.field == "jms_tls.protocols[0]" and problem.value == "TLSv1"
    raw["jms_tls"]["allow_weak_protocols"] = True
    assert problems_of(raw) == []
    config = node_configs(build_raw(raw))["cp-1"]
    assert config["broker"]["transport"]["amqp"]["ssl_connection"]["ssl_enabled_protocols"] == "TLSv1,TLSv1.2"


def test_ciphers_must_serve_the_protocols_and_key_type():
    raw = preset_raw("ha-jms-tls")
    raw["jms_tls"].update(protocols=["TLSv1.2"], ciphers=["TLS_AES_256_GCM_SHA384"])
    (problem,) = problems_of(raw)
    assert problem.field == "jms_tls.ciphers" and "no suite" in problem.message
    raw["jms_tls"]["ciphers"] = ["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"]
    assert problems_of(raw) == []
    raw["pki"] = {"tls_key": "ec-p256"}
    assert problems_of(raw)[0].field == "jms_tls.ciphers"
    raw["jms_tls"]["ciphers"] = ["bogus"]
    assert "cipher suite name" in problems_of(raw)[0].message


def test_ha_event_hub_over_tls_needs_localhost_in_the_certificates():
    raw = preset_raw("ha-jms-tls")
    raw["pki"] = {"localhost_sans": False}
    (problem,) = problems_of(raw)
    assert problem.field == "pki.localhost_sans"


def test_broker_handshakes_and_ssl_cert_alias_names_the_issuing_ca(tmp_path):
    out = tmp_path / "out"
    build, _ = apply_to(preset_raw("ha-jms-tls"), out)
    topology = build.topology
    from cryptography.hazmat.primitives.serialization import pkcs12
    from pki_helpers import node_config

    pairs = 0
    for caller in topology.generated_nodes:
        trusted = truststore_pem(out, caller.name)
        for endpoint in topology.calls(caller):
            if endpoint.scheme == "tcp" and endpoint.is_tls:
                target = caller.name if endpoint.host == "localhost" else endpoint.target
                handshake(*keystore_pems(out, target), trusted, endpoint.host, tmp_path)
                pairs += 1
        if caller.profile == "gateway-worker":
            block = node_config(out, caller.name)["truststore"]
            p12 = pkcs12.load_pkcs12((out / caller.name / "repository/resources/security" / block["file_name"]).read_bytes(),
                                     block["password"].encode())
            by_alias = {c.friendly_name.decode(): c.certificate for c in p12.additional_certs}
            cp_cert = pkcs12.load_pkcs12((out / "cp-1/repository/resources/security/tls.p12").read_bytes(),
                                         node_config(out, "cp-1")["keystore"]["tls"]["password"].encode()).cert.certificate
            assert cp_cert.issuer == by_alias["deployment-ca"].subject
    assert pairs == 2 * (2 + 2) + 2 * 2  # each gateway: decisions + events from 2 CPs; each CP: own broker + peer
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(*keystore_pems(out, "cp-1"), truststore_pem(out, "gw-1"), "cp2.example.com", tmp_path)


# Java's own URL parser (API-M's AMQP client reads the connection URL with java.net.URI).
JAVA_URI = r"""
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;

public class ParseUrls {
    public static void main(String[] args) throws Exception {
        for (String line : Files.readAllLines(Path.of(args[0]))) {
            try {
                URI uri = new URI(line);
                System.out.println(uri.getRawUserInfo() + "\t" + uri.getHost());
            } catch (Exception e) {
                System.out.println("ERROR\t" + e.getMessage());
            }
        }
    }
}
"""
ALLOWED_ADMIN_PASSWORDS = ["Str0ng.Pass_word~1", "a!b$c&d(e)f*g+h,i;j=k:l-m", "admin"]
REFUSED_ADMIN_PASSWORDS = ["p<w", "pass word", "pass/word", "pa?ss", "a^b", "a|b", 'a"b', "a#b", "a@b", "a%b",
                           "a{b}"]
QUOTE = "it's"  # parses, but ' quotes the values of the URL's options (brokerlist='...'): refused too


def _unwrapped(url: str) -> str:
    """The URL as API-M hands it to the AMQP client: the XML CDATA markers gone."""
    return url.replace("<![CDATA[", "").replace("]]>", "")


def test_admin_passwords_the_validator_accepts_parse_as_urls_in_java(tmp_path):
    """Every admin password the model accepts gives a topic_connection_factory whose user
    info Java reads back intact; those it refuses are the ones that break the URL."""
    from conftest import require_tool

    java = require_tool("java")
    options = SslOptions("ca", "ts.p12", "tpw", "ks.p12", "kpw")
    urls = [_unwrapped(topic_connection_factory("admin", p, [("cp", 8672)], options)).split("?", 1)[0]
            for p in ALLOWED_ADMIN_PASSWORDS + REFUSED_ADMIN_PASSWORDS]
    (tmp_path / "ParseUrls.java").write_text(JAVA_URI)
    (tmp_path / "urls.txt").write_text("\n".join(urls) + "\n")
    run = subprocess.run([java, str(tmp_path / "ParseUrls.java"), str(tmp_path / "urls.txt")],
                         capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr
    parsed = dict(zip(ALLOWED_ADMIN_PASSWORDS + REFUSED_ADMIN_PASSWORDS, run.stdout.splitlines()))
    for password in ALLOWED_ADMIN_PASSWORDS:
        raw = preset_raw("ha")
        raw["super_admin"]["password"] = password
        assert not [p for p in problems_of(raw) if p.severity == "error"], password
        assert parsed[password] == f"admin:{password}\tclientid", password
    for password in REFUSED_ADMIN_PASSWORDS + [QUOTE]:
        raw = preset_raw("ha")
        raw["super_admin"]["password"] = password
        errors = [p for p in problems_of(raw) if p.severity == "error"]
        assert errors and errors[0].field == "super_admin.password", password
        assert "allowed: letters, digits" in errors[0].message and password not in errors[0].message
        if password != QUOTE:  # refused for a reason: Java cannot read the user back from such a URL
            assert parsed[password] != f"admin:{password}\tclientid", password
