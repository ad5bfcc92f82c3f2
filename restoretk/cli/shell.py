"""What every ``restoretk`` command shares: the command group, its options, and how errors are shown.

Errors the user can fix are printed as one line on stderr with exit code 2, and
nothing is written; ``--debug`` shows the traceback instead. The library words its
errors in its own terms (``scale=2``, ``overwrite=True``); :func:`user_errors` says them
in the command's flags (``--scale 2``, ``--overwrite``).

Only typer and the standard library are imported here, so that ``--help`` answers at
once; the commands import what they run when they run.
"""

from __future__ import annotations

import contextlib
import re
import sys
import warnings
from collections.abc import Callable, Iterator
from typing import Any, List

import typer
import typer.core

from restoretk.errors import RestoreError

__all__ = [
    "Commands",
    "Command",
    "deferred_help",
    "user_errors",
    "in_flags",
    "option_pairs",
    "parse_options",
    "noise_value",
    "OUTPUT",
    "OVERWRITE",
    "SKIP_EXISTING",
    "KEEP_GOING",
    "BIT_DEPTH",
    "NOISE",
    "BOUNDARY",
    "OPTIONS",
    "WEIGHTS",
]

_state: dict[str, Any] = {"debug": False, "command": None}


class Commands(typer.core.TyperGroup):
    """The command group: ``--debug`` anywhere on the line, usage errors and warnings as one line each."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):  # noqa: ANN001, ANN201
        args = list(sys.argv[1:] if args is None else args)
        end = args.index("--") if "--" in args else len(args)
        _state["debug"] = "--debug" in args[:end]
        args = [a for a in args[:end] if a != "--debug"] + args[end:]
        shown_before = warnings.showwarning
        warnings.showwarning = _note
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except Exception as error:  # noqa: BLE001 - Click's usage errors, whichever Click typer brings
            if _state["debug"] or not (hasattr(error, "format_message") and hasattr(error, "exit_code")):
                raise
            message, context = error.format_message(), getattr(error, "ctx", None)
            if "\n" in message:  # the help itself, asked for by giving no arguments
                typer.echo(message, err=True)
            else:
                where = f"; see '{context.command_path} --help'" if context is not None else ""
                typer.echo(f"error: {message[:1].lower()}{message[1:].rstrip('.')}{where}", err=True)
            code = error.exit_code
        finally:
            warnings.showwarning = shown_before
        code = code if isinstance(code, int) else 0
        if standalone_mode:
            sys.exit(code)
        return code


#: Help fields filled only when a command's help is shown, from registries that
#: import the numerical libraries: ``{name}`` in an option's help.
_DEFERRED_HELP: dict[str, Callable[[], str]] = {}


def deferred_help(name: str) -> Callable[[Callable[[], str]], Callable[[], str]]:
    """Register ``{name}`` for option help texts, computed when a help page shows it.

    Examples
    --------
    >>> @deferred_help("answer")
    ... def _answer() -> str:
    ...     return "42"
    """

    def register(make: Callable[[], str]) -> Callable[[], str]:
        _DEFERRED_HELP[name] = make
        return make

    return register


class Command(typer.core.TyperCommand):
    """A command whose option help may name a registry's contents (``{psf_syntax}``), filled when shown."""

    def invoke(self, ctx: typer.Context) -> Any:
        _state["command"] = self  # whose flags user_errors says the library's errors in
        return super().invoke(ctx)

    def format_help(self, ctx: typer.Context, formatter: Any) -> None:
        for param in self.params:
            text = getattr(param, "help", None)
            if text and "{" in text:
                param.help = re.sub(r"\{(\w+)\}", lambda m: _DEFERRED_HELP[m[1]]() if m[1] in _DEFERRED_HELP else m[0], text)
        super().format_help(ctx, formatter)


