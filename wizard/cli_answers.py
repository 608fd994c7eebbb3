"""Commands about the answers themselves: ``explain`` (each effective value and its layer),
``schema`` (JSON Schema / annotated example), ``prompt`` (the plain-prompt wizard) and
``tui`` (the full-screen wizard, also what ``apim-wizard`` alone opens in a terminal)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TextIO

from .cli_common import EXIT_INVALID, EXIT_OK, Command, add_source_arguments, load_layers, report_problems
from .problems import errors


# The modules behind explain/schema/prompt/tui are imported when those commands run, so that
# `apply` does not pay for the question registry (bench/apply_bench.py).


def cmd_explain(args, out: TextIO) -> int:
    from .explain import explain, format_rows

    layered = load_layers(args)
    rows, problems = explain(layered)
    print(f"# {layered.source}: each answer = value, then the layer it comes from", file=out)
    for line in format_rows(rows):
        print(line, file=out)
    report_problems(problems, layered.source, sys.stderr if errors(problems) else out)
    return EXIT_INVALID if errors(problems) else EXIT_OK


def _schema_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--example", action="store_true",
                        help="print the annotated example answer file (every field) instead")


def cmd_schema(args, out: TextIO) -> int:
    from .answer_schema import answers_json_schema, example_answers_toml

    if args.example:
        out.write(example_answers_toml())
    else:
        print(json.dumps(answers_json_schema(), indent=2), file=out)
    return EXIT_OK


def _prompt_arguments(parser: argparse.ArgumentParser) -> None:
    add_source_arguments(parser, required=False)
    parser.add_argument("--out", metavar="DIR", type=Path, help="output folder offered when writing the deployment")


def cmd_prompt(args, out: TextIO) -> int:
    from screens.prompts import run_prompt_wizard  # the front end, and questionary, only when asked for

    return run_prompt_wizard(args, out)


def _tui_arguments(parser: argparse.ArgumentParser) -> None:
    add_source_arguments(parser, required=False)
    parser.add_argument("--out", metavar="DIR", type=Path, help="output folder offered on the Write step")


def cmd_tui(args, out: TextIO) -> int:
    from screens.app import run_tui  # Textual is imported only for the full-screen wizard

    return run_tui(args)


def in_terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def open_wizard(out: TextIO) -> int:
    """``apim-wizard`` with no command, in a terminal: the full-screen wizard from scratch."""
    return cmd_tui(argparse.Namespace(preset=None, answers=None, assignments=[], out=None, source_required=False), out)


COMMANDS = [
    Command("tui", "the full-screen wizard (what apim-wizard alone opens in a terminal)", _tui_arguments, cmd_tui),
    Command("prompt", "the wizard as plain prompts (no full-screen UI)", _prompt_arguments, cmd_prompt),
    Command("explain", "show each effective answer and the layer it comes from", add_source_arguments, cmd_explain),
    Command("schema", "print the JSON Schema of the answer file (or --example)", _schema_arguments, cmd_schema),
]
