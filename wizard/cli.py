"""Command line: ``apim-wizard apply | validate | presets``.

Exit codes: 0 ok, 1 invalid answers, 2 usage error, 3 I/O error.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any, TextIO

from . import __version__
from .answers_io import AnswersFileError, load_answers_file
from .build import build_deployment
from .plan import OutputDirError, Status, apply_plan, check_output_dir, make_plan
from .presets import UnknownPreset, list_presets, load_preset
from .problems import Problem, errors, warnings
from .secrets_store import SECRETS_FILE, SecretsFileError, SecretStore, resolve_secrets
from .validation import validate_answers

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_IO = 0, 1, 2, 3


class CliError(Exception):
    def __init__(self, message: str, code: int):
        super().__init__(message)
        self.code = code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="apim-wizard",
        description="Generate per-node configuration for a distributed WSO2 API Manager 4.x deployment.",
    )
    parser.add_argument("--version", action="version", version=f"apim-wizard {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def source(p: argparse.ArgumentParser) -> None:
        group = p.add_mutually_exclusive_group(required=True)
        group.add_argument("--preset", metavar="NAME", help="start from a shipped preset (see `presets`)")
        group.add_argument("--answers", metavar="FILE", type=Path, help="answer file (TOML)")

    apply = sub.add_parser("apply", help="write the deployment's files (headless)")
    source(apply)
    apply.add_argument("--out", metavar="DIR", type=Path, required=True, help="output folder")
    apply.add_argument("--dry-run", action="store_true", help="show what would be written; write nothing")
    apply.add_argument("--force", action="store_true", help="write into a non-empty folder the wizard did not create")
    apply.add_argument(
        "--secrets", metavar="FILE", type=Path,
        help=f"take generated secrets from FILE (default: DIR/{SECRETS_FILE}); they are kept in DIR/{SECRETS_FILE}",
    )

    validate = sub.add_parser("validate", help="list every problem in the answers")
    source(validate)

    sub.add_parser("presets", help="list the shipped presets")
    return parser


def _load_raw(args) -> tuple[dict[str, Any], str, Path]:
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


def _report(problems: list[Problem], source: str, out: TextIO) -> None:
    if not problems:
        return
    n_err, n_warn = len(errors(problems)), len(warnings(problems))
    counts = ", ".join(x for x in (f"{n_err} error{'s' * (n_err != 1)}" if n_err else "",
                                  f"{n_warn} warning{'s' * (n_warn != 1)}" if n_warn else "") if x)
    print(f"{source}: {counts}", file=out)
    for problem in sorted(problems, key=lambda p: p.severity != "error"):
        print(f"  {problem.severity:<7} {problem}", file=out)


def _validated(args, out: TextIO):
    raw, source, base_dir = _load_raw(args)
    answers, problems = validate_answers(raw)
    _report(problems, source, sys.stderr if answers is None else out)
    if answers is None:
        raise CliError(f"{source}: fix the errors above; nothing was written", EXIT_INVALID)
    return answers, source, base_dir


def _describe(answers) -> str:
    parts = []
    for key, word in (("control_plane", "control plane"), ("gateway", "gateway")):
        cluster = getattr(answers, key)
        mode = "HA" if cluster.ha else "single"
        existing = ", existing" if cluster.existing else ""
        parts.append(f"{len(cluster.nodes)} {word}{'s' * cluster.ha} ({mode}{existing})")
    return f"API-M {answers.version}, " + ", ".join(parts)


def cmd_validate(args, out: TextIO) -> int:
    answers, source, base_dir = _validated(args, out)
    # References are checked too, but an unset variable is only a warning here: validate
    # may run where the secrets are not (CI); apply refuses.
    resolution = resolve_secrets(answers, None, base_dir=base_dir, generate=lambda: "x" * 24)
    unresolved = [Problem(p.path, p.message, severity="warning") for p in resolution.problems]
    _report(unresolved, f"{source} (secret references)", out)
    print(f"{source}: valid: {_describe(answers)}", file=out)
    return EXIT_OK


def cmd_apply(args, out: TextIO) -> int:
    answers, source, base_dir = _validated(args, out)
    out_dir: Path = args.out
    try:
        check_output_dir(out_dir, force=args.force)
        store = SecretStore.load(args.secrets or out_dir / SECRETS_FILE)
    except (OutputDirError, SecretsFileError) as exc:
        raise CliError(str(exc), EXIT_IO) from None
    if args.secrets is not None and not args.secrets.exists():
        raise CliError(f"{args.secrets}: no such secrets file", EXIT_IO)

    build = build_deployment(answers, store, base_dir=base_dir)
    if not build.ok:
        _report(build.problems, f"{source} (secret references)", sys.stderr)
        raise CliError(f"{source}: fix the errors above; nothing was written", EXIT_INVALID)
    try:
        plan = make_plan(out_dir, build.files)
    except OutputDirError as exc:
        raise CliError(str(exc), EXIT_IO) from None
    except OSError as exc:
        raise CliError(f"{exc.filename or out_dir}: cannot read: {exc.strerror}", EXIT_IO) from None

    verb = "would write" if args.dry_run else "writing"
    print(f"{source}: {_describe(answers)} -> {out_dir}", file=out)
    for entry in plan.entries:
        shown = entry.status.value if not entry.mode_only else "mode"
        print(f"  {shown:<10} {entry.file.path}", file=out)
    for path in plan.obsolete:
        print(f"  {'obsolete':<10} {path} (no longer generated; left in place)", file=out)
    if args.dry_run:
        print(f"dry run: {verb} {plan.summary()}; nothing was written", file=out)
        return EXIT_OK
    try:
        apply_plan(plan)
    except OSError as exc:
        raise CliError(f"{exc.filename or out_dir}: cannot write: {exc.strerror}", EXIT_IO) from None
    if plan.count(Status.NEW) + plan.count(Status.CHANGED) == 0:
        print("no changes: the output already matches the answers", file=out)
    else:
        print(f"done: {plan.summary()}", file=out)
    if any(e.file.path == SECRETS_FILE for e in plan.entries):
        print(f"generated passwords are in {out_dir / SECRETS_FILE} (mode 0600); keep it safe", file=out)
    return EXIT_OK


def cmd_presets(args, out: TextIO) -> int:
    presets = list_presets()
    width = max(len(p.name) for p in presets)
    for preset in presets:
        print(f"{preset.name:<{width}}  {preset.description}", file=out)
    return EXIT_OK


COMMANDS = {"apply": cmd_apply, "validate": cmd_validate, "presets": cmd_presets}


def main(argv: list[str] | None = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help/--version (0) or a usage error (2)
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help(out)
        return EXIT_USAGE
    try:
        return COMMANDS[args.command](args, out)
    except CliError as exc:
        print(f"apim-wizard: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print("apim-wizard: interrupted; files already renamed into place are complete, none is half-written",
              file=sys.stderr)
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
