"""Saving answers from an interactive front end, with no secret value in the answer file.

A secret typed at a prompt is kept in a secrets file (mode 0600) next to the answer file,
in its ``[stored]`` table keyed by the field, and the answer file says
``{ stored = true }``.  Next to ``answers.toml`` the secrets file is ``secrets.toml`` (the
layout of a deployment folder); next to ``NAME.toml`` it is ``NAME.secrets.toml``.  Replay
with ``apim-wizard apply --answers NAME.toml --secrets NAME.secrets.toml --out DIR``.
"""

from __future__ import annotations

import os
from pathlib import Path

from .answers_io import dump_answers
from .model import Answers
from .plan import SECRET_MODE
from .writer import write_atomic
from .problems import format_path
from .secret_values import SecretRef, iter_secret_fields
from .secrets_store import SECRETS_FILE, SecretStore

SAVED_HEADER = [
    "apim-wizard answers: replay with",
    "  apim-wizard apply --answers <this file> --secrets <its secrets file> --out <DIR>",
    "Secret fields hold references only; values typed at the prompt ({ stored = true }) are in",
    "the secrets file saved next to this file (mode 0600).",
]


def secrets_path_for(answers_path: Path) -> Path:
    if answers_path.name == "answers.toml":
        return answers_path.with_name(SECRETS_FILE)
    return answers_path.with_name(f"{answers_path.stem}.secrets.toml")


def _with_secrets(answers: Answers, replace) -> Answers:
    """``answers`` with each secret field for which ``replace(path, value)`` gives a
    reference set to it (None: left as it is)."""
    data = answers.model_dump(mode="python")
    changed = False
    for path, value, _ in iter_secret_fields(answers):
        reference = replace(path, value)
        if reference is None:
            continue
        target = data
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = reference
        changed = True
    return Answers.model_validate(data) if changed else answers


def keep_typed_secrets(answers: Answers, known: dict[str, str]) -> tuple[Answers, dict[str, str]]:
    """The answers with every literal secret replaced by ``{ stored = true }``, and the
    values the secrets file must hold: those literals, and the values ``known`` from
    earlier runs for fields that already say ``{ stored = true }``."""
    values: dict[str, str] = {}

    def stored(path, value):
        key = format_path(path)
        if isinstance(value, str):
            values[key] = value
            return SecretRef(stored=True)
        if value.stored and key in known:
            values[key] = known[key]
        return None

    return _with_secrets(answers, stored), values


def secrets_by_reference(answers: Answers, origins: dict) -> tuple[Answers, dict[str, str]]:
    """Literal secrets that came from an environment variable or ``--set`` (``origins``:
    :attr:`~wizard.layers.LayeredAnswers.origins`), as references: ``{ env = VAR }`` for a
    variable, ``{ stored = true }`` for ``--set`` (returned, to keep in the secrets file).
    The answers an apply writes then hold no secret value that no answer file held."""
    stored: dict[str, str] = {}

    def reference(path, value):
        origin = origins.get(path)
        if not isinstance(value, str) or origin is None or origin.layer not in ("env", "set"):
            return None
        if origin.layer == "env":
            return SecretRef(env=origin.detail)
        stored[format_path(path)] = value
        return SecretRef(stored=True)

    return _with_secrets(answers, reference), stored


def cannot_save_to(path: Path) -> str:
    """Why an answer file cannot be saved at ``path`` (its nearest existing folder is a file,
    or cannot be written), or ``""``: front ends ask again before anything is lost."""
    for folder in path.parents:
        if not folder.exists():
            continue  # made when saving
        if not folder.is_dir():
            return f"{folder} is a file, not a folder, so {path} cannot be saved there"
        if not os.access(folder, os.W_OK | os.X_OK):
            return f"{folder}: the folder cannot be written (permission denied), so {path} cannot be saved there"
        return ""
    return ""


def save_answers(answers: Answers, path: Path, stored: dict[str, str]) -> list[Path]:
    """Write the answer file and, when there are typed secrets, merge them into the secrets
    file next to it.  ``answers`` must hold no literal secret (see :func:`keep_typed_secrets`).
    Both files are written atomically; returns the files written."""
    if any(isinstance(v, str) for _, v, _ in iter_secret_fields(answers)):
        raise ValueError("saved answers must not hold a secret value; pass them through keep_typed_secrets()")
    path.parent.mkdir(parents=True, exist_ok=True)
    written = []
    secrets_path = secrets_path_for(path)
    if stored:
        store = SecretStore.load(secrets_path)  # SecretsFileError when it is not a secrets file
        if any(store.stored.get(k) != v for k, v in stored.items()):
            store.stored.update(stored)
            write_atomic(secrets_path, store.dumps().encode(), SECRET_MODE)
            written.append(secrets_path)
    write_atomic(path, dump_answers(answers, SAVED_HEADER).encode(), SECRET_MODE)
    written.insert(0, path)
    return written
