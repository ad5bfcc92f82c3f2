"""Linear operators ``A`` with adjoints, Moore–Penrose / Wiener inverses and projectors.

Every operator here is *Fourier-diagonal up to decimation*: a circular convolution is
diagonal in Fourier space and keeping every s-th pixel folds the ``s²`` aliased bands
onto each other. So for ``A`` any chain of convolutions and decimations,

* ``A G Aᵀ`` is diagonal in Fourier space on the output grid whenever ``G`` is on
  the input grid (:meth:`LinearOperator.push_gram`), and
* the regularised inverse has the closed form (push-through identity)

  ``A⁺_ε = (Aᵀ A + ε P⁻¹)⁻¹ Aᵀ = P Aᵀ (A P Aᵀ + ε I)⁻¹``

  with ``P`` an optional signal power spectrum (a Wiener prior; identity by default),
  and ``ε = 0`` giving the Moore–Penrose pseudo-inverse ``A⁺ = Aᵀ (A Aᵀ)⁺``.

No dense matrix and no iterative solver is involved. Operators act on the last two
axes of NumPy arrays or Torch tensors (see :mod:`restoretk.operators.backend`).
"""

from __future__ import annotations

import functools
import operator
from abc import ABC, abstractmethod
from typing import Any, Callable, Sequence

import numpy as np

from restoretk.errors import RestoreError
from restoretk.operators import backend
from restoretk.operators.transfer import (
    alias_fold,
    full_spectrum,
    half_spectrum,
    inverse_gain,
    psf_to_otf,
    regularised_gain,
)

__all__ = [
    "LinearOperator",
    "FourierMultiplier",
    "Convolution",
    "Decimation",
    "ZeroFill",
    "Composite",
]

Shape = tuple[int, int]


