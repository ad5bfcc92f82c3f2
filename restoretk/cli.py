"""The ``restoretk`` command: a thin shell over the Python API.

Errors the user can fix are printed as one line on stderr with exit code 2, and
nothing is written; ``--debug`` shows the traceback instead.

A batch is checked whole before its first write: every input is decoded, every output
name, bit depth and format checked. Ctrl-C and SIGTERM stop it between two atomic
writes and say how many outputs were written; ``--skip-existing`` continues it, and
``--keep-going`` restores what it can and lists the rest.
"""

from __future__ import annotations

import ast
import contextlib
import os
import signal
import sys
import warnings
from pathlib import Path
from typing import Callable, Iterator, List, Optional

import numpy as np
import typer
import typer.core
from tqdm import tqdm

from restoretk import api
from restoretk import psf as psf_module
from restoretk.errors import RestoreError
from restoretk.estimation import AUTO, ESTIMATORS, auto_family, estimate_psf, rank_families
from restoretk.io import ImageInfo, check_writable, list_images, read_image, write_image
from restoretk.limits import check_pixels
from restoretk.methods import get_method, list_methods
from restoretk.noise import noise_level
from restoretk.progress import shown
from restoretk.runtime import chosen_threads, keep_freed_memory, set_threads

_state = {"debug": False}


class _Commands(typer.core.TyperGroup):
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


