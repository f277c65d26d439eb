"""The ``ebmphys`` command: run studies, train RBMs and estimate partition functions.

Each subcommand lives in the module of the layer it drives and exposes
``register(subparsers)``, which adds its parser and sets ``func(args) -> int``.
Errors a user can fix (bad spec, bad value, existing output) are reported as one
line on stderr with a non-zero exit status, never as a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from ebmphys import __version__
from ebmphys.exceptions import UserError

COMMAND_MODULES = [
    "ebmphys.study.commands",
    "ebmphys.training.commands",
    "ebmphys.partition.commands",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ebmphys",
        description="Run Ising studies, train RBMs and estimate partition functions (k_B = 1, beta = 1/T).",
    )
    parser.add_argument("--version", action="version", version=f"ebmphys {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (UserError, ValueError, TypeError, FileExistsError, FileNotFoundError, OSError) as exc:
        print(f"ebmphys {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"ebmphys {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