class LinearOperator(ABC):
    """A linear map from images of ``in_shape`` to images of ``out_shape``.

    Subclasses define :meth:`forward`, :meth:`adjoint`, :meth:`transpose` and, when
    ``A G Aᵀ`` stays diagonal in Fourier space, :meth:`push_gram`; the inverses and
    projectors follow from those.
    """

    in_shape: Shape
    out_shape: Shape

    @abstractmethod
    def forward(self, x: Any) -> Any:
        """``A x``."""

    @abstractmethod
    def adjoint(self, y: Any) -> Any:
        """``Aᵀ y``."""

    @abstractmethod
    def transpose(self) -> LinearOperator:
        """``Aᵀ`` as an operator."""

    def push_gram(self, gram: np.ndarray) -> np.ndarray:
        """Transfer of ``A G Aᵀ`` on the output grid, for ``G`` diagonal on the input grid.

        Parameters
        ----------
        gram : numpy.ndarray
            Real non-negative transfer of ``G`` (``rfft2`` half of ``in_shape``).

        Returns
        -------
        numpy.ndarray
            Real transfer, ``rfft2`` half of ``out_shape``.
        """
        raise RestoreError(
            f"{type(self).__name__} has no closed-form pseudo-inverse",
            "use convolutions and decimations (e.g. Decimation @ Convolution)",
        )

    def __call__(self, x: Any) -> Any:
        return self.forward(x)

    def __matmul__(self, other: LinearOperator) -> LinearOperator:
        return compose(self, other)

    @property
    def T(self) -> LinearOperator:  # noqa: N802 - the usual name for a transpose
        """``Aᵀ`` as an operator."""
        return self.transpose()

    # -- inverses and projectors -------------------------------------------------

    def pinv_operator(
        self, eps: float = 0.0, *, prior: np.ndarray | FourierMultiplier | None = None, rtol: float = 1e-3
    ) -> LinearOperator:
        """The operator ``A⁺_ε = P Aᵀ (A P Aᵀ + ε I)⁻¹`` (``A⁺`` when ``eps = 0``).

        Parameters
        ----------
        eps : float
            Regularisation ε ≥ 0. For white noise of standard deviation σ and a
            signal power spectrum ``prior``, ``eps = σ²`` gives the Wiener filter.
        prior : numpy.ndarray or FourierMultiplier, optional
            Real positive transfer ``P`` on the input grid (a full DFT-grid array, or a
            multiplier); identity when omitted, which gives ``(AᵀA + εI)⁻¹Aᵀ``.
        rtol : float
            With ``eps = 0``: singular values below ``rtol`` times the largest count as
            the null space.
        """
        key = ("pinv", float(eps), rtol) if prior is None and np.ndim(eps) == 0 else None
        cache = self.__dict__.setdefault("_operator_cache", {})
        if key in cache:
            return cache[key]
        if prior is not None and not isinstance(prior, FourierMultiplier):
            prior = FourierMultiplier.from_full(np.asarray(prior, dtype=np.float64))
        # P Aᵀ and A P Aᵀ do not depend on ε: kept per prior (holding it keeps its id unique)
        parts_key = ("pinv parts", id(prior))
        if parts_key not in cache:
            if prior is None:
                weight, numerator = np.ones((self.in_shape[0], self.in_shape[1] // 2 + 1)), self.transpose()
            else:
                weight, numerator = prior.half.real, prior @ self.transpose()
            cache[parts_key] = (prior, numerator, FourierMultiplier(self.push_gram(weight), self.out_shape))
        _, numerator, gram = cache[parts_key]
        if np.ndim(eps) == 0 and eps > 0:  # formed when applied, in the data's precision
            gain = FourierMultiplier.derived(functools.partial(regularised_gain, eps=float(eps)), gram)
        else:
            gain = FourierMultiplier(inverse_gain(gram.half, eps, rtol), self.out_shape)
        op = numerator @ gain
        if key is not None:
            cache[key] = op
        return op

    def range_operator(self, eps: float = 0.0, *, rtol: float = 1e-3) -> LinearOperator:
        """``A⁺_ε A``: the orthogonal projector on the row space when ``eps = 0``."""
        cache = self.__dict__.setdefault("_operator_cache", {})
        key = ("range", float(eps), rtol)
        if key not in cache:
            cache[key] = self.pinv_operator(eps, rtol=rtol) @ self
        return cache[key]

    def pinv(
        self, y: Any, eps: float = 0.0, *, prior: np.ndarray | FourierMultiplier | None = None, rtol: float = 1e-3
    ) -> Any:
        """Apply the (regularised) pseudo-inverse: ``A⁺_ε y``; see :meth:`pinv_operator`."""
        return self.pinv_operator(eps, prior=prior, rtol=rtol).forward(y)

    def data_proximal(self, y: Any, z: Any, weight: float) -> Any:
        """``argmin_x ‖y − A x‖² + weight · ‖x − z‖²``, in closed form: ``z + A⁺_weight (y − A z)``.

        The data step of half-quadratic splitting and of the other plug-and-play
        solvers (``(AᵀA + w I)⁻¹ (Aᵀ y + w z)``, by the push-through identity), for any
        chain of convolutions and decimations.

        Examples
        --------
        >>> op = Convolution(np.full((3, 3), 1 / 9), (8, 8))
        >>> y, z = np.ones((8, 8)), np.zeros((8, 8))
        >>> x = op.data_proximal(y, z, 0.5)
        >>> bool(np.allclose(op.adjoint(op.forward(x)) + 0.5 * x, op.adjoint(y) + 0.5 * z))
        True
        """
        if not weight > 0:
            raise RestoreError(f"proximal weight {weight!r} is not positive", "use a weight > 0")
        return z + self.pinv(y - self.forward(z), weight)

    def range_project(self, x: Any, eps: float = 0.0, *, rtol: float = 1e-3) -> Any:
        """``A⁺_ε A x``: the part of ``x`` the camera sees."""
        return self.range_operator(eps, rtol=rtol).forward(x)

    def null_project(self, x: Any, eps: float = 0.0, *, rtol: float = 1e-3) -> Any:
        """``(I − A⁺_ε A) x``: the part of ``x`` the camera cannot see (``A`` of it is 0 for ε = 0)."""
        return x - self.range_project(x, eps, rtol=rtol)

    # -- helpers for subclasses ----------------------------------------------------

    def _check(self, x: Any, shape: Shape, role: str) -> None:
        if tuple(x.shape[-2:]) != tuple(shape):
            raise RestoreError(
                f"{type(self).__name__} expects {role} of spatial size {shape[0]}x{shape[1]}, "
                f"got {x.shape[-2]}x{x.shape[-1]}",
                "build the operator for this image size",
            )


class FourierMultiplier(LinearOperator):
    """A circular convolution given by its transfer function (diagonal in Fourier space).

    Parameters
    ----------
    half : numpy.ndarray
        ``rfft2`` half, ``(rows, cols // 2 + 1)``, of the transfer of a real operator.
    shape : tuple of int
        Spatial shape (rows, cols), both input and output.

    Examples
    --------
    >>> half = FourierMultiplier.from_full(np.full((4, 4), 0.5))
    >>> float(half(np.ones((4, 4)))[0, 0])
    0.5
    """

    def __init__(self, half: np.ndarray, shape: Shape) -> None:
        half = np.asarray(half)
        self.in_shape = self.out_shape = (int(shape[0]), int(shape[1]))
        if half.shape != (shape[0], shape[1] // 2 + 1):
            raise ValueError(f"transfer half {half.shape} does not match shape {shape}")
        self._transfer = backend.Transfer(half)

    @classmethod
    def derived(cls, function: Callable[..., Any], *multipliers: FourierMultiplier) -> FourierMultiplier:
        """The multiplier whose transfer is ``function`` of the ``multipliers``' transfers.

        Formed lazily, in the precision of the data (see :meth:`backend.Transfer.derived`).
        """
        merged = cls.__new__(cls)
        merged.in_shape = merged.out_shape = multipliers[0].in_shape
        merged._transfer = backend.Transfer.derived(function, *(m._transfer for m in multipliers))
        return merged

    @classmethod
    def product(cls, first: FourierMultiplier, second: FourierMultiplier) -> FourierMultiplier:
        """``first @ second``, its transfer formed lazily in the precision of the data."""
        return cls.derived(operator.mul, first, second)

    @property
    def half(self) -> np.ndarray:
        """The ``rfft2`` half of the transfer, ``(rows, cols // 2 + 1)``."""
        return self._transfer.array

    @classmethod
    def from_full(cls, full: np.ndarray) -> FourierMultiplier:
        """A multiplier from its full DFT-grid transfer (Hermitian symmetric)."""
        return cls(half_spectrum(full), full.shape)

    @property
    def full(self) -> np.ndarray:
        """The transfer on the full DFT grid."""
        return full_spectrum(self.half, self.in_shape)

    def forward(self, x: Any) -> Any:
        self._check(x, self.in_shape, "an input")
        spectrum = backend.rfft2(x)
        if backend.is_torch(spectrum) and spectrum.requires_grad:
            spectrum = spectrum * self._transfer.like(x)
        else:
            # in place, no second spectrum-sized array; for NumPy data on one core, which
            # spares a busy machine one more wait for all of Torch's threads
            spectrum *= self._transfer.like(x)
        return backend.irfft2(spectrum, self.out_shape, overwrite=True)

    def adjoint(self, y: Any) -> Any:
        return self.transpose().forward(y)

    def transpose(self) -> FourierMultiplier:
        if not np.iscomplexobj(self.half):
            return self
        cache = self.__dict__.setdefault("_operator_cache", {})
        if "T" not in cache:
            cache["T"] = FourierMultiplier(np.conj(self.half), self.in_shape)
        return cache["T"]

    def push_gram(self, gram: np.ndarray) -> np.ndarray:
        return gram * np.abs(self.half) ** 2

    def __repr__(self) -> str:
        return f"{type(self).__name__}(shape={self.in_shape})"


class Convolution(FourierMultiplier):
    """Circular convolution with a PSF on images of ``shape``.

    Parameters
    ----------
    psf : numpy.ndarray
        2-D kernel, centred at ``(rows // 2, cols // 2)`` (see :mod:`restoretk.psf`).
    shape : tuple of int
        Spatial image shape (rows, cols).

    Examples
    --------
    >>> H = Convolution(np.full((3, 3), 1 / 9), (16, 16))
    >>> x = np.random.default_rng(0).random((16, 16))
    >>> bool(np.allclose(H(H.pinv(H(x))), H(x)))
    True
    """

    def __init__(self, psf: np.ndarray, shape: Shape) -> None:
        self.psf = np.asarray(psf, dtype=np.float64)
        super().__init__(psf_to_otf(self.psf, tuple(shape)), tuple(shape))

    def __repr__(self) -> str:
        return f"Convolution(psf={self.psf.shape[0]}x{self.psf.shape[1]}, shape={self.in_shape})"


class Decimation(LinearOperator):
    """Keep every ``factor``-th pixel in both directions, starting at (0, 0).

    Parameters
    ----------
    factor : int
        Decimation factor s ≥ 1; the input size must be a multiple of it.
    shape : tuple of int
        Input (high-resolution) spatial shape.

    Examples
    --------
    >>> S = Decimation(2, (4, 4))
    >>> S(np.arange(16.0).reshape(4, 4))
    array([[ 0.,  2.],
           [ 8., 10.]])
    """

    def __init__(self, factor: int, shape: Shape) -> None:
        if int(factor) != factor or factor < 1:
            raise RestoreError(f"decimation factor {factor!r} is not a positive integer", "use e.g. 2, 3 or 4")
        self.factor = int(factor)
        rows, cols = shape
        if rows % self.factor or cols % self.factor:
            raise RestoreError(
                f"image of size {rows}x{cols} is not a multiple of the scale {self.factor}",
                f"crop it to {rows - rows % self.factor}x{cols - cols % self.factor}",
            )
        self.in_shape = (rows, cols)
        self.out_shape = (rows // self.factor, cols // self.factor)

    def forward(self, x: Any) -> Any:
        self._check(x, self.in_shape, "an input")
        return x[..., :: self.factor, :: self.factor]

    def adjoint(self, y: Any) -> Any:
        return ZeroFill(self.factor, self.out_shape).forward(y)

    def transpose(self) -> ZeroFill:
        return ZeroFill(self.factor, self.out_shape)

    def push_gram(self, gram: np.ndarray) -> np.ndarray:
        return half_spectrum(alias_fold(full_spectrum(gram, self.in_shape).real, self.factor))

    def __repr__(self) -> str:
        return f"Decimation(factor={self.factor}, shape={self.in_shape})"


class ZeroFill(LinearOperator):
    """Insert ``factor − 1`` zeros between pixels: the adjoint of :class:`Decimation`.

    Parameters
    ----------
    factor : int
        Upsampling factor.
    shape : tuple of int
        Input (low-resolution) spatial shape.
    """

    def __init__(self, factor: int, shape: Shape) -> None:
        self.factor = int(factor)
        self.in_shape = tuple(shape)
        self.out_shape = (shape[0] * self.factor, shape[1] * self.factor)

    def forward(self, x: Any) -> Any:
        self._check(x, self.in_shape, "an input")
        out = backend.zeros(x, tuple(x.shape[:-2]) + self.out_shape)
        out[..., :: self.factor, :: self.factor] = x
        return out

    def adjoint(self, y: Any) -> Any:
        return Decimation(self.factor, self.out_shape).forward(y)

    def transpose(self) -> Decimation:
        return Decimation(self.factor, self.out_shape)

    def __repr__(self) -> str:
        return f"ZeroFill(factor={self.factor}, shape={self.in_shape})"


class Composite(LinearOperator):
    """Operators applied in turn: ``steps[0]`` first, i.e. ``A = steps[-1] ⋯ steps[0]``.

    Build it with ``@`` (``S @ H`` applies ``H`` then ``S``) rather than directly.
    """

    def __init__(self, steps: Sequence[LinearOperator]) -> None:
        self.steps = tuple(steps)
        self.in_shape = self.steps[0].in_shape
        self.out_shape = self.steps[-1].out_shape

    def forward(self, x: Any) -> Any:
        for step in self.steps:
            x = step.forward(x)
        return x

    def adjoint(self, y: Any) -> Any:
        for step in reversed(self.steps):
            y = step.adjoint(y)
        return y

    def transpose(self) -> LinearOperator:
        transposed = [step.transpose() for step in reversed(self.steps)]
        op = transposed[0]
        for step in transposed[1:]:
            op = step @ op
        return op

    def push_gram(self, gram: np.ndarray) -> np.ndarray:
        for step in self.steps:
            gram = step.push_gram(gram)
        return gram

    def __repr__(self) -> str:
        return " @ ".join(repr(step) for step in reversed(self.steps))


def compose(outer: LinearOperator, inner: LinearOperator) -> LinearOperator:
    """``outer @ inner``: apply ``inner`` then ``outer``, merging neighbouring Fourier multipliers.

    Examples
    --------
    >>> H = Convolution(np.full((3, 3), 1 / 9), (8, 8))
    >>> type(H.T @ H).__name__
    'FourierMultiplier'
    >>> Decimation(2, (8, 8)) @ H
    Decimation(factor=2, shape=(8, 8)) @ Convolution(psf=3x3, shape=(8, 8))
    """
    if tuple(inner.out_shape) != tuple(outer.in_shape):
        raise RestoreError(
            f"cannot compose: {inner!r} gives {inner.out_shape} but {outer!r} takes {outer.in_shape}",
            "build both operators for matching image sizes",
        )
    steps: list[LinearOperator] = []
    for op in (inner, outer):
        for step in op.steps if isinstance(op, Composite) else (op,):
            if steps and isinstance(step, FourierMultiplier) and isinstance(steps[-1], FourierMultiplier):
                steps[-1] = FourierMultiplier.product(steps[-1], step)
            else:
                steps.append(step)
    return steps[0] if len(steps) == 1 else Composite(steps)