def _note(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ANN001
    """A warning (restoretk's or a library's) as one line on stderr."""
    typer.echo(f"note: {' '.join(str(message).split())}", err=True)


app = typer.Typer(
    cls=_Commands,
    help="Restore degraded photographs: deblur, upscale, degrade, benchmark.",
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
    """restoretk: deblurring and super-resolution with exact operators and learned null-space residuals."""


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


def _method_options(task: str, method: str, pairs: List[str], weights: Optional[Path]) -> dict:
    """``-O NAME=VALUE`` pairs (and ``--weights``) checked against the method's typed options."""
    options = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key:
            raise RestoreError(f"bad option {pair!r}", "write it as NAME=VALUE, e.g. -O iterations=30")
        options[key.replace("-", "_")] = text
    if weights is not None:
        options["weights"] = str(weights)
    return get_method(method, task).check_options(options)


def _outputs(inputs: List[Path], output: Optional[str], suffix: str) -> tuple[List[Path], Optional[Path]]:
    """One output per input, and the folder to create for them (or None).

    The same rules for one input and several: without ``-o``, ``NAME-SUFFIX.EXT`` beside
    each input; ``-o`` ending in ``/``, naming a folder or a name without an extension:
    that folder; ``-o FILE.EXT``: that file, for a single input only.
    """
    if output is None:
        return [p.with_name(f"{p.stem}-{suffix}{p.suffix}") for p in inputs], None
    path = Path(output)
    if output.endswith(("/", os.sep)) or path.is_dir() or (not path.suffix and not path.exists()):
        if path.exists() and not path.is_dir():
            raise RestoreError(f"-o {output} is a file, not a folder", "give a folder name, or remove the trailing /")
        return [path / f"{p.stem}-{suffix}{p.suffix}" for p in inputs], path
    if len(inputs) > 1:
        raise RestoreError(
            f"-o {output} names one image but {len(inputs)} inputs were given", f"give a folder, e.g. -o {path.with_suffix('')}/"
        )
    return [path], None


def _depth(target: Path, bit_depth: Optional[int], info: ImageInfo) -> int:
    """``--bit-depth``, else the input's where the output format can hold it, else 8."""
    return bit_depth or (info.bit_depth if target.suffix.lower() in (".png", ".tif", ".tiff") else 8)


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM stops the work as Ctrl-C does: between writes, temporary files removed."""

    def interrupt(signum, frame):  # noqa: ANN001 - signal handler signature
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _process(
    inputs: List[str],
    output: Optional[str],
    suffix: str,
    overwrite: bool,
    bit_depth: Optional[int],
    restore: Callable[[np.ndarray, Path], np.ndarray],
    describe: str,
    skip_existing: bool = False,
    keep_going: bool = False,
    check: Optional[Callable[[np.ndarray], None]] = None,
) -> None:
    """Check the whole batch (``check`` on each image), then read each input, restore it and write it atomically."""
    set_threads(chosen_threads())
    keep_freed_memory()
    paths = list_images(inputs)
    targets, folder = _outputs(paths, output, suffix)
    if len(set(targets)) < len(targets):
        raise RestoreError("two inputs would be written to the same output name", "give -o a folder or rename inputs")
    jobs = [(s, t) for s, t in zip(paths, targets) if not (skip_existing and t.exists())]
    if len(jobs) < len(paths):
        typer.echo(f"skipping {len(paths) - len(jobs)} existing output(s)", err=True)
    failures: list[tuple[Path, str]] = []
    written, created = 0, None
    with _terminate_as_interrupt():
        try:
            checked, first = _check_batch(jobs, paths, folder, overwrite, bit_depth, check, failures if keep_going else None)
            if folder is not None and checked and not folder.exists():
                folder.mkdir(parents=True)
                created = folder
            for source, target in tqdm(checked, desc=describe, unit="image", disable=len(checked) < 2, file=sys.stderr):
                try:
                    image, info = first if first is not None and first[1].source == source else read_image(source)
                    first = None
                    with shown():
                        restored = restore(image, source)
                    alpha = info.alpha if target.suffix.lower() not in (".jpg", ".jpeg") else None  # JPEG has no alpha
                    if alpha is not None and alpha.shape != restored.shape[:2]:
                        from restoretk.resize import imresize

                        alpha = np.clip(imresize(alpha, output_shape=restored.shape[:2]), 0, 1)
                    write_image(target, restored, bit_depth=_depth(target, bit_depth, info), alpha=alpha, overwrite=overwrite)
                except RestoreError as error:
                    if not keep_going:
                        if written:
                            typer.echo(f"stopped at {source}: {written} of {len(checked)} outputs were written", err=True)
                        raise
                    failures.append((source, str(error)))
                    continue
                written += 1
                typer.echo(f"{source} -> {target}", err=True)
        except KeyboardInterrupt:
            more = " (rerun with --skip-existing to continue)" if written else ""
            typer.echo(f"interrupted: {written} of {len(jobs)} outputs written{more}", err=True)
            raise typer.Exit(130) from None
        finally:
            if created is not None and not written:  # made for this run and still empty: leave nothing
                with contextlib.suppress(OSError):
                    created.rmdir()
    if failures:
        typer.echo(f"error: {len(failures)} of {len(jobs)} inputs failed, {written} written:", err=True)
        for source, message in failures:
            typer.echo(f"  {source}: {message}", err=True)
        raise typer.Exit(2)


def _check_batch(
    jobs: List[tuple[Path, Path]],
    paths: List[Path],
    folder: Optional[Path],
    overwrite: bool,
    bit_depth: Optional[int],
    check: Optional[Callable[[np.ndarray], None]],
    failures: Optional[list[tuple[Path, str]]],
) -> tuple[List[tuple[Path, Path]], Optional[tuple[np.ndarray, ImageInfo]]]:
    """The jobs whose input decodes and whose output can be written, and the first image, decoded.

    A failure raises, or, with a ``failures`` list (``--keep-going``), is recorded there.
    """
    checked, first = [], None
    for source, target in tqdm(jobs, desc="checking", unit="image", delay=2, leave=False, file=sys.stderr):
        try:
            image, info = read_image(source)
            if check is not None:
                try:
                    check(image)
                except RestoreError as error:
                    raise RestoreError(f"{source}: {error.problem}", error.hint) from None
            alpha = info.alpha is not None and target.suffix.lower() not in (".jpg", ".jpeg")  # JPEG drops alpha
            depth = _depth(target, bit_depth, info)
            check_writable(target, overwrite=overwrite, inputs=paths, bit_depth=depth, alpha=alpha, make_folder=folder is not None)
        except RestoreError as error:
            if failures is None:
                raise
            failures.append((source, str(error)))
            continue
        if not checked:
            first = (image, info)  # restored first: not read twice
        checked.append((source, target))
    return checked, first


#: Largest magnification of a PSF picture.
MAX_ZOOM = 100

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


def _noise_value(text: str) -> float | str:
    return "auto" if text == "auto" else noise_level(text)


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
    with _user_errors():
        options = _method_options("deblur", method, option, weights)
        family = auto_family(psf)
        kernel = psf_module.parse(psf if family is None else "gauss:1")
        api.deblur(np.zeros((kernel.shape[0] * 2, kernel.shape[1] * 2)), kernel, method, 0.01, **options)  # checks
        level = _noise_value(noise)
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
                write_image(target, _psf_picture(blur, 1), bit_depth=16, overwrite=overwrite)
                typer.echo(f"PSF -> {target}", err=True)
            return restored

        _process(
            inputs, output, "deblurred", overwrite, bit_depth, restore, "deblurring", skip_existing, keep_going,
            None if family is not None else lambda image: api.check_image(image.shape, kernel),
        )


def _psf_targets(inputs: List[str], save_psf: Optional[str], overwrite: bool) -> dict[Path, Path]:
    """Where ``--save-psf`` writes each input's PSF (PNG), by input, checked before any work; empty without it."""
    if save_psf is None:
        return {}
    paths = list_images(inputs)
    outputs, folder = _outputs(paths, save_psf, "psf")
    targets = [t.with_suffix(".png") for t in outputs]
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    for target in targets:
        check_writable(target, overwrite=overwrite, inputs=paths, bit_depth=16)
    return dict(zip(paths, targets))


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
    output: Optional[str] = OUTPUT,
    overwrite: bool = OVERWRITE,
    bit_depth: Optional[int] = BIT_DEPTH,
    skip_existing: bool = SKIP_EXISTING,
    keep_going: bool = KEEP_GOING,
) -> None:
    """Super-resolve by an integer factor. Without -o, writes NAME-xS.EXT beside each input."""
    with _user_errors():
        options = _method_options("upscale", method, option, weights)
        api.upscale(np.zeros((8, 8)), scale, method, psf, 0.01, **options)  # checks method, options, scale
        level = _noise_value(noise)
        _process(
            inputs, output, f"x{scale}", overwrite, bit_depth,
            lambda image, source: api.upscale(image, scale, method, psf, level, boundary=boundary, **options),
            "upscaling", skip_existing, keep_going, lambda image: api.check_image(image.shape, scale=scale),
        )


@app.command()
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
    with _user_errors():
        options = _method_options("denoise", method, option, weights)
        level = _noise_value(noise)
        _process(
            inputs, output, "denoised", overwrite, bit_depth,
            lambda image, source: api.denoise(image, level, method, **options),
            "denoising", skip_existing, keep_going, lambda image: api.check_image(image.shape),
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
        write_image(output, degraded, bit_depth=_depth(output, None, info), overwrite=overwrite)
        typer.echo(f"{image} -> {output} ({degraded.shape[1]}x{degraded.shape[0]})", err=True)


@app.command("estimate-psf")
def estimate_psf_command(
    inputs: List[str] = typer.Argument(..., help="Blurred images, folders or glob patterns.", metavar="IN..."),
    family: str = typer.Option(
        "gauss", "--family", "-f", help=f"PSF family to fit: {', '.join(ESTIMATORS)} (gauss-aniso includes round "
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
    with _user_errors():
        auto_family(f"{AUTO}:{family}")  # checks the family and its @SIZE
        level = _noise_value(noise)
        _check_zoom(zoom)
        set_threads(chosen_threads())
        paths = list_images(inputs)
        targets, folder = ([None] * len(paths), None) if output is None else _outputs(paths, output, "psf")
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
                write_image(target, _psf_picture(kernel, zoom), bit_depth=16, overwrite=overwrite)


def _check_zoom(zoom: int) -> None:
    if not 1 <= zoom <= MAX_ZOOM:
        raise RestoreError(f"--zoom {zoom} is not from 1 to {MAX_ZOOM}", "use e.g. --zoom 8")


def _psf_picture(kernel: np.ndarray, zoom: int) -> np.ndarray:
    """The kernel magnified ``zoom`` times, scaled so its peak is white."""
    check_pixels(kernel.shape[0] * zoom, kernel.shape[1] * zoom, f"the x{zoom} picture of a {kernel.shape[1]}x{kernel.shape[0]} PSF")
    return np.kron(kernel / kernel.max(), np.ones((zoom, zoom)))


@app.command("psf")
def psf_command(
    spec: str = typer.Argument(..., help="PSF spec. " + " | ".join(f.syntax for f in psf_module.families().values())),
    output: Path = typer.Option(..., "-o", "--output", help="PNG to write (scaled so the peak is white)."),
    zoom: int = typer.Option(8, "--zoom", help=f"Pixel magnification of the picture (1 to {MAX_ZOOM})."),
    overwrite: bool = OVERWRITE,
) -> None:
    """Render a PSF as an image. Support size: append @N or @ROWSxCOLS, e.g. gauss:2@25."""
    with _user_errors():
        _check_zoom(zoom)
        check_writable(output, overwrite=overwrite)
        kernel = psf_module.parse(spec)
        write_image(output, _psf_picture(kernel, zoom), bit_depth=16 if output.suffix.lower() in (".png", ".tif", ".tiff") else 8, overwrite=overwrite)
        typer.echo(f"{spec}: {kernel.shape[0]}x{kernel.shape[1]} -> {output}", err=True)


@app.command("methods")
def methods_command() -> None:
    """List the restoration methods and their options."""
    for task in ("deblur", "upscale", "denoise"):
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


@app.command("fetch-data")
def fetch_data(
    dest: Path = typer.Option(
        Path("~/.cache/restoretk/BSDS500"), "--dest", help="Folder for train/ val/ test/ (one that restoretk searches)."
    ),
) -> None:
    """Download BSDS500 (the official 71 MB archive; images only) for 'restoretk bench' and 'restoretk train'."""
    from restoretk.data import download_bsds500

    with _user_errors():
        folder = download_bsds500(dest)
        typer.echo(f"BSDS500 in {folder}; restoretk finds it there (or pass --data {folder})", err=True)


from restoretk.bench.command import bench  # noqa: E402

app.command("bench")(bench)

from restoretk.learners.command import models, train  # noqa: E402

app.command("train")(train)
app.command("models")(models)