def _note(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ANN001
    """A warning (restoretk's or a library's) as one line on stderr."""
    typer.echo(f"note: {' '.join(str(message).split())}", err=True)


#: A ``name=value`` the library writes in a message: a parameter and what to pass.
_ASSIGNMENT = re.compile(r"(?<![\w./:=-])([a-z_][a-z0-9_]*)=('[^']*'|\"[^\"]*\"|[^\s,;()]+)")

#: A parameter the library names without a value: ```name```.
_NAMED = re.compile(r"`([a-z_][a-z0-9_]*)`")

#: The parameters that take the ``NAME=VALUE`` options a command has no flag for.
_CATCH_ALL = ("option", "body_option")


def in_flags(message: str, flags: dict[str, str]) -> str:
    """``message``, worded by the library in parameters, said in a command's ``flags`` (name → flag).

    ``scale=2`` becomes ``--scale 2`` and ``overwrite=True`` ``--overwrite``; a parameter
    named alone, ```split```, becomes ``--split``. A ``name=value`` that is no parameter
    of the command, in a command with ``-O`` (or ``-B``), becomes that option
    (``-O iterations=20``); anything else is left as written.

    Examples
    --------
    >>> flags = {"scale": "--scale", "overwrite": "--overwrite", "option": "-O"}
    >>> in_flags("use e.g. scale=2 or iterations=20, or drop `scale`; pass overwrite=True", flags)
    'use e.g. --scale 2 or -O iterations=20, or drop --scale; pass --overwrite'
    """
    catch_all = next((flags[name] for name in _CATCH_ALL if name in flags), None)

    def assigned(match: re.Match) -> str:
        name, value = match[1], match[2].strip("'\"")
        if name not in flags:
            return f"{catch_all} {match[0]}" if catch_all else match[0]
        return flags[name] if value == "True" else f"{flags[name]} {value}"

    message = _ASSIGNMENT.sub(assigned, message)
    return _NAMED.sub(lambda match: flags.get(match[1], match[0]), message)


def _flags(command: Any) -> dict[str, str]:
    """Each option of a Click command by its parameter name: its long flag (the short one for -O, -B)."""
    flags = {}
    for param in getattr(command, "params", ()):
        if getattr(param, "param_type_name", "") == "option":
            long = [o for o in param.opts if o.startswith("--")] or list(param.opts)
            flags[param.name] = min(param.opts, key=len) if param.name in _CATCH_ALL else max(long, key=len)
    return flags


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Turn a RestoreError into one line on stderr, in the running command's flags, and exit code 2."""
    try:
        yield
    except RestoreError as error:
        if _state["debug"]:
            raise
        typer.echo(f"error: {in_flags(str(error), _flags(_state['command']))}", err=True)
        raise typer.Exit(2) from None


def option_pairs(pairs: List[str]) -> dict[str, str]:
    """``NAME=VALUE`` pairs (``-O``, ``-B``) as a dict of texts, dashes in names read as underscores.

    Examples
    --------
    >>> option_pairs(["max-iterations=3"])
    {'max_iterations': '3'}
    """
    options = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key:
            raise RestoreError(f"bad option {pair!r}", "write it as NAME=VALUE, e.g. -O iterations=30")
        options[key.replace("-", "_")] = text
    return options


def parse_options(pairs: List[str]) -> dict:
    """``NAME=VALUE`` pairs as a dict, each value a Python literal where it reads as one, else the text.

    Examples
    --------
    >>> parse_options(["depth=3", "kind=fast"])
    {'depth': 3, 'kind': 'fast'}
    """
    import ast

    options: dict = {}
    for key, text in option_pairs(pairs).items():
        try:
            options[key] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            options[key] = text
    return options


def noise_value(text: str) -> float | str:
    """``--noise``: ``auto``, or a level checked as the library checks it."""
    from restoretk.noise import noise_level

    return "auto" if text == "auto" else noise_level(text)


OUTPUT = typer.Option(
    None, "-o", "--output", help="Output file (one input, with an extension) or folder (a trailing /, or no extension)."
)
OVERWRITE = typer.Option(False, "--overwrite", help="Replace existing outputs.")
SKIP_EXISTING = typer.Option(False, "--skip-existing", help="Leave outputs that exist alone (to continue a batch).")
KEEP_GOING = typer.Option(False, "--keep-going", help="Restore what can be restored; list the failures at the end.")
BIT_DEPTH = typer.Option(None, "--bit-depth", help="8 or 16 bits per sample (default: the input's).")
NOISE = typer.Option("auto", "--noise", help="Noise std in [0,1] units, or 'auto' to estimate it.")
BOUNDARY = typer.Option("auto", "--boundary", help="Borders: auto, reflect or circular.")
OPTIONS = typer.Option([], "-O", "--option", help="Method option NAME=VALUE (repeatable), e.g. -O iterations=30.")
WEIGHTS = typer.Option(None, "--weights", help="Your own trained model (.safetensors) for a learned method.")
