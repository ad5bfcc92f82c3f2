"""``restoretk deblur``, ``upscale``, ``denoise`` and ``degrade``: shells over the Python API.

Each checks its options and the whole batch before the first write (see
:mod:`restoretk.cli.batch`); the API and the methods load when a command runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, List, Optional

import typer

from restoretk.cli.batch import output_depth, outputs, process
from restoretk.cli.kernels import psf_picture
from restoretk.cli.shell import (
    BIT_DEPTH,
    BOUNDARY,
    KEEP_GOING,
    NOISE,
    OPTIONS,
    OUTPUT,
    OVERWRITE,
    SKIP_EXISTING,
    WEIGHTS,
    noise_value,
    option_pairs,
    user_errors,
)

if TYPE_CHECKING:
    import numpy as np

__all__ = ["deblur", "upscale", "denoise", "degrade", "method_options"]


def method_options(task: str, method: str, pairs: List[str], weights: Optional[Path], scale: int = 1) -> dict:
    """``-O NAME=VALUE`` pairs (and ``--weights``) typed and checked by the method, before any image."""
    from restoretk.methods import get_method

    options = option_pairs(pairs)
    if weights is not None:
        options["weights"] = str(weights)
    return get_method(method, task).validate(options, scale)


def deblur(
    inputs: List[str] = typer.Argument(..., help="Images, folders or glob patterns.", metavar="IN..."),
    psf: str = typer.Option(
        ..., "--psf",
        help="PSF spec, e.g. gauss:2, motion:15,30, file:k.png (see 'restoretk psf --help'); "
        "auto (the best-fitting family, camera shake included) or auto:FAMILY[@SIZE] estimates it per image "
        "(see 'restoretk estimate-psf --help').",
    ),
    method: str = typer.Option("wiener", "--method", "-m", help="Deblurring method (see 'restoretk methods')."),
    noise: str = NOISE,
    boundary: str = BOUNDARY,
    option: List[str] = OPTIONS,
    weights: Optional[Path] = WEIGHTS,
    output: Optional[str] = OUTPUT,
    overwrite: bool = OVERWRITE,
    bit_depth: Optional[int] = BIT_DEPTH,
    skip_existing: bool = SKIP_EXISTING,
    keep_going: bool = KEEP_GOING,
    save_psf: Optional[str] = typer.Option(
        None, "--save-psf", help="Also write the PSF used (estimated or given) as a 16-bit PNG, for --psf file:PATH: "
        "a file (one input) or a folder (several).",
    ),
) -> None:
    """Remove a blur, known or estimated. Without -o, writes NAME-deblurred.EXT beside each input."""
    with user_errors():
        from restoretk import api
        from restoretk import psf as psf_module
        from restoretk.estimation import AUTO, auto_family, estimate_psf, rank_families
        from restoretk.io import write_image

        options = method_options("deblur", method, option, weights)
        family = auto_family(psf)
        kernel = psf_module.parse(psf if family is None else "gauss:1")
        level = noise_value(noise)
        psf_targets = _psf_targets(inputs, save_psf, overwrite)

        def restore(image: np.ndarray, source: Path) -> np.ndarray:
            blur = kernel
            if family == AUTO:
                ranked = rank_families(image, None if level == "auto" else level, progress=True)
                spec, blur = ranked[0].spec, ranked[0].kernel
                scores = ", ".join(f"{c.family} {c.score:.4f}" for c in ranked)
                typer.echo(f"estimated PSF: {spec} (auto chose {ranked[0].family}; Whittle score, lower is better: "
                           f"{scores})", err=True)
            elif family is not None:
                spec, blur = estimate_psf(image, family, noise=None if level == "auto" else level, progress=True)
                typer.echo(f"estimated PSF: {spec}", err=True)
            restored = api.deblur(image, blur, method, level, boundary=boundary, **options)
            if psf_targets:
                target = psf_targets[source]
                write_image(target, psf_picture(blur, 1), bit_depth=16, overwrite=overwrite)
                typer.echo(f"PSF -> {target}", err=True)
            return restored

        process(
            inputs, output, "deblurred", overwrite, bit_depth, restore, "deblurring", skip_existing, keep_going,
            None if family is not None else lambda image: api.check_image(image.shape, kernel),
        )


def _psf_targets(inputs: List[str], save_psf: Optional[str], overwrite: bool) -> dict[Path, Path]:
    """Where ``--save-psf`` writes each input's PSF (PNG), by input, checked before any work; empty without it."""
    if save_psf is None:
        return {}
    from restoretk.io import check_writable, list_images

    paths = list_images(inputs)
    named, folder = outputs(paths, save_psf, "psf")
    targets = [t.with_suffix(".png") for t in named]
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    for target in targets:
        check_writable(target, overwrite=overwrite, inputs=paths, bit_depth=16)
    return dict(zip(paths, targets))


