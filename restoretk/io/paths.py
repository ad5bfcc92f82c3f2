"""Where images come from and go to: expanding inputs, and checking outputs before any work.

:func:`list_images` turns files, folders and glob patterns into image files;
:func:`check_writable` runs every check :func:`~restoretk.io.write_image` makes before
it writes, alone, so that a command line can validate each output of a batch before
doing any work.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable
from pathlib import Path

from restoretk.errors import InputError
from restoretk.io.formats import (
    ALPHA_FORMATS,
    EXPECTED_FORMATS,
    FORMAT_OF_SUFFIX,
    IMAGE_SUFFIXES,
    MAX_LEVEL,
    SIXTEEN_BIT_FORMATS,
)

__all__ = ["check_writable", "list_images"]


def check_writable(
    path: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    inputs: Iterable[str | os.PathLike[str]] = (),
    bit_depth: int = 8,
    alpha: bool = False,
    make_folder: bool = False,
) -> Path:
    """Check, before any work is done, that an image can be written to ``path``.

    Parameters
    ----------
    path : str or path-like
        The output file; its extension (.png, .jpg, .jpeg, .tif, .tiff, .bmp) picks the
        format.
    overwrite : bool, optional
        Allow replacing an existing file.
    inputs : iterable of str or path-like, optional
        Input files that must never be overwritten, even with ``overwrite=True``.
    bit_depth : {8, 16}, optional
        Bits per sample to be written; 16 needs PNG or TIFF.
    alpha : bool, optional
        Whether an alpha channel will be written; JPEG cannot store one.
    make_folder : bool, optional
        The caller will create ``path``'s folder: it may be missing, if the nearest
        existing folder above it is writable.

    Returns
    -------
    Path
        ``path`` as a :class:`~pathlib.Path`.

    Raises
    ------
    InputError
        If the extension, bit depth or alpha does not suit the format, the path is an
        input or a folder, the file exists and ``overwrite`` is False, or the parent
        folder is missing or not writable.

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.TemporaryDirectory()
    >>> check_writable(Path(folder.name) / "out.png", bit_depth=16).name
    'out.png'
    >>> check_writable(Path(folder.name) / "out.jpg", bit_depth=16)
    Traceback (most recent call last):
    ...
    restoretk.errors.InputError: cannot write 16-bit JPEG '...out.jpg'; use .png or .tif for 16-bit output
    >>> folder.cleanup()
    """
    path = Path(path)
    fmt = FORMAT_OF_SUFFIX.get(path.suffix.lower())
    if fmt is None:
        what = f"extension '{path.suffix}'" if path.suffix else "no extension"
        raise InputError(
            f"cannot write '{path}': {what} is not an image format",
            "end the name with .png, .jpg, .tif or .bmp",
        )
    if bit_depth not in MAX_LEVEL:
        raise InputError(f"bit_depth={bit_depth!r} is not supported", "use 8 or 16")
    if bit_depth == 16 and fmt not in SIXTEEN_BIT_FORMATS:
        raise InputError(
            f"cannot write 16-bit {fmt} '{path}'", "use .png or .tif for 16-bit output"
        )
    if alpha and fmt not in ALPHA_FORMATS:
        raise InputError(
            f"cannot write alpha to {fmt} '{path}'",
            "use .png or .tif to keep transparency, or drop the alpha",
        )
    for source in inputs:
        if _same_file(path, Path(source)):
            raise InputError(f"would overwrite the input '{source}'", "choose another -o")
    if path.is_dir():
        raise InputError(
            f"cannot write '{path}': it is a folder", f"give a file name such as '{path / 'out.png'}'"
        )
    if (path.exists() or path.is_symlink()) and not overwrite:
        raise InputError(f"'{path}' exists", "pass overwrite=True to replace it")
    folder = path.parent
    while make_folder and not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.exists():
        raise InputError(
            f"cannot write '{path}': folder '{folder}' does not exist",
            f"create it first (mkdir -p '{folder}')",
        )
    if not folder.is_dir():
        raise InputError(f"cannot write '{path}': '{folder}' is not a folder", "choose another -o")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(
            f"cannot write to folder '{folder}': permission denied",
            "choose a folder you can write to",
        )
    return path


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet)
        return a.resolve() == b.resolve()



def list_images(paths: Iterable[str | os.PathLike[str]] | str | os.PathLike[str]) -> list[Path]:
    """Expand files, folders and glob patterns into a list of image files.

    Parameters
    ----------
    paths : iterable of str or path-like, or a single one
        Image files (kept as given), folders (their images with a suffix in
        :data:`IMAGE_SUFFIXES`, case-insensitive, sorted, not recursive, hidden files
        skipped) and glob patterns (``'photos/*.jpg'``, ``'data/**/*.png'``).

    Returns
    -------
    list of Path
        The images in the order given, each once.

    Raises
    ------
    InputError
        If nothing is given, a path does not exist, or a folder or pattern holds no
        images.

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.TemporaryDirectory()
    >>> for name in ("b.png", "a.JPG", "notes.txt"):
    ...     _ = (Path(folder.name) / name).write_bytes(b"")
    >>> [p.name for p in list_images([folder.name])]
    ['a.JPG', 'b.png']
    >>> folder.cleanup()
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    found: list[Path] = []
    for entry in paths:
        text = os.fspath(entry)
        candidate = Path(text)
        if candidate.is_dir():
            matches = sorted(p for p in candidate.iterdir() if _is_image_file(p))
            if not matches:
                raise InputError(
                    f"no images in folder '{candidate}' ({EXPECTED_FORMATS})",
                    "check the folder, or pass a pattern such as 'folder/*.png'",
                )
        elif candidate.exists():
            matches = [candidate]
        elif any(char in text for char in "*?["):
            matches = sorted(Path(p) for p in glob.glob(text, recursive=True) if _is_image_file(Path(p)))
            if not matches:
                raise InputError(f"no images match '{text}' ({EXPECTED_FORMATS})", "check the pattern")
        else:
            raise InputError(f"'{text}' does not exist", "check the path")
        found.extend(matches)
    if not found:
        raise InputError("no input images given", "pass image files, folders or glob patterns")
    unique: dict[Path, Path] = {}
    for image_path in found:
        unique.setdefault(image_path.resolve(), image_path)
    return list(unique.values())


def _is_image_file(path: Path) -> bool:
    return (
        path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith(".") and path.is_file()
    )
