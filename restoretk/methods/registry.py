"""The one registry of restoration methods, shared by the Python API, the CLI and the bench.

A method restores a channels-first float image ``(C, rows, cols)`` degraded by a
known :class:`Degradation` and returns ``(C, rows * scale, cols * scale)``. A new
method is one decorated function::

    @register_method("my-method", tasks={"deblur"}, summary="what it does")
    def my_method(image, degradation, *, boundary="auto", strength=1.0):
        ...
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from restoretk.errors import RestoreError

__all__ = ["Degradation", "Method", "register_method", "get_method", "list_methods", "TASKS"]

TASKS = ("deblur", "upscale", "denoise")


@dataclass(frozen=True)
class Degradation:
    """What happened to the image: ``y = S_scale H_psf x + n``, noise of std ``noise``.

    Attributes
    ----------
    psf : numpy.ndarray or None
        Blur kernel (None: no blur).
    scale : int
        Decimation factor (1: no decimation).
    noise : float
        Standard deviation of the additive white Gaussian noise (images in [0, 1]).
    """

    psf: np.ndarray | None = None
    scale: int = 1
    noise: float = 0.0


@dataclass(frozen=True)
class Method:
    """A registered restoration method."""

    name: str
    tasks: frozenset[str]
    restore: Callable[..., np.ndarray]
    summary: str
    needs_psf: bool = True
    options: tuple[str, ...] = field(default=())
    #: Upscaling factors it can do (a trained model's); None: any.
    scales: frozenset[int] | None = None

    def can_scale(self, scale: int) -> bool:
        """Whether it restores at upscaling factor ``scale`` (1: deblurring)."""
        return self.scales is None or scale in self.scales


_METHODS: dict[str, Method] = {}


def register_method(
    name: str, *, tasks: set[str], summary: str, needs_psf: bool = True, scales: set[int] | None = None
) -> Callable[[Callable[..., np.ndarray]], Callable[..., np.ndarray]]:
    """Register ``function`` as method ``name`` for ``tasks`` (``deblur``, ``upscale``, ``denoise``).

    ``scales`` limits the upscaling factors (a trained model's); None allows any.
    """

    def decorate(function: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
        unknown = set(tasks) - set(TASKS)
        if unknown:
            raise ValueError(f"unknown task(s) {sorted(unknown)} for method {name!r}")
        if name in _METHODS:
            raise ValueError(f"method {name!r} is registered twice")
        options = tuple(
            p.name for p in inspect.signature(function).parameters.values() if p.kind is p.KEYWORD_ONLY
        )
        _METHODS[name] = Method(
            name, frozenset(tasks), function, summary, needs_psf, options, None if scales is None else frozenset(scales)
        )
        return function

    return decorate


def list_methods(task: str | None = None) -> list[Method]:
    """Registered methods (for ``task`` only, if given), in registration order."""
    _load_builtin_methods()
    return [m for m in _METHODS.values() if task is None or task in m.tasks]


def get_method(name: str, task: str) -> Method:
    """The method ``name`` for ``task``; a one-line error listing the choices otherwise.

    Examples
    --------
    >>> get_method("wiener", "deblur").name
    'wiener'
    """
    _load_builtin_methods()
    method = _METHODS.get(name)
    if method is None or task not in method.tasks:
        choices = ", ".join(m.name for m in list_methods(task))
        raise RestoreError(f"unknown {task} method {name!r}", f"use one of: {choices}")
    return method


def _load_builtin_methods() -> None:
    """Import the modules that register the built-in methods (explicit, no scanning)."""
    from restoretk.methods import classical, interpolation, plug_and_play  # noqa: F401
    from restoretk.learners import methods as learned  # noqa: F401
