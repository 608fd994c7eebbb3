"""WSO2 secure vault: passwords in deployment.toml become ``$secret{alias}`` references.

With ``[secure_vault] enabled = true`` every node's deployment.toml gets

- ``$secret{alias}`` in place of the super admin, database, keystore and truststore
  passwords and the analytics token;
- a ``[secrets]`` table, written last as WSO2 requires, holding for each alias either the
  ciphertext exactly as ``ciphertool.sh`` makes it (``mode = "encrypt"``: RSA PKCS#1 v1.5,
  Java's ``Cipher.getInstance("RSA")``, with the certificate of the internal keystore, which
  is the primary keystore here; standard base64) or ``"[password]"`` for operators who run
  ``ciphertool.sh -Dconfigure`` themselves (``mode = "plaintext"``);
- in encrypt mode, ``repository/conf/security/secret-conf.properties`` as the cipher tool
  writes it, since API-M does not ship that file.

``SECURE-VAULT.md`` tells the operator how the nodes get the keystore password at start.

The broker's keystore passwords (``[broker.transport.amqp.ssl_connection]``) are never
routed through the vault: the broker reads them raw and fails with "Keystore was tampered
with" (api-manager#3055).  Values the vault cannot resolve (passwords inside JMS URLs) stay too.

PKCS#1 v1.5 padding is random, so each encryption differs; a re-run keeps the ciphertext
already in the output when it still decrypts to the same password with the same key, so
the same answers give the same bytes.
"""

from __future__ import annotations

import base64
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import tomlkit
from tomlkit.items import Table

from .plan import PUBLIC_MODE, PlannedFile
from .render.common import xml_unsafe

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import rsa

SECRET_CONF = "repository/conf/security/secret-conf.properties"
GUIDE = "SECURE-VAULT.md"
DEPLOYMENT_TOML = "repository/conf/deployment.toml"

# deployment.toml key, alias, the answer field the value comes from.  Keys the renderers
# do not write are skipped.
VAULTED: tuple[tuple[tuple[str, ...], str, tuple[str, ...]], ...] = (
    (("super_admin", "password"), "admin_password", ("super_admin", "password")),
    (("database", "apim_db", "password"), "apim_db_password", ("databases", "apim_db", "password")),
    (("database", "shared_db", "password"), "shared_db_password", ("databases", "shared_db", "password")),
    (("keystore", "primary", "password"), "keystore_primary_password", ("keystores", "primary", "password")),
    (("keystore", "primary", "key_password"), "keystore_primary_password", ("keystores", "primary", "password")),
    (("keystore", "internal", "password"), "keystore_internal_password", ("keystores", "primary", "password")),
    (("keystore", "internal", "key_password"), "keystore_internal_password", ("keystores", "primary", "password")),
    (("keystore", "tls", "password"), "keystore_tls_password", ("keystores", "tls", "password")),
    (("keystore", "tls", "key_password"), "keystore_tls_password", ("keystores", "tls", "password")),
    (("truststore", "password"), "truststore_password", ("keystores", "truststore", "password")),
    (("apim", "analytics", "auth_token"), "analytics_auth_token", ("analytics", "auth_token")),
)
# Never through the vault (api-manager#3055).
NOT_VAULTED_PREFIX = ("broker", "transport", "amqp", "ssl_connection")

# A build without keys (previews: BuildOptions.with_pki = False) cannot encrypt; it shows
# where the ciphertexts will stand.  apply always builds with keys.
PREVIEW_CIPHERTEXT = "<encrypted by apim-wizard apply>"

# API-M 4.1 ships cipher tool 1.1.15, which needs exactly one [...] in a plaintext value.
BRACKETS_UNSUPPORTED = ("4.1",)


class VaultError(Exception):
    """A secret cannot go through the vault; ``path`` is the answer field."""

    def __init__(self, message: str, path: tuple = ("secure_vault",)):
        super().__init__(message)
        self.path = path


