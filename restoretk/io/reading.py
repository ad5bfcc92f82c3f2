"""Read images: PNG, JPEG, TIFF and BMP, 8 and 16 bits, with alpha, upright.

Images travel through restoretk as floating point arrays in [0, 1]: ``H x W`` for grey,
``H x W x 3`` in RGB order for colour. Alpha is split off on reading and kept, untouched,
in :class:`ImageInfo` so that it can be re-attached on writing. EXIF/TIFF orientation is
applied once, on reading, so arrays are always upright.

Decoders: OpenCV for PNG, JPEG and BMP; tifffile for TIFF (OpenCV premultiplies 8-bit
TIFF alpha and drops grey+alpha channels), with Pillow and then OpenCV as fall-backs for
TIFF compressions that tifffile cannot decode without the optional ``imagecodecs``
package (LZW, PackBits, JPEG).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import sys
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
import tifffile
from PIL import BmpImagePlugin, ExifTags, Image, JpegImagePlugin, PngImagePlugin

from restoretk.errors import InputError
from restoretk.io.formats import EXPECTED_FORMATS, MAX_LEVEL
from restoretk.limits import MAX_PIXELS_VARIABLE, check_pixels

__all__ = ["ImageInfo", "read_image"]

# Pillow modes whose pixels are grey; OpenCV expands grey+alpha PNGs to BGRA.
_GREY_PIL_MODES = {"1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"}
# Pillow's header parsers, called directly: they read the header only, and skip
# Pillow's own decompression-bomb check (restoretk.limits does that job).
_HEADER_PARSERS = {
    "PNG": PngImagePlugin.PngImageFile,
    "JPEG": JpegImagePlugin.JpegImageFile,
    "BMP": BmpImagePlugin.BmpImageFile,
}
# libjpeg's warnings that mean missing or damaged image data (it fills the gap with
# grey and carries on): errors for restoretk. Its other warnings become notes.
_JPEG_DAMAGE = ("Corrupt JPEG data: premature end", "Premature end of JPEG file", "Corrupt JPEG data: bad")
# OpenCV refuses images above this many pixels (unless OPENCV_IO_MAX_IMAGE_PIXELS,
# read when OpenCV loads, says otherwise).
_OPENCV_MAX_PIXELS = int(os.environ.get("OPENCV_IO_MAX_IMAGE_PIXELS", 1 << 30))
logging.getLogger("tifffile").setLevel(logging.CRITICAL)  # its damaged-tag messages: the error says it
# OpenCV's "[ WARN:0@...]" and "[ERROR:0@...]" lines would leak around restoretk's messages
cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)


@dataclass(frozen=True)
class ImageInfo:
    """What :func:`read_image` found besides the pixels, for writing the result back.

    Parameters
    ----------
    bit_depth : {8, 16}
        Bits per sample in the file.
    alpha : ndarray or None
        The alpha channel as floats in [0, 1] (float32 unless read otherwise), ``H x W``, exactly as stored (not
        premultiplied); ``None`` when the file has none. Restoration leaves it untouched.
    mode : {'grey', 'rgb'}
        Whether the pixels are grey (``H x W``) or colour (``H x W x 3``, RGB order).
    source : Path
        The file the image was read from.

    Examples
    --------
    >>> info = ImageInfo(bit_depth=16, alpha=None, mode="grey", source=Path("scan.tif"))
    >>> info.bit_depth, info.mode
    (16, 'grey')
    """

    bit_depth: Literal[8, 16]
    alpha: np.ndarray | None = field(compare=False, repr=False)
    mode: Literal["grey", "rgb"]
    source: Path



def read_image(
    path: str | os.PathLike[str], *, dtype: type[np.floating] = np.float32
) -> tuple[np.ndarray, ImageInfo]:
    """Read a PNG, JPEG, TIFF or BMP image as float32 in [0, 1], upright, RGB order.

    Parameters
    ----------
    path : str or path-like
        The image file. The format is recognised from the file's content, not its name.
    dtype : {numpy.float32, numpy.float64}, optional
        The float type of the image and alpha (float64 for PSF files, whose values are
        normalised to sum 1 afterwards).

    Returns
    -------
    image : ndarray of ``dtype``
        ``H x W`` for grey images, ``H x W x 3`` (RGB) for colour ones, in [0, 1].
    info : ImageInfo
        Bit depth, alpha channel (split off), mode and source path.

    Raises
    ------
    InputError
        If the file is missing, a folder, unreadable, corrupt, or not a PNG, JPEG,
        TIFF or BMP image with 8 or 16 bits per sample.

    Notes
    -----
    The EXIF orientation tag (JPEG, PNG) or the TIFF orientation tag is applied to the
    pixels and the alpha, exactly once, so a portrait photograph stored sideways comes
    back upright. Premultiplied (associated) TIFF alpha is converted to straight alpha.

    Examples
    --------
    >>> import tempfile
    >>> from restoretk.io import write_image
    >>> folder = tempfile.TemporaryDirectory()
    >>> out = write_image(Path(folder.name) / "ramp.png", np.linspace(0, 1, 12).reshape(3, 4))
    >>> image, info = read_image(out)
    >>> image.shape, image.dtype, info.bit_depth, info.mode
    ((3, 4), dtype('float32'), 8, 'grey')
    >>> float(image[-1, -1])
    1.0
    >>> folder.cleanup()
    """
    if np.dtype(dtype) not in (np.float32, np.float64):
        raise InputError(f"dtype={np.dtype(dtype)} is not supported", "use numpy.float32 or numpy.float64")
    path = Path(path)
    data = _read_bytes(path)
    fmt = _sniff_format(data)
    if fmt is None:
        raise InputError(
            f"cannot read '{path}': not an image file ({EXPECTED_FORMATS})",
            "check the file, or convert it to PNG",
        )
    if fmt == "TIFF":
        # libtiff (under OpenCV) and Pillow complain about damaged tags on stderr and in
        # warnings; the file is then read anyway, or refused with one line
        with _native_stderr(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pixels, orientation, grey = _decode_tiff(data, path)
    else:
        pixels, orientation, grey = _decode_with_opencv(data, fmt, path)

    pixels = _to_grey_or_rgb(pixels, grey)
    if pixels.dtype == np.bool_:
        pixels = pixels.astype(np.uint8) * np.uint8(255)
    if pixels.dtype == np.uint8:
        bit_depth = 8
    elif pixels.dtype == np.uint16:
        bit_depth = 16
    else:
        raise InputError(
            f"cannot read '{path}': {pixels.dtype} samples are not supported",
            "convert it to an 8- or 16-bit image",
        )
    pixels = _apply_orientation(pixels, orientation)

    has_alpha = pixels.ndim == 3 and pixels.shape[2] in (2, 4)
    colour = pixels[..., :-1] if has_alpha else pixels
    if colour.ndim == 3 and colour.shape[2] == 1:
        colour = colour[..., 0]
    top = MAX_LEVEL[bit_depth]
    image = np.ascontiguousarray(np.divide(colour, top, dtype=dtype))
    alpha = np.ascontiguousarray(np.divide(pixels[..., -1], top, dtype=dtype)) if has_alpha else None
    info = ImageInfo(
        bit_depth=bit_depth,
        alpha=alpha,
        mode="grey" if image.ndim == 2 else "rgb",
        source=path,
    )
    return image, info


def _read_bytes(path: Path) -> bytes:
    if path.is_dir():
        raise InputError(
            f"cannot read '{path}': it is a folder, not an image file",
            f"pass the images inside it, e.g. '{path / '*.png'}'",
        )
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"cannot read '{path}': no such file", "check the path") from None
    except PermissionError:
        raise InputError(
            f"cannot read '{path}': permission denied", "check the file's permissions"
        ) from None
    except OSError as exc:
        raise InputError(
            f"cannot read '{path}': {exc.strerror or exc}", "check the file and the disk"
        ) from None


def _sniff_format(data: bytes) -> str | None:
    """The format named by the file's first bytes, or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "TIFF"
    if data.startswith(b"BM") and len(data) > 26:
        return "BMP"
    return None


