"""Project exceptions: one line that names the problem and says what to do instead.

The CLI prints ``str(error)`` without a traceback and exits with code 2.
"""

from __future__ import annotations

__all__ = ["RestoreError", "InputError"]


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
