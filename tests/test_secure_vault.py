"""Secure vault: $secret{} references, [secrets] made as ciphertool makes them, decryptable
by the keystore's private key in Python and by Java's Cipher.getInstance("RSA")."""

from __future__ import annotations

import base64
import tomllib

from cryptography.hazmat.primitives.asymmetric import padding

from conftest import counter_generator, preset_raw
from vault_support import java_decrypt
from wizard.build import BuildOptions, build_deployment
from wizard.secret_values import iter_secret_fields
from wizard.render.common import xml_unsafe
from wizard.secure_vault import GUIDE, PREVIEW_CIPHERTEXT, SECRET_CONF, VAULTED, seal
from wizard.validation import validate_answers

DEPLOYMENT = "repository/conf/deployment.toml"


def vault_raw(mode: str = "encrypt", preset: str = "ha", **changes) -> dict:
    raw = preset_raw(preset)
    raw["secure_vault"] = {"enabled": True, "mode": mode}
    raw["super_admin"]["password"] = "Adm1n&Secret!"  # CDATA-wrapped in the plain output
    raw["analytics"] = {"enabled": True, "auth_token": "choreo-token-123"}
    raw.update(changes)
    return raw


def build(raw: dict, out_dir=None, pki: bool = True):
    """A build with the real PKI: the vault encrypts with its primary certificate."""
    from wizard.secrets_store import SecretStore

    answers, problems = validate_answers(raw)
    assert answers is not None, problems
    store = SecretStore.load(out_dir / "secrets.toml") if out_dir else None
    result = build_deployment(answers, store, environ={}, generate=counter_generator(),
                              options=BuildOptions(out_dir=out_dir, with_pki=pki))
    return result


def files_of(result) -> dict[str, bytes]:
    return {f.path: f.content for f in result.files}


def resolved_secrets(result) -> dict[str, str]:
    from wizard.problems import format_path

    return {format_path(p): v for p, v, _ in iter_secret_fields(result.topology.answers)}


def test_every_secret_becomes_a_reference_and_every_ciphertext_decrypts():
    result = build(vault_raw())
    assert result.ok, result.problems
    primary_key = result.shared["pki"].primary_key
    secrets = resolved_secrets(result)
    nodes = [p for p in files_of(result) if p.endswith(DEPLOYMENT)]
    assert len(nodes) == 4
    for path in nodes:
        text = files_of(result)[path].decode()
        config = tomllib.loads(text)
        # [secrets] is the last table of the file, as WSO2 requires.
        assert text.rstrip().split("\n[")[-1].startswith("secrets]")
        assert config["super_admin"]["password"] == "$secret{admin_password}"
        assert config["keystore"]["tls"]["key_password"] == "$secret{keystore_tls_password}"
        referenced = {a for _, a, _ in VAULTED if a in text.split("[secrets]")[0]}
        assert referenced == set(config["secrets"]), path
        for alias, ciphertext in config["secrets"].items():
            raw = base64.b64decode(ciphertext, validate=True)
            assert len(raw) == 256  # one RSA-2048 block, as ciphertool writes it
            plain = primary_key.decrypt(raw, padding.PKCS1v15()).decode()
            field = next(f for _, a, f in VAULTED if a == alias)
            assert plain == secrets[".".join(field)], alias
        for value in secrets.values():
            assert value not in text.split("[secrets]")[0] or value in _broker_block(config)


def _broker_block(config) -> str:
    return str(config.get("broker", ""))


def test_rerun_keeps_ciphertexts_and_reencrypts_only_what_changed(tmp_path):
    from wizard.plan import make_plan
    from wizard.writer import apply_plan

    out = tmp_path / "out"
    first = build(vault_raw(), out)
    apply_plan(make_plan(out, first.files))
    again = build(vault_raw(), out)
    assert files_of(again) == files_of(first)  # same answers, same bytes
    raw = vault_raw()
    raw["databases"]["shared_db"]["password"] = "Another-Db-Pass-9"
    changed = build(raw, out)
    before = tomllib.loads(files_of(first)[f"gw-1/{DEPLOYMENT}"].decode())["secrets"]
    after = tomllib.loads(files_of(changed)[f"gw-1/{DEPLOYMENT}"].decode())["secrets"]
    assert {a for a in after if after[a] != before[a]} == {"shared_db_password"}


