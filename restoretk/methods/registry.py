"""The one registry of restoration methods, shared by the Python API, the CLI and the bench.

A method restores a channels-first float image ``(C, rows, cols)`` degraded by a
known :class:`Degradation` and returns ``(C, rows * scale, cols * scale)``. A new
method is one decorated function::

    @register_method("my-method", tasks={"deblur"}, summary="what it does")
    def my_method(image, degradation, *, boundary="auto", strength: Annotated[float, Range(0, low_open=True)] = 1.0):
        ...

Its keyword-only parameters are its options, and their annotations type them:
:meth:`Method.check_options` parses text (``-O strength=2``) and checks values against
``int``, ``float`` (finite), ``bool``, ``str``, ``Literal[...]``, ``X | None`` and a
:class:`Range` given with ``Annotated``. What else a method can check before any image
(a weights file, a prior's name) is its ``check`` hook, ``register_method(...,
check=...)``; :meth:`Method.validate` runs both, so that a caller (the CLI) checks a
whole batch's options without restoring anything.

Built-in methods are registered by their own modules, loaded on the first lookup
(:mod:`restoretk.plugins`); a package adds its own through the entry-point group
``restoretk.methods`` (:mod:`restoretk.registry`).
"""

from __future__ import annotations

import functools
import inspect
import math
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Callable, Literal

import numpy as np

from restoretk.degradation import Degradation  # re-exported: what a method is told
from restoretk.errors import RestoreError
from restoretk.registry import Registry

__all__ = [
    "Degradation",
    "Method",
    "METHODS",
    "OptionCheck",
    "Range",
    "register_method",
    "get_method",
    "list_methods",
    "TASKS",
    "RESERVED_OPTIONS",
]

TASKS = ("deblur", "upscale", "denoise")

#: Keyword-only parameters every caller sets itself rather than through options, with
#: the command-line flag that sets them.
RESERVED_OPTIONS = {"boundary": "the restorer's own parameter"}


@dataclass(frozen=True)
class Range:
    """Bounds of a numeric option: ``Annotated[int, Range(1, 10_000)]``.

    Examples
    --------
    >>> Range(0, low_open=True).describe(), Range(1, 10).describe()
    ('> 0', 'from 1 to 10')
    """

    low: float | None = None
    high: float | None = None
    low_open: bool = False

    def holds(self, value: float) -> bool:
        """Whether ``value`` lies within the bounds."""
        above = self.low is None or (value > self.low if self.low_open else value >= self.low)
        return above and (self.high is None or value <= self.high)

    def describe(self) -> str:
        """The bounds in words."""
        if self.low is not None and self.high is not None and not self.low_open:
            return f"from {self.low:g} to {self.high:g}"
        parts = [] if self.low is None else [f"{'>' if self.low_open else '>='} {self.low:g}"]
        return " and ".join(parts + ([] if self.high is None else [f"<= {self.high:g}"]))


#: Checks a method makes of its options before any image: ``check(options, scale)``.
OptionCheck = Callable[[dict[str, Any], int], None]


