"""What every command of the CLI shares: exit codes, answer sources, problem reports."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from .answers_io import AnswersFileError, load_answers_file
from .model import Answers
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
    group = parser.add_mutually_exclusive_group(required=required)
    group.add_argument("--preset", metavar="NAME", help="start from a shipped preset (see `presets`)")
    group.add_argument("--answers", metavar="FILE", type=Path, help="answer file (TOML)")


def load_source(args) -> tuple[dict[str, Any], str, Path]:
    """Raw answers, a name for messages, and the folder relative secret files are read from."""
    if args.preset is not None:
        try:
            preset = load_preset(args.preset)
        except UnknownPreset as exc:
            raise CliError(str(exc), EXIT_USAGE) from None
        return preset.raw(), f"preset {preset.name}", Path.cwd()
    try:
        return load_answers_file(args.answers), str(args.answers), args.answers.resolve().parent
    except AnswersFileError as exc:
        code = EXIT_INVALID if "not valid TOML" in str(exc) else EXIT_IO
        raise CliError(str(exc), code) from None


def report_problems(problems: list[Problem], source: str, out: TextIO) -> None:
    if not problems:
        return
    n_err, n_warn = len(errors(problems)), len(warnings(problems))
    counts = [f"{n_err} error{'s' * (n_err != 1)}" if n_err else "", f"{n_warn} warning{'s' * (n_warn != 1)}" if n_warn else ""]
    print(f"{source}: {', '.join(c for c in counts if c)}", file=out)
    for problem in sorted(problems, key=lambda p: p.severity != "error"):
        print(f"  {problem.severity:<7} {problem}", file=out)


def validated_answers(args, out: TextIO) -> tuple[Answers, str, Path]:
    raw, source, base_dir = load_source(args)
    answers, problems = validate_answers(raw)
    report_problems(problems, source, sys.stderr if answers is None else out)
    if answers is None:
        raise CliError(f"{source}: fix the errors above; nothing was written", EXIT_INVALID)
    return answers, source, base_dir


def describe(answers: Answers) -> str:
    parts = []
    for key, word in (("control_plane", "control plane"), ("gateway", "gateway")):
        cluster = getattr(answers, key)
        mode = "HA" if cluster.ha else "single"
        existing = ", existing" if cluster.existing else ""
        parts.append(f"{len(cluster.nodes)} {word}{'s' * cluster.ha} ({mode}{existing})")
    return f"API-M {answers.version}, " + ", ".join(parts)
