"""The answer file described for machines and for people: its JSON Schema, and an
annotated example answer file that sets every field.

Both are generated from the answer model (and the questions' help), so they cannot drift
from what the validator accepts; ``docs/answers-example.toml`` is the example as
``apim-wizard schema --example`` prints it, and a test keeps the two equal.
"""

from __future__ import annotations

import textwrap
from typing import Any

import tomlkit
from pydantic import BaseModel
from tomlkit.items import Table

from .model import Answers
from .model_paths import MISSING, SECRET, SECTION, TABLE, effective_value, pattern_of, spec_at
from .problems import Path, format_path, show_value
from .questions import question_for

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def answers_json_schema() -> dict[str, Any]:
    """JSON Schema (2020-12) of an answer file, for editor completion and CI checks.

    It checks structure, types, choices and unknown keys; rules that relate fields (an HA
    cluster needs a load balancer, labels name environments, ...) are the validator's
    (``apim-wizard validate``).
    """
    schema = Answers.model_json_schema()
    schema.pop("title", None)
    return {
        "$schema": SCHEMA_DIALECT,
        "title": "apim-wizard answer file",
        "description": "Answers describing a distributed WSO2 API Manager 4.1-4.4 deployment (TOML). "
        "Cross-field rules are checked by `apim-wizard validate`.",
        **schema,
    }


# ----------------------------------------------------------------- example answer file

# Values for fields that have no default, or whose default (None: derived / not written)
# would leave the field out.  Patterns as in wizard.questions ("*" = any key or row).
EXAMPLES: dict[str, Any] = {
    "name": "example",
    "description": "Annotated example: every field of the answer file (HA, MySQL)",
    "super_admin.password": {"env": "APIM_ADMIN_PASSWORD"},
    "user_store.properties": {"connection_url": "ldaps://ldap.example.com:636", "user_search_base": "ou=Users,dc=example,dc=com"},
    "control_plane.lb_host": "cp.example.com",
    "control_plane.nodes": [
        {"name": "cp-1", "hostname": "cp1.example.com", "ip": "10.0.0.11", "extra_sans": ["cp1.internal.example.com"]},
        {"name": "cp-2", "hostname": "cp2.example.com", "ip": "10.0.0.12"},
    ],
    "gateway.lb_host": "gw.example.com",
    "gateway.nodes": [
        {"name": "gw-1", "hostname": "gw1.example.com", "ip": "10.0.0.21"},
        {"name": "gw-2", "hostname": "gw2.example.com", "ip": "10.0.0.22"},
    ],
    "*.nodes.*.tls_cert": "certs/node.crt",
    "*.nodes.*.tls_key": "certs/node.key",
    "environments": [{"name": "Default"}],
    "databases.*.host": "db.example.com",
    "databases.*.port": 3306,
    "databases.apim_db.password": {"file": "secrets/apim_db.password"},
    "databases.*.params": {"sslMode": "REQUIRED"},
    "databases.*.driver": "com.mysql.cj.jdbc.Driver",
    "databases.*.validation_query": "SELECT 1",
    "pki.ca_cert": "ca/ca.crt",
    "pki.ca_key": "ca/ca.key",
    "features.devportal_url": "https://cp.example.com/devportal",
    "control_plane.lb_ip": "10.0.0.10",
    "gateway.lb_ip": "10.0.0.20",
    "databases.*.admin_user": "root",
    "install.distribution": "wso2am-4.4.0.zip",
    "install.java_home": "/usr/lib/jvm/java-17-openjdk-amd64",
    "install.jdbc_drivers": ["mysql-connector-j-8.4.0.jar"],
    "analytics.auth_token": {"env": "APIM_CHOREO_ON_PREM_KEY"},
}
# Fields written commented out: they only apply with other choices than the example's.
COMMENTED_OUT = ("user_store.properties", "*.nodes.*.tls_cert", "*.nodes.*.tls_key", "pki.ca_cert", "pki.ca_key")

SECRET_FORMS = 'Secret: a literal, { env = "VAR" }, { file = "path" }, { generate = true } or { stored = true }.'

_HEADER = [
    "apim-wizard answer file: an annotated example that sets every field.",
    "Generated from the answer model by `apim-wizard schema --example`; do not edit by hand.",
    "Check a file with `apim-wizard validate --answers FILE`; `apim-wizard schema` prints the JSON Schema.",
    "Each field's comment says what it does, what is allowed and its default.",
    "",
    "Secret fields take a literal or a reference, so the file itself need not hold the secret:",
    '  { env = "VAR" }      the value of environment variable VAR when the deployment is written',
    '  { file = "path" }    the first line of a file (relative to this answer file\'s folder)',
    "  { generate = true }  a random password, made once and kept in DIR/secrets.toml (mode 0600)",
    "  { stored = true }    a value typed at `apim-wizard prompt`, kept in the secrets.toml saved",
    "                       with the answers (mode 0600); apply with --secrets FILE",
    "Answer files the wizard saves never hold a secret value, only these references.",
]


