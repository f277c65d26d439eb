"""The ``ebmphys`` command: run studies, train RBMs and estimate partition functions.

Each subcommand lives in the module of the layer it drives and exposes
``register(subparsers)``, which adds its parser and sets ``func(args) -> int``.

Every failure, of every subcommand, ends as one line on stderr
(``ebmphys COMMAND: error: ...``) and an exit status; ``--debug`` (anywhere on
the command line) also prints the traceback:

=====  ==========================================================================
  2    bad input a user can fix (:class:`ebmphys.exceptions.UserError`: bad spec
       or value, existing output, damaged or foreign input file, a run too large
       for this machine; a missing or unreadable file, an unreachable scheduler:
       any other ``OSError``), and command-line usage errors
  1    a failed write (:class:`ebmphys.exceptions.WriteError`: no space left,
       quota, I/O error), running out of memory, or an internal error
130    interrupted (Ctrl-C), at any moment: while the package is imported, while
       running, or while the process exits
=====  ==========================================================================

Warnings (a large run, an approximate bound) are printed as one line each,
``ebmphys COMMAND: warning: ...``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import traceback
import warnings

from ebmphys import __version__
from ebmphys.exceptions import UserError, WriteError
from ebmphys.limits import LargeRunWarning

COMMAND_MODULES = [
    "ebmphys.study.commands",
    "ebmphys.training.commands",
    "ebmphys.partition.commands",
]

_USER_ERRORS = (UserError, ValueError, TypeError, OSError)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line (exit status 2)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="ebmphys",
        description="Run Ising studies, train RBMs and estimate partition functions (k_B = 1, beta = 1/T).",
    )
    parser.add_argument("--version", action="version", version=f"ebmphys {__version__}")
    parser.add_argument("--debug", action="store_true", help="print the traceback of an error")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    for sub in subparsers.choices.values():  # --debug also after the subcommand
        sub.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="print the traceback of an error")
    return parser


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    if isinstance(exc, OSError) and not isinstance(exc, WriteError) and exc.strerror and exc.filename:
        text = f"{exc.strerror[:1].lower()}{exc.strerror[1:]}: {exc.filename}"
    return text or type(exc).__name__


def _interrupted(exc: BaseException) -> bool:
    """True for Ctrl-C, also when a library turned it into another error (e.g. an ImportError raised
    because a KeyboardInterrupt stopped an extension module's initialisation)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def _exit_quietly_on_interrupt(command: str) -> None:
    """From now on Ctrl-C ends the process at once with one line and status 130 (used while exiting,
    when a KeyboardInterrupt would surface as a traceback from an exit handler)."""

    def handler(signum, frame):
        try:
            sys.stdout.flush()
            sys.stderr.write(f"ebmphys{command}: interrupted\n")
            sys.stderr.flush()
        finally:
            os._exit(130)

    signal.signal(signal.SIGINT, handler)


def main(argv: list[str] | None = None) -> int:
    """Run the ``ebmphys`` command with ``argv`` (default: the process's arguments); return the exit status."""
    args_list = sys.argv[1:] if argv is None else list(argv)
    debug = "--debug" in args_list
    words = [a for a in args_list if not a.startswith("-")]
    command = f" {words[0]}" if words else ""
    status, importing = 1, True
    try:
        parser = build_parser()
        importing = False
        args = parser.parse_args(args_list)
        command = f" {args.command}"

        def show(message, category, filename, lineno, file=None, line=None):
            print(f"ebmphys{command}: warning: {' '.join(str(message).split())}", file=sys.stderr)

        with warnings.catch_warnings():
            warnings.simplefilter("always", LargeRunWarning)
            warnings.showwarning = show
            status = int(args.func(args) or 0)
        return status
    except SystemExit as exc:  # argparse: --help, --version, usage errors
        status = exc.code if isinstance(exc.code, int) else 2
        raise
    except BaseException as exc:  # noqa: BLE001 (the top of the command: every error becomes one line)
        if _interrupted(exc):
            status, message = 130, "interrupted"
        elif isinstance(exc, WriteError):
            status, message = 1, _one_line(exc)
        elif isinstance(exc, _USER_ERRORS):
            status, message = 2, _one_line(exc)
        elif isinstance(exc, MemoryError):
            status, message = 1, "out of memory (" + (_one_line(exc) if str(exc) else "an allocation failed") + ")"
        else:
            status, message = 1, f"internal error: {type(exc).__name__}: {_one_line(exc)}"
            if not debug:
                message += " (run with --debug for the traceback)"
        if debug:
            traceback.print_exc()
        print(f"ebmphys{command}: error: {message}", file=sys.stderr)
        return status
    finally:
        if argv is None:  # the process's own command line: this process ends here
            _exit_quietly_on_interrupt(command)
            if status == 130 and importing:
                # interrupted while importing: some libraries' import code (run by PyRun_*) leaves Python
                # set to end the process by SIGINT (status -2) however the interrupt was handled;
                # nothing is open yet, so leave at once
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(130)


if __name__ == "__main__":
    sys.exit(main())
