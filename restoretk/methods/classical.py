"""Classical restorers: exact and regularised inverses of ``A = S H``, and Richardson–Lucy.

All Fourier restorers share :func:`fourier_restore`: extend the image past its frame
(:mod:`restoretk.boundary`), build ``A`` on the extended grid, apply a closed-form
inverse from :mod:`restoretk.operators`, crop.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Annotated

import numpy as np

from restoretk.boundary import extend, is_periodic
from restoretk.errors import RestoreError
from restoretk.methods.registry import Degradation, Range, register_method
from restoretk.operators import Convolution, Decimation, FourierMultiplier, LinearOperator
from restoretk.operators.spatial import convolve_valid, convolve_valid_adjoint, gradient_energy
from restoretk.operators.transfer import finite_difference_power, spectral_mean
from restoretk.progress import steps

__all__ = [
    "degradation_operator",
    "fourier_restore",
    "natural_image_prior",
    "solver_extension",
    "SolverExtension",
    "QUANTISATION_NOISE",
]

#: Noise of rounding to 8 bits (1/255/√12): no saved image is cleaner than this.
QUANTISATION_NOISE = 1.0 / 255 / np.sqrt(12)

#: Low-frequency floor of the natural-image power spectrum ``1 / (|∇|² + δ)``.
PRIOR_FLOOR = 1e-3

#: Bounds of the options: regularisation weights are positive; Richardson–Lucy stops at
#: 10 000 iterations (its estimate stops changing long before).
POSITIVE = Range(0, low_open=True)
MAX_ITERATIONS = 10_000

#: Smallest signal scale ``c`` (a tenth of a typical photo's): a flat image whose
#: gradients drown in noise must still keep its mean and its large shapes.
MIN_SIGNAL_SCALE = 1e-3


def degradation_operator(degradation: Degradation, shape: tuple[int, int]) -> LinearOperator:
    """``A = S H`` on high-resolution images of ``shape``: blur, then keep every s-th pixel.

    Operators are cached by PSF, scale and shape, so restoring many images of one
    size with one PSF transforms the PSF once.

    Examples
    --------
    >>> degradation_operator(Degradation(np.full((3, 3), 1 / 9), scale=2), (8, 8))
    Decimation(factor=2, shape=(8, 8)) @ Convolution(psf=3x3, shape=(8, 8))
    """
    psf, scale, shape = degradation.psf, degradation.scale, tuple(shape)
    key = (None if psf is None else (psf.tobytes(), psf.shape), scale, shape)
    if key not in _OPERATORS:
        ops: list[LinearOperator] = []
        if psf is not None:
            ops.append(Convolution(psf, shape))
        if scale > 1:
            ops.append(Decimation(scale, shape))
        if not ops:
            raise RestoreError("nothing to undo: no PSF and scale 1", "give a PSF (e.g. --psf gauss:2) or a scale")
        op = ops[0]
        for step in ops[1:]:
            op = step @ op
        while len(_OPERATORS) >= 16:
            _OPERATORS.pop(next(iter(_OPERATORS)))
        _OPERATORS[key] = op
    return _OPERATORS[key]


_OPERATORS: dict[tuple, LinearOperator] = {}


@functools.lru_cache(maxsize=16)
def natural_image_prior(shape: tuple[int, int]) -> FourierMultiplier:
    """Power spectrum of natural images, ``1 / (|∇|² + δ)`` (∝ 1/|f|² above a floor), as an operator."""
    return FourierMultiplier(1.0 / (finite_difference_power(shape) + PRIOR_FLOOR), shape)


def signal_power_scale(observed: np.ndarray, op: LinearOperator, prior: FourierMultiplier, noise: float) -> float:
    """Scale ``c`` of the signal spectrum ``c · prior`` that explains ``observed`` (all channels).

    Matches the gradient energy per pixel of the observation, ``mean |∇y|²``, with its
    expectation ``c · mean(|∇|² A P Aᵀ) + σ² mean |∇|²`` (Parseval; the second mean is
    4), so the Wiener regularisation adapts to each image's contrast.
    """
    cache = op.__dict__.setdefault("_operator_cache", {})
    key = ("gradient energy", id(prior))
    if key not in cache:
        weighted = finite_difference_power(op.out_shape) * op.push_gram(prior.half.real)
        cache[key] = (prior, spectral_mean(weighted, op.out_shape))  # holding prior keeps its id unique
    expected = cache[key][1]
    measured = gradient_energy(observed) - 4 * noise**2
    return float(max(measured / expected, MIN_SIGNAL_SCALE))


@dataclass(frozen=True)
class SolverExtension:
    """How a Fourier solve extends an observation past its frame (:func:`restoretk.boundary.extend`).

    Attributes
    ----------
    margin : int
        Smallest extension on each side, in observed pixels.
    fade : bool
        Whether the extension fades to its mean towards the wrap-around seam.
    """

    margin: int
    fade: bool


def solver_extension(degradation: Degradation) -> SolverExtension:
    """How far past the frame the Fourier solve extends the observation, and whether it fades.

    The extension's wrap-around seam must lie beyond the reach of the restoring filter.
    For a smooth, centred PSF (a Gaussian: point-symmetric, and its effective size,
    where it exceeds 1e-3 of its peak, spans more than :data:`SMOOTH_SPAN` standard
    deviations) the regularised inverse is short and the PSF's effective size is enough
    (BSDS500 val, gauss:1–3: no gain from a wider margin or from fading).

    A hard-edged PSF (box, disk, motion, shake) has spectral zeros, so its inverse rings
    far, and the mirror extension is not consistent with an off-centre one (shake; the
    bicubic kernels of even scales). There the margin is twice the size plus 2, and a
    deblurring extension fades towards its seam. BSDS500 val, 20 images, noise 0.01,
    Wiener, against the size plus 2 without fading: motion:21,0 22.25 → 25.19 dB,
    camera shake (shake:1) 25.58 → 26.32 dB. Upscaling keeps the plain mirror: fading
    changed no PSNR there by 0.001 dB (sr4-bicubic and sr2-bicubic, BSD100). Decimation's
    inverse interpolates, which reaches 2 observed pixels further.
    """
    if degradation.psf is None:
        return SolverExtension(4, fade=False)
    psf = np.ascontiguousarray(degradation.psf, dtype=np.float64)
    return _psf_extension(psf.tobytes(), psf.shape, degradation.scale)


#: Effective size, in standard deviations, above which a PSF counts as smooth (Gaussians
#: span about 7; boxes, disks, motion lines and shake paths 3.5–5).
SMOOTH_SPAN = 6.0


@functools.lru_cache(maxsize=64)
def _psf_extension(data: bytes, shape: tuple[int, int], scale: int) -> SolverExtension:
    """:func:`solver_extension` of a PSF given by its float64 bytes (cached: called per image)."""
    psf = np.frombuffer(data).reshape(shape)
    strong = psf >= 1e-3 * psf.max()
    size = max(np.ptp(np.flatnonzero(strong.any(axis=axis))) + 1 for axis in (0, 1))
    centred = psf.shape[0] % 2 and psf.shape[1] % 2 and np.allclose(psf, psf[::-1, ::-1], atol=1e-3 * psf.max())
    short = bool(centred and size >= SMOOTH_SPAN * _psf_spread(psf))
    reach = size if short else 2 * size
    margin = int(max(reach // scale + (0 if short and scale == 1 else 2), 4))
    return SolverExtension(margin, fade=not short and scale == 1)


def _psf_spread(psf: np.ndarray) -> float:
    """The larger standard deviation of the PSF's two marginals, in pixels.

    Examples
    --------
    >>> round(_psf_spread(np.outer([1, 2, 1], [0, 1, 0]) / 4.0), 3)
    0.707
    """
    weights = np.abs(psf) / np.abs(psf).sum()
    spreads = []
    for axis in (1, 0):
        marginal = weights.sum(axis=axis)
        position = np.arange(marginal.size)
        mean = marginal @ position
        spreads.append(float(np.sqrt(marginal @ (position - mean) ** 2)))
    return max(spreads)


def fourier_restore(
    image: np.ndarray,
    degradation: Degradation,
    *,
    boundary: str = "auto",
    eps: float | str = 0.0,
    prior: str | None = None,
    rtol: float = 1e-3,
    strength: float = 1.0,
) -> np.ndarray:
    """Closed-form restoration ``x̂ = P Aᵀ (A P Aᵀ + ε)⁻¹ y`` on an extended grid.

    Parameters
    ----------
    image : numpy.ndarray
        ``(C, rows, cols)`` observation.
    degradation : Degradation
        The forward model.
    boundary : {'auto', 'reflect', 'circular'}
        Border handling, see :mod:`restoretk.boundary`.
    eps : float or 'wiener'
        Regularisation; ``'wiener'`` derives it from the noise level and the image's
        contrast (``strength · σ² / c``, see :func:`signal_power_scale`) and needs a prior.
    prior : {None, 'natural', 'gradient'}
        ``P``: identity, the natural-image spectrum, or ``1/|∇|²`` (Tikhonov on the gradient).
    rtol : float
        Relative singular-value cut-off of the exact pseudo-inverse (``eps = 0``).
    strength : float
        Multiplies the derived regularisation.
    """
    scale = degradation.scale
    plan = solver_extension(degradation)
    ext = extend(image, plan.margin, boundary, fade=plan.fade)
    rows, cols = ext.padded.shape[-2:]
    op = degradation_operator(degradation, (rows * scale, cols * scale))
    weight = {None: None, "natural": natural_image_prior, "gradient": _inverse_gradient_power}[prior]
    weight = weight and weight(op.in_shape)
    if eps == "wiener":
        noise = max(degradation.noise, QUANTISATION_NOISE)
        eps = strength * noise**2 / signal_power_scale(image, op, weight, noise)
    restored = op.pinv(ext.padded, eps, prior=weight, rtol=rtol)
    return ext.crop(restored, scale)


@functools.lru_cache(maxsize=16)
def _inverse_gradient_power(shape: tuple[int, int]) -> FourierMultiplier:
    """``1 / (|∇|² + 10⁻⁴)``: the prior under which the inverse is Tikhonov on the gradient.

    The tiny floor bounds the prior's dynamic range: with ``1/|∇|²`` alone the mean would
    pass through ``(A P Aᵀ + ε)⁻¹`` scaled by ~10⁻¹², below float32 resolution.
    """
    return FourierMultiplier(1.0 / (finite_difference_power(shape) + 1e-4), shape)


@register_method(
    "wiener",
    tasks={"deblur", "upscale"},
    summary="Wiener filter with a natural-image (1/f²) prior; ε from the noise level (default)",
)
def wiener(
    image: np.ndarray, degradation: Degradation, *, boundary: str = "auto", strength: Annotated[float, POSITIVE] = 3.0
) -> np.ndarray:
    """Linear MMSE estimate under a natural-image power spectrum, regularisation from the noise.

    ``strength`` scales the regularisation (1 = the textbook MMSE weight; 3 was best on
    BSDS500 val because the 1/f² model under-rates edges' spread in frequency).
    """
    return fourier_restore(image, degradation, boundary=boundary, eps="wiener", prior="natural", strength=strength)


@register_method("pinv", tasks={"deblur", "upscale"}, summary="exact Moore–Penrose pseudo-inverse A⁺ (no regularisation)")
def pinv(
    image: np.ndarray, degradation: Degradation, *, boundary: str = "auto", rtol: Annotated[float, Range(0, 1, low_open=True)] = 1e-3
) -> np.ndarray:
    """``A⁺ y``: singular values below ``rtol`` × the largest are treated as the null space."""
    return fourier_restore(image, degradation, boundary=boundary, eps=0.0, rtol=rtol)


@register_method(
    "tikhonov", tasks={"deblur", "upscale"}, summary="Tikhonov with a gradient (Laplacian) regulariser, λ from the noise"
)
def tikhonov(
    image: np.ndarray, degradation: Degradation, *, boundary: str = "auto", lam: Annotated[float, POSITIVE] | None = None
) -> np.ndarray:
    """``argmin ||A x − y||² + λ ||∇x||²``; ``lam`` defaults to ``200 σ²`` (at least 1e-4)."""
    if lam is None:
        lam = max(200 * max(degradation.noise, QUANTISATION_NOISE) ** 2, 1e-4)
    return fourier_restore(image, degradation, boundary=boundary, eps=lam, prior="gradient")


@register_method("richardson-lucy", tasks={"deblur"}, summary="Richardson–Lucy (Poisson ML), border-aware")
def richardson_lucy(
    image: np.ndarray, degradation: Degradation, *, boundary: str = "auto", iterations: Annotated[int, Range(1, MAX_ITERATIONS)] = 20
) -> np.ndarray:
    """Richardson–Lucy iterations ``x ← x / Hᵀ1 · Hᵀ(y / H x)``.

    Away from circular borders it runs the *valid* model (Bertero & Boccacci 2005):
    the estimate covers the frame plus half a PSF on every side, so borders need no
    guess. Non-positive data are clipped to a small floor first (RL assumes counts).
    """
    if degradation.psf is None or degradation.scale != 1:
        raise RestoreError("richardson-lucy only deblurs", "use --method wiener for upscaling")
    if iterations < 1:
        raise RestoreError(f"iterations={iterations} must be at least 1", "use e.g. --option iterations=20")
    psf = degradation.psf.astype(image.dtype)
    observed = np.maximum(image, 1e-4)
    if boundary == "circular" or (boundary == "auto" and is_periodic(image)):
        op = Convolution(psf, image.shape[-2:])
        forward, adjoint = op.forward, op.adjoint
    else:
        forward = lambda x: convolve_valid(x, psf)  # noqa: E731
        adjoint = lambda y: convolve_valid_adjoint(y, psf)  # noqa: E731
    norm = adjoint(np.ones_like(observed))
    # pixels outside the frame that only the PSF's faint tail reaches are left alone
    seen = norm > 1e-3 * norm.max()
    norm = np.where(seen, norm, 1.0)
    estimate = np.where(seen, adjoint(observed) / norm, observed.mean())  # a smooth start of the right size
    for _ in steps(range(iterations), iterations, "richardson-lucy", "it"):
        ratio = adjoint(observed / np.maximum(forward(estimate), 1e-6)) / norm
        estimate = np.where(seen, estimate * ratio, estimate)
    if estimate.shape != image.shape:  # valid model: crop the frame out of the extended estimate
        top, left = psf.shape[0] - 1 - psf.shape[0] // 2, psf.shape[1] - 1 - psf.shape[1] // 2
        estimate = estimate[..., top : top + image.shape[-2], left : left + image.shape[-1]]
    return estimate