@dataclass
class VaultKey:
    """The certificate's public key encrypts; the private key (when the wizard has it)
    lets a re-run recognise and keep its earlier ciphertexts."""

    public_key: rsa.RSAPublicKey
    private_key: rsa.RSAPrivateKey | None = None

    @classmethod
    def from_material(cls, material) -> VaultKey:
        from cryptography.hazmat.primitives.asymmetric import rsa  # only when there are keys

        public = material.primary_cert.public_key()
        if not isinstance(public, rsa.RSAPublicKey):
            raise VaultError("the primary certificate's key is not RSA; the secure vault encrypts with RSA")
        return cls(public, getattr(material, "primary_key", None))

    def encrypt(self, plain: str) -> str:
        data = plain.encode("utf-8")
        limit = self.public_key.key_size // 8 - 11
        if len(data) > limit:
            raise VaultError(f"is {len(data)} bytes long; RSA-{self.public_key.key_size} encrypts at most {limit}")
        from cryptography.hazmat.primitives.asymmetric import padding

        return base64.b64encode(self.public_key.encrypt(data, padding.PKCS1v15())).decode("ascii")

    def decrypt(self, ciphertext: str) -> str | None:
        """The plaintext of one of our ciphertexts; None when this key did not make it."""
        from cryptography.hazmat.primitives.asymmetric import padding

        if self.private_key is None or self.private_key.public_key().public_numbers() != self.public_key.public_numbers():
            return None
        try:
            return self.private_key.decrypt(base64.b64decode(ciphertext, validate=True), padding.PKCS1v15()).decode()
        except (ValueError, UnicodeDecodeError):
            return None

    def decrypts_to(self, ciphertext: str, plain: str) -> bool:
        return self.decrypt(ciphertext) == plain


def _get(doc, path: tuple[str, ...]):
    node = doc
    for part in path:
        if not hasattr(node, "get") or part not in node:
            return None, None
        parent, node = node, node[part]
    return parent, node


@dataclass
class SealedNode:
    text: str
    aliases: dict[str, str] = field(default_factory=dict)  # alias -> deployment.toml key
    fields: dict[str, tuple] = field(default_factory=dict)  # alias -> answer field


def seal(text: str, mode: str, version: str, key: VaultKey | None, previous: dict[str, str] | None = None) -> SealedNode:
    """Route the passwords of one deployment.toml through the vault."""
    doc = tomlkit.parse(text)
    if "secrets" in doc:
        raise VaultError("deployment.toml already has a [secrets] table")
    values: dict[str, str] = {}
    sealed = SealedNode("")
    for path, alias, answer_field in VAULTED:
        assert path[: len(NOT_VAULTED_PREFIX)] != NOT_VAULTED_PREFIX
        parent, value = _get(doc, path)
        if value is None:
            continue
        # The vault holds the password itself: its values never pass through XML.
        plain = xml_unsafe(str(value))
        if alias in values and values[alias] != plain:
            raise VaultError(f"{'.'.join(path)} differs from the other value of alias {alias}", answer_field)
        values[alias] = plain
        sealed.aliases.setdefault(alias, ".".join(path))
        sealed.fields.setdefault(alias, answer_field)
        parent[path[-1]] = f"$secret{{{alias}}}"
    table: Table = tomlkit.table()
    table.add(tomlkit.comment("Secure vault: the values $secret{alias} refers to. Keep this table last."))
    if mode == "encrypt":
        table.add(tomlkit.comment("Encrypted with the primary keystore's certificate (RSA PKCS#1 v1.5), as ciphertool.sh does."))
    else:
        table.add(tomlkit.comment("Plain text in [brackets]: run  sh bin/ciphertool.sh -Dconfigure  on the node before it starts."))
    for alias, plain in values.items():
        table[alias] = _secret_value(alias, plain, mode, version, key, previous or {}, sealed.fields[alias])
    if values:
        doc.add(tomlkit.nl())
        doc["secrets"] = table
    sealed.text = tomlkit.dumps(doc)
    tomllib.loads(sealed.text)
    return sealed


