"""``restoretk demo`` and ``restoretk fetch-data``: the first run on a new machine."""

from __future__ import annotations

from pathlib import Path

import typer

from restoretk.cli.shell import user_errors

__all__ = ["demo", "fetch_data"]


def demo(out: Path = typer.Option(Path("demo-out"), "--out", help="Folder for the results.")) -> None:
    """Deblur a sample photo shipped with scikit-image and write before/after images and a figure."""
    with user_errors():
        from restoretk.demo import run_demo

        run_demo(out)


def fetch_data(
    dest: Path = typer.Option(
        Path("~/.cache/restoretk/BSDS500"), "--dest", help="Folder for train/ val/ test/ (one that restoretk searches)."
    ),
) -> None:
    """Download BSDS500 (the official 71 MB archive; images only) for 'restoretk bench' and 'restoretk train'."""
    with user_errors():
        from restoretk.data import download_bsds500

        folder = download_bsds500(dest)
        typer.echo(f"BSDS500 in {folder}; restoretk finds it there (or pass --data {folder})", err=True)
