"""Atomic writing: every file restoretk writes appears whole, or not at all.

A file is first written to a hidden temporary file beside its target,
``.NAME.tmp-1a2b3c4d.SUFFIX`` (the same folder, so that the rename never crosses file
systems; the same suffix, so that writers that pick a format from the name still do),
flushed to disk with ``fsync`` and then renamed over the target with :func:`os.replace`.
A failure or an interruption (Ctrl-C, SIGTERM turned into an exception) before the
rename removes the temporary file and leaves the target as it was; a reader never sees
a half-written file.

Permissions: a new file gets what the umask (and the folder's default ACL) gives any new
file, ``0o666 & ~umask``, because the temporary file is created with mode ``0o666`` and
the system applies the umask (no umask is read, so nothing races with other threads); a
replaced file keeps its permissions.

:func:`atomic_path` suits writers that want a file name (``torch.save``,
``safetensors``' ``save_file``, ``savefig``, Pillow's ``save``), :func:`atomic_open`
those that write to a file object, and :func:`atomic_write_bytes` and
:func:`atomic_write_text` whole contents at once.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Literal

__all__ = ["atomic_path", "atomic_open", "atomic_write_bytes", "atomic_write_text"]


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str], *, overwrite: bool = True) -> Iterator[Path]:
    """A temporary path to write, renamed over ``target`` when the block ends without error.

    Parameters
    ----------
    target : str or path-like
        The file to write; its folder must exist.
    overwrite : bool, optional
        Replace ``target`` if it exists (keeping its permissions). With False, a
        ``target`` that exists when the block ends, even one that appeared meanwhile, is
        left alone and :class:`FileExistsError` is raised.

    Yields
    ------
    Path
        An empty hidden file beside ``target``, with ``target``'s suffix, for the block
        to write (by name: it is opened and truncated, not replaced).

    Raises
    ------
    FileExistsError
        With ``overwrite=False``, if ``target`` exists.
    OSError
        If the temporary file cannot be created, flushed or renamed.

    Notes
    -----
    On any exception inside the block or while committing (``KeyboardInterrupt``
    included) the temporary file is removed and the exception propagates.

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> folder = tempfile.TemporaryDirectory()
    >>> target = Path(folder.name) / "table.npy"
    >>> with atomic_path(target) as temporary:
    ...     np.save(temporary, np.arange(3))
    >>> np.load(target).tolist(), sorted(p.name for p in Path(folder.name).iterdir())
    ([0, 1, 2], ['table.npy'])
    >>> folder.cleanup()
    """
    target = Path(target)
    temporary = _create_temporary(target)
    try:
        yield temporary
        _fsync_file(temporary)
        if overwrite:
            _copy_permissions(target, temporary)
            os.replace(temporary, target)
        else:
            _move_without_replacing(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _fsync_folder(target.parent)


@contextlib.contextmanager
def atomic_open(
    target: str | os.PathLike[str],
    mode: Literal["w", "wb"] = "w",
    *,
    encoding: str | None = "utf-8",
    newline: str | None = None,
    overwrite: bool = True,
) -> Iterator[IO]:
    """A file object to write, whose contents replace ``target`` when the block ends without error.

    Parameters
    ----------
    target : str or path-like
        The file to write; its folder must exist.
    mode : {'w', 'wb'}, optional
        Text or binary.
    encoding : str or None, optional
        The text encoding (text mode only).
    newline : str or None, optional
        As for :func:`open` (text mode only); ``''`` writes line ends untranslated,
        as the :mod:`csv` module wants.
    overwrite : bool, optional
        As for :func:`atomic_path`.

    Yields
    ------
    file object
        Open for writing, on a temporary file beside ``target``.

    Raises
    ------
    FileExistsError, OSError
        As for :func:`atomic_path`.

    Examples
    --------
    >>> import csv, tempfile
    >>> folder = tempfile.TemporaryDirectory()
    >>> with atomic_open(Path(folder.name) / "rows.csv", newline="") as handle:
    ...     csv.writer(handle).writerows([["a", "b"], [1, 2]])
    >>> (Path(folder.name) / "rows.csv").read_text().split()
    ['a,b', '1,2']
    >>> folder.cleanup()
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"mode={mode!r}: atomic_open writes whole files, use 'w' or 'wb'")
    text = {"encoding": encoding, "newline": newline} if mode == "w" else {}
    with atomic_path(target, overwrite=overwrite) as temporary, open(temporary, mode, **text) as handle:
        yield handle


def atomic_write_bytes(target: str | os.PathLike[str], data: bytes, *, overwrite: bool = True) -> Path:
    """Write ``data`` to ``target`` atomically (see :func:`atomic_path`); returns ``target`` as a Path.

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.TemporaryDirectory()
    >>> atomic_write_bytes(Path(folder.name) / "k.bin", b"\\x00\\x01").read_bytes()
    b'\\x00\\x01'
    >>> folder.cleanup()
    """
    with atomic_open(target, "wb", overwrite=overwrite) as handle:
        handle.write(data)
    return Path(target)


def atomic_write_text(
    target: str | os.PathLike[str], text: str, *, encoding: str = "utf-8", overwrite: bool = True
) -> Path:
    """Write ``text`` to ``target`` atomically, line ends untranslated; returns ``target`` as a Path.

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.TemporaryDirectory()
    >>> atomic_write_text(Path(folder.name) / "stamp.txt", "0123456789ab\\n").read_text()
    '0123456789ab\\n'
    >>> folder.cleanup()
    """
    return atomic_write_bytes(target, text.encode(encoding), overwrite=overwrite)


def _create_temporary(target: Path) -> Path:
    """A new empty hidden file ``.NAME.tmp-XXXXXXXX.SUFFIX`` beside ``target``."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        candidate = target.with_name(f".{target.name}.tmp-{secrets.token_hex(4)}{target.suffix}")
        try:
            # 0o666 lets the umask set the permissions, as for any new file.
            descriptor = os.open(candidate, flags, 0o666)
        except FileExistsError:
            continue
        os.close(descriptor)
        return candidate


def _fsync_file(path: Path) -> None:
    """Flush ``path``'s contents to the disk, whoever wrote them."""
    descriptor = os.open(path, os.O_RDWR | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _copy_permissions(target: Path, temporary: Path) -> None:
    try:
        os.chmod(temporary, os.stat(target).st_mode & 0o7777)
    except OSError:
        pass  # target absent, or permissions not ours to copy: keep the defaults


def _move_without_replacing(temporary: Path, target: Path) -> None:
    """Rename, failing if ``target`` exists, even if it appeared a moment ago."""
    try:
        os.link(temporary, target)  # atomic and refuses to replace, unlike os.replace
    except FileExistsError:
        raise FileExistsError(f"'{target}' exists") from None
    except OSError:  # the file system has no hard links (FAT, some network shares)
        if target.exists() or target.is_symlink():
            raise FileExistsError(f"'{target}' exists") from None
        os.replace(temporary, target)
        return
    os.unlink(temporary)


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable where the platform allows it."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