def _secret_value(alias: str, plain: str, mode: str, version: str, key: VaultKey | None,
                  previous: dict[str, str], field: tuple) -> str:
    if mode == "plaintext":
        if version in BRACKETS_UNSUPPORTED and ("[" in plain or "]" in plain):
            raise VaultError(f"contains [ or ], which the cipher tool of API-M {version} cannot encrypt from a "
                             "[bracketed] value; choose another value or [secure_vault] mode = \"encrypt\"", field)
        return f"[{plain}]"
    if key is None:
        return PREVIEW_CIPHERTEXT
    earlier = previous.get(alias)
    if earlier and key.decrypts_to(earlier, plain):
        return earlier
    try:
        return key.encrypt(plain)
    except VaultError as exc:
        raise VaultError(f"the value {exc}; the secure vault cannot hold it", field) from None


def previous_secrets(out_dir: Path | None, node_name: str) -> dict[str, str]:
    """The [secrets] ciphertexts of this node's deployment.toml from the previous run."""
    if out_dir is None:
        return {}
    try:
        data = tomllib.loads((out_dir / node_name / DEPLOYMENT_TOML).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    secrets = data.get("secrets", {})
    return {k: v for k, v in secrets.items() if isinstance(v, str)} if isinstance(secrets, dict) else {}


def secret_conf(doc_text: str) -> str:
    """secret-conf.properties as ciphertool -Dconfigure writes it (cipher-tool Utils), with
    the keystore path relative to the API-M home (the start script runs from there)."""
    config = tomllib.loads(doc_text)
    keystore = config.get("keystore", {})
    store = keystore.get("internal") if keystore.get("internal", {}).get("file_name") else keystore.get("primary", {})
    lines = [
        "# Secure vault of API-M, written by apim-wizard as ciphertool.sh -Dconfigure would write it.",
        "# The identity keystore is the internal keystore of deployment.toml (the primary keystore);",
        "# its password comes from password-tmp, password-persist or the console at start (see SECURE-VAULT.md).",
        "secVault.enabled=true",
        "carbon.secretProvider=org.wso2.securevault.secret.handler.SecretManagerSecretCallbackHandler",
        "secretRepositories=file",
        "secretRepositories.file.provider=org.wso2.securevault.secret.repository.FileBaseSecretRepositoryProvider",
        "secretRepositories.file.location=repository/conf/security/cipher-text.properties",
        f"keystore.identity.location=repository/resources/security/{store['file_name']}",
        f"keystore.identity.type={store['type']}",
        f"keystore.identity.alias={store['alias']}",
        "keystore.identity.store.password=identity.store.password",
        "keystore.identity.store.secretProvider=org.wso2.carbon.securevault.DefaultSecretCallbackHandler",
        "keystore.identity.key.password=identity.key.password",
        "keystore.identity.key.secretProvider=org.wso2.carbon.securevault.DefaultSecretCallbackHandler",
    ]
    return "\n".join(lines) + "\n"


def guide(mode: str, nodes: Iterable[str], aliases: dict[str, str], password_source: str, keystore: str) -> str:
    nodes = list(nodes)
    rows = "\n".join(f"| `{alias}` | `{key}` |" for alias, key in sorted(aliases.items()))
    common = f"""# Secure vault

Every node's `repository/conf/deployment.toml` refers to its passwords as `$secret{{alias}}`; the
`[secrets]` table at its end holds the values.

| alias | deployment.toml key |
|---|---|
{rows}

Not in the vault, because API-M cannot read them from it (deployment.toml stays mode 0600):

- the broker's keystore passwords (`[broker.transport.amqp.ssl_connection]`): through the vault
  the broker fails with "Keystore was tampered with" (api-manager#3055);
- with JMS TLS, the passwords inside connection strings: the super admin and keystore passwords in
  the gateways' `[apim.throttling.jms] topic_connection_factory` and the keystore passwords in
  `[apim.event_hub] jms.ssl` / `ssl` (the vault resolves whole values only).

"""
    if mode == "plaintext":
        return common + f"""## Encrypt on each node before its first start

The `[secrets]` values are still plain text in `[brackets]`; API-M refuses to start until they are
encrypted.  On each node ({", ".join(nodes)}), after installing its files:

```sh
cd <API-M home>
sh bin/ciphertool.sh -Dconfigure      # asks for the primary keystore password ({password_source})
```

It encrypts the values in place with the primary keystore `{keystore}` and writes
`repository/conf/security/secret-conf.properties`.  Re-running apim-wizard writes plain values again:
run the cipher tool again on the nodes whose deployment.toml you replace.
""" + _start_section(password_source)
    return common + f"""The values are encrypted with the certificate of the primary keystore `{keystore}` exactly as
`ciphertool.sh -Dconfigure` does (RSA PKCS#1 v1.5, base64), and each node has the
`repository/conf/security/secret-conf.properties` the cipher tool would write: nothing to run.
`ciphertool.sh -Dchange` works on these values as on its own.
""" + _start_section(password_source)


def _start_section(password_source: str) -> str:
    return f"""
## The keystore password at start

To decrypt, API-M opens the primary keystore, whose password ({password_source}) is never stored in
the configuration.  At each start it takes it from, in this order:

1. `<API-M home>/password-tmp`: one line, read and then deleted by the server.  Write it just before
   the start, readable by the API-M user only:

   ```sh
   umask 077
   printf '%s\\n' "$PRIMARY_KEYSTORE_PASSWORD" > "<API-M home>/password-tmp"
   sh bin/api-manager.sh ...
   ```

   With systemd, do this in `ExecStartPre=` from a credential (`LoadCredential=`), never from a file
   in the unit.
2. `<API-M home>/password-persist`: the same, but kept; only where the disk is as safe as the password.
3. the console: `[Enter KeyStore and Private Key Password :]` when the server runs in a terminal.
"""


def _password_source(answers) -> str:
    value = answers.keystores.primary.password
    if isinstance(value, str):
        return "given in the answers as keystores.primary.password"
    if value.generate:
        return 'generated: `secrets.toml`, key "keystores.primary.password"'
    return f"from {value.describe()}"


def vault_finisher(ctx, files: list[PlannedFile]) -> list[PlannedFile]:
    """Build finisher: route every node's deployment.toml through the vault."""
    from .problems import Problem

    vault = ctx.answers.secure_vault
    if not vault.enabled:
        return files
    key = None
    if vault.mode == "encrypt":
        material = ctx.shared.get("pki")
        if material is None and ctx.options.with_pki:
            ctx.problems.append(Problem(
                ("secure_vault", "mode"),
                'is "encrypt", which needs the primary keystore\'s certificate, and this build made none; '
                'use mode = "plaintext" and run ciphertool.sh on each node'))
            return files
        try:
            key = VaultKey.from_material(material) if material is not None else None
        except VaultError as exc:
            ctx.problems.append(Problem(exc.path, str(exc)))
            return files
    out: list[PlannedFile] = []
    aliases: dict[str, str] = {}
    nodes: list[str] = []
    for planned in files:
        node, _, rest = planned.path.partition("/")
        if rest != DEPLOYMENT_TOML:
            out.append(planned)
            continue
        try:
            sealed = seal(planned.content.decode(), vault.mode, ctx.answers.version, key,
                          previous_secrets(ctx.options.out_dir, node))
        except VaultError as exc:
            ctx.problems.append(Problem(exc.path, str(exc)))
            return files
        nodes.append(node)
        aliases.update(sealed.aliases)
        out.append(PlannedFile(planned.path, sealed.text.encode(), planned.mode))
        if vault.mode == "encrypt":
            out.append(PlannedFile(f"{node}/{SECRET_CONF}", secret_conf(sealed.text).encode(), PUBLIC_MODE))
    keystore = ctx.answers.keystores.primary.file_name
    out.append(PlannedFile(GUIDE, guide(vault.mode, nodes, aliases, _password_source(ctx.answers), keystore).encode(),
                           PUBLIC_MODE))
    return out