def _match(pattern: str, path: Path) -> bool:
    parts = pattern.split(".")
    return len(parts) == len(path) and all(p == "*" or p == str(q) for p, q in zip(parts, path))


def _lookup(table: dict[str, Any] | tuple[str, ...], path: Path) -> Any:
    keys = table if isinstance(table, tuple) else list(table)
    # The most specific pattern wins: fewest wildcards.
    found = sorted((k.count("*"), k) for k in keys if _match(k, pattern_of(path)) or _match(k, path))
    if not found:
        return MISSING
    return found[0][1] if isinstance(table, tuple) else table[found[0][1]]


def example_answers() -> dict[str, Any]:
    """The example's raw answers: model defaults, with :data:`EXAMPLES` where there is none."""
    return _example(Answers, (), {})


def _example(model: type[BaseModel], prefix: Path, given: dict[str, Any]) -> dict[str, Any]:
    """``given``: values of this level set by the level above (a row of EXAMPLES)."""
    out: dict[str, Any] = {}
    for name in model.model_fields:
        path = (*prefix, name)
        spec = spec_at(path)
        value = given[name] if name in given else _lookup(EXAMPLES, path)
        if spec.kind == SECTION:
            out[name] = _example(spec.model, path, value if isinstance(value, dict) else {})
            continue
        if value is MISSING:
            value = spec.default
        if value is MISSING:
            value = effective_value({}, path)  # e.g. a keystore's file name from the section default
        if spec.kind == TABLE:
            if value is MISSING:
                raise LookupError(f"{format_path(path)}: add rows to wizard.answer_schema.EXAMPLES")
            out[name] = [_example(spec.model, (*path, i), row) for i, row in enumerate(value)]
        elif value is MISSING or value is None:
            raise LookupError(f"{format_path(path)}: add an example to wizard.answer_schema.EXAMPLES")
        else:
            out[name] = value
    return out


def _comment_lines(path: Path, raw: dict) -> list[str]:
    question = question_for(path)
    spec = spec_at(path)
    words = []
    if question is not None:
        words.append(f"{question.label}: {question.help}".rstrip())
        if question.choice_help:
            words.append("; ".join(f"{c}: {h}" for c, h in question.choice_help.items()) + ".")
    elif spec.description:
        words.append(spec.description)
    if spec.choices:
        words.append("Allowed: " + ", ".join(spec.choices) + ".")
    if spec.kind == SECRET:
        words.append(SECRET_FORMS)
    default = spec.default
    if spec.required:
        words.append("Required.")
    elif default is None:
        derived = question.derived_text(raw) if question is not None else ""
        words.append(f"Default: unset ({derived})." if derived else "Default: unset.")
    elif default is not MISSING and default != {} and spec.kind not in (SECTION, TABLE):
        words.append(f"Default: {show_value(default)}.")
    return textwrap.wrap(" ".join(words), width=96, break_on_hyphens=False)


def _fill(container: Table | tomlkit.TOMLDocument, model: type[BaseModel], data: dict, prefix: Path,
          raw: dict, annotate: bool = True) -> None:
    specs = [(name, spec_at((*prefix, name))) for name in model.model_fields]
    nested = [(n, s) for n, s in specs if s.kind in (SECTION, TABLE)]
    for name, spec in specs:
        if (name, spec) in nested:
            continue
        path = (*prefix, name)
        if annotate:
            for line in _comment_lines(path, raw):
                container.add(tomlkit.comment(line))
        value = data[name]
        if _lookup(COMMENTED_OUT, path) is not MISSING:
            container.add(tomlkit.comment(f"{name} = {show_value(value)}"))
        else:
            container.add(name, _item(value))
    for name, spec in nested:
        path = (*prefix, name)
        if spec.kind == SECTION:
            has_own = any(s.kind not in (SECTION, TABLE) for s in (spec_at((*path, n)) for n in spec.model.model_fields))
            table = tomlkit.table(is_super_table=not has_own)
            _fill(table, spec.model, data[name], path, raw, annotate)
            container.add(name, table)
        else:
            rows = tomlkit.aot()
            for index, row in enumerate(data[name]):
                table = tomlkit.table()
                if index == 0 and annotate:
                    for line in _comment_lines(path, raw):
                        table.add(tomlkit.comment(line))
                _fill(table, spec.model, row, (*path, index), raw, annotate and index == 0)
                rows.append(table)
            container.add(name, rows)


def _item(value: Any) -> Any:
    if isinstance(value, dict):
        inline = tomlkit.inline_table()
        inline.update(value)
        return inline
    return value


def example_answers_toml() -> str:
    """The annotated example answer file (``docs/answers-example.toml``)."""
    doc = tomlkit.document()
    for line in _HEADER:
        doc.add(tomlkit.comment(line))
    doc.add(tomlkit.nl())
    raw = example_answers()
    _fill(doc, Answers, raw, (), raw)
    return tomlkit.dumps(doc)
