"""Progress bars for long single jobs (tiles, iterations), shown only where a command line asks.

Library calls stay silent; the command line wraps its work in :func:`shown`, and a loop
that may run long passes its iterable through :func:`steps`. A bar appears only once a
job has run for a second, so quick jobs print nothing.
"""

from __future__ import annotations

import contextlib
import contextvars
import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

from tqdm import tqdm

__all__ = ["shown", "steps"]

T = TypeVar("T")

#: Seconds a job runs before its bar appears.
DELAY = 1.0

_SHOWN = contextvars.ContextVar("restoretk_progress", default=False)


@contextlib.contextmanager
def shown() -> Iterator[None]:
    """Show the progress bars of :func:`steps` on stderr while the block runs."""
    token = _SHOWN.set(True)
    try:
        yield
    finally:
        _SHOWN.reset(token)


def steps(iterable: Iterable[T], total: int, description: str, unit: str) -> Iterable[T]:
    """``iterable`` itself, or with a progress bar inside :func:`shown`.

    Examples
    --------
    >>> list(steps(range(3), 3, "iterations", "it"))
    [0, 1, 2]
    """
    if not _SHOWN.get() or total < 2:
        return iterable
    return tqdm(iterable, total=total, desc=description, unit=unit, leave=False, delay=DELAY, file=sys.stderr)
