"""Write images atomically: PNG, JPEG, TIFF and BMP, 8 and 16 bits, with alpha.

The encoded file goes through :func:`restoretk.io.atomic.atomic_path`: a hidden
temporary file next to the target, flushed to disk and then renamed over it, so an
interrupted or failed write never leaves a half-written image or damages an existing
one. New files get the umask's permissions; a replaced file keeps its own.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import cv2
import numpy as np
import tifffile
from PIL import Image

from restoretk.errors import InputError
from restoretk.io.atomic import atomic_write_bytes
from restoretk.io.formats import FORMAT_OF_SUFFIX, MAX_LEVEL, SAMPLE_TYPE
from restoretk.io.paths import check_writable

__all__ = ["JPEG_QUALITY", "encode_image", "write_image"]

#: Quality used for JPEG output (0-100).
JPEG_QUALITY = 95

_CV2_SUFFIX = {"PNG": ".png", "JPEG": ".jpg", "BMP": ".bmp"}


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
        e.g. ``info.alpha`` from :func:`~restoretk.io.read_image`. Not possible with JPEG.
    overwrite : bool, optional
        Replace an existing file.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    InputError
        If :func:`~restoretk.io.check_writable` refuses the path, the image or alpha has the wrong
        dtype, shape or non-finite values, or writing fails (the target is then left
        as it was and no temporary file remains).

    Notes
    -----
    The encoded image is written by :func:`restoretk.io.atomic.atomic_path`: to a
    hidden temporary file in the target's folder (``.out.png.tmp-1a2b3c4d.png``),
    flushed to disk and renamed over the target, so a reader never sees a half-written
    file. JPEG is written with quality
    :data:`JPEG_QUALITY`; TIFF with deflate compression. PNG (16-bit) and BMP cannot
    store grey with alpha, so such images are written as RGBA with equal colour
    channels and read back as ``'rgb'``.

    Examples
    --------
    >>> import tempfile
    >>> from restoretk.io import read_image
    >>> folder = tempfile.TemporaryDirectory()
    >>> red = np.zeros((2, 3, 3)); red[..., 0] = 1.0
    >>> out = write_image(Path(folder.name) / "red.tif", red, bit_depth=16)
    >>> image, info = read_image(out)
    >>> image[0, 0].tolist(), info.bit_depth
    ([1.0, 0.0, 0.0], 16)
    >>> folder.cleanup()
    """
    path = check_writable(path, overwrite=overwrite, bit_depth=bit_depth, alpha=alpha is not None)
    fmt = FORMAT_OF_SUFFIX[path.suffix.lower()]
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
        data = encode_image(fmt, pixels, alpha_pixels)
    except Exception as exc:  # noqa: BLE001 - encoders raise cv2.error, ValueError, OSError, ...
        raise InputError(
            f"cannot write '{path}': the {fmt} encoder failed ({exc})",
            "check the image size, or try .png or .tif",
        ) from exc
    try:
        atomic_write_bytes(path, data, overwrite=overwrite)
    except FileExistsError:  # it appeared after check_writable looked
        raise InputError(f"'{path}' exists", "pass overwrite=True to replace it") from None
    except OSError as exc:
        raise InputError(
            f"cannot write '{path}': {exc.strerror or exc}",
            f"check free space and permissions in '{path.parent}'",
        ) from exc
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
    scaled = np.clip(values, 0.0, 1.0) * MAX_LEVEL[bit_depth]
    return np.rint(scaled, out=scaled).astype(SAMPLE_TYPE[bit_depth])


def encode_image(fmt: str, pixels: np.ndarray, alpha: np.ndarray | None) -> bytes:
    """The bytes of an image file, from integer samples.

    Parameters
    ----------
    fmt : {'PNG', 'JPEG', 'TIFF', 'BMP'}
        The format (see :data:`restoretk.io.formats.FORMAT_OF_SUFFIX`).
    pixels : ndarray of uint8 or uint16
        Grey (``H x W``) or RGB (``H x W x 3``) samples.
    alpha : ndarray or None
        ``H x W`` samples of the same dtype, or None.

    Returns
    -------
    bytes
        The encoded file.

    Examples
    --------
    >>> encode_image("PNG", np.zeros((2, 2), np.uint8), None)[:4]
    b'\\x89PNG'
    """
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