@dataclass(frozen=True)
class Method:
    """A registered restoration method.

    Attributes
    ----------
    name : str
        Its name, ``method=`` in Python and ``-m`` on the command line.
    tasks : frozenset of str
        What it does: ``deblur``, ``upscale``, ``denoise``.
    restore : callable
        ``restore(image, degradation, **options) -> image``.
    summary : str
        One line on what it is.
    options : tuple of str
        Its keyword-only parameters.
    scales : frozenset of int or None
        Upscaling factors it can do (a trained model's); None: any.
    check : callable or None
        ``check(options, scale)``: what the method checks of its (typed) options before
        any image, raising one-line errors (a weights file, a prior's name).
    """

    name: str
    tasks: frozenset[str]
    restore: Callable[..., np.ndarray]
    summary: str
    options: tuple[str, ...] = field(default=())
    scales: frozenset[int] | None = None
    check: OptionCheck | None = None

    def can_scale(self, scale: int) -> bool:
        """Whether it restores at upscaling factor ``scale`` (1: deblurring)."""
        return self.scales is None or scale in self.scales

    def check_options(self, options: dict[str, Any]) -> dict[str, Any]:
        """``options`` parsed (text) and checked against the annotations of the method's parameters.

        Raises
        ------
        RestoreError
            For an unknown or reserved name, or a value of the wrong type or out of range.

        Examples
        --------
        >>> method = get_method("richardson-lucy", "deblur")
        >>> method.check_options({"iterations": "30"})
        {'iterations': 30}
        >>> method.check_options({"iterations": "2.5"})
        Traceback (most recent call last):
        ...
        restoretk.errors.RestoreError: option iterations='2.5' of method 'richardson-lucy' is not an integer from 1 to 10000; use e.g. iterations=20
        """
        hints, defaults = _annotations(self.restore)
        checked = {}
        for name, value in options.items():
            if name in RESERVED_OPTIONS:
                raise RestoreError(
                    f"{name} is not a method option", f"use `{name}`, {RESERVED_OPTIONS[name]}"
                )
            if name not in self.options:
                allowed = ", ".join(o for o in self.options if o not in RESERVED_OPTIONS) or "none"
                raise RestoreError(f"method {self.name!r} has no option {name!r}", f"its options: {allowed}")
            checked[name] = _typed(value, hints.get(name, Any), name, self.name, defaults[name])
        return checked

    def validate(self, options: dict[str, Any], scale: int = 1) -> dict[str, Any]:
        """Everything that can be checked before restoring an image: the options and the scale.

        The options are typed as :meth:`check_options` types them; then the method's own
        ``check`` looks at them (does the weights file exist and hold this model at this
        scale, is the prior a registered denoiser, ...), or, for a method without one,
        ``scale`` is checked against :attr:`scales`. Nothing is restored.

        Parameters
        ----------
        options : dict
            The options as text (``{"iterations": "30"}``) or values.
        scale : int
            The upscaling factor (1 to deblur or denoise).

        Returns
        -------
        dict
            The typed options, as :meth:`check_options` returns them.

        Raises
        ------
        RestoreError
            One line naming what is wrong and what to pass instead.

        Examples
        --------
        >>> get_method("pnp", "deblur").validate({"iterations": "4", "prior": "tv"})
        {'iterations': 4, 'prior': 'tv'}
        >>> get_method("pnp", "deblur").validate({"prior": "bm4d"})
        Traceback (most recent call last):
        ...
        restoretk.errors.UnknownNameError: unknown denoiser 'bm4d'; use one of: restoretk, wavelet, tv, ffdnet, bm3d
        >>> get_method("srnet", "upscale").validate({}, scale=2)
        Traceback (most recent call last):
        ...
        restoretk.errors.RestoreError: ...srnet.safetensors holds a model that upscales by 4, not 2; use scale=4, or train a model for scale 2
        """
        checked = self.check_options(options)
        if self.check is not None:
            self.check(checked, int(scale))
        elif not self.can_scale(scale):
            factors = ", ".join(map(str, sorted(self.scales or ())))
            raise RestoreError(f"method {self.name!r} upscales by {factors} only, not {scale}", f"use scale={factors.split(',')[0]}")
        return checked


#: Every registered method (entry-point group ``restoretk.methods``).
METHODS: Registry[Method] = Registry("method", group="restoretk.methods")


