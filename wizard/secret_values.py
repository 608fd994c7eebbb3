"""Secret fields: a literal string or a reference that is resolved when output is built.

A secret field of the answer model accepts

    password = "literal"
    password = { env = "APIM_ADMIN_PASSWORD" }
    password = { file = "/run/secrets/admin" }        # first line of the file
    password = { generate = true }                    # made once, kept in DIR/secrets.toml
    password = { stored = true }                      # typed at a prompt, kept in secrets.toml

A front end that takes a typed value keeps it in the 0600 secrets file and writes
``{ stored = true }`` in the answers instead.

Saved answer files keep the reference, never the resolved value.  Each secret field names
a :class:`SecretPolicy` that says which characters API-M tolerates where the value ends up.
"""

from __future__ import annotations

import re
import typing
from dataclasses import dataclass
from typing import Annotated, Any, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, PlainSerializer, PlainValidator, WithJsonSchema

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# The config mapper resolves $ref{}/$env{}/$sys{}/$secret{} anywhere in a value and Carbon
# expands ${...} at run time: a secret containing one would be rewritten, not used.
_PLACEHOLDER = re.compile(r"\$(ref|env|sys|secret)?\{")


class SecretRef(BaseModel):
    """A secret that is not written in the answer file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    env: str | None = None
    file: str | None = None
    generate: bool | None = None
    stored: bool | None = None

    @property
    def kind(self) -> str:
        if self.env is not None:
            return "env"
        if self.file is not None:
            return "file"
        return "stored" if self.stored else "generate"

    def describe(self) -> str:
        if self.env is not None:
            return f"environment variable {self.env}"
        if self.file is not None:
            return f"file {self.file}"
        if self.stored:
            return "typed value kept in secrets.toml"
        return "generated value"


def _parse_secret(value: Any) -> str | SecretRef:
    if isinstance(value, (str, SecretRef)):
        return value
    if isinstance(value, dict):
        keys = set(value)
        allowed = {"env", "file", "generate", "stored"}
        unknown = keys - allowed
        if unknown or len(keys) != 1:
            raise ValueError(
                f"a secret reference takes exactly one of env, file, generate or stored, got "
                f"{', '.join(sorted(keys)) or 'nothing'}; write {{ env = \"VAR\" }}, "
                f"{{ file = \"path\" }}, {{ generate = true }} or {{ stored = true }}"
            )
        (key,) = keys
        item = value[key]
        if key in ("generate", "stored"):
            if item is not True:
                raise ValueError(f"{key} must be true, got {item!r}; to give a value, write it as a string")
            return SecretRef(**{key: True})
        if not isinstance(item, str) or not item:
            raise ValueError(f"{key} must be a non-empty string, got {item!r}")
        if key == "env" and not _ENV_NAME.match(item):
            raise ValueError(
                f"{item!r} is not an environment variable name; use letters, digits and _ , not starting with a digit"
            )
        return SecretRef(**{key: item})
    raise ValueError(
        f"expected a string or a reference {{ env = \"VAR\" }}, {{ file = \"path\" }} or "
        f"{{ generate = true }}, got {type(value).__name__} {value!r}"
    )


def _dump_secret(value: str | SecretRef) -> Any:
    if isinstance(value, SecretRef):
        return value.model_dump(exclude_none=True)
    return value


_SECRET_SCHEMA = {
    "anyOf": [
        {"type": "string"},
        {
            "type": "object",
            "properties": {"env": {"type": "string", "pattern": _ENV_NAME.pattern}},
            "required": ["env"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "properties": {"file": {"type": "string", "minLength": 1}},
            "required": ["file"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "properties": {"generate": {"const": True}},
            "required": ["generate"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "properties": {"stored": {"const": True}},
            "required": ["stored"],
            "additionalProperties": False,
        },
    ]
}

Secret = Annotated[
    Union[str, SecretRef],
    PlainValidator(_parse_secret),
    PlainSerializer(_dump_secret),
    WithJsonSchema(_SECRET_SCHEMA),
]


@dataclass(frozen=True)
class SecretPolicy:
    """Which characters a secret may hold, given where API-M puts it."""

    name: str
    forbidden: str = ""  # characters that break the consumer
    allowed_pattern: str | None = None  # when set, the whole value must match
    allowed_text: str = ""
    min_length: int = 1
    why: str = ""

    def validate(self, value: str | SecretRef) -> str | SecretRef:
        """Pydantic after-validator: literal values are checked where they are written."""
        if isinstance(value, str):
            message = self.check(value)
            if message:
                raise ValueError(f"the given value {message}")
        return value

    def check(self, value: str) -> str | None:
        """Return a message when ``value`` is unusable, else None."""
        if len(value) < self.min_length:
            return f"is {len(value)} characters long; at least {self.min_length} are needed{self.why}"
        if any(ord(c) < 32 or ord(c) == 127 for c in value):
            return "contains a control character or line break; use printable characters only"
        if _PLACEHOLDER.search(value):
            return (
                "contains a ${...}/$ref{...}-style placeholder that API-M would try to resolve; "
                "choose another value"
            )
        if "]]>" in value:
            return "contains ']]>', which ends the XML CDATA section API-M wraps it in"
        bad = sorted({c for c in value if c in self.forbidden})
        if bad:
            return f"contains {' '.join(repr(c) for c in bad)}, which API-M cannot use here{self.why}"
        if self.allowed_pattern and not re.fullmatch(self.allowed_pattern, value):
            odd = sorted({c for c in value if not re.fullmatch(self.allowed_pattern, c)})
            return (
                f"contains {' '.join(repr(c) for c in odd)}; allowed: {self.allowed_text}{self.why}"
            )
        return None


ADMIN_PASSWORD = SecretPolicy(
    "admin",
    # The credentials go unencoded into the user info of API-M's AMQP connection URLs
    # (throttling and event hub JMS): only what RFC 3986 allows there, as java.net.URI parses
    # it.  Not @ { } % (WSO2: "not possible"), # (ends the URL, then every API answers 404,
    # product-apim#12186), ' (quotes the URL's broker list), nor / ? < > space ^ | " (the URL
    # no longer parses, or parses with no user at all).
    allowed_pattern=r"[A-Za-z0-9._~!$&()*+,;=:-]+",
    allowed_text="letters, digits and . _ ~ ! $ & ( ) * + , ; = : -",
    why=" (the super admin credentials go unencoded into API-M's AMQP connection URLs)",
)
# Keystore passwords travel inside JMS TLS broker URLs between single quotes and into
# keytool; keep them to characters that need no escaping anywhere.
KEYSTORE_PASSWORD = SecretPolicy(
    "keystore",
    allowed_pattern=r"[A-Za-z0-9._~+=!^*,:/-]+",
    allowed_text="letters, digits and . _ ~ + = ! ^ * , : / -",
    min_length=6,
    why=" (keystore passwords go into keytool and into JMS TLS broker URLs)",
)
DB_PASSWORD = SecretPolicy("database")
TOKEN = SecretPolicy("token")

AdminPassword = Annotated[Secret, ADMIN_PASSWORD, AfterValidator(ADMIN_PASSWORD.validate)]
KeystorePassword = Annotated[Secret, KEYSTORE_PASSWORD, AfterValidator(KEYSTORE_PASSWORD.validate)]
DatabasePassword = Annotated[Secret, DB_PASSWORD, AfterValidator(DB_PASSWORD.validate)]
Token = Annotated[Secret, TOKEN, AfterValidator(TOKEN.validate)]


def policy_of(metadata: list[Any]) -> SecretPolicy | None:
    for item in metadata:
        if isinstance(item, SecretPolicy):
            return item
    return None


def _annotation_policy(annotation: Any) -> SecretPolicy | None:
    """The policy inside an annotation such as ``Token | None`` (Optional[Annotated[...]])."""
    if typing.get_origin(annotation) is typing.Annotated:
        args = typing.get_args(annotation)
        return policy_of(list(args[1:])) or _annotation_policy(args[0])
    for arg in typing.get_args(annotation):
        policy = _annotation_policy(arg)
        if policy is not None:
            return policy
    return None


def iter_secret_fields(model: BaseModel, path: tuple = ()):
    """Yield (path, value, policy) for every secret field set in ``model``, depth first."""
    for name, info in type(model).model_fields.items():
        value = getattr(model, name, None)
        if value is None:
            continue
        policy = policy_of(info.metadata) or _annotation_policy(info.annotation)
        if policy is not None:
            yield (*path, name), value, policy
        elif isinstance(value, BaseModel):
            yield from iter_secret_fields(value, (*path, name))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, BaseModel):
                    yield from iter_secret_fields(item, (*path, name, index))


def field_policy(info: Any) -> SecretPolicy | None:
    """The policy of a model field (its FieldInfo), also inside ``Optional[...]``; None when
    the field is not a secret."""
    return policy_of(info.metadata) or _annotation_policy(info.annotation)
