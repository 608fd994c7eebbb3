"""Answers as the text an interactive front end shows: shared by the prompts and the Textual app.

The inverse of :meth:`wizard.questions.Question.parse` (what a field starts from), and how a
secret is described without ever showing its value.
"""

from __future__ import annotations

from typing import Any

from wizard.model_paths import MISSING
from wizard.secret_values import SecretRef

SECRET_KINDS = ("env", "file", "generate")


def as_text(value: Any) -> str:
    """An answer as the text a prompt or an input field starts from."""
    if value is MISSING or value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(as_text(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={as_text(v)}" for k, v in value.items())
    return str(value)


def secret_kind(value: Any) -> str:
    """How a secret answer is given: env, file, generate (also the choice for no answer)."""
    if isinstance(value, dict):
        for kind in SECRET_KINDS:
            if kind in value:
                return kind
    return "generate"


def describe_secret(value: Any) -> str:
    """A secret answer in words; a literal value is shown as ****."""
    if isinstance(value, str):
        return "****"
    if isinstance(value, dict):
        try:
            return SecretRef.model_validate(value).describe()
        except ValueError:
            return "(not a valid reference)"
    return "(not set)"
