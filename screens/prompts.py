"""The wizard as plain prompts (questionary), for terminals where a full-screen app is not
an option: serial consoles, some SSH clients, screen readers.

It walks the steps and questions of :mod:`wizard.questions` (the Textual wizard renders the
same registry): same labels, help, defaults and checks.  It edits the raw answers through
:class:`wizard.layers.LayeredAnswers` (typed answers are the top layer) and shows what
``wizard/`` renders; it computes no configuration itself.

Output is plain text, one fact per line, so it reads well in a transcript and through a
screen reader; colour is never the only signal.  Nothing is written until every decision
is taken, so Ctrl-C at any prompt leaves the disk untouched.
"""

from __future__ import annotations

import os
import signal
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import questionary
from prompt_toolkit.application.current import get_app_session

from screens.answer_text import as_text, describe_secret, secret_kind
from wizard.answers_io import ANSWERS_FILE, AnswersFileError, load_answers_file
from wizard.build import BuildOptions, build_deployment
from wizard.cli_common import EXIT_INVALID, EXIT_IO, EXIT_OK, EXIT_USAGE, CliError, describe, load_layers
from wizard.explain import explain, format_rows
from wizard.layers import LayeredAnswers, Origin
from wizard.model import Answers
from wizard.model_paths import (
    BOOL,
    CHOICE,
    MISSING,
    MULTI_CHOICE,
    SECRET,
    TABLE,
    UNSET,
    get_value,
    remove_value,
)
from wizard.plan import OutputDirError, Plan, check_output_dir, make_plan
from wizard.plan_report import print_conflicts, print_plan
from wizard.writer import apply_plan, recover
from wizard.preview import node_previews
from wizard.presets import list_presets
from wizard.problems import Problem, errors, format_path, warnings
from wizard.questions import STEPS, Question, question_for, questions, step, step_problems
from wizard.saved_answers import cannot_save_to, keep_typed_secrets, save_answers, secrets_path_for
from wizard.secrets_store import SECRETS_FILE, SecretsFileError, SecretStore
from wizard.validation import validate_answers

EXIT_CANCELLED = 130
TYPED = Origin("typed")
ASKED_STEPS = [s for s in STEPS if s.key not in ("review", "write")]


def run_prompt_wizard(args, out: TextIO) -> int:
    """``apim-wizard prompt``: ask, show, then save and/or write.  Exit code as the CLI's."""
    if not _has_terminal():
        raise CliError(
            "prompt needs a terminal on stdin to ask its questions; for scripted runs give the answers "
            "instead: apim-wizard apply --answers FILE --out DIR (or --preset NAME, --set PATH=VALUE, "
            "APIM_WIZARD_* variables)",
            EXIT_USAGE,
        )
    try:
        flow = PromptFlow(args, out)
        return flow.run()
    except KeyboardInterrupt:
        print("\napim-wizard: cancelled: nothing was written", file=out)
        return EXIT_CANCELLED
    except EOFError:
        print("\napim-wizard: the input ended before the wizard finished: nothing was written", file=out)
        return EXIT_USAGE
    except OSError as exc:
        raise CliError(f"{exc.filename or 'output'}: cannot write: {exc.strerror}", EXIT_IO) from None


def _has_terminal() -> bool:
    # An input handed to prompt_toolkit (embedding, tests with a pipe) counts as a terminal.
    if getattr(get_app_session(), "_input", None) is not None:
        return True
    return sys.stdin.isatty()


@dataclass
class Decisions:
    save_to: Path | None = None
    out_dir: Path | None = None
    plan: Plan | None = None
    write_refused: bool = False  # writing was asked for but the build refused (e.g. an unset variable)
    declined: Path | None = None  # the output folder whose plan the operator declined to write
    declined_why: str = ""
    needs_force: bool = False  # apply must be told to write into that folder anyway
    answers: Answers | None = None  # secrets as references only
    stored: dict[str, str] = field(default_factory=dict)  # typed secret values to keep


