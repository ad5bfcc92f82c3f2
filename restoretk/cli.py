"""The ``restoretk`` command: a thin shell over the Python API.

Errors the user can fix are printed as one line on stderr with exit code 2, and
nothing is written; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import ast
import contextlib
import sys
from pathlib import Path
from typing import Callable, Iterator, List, Optional

import numpy as np
import typer
from tqdm import tqdm

from restoretk import api
from restoretk import psf as psf_module
from restoretk.errors import RestoreError
from restoretk.estimation import AUTO, ESTIMATORS, auto_family, estimate_psf, rank_families
from restoretk.io import check_writable, list_images, read_image, write_image
from restoretk.methods import list_methods

app = typer.Typer(
    help="Restore degraded photographs: deblur, upscale, degrade, benchmark.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

_state = {"debug": False}


@app.callback()
def main(debug: bool = typer.Option(False, "--debug", help="Show tracebacks instead of one-line errors.")) -> None:
    """restoretk: deblurring and super-resolution with exact operators and learned null-space residuals."""
    _state["debug"] = debug


@contextlib.contextmanager
def _user_errors() -> Iterator[None]:
    """Turn a RestoreError into one line on stderr and exit code 2."""
    try:
        yield
    except RestoreError as error:
        if _state["debug"]:
            raise
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None


def _parse_options(pairs: List[str]) -> dict:
    options = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key:
            raise RestoreError(f"bad option {pair!r}", "write it as NAME=VALUE, e.g. -O iterations=30")
        try:
            options[key.replace("-", "_")] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            options[key.replace("-", "_")] = text
    return options


def _outputs(inputs: List[Path], output: Optional[Path], suffix: str) -> List[Path]:
    """One output per input: ``-o FILE`` for one input, ``-o FOLDER`` for several, else beside the input."""
    if output is not None and (len(inputs) > 1 or output.is_dir()):
        if output.exists() and not output.is_dir():
            raise RestoreError(f"-o {output} is a file but {len(inputs)} inputs were given", "pass a folder to -o")
        return [output / f"{p.stem}-{suffix}{p.suffix}" for p in inputs]
    if output is not None:
        return [output]
    return [p.with_name(f"{p.stem}-{suffix}{p.suffix}") for p in inputs]


def _process(
    inputs: List[str],
    output: Optional[Path],
    suffix: str,
    overwrite: bool,
    bit_depth: Optional[int],
    restore: Callable[[np.ndarray], np.ndarray],
    describe: str,
) -> None:
    """Read each input, restore it, write it atomically; every output is checked before any work."""
    paths = list_images(inputs)
    targets = _outputs(paths, output, suffix)
    if len(set(targets)) < len(targets):
        raise RestoreError("two inputs would be written to the same output name", "give -o a folder or rename inputs")
    if output is not None and len(paths) > 1:
        output.mkdir(parents=True, exist_ok=True)
    for target in targets:
        check_writable(target, overwrite=overwrite, inputs=paths)
    bar = tqdm(list(zip(paths, targets)), desc=describe, unit="image", disable=len(paths) < 2, file=sys.stderr)
    for source, target in bar:
        image, info = read_image(source)
        restored = restore(image)
        alpha = info.alpha if target.suffix.lower() not in (".jpg", ".jpeg") else None  # JPEG has no alpha
        if alpha is not None and alpha.shape != restored.shape[:2]:
            from restoretk.resize import imresize

            alpha = np.clip(imresize(alpha, output_shape=restored.shape[:2]), 0, 1)
        depth = bit_depth or (info.bit_depth if target.suffix.lower() in (".png", ".tif", ".tiff") else 8)
        write_image(target, restored, bit_depth=depth, alpha=alpha, overwrite=overwrite)
        typer.echo(f"{source} -> {target}", err=True)


OUTPUT = typer.Option(None, "-o", "--output", help="Output file (one input) or folder (several inputs).")
OVERWRITE = typer.Option(False, "--overwrite", help="Replace existing outputs.")
BIT_DEPTH = typer.Option(None, "--bit-depth", help="8 or 16 bits per sample (default: the input's).")
NOISE = typer.Option("auto", "--noise", help="Noise std in [0,1] units, or 'auto' to estimate it.")
BOUNDARY = typer.Option("auto", "--boundary", help="Borders: auto, reflect or circular.")
OPTIONS = typer.Option([], "-O", "--option", help="Method option NAME=VALUE (repeatable), e.g. -O iterations=30.")
WEIGHTS = typer.Option(None, "--weights", help="Your own trained model (.safetensors) for a learned method.")


def _with_weights(options: dict, weights: Optional[Path]) -> dict:
    """``--weights PATH`` is the learned methods' ``weights`` option."""
    return {**options, "weights": str(weights)} if weights is not None else options