def _corrupt(path: Path, fmt: str) -> InputError:
    return InputError(
        f"cannot read '{path}': corrupt or truncated {fmt} file",
        "re-export or re-download it",
    )


def _decode_with_opencv(data: bytes, fmt: str, path: Path) -> tuple[np.ndarray, int, bool]:
    """Decode PNG, JPEG or BMP; returns (pixels in RGB(A) order, orientation, is_grey).

    The header is read first (Pillow), so that an image over the pixel limit is refused
    before a byte of it is decoded.
    """
    try:
        with _HEADER_PARSERS[fmt](io.BytesIO(data)) as pil:
            cols, rows = pil.size
            grey = pil.mode in _GREY_PIL_MODES
    except Exception:  # noqa: BLE001 - Pillow raises SyntaxError, OSError, ValueError, ... on bad headers
        raise _corrupt(path, fmt) from None
    check_pixels(rows, cols, f"'{path}'")
    if fmt == "PNG" and not _png_chunks_fit(data):
        raise _corrupt(path, fmt)
    if rows * cols > _OPENCV_MAX_PIXELS:
        raise InputError(
            f"cannot read '{path}': {cols}x{rows} is over OpenCV's decoder limit of {_OPENCV_MAX_PIXELS} pixels",
            f"set OPENCV_IO_MAX_IMAGE_PIXELS={rows * cols} as well as {MAX_PIXELS_VARIABLE}",
        )
    with _native_stderr() as messages:
        try:
            bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
        except cv2.error:
            bgr = None
    damage = [m for m in messages if m.startswith(_JPEG_DAMAGE)]
    if bgr is None or damage:
        raise _corrupt(path, fmt)
    for message in messages:
        warnings.warn(f"'{path}': {message}", stacklevel=3)
    orientation = 1
    # Pillow decodes a whole PNG to look for a late eXIf chunk; skip that when the
    # chunk name does not occur at all.
    if fmt == "JPEG" or (fmt == "PNG" and b"eXIf" in data):
        try:
            with _HEADER_PARSERS[fmt](io.BytesIO(data)) as pil:
                orientation = pil.getexif().get(ExifTags.Base.Orientation, 1)
        except Exception:  # noqa: BLE001 - OpenCV decoded it; metadata is a bonus
            pass
    return _bgr_to_rgb(bgr), int(orientation), grey


