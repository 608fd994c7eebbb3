"""Hide secrets in text the wizard shows (diffs of generated files): they become ``****``.

Two layers, because a diff shows old file versions whose secrets the current answers may
no longer know: values the run knows are masked wherever they stand, and anything that
*looks* like a credential by its place is masked too (values of password/secret/token keys,
every value of a ``[secrets]`` or ``[generated]`` table, CDATA-wrapped credentials and
``*_password='...'`` inside URLs, SQL ``IDENTIFIED BY '...'``, URL user-info passwords,
PEM private keys).  References such as ``$secret{alias}`` or ``$ref{...}`` are not secrets
and stay readable.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

MASK = "****"

_SECRET_KEY = re.compile(r"(?i)(pass(word|wd|phrase)?|pwd|secret|token|credential|private_key|api_key)")
_KEY_VALUE = re.compile(r"""^(?P<lead>\s*(?P<key>[A-Za-z0-9_.'"\-]+)\s*=\s*)(?P<value>.*)$""")
_TABLE = re.compile(r"^\s*\[\[?\s*(?P<name>[^\]]+?)\s*\]\]?\s*(#.*)?$")
_MASKED_TABLES = {"secrets", "generated", "runtime_secrets"}
_REFERENCE = re.compile(r"""^["']?\$(secret|ref|env|sys)?\{""")
_INLINE = [
    # <![CDATA[...]]> around credentials in AMQP URLs and XML-bound values
    (re.compile(r"(<!\[CDATA\[)(.*?)(\]\]>)"), r"\1" + MASK + r"\3"),
    # trust_store_password='...' and friends inside broker URLs (the last one of an event hub
    # ssl string has no closing quote: API-M's template adds it)
    (re.compile(r"(?i)(\w*pass(?:word)?\w*\s*=\s*')([^'\"]*)"), r"\1" + MASK),
    # SQL: IDENTIFIED BY '...', PASSWORD '...', WITH PASSWORD = '...'
    (re.compile(r"(?i)(identified\s+by\s+(?:password\s+)?'|password\s*=?\s*')((?:[^']|'')*)(')"), r"\1" + MASK + r"\3"),
    # scheme://user:password@host
    (re.compile(r"(://[^/\s:@'\"]+:)([^@\s/'\"]+)(@)"), r"\1" + MASK + r"\3"),
]
_PEM_KEY = re.compile(
    r"-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----.*?-----END \1PRIVATE KEY-----", re.DOTALL
)


class Masker:
    def __init__(self, secrets: Iterable[str] = ()):
        values = sorted({s for s in secrets if s}, key=len, reverse=True)
        # A value is masked where it stands as a whole: not inside a longer word, so a
        # password "admin" does not turn "super_admin" into "super_****".
        self._known = (
            re.compile("|".join(_bounded(v) for v in values)) if values else None
        )

    def text(self, text: str) -> str:
        text = _PEM_KEY.sub(MASK, text)
        lines = []
        table = ""
        for line in text.split("\n"):
            header = _TABLE.match(line)
            if header:
                table = header.group("name").strip().strip("'\"")
            else:
                line = self._line(line, table)
            lines.append(line)
        return "\n".join(lines)

    def _line(self, line: str, table: str) -> str:
        for pattern, replacement in _INLINE:
            line = pattern.sub(replacement, line)
        match = _KEY_VALUE.match(line)
        if match and not line.lstrip().startswith("#"):
            key, value = match.group("key"), match.group("value").strip()
            whole_table = table.split(".")[-1] in _MASKED_TABLES or table in _MASKED_TABLES
            if (whole_table or _SECRET_KEY.search(key)) and _is_string(value) and not _REFERENCE.match(value):
                quote = value[0]
                line = f"{match.group('lead')}{quote}{MASK}{quote}"
        if self._known is not None:
            line = self._known.sub(MASK, line)
        return line


def _bounded(value: str) -> str:
    before = r"(?<![A-Za-z0-9_])" if value[0].isalnum() or value[0] == "_" else ""
    after = r"(?![A-Za-z0-9_])" if value[-1].isalnum() or value[-1] == "_" else ""
    return before + re.escape(value) + after


def _is_string(value: str) -> bool:
    return value[:1] in ("'", '"')


def secret_literals(raw: Any, key: str = "") -> set[str]:
    """String values under secret-looking keys of a raw answers dict (an old answers.toml)."""
    found: set[str] = set()
    if isinstance(raw, Mapping):
        for name, value in raw.items():
            if isinstance(value, str) and _SECRET_KEY.search(str(name)):
                found.add(value)
            else:
                found |= secret_literals(value, str(name))
    elif isinstance(raw, list):
        for item in raw:
            found |= secret_literals(item, key)
    return found
