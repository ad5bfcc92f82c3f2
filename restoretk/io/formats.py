"""The image formats restoretk reads and writes, by file name suffix, and what each can store."""

from __future__ import annotations

import numpy as np

__all__ = [
    "IMAGE_SUFFIXES",
    "FORMAT_OF_SUFFIX",
    "SIXTEEN_BIT_FORMATS",
    "ALPHA_FORMATS",
    "EXPECTED_FORMATS",
    "MAX_LEVEL",
    "SAMPLE_TYPE",
]

#: File name suffixes (lower case) that restoretk reads and writes.
IMAGE_SUFFIXES: tuple[str, ...] = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")

#: The format written for each suffix.
FORMAT_OF_SUFFIX: dict[str, str] = {
    ".png": "PNG",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".bmp": "BMP",
}

#: Formats that store 16 bits per sample.
SIXTEEN_BIT_FORMATS: tuple[str, ...] = ("PNG", "TIFF")

#: Formats that store an alpha channel.
ALPHA_FORMATS: tuple[str, ...] = ("PNG", "TIFF", "BMP")

#: What error messages say is expected instead of an unknown file.
EXPECTED_FORMATS = "PNG, JPEG, TIFF or BMP expected"

#: The largest sample value, by bit depth: the value that stands for 1.0.
MAX_LEVEL: dict[int, int] = {8: 255, 16: 65535}

#: The integer sample type, by bit depth.
SAMPLE_TYPE: dict[int, type[np.unsignedinteger]] = {8: np.uint8, 16: np.uint16}