def _noise_value(text: str) -> float | str:
    if text == "auto":
        return "auto"
    try:
        return float(text)
    except ValueError:
        raise RestoreError(f"--noise {text!r} is not a number", "use e.g. --noise 0.01 or --noise auto") from None


@app.command()
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
    output: Optional[Path] = OUTPUT,
    overwrite: bool = OVERWRITE,
    bit_depth: Optional[int] = BIT_DEPTH,
    save_psf: Optional[Path] = typer.Option(
        None, "--save-psf", help="Also write the PSF used (estimated or given) as a 16-bit PNG, for --psf file:PATH: "
        "a file (one input) or a folder (several).",
    ),
) -> None:
    """Remove a blur, known or estimated. Without -o, writes NAME-deblurred.EXT beside each input."""
    with _user_errors():
        options = _with_weights(_parse_options(option), weights)
        family = auto_family(psf)
        kernel = psf_module.parse(psf if family is None else "gauss:1")
        api.deblur(np.zeros((kernel.shape[0] * 2, kernel.shape[1] * 2)), kernel, method, 0.01, **options)  # checks
        level = _noise_value(noise)
        psf_targets = _psf_targets(inputs, save_psf, overwrite)

        def restore(image: np.ndarray) -> np.ndarray:
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
                target = psf_targets.pop(0)
                write_image(target, _psf_picture(blur, 1), bit_depth=16, overwrite=overwrite)
                typer.echo(f"PSF -> {target}", err=True)
            return restored

        _process(inputs, output, "deblurred", overwrite, bit_depth, restore, "deblurring")


def _psf_targets(inputs: List[str], save_psf: Optional[Path], overwrite: bool) -> List[Path]:
    """Where ``--save-psf`` writes each input's PSF (PNG), checked before any work; empty without it."""
    if save_psf is None:
        return []
    paths = list_images(inputs)
    targets = [t.with_suffix(".png") for t in _outputs(paths, save_psf, "psf")]
    if len(paths) > 1:
        save_psf.mkdir(parents=True, exist_ok=True)
    for target in targets:
        check_writable(target, overwrite=overwrite, inputs=paths, bit_depth=16)
    return targets


@app.command()
def upscale(
    inputs: List[str] = typer.Argument(..., help="Images, folders or glob patterns.", metavar="IN..."),
    scale: int = typer.Option(..., "--scale", "-s", help="Integer upscaling factor, e.g. 2 or 4."),
    method: str = typer.Option("bicubic", "--method", "-m", help="Upscaling method (see 'restoretk methods')."),
    psf: Optional[str] = typer.Option(None, "--psf", help="Blur before decimation (default: the kernel of a bicubic downscale)."),
    noise: str = NOISE,
    boundary: str = BOUNDARY,
    option: List[str] = OPTIONS,
    weights: Optional[Path] = WEIGHTS,
    output: Optional[Path] = OUTPUT,
    overwrite: bool = OVERWRITE,
    bit_depth: Optional[int] = BIT_DEPTH,
) -> None:
    """Super-resolve by an integer factor. Without -o, writes NAME-xS.EXT beside each input."""
    with _user_errors():
        options = _with_weights(_parse_options(option), weights)
        api.upscale(np.zeros((8, 8)), scale, method, psf, 0.01, **options)  # checks method, options, scale
        level = _noise_value(noise)
        _process(
            inputs, output, f"x{scale}", overwrite, bit_depth,
            lambda image: api.upscale(image, scale, method, psf, level, boundary=boundary, **options),
            "upscaling",
        )


@app.command()
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
    with _user_errors():
        check_writable(output, overwrite=overwrite, inputs=[image])
        sharp, info = read_image(image)
        degraded = api.degrade(sharp, psf, noise, scale, boundary, seed)
        write_image(output, degraded, bit_depth=info.bit_depth if output.suffix.lower() != ".jpg" else 8, overwrite=overwrite)
        typer.echo(f"{image} -> {output} ({degraded.shape[1]}x{degraded.shape[0]})", err=True)