class PromptFlow:
    def __init__(self, args, out: TextIO):
        self.args = args
        self.out = out
        self.prefilled = args.preset is not None or bool(args.answers)
        if not self.prefilled:
            self._choose_start()
        self.layered: LayeredAnswers = load_layers(args)
        self.known_secrets: dict[str, str] = {}  # { stored = true } values from earlier runs
        for path in args.answers or []:
            try:
                self.known_secrets.update(SecretStore.load(secrets_path_for(path)).stored)
            except SecretsFileError as exc:
                self.say(f"warning: {exc}; values typed in earlier runs are not available")
        self.advanced: dict[str, bool] = {}

    @property
    def raw(self) -> dict:
        return self.layered.raw

    # ------------------------------------------------------------------ output

    def say(self, text: str = "", indent: str = "") -> None:
        print(f"{indent}{text}" if text else "", file=self.out)

    def explain_text(self, text: str, indent: str) -> None:
        """Help paragraphs, wrapped for an 80-100 column terminal (messages are not: they
        hold paths and values that must stay whole)."""
        print(textwrap.fill(text, width=100, initial_indent=indent, subsequent_indent=indent,
                            break_long_words=False, break_on_hyphens=False), file=self.out)

    def report(self, problems: list[Problem]) -> None:
        for problem in errors(problems):
            self.say(f"error: {problem}", "  ")
        for problem in warnings(problems):
            self.say(f"warning: {problem}", "  ")

    # ------------------------------------------------------------------ flow

    def run(self) -> int:
        self.say(f"apim-wizard: answers from {self.layered.source}; Ctrl-C at any prompt quits, writing nothing.")
        for number, current in enumerate(ASKED_STEPS, 1):
            self.ask_step(current, number)
        answers = self.review()
        if answers is None:
            return EXIT_INVALID
        self.show_summary(answers)
        decisions = self.decide(answers)
        if decisions.save_to is None and decisions.plan is None:
            self.say("Nothing was written.")
            if decisions.declined is not None:
                self.say_not_written(decisions, "")
        else:
            with _sigint_deferred() as interrupted:
                self.perform(decisions)
            if interrupted:
                self.say("Ctrl-C came while writing; every file above was written completely.")
        return EXIT_INVALID if decisions.write_refused else EXIT_OK

    def _choose_start(self) -> None:
        start = questionary.select(
            "How do you want to start?",
            choices=[
                questionary.Choice("a new deployment (every question from the built-in defaults)", "new"),
                questionary.Choice("a preset (a shipped topology)", "preset"),
                questionary.Choice("an answer file saved before", "file"),
            ],
        ).unsafe_ask()
        if start == "preset":
            presets = list_presets()
            self.args.preset = questionary.select(
                "Preset", choices=[questionary.Choice(f"{p.name}: {p.description}", p.name) for p in presets]
            ).unsafe_ask()
            self.prefilled = True
        elif start == "file":
            while True:
                path = Path(questionary.path("Answer file").unsafe_ask()).expanduser()
                try:
                    load_answers_file(path)
                except AnswersFileError as exc:
                    self.say(f"error: {exc}", "  ")
                    continue
                self.args.answers = [path]
                self.prefilled = True
                break

    def ask_step(self, current, number: int) -> None:
        applicable = [q for q in questions(current.key) if q.applies(self.raw)]
        if not applicable:
            return
        self.say()
        self.say(f"== Step {number}/{len(ASKED_STEPS)}: {current.title} ==")
        self.explain_text(current.help, "   ")
        # A step whose answers all pass (from a preset, a file or the defaults) is shown and
        # kept unless the operator wants to change it; a step with problems is asked in full.
        problems = errors(step_problems(current.key, self.raw))
        if problems:
            self.say("To fix in this step:", "   ")
            self.report(problems)
        else:
            for question in applicable:
                if not question.advanced:
                    self.say(f"{question.label} [{question.key}]: {self.shown(question)}", "   ")
            if not questionary.confirm(f"Change the {current.title} settings?", default=False).unsafe_ask():
                return
        for question in questions(current.key):
            if not question.applies(self.raw):
                continue
            if self.wanted(question):
                self.ask(question)

    def wants_advanced(self, current, asking: Question) -> bool:
        """Asked once per step, when its first advanced question (``asking``) comes up."""
        if current.key not in self.advanced:
            self.advanced[current.key] = questionary.confirm(
                f"Also change the advanced settings ({self.advanced_settings(current, asking)})?", default=False
            ).unsafe_ask()
        return self.advanced[current.key]

    def advanced_settings(self, current, asking: Question) -> str:
        """The advanced settings of a step that apply (table columns included), each label
        once; a label the step uses in several places (the databases' JDBC settings) says
        where: ``JDBC URL parameters, ...; each for databases.apim_db and databases.shared_db``."""
        applying: dict[str, list[str]] = {}  # label -> where it applies, in order
        places: dict[str, set[str]] = {}  # label -> every place of the step that has it
        for question in questions(current.key):
            if question.kind == TABLE:
                for column in question.columns:
                    if column.advanced:
                        places.setdefault(column.label, set()).add(question.key)
                rows = question.rows(self.raw) if question.applies(self.raw) else []
                for index in range(len(rows)):
                    for column in question.row_questions(self.raw, index):
                        if column.advanced:
                            _add_once(applying.setdefault(column.label, []), question.key)
            elif question.advanced:
                where = format_path(question.path[:-1])
                places.setdefault(question.label, set()).add(where)
                if question.applies(self.raw):
                    _add_once(applying.setdefault(question.label, []), where)
        if not applying:  # cannot happen while ``asking`` applies; never an empty list
            applying[asking.label] = [format_path(asking.path[:-1])]
        groups: dict[tuple[str, ...], list[str]] = {}
        for label, where in applying.items():
            groups.setdefault(tuple(where) if len(places.get(label, ())) > 1 else (), []).append(label)
        return "; ".join(
            ", ".join(labels) + (f", {'each ' if len(where) > 1 else ''}for {_and(list(where))}" if where else "")
            for where, labels in groups.items()
        )

    def shown(self, question: Question) -> str:
        value = question.current(self.raw)
        if question.kind == TABLE:
            rows = question.rows(self.raw)
            names = [str(r.get("name", "?")) for r in rows if isinstance(r, dict)]
            return f"{len(rows)}: {', '.join(names)}"
        if question.kind == SECRET:
            return describe_secret(value)
        if value is MISSING or value is None:
            derived = question.derived_text(self.raw)
            return f"(not set{': ' + derived if derived else ''})"
        return as_text(value)

    # --------------------------------------------------------------- questions

    def ask(self, question: Question) -> None:
        if question.kind == TABLE:
            self.ask_table(question)
            return
        self.say()
        self.explain_text(f"{question.key}: {question.help}", "  ")
        ask = {SECRET: self.ask_secret, BOOL: self.ask_bool, CHOICE: self.ask_choice,
               MULTI_CHOICE: self.ask_multi_choice}.get(question.kind, self.ask_text)
        self.set(question, ask(question))

    def set(self, question: Question, value: Any) -> None:
        written = get_value(self.raw, question.path)
        if value is UNSET:
            if written is not MISSING:
                self.layered.assign(question.path, UNSET, TYPED)
        elif written is MISSING and value == question.current(self.raw):
            return  # a built-in default confirmed with Enter: nothing typed, it stays the default
        elif written != value:
            self.layered.assign(question.path, value, TYPED)

    def accepted(self, question: Question, value: Any) -> bool:
        """Check an answer with the one validator; print why it is refused."""
        problems = question.check(self.raw, value)
        self.report(problems)
        return not errors(problems)

    def ask_text(self, question: Question) -> Any:
        text = as_text(question.current(self.raw))
        derived = question.derived_text(self.raw)
        hint = {"list": "comma-separated", "mapping": "key=value, key=value"}.get(question.kind, "")
        hint = "; ".join(h for h in (hint, f"empty: {derived}" if derived else "") if h)
        while True:
            text = questionary.text(question.label, default=text, instruction=f"({hint})" if hint else None).unsafe_ask()
            try:
                value = question.parse(text)
            except ValueError as exc:
                self.say(f"error: {question.key}: {exc}", "  ")
                continue
            if self.accepted(question, value):
                return value

    def ask_bool(self, question: Question) -> Any:
        while True:
            current = question.current(self.raw)
            value = questionary.confirm(question.label, default=bool(current) if isinstance(current, bool) else False).unsafe_ask()
            if self.accepted(question, value):
                return value

    def ask_choice(self, question: Question) -> Any:
        current = question.current(self.raw)
        choices = [
            questionary.Choice(f"{c}: {question.choice_help[c]}" if c in question.choice_help else c, c)
            for c in question.choices
        ]
        while True:
            value = questionary.select(
                question.label, choices=choices, default=current if current in question.choices else None
            ).unsafe_ask()
            if self.accepted(question, value):
                return value

    def ask_multi_choice(self, question: Question) -> Any:
        current = question.current(self.raw)
        selected = set(current) if isinstance(current, list) else set()
        while True:
            choices = [questionary.Choice(c, c, checked=c in selected) for c in question.choices]
            value = questionary.checkbox(question.label, choices=choices).unsafe_ask()
            if self.accepted(question, value):
                return value
            selected = set(value)

    def ask_table(self, question: Question) -> None:
        rows = question.rows(self.raw)
        if not question.rows_editable and not any(self.may_ask(c) for i in range(len(rows))
                                                  for c in question.row_questions(self.raw, i)):
            return
        self.say()
        self.explain_text(f"{question.key}: {question.help}", "  ")
        count = len(rows)
        if question.rows_editable:
            count = self.ask_row_count(question, count)
            if count < len(rows) or get_value(self.raw, question.path) is MISSING:
                self.layered.assign(question.path, [dict(r) for r in rows[:count]], TYPED)
        for index in range(count):
            rows = question.rows(self.raw)
            if index == len(rows):  # suggested from the rows answered so far
                self.layered.assign((*question.path, index), question.new_row(rows, index), TYPED)
            header = f"-- {question.label} [{index + 1}] {question.rows(self.raw)[index].get('name', '')}".rstrip()
            for column in question.row_questions(self.raw, index):
                if column.applies(self.raw) and self.may_ask(column) and self.wanted(column):
                    if header:
                        self.say(header)
                        header = ""
                    self.ask(column)

    def may_ask(self, question: Question) -> bool:
        """False for an advanced question of a step whose advanced settings were declined."""
        return not question.advanced or self.advanced.get(question.step, True) or bool(errors(question.check(self.raw)))

    def wanted(self, question: Question) -> bool:
        """Whether to ask: advanced questions only on request (or when refused as they are)."""
        if not question.advanced or errors(question.check(self.raw)):
            return True
        return self.wants_advanced(step(question.step), question)

    def ask_row_count(self, question: Question, current: int) -> int:
        low, high = max(question.min_rows, 1 if question.required else 0), question.max_rows
        allowed = f"at least {low}" if high is None else f"{low} to {high}"
        hint = "1 = single mode, 2 or more = HA" if question.path[-1] == "nodes" else f"at least {low}"
        hint += "" if high is None else f"; at most {high}"
        text = str(current or low)
        while True:
            text = questionary.text(f"How many? {question.label}", default=text, instruction=f"({hint})").unsafe_ask()
            digits = text.strip()
            if not digits.isdecimal():
                self.say(f"error: {question.key}: {text!r} is not a whole number; give how many rows ({allowed})", "  ")
                continue
            count = int(digits) if len(digits) <= 12 else None  # None: more rows than anything holds
            if count is None or (high is not None and count > high):
                # Refused before any row is made: a huge count must not build (or ask) that many rows.
                shown = digits if count is not None else f"a {len(digits)}-digit number"
                limit = f"the {high} the answers allow" if high is not None else "any table holds"
                self.say(f"error: {question.key}: {shown} is more than {limit}; give {allowed}", "  ")
                continue
            trial = [dict(r) for r in question.rows(self.raw)[:count]]
            trial += [{} for _ in range(count - len(trial))]
            problems = question.check(self.raw, trial, under=False)
            self.report(problems)
            if not errors(problems):
                return count

    def ask_secret(self, question: Question) -> Any:
        current = question.current(self.raw)
        options = []
        if isinstance(current, str) or (isinstance(current, dict) and current.get("stored")):
            options.append(questionary.Choice(f"keep the value given ({describe_secret(current)})", "keep"))
        options += [
            questionary.Choice(f"generate a password (made once, kept in {SECRETS_FILE}, mode 0600)", "generate"),
            questionary.Choice("read it from an environment variable when writing", "env"),
            questionary.Choice("read it from a file (its first line) when writing", "file"),
            questionary.Choice(f"type it now (hidden; kept in a {SECRETS_FILE}, never in the answer file)", "type"),
        ]
        if question.nullable:
            options.append(questionary.Choice("none", "none"))
        default = "keep" if options[0].value == "keep" else secret_kind(current)
        while True:
            how = questionary.select(question.label, choices=options, default=default).unsafe_ask()
            value = self.secret_value(question, how, current)
            if value is None:
                continue
            if self.accepted(question, value):
                if how == "env" and value["env"] not in os.environ:
                    self.say(f"note: {value['env']} is not set in this shell; it must be when the deployment is written", "  ")
                return value

    def secret_value(self, question: Question, how: str, current: Any) -> Any:
        if how == "keep":
            return current
        if how == "none":
            return UNSET
        if how == "generate":
            return {"generate": True}
        if how == "env":
            name = current.get("env", "") if isinstance(current, dict) else ""
            return {"env": questionary.text("Environment variable", default=name).unsafe_ask().strip()}
        if how == "file":
            name = current.get("file", "") if isinstance(current, dict) else ""
            return {"file": questionary.path("File", default=name).unsafe_ask().strip()}
        first = questionary.password(f"{question.label} (hidden)").unsafe_ask()
        again = questionary.password("Again, to confirm").unsafe_ask()
        if first != again:
            self.say("error: the two entries differ; type it again", "  ")
            return None
        return first

    # ------------------------------------------------------------------ review

    def review(self) -> Answers | None:
        """Ask again for every field the validator still refuses, until none is left."""
        for _ in range(100):
            answers, problems = validate_answers(self.raw)
            if answers is not None:
                if warnings(problems):
                    self.say()
                    self.say("Review: the answers are valid, with warnings:")
                    self.report(problems)
                return answers
            self.say()
            self.say(f"Review: {len(errors(problems))} problem(s) left:")
            self.report(problems)
            problem = errors(problems)[0]
            question = question_for(problem.path)
            if question is None:
                if get_value(self.raw, problem.path) is MISSING:
                    self.say(f"error: {problem.field} cannot be fixed here; fix the answer file and run again", "  ")
                    return None
                if not questionary.confirm(f"Remove {problem.field} from the answers?", default=True).unsafe_ask():
                    self.say("The answers stay invalid: nothing was written.")
                    return None
                remove_value(self.raw, problem.path)
                continue
            self.ask(question)
        self.say("The answers keep failing validation: nothing was written.")
        return None

    def show_summary(self, answers: Answers) -> None:
        self.say()
        self.say(f"== Summary: {describe(answers)} ==")
        rows, _ = explain(self.layered)
        changed = [r for r in rows if r.origin.layer != "default"]
        # A default confirmed with Enter is not typed (see set()); a preset or file may still
        # pin a value equal to the default, so the heading says "not left to", not "not at".
        self.say("Answers not left to the built-in defaults (value, then where it comes from):")
        for line in format_rows(changed):
            print(f"  {line}", file=self.out)
        for node, text in node_previews(answers):
            self.say()
            self.say(f"-- {node.name}/repository/conf/deployment.toml (passwords shown as ********) --")
            print(text.rstrip("\n"), file=self.out)

    # ------------------------------------------------------------- save, write

    def decide(self, answers: Answers) -> Decisions:
        referenced, stored = keep_typed_secrets(answers, self.known_secrets)
        decisions = Decisions(answers=referenced, stored=stored)
        self.say()
        if questionary.confirm("Save the answers to a file?", default=True).unsafe_ask():
            decisions.save_to = self.ask_save_path()
        if questionary.confirm("Write the deployment now?", default=True).unsafe_ask():
            decisions.out_dir, decisions.plan = self.ask_plan(referenced, stored, decisions)
        if decisions.declined is not None and decisions.save_to is None:
            self.say(f"The deployment will NOT be written to {decisions.declined}.")
            if questionary.confirm("Save the answers, to write it later with apim-wizard apply?",
                                   default=True).unsafe_ask():
                decisions.save_to = self.ask_save_path()
        return decisions

    def ask_save_path(self) -> Path:
        default = str(self.args.answers[-1]) if self.args.answers else "answers.toml"
        while True:
            path = Path(questionary.path("Answer file", default=default).unsafe_ask().strip()).expanduser()
            if path.is_dir():
                self.say(f"error: {path} is a folder; give a file name", "  ")
                continue
            reason = cannot_save_to(path)
            if reason:
                self.say(f"error: {reason}; give another path", "  ")
                continue
            try:
                SecretStore.load(secrets_path_for(path))
            except SecretsFileError as exc:
                self.say(f"error: {exc}", "  ")
                continue
            if path.exists() and not questionary.confirm(
                    f"{path} exists. Replace it (comments in it are not kept)?", default=False).unsafe_ask():
                continue
            return path

    def ask_plan(self, answers: Answers, stored: dict[str, str], decisions: Decisions) -> tuple[Path | None, Plan | None]:
        default = str(self.args.out or "apim-deployment")
        while True:
            out_dir = Path(questionary.path("Output folder", default=default, only_directories=True).unsafe_ask().strip()).expanduser()
            forced = False
            try:
                check_output_dir(out_dir)
            except OutputDirError as exc:
                self.say(f"error: {exc}", "  ")
                if not out_dir.is_dir() or not questionary.confirm("Write into it anyway?", default=False).unsafe_ask():
                    continue
                forced = True
            try:
                # An apply killed earlier is settled first: its keys may sit in temporary files.
                recovery = recover(out_dir)
                if recovery:
                    self.say(recovery.describe(), "  ")
                store = SecretStore.load(out_dir / SECRETS_FILE)
                store.stored.update(stored)
                build = build_deployment(answers, store, options=BuildOptions(out_dir=out_dir, base_dir=self.layered.base_dir))
                if not build.ok:
                    self.say("The deployment cannot be written yet:")
                    self.report(build.problems)
                    self.say("The answers can still be saved; write later with apim-wizard apply.")
                    decisions.write_refused = True
                    return None, None
                plan = make_plan(out_dir, build.files)
            except (OutputDirError, SecretsFileError) as exc:
                self.say(f"error: {exc}", "  ")
                continue
            self.say(f"Plan for {out_dir}:")
            print_plan(plan, self.out)
            if plan.conflicts:
                print_conflicts(plan, self.out)
                if not questionary.confirm("Replace them (each is backed up first)?", default=False).unsafe_ask():
                    decisions.declined, decisions.needs_force = out_dir, True
                    decisions.declined_why = "the files in the way were left as they are"
                    return None, None
                plan, forced = make_plan(out_dir, build.files, force=True), True
            if not plan.has_changes:
                self.say("The folder already matches the answers.")
            if questionary.confirm(f"Write {plan.summary()}?", default=True).unsafe_ask():
                return out_dir, plan
            decisions.declined, decisions.needs_force = out_dir, forced
            return None, None

    def perform(self, decisions: Decisions) -> None:
        option = ""  # --secrets FILE for the replay command, when typed secrets were saved
        if decisions.plan is not None:
            result = apply_plan(decisions.plan)
            for path, backup in sorted(result.backups.items()):
                self.say(f"backup     {path} -> {backup}", "  ")
            self.say(f"Wrote the deployment to {decisions.out_dir}: {decisions.plan.summary()}.")
            self.say(f"Passwords are in {decisions.out_dir / SECRETS_FILE} (mode 0600); keep it safe.")
        if decisions.save_to is not None and decisions.plan is not None and (
                decisions.save_to.resolve() == (decisions.out_dir / ANSWERS_FILE).resolve()):
            self.say(f"The answers are in the deployment: {decisions.save_to} (no secret values in it).")
            self.say(f"Replay: apim-wizard apply --answers {decisions.save_to} --out {decisions.out_dir}")
        elif decisions.save_to is not None:
            written = self.save(decisions)
            if written is not None:
                self.say(f"Saved the answers to {decisions.save_to} (no secret values in it).")
                secrets = secrets_path_for(decisions.save_to)
                if decisions.stored:
                    if secrets in written:
                        self.say(f"Typed secrets are in {secrets} (mode 0600).")
                    option = f" --secrets {secrets}"
                if decisions.declined is None:
                    self.say(f"Replay: apim-wizard apply --answers {decisions.save_to}{option} --out DIR")
        if decisions.declined is not None:
            self.say_not_written(decisions, option)

    def say_not_written(self, decisions: Decisions, option: str) -> None:
        why = f": {decisions.declined_why}" if decisions.declined_why else ""
        self.say(f"The deployment was NOT written to {decisions.declined}{why}.")
        if decisions.save_to is None:
            self.say("The answers were not saved either: run apim-wizard prompt again to write it.")
            return
        force = " --force" if decisions.needs_force else ""
        self.say("Write it later with:")
        self.say(f"apim-wizard apply --answers {decisions.save_to}{option} --out {decisions.declined}{force}", "  ")
        if force:
            self.say("(--force replaces the files in the way; each is backed up first)", "  ")

    def save(self, decisions: Decisions) -> list[Path] | None:
        """Save the answers; when the disk refuses (after the path was checked), say why and
        ask for another path, so the answers are never lost to a failed save."""
        while True:
            try:
                return save_answers(decisions.answers, decisions.save_to, decisions.stored)
            except OSError as exc:
                self.say(f"error: {exc.filename or decisions.save_to}: cannot save the answers: {exc.strerror or exc}", "  ")
            except SecretsFileError as exc:
                self.say(f"error: {exc}", "  ")
            try:
                decisions.save_to = self.ask_save_path()
            except (KeyboardInterrupt, EOFError):
                self.say("The answers were not saved.")
                decisions.save_to = None
                return None


def _add_once(items: list[str], item: str) -> None:
    if item not in items:
        items.append(item)


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


@contextmanager
def _sigint_deferred() -> Iterator[list]:
    """Hold Ctrl-C while files are written, so a write is never cut short between files."""
    interrupted: list = []
    try:
        previous = signal.signal(signal.SIGINT, lambda *_: interrupted.append(True))
    except ValueError:  # not the main thread: nothing to defer
        yield interrupted
        return
    try:
        yield interrupted
    finally:
        signal.signal(signal.SIGINT, previous)

