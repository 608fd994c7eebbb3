"""One wizard session: the answers being edited and what the app knows about them.

No Textual here: the app's widgets read and change the answers only through this class,
which edits the raw answers as the top answer layer (``typed``), validates them with the
one validator (cached per edit) and saves them the way every front end does.  Text that
does not even parse (a list that is not valid TOML) is kept per field until it does, so
it blocks Next like any other problem.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wizard.cli_common import describe, load_layers
from wizard.layers import LayeredAnswers, Origin
from wizard.model import Answers
from wizard.model_paths import MISSING, TABLE, UNSET, get_value
from wizard.problems import Path as FieldPath
from wizard.problems import Problem, errors, format_path
from wizard.questions import STEPS, Question, question_for, step_problems
from wizard.saved_answers import keep_typed_secrets, save_answers, secrets_path_for
from wizard.secrets_store import SecretsFileError, SecretStore
from wizard.validation import validate_answers

TYPED = Origin("typed")


@dataclass(frozen=True)
class Start:
    """Where a session's answers come from: built-in defaults, a preset, answer files."""

    preset: str | None = None
    answer_files: tuple[Path, ...] = ()
    assignments: tuple[str, ...] = ()  # --set PATH=VALUE

    @property
    def kind(self) -> str:
        return "file" if self.answer_files else "preset" if self.preset else "new"


@dataclass(frozen=True)
class Unparsed:
    question: Question
    text: str
    message: str

    def problem(self) -> Problem:
        return Problem(self.question.path, self.message, self.text)


@dataclass
class Saved:
    path: Path
    written: list[Path]
    secrets: Path | None  # the secrets file the replay needs (typed values), if any

    @property
    def replay(self) -> str:
        option = f" --secrets {self.secrets}" if self.secrets else ""
        return f"apim-wizard apply --answers {self.path}{option} --out DIR"


