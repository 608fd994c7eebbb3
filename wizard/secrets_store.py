"""Resolve secret references, and keep generated secrets in DIR/secrets.toml.

Generated values are made once and reused on every re-run, so the same answers give the
same bytes.  The store holds what was generated (``[generated]``) and what an operator typed
at a prompt (``[stored]``, referenced as ``{ stored = true }``); never literals from answer
files or env/file values.  Both tables are keyed by the answer field the value belongs to.
"""

from __future__ import annotations

import os
import secrets
import string
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import tomlkit

from .model import Answers
from .problems import Problem, format_path
from .secret_values import SecretRef, iter_secret_fields

SECRETS_FILE = "secrets.toml"
_ALPHABET = string.ascii_letters + string.digits


def generate_password(length: int = 24) -> str:
    """Letters and digits only: safe in XML, AMQP URLs, shell and keytool alike."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


class SecretsFileError(Exception):
    pass


@dataclass
class SecretStore:
    generated: dict[str, str] = field(default_factory=dict)
    stored: dict[str, str] = field(default_factory=dict)  # typed at a prompt: { stored = true }

    @classmethod
    def load(cls, path: Path) -> SecretStore:
        if not path.exists():
            return cls()
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise SecretsFileError(f"{path}: cannot read the secrets: {exc}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise SecretsFileError(f"{path}: not valid TOML ({exc}); restore it from a backup") from exc
        tables = {}
        for name in ("generated", "stored"):
            values = data.get(name, {})
            if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
                raise SecretsFileError(f"{path}: [{name}] must map field names to strings")
            tables[name] = dict(values)
        return cls(**tables)

    def is_empty(self) -> bool:
        return not (self.generated or self.stored)

    def dumps(self) -> str:
        doc = tomlkit.document()
        doc.add(tomlkit.comment("Secrets of this apim-wizard deployment. Keep this file (mode 0600) out of"))
        doc.add(tomlkit.comment("version control: re-runs reuse these values, and the nodes use them."))
        doc.add(tomlkit.comment("[generated]: made by the wizard; [stored]: typed at a prompt ({ stored = true })."))
        doc.add(tomlkit.comment("Each key names the answer field the value belongs to."))
        for name in ("generated", "stored"):
            values = getattr(self, name)
            if values or name == "generated":
                section = tomlkit.table()
                for key in sorted(values):
                    section[key] = values[key]
                doc[name] = section
        return tomlkit.dumps(doc)


@dataclass
class Resolution:
    answers: Answers | None  # resolved copy: every secret field holds a string
    problems: list[Problem]
    store: SecretStore  # what the output's secrets.toml should hold
    sources: dict[str, str] = field(default_factory=dict)  # field -> where its value came from
    # Problems that only say a value is not available here (a variable not set, a file not
    # there): validate may run where the secrets are not (CI), so it warns about these.
    unavailable: list[Problem] = field(default_factory=list)


def resolve_secrets(
    answers: Answers,
    store: SecretStore | None = None,
    environ: Mapping[str, str] | None = None,
    base_dir: Path | None = None,
    generate: Callable[[], str] = generate_password,
) -> Resolution:
    """Replace every secret reference in ``answers`` by its value."""
    environ = os.environ if environ is None else environ
    base_dir = base_dir or Path.cwd()
    old = store.generated if store else {}
    typed = store.stored if store else {}
    kept: dict[str, str] = {}
    kept_typed: dict[str, str] = {}
    problems: list[Problem] = []
    unavailable: list[Problem] = []
    sources: dict[str, str] = {}
    data = answers.model_dump(mode="python")

    for path, value, policy in iter_secret_fields(answers):
        key = format_path(path)
        if isinstance(value, str):
            resolved, origin = value, "answers"
        elif value.env is not None:
            if value.env not in environ:
                problems.append(Problem(path, f"environment variable {value.env} is not set; export it or give the value another way"))
                unavailable.append(problems[-1])
                continue
            resolved, origin = environ[value.env], value.describe()
        elif value.file is not None:
            file = Path(value.file).expanduser()
            file = file if file.is_absolute() else base_dir / file
            try:
                lines = file.read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError) as exc:
                problems.append(Problem(path, f"cannot read secret file {file}: {exc.strerror if isinstance(exc, OSError) else exc}"))
                if isinstance(exc, FileNotFoundError):
                    unavailable.append(problems[-1])
                continue
            if not lines or not lines[0]:
                problems.append(Problem(path, f"secret file {file} is empty; its first line is the value"))
                continue
            resolved, origin = lines[0], f"file {file}"
        elif value.stored:
            if key not in typed:
                problems.append(Problem(path, (
                    "is { stored = true }: its value was typed at a prompt and kept in a secrets file, but the "
                    "secrets file in use has no value for it; pass the secrets.toml saved with the answers "
                    "(apply --secrets FILE) or give the value another way")))
                continue
            resolved = kept_typed[key] = typed[key]
            origin = "typed value (secrets.toml)"
        else:
            resolved = old.get(key) or generate()
            kept[key] = resolved
            origin = "generated (secrets.toml)"
        message = policy.check(resolved)
        if message:
            problems.append(Problem(path, f"the value from {origin} {message}"))
            continue
        sources[key] = origin
        _set(data, path, resolved)

    kept_store = SecretStore(kept, kept_typed)
    if problems:
        return Resolution(None, problems, kept_store, sources, unavailable)
    return Resolution(Answers.model_validate(data), [], kept_store, sources)


def _set(data, path, value) -> None:
    *parents, last = path
    for part in parents:
        data = data[part]
    data[last] = value


def is_resolved(answers: Answers) -> bool:
    return not any(isinstance(v, SecretRef) for _, v, _ in iter_secret_fields(answers))