def _png_chunks_fit(data: bytes) -> bool:
    """Whether each PNG chunk up to IEND lies within the file.

    OpenCV allocates what a chunk's length field claims before reading it: a damaged
    3 kB file claiming a 2 GB IDAT chunk took 2.2 GB.
    """
    position = 8
    while position + 12 <= len(data):
        end = position + 12 + int.from_bytes(data[position : position + 4], "big")
        if end > len(data):
            return False
        if data[position + 4 : position + 8] == b"IEND":
            return True
        position = end
    return False


@contextlib.contextmanager
def _native_stderr() -> Iterator[list[str]]:
    """Collect, as lines, what native code (libjpeg) writes to file descriptor 2 meanwhile.

    libjpeg reports damaged data only as warnings printed on stderr; they are read back
    here instead of reaching the terminal.
    """
    lines: list[str] = []
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no usable descriptor 2 (embedded interpreters)
        yield lines
        return
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield lines
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            lines.extend(line.strip() for line in sink.read().decode(errors="replace").splitlines() if line.strip())


def _bgr_to_rgb(pixels: np.ndarray) -> np.ndarray:
    if pixels.ndim == 3 and pixels.shape[2] == 3:
        return pixels[..., ::-1]
    if pixels.ndim == 3 and pixels.shape[2] == 4:
        return pixels[..., [2, 1, 0, 3]]
    return pixels


def _to_grey_or_rgb(pixels: np.ndarray, grey: bool) -> np.ndarray:
    """Keep 1 (grey), 2 (grey+alpha), 3 (RGB) or 4 (RGBA) channels, last axis."""
    if pixels.ndim == 3 and grey and pixels.shape[2] == 3:
        return pixels[..., 0]
    if pixels.ndim == 3 and grey and pixels.shape[2] == 4:
        return pixels[..., [0, 3]]
    return pixels


def _decode_tiff(data: bytes, path: Path) -> tuple[np.ndarray, int, bool]:
    """Decode the first page of a TIFF; returns (pixels in RGB(A) order, orientation, is_grey)."""
    photometric = tifffile.PHOTOMETRIC
    try:
        with tifffile.TiffFile(io.BytesIO(data)) as tif:
            page = tif.pages.first
            tag = page.tags.get(274)
            orientation = int(tag.value) if tag is not None else 1
            samples = int(page.samplesperpixel)
            extras = tuple(int(e) for e in page.extrasamples)
            bits = int(np.max(page.bitspersample))
            kind = page.photometric
            stored = (int(page.imagelength), int(page.imagewidth))
            check_pixels(*stored, f"'{path}'")
            if kind not in (photometric.MINISBLACK, photometric.RGB):
                return _decode_tiff_fallback(data, path, orientation, bits, samples, stored)
            try:
                pixels = page.asarray()
            except Exception as exc:  # noqa: BLE001 - tifffile raises ValueError, KeyError, ...
                if "imagecodecs" not in str(exc):
                    raise
                return _decode_tiff_fallback(data, path, orientation, bits, samples, stored)
            axes = page.axes
    except InputError:
        raise
    except Exception:  # noqa: BLE001 - any decoding failure means a damaged file
        raise _corrupt(path, "TIFF") from None

    if axes.startswith("S"):  # planar configuration: samples stored plane by plane
        pixels = np.moveaxis(pixels, 0, -1)
    colour_samples = 1 if kind == photometric.MINISBLACK else 3
    if pixels.ndim != (2 if samples == 1 else 3) or samples not in (colour_samples, colour_samples + 1):
        raise InputError(
            f"cannot read '{path}': TIFF with {samples} samples per pixel and axes {axes!r}",
            "save it as a single grey, grey+alpha, RGB or RGBA image",
        )
    if extras and extras[0] == 1 and np.issubdtype(pixels.dtype, np.unsignedinteger):
        pixels = _unpremultiply(pixels)
    return pixels, orientation, kind == photometric.MINISBLACK


