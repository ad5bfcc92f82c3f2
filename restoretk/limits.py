"""How large anything restoretk allocates may get: images, PSF supports, scales, iterations.

Each bound is checked before the allocation it guards, from a file's header or from a
spec's numbers, so that a hostile or mistyped input is refused in a moment with one line
instead of filling the memory. The image limit is meant never to stop a photographer
(250 megapixels, twice a large-format scan) and can be raised with the environment
variable ``RESTORETK_MAX_PIXELS``; the others are far beyond any useful value.
"""

from __future__ import annotations

import os

from restoretk.errors import InputError, RestoreError

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "MAX_PIXELS_VARIABLE",
    "MAX_PSF_SIDE",
    "MAX_SCALE",
    "max_pixels",
    "check_pixels",
]

#: Largest image, in pixels, read, restored or written unless ``RESTORETK_MAX_PIXELS`` says otherwise.
DEFAULT_MAX_PIXELS = 250_000_000

#: The environment variable that raises (or lowers) :data:`DEFAULT_MAX_PIXELS`.
MAX_PIXELS_VARIABLE = "RESTORETK_MAX_PIXELS"

#: Largest side of a PSF's support, in pixels (a motion blur of 1000 pixels is already a smear).
MAX_PSF_SIDE = 1001

#: Largest upscaling factor.
MAX_SCALE = 32


def max_pixels() -> int:
    """The image size limit in pixels: ``RESTORETK_MAX_PIXELS`` if set, else :data:`DEFAULT_MAX_PIXELS`.

    Examples
    --------
    >>> os.environ.pop(MAX_PIXELS_VARIABLE, None) and None
    >>> max_pixels()
    250000000
    """
    text = os.environ.get(MAX_PIXELS_VARIABLE, "").strip()
    if not text:
        return DEFAULT_MAX_PIXELS
    try:
        value = int(float(text))
    except ValueError:
        value = 0
    if value < 1:
        raise RestoreError(
            f"{MAX_PIXELS_VARIABLE}={text!r} is not a positive number of pixels",
            f"set e.g. {MAX_PIXELS_VARIABLE}=500000000, or unset it for {DEFAULT_MAX_PIXELS:,}",
        )
    return value


def check_pixels(rows: int, cols: int, what: str) -> None:
    """Refuse an image of ``rows × cols`` pixels over :func:`max_pixels`, before it is allocated.

    Parameters
    ----------
    rows, cols : int
        The size to be allocated.
    what : str
        What is that large, for the message (``"'scan.png'"``, ``"the x4 output"``).

    Raises
    ------
    InputError
        Naming the size, the limit, and how to raise it.

    Examples
    --------
    >>> check_pixels(3000, 4000, "'photo.jpg'")
    >>> check_pixels(20000, 20000, "'big.png'")
    Traceback (most recent call last):
    ...
    restoretk.errors.InputError: 'big.png' is 20000x20000 (400 MP), over the limit of 250 MP; ...
    """
    limit = max_pixels()
    pixels = int(rows) * int(cols)
    if pixels > limit:
        raise InputError(
            f"{what} is {cols}x{rows} ({pixels / 1e6:.0f} MP), over the limit of {limit / 1e6:g} MP",
            f"set {MAX_PIXELS_VARIABLE}={pixels} to allow it",
        )