def register_method(
    name: str,
    *,
    tasks: set[str],
    summary: str,
    scales: set[int] | None = None,
    check: OptionCheck | None = None,
) -> Callable[[Callable[..., np.ndarray]], Callable[..., np.ndarray]]:
    """Register ``function`` as method ``name`` for ``tasks`` (``deblur``, ``upscale``, ``denoise``).

    Parameters
    ----------
    name : str
        The method's name; unique.
    tasks : set of str
        What it does: some of :data:`TASKS`.
    summary : str
        One line for ``restoretk methods``.
    scales : set of int, optional
        The upscaling factors it can do (a trained model's); None allows any.
    check : callable, optional
        ``check(options, scale)``, called by :meth:`Method.validate` with the typed
        options: what the method can check before any image, raising
        :class:`~restoretk.errors.RestoreError`. It decides about ``scale`` itself.

    Returns
    -------
    callable
        A decorator that registers the function and returns it unchanged.

    Examples
    --------
    >>> "wiener" in METHODS  # a lookup loads the built-ins
    True
    >>> register_method("wiener", tasks={"deblur"}, summary="again")
    Traceback (most recent call last):
    ...
    restoretk.errors.DuplicateNameError: method 'wiener' is already registered; choose another name
    """
    METHODS.check_new(name)
    unknown = set(tasks) - set(TASKS)
    if unknown:
        raise RestoreError(f"unknown task(s) {sorted(unknown)} for method {name!r}", f"use some of: {', '.join(TASKS)}")

    def decorate(function: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
        options = tuple(
            p.name for p in inspect.signature(function).parameters.values() if p.kind is p.KEYWORD_ONLY
        )
        frozen_scales = None if scales is None else frozenset(scales)
        METHODS.register(name, Method(name, frozenset(tasks), function, summary, options, frozen_scales, check))
        return function

    return decorate


@functools.lru_cache(maxsize=None)
def _annotations(function: Callable[..., Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The type hints and defaults of ``function``'s parameters (evaluated once: restoring calls this per image)."""
    defaults = {p.name: p.default for p in inspect.signature(function).parameters.values()}
    return typing.get_type_hints(function, include_extras=True), defaults


def _typed(value: Any, annotation: Any, name: str, method: str, default: Any) -> Any:
    """``value`` (or its text) as the type ``annotation`` describes, or a one-line error."""
    kinds = typing.get_args(annotation) if typing.get_origin(annotation) in (typing.Union, types.UnionType) else (annotation,)
    if type(None) in kinds and (value is None or (isinstance(value, str) and value.lower() == "none")):
        return None
    members = [_bounded(k) for k in kinds if k is not type(None)]
    for kind, bounds in sorted(members, key=lambda member: member[0] is str):  # str last: it takes any text
        try:
            result = _as_kind(value, kind)
        except (TypeError, ValueError, KeyError):
            continue
        if bounds is None or bounds.holds(result):
            return result
    wanted = " or ".join(_kind_name(kind) + ("" if bounds is None else f" {bounds.describe()}") for kind, bounds in members)
    article = "" if wanted.startswith("one of") else "an " if wanted[0] in "aeiou" else "a "
    low = next((b.low for _, b in members if b is not None and b.low is not None), None)
    example = default if default not in (None, inspect.Parameter.empty) else "none" if low is None else f"{low:g}"
    raise RestoreError(f"option {name}={value!r} of method {method!r} is not {article}{wanted}", f"use e.g. {name}={example}")


def _bounded(kind: Any) -> tuple[Any, Range | None]:
    """An annotation without ``Annotated``, and the :class:`Range` it carried."""
    if typing.get_origin(kind) is not typing.Annotated:
        return kind, None
    base, *extras = typing.get_args(kind)
    return base, next((e for e in extras if isinstance(e, Range)), None)


def _as_kind(value: Any, kind: Any) -> Any:
    """``value`` converted to one member of an annotation; TypeError or ValueError when it is not one."""
    if typing.get_origin(kind) is Literal:
        if value in typing.get_args(kind):
            return value
        raise ValueError(value)
    if kind is Any:
        return value
    if kind is bool:
        if isinstance(value, bool):
            return value
        return {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}[str(value).lower()]
    if isinstance(value, bool):
        raise TypeError(value)
    if kind is int:
        number = float(value) if isinstance(value, str) else value
        if isinstance(number, (int, float)) and float(number).is_integer():
            return int(number)
        raise ValueError(value)
    if kind is float:
        if not isinstance(value, (str, int, float)):
            raise TypeError(value)
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(value)
        return number
    if kind is str:
        if isinstance(value, str):
            return value
        raise TypeError(value)
    raise TypeError(kind)


def _kind_name(kind: Any) -> str:
    if typing.get_origin(kind) is Literal:
        return "one of " + ", ".join(map(str, typing.get_args(kind)))
    return {int: "integer", float: "finite number", bool: "true or false", str: "text"}.get(kind, str(kind))


def list_methods(task: str | None = None) -> list[Method]:
    """Registered methods (for ``task`` only, if given), in registration order.

    Examples
    --------
    >>> [m.name for m in list_methods("denoise")][-1]
    'denoiser'
    """
    return [m for m in METHODS.values() if task is None or task in m.tasks]


def get_method(name: str, task: str) -> Method:
    """The method ``name`` for ``task``; a one-line error listing the choices otherwise.

    Examples
    --------
    >>> get_method("wiener", "deblur").name
    'wiener'
    >>> get_method("bicubic", "deblur")
    Traceback (most recent call last):
    ...
    restoretk.errors.UnknownNameError: unknown deblur method 'bicubic'; use one of: wiener, pinv, ...
    """
    method = METHODS.get(name)
    if method is None or task not in method.tasks:
        raise METHODS.unknown(name, [m.name for m in list_methods(task)], kind=f"{task} method")
    return method
