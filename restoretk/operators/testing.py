"""Checks for linear operators: adjointness, the Penrose identities and the projectors.

Every operator of :mod:`restoretk.operators` passes these, on NumPy and Torch inputs, in
float64 and float32; an operator of your own (a :class:`~restoretk.operators.LinearOperator`
subclass, or any object with ``forward``, ``adjoint``, ``pinv``, ``null_project``,
``in_shape`` and ``out_shape``) can be run through the same checks in a test:

- :func:`check_adjoint`: ``<A x, y> = <x, Aᵀ y>`` (the dot test);
- :func:`check_penrose`: the four Moore–Penrose identities of ``A⁺`` (``pinv``);
- :func:`check_projector`: ``P_N = I − A⁺A`` (``null_project``) is idempotent and
  self-adjoint, and ``A P_N = 0``;
- :func:`check_operator`: all of them, on NumPy and Torch, in float64 and float32.

Each raises :class:`AssertionError` naming the identity, the operator, the library and
dtype, and the relative error against its tolerance, and returns the errors it measured.
Errors are relative: an inner-product identity ``<u, v> = <u', v'>`` is scaled by
``‖u‖ ‖v‖`` (its Cauchy–Schwarz bound), an identity between images by the largest
magnitude involved. Tolerances depend on the dtype (:data:`TOLERANCES`).

The pseudo-inverse drops singular values below ``cutoff`` times the largest (``pinv``'s
``rtol``): the identities hold exactly for that operator, and for ``A`` itself up to the
cut-off, so the checks use a small one (smaller in float64, where the dropped values
cannot be told from rounding).

Examples
--------
>>> import numpy as np
>>> from restoretk.operators import Convolution, Decimation
>>> A = Decimation(2, (16, 16)) @ Convolution(np.full((3, 3), 1 / 9), (16, 16))
>>> errors = check_operator(A)
>>> sorted({identity for identity, library, dtype in errors})[:3]
['<A x, y> = <x, Aᵀ y>', 'A A⁺ A = A', 'A A⁺ symmetric']
>>> max(errors.values()) < 1e-3
True

An adjoint that is off by a shift is caught:

>>> from restoretk.operators import FourierMultiplier
>>> class Shifted(FourierMultiplier):
...     def adjoint(self, y):
...         return np.roll(super().adjoint(y), 1, axis=-1)
>>> check_adjoint(Shifted.from_full(np.ones((8, 8))))
Traceback (most recent call last):
...
AssertionError: <A x, y> = <x, Aᵀ y> fails for Shifted(shape=(8, 8)) on numpy float64: relative error 0.1 > 1e-10
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from restoretk.operators.backend import float_dtype_of, is_torch

__all__ = ["Tolerance", "TOLERANCES", "check_adjoint", "check_penrose", "check_projector", "check_operator"]


@dataclass(frozen=True)
class Tolerance:
    """Relative tolerances of the checks for one dtype.

    Parameters
    ----------
    adjoint : float
        For the dot test.
    identity : float
        For the Penrose and projector identities.
    cutoff : float
        Singular values below ``cutoff`` times the largest count as the null space
        (``rtol`` of ``pinv`` and ``null_project``).
    """

    adjoint: float
    identity: float
    cutoff: float


#: Default tolerances by the inputs' dtype.
TOLERANCES: dict[np.dtype, Tolerance] = {
    np.dtype(np.float64): Tolerance(adjoint=1e-10, identity=1e-6, cutoff=1e-8),
    np.dtype(np.float32): Tolerance(adjoint=1e-5, identity=5e-3, cutoff=1e-4),
}

_LIBRARIES = ("numpy", "torch")


def check_adjoint(
    op: Any, x: Any = None, y: Any = None, *, tolerance: float | None = None, seed: int = 0
) -> dict[str, float]:
    """Check ``<A x, y> = <x, Aᵀ y>`` (the dot test).

    Parameters
    ----------
    op : LinearOperator
        The operator: ``forward``, ``adjoint``, ``in_shape`` and ``out_shape``.
    x, y : numpy.ndarray or torch.Tensor, optional
        Test inputs, of spatial shapes ``op.in_shape`` and ``op.out_shape`` (any
        leading batch axes, the same library and dtype); standard normal float64 NumPy
        arrays with a batch of 2 when omitted.
    tolerance : float, optional
        Largest relative error allowed (``|<A x, y> − <x, Aᵀ y>| / (‖A x‖ ‖y‖)``); by
        default :data:`TOLERANCES`' ``adjoint`` for the dtype.
    seed : int, optional
        Seed of the drawn inputs.

    Returns
    -------
    dict of str to float
        The relative error, by identity.

    Raises
    ------
    AssertionError
        If the error exceeds the tolerance; the message names the identity.

    Examples
    --------
    >>> import numpy as np
    >>> from restoretk.operators import Decimation
    >>> errors = check_adjoint(Decimation(2, (8, 8)))
    >>> list(errors), errors["<A x, y> = <x, Aᵀ y>"] < 1e-12
    (['<A x, y> = <x, Aᵀ y>'], True)
    """
    x, y = _inputs(op, x, y, seed)
    limit = _tolerance(x).adjoint if tolerance is None else tolerance
    ax, aty = op.forward(x), op.adjoint(y)
    error = abs(_inner(ax, y) - _inner(x, aty)) / _scale(_norm(ax) * _norm(y), _norm(x) * _norm(aty))
    return _verdict(op, x, {"<A x, y> = <x, Aᵀ y>": error}, limit)


def check_penrose(
    op: Any,
    x: Any = None,
    y: Any = None,
    *,
    tolerance: float | None = None,
    cutoff: float | None = None,
    seed: int = 0,
) -> dict[str, float]:
    """Check the four Moore–Penrose identities of ``A⁺`` (``op.pinv``).

    ``A A⁺ A = A``, ``A⁺ A A⁺ = A⁺``, and ``A A⁺`` and ``A⁺ A`` symmetric, each applied
    to test inputs (no matrix is formed).

    Parameters
    ----------
    op : LinearOperator
        The operator: ``forward``, ``pinv(y, rtol=...)``, ``in_shape``, ``out_shape``.
    x, y : numpy.ndarray or torch.Tensor, optional
        As for :func:`check_adjoint`.
    tolerance : float, optional
        Largest relative error allowed; by default :data:`TOLERANCES`' ``identity``.
    cutoff : float, optional
        ``rtol`` of ``pinv``; by default :data:`TOLERANCES`' ``cutoff``.
    seed : int, optional
        Seed of the drawn inputs (and of the second ones the symmetries need).

    Returns
    -------
    dict of str to float
        The relative error, by identity.

    Raises
    ------
    AssertionError
        If an error exceeds the tolerance; the message names the worst identity.

    Examples
    --------
    >>> import numpy as np
    >>> from restoretk.operators import Convolution
    >>> errors = check_penrose(Convolution(np.full((3, 3), 1 / 9), (12, 12)))
    >>> len(errors), max(errors.values()) < 1e-6
    (4, True)
    """
    x, y, x2, y2, limits, rtol = _with_second_inputs(op, x, y, seed, cutoff)

    def pinv(v: Any) -> Any:
        return op.pinv(v, rtol=rtol)

    ax, py = op.forward(x), pinv(y)
    errors = {
        "A A⁺ A = A": _distance(op.forward(pinv(ax)), ax, x),
        "A⁺ A A⁺ = A⁺": _distance(pinv(op.forward(py)), py, y),
        "A A⁺ symmetric": _asymmetry(lambda v: op.forward(pinv(v)), y, y2),
        "A⁺ A symmetric": _asymmetry(lambda v: pinv(op.forward(v)), x, x2),
    }
    return _verdict(op, x, errors, limits.identity if tolerance is None else tolerance)


def check_projector(
    op: Any, x: Any = None, *, tolerance: float | None = None, cutoff: float | None = None, seed: int = 0
) -> dict[str, float]:
    """Check the null-space projector ``P_N = I − A⁺A`` (``op.null_project``).

    ``P_N`` is idempotent (``P_N P_N = P_N``), self-adjoint, and ``A P_N = 0``: a
    null-space residual never changes what the camera sees.

    Parameters
    ----------
    op : LinearOperator
        The operator: ``forward``, ``null_project(x, rtol=...)``, ``in_shape``.
    x : numpy.ndarray or torch.Tensor, optional
        Test input of spatial shape ``op.in_shape``; as for :func:`check_adjoint`.
    tolerance : float, optional
        Largest relative error allowed; by default :data:`TOLERANCES`' ``identity``.
    cutoff : float, optional
        ``rtol`` of ``null_project``; by default :data:`TOLERANCES`' ``cutoff``.
    seed : int, optional
        Seed of the drawn inputs.

    Returns
    -------
    dict of str to float
        The relative error, by identity.

    Raises
    ------
    AssertionError
        If an error exceeds the tolerance; the message names the worst identity.

    Examples
    --------
    >>> from restoretk.operators import Decimation
    >>> errors = check_projector(Decimation(3, (9, 12)))
    >>> sorted(errors), max(errors.values()) < 1e-6
    (['A P_N = 0', 'P_N idempotent', 'P_N symmetric'], True)
    """
    x, _, x2, _, limits, rtol = _with_second_inputs(op, x, None, seed, cutoff)

    def project(v: Any) -> Any:
        return op.null_project(v, rtol=rtol)

    null = project(x)
    errors = {
        "P_N idempotent": _distance(project(null), null, x),
        "P_N symmetric": _asymmetry(project, x, x2),
        "A P_N = 0": _magnitude(op.forward(null)) / _scale(_magnitude(op.forward(x)), 0.0),
    }
    return _verdict(op, x, errors, limits.identity if tolerance is None else tolerance)


def check_operator(
    op: Any,
    *,
    libraries: tuple[str, ...] = _LIBRARIES,
    dtypes: tuple[type[np.floating], ...] = (np.float64, np.float32),
    inverses: bool = True,
    batch: tuple[int, ...] = (2,),
    seed: int = 0,
) -> dict[tuple[str, str, str], float]:
    """Run every check on ``op``, for each library and dtype, with default tolerances.

    Parameters
    ----------
    op : LinearOperator
        The operator.
    libraries : tuple of {'numpy', 'torch'}, optional
        Where the inputs live.
    dtypes : tuple of numpy float types, optional
        The inputs' precision.
    inverses : bool, optional
        Also check ``pinv`` (:func:`check_penrose`) and ``null_project``
        (:func:`check_projector`); False for an operator without them (such as
        :class:`~restoretk.operators.ZeroFill`).
    batch : tuple of int, optional
        Leading axes of the drawn inputs.
    seed : int, optional
        Seed of the drawn inputs.

    Returns
    -------
    dict
        The relative error by ``(identity, library, dtype name)``.

    Raises
    ------
    AssertionError
        At the first identity that fails.

    Examples
    --------
    >>> from restoretk.operators import ZeroFill
    >>> errors = check_operator(ZeroFill(2, (4, 4)), inverses=False)
    >>> sorted(errors)[0]
    ('<A x, y> = <x, Aᵀ y>', 'numpy', 'float32')
    """
    unknown = set(libraries) - set(_LIBRARIES)
    if unknown:
        raise ValueError(f"libraries {sorted(unknown)} are not known; use 'numpy' and/or 'torch'")
    found: dict[tuple[str, str, str], float] = {}
    rng = np.random.default_rng(seed)
    for library in libraries:
        for dtype in dtypes:
            x = _convert(rng.standard_normal(batch + tuple(op.in_shape)).astype(dtype), library)
            y = _convert(rng.standard_normal(batch + tuple(op.out_shape)).astype(dtype), library)
            results = check_adjoint(op, x, y, seed=seed)
            if inverses:
                results |= check_penrose(op, x, y, seed=seed)
                results |= check_projector(op, x, seed=seed)
            name = np.dtype(dtype).name
            found.update({(identity, library, name): error for identity, error in results.items()})
    return found


# -- measuring ------------------------------------------------------------------------


def _as_float64(a: Any) -> np.ndarray:
    if is_torch(a):
        a = a.detach().cpu().numpy()
    return np.asarray(a, dtype=np.float64)


def _inner(a: Any, b: Any) -> float:
    return float(np.sum(_as_float64(a) * _as_float64(b)))


def _norm(a: Any) -> float:
    return float(np.linalg.norm(_as_float64(a).ravel()))


def _magnitude(a: Any) -> float:
    return float(np.abs(_as_float64(a)).max(initial=0.0))


def _scale(*candidates: float) -> float:
    """The largest of ``candidates``, or 1 when all vanish (then errors are absolute)."""
    return max(*candidates, 0.0) or 1.0


def _distance(got: Any, expected: Any, start: Any) -> float:
    """``max |got − expected|`` relative to the largest magnitude of ``expected`` and ``start``."""
    difference = _magnitude(_as_float64(got) - _as_float64(expected))
    return difference / _scale(_magnitude(expected), _magnitude(start))


def _asymmetry(apply: Any, u: Any, v: Any) -> float:
    """``|<M u, v> − <u, M v>| / (‖u‖ ‖v‖)`` for the map ``apply`` (``M``)."""
    return abs(_inner(apply(u), v) - _inner(u, apply(v))) / _scale(_norm(u) * _norm(v))


# -- inputs and verdicts ----------------------------------------------------------------


def _convert(a: np.ndarray, library: str) -> Any:
    if library == "torch":
        import torch  # only when Torch inputs are asked for

        return torch.from_numpy(a)
    return a


def _inputs(op: Any, x: Any, y: Any, seed: int, like: Any = None) -> tuple[Any, Any]:
    """``x`` and ``y``, drawn (standard normal, batch of 2) where not given, like ``like`` or ``x``."""
    like = x if like is None else like
    library = "torch" if like is not None and is_torch(like) else "numpy"
    dtype = float_dtype_of(like) if like is not None else np.dtype(np.float64)
    rng = np.random.default_rng(seed)
    batch = tuple(like.shape[:-2]) if like is not None else (2,)
    if x is None:
        x = _convert(rng.standard_normal(batch + tuple(op.in_shape)).astype(dtype), library)
    if y is None:
        y = _convert(rng.standard_normal(batch + tuple(op.out_shape)).astype(dtype), library)
    return x, y


def _with_second_inputs(
    op: Any, x: Any, y: Any, seed: int, cutoff: float | None
) -> tuple[Any, Any, Any, Any, Tolerance, float]:
    """``x``, ``y``, a second pair drawn like them (for the symmetries), the tolerances and the cut-off."""
    x, y = _inputs(op, x, y, seed)
    x2, y2 = _inputs(op, None, None, seed + 1, like=x)
    limits = _tolerance(x)
    return x, y, x2, y2, limits, limits.cutoff if cutoff is None else cutoff


def _tolerance(x: Any) -> Tolerance:
    dtype = float_dtype_of(x)
    if dtype not in TOLERANCES:
        raise ValueError(f"no default tolerance for {dtype}; pass tolerance= (and cutoff=)")
    return TOLERANCES[dtype]


def _verdict(op: Any, x: Any, errors: dict[str, float], tolerance: float) -> dict[str, float]:
    identity = max(errors, key=lambda name: errors[name])
    if not errors[identity] <= tolerance:  # NaN fails too
        library = "torch" if is_torch(x) else "numpy"
        raise AssertionError(
            f"{identity} fails for {op!r} on {library} {float_dtype_of(x)}: "
            f"relative error {errors[identity]:.2g} > {tolerance:.2g}"
        )
    return errors
