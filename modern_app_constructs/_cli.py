"""``python -m modern_app_constructs <command>``: the one argparse shell over every command.

Each command lives in a module of its own whose core is a plain function on data. The module
offers the shell two functions: ``add_parser(subparsers) -> ArgumentParser`` adds its
sub-parser, and ``run(args, out, err, **seams) -> int`` runs a parsed command, rendering at the
edge (``seams`` are test doubles, e.g. a stubbed AWS client).
Exit codes are shared: 0 done, 1 a finding (``EXIT_FINDING``), 2 unusable input
(``EXIT_UNUSABLE``), always with a message naming what was wrong and never a traceback for a
user's mistake.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any, TextIO

from ._exit_codes import EXIT_FINDING, EXIT_UNUSABLE

__all__ = ["EXIT_FINDING", "EXIT_UNUSABLE", "build_parser", "main"]


def _commands() -> dict[str, ModuleType]:
    # imported here: `python -m modern_app_constructs --help` loads no aws-cdk-lib
    from . import _contract_record, _cost, _new, _report, _review

    return {
        "report": _report,
        "cost": _cost,
        "review": _review,
        "new": _new,
        "update": _new,
        "contract": _contract_record,
    }


def build_parser(commands: dict[str, ModuleType]) -> argparse.ArgumentParser:
    """The parser with one sub-parser per command."""
    parser = argparse.ArgumentParser(
        prog="python -m modern_app_constructs",
        description="Tools for apps and stacks built with modern-app-constructs.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in commands.values():
        command.add_parser(subparsers)
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
    **seams: Any,
) -> int:
    """Parse ``argv`` and run the command; return its exit code.

    ``seams`` reach the command's ``run`` (tests pass stubbed clients this way).
    """
    commands = _commands()
    args = build_parser(commands).parse_args(argv)
    runner: Callable[..., int] = commands[args.command].run
    return runner(args, out or sys.stdout, err or sys.stderr, **seams)
