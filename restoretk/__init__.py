"""restoretk: restore degraded photographs with exact operators and learned null-space residuals."""

from restoretk.errors import InputError, RestoreError

__version__ = "0.1.0"

__all__ = ["RestoreError", "InputError", "__version__"]
