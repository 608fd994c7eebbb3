"""What every command of the CLI shares: exit codes, answer sources, problem reports."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from .answers_io import AnswersFileError, load_answers_file
from .layers import LayeredAnswers, LayerError, Origin
from .model import Answers
from .model_paths import PathError
from .presets import UnknownPreset, load_preset
from .problems import Problem, errors, warnings
from .validation import validate_answers

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_IO = 0, 1, 2, 3


class CliError(Exception):
    def __init__(self, message: str, code: int):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, TextIO], int]


def add_source_arguments(parser: argparse.ArgumentParser, required: bool = True) -> None:
    parser.add_argument("--preset", metavar="NAME", help="start from a shipped preset (see `presets`)")
    parser.add_argument("--answers", metavar="FILE", type=Path, action="append",
                        help="answer file (TOML); repeat to layer several, the last wins")
    parser.add_argument("--set", metavar="PATH=VALUE", dest="assignments", action="append", default=[],
                        help="set one answer, e.g. --set databases.apim_db.host=db.example.com (repeatable)")
    parser.set_defaults(source_required=required)


def load_layers(args, environ: Mapping[str, str] | None = None) -> LayeredAnswers:
    """The answer layers of a command: preset < answer files < APIM_WIZARD_* < --set."""
    files: list[Path] = args.answers or []
    if args.source_required and args.preset is None and not files:
        raise CliError("give the answers: --preset NAME or --answers FILE (see `apim-wizard presets`)", EXIT_USAGE)
    layered = LayeredAnswers(files[-1].resolve().parent if files else Path.cwd())
    if args.preset is not None:
        try:
            preset = load_preset(args.preset)
        except UnknownPreset as exc:
            raise CliError(str(exc), EXIT_USAGE) from None
        layered.add_document(preset.raw(), Origin("preset", preset.name))
    for path in files:
        try:
            layered.add_document(load_answers_file(path), Origin("file", str(path)), str(path))
        except AnswersFileError as exc:
            code = EXIT_INVALID if "not valid TOML" in str(exc) else EXIT_IO
            raise CliError(str(exc), code) from None
    try:
        layered.apply_env(os.environ if environ is None else environ)
        layered.apply_sets(args.assignments)
    except (LayerError, PathError) as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    return layered


def load_source(args) -> tuple[dict[str, Any], str, Path]:
    """Raw answers, a name for messages, and the folder relative secret files are read from."""
    layered = load_layers(args)
    return layered.raw, layered.source, layered.base_dir


def report_problems(problems: list[Problem], source: str, out: TextIO) -> None:
    if not problems:
        return
    n_err, n_warn = len(errors(problems)), len(warnings(problems))
    counts = [f"{n_err} error{'s' * (n_err != 1)}" if n_err else "", f"{n_warn} warning{'s' * (n_warn != 1)}" if n_warn else ""]
    print(f"{source}: {', '.join(c for c in counts if c)}", file=out)
    for problem in sorted(problems, key=lambda p: p.severity != "error"):
        print(f"  {problem.severity:<7} {problem}", file=out)


def validated_answers(args, out: TextIO) -> tuple[Answers, str, Path]:
    answers, layered = validated_layers(args, out)
    return answers, layered.source, layered.base_dir


def validated_layers(args, out: TextIO) -> tuple[Answers, LayeredAnswers]:
    """The valid answers of a command, and the layers they came from (their origins)."""
    layered = load_layers(args)
    answers, problems = validate_answers(layered.raw)
    problems = [layered.with_origin(problem) for problem in problems]
    report_problems(problems, layered.source, sys.stderr if answers is None else out)
    if answers is None:
        raise CliError(f"{layered.source}: fix the errors above; nothing was written", EXIT_INVALID)
    return answers, layered


def describe(answers: Answers) -> str:
    parts = []
    for key, word in (("control_plane", "control plane"), ("gateway", "gateway")):
        cluster = getattr(answers, key)
        mode = "HA" if cluster.ha else "single"
        existing = ", existing" if cluster.existing else ""
        parts.append(f"{len(cluster.nodes)} {word}{'s' * cluster.ha} ({mode}{existing})")
    return f"API-M {answers.version}, " + ", ".join(parts)