def _unpremultiply(pixels: np.ndarray) -> np.ndarray:
    """Straight alpha from associated (premultiplied) alpha, alpha in the last channel."""
    top = np.iinfo(pixels.dtype).max
    colour = pixels[..., :-1].astype(np.float64)
    alpha = pixels[..., -1:].astype(np.float64)
    straight = np.divide(colour * top, alpha, out=np.zeros_like(colour), where=alpha > 0)
    colour_out = np.clip(np.rint(straight), 0, top).astype(pixels.dtype)
    return np.concatenate([colour_out, pixels[..., -1:]], axis=-1)


def _decode_tiff_fallback(
    data: bytes,
    path: Path,
    orientation: int,
    bits: int,
    samples: int,
    stored: tuple[int, int],
) -> tuple[np.ndarray, int, bool]:
    """Decode TIFFs tifffile cannot: Pillow for 8-bit and 16-bit grey, OpenCV for 16-bit RGB(A).

    ``stored`` is the (rows, columns) size before orientation. Recent Pillow applies the
    TIFF orientation while loading (and then drops the tag); older Pillow does not.
    """
    needs_codecs = InputError(
        f"cannot read '{path}': this TIFF's compression or layout needs the imagecodecs package",
        "pip install imagecodecs, or re-save it as an uncompressed or deflate TIFF",
    )
    if bits <= 8 or samples == 1:
        try:
            with Image.open(io.BytesIO(data)) as pil:
                pil.load()
                if orientation != 1 and 274 not in pil.tag_v2:  # Pillow turned it upright
                    upright = stored[::-1] if orientation in (5, 6, 7, 8) else stored
                    if pil.size[::-1] != upright:
                        raise needs_codecs
                    orientation = 1
                mode = pil.mode
                if mode in ("L", "LA", "RGB", "RGBA") or mode.startswith("I;16"):
                    pixels = np.asarray(pil)
                elif mode in ("1", "La"):
                    pixels = np.asarray(pil.convert("LA" if mode == "La" else "L"))
                elif mode in ("P", "PA"):
                    rgba = mode == "PA" or "transparency" in pil.info
                    pixels = np.asarray(pil.convert("RGBA" if rgba else "RGB"))
                elif mode in ("RGBa", "RGBX", "CMYK", "YCbCr", "LAB"):
                    pixels = np.asarray(pil.convert("RGBA" if mode == "RGBa" else "RGB"))
                else:
                    raise needs_codecs
        except InputError:
            raise
        except Exception:  # noqa: BLE001
            raise _corrupt(path, "TIFF") from None
        grey = mode in _GREY_PIL_MODES
        return pixels.astype(pixels.dtype.newbyteorder("=")), orientation, grey
    if samples not in (3, 4) or orientation != 1:
        # OpenCV drops the alpha of 16-bit grey+alpha TIFFs and mishandles orientation.
        raise needs_codecs
    try:
        bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    except cv2.error:
        bgr = None
    if bgr is None or bgr.dtype != np.uint16:
        raise needs_codecs
    return _bgr_to_rgb(bgr), 1, False


def _apply_orientation(pixels: np.ndarray, orientation: int) -> np.ndarray:
    """Turn stored rows upright as EXIF/TIFF orientation 1-8 prescribes (like PIL's exif_transpose)."""
    if orientation == 2:
        return pixels[:, ::-1]
    if orientation == 3:
        return pixels[::-1, ::-1]
    if orientation == 4:
        return pixels[::-1]
    if orientation == 5:
        return pixels.swapaxes(0, 1)
    if orientation == 6:
        return np.rot90(pixels, -1)
    if orientation == 7:
        return pixels[::-1, ::-1].swapaxes(0, 1)
    if orientation == 8:
        return np.rot90(pixels, 1)
    return pixels  # 1, or a value outside the standard: leave as stored

