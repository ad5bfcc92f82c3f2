"""Project exceptions: one line that names the problem and says what to do instead.

The CLI prints ``str(error)`` without a traceback and exits with code 2.
"""

from __future__ import annotations

__all__ = ["RestoreError", "InputError", "UnknownNameError", "DuplicateNameError", "PluginWarning"]


class RestoreError(ValueError):
    """A user-facing error whose message names the bad value and the fix.

    Parameters
    ----------
    problem : str
        What is wrong, naming the offending value.
    hint : str, optional
        What to type or pass instead.

    Examples
    --------
    >>> str(RestoreError("unknown method 'wienr'", "use one of: wiener, pinv"))
    "unknown method 'wienr'; use one of: wiener, pinv"
    """

    def __init__(self, problem: str, hint: str | None = None) -> None:
        self.problem = problem
        self.hint = hint
        super().__init__(f"{problem}; {hint}" if hint else problem)


class InputError(RestoreError):
    """A file or image that cannot be read, written or used as given."""


class UnknownNameError(RestoreError, KeyError):
    """A name that no registry entry has (a method, a PSF family, ...); the message lists the choices.

    Also a :class:`KeyError`, as a failed lookup in a mapping is.

    Examples
    --------
    >>> str(UnknownNameError("unknown method 'wienr'", "use one of: wiener, pinv"))
    "unknown method 'wienr'; use one of: wiener, pinv"
    """

    def __str__(self) -> str:  # KeyError would quote the message
        return RestoreError.__str__(self)


class DuplicateNameError(RestoreError):
    """A second registration of a name (a method, a PSF family, ...) already registered."""


class PluginWarning(UserWarning):
    """A third-party plug-in that failed to load and was skipped (see :mod:`restoretk.registry`)."""
