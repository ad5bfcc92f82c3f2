"""The ``restoretk`` command: a thin shell over the Python API, one module per group of commands.

- :mod:`~restoretk.cli.shell`: the command group, shared options, errors in the command's flags;
- :mod:`~restoretk.cli.batch`: many inputs to many outputs, checked whole, written atomically;
- :mod:`~restoretk.cli.restore`: ``deblur``, ``upscale``, ``denoise``, ``degrade``;
- :mod:`~restoretk.cli.kernels`: ``psf``, ``estimate-psf``;
- :mod:`~restoretk.cli.catalogue`: ``methods``, ``models``;
- :mod:`~restoretk.cli.bench`, :mod:`~restoretk.cli.train`: ``bench``, ``train``;
- :mod:`~restoretk.cli.start`: ``demo``, ``fetch-data``.

Only typer is imported until a command runs, so ``--help`` answers at once.
"""

from __future__ import annotations

import typer

from restoretk.cli import bench, catalogue, kernels, restore, start, train
from restoretk.cli.shell import Command, Commands

__all__ = ["app"]

app = typer.Typer(
    cls=Commands,
    help="Restore degraded photographs: deblur, upscale, denoise, degrade, benchmark, train.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(asked: bool) -> None:
    if asked:
        from restoretk import __version__

        typer.echo(f"restoretk {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks instead of one-line errors (anywhere on the line)."),
    version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True, help="Print the version."),
) -> None:
    """restoretk: deblurring, super-resolution and denoising with exact operators and learned null-space residuals."""


for _name, _command in (
    ("deblur", restore.deblur),
    ("upscale", restore.upscale),
    ("denoise", restore.denoise),
    ("degrade", restore.degrade),
    ("estimate-psf", kernels.estimate_psf_command),
    ("psf", kernels.psf_command),
    ("methods", catalogue.methods),
    ("models", catalogue.models),
    ("bench", bench.bench),
    ("train", train.train),
    ("demo", start.demo),
    ("fetch-data", start.fetch_data),
):
    app.command(_name, cls=Command)(_command)
