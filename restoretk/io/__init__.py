"""Read and write images safely: PNG, JPEG, TIFF and BMP, 8 and 16 bits, with alpha.

Images travel through restoretk as floating point arrays in [0, 1]: ``H x W`` for grey,
``H x W x 3`` in RGB order for colour; alpha is split off on reading and re-attached on
writing, and EXIF/TIFF orientation is applied once, on reading.

Modules
-------
:mod:`~restoretk.io.reading`
    :func:`read_image` and :class:`ImageInfo`: decoding.
:mod:`~restoretk.io.writing`
    :func:`write_image`: encoding, then an atomic write.
:mod:`~restoretk.io.paths`
    :func:`list_images` (files, folders, patterns) and :func:`check_writable` (every
    check of a write, before any work is done).
:mod:`~restoretk.io.atomic`
    The one atomic writer every file restoretk writes goes through (images, PSFs,
    weights, checkpoints, bench tables, figures): a temporary file beside the target,
    fsync, rename; the umask's permissions for new files.
:mod:`~restoretk.io.formats`
    Suffixes, formats and what each stores.
"""

from __future__ import annotations

import importlib
from typing import Any

#: Where each public name lives. Nothing is imported eagerly: the atomic writer, which
#: every module that writes a file imports, does not pull in the image codecs.
_HOMES = {
    "IMAGE_SUFFIXES": "formats",
    "JPEG_QUALITY": "writing",
    "ImageInfo": "reading",
    "atomic_open": "atomic",
    "atomic_path": "atomic",
    "atomic_write_bytes": "atomic",
    "atomic_write_text": "atomic",
    "check_writable": "paths",
    "list_images": "paths",
    "read_image": "reading",
    "write_image": "writing",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(f"restoretk.io.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'restoretk.io' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
