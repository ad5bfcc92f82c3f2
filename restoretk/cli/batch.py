"""How a command turns many inputs into outputs: names, checks of the whole batch, atomic writes.

The same rules for one input and several. A batch is checked whole before its first
write: every input is decoded, every output name, bit depth and format checked.
Ctrl-C and SIGTERM stop it between two atomic writes and say how many outputs were
written; ``--skip-existing`` continues it, and ``--keep-going`` restores what it can and
lists the rest.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, List, Optional

import typer
from tqdm import tqdm

from restoretk.errors import RestoreError
from restoretk.progress import shown

if TYPE_CHECKING:
    import numpy as np

    from restoretk.io import ImageInfo

__all__ = ["outputs", "output_depth", "process"]

def outputs(inputs: List[Path], output: Optional[str], suffix: str) -> tuple[List[Path], Optional[Path]]:
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


def output_depth(target: Path, bit_depth: Optional[int], info: ImageInfo) -> int:
    """``--bit-depth``, else the input's where the output format can hold it, else 8."""
    return bit_depth or (info.bit_depth if target.suffix.lower() in (".png", ".tif", ".tiff") else 8)


@contextlib.contextmanager
def _signals_handled(handler: Callable[[int, object], None], *numbers: int) -> Iterator[None]:
    """Run the body with ``handler`` for the signals ``numbers``; the previous handlers afterwards."""
    try:
        previous = {number: signal.signal(number, handler) for number in numbers}
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        for number, before in previous.items():
            signal.signal(number, before)


@contextlib.contextmanager
def _interrupts_held() -> Iterator[None]:
    """Ctrl-C and SIGTERM wait until the body is done, then interrupt (a write takes milliseconds)."""
    received: list[int] = []
    with _signals_handled(lambda number, frame: received.append(number), signal.SIGINT, signal.SIGTERM):
        yield
    if received:
        raise KeyboardInterrupt


def _interrupt(number: int, frame: object) -> None:
    raise KeyboardInterrupt


def _terminate_as_interrupt() -> contextlib.AbstractContextManager[None]:
    """SIGTERM stops the work as Ctrl-C does: between writes, temporary files removed."""
    return _signals_handled(_interrupt, signal.SIGTERM)


def process(
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
    import numpy as np

    from restoretk.io import list_images, read_image, write_image
    from restoretk.runtime import chosen_threads, keep_freed_memory, set_threads

    set_threads(chosen_threads())
    keep_freed_memory()
    paths = list_images(inputs)
    targets, folder = outputs(paths, output, suffix)
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
                    with _interrupts_held():  # an output on disk is an output counted
                        write_image(target, restored, bit_depth=output_depth(target, bit_depth, info), alpha=alpha,
                                    overwrite=overwrite)
                        written += 1
                        typer.echo(f"{source} -> {target}", err=True)
                except RestoreError as error:
                    if not keep_going:
                        if written:
                            typer.echo(f"stopped at {source}: {written} of {len(checked)} outputs were written", err=True)
                        raise
                    failures.append((source, str(error)))
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
    from restoretk.io import check_writable, read_image

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
            depth = output_depth(target, bit_depth, info)
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
