"""The maths of ``A``, ``A⁺`` and ``P_N``: blur, decimation and their composition.

Examples
--------
>>> import numpy as np
>>> from restoretk.operators import Convolution, Decimation
>>> A = Decimation(2, (16, 16)) @ Convolution(np.full((3, 3), 1 / 9), (16, 16))
>>> x = np.random.default_rng(0).random((16, 16))
>>> bool(np.allclose(A(A.null_project(x)), 0, atol=1e-10))
True
"""

from restoretk.operators.linear import (
    Composite,
    Convolution,
    Decimation,
    FourierMultiplier,
    LinearOperator,
    ZeroFill,
    compose,
)

__all__ = [
    "LinearOperator",
    "FourierMultiplier",
    "Convolution",
    "Decimation",
    "ZeroFill",
    "Composite",
    "compose",
]