@app.command("estimate-psf")
def estimate_psf_command(
    inputs: List[str] = typer.Argument(..., help="Blurred images, folders or glob patterns.", metavar="IN..."),
    family: str = typer.Option(
        "gauss", "--family", "-f", help=f"PSF family to fit: {', '.join(ESTIMATORS)} (gauss-aniso includes round "
        "blurs; shake is free-form, shake@SIZE gives its odd support), or auto: the family that fits best."
    ),
    noise: str = NOISE,
    output: Optional[Path] = typer.Option(
        None, "-o", "--output", help="Write the kernel as a PNG: a file (one input) or a folder (several)."
    ),
    zoom: int = typer.Option(8, "--zoom", help="Pixel magnification of the written kernel."),
    overwrite: bool = OVERWRITE,
) -> None:
    """Estimate the blur of each image and print it as a PSF spec (IN<TAB>SPEC), for --psf."""
    with _user_errors():
        auto_family(f"{AUTO}:{family}")  # checks the family and its @SIZE
        level = _noise_value(noise)
        paths = list_images(inputs)
        targets = [None] * len(paths) if output is None else _outputs(paths, output, "psf")
        targets = [t if t is None else t.with_suffix(".png") for t in targets]
        if output is not None and len(paths) > 1:
            output.mkdir(parents=True, exist_ok=True)
        for target in targets:
            if target is not None:
                check_writable(target, overwrite=overwrite, inputs=paths)
        for source, target in zip(tqdm(paths, desc="estimating", unit="image", disable=len(paths) < 2, file=sys.stderr), targets):
            spec, kernel = estimate_psf(read_image(source)[0], family, noise=None if level == "auto" else level,
                                        progress=True)
            typer.echo(f"{source}\t{spec}")
            if target is not None:
                write_image(target, _psf_picture(kernel, zoom), bit_depth=16, overwrite=overwrite)


def _psf_picture(kernel: np.ndarray, zoom: int) -> np.ndarray:
    """The kernel magnified ``zoom`` times, scaled so its peak is white."""
    return np.kron(kernel / kernel.max(), np.ones((zoom, zoom)))


@app.command("psf")
def psf_command(
    spec: str = typer.Argument(..., help="PSF spec. " + " | ".join(f.syntax for f in psf_module.families().values())),
    output: Path = typer.Option(..., "-o", "--output", help="PNG to write (scaled so the peak is white)."),
    zoom: int = typer.Option(8, "--zoom", help="Pixel magnification of the picture."),
    overwrite: bool = OVERWRITE,
) -> None:
    """Render a PSF as an image. Support size: append @N or @ROWSxCOLS, e.g. gauss:2@25."""
    with _user_errors():
        check_writable(output, overwrite=overwrite)
        kernel = psf_module.parse(spec)
        write_image(output, _psf_picture(kernel, zoom), bit_depth=16 if output.suffix.lower() in (".png", ".tif", ".tiff") else 8, overwrite=overwrite)
        typer.echo(f"{spec}: {kernel.shape[0]}x{kernel.shape[1]} -> {output}", err=True)


@app.command("methods")
def methods_command() -> None:
    """List the restoration methods and their options."""
    for task in ("deblur", "upscale"):
        typer.echo(f"{task}:")
        for m in list_methods(task):
            options = ", ".join(o for o in m.options if o != "boundary")
            scales = f"  [shipped model: x{', x'.join(map(str, sorted(m.scales)))}]" if task == "upscale" and m.scales else ""
            typer.echo(f"  {m.name:<18} {m.summary}" + (f"  [options: {options}]" if options else "") + scales)


@app.command()
def demo(out: Path = typer.Option(Path("demo-out"), "--out", help="Folder for the results.")) -> None:
    """Deblur a sample photo shipped with scikit-image and write before/after images and a figure."""
    from restoretk.demo import run_demo

    with _user_errors():
        run_demo(out)


from restoretk.bench.command import bench  # noqa: E402

app.command("bench")(bench)

from restoretk.learners.command import models, train  # noqa: E402

app.command("train")(train)
app.command("models")(models)
