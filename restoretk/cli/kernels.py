"""``restoretk psf`` and ``restoretk estimate-psf``: draw a PSF spec, or find the PSF of blurred photos."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, List, Optional

import typer
from tqdm import tqdm

from restoretk.cli.batch import outputs
from restoretk.cli.shell import NOISE, OVERWRITE, deferred_help, noise_value, user_errors
from restoretk.errors import RestoreError

if TYPE_CHECKING:
    import numpy as np

__all__ = ["psf_command", "estimate_psf_command", "psf_picture", "MAX_ZOOM"]

#: Largest magnification of a PSF picture.
MAX_ZOOM = 100


@deferred_help("psf_syntax")
def _psf_syntax() -> str:
    from restoretk import psf

    return " | ".join(family.syntax for family in psf.families().values())


@deferred_help("estimators")
def _estimators() -> str:
    from restoretk.estimation import ESTIMATORS

    return ", ".join(ESTIMATORS)


def estimate_psf_command(
    inputs: List[str] = typer.Argument(..., help="Blurred images, folders or glob patterns.", metavar="IN..."),
    family: str = typer.Option(
        "gauss", "--family", "-f", help="PSF family to fit: {estimators} (gauss-aniso includes round "
        "blurs; shake is free-form, shake@SIZE gives its odd support), or auto: the family that fits best."
    ),
    noise: str = NOISE,
    output: Optional[str] = typer.Option(
        None, "-o", "--output", help="Write the kernel as a PNG: a file (one input) or a folder (a trailing /)."
    ),
    zoom: int = typer.Option(8, "--zoom", help=f"Pixel magnification of the written kernel (1 to {MAX_ZOOM})."),
    overwrite: bool = OVERWRITE,
) -> None:
    """Estimate the blur of each image and print it as a PSF spec (IN<TAB>SPEC), for --psf."""
    with user_errors():
        from restoretk.estimation import AUTO, auto_family, estimate_psf
        from restoretk.io import check_writable, list_images, read_image, write_image
        from restoretk.runtime import chosen_threads, set_threads

        auto_family(f"{AUTO}:{family}")  # checks the family and its @SIZE
        level = noise_value(noise)
        _check_zoom(zoom)
        set_threads(chosen_threads())
        paths = list_images(inputs)
        targets, folder = ([None] * len(paths), None) if output is None else outputs(paths, output, "psf")
        targets = [t if t is None else t.with_suffix(".png") for t in targets]
        for target in targets:
            if target is not None:
                check_writable(target, overwrite=overwrite, inputs=paths, bit_depth=16, make_folder=folder is not None)
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
        for source, target in zip(tqdm(paths, desc="estimating", unit="image", disable=len(paths) < 2, file=sys.stderr), targets):
            spec, kernel = estimate_psf(read_image(source)[0], family, noise=None if level == "auto" else level,
                                        progress=True)
            typer.echo(f"{source}\t{spec}")
            if target is not None:
                write_image(target, psf_picture(kernel, zoom), bit_depth=16, overwrite=overwrite)


def _check_zoom(zoom: int) -> None:
    if not 1 <= zoom <= MAX_ZOOM:
        raise RestoreError(f"--zoom {zoom} is not from 1 to {MAX_ZOOM}", "use e.g. --zoom 8")


def psf_picture(kernel: np.ndarray, zoom: int) -> np.ndarray:
    """The kernel magnified ``zoom`` times, scaled so its peak is white."""
    import numpy as np

    from restoretk.limits import check_pixels

    check_pixels(kernel.shape[0] * zoom, kernel.shape[1] * zoom, f"the x{zoom} picture of a {kernel.shape[1]}x{kernel.shape[0]} PSF")
    return np.kron(kernel / kernel.max(), np.ones((zoom, zoom)))


def psf_command(
    spec: str = typer.Argument(..., help="PSF spec. {psf_syntax}"),
    output: Path = typer.Option(..., "-o", "--output", help="PNG to write (scaled so the peak is white)."),
    zoom: int = typer.Option(8, "--zoom", help=f"Pixel magnification of the picture (1 to {MAX_ZOOM})."),
    overwrite: bool = OVERWRITE,
) -> None:
    """Render a PSF as an image. Support size: append @N or @ROWSxCOLS, e.g. gauss:2@25."""
    with user_errors():
        from restoretk import psf
        from restoretk.io import check_writable, write_image

        _check_zoom(zoom)
        check_writable(output, overwrite=overwrite)
        kernel = psf.parse(spec)
        depth = 16 if output.suffix.lower() in (".png", ".tif", ".tiff") else 8
        write_image(output, psf_picture(kernel, zoom), bit_depth=depth, overwrite=overwrite)
        typer.echo(f"{spec}: {kernel.shape[0]}x{kernel.shape[1]} -> {output}", err=True)
