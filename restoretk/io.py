"""Read and write images safely: PNG, JPEG, TIFF and BMP, 8 and 16 bits, with alpha.

Images travel through restoretk as floating point arrays in [0, 1]: ``H x W`` for grey,
``H x W x 3`` in RGB order for colour. Alpha is split off on reading and kept, untouched,
in :class:`ImageInfo` so that it can be re-attached on writing. EXIF/TIFF orientation is
applied once, on reading, so arrays are always upright.

Writing is atomic: the encoded file is written to a hidden temporary file next to the
target, flushed to disk and then renamed over it, so an interrupted or failed write never
leaves a half-written image or damages an existing one. :func:`check_writable` runs the
up-front checks alone, so that a command line can validate every output before doing any
work.

Decoders: OpenCV for PNG, JPEG and BMP; tifffile for TIFF (OpenCV premultiplies 8-bit
TIFF alpha and drops grey+alpha channels), with Pillow and then OpenCV as fall-backs for
TIFF compressions that tifffile cannot decode without the optional ``imagecodecs``
package (LZW, PackBits, JPEG).
"""

from __future__ import annotations

import contextlib
import glob
import io
import logging
import os
import secrets
import sys
import tempfile
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
import tifffile
from PIL import BmpImagePlugin, ExifTags, Image, JpegImagePlugin, PngImagePlugin

from restoretk.errors import InputError
from restoretk.limits import MAX_PIXELS_VARIABLE, check_pixels

__all__ = [
    "IMAGE_SUFFIXES",
    "JPEG_QUALITY",
    "ImageInfo",
    "check_writable",
    "list_images",
    "read_image",
    "write_image",
]

#: File name suffixes (lower case) that restoretk reads and writes.
IMAGE_SUFFIXES: tuple[str, ...] = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")

#: Quality used for JPEG output (0-100).
JPEG_QUALITY = 95