def upscale(
    inputs: List[str] = typer.Argument(..., help="Images, folders or glob patterns.", metavar="IN..."),
    scale: int = typer.Option(..., "--scale", "-s", help="Integer upscaling factor, e.g. 2 or 4."),
    method: str = typer.Option("bicubic", "--method", "-m", help="Upscaling method (see 'restoretk methods')."),
    psf: Optional[str] = typer.Option(None, "--psf", help="Blur before decimation (default: the kernel of a bicubic downscale)."),
    noise: str = NOISE,
    boundary: str = BOUNDARY,
    option: List[str] = OPTIONS,
    weights: Optional[Path] = WEIGHTS,
    output: Optional[str] = OUTPUT,
    overwrite: bool = OVERWRITE,
    bit_depth: Optional[int] = BIT_DEPTH,
    skip_existing: bool = SKIP_EXISTING,
    keep_going: bool = KEEP_GOING,
) -> None:
    """Super-resolve by an integer factor. Without -o, writes NAME-xS.EXT beside each input."""
    with user_errors():
        from restoretk import api
        from restoretk import psf as psf_module

        api.check_image((1, 1), scale=scale)
        if psf is not None:
            psf_module.parse(psf)
        options = method_options("upscale", method, option, weights, scale)
        level = noise_value(noise)
        process(
            inputs, output, f"x{scale}", overwrite, bit_depth,
            lambda image, source: api.upscale(image, scale, method, psf, level, boundary=boundary, **options),
            "upscaling", skip_existing, keep_going, lambda image: api.check_image(image.shape, scale=scale),
        )


def denoise(
    inputs: List[str] = typer.Argument(..., help="Images, folders or glob patterns.", metavar="IN..."),
    noise: str = typer.Option(
        "auto", "--noise", help="Noise std in [0,1] units (25/255 = 0.098 for σ 25 of 8 bits), or 'auto' to estimate it."
    ),
    method: str = typer.Option("denoiser", "--method", "-m", help="Denoising method (see 'restoretk methods')."),
    option: List[str] = OPTIONS,
    weights: Optional[Path] = WEIGHTS,
    output: Optional[str] = OUTPUT,
    overwrite: bool = OVERWRITE,
    bit_depth: Optional[int] = BIT_DEPTH,
    skip_existing: bool = SKIP_EXISTING,
    keep_going: bool = KEEP_GOING,
) -> None:
    """Remove noise. Without -o, writes NAME-denoised.EXT beside each input."""
    with user_errors():
        from restoretk import api

        options = method_options("denoise", method, option, weights)
        level = noise_value(noise)
        process(
            inputs, output, "denoised", overwrite, bit_depth,
            lambda image, source: api.denoise(image, level, method, **options),
            "denoising", skip_existing, keep_going, lambda image: api.check_image(image.shape),
        )


def degrade(
    image: Path = typer.Argument(..., help="The sharp image.", metavar="IN"),
    output: Path = typer.Option(..., "-o", "--output", help="Output image."),
    psf: Optional[str] = typer.Option(None, "--psf", help="Blur PSF spec (default: none)."),
    noise: float = typer.Option(0.0, "--noise", help="Gaussian noise std in [0,1] units."),
    scale: int = typer.Option(1, "--scale", "-s", help="Keep every S-th pixel."),
    boundary: str = typer.Option("valid", "--boundary", help="Scene beyond the frame: valid, circular or reflect."),
    seed: int = typer.Option(0, "--seed", help="Seed of the noise."),
    overwrite: bool = OVERWRITE,
) -> None:
    """Simulate a degraded photo: blur, decimate, add noise (to make test pairs)."""
    with user_errors():
        from restoretk import api
        from restoretk.io import check_writable, read_image, write_image

        check_writable(output, overwrite=overwrite, inputs=[image])
        sharp, info = read_image(image)
        degraded = api.degrade(sharp, psf, noise, scale, boundary, seed)
        write_image(output, degraded, bit_depth=output_depth(output, None, info), overwrite=overwrite)
        typer.echo(f"{image} -> {output} ({degraded.shape[1]}x{degraded.shape[0]})", err=True)