def test_secret_conf_and_guide():
    result = build(vault_raw())
    files = files_of(result)
    conf = files[f"cp-1/{SECRET_CONF}"].decode()
    props = dict(line.split("=", 1) for line in conf.splitlines() if line and not line.startswith("#"))
    assert props["secVault.enabled"] == "true"
    assert props["keystore.identity.location"] == "repository/resources/security/primary.p12"
    assert props["keystore.identity.type"] == "PKCS12" and props["keystore.identity.alias"] == "primary"
    assert props["secretRepositories.file.location"] == "repository/conf/security/cipher-text.properties"
    assert "secretRepositories.file.algorithm" not in props  # stock ciphertool default: "RSA"
    guide = files[GUIDE].decode()
    assert "password-tmp" in guide and "api-manager#3055" in guide and "`admin_password`" in guide
    assert 'generated: `secrets.toml`, key "keystores.primary.password"' in guide


def test_plaintext_mode_brackets_for_ciphertool():
    result = build(vault_raw("plaintext"))
    assert result.ok
    config = tomllib.loads(files_of(result)[f"cp-1/{DEPLOYMENT}"].decode())
    assert config["secrets"]["admin_password"] == "[Adm1n&Secret!]"
    assert not any(p.endswith("secret-conf.properties") for p in files_of(result))
    assert "ciphertool.sh -Dconfigure" in files_of(result)[GUIDE].decode()


def test_plaintext_mode_on_4_1_rejects_brackets():
    raw = vault_raw("plaintext", version="4.1")
    raw["databases"]["shared_db"]["password"] = "pa[ss]word"  # (admin passwords cannot hold brackets at all)
    result = build(raw)
    assert not result.ok
    (problem,) = result.problems
    assert problem.field == "databases.shared_db.password" and "cipher tool of API-M 4.1" in problem.message
    assert "pa[ss]word" not in str(problem)


def test_a_preview_without_keys_shows_where_the_ciphertexts_go():
    result = build(vault_raw(), pki=False)
    assert result.ok, result.problems
    config = tomllib.loads(files_of(result)[f"cp-1/{DEPLOYMENT}"].decode())
    assert set(config["secrets"].values()) == {PREVIEW_CIPHERTEXT}
    assert config["super_admin"]["password"] == "$secret{admin_password}"


def test_broker_passwords_never_go_through_the_vault():
    text = (
        '[keystore.tls]\npassword = "tls-pass"\n'
        '[broker.transport.amqp.ssl_connection]\nenabled = true\n'
        'keystore.password = "tls-pass"\ntruststore.password = "trust-pass"\n'
    )
    sealed = seal(text, "plaintext", "4.4", None)
    config = tomllib.loads(sealed.text)
    assert config["keystore"]["tls"]["password"] == "$secret{keystore_tls_password}"
    assert config["broker"]["transport"]["amqp"]["ssl_connection"]["keystore"]["password"] == "tls-pass"
    assert config["broker"]["transport"]["amqp"]["ssl_connection"]["truststore"]["password"] == "trust-pass"


def test_xml_unsafe():
    assert xml_unsafe("<![CDATA[a&b]]>") == "a&b" and xml_unsafe("plain") == "plain"


def test_java_cipher_rsa_decrypts_every_value(tmp_path):
    """API-M decrypts [secrets] with Cipher.getInstance("RSA") and the keystore's private key."""
    result = build(vault_raw())
    secrets = resolved_secrets(result)
    config = tomllib.loads(files_of(result)[f"gw-1/{DEPLOYMENT}"].decode())
    primary = result.topology.answers.keystores.primary
    keystore = tmp_path / primary.file_name  # the primary keystore the PKI wrote for gw-1
    keystore.write_bytes(files_of(result)[f"gw-1/repository/resources/security/{primary.file_name}"])
    cases = [(alias, ct, secrets[".".join(next(f for _, a, f in VAULTED if a == alias))])
             for alias, ct in config["secrets"].items()]
    for store_type in ("PKCS12", "JKS"):  # Java 17 reads PKCS12 declared either way
        verdicts = java_decrypt(keystore, store_type, primary.password, primary.alias, cases, tmp_path)
        assert verdicts == {alias: "ok" for alias, _, _ in cases}