_FORMAT_OF_SUFFIX = {
    ".png": "PNG",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".bmp": "BMP",
}
_CV2_SUFFIX = {"PNG": ".png", "JPEG": ".jpg", "BMP": ".bmp"}
_SIXTEEN_BIT_FORMATS = ("PNG", "TIFF")
_ALPHA_FORMATS = ("PNG", "TIFF", "BMP")
_EXPECTED = "PNG, JPEG, TIFF or BMP expected"
_TOP = {8: 255, 16: 65535}
_UINT = {8: np.uint8, 16: np.uint16}
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
        The alpha channel as float32 in [0, 1], ``H x W``, exactly as stored (not
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


# --------------------------------------------------------------------------- reading


def read_image(path: str | os.PathLike[str]) -> tuple[np.ndarray, ImageInfo]:
    """Read a PNG, JPEG, TIFF or BMP image as float32 in [0, 1], upright, RGB order.

    Parameters
    ----------
    path : str or path-like
        The image file. The format is recognised from the file's content, not its name.

    Returns
    -------
    image : ndarray of float32
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
    >>> folder = tempfile.TemporaryDirectory()
    >>> out = write_image(Path(folder.name) / "ramp.png", np.linspace(0, 1, 12).reshape(3, 4))
    >>> image, info = read_image(out)
    >>> image.shape, image.dtype, info.bit_depth, info.mode
    ((3, 4), dtype('float32'), 8, 'grey')
    >>> float(image[-1, -1])
    1.0
    >>> folder.cleanup()
    """
    path = Path(path)
    data = _read_bytes(path)
    fmt = _sniff_format(data)
    if fmt is None:
        raise InputError(
            f"cannot read '{path}': not an image file ({_EXPECTED})",
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
    top = _TOP[bit_depth]
    image = np.ascontiguousarray(np.divide(colour, top, dtype=np.float32))
    alpha = np.ascontiguousarray(np.divide(pixels[..., -1], top, dtype=np.float32)) if has_alpha else None
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


# --------------------------------------------------------------------------- writing


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
    fmt = _FORMAT_OF_SUFFIX.get(path.suffix.lower())
    if fmt is None:
        what = f"extension '{path.suffix}'" if path.suffix else "no extension"
        raise InputError(
            f"cannot write '{path}': {what} is not an image format",
            "end the name with .png, .jpg, .tif or .bmp",
        )
    if bit_depth not in _TOP:
        raise InputError(f"bit_depth={bit_depth!r} is not supported", "use 8 or 16")
    if bit_depth == 16 and fmt not in _SIXTEEN_BIT_FORMATS:
        raise InputError(
            f"cannot write 16-bit {fmt} '{path}'", "use .png or .tif for 16-bit output"
        )
    if alpha and fmt not in _ALPHA_FORMATS:
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
        raise InputError(f"'{path}' exists", "pass --overwrite to replace it")
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


def write_image(
    path: str | os.PathLike[str],
    image: np.ndarray,
    *,
    bit_depth: int = 8,
    alpha: np.ndarray | None = None,
    overwrite: bool = False,
) -> Path:
    """Write a float image in [0, 1] atomically as PNG, JPEG, TIFF or BMP.

    Parameters
    ----------
    path : str or path-like
        The output file; its extension (.png, .jpg, .jpeg, .tif, .tiff, .bmp) picks the
        format.
    image : ndarray of float32 or float64
        ``H x W`` (grey), ``H x W x 1`` or ``H x W x 3`` (RGB order). Values are clipped
        to [0, 1] and rounded to the nearest level.
    bit_depth : {8, 16}, optional
        Bits per sample; 16 needs PNG or TIFF.
    alpha : ndarray, optional
        Alpha in [0, 1], ``H x W``, re-attached as straight (unpremultiplied) alpha,
        e.g. ``info.alpha`` from :func:`read_image`. Not possible with JPEG.
    overwrite : bool, optional
        Replace an existing file.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    InputError
        If :func:`check_writable` refuses the path, the image or alpha has the wrong
        dtype, shape or non-finite values, or writing fails (the target is then left
        as it was and no temporary file remains).

    Notes
    -----
    The encoded image is written to a hidden temporary file in the target's folder
    (``.out.png.tmp-1a2b3c4d.png``), flushed to disk and renamed over the target, so a
    reader never sees a half-written file. JPEG is written with quality
    :data:`JPEG_QUALITY`; TIFF with deflate compression. PNG (16-bit) and BMP cannot
    store grey with alpha, so such images are written as RGBA with equal colour
    channels and read back as ``'rgb'``.

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.TemporaryDirectory()
    >>> red = np.zeros((2, 3, 3)); red[..., 0] = 1.0
    >>> out = write_image(Path(folder.name) / "red.tif", red, bit_depth=16)
    >>> image, info = read_image(out)
    >>> image[0, 0].tolist(), info.bit_depth
    ([1.0, 0.0, 0.0], 16)
    >>> folder.cleanup()
    """
    path = check_writable(path, overwrite=overwrite, bit_depth=bit_depth, alpha=alpha is not None)
    fmt = _FORMAT_OF_SUFFIX[path.suffix.lower()]
    colour = _as_float_image(image, "image")
    if colour.ndim == 3 and colour.shape[2] == 1:
        colour = colour[..., 0]
    if colour.ndim not in (2, 3) or (colour.ndim == 3 and colour.shape[2] != 3):
        raise InputError(
            f"image has shape {colour.shape}; expected HxW (grey) or HxWx3 (RGB)",
            "pass the alpha channel separately with alpha=",
        )
    pixels = _quantise(colour, bit_depth)
    alpha_pixels = None
    if alpha is not None:
        opacity = _as_float_image(alpha, "alpha")
        if opacity.ndim == 3 and opacity.shape[2] == 1:
            opacity = opacity[..., 0]
        if opacity.shape != colour.shape[:2]:
            raise InputError(
                f"alpha has shape {np.shape(alpha)} but the image is {colour.shape[0]}x{colour.shape[1]}",
                "pass an HxW alpha of the same size (e.g. info.alpha from read_image)",
            )
        alpha_pixels = _quantise(opacity, bit_depth)
    try:
        data = _encode(fmt, pixels, alpha_pixels)
    except Exception as exc:  # noqa: BLE001 - encoders raise cv2.error, ValueError, OSError, ...
        raise InputError(
            f"cannot write '{path}': the {fmt} encoder failed ({exc})",
            "check the image size, or try .png or .tif",
        ) from exc
    _write_atomically(path, data, overwrite=overwrite)
    return path


def _as_float_image(array: np.ndarray, name: str) -> np.ndarray:
    array = np.asarray(array)
    if not np.issubdtype(array.dtype, np.floating):
        raise InputError(
            f"{name} has dtype {array.dtype}; floats in [0, 1] are expected",
            "convert it first, e.g. skimage.util.img_as_float(image)",
        )
    if array.size == 0:
        raise InputError(f"{name} is empty (shape {array.shape})", "pass an image with pixels")
    if not np.isfinite(array).all():
        raise InputError(
            f"{name} contains NaN or infinite values", "replace them first, e.g. np.nan_to_num(image)"
        )
    if array.dtype.itemsize < 4:  # float16 cannot hold 65535
        array = array.astype(np.float32)
    return array


def _quantise(values: np.ndarray, bit_depth: int) -> np.ndarray:
    """Clip to [0, 1] and round (not truncate) to the nearest integer level."""
    scaled = np.clip(values, 0.0, 1.0) * _TOP[bit_depth]
    return np.rint(scaled, out=scaled).astype(_UINT[bit_depth])


def _encode(fmt: str, pixels: np.ndarray, alpha: np.ndarray | None) -> bytes:
    """The file's bytes; ``pixels`` is grey (HxW) or RGB, ``alpha`` HxW, both integer."""
    grey = pixels.ndim == 2
    if fmt == "TIFF":
        stack = pixels if alpha is None else np.dstack([pixels, alpha])
        buffer = io.BytesIO()
        tifffile.imwrite(
            buffer,
            stack,
            photometric="minisblack" if grey else "rgb",
            extrasamples=None if alpha is None else ("unassalpha",),
            compression="zlib",
            metadata=None,
        )
        return buffer.getvalue()
    if fmt == "PNG" and grey and alpha is not None and pixels.dtype == np.uint8:
        # OpenCV cannot encode two channels; Pillow writes a true grey+alpha PNG.
        buffer = io.BytesIO()
        Image.fromarray(np.dstack([pixels, alpha])).save(buffer, format="PNG")
        return buffer.getvalue()
    if alpha is not None:
        rgb = np.dstack([pixels] * 3) if grey else pixels
        bgr = np.dstack([rgb[..., ::-1], alpha])
    else:
        bgr = pixels if grey else pixels[..., ::-1]
    params = [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY] if fmt == "JPEG" else []
    ok, encoded = cv2.imencode(_CV2_SUFFIX[fmt], np.ascontiguousarray(bgr), params)
    if not ok:
        raise ValueError("OpenCV returned no data")
    return encoded.tobytes()


def _write_atomically(path: Path, data: bytes, *, overwrite: bool) -> None:
    """Write ``data`` to a temporary file beside ``path``, fsync, then rename it over ``path``."""
    folder = path.parent
    temporary: Path | None = None
    try:
        temporary, handle = _create_temporary(path)
        with handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if overwrite:
            _copy_permissions(path, temporary)
            os.replace(temporary, path)
        else:
            _move_without_replacing(temporary, path)
        temporary = None
        _fsync_folder(folder)
    except InputError:
        raise
    except OSError as exc:
        raise InputError(
            f"cannot write '{path}': {exc.strerror or exc}",
            f"check free space and permissions in '{folder}'",
        ) from exc
    finally:
        if temporary is not None:
            try:
                os.unlink(temporary)
            except OSError:
                pass


def _create_temporary(path: Path) -> tuple[Path, io.BufferedWriter]:
    """A new hidden file ``.name.tmp-XXXXXXXX.suffix`` beside ``path``, open for writing."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        candidate = path.with_name(f".{path.name}.tmp-{secrets.token_hex(4)}{path.suffix}")
        try:
            # 0o666 lets the umask set the permissions, as for any new file.
            descriptor = os.open(candidate, flags, 0o666)
        except FileExistsError:
            continue
        return candidate, os.fdopen(descriptor, "wb")


def _copy_permissions(target: Path, temporary: Path) -> None:
    try:
        os.chmod(temporary, os.stat(target).st_mode & 0o7777)
    except OSError:
        pass  # target absent, or permissions not ours to copy: keep the defaults


def _move_without_replacing(temporary: Path, path: Path) -> None:
    """Rename, failing if ``path`` appeared since :func:`check_writable` looked."""
    try:
        os.link(temporary, path)  # atomic and refuses to replace, unlike os.replace
    except FileExistsError:
        raise InputError(f"'{path}' exists", "pass --overwrite to replace it") from None
    except OSError:  # the file system has no hard links (FAT, some network shares)
        if path.exists():
            raise InputError(f"'{path}' exists", "pass --overwrite to replace it") from None
        os.replace(temporary, path)
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


# --------------------------------------------------------------------------- listing


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
                    f"no images in folder '{candidate}' ({_EXPECTED})",
                    "check the folder, or pass a pattern such as 'folder/*.png'",
                )
        elif candidate.exists():
            matches = [candidate]
        elif any(char in text for char in "*?["):
            matches = sorted(Path(p) for p in glob.glob(text, recursive=True) if _is_image_file(Path(p)))
            if not matches:
                raise InputError(f"no images match '{text}' ({_EXPECTED})", "check the pattern")
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