@dataclass
class WizardSession:
    layered: LayeredAnswers
    start: Start = field(default_factory=Start)
    known_secrets: dict[str, str] = field(default_factory=dict)  # { stored = true } values of earlier runs
    notes: list[str] = field(default_factory=list)  # warnings about the sources, shown once
    out_dir: Path | None = None  # offered on the Write step
    save_path: Path | None = None  # where Ctrl+S saves by default
    dirty: bool = False  # typed answers not saved yet
    revision: int = 0  # bumped on every edit: widgets and caches compare it
    unparsed: dict[str, Unparsed] = field(default_factory=dict)
    last_valid: Answers | None = None  # the latest answers that passed, for the preview
    environ: Mapping[str, str] | None = None  # where APIM_WIZARD_* answers came from (None: os.environ)
    _validated: tuple[int, Answers | None, list[Problem]] | None = None
    _by_key: tuple[int, dict[str, list[Problem]]] | None = None

    @classmethod
    def open(cls, start: Start = Start(), out_dir: Path | None = None,
             environ: Mapping[str, str] | None = None) -> WizardSession:
        """Answers from ``start`` (plus APIM_WIZARD_* variables), as every command layers them.
        Raises CliError (with the CLI's exit code) when a source cannot be read."""
        args = argparse.Namespace(preset=start.preset, answers=list(start.answer_files) or None,
                                  assignments=list(start.assignments), source_required=False)
        layered = load_layers(args, environ)
        session = cls(layered, start, out_dir=out_dir, environ=environ)
        for path in start.answer_files:
            try:
                session.known_secrets.update(SecretStore.load(secrets_path_for(path)).stored)
            except SecretsFileError as exc:
                session.notes.append(f"{exc}; values typed in earlier runs are not available")
        if start.answer_files:
            session.save_path = start.answer_files[-1]
        session.validated()
        return session

    # ------------------------------------------------------------------ reading

    @property
    def raw(self) -> dict:
        return self.layered.raw

    @property
    def source(self) -> str:
        return self.layered.source

    @property
    def base_dir(self) -> Path:
        return self.layered.base_dir

    def validated(self) -> tuple[Answers | None, list[Problem]]:
        """The one validator's verdict on the answers as they stand (cached per edit)."""
        if self._validated is None or self._validated[0] != self.revision:
            answers, problems = validate_answers(self.raw)
            self._validated = (self.revision, answers, problems)
            if answers is not None:
                self.last_valid = answers
        return self._validated[1], self._validated[2]

    @property
    def answers(self) -> Answers | None:
        return self.validated()[0]

    def problems(self) -> list[Problem]:
        """Every problem: the validator's, then text that does not parse."""
        return self.validated()[1] + [u.problem() for u in self.unparsed.values()]

    def problems_by_key(self) -> dict[str, list[Problem]]:
        """Problems by the key of the (bound) question that answers them: what each field
        shows.  A problem about a whole table of the answer file (``control_plane`` missing)
        is under ``section:`` + its path, shown at the table's heading; problems no question
        answers are under ``""`` (fixed on Review)."""
        cached = self._by_key
        if cached is not None and cached[0] == self.revision:
            return cached[1]
        by_key: dict[str, list[Problem]] = {}
        for problem in self.problems():
            by_key.setdefault(problem_key(problem), []).append(problem)
        self._by_key = (self.revision, by_key)
        return by_key

    def step_errors(self, step_key: str) -> list[Problem]:
        """Errors that keep Next from leaving a step."""
        found = errors(step_problems(step_key, self.raw))
        return found + [u.problem() for u in self.unparsed.values() if u.question.step == step_key]

    def errors_by_step(self) -> dict[str, int]:
        """How many errors each step has (the step list's counts); ``""`` for problems no
        question answers (fixed on Review)."""
        counts: dict[str, int] = {}
        for problem in errors(self.problems()):
            question = question_for(problem.path)
            key = question.step if question is not None else ""
            counts[key] = counts.get(key, 0) + 1
        return counts

    def step_applies(self, step_key: str) -> bool:
        """Whether a step asks anything for these answers (Load balancers: only for HA)."""
        from wizard.questions import questions

        asks = questions(step_key)
        return not asks or any(q.applies(self.raw) for q in asks)

    def describe(self) -> str:
        answers = self.answers
        return describe(answers) if answers is not None else "answers not complete"

    # ------------------------------------------------------------------ editing

    def _edited(self) -> None:
        self.revision += 1
        self.dirty = True

    def set(self, question: Question, value: Any) -> None:
        """The operator's answer (UNSET: none, the default applies again)."""
        self.unparsed.pop(question.key, None)
        if value is UNSET:
            if get_value(self.raw, question.path) is MISSING:
                self.revision += 1  # an unparsed text may have gone
                return
            self.layered.assign(question.path, UNSET, TYPED)
        elif get_value(self.raw, question.path) != value:
            self.layered.assign(question.path, value, TYPED)
        else:
            self.revision += 1
            return
        self._edited()

    def set_unparsed(self, question: Question, text: str, message: str) -> None:
        self.unparsed[question.key] = Unparsed(question, text, message)
        self.revision += 1

    def _materialize(self, table: Question) -> None:
        """Rows that come from the model default become answers before one is edited."""
        if get_value(self.raw, table.path) is MISSING:
            self.layered.assign(table.path, [dict(r) for r in table.rows(self.raw)], TYPED)

    def add_row(self, table: Question) -> int:
        """A new row, counted on from the last one (cp-2 -> cp-3); returns its index."""
        rows = table.rows(self.raw)
        index = len(rows)
        self._materialize(table)
        self.layered.assign((*table.path, index), table.new_row(rows, index), TYPED)
        self._edited()
        return index

    def remove_row(self, table: Question, index: int) -> None:
        self._materialize(table)
        self.layered.assign((*table.path, index), UNSET, TYPED)
        # Unparsed text of the removed row (and of rows that moved up) no longer matches a field.
        n = len(table.path)
        self.unparsed = {k: u for k, u in self.unparsed.items()
                         if not (u.question.path[:n] == table.path and len(u.question.path) > n)}
        self._edited()

    def remove_answer(self, path: FieldPath) -> None:
        """Drop an answer no question asks for (e.g. an unknown key from an answer file)."""
        from wizard.model_paths import remove_value

        remove_value(self.raw, path)
        self._edited()

    # ------------------------------------------------------------------ saving

    def for_writing(self) -> tuple[Answers, dict[str, str]]:
        """The answers with typed secrets as ``{ stored = true }``, and those values (what
        an answer file and a secrets file hold).  Requires valid answers."""
        answers = self.answers
        if answers is None:
            raise ValueError("the answers are not valid")
        return keep_typed_secrets(answers, self.known_secrets)

    def save(self, path: Path) -> Saved:
        """Save the answer file (and the typed secrets next to it).  Raises ValueError when
        the answers are not valid, SecretsFileError / OSError when the files cannot be written."""
        answers, stored = self.for_writing()
        written = save_answers(answers, path, stored)
        self.known_secrets.update(stored)
        self.save_path = path
        self.dirty = False
        return Saved(path, written, secrets_path_for(path) if stored else None)

    def written(self) -> None:
        """The deployment (with its answers.toml) was written: nothing typed is lost on quit."""
        self.dirty = False


def problem_key(problem: Problem) -> str:
    """Where a problem is shown: its question's key, ``section:PATH``, or ``""`` (no question)."""
    question = question_for(problem.path)
    if question is None:
        return ""
    if len(problem.path) < len(question.path) and question.kind != TABLE:
        return "section:" + format_path(problem.path)
    return question.key


def first_errors(problems: Iterable[Problem], limit: int = 3) -> list[str]:
    shown = [str(p) for p in errors(list(problems))]
    more = len(shown) - limit
    return shown[:limit] + ([f"... and {more} more"] if more > 0 else [])


STEP_KEYS = [s.key for s in STEPS]
