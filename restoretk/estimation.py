"""Blind PSF estimation: the parametric blur that best explains an image's power spectrum.

A blurred photograph ``y = h * x + n`` has, on average over its patches, the power
spectrum ``S(ω) = |H(ω)|² · c ρ(ω)^-α + σ²``: natural images fall off as a power of
the frequency (``ρ² = 4 sin²(ω_r/2) + 4 sin²(ω_c/2)``, the gradient's transfer; ``α``
near 2), the blur multiplies that by its transfer function, and white noise adds a
floor. The estimator measures ``S`` by Welch's method (Hann-windowed, half-overlapping
tiles, every channel) and fits the PSF parameters together with ``c`` and ``α`` by
maximum likelihood (Whittle's approximation: ``Σ log S + Ŝ/S``), with ``σ`` measured
separately (:func:`restoretk.noise.estimate_noise`) or given.

The model's ``H`` is the transfer function of the very kernel that
:func:`restoretk.psf.parse` renders for the candidate spec, so pixel integration and
support are exact. Each family is one :func:`register_estimator` entry: how a
parameter vector becomes a spec, its bounds, and a coarse grid of starting points.

Only the magnitude of ``H`` is seen: a Gaussian is identified fully, a linear motion
up to its direction's sign (which a symmetric kernel does not have anyway). A general
camera-shake kernel is not parametric: the family ``shake`` is a :class:`KernelEstimator`,
which estimates the kernel itself from the image (:mod:`restoretk.blind`).

``auto`` chooses among the families by the same criterion: each candidate's estimate
is scored by the Whittle likelihood of the measured spectrum under its kernel (prior
and floor profiled out), and a free-form kernel, whose many values fit any spectrum
a little better, must beat the best parametric one by ``FREE_FORM_MARGIN`` per bin.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
from scipy import optimize

from restoretk import psf as psf_module
from restoretk.errors import InputError, RestoreError, UnknownNameError
from restoretk.registry import Registry

__all__ = [
    "AUTO",
    "AUTO_CANDIDATES",
    "BlurEstimator",
    "Candidate",
    "ESTIMATORS",
    "KernelEstimator",
    "auto_family",
    "estimate_psf",
    "rank_families",
    "register_estimator",
    "welch_spectrum",
]

#: The PSF spec that asks for estimation: ``auto`` (the family chosen from the image) or
#: ``auto:FAMILY[@SIZE]``; also the family name that asks :func:`estimate_psf` to choose.
AUTO = "auto"

#: The families ``auto`` chooses among (anisotropic Gaussians include the isotropic ones).
AUTO_CANDIDATES = ("gauss-aniso", "motion", "shake")

#: How much lower (mean Whittle negative log-likelihood per bin) a free-form kernel's
#: score must be than the best parametric one's for ``auto`` to choose it. On BSDS500 val
#: photos (noise 0.01) the free-form estimate of a Gaussian blur scored between 0.07 lower
#: and 0.02 higher than the Gaussian fit, that of a camera shake 0.3 lower, of a straight
#: motion 0.19 lower.
FREE_FORM_MARGIN = 0.1

#: Side of the Welch tiles (frequency resolution 1/TILE cycles per pixel).
TILE = 128

#: Frequencies closer to zero than this many bins are left out of the fit (window leakage).
LOW_CUT = 2

#: The fit uses frequencies with ``ρ² < MAX_RHO2`` (about a quarter cycle per pixel):
#: above, JPEG's quantisation replaces noise and detail by its own residue.
MAX_RHO2 = 2.0

#: Fisher-scoring iterations of the image-prior fit (it converges in about ten).
PROFILE_ITERATIONS = 50

#: JPEG's block size: the spectrum's lines at multiples of 1/8 cycle per pixel are left out.
JPEG_BLOCK = 8

#: Exponent α of the natural-image spectrum: its start and bounds.
ALPHA_START, ALPHA_BOUNDS = 2.0, (1.0, 3.5)


@dataclass(frozen=True)
class BlurEstimator:
    """A parametric PSF family that :func:`estimate_psf` can fit.

    Attributes
    ----------
    name : str
        The ``family`` argument that selects it.
    spec : callable
        ``spec(params) -> str``: the PSF spec of a parameter vector.
    bounds : sequence of (float, float)
        Bounds of each parameter.
    starts : sequence of tuple of float
        Coarse grid of parameter vectors; the best few are refined.
    periodic : sequence of bool
        Whether each parameter is an angle in degrees (wrapped modulo 180).
    """

    name: str
    spec: Callable[[Sequence[float]], str]
    bounds: Sequence[tuple[float, float]]
    starts: Sequence[tuple[float, ...]]
    periodic: Sequence[bool]


@dataclass(frozen=True)
class KernelEstimator:
    """A free-form PSF family: the kernel itself is estimated, not a few parameters.

    Attributes
    ----------
    name : str
        The ``family`` argument that selects it.
    estimate : callable
        ``estimate(image, size, *, progress) -> kernel``: ``size`` is the odd support
        asked for (``FAMILY@SIZE``) or None to choose it from the image.
    """

    name: str
    estimate: Callable[..., np.ndarray]


#: The estimators by family name (entry-point group ``restoretk.estimators``); the
#: free-form ``shake`` comes from :mod:`restoretk.blind`, loaded on first lookup.
ESTIMATORS: Registry[BlurEstimator | KernelEstimator] = Registry("PSF estimator", group="restoretk.estimators")


def register_estimator(estimator: BlurEstimator | KernelEstimator) -> BlurEstimator | KernelEstimator:
    """Make ``estimator`` available as ``estimate_psf(..., family=estimator.name)``.

    Examples
    --------
    >>> register_estimator(ESTIMATORS["gauss"])
    Traceback (most recent call last):
    ...
    restoretk.errors.DuplicateNameError: PSF estimator 'gauss' is already registered; choose another name
    """
    return ESTIMATORS.register(estimator.name, estimator)


def welch_spectrum(image: np.ndarray, tile: int = TILE) -> tuple[np.ndarray, int]:
    """Mean power spectrum of Hann-windowed, half-overlapping ``tile``² tiles of every channel.

    Parameters
    ----------
    image : numpy.ndarray
        H×W or H×W×C image; both sides at least ``tile``.
    tile : int
        Tile side.

    Returns
    -------
    spectrum : numpy.ndarray
        ``(tile, tile // 2 + 1)`` half spectrum, scaled so that white noise of variance
        σ² has expectation σ² in every bin.
    count : int
        Number of periodograms averaged (channels × tiles).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> spectrum, count = welch_spectrum(0.1 * rng.standard_normal((256, 256)), 64)
    >>> spectrum.shape, count, round(float(spectrum[2:, 2:].mean()), 3)
    ((64, 33), 49, 0.01)
    """
    planes = np.asarray(image, dtype=np.float64)
    planes = planes[None] if planes.ndim == 2 else np.moveaxis(planes, -1, 0)
    rows, cols = planes.shape[-2:]
    if rows < tile or cols < tile:
        raise InputError(
            f"image of {rows}x{cols} pixels is too small to estimate its blur",
            f"use an image of at least {tile}x{tile} pixels, or give the PSF itself (e.g. psf='gauss:2')",
        )
    window = np.outer(np.hanning(tile), np.hanning(tile))
    step = tile // 2
    starts_r = _tile_starts(rows, tile, step)
    starts_c = _tile_starts(cols, tile, step)
    corners = [(r, c) for r in starts_r for c in starts_c]
    total = np.zeros((tile, tile // 2 + 1))
    for first in range(0, len(corners), WELCH_BATCH):  # in batches: a 12 MP photo has ~1500 tiles
        tiles = np.stack(
            [planes[:, r : r + tile, c : c + tile] for r, c in corners[first : first + WELCH_BATCH]], axis=1
        ).reshape(-1, tile, tile)
        tiles = tiles - tiles.mean(axis=(1, 2), keepdims=True)
        total += (np.abs(np.fft.rfft2(tiles * window)) ** 2).sum(axis=0)
    count = len(corners) * len(planes)
    return total / count / float((window**2).sum()), count


#: Tile positions whose periodograms are computed at once (bounded memory: ~100 MB at tile 128).
WELCH_BATCH = 64


def _tile_starts(length: int, tile: int, step: int) -> list[int]:
    """Tile offsets covering ``length`` from both ends with about ``step`` between them."""
    count = max(1, round((length - tile) / step) + 1)
    return [round(i * (length - tile) / max(count - 1, 1)) for i in range(count)]


class _SpectrumFit:
    """Whittle negative log-likelihood of a PSF spec, with the image prior profiled out.

    With ``noise`` None the noise floor is a free parameter too: what JPEG leaves of
    the noise is neither white nor what a wavelet estimator measures, but the floor
    that fits the spectrum's top frequencies.
    """

    def __init__(self, spectrum: np.ndarray, noise: float | None, tile: int) -> None:
        wr = 2 * np.pi * np.fft.fftfreq(tile)[:, None]
        wc = 2 * np.pi * np.fft.rfftfreq(tile)[None, :]
        rho2 = 4 * np.sin(wr / 2) ** 2 + 4 * np.sin(wc / 2) ** 2
        bins_r = np.minimum(np.arange(tile), tile - np.arange(tile))[:, None]
        bins_c = np.arange(tile // 2 + 1)[None, :]
        keep = (np.maximum(bins_r, bins_c) >= LOW_CUT) & (rho2 < MAX_RHO2)
        keep &= ~_block_harmonics(bins_r, tile) & ~_block_harmonics(bins_c, tile)
        # Half-spectrum columns 1..tile/2-1 stand for two bins of the full spectrum.
        weight = np.broadcast_to(np.where((bins_c == 0) | (bins_c == tile // 2), 1.0, 2.0), keep.shape)[keep]
        self.tile = tile
        self.keep = keep
        self.measured = spectrum[keep]
        self.log_rho2 = np.log(rho2[keep])
        self.weight = weight / weight.sum()
        top = self.log_rho2 >= np.quantile(self.log_rho2, 0.9)
        self.log_noise = 2 * math.log(max(noise, 1e-4)) if noise is not None else None
        self.log_noise_start = float(np.log(np.median(self.measured[top])))
        self._transfers: dict[str, np.ndarray] = {}

    def transfer_power(self, spec: str) -> np.ndarray:
        """``|H|²`` of the kernel ``spec`` renders, on the kept bins (cached by spec)."""
        if spec not in self._transfers:
            self._transfers[spec] = self.kernel_power(psf_module.parse(spec))
        return self._transfers[spec]

    def kernel_power(self, kernel: np.ndarray) -> np.ndarray:
        """``|H|²`` of ``kernel`` on the kept bins."""
        if max(kernel.shape) > self.tile:
            kernel = _centre_crop(kernel, self.tile)
        return (np.abs(np.fft.rfft2(kernel, (self.tile, self.tile))) ** 2)[self.keep]

    def _model(self, transfer: np.ndarray, params: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The modelled spectrum and its log-derivatives by ``(log c, α[, log σ²])``."""
        signal = np.exp(params[0] - 0.5 * params[1] * self.log_rho2) * transfer
        floor = math.exp(params[2] if self.log_noise is None else self.log_noise)
        model = signal + floor
        share = signal / model
        jacobian = [share, -0.5 * self.log_rho2 * share]
        if self.log_noise is None:
            jacobian.append(1 - share)
        return model, np.array(jacobian)

    def _nll(self, model: np.ndarray) -> float:
        return float(np.dot(self.weight, np.log(model) + self.measured / model))

    def profile(self, transfer: np.ndarray) -> float:
        """Mean Whittle negative log-likelihood per bin of ``transfer``, prior (and floor) fitted.

        Fisher scoring over ``(log c, α[, log σ²])``, with step halving and the bounds
        enforced by clipping: a few iterations of a 2- or 3-parameter problem.
        """
        log_noise = self.log_noise_start if self.log_noise is None else self.log_noise
        signal = np.maximum(self.measured - math.exp(log_noise), 1e-12) / np.maximum(transfer, 1e-12)
        useful = transfer > 0.1
        if not useful.any():
            useful = transfer >= transfer.max()
        log_c = float(np.median(np.log(signal[useful]) + ALPHA_START * 0.5 * self.log_rho2[useful]))
        params = np.array([log_c, ALPHA_START] + ([log_noise] if self.log_noise is None else []))
        lows = np.array([-40.0, ALPHA_BOUNDS[0], 2 * math.log(1e-4)])[: len(params)]
        highs = np.array([10.0, ALPHA_BOUNDS[1], 0.0])[: len(params)]
        model, jacobian = self._model(transfer, params)
        value = self._nll(model)
        for _ in range(PROFILE_ITERATIONS):
            gradient = jacobian @ (self.weight * (1 - self.measured / model))
            fisher = (jacobian * self.weight) @ jacobian.T
            step = np.linalg.solve(fisher + 1e-9 * np.eye(len(params)), gradient)
            for _ in range(20):
                trial = np.clip(params - step, lows, highs)
                trial_model, trial_jacobian = self._model(transfer, trial)
                trial_value = self._nll(trial_model)
                if trial_value <= value:
                    break
                step = step / 2
            else:
                break
            converged = value - trial_value < 1e-10
            params, model, jacobian, value = trial, trial_model, trial_jacobian, trial_value
            if converged:
                break
        return value


def _block_harmonics(bins: np.ndarray, tile: int) -> np.ndarray:
    """Bins on or next to the harmonics of an 8-pixel grid, where JPEG blocking puts its energy."""
    period = tile // JPEG_BLOCK
    offset = np.mod(bins, period)
    return (bins >= period - 1) & ((offset <= 1) | (offset >= period - 1))


def _centre_crop(kernel: np.ndarray, side: int) -> np.ndarray:
    r0 = max(kernel.shape[0] // 2 - side // 2, 0)
    c0 = max(kernel.shape[1] // 2 - side // 2, 0)
    cropped = kernel[r0 : r0 + side, c0 : c0 + side]
    return cropped / cropped.sum()


def auto_family(psf: object) -> str | None:
    """The family that ``psf`` asks to estimate: ``auto``, ``auto:FAMILY`` or ``auto:FAMILY@SIZE``; None for a real PSF.

    ``auto`` alone gives :data:`AUTO`: :func:`estimate_psf` then chooses the family.

    Examples
    --------
    >>> auto_family("auto"), auto_family("auto:motion"), auto_family("auto:shake@25"), auto_family("gauss:2")
    ('auto', 'motion', 'shake@25', None)
    >>> auto_family("auto:blob")
    Traceback (most recent call last):
    ...
    restoretk.errors.UnknownNameError: cannot estimate a PSF of family 'blob'; use one of: auto, gauss, gauss-aniso, motion, shake
    """
    if not isinstance(psf, str):
        return None
    name, colon, family = psf.strip().partition(":")
    if name.lower() != AUTO:
        return None
    family = family.strip().lower() if colon else AUTO
    _split_family(family)
    return family


def _split_family(family: str) -> tuple[str, int | None]:
    """``FAMILY[@SIZE]`` as the family's name and the support asked for (None: not given)."""
    name, at, size = family.strip().lower().partition("@")
    if name != AUTO:
        _estimator(name)
    if not at:
        return name, None
    if name == AUTO or isinstance(ESTIMATORS[name], BlurEstimator):
        free = ", ".join(n for n, e in ESTIMATORS.items() if isinstance(e, KernelEstimator))
        raise RestoreError(f"family {name!r} takes no support size (@{size})", f"give @SIZE to a free-form family: {free}")
    if not size.strip().isdigit():
        raise RestoreError(f"support {size!r} in {family!r} is not a number", f"use e.g. {name}@25")
    return name, int(size)


def _estimator(family: str) -> BlurEstimator | KernelEstimator:
    if family not in ESTIMATORS:
        names = ", ".join([AUTO, *ESTIMATORS])
        raise UnknownNameError(f"cannot estimate a PSF of family {family!r}", f"use one of: {names}")
    return ESTIMATORS[family]


def estimate_psf(
    image: np.ndarray,
    family: str = "gauss",
    noise: float | None = None,
    *,
    progress: bool = False,
) -> tuple[str, np.ndarray]:
    """Estimate the blur of ``image``: within a parametric family, free-form, or the family that fits best.

    Parameters
    ----------
    image : numpy.ndarray
        H×W or H×W×C blurred image in [0, 1], at least 128 pixels on each side.
    family : str
        ``gauss`` (isotropic Gaussian), ``gauss-aniso`` (σ along and across an angle;
        also finds isotropic blurs), ``motion`` (straight motion: length and angle),
        ``shake`` (a free-form kernel, e.g. a camera shake; ``shake@SIZE`` gives its
        odd support, :func:`restoretk.blind.estimate_kernel`), or ``auto``: the one of
        :data:`AUTO_CANDIDATES` whose estimate explains the spectrum best
        (:func:`rank_families`); see :data:`ESTIMATORS`.
    noise : float, optional
        Noise standard deviation per channel. When None, the fit finds the noise floor
        of the spectrum itself (what JPEG leaves of the noise is not white).
    progress : bool
        Show a progress bar on stderr while a free-form kernel is estimated.

    Returns
    -------
    spec : str
        The estimate as a PSF spec, e.g. ``'gauss:1.84'``, to pass to
        :func:`restoretk.deblur` or ``restoretk deblur --psf``; for a free-form kernel a
        label, ``'shake 23x23 (free-form)'``: use the kernel (``--save-psf`` saves it).
    kernel : numpy.ndarray
        The kernel (for a spec, what :func:`restoretk.psf.parse` renders).

    Examples
    --------
    >>> from skimage.data import astronaut
    >>> from restoretk import degrade
    >>> blurred = degrade(astronaut() / 255.0, "gauss:2", noise=0.01)
    >>> spec, kernel = estimate_psf(blurred, noise=0.01)
    >>> abs(float(spec.split(":")[1]) - 2.0) < 0.25
    True
    """
    name, size = _split_family(family)
    image = _as_float(image)
    if name == AUTO:
        best = rank_families(image, noise, progress=progress)[0]
        return best.spec, best.kernel
    estimator = _estimator(name)
    if isinstance(estimator, KernelEstimator):
        kernel = estimator.estimate(image, size, progress=progress)
        return _free_form_label(name, kernel), kernel
    fit = _SpectrumFit(welch_spectrum(image)[0], noise, TILE)
    spec = estimator.spec(_fit_family(fit, estimator))
    return spec, psf_module.parse(spec)


@dataclass(frozen=True)
class Candidate:
    """One family's estimate and its score under ``auto``'s criterion (lower is better)."""

    family: str
    spec: str
    kernel: np.ndarray
    score: float


def rank_families(
    image: np.ndarray, noise: float | None = None, *, candidates: Sequence[str] = AUTO_CANDIDATES, progress: bool = False
) -> list[Candidate]:
    """Every candidate family's estimate of ``image``'s blur, best first: what ``auto`` chooses from.

    The criterion is the mean Whittle negative log-likelihood per bin of the image's
    Welch spectrum under each estimate (image prior and noise floor profiled out, as in
    the parametric fits); a free-form estimate's score is raised by
    :data:`FREE_FORM_MARGIN`, so that it is chosen only when no parametric family
    explains the spectrum nearly as well.

    Examples
    --------
    >>> from skimage.data import astronaut
    >>> from restoretk import degrade
    >>> blurred = degrade(astronaut() / 255.0, "gauss:2", noise=0.01)
    >>> [c.family for c in rank_families(blurred, 0.01, candidates=("gauss", "motion"))]
    ['gauss', 'motion']
    """
    image = _as_float(image)
    fit = _SpectrumFit(welch_spectrum(image)[0], noise, TILE)
    ranked = []
    for family in candidates:
        spec, kernel = estimate_psf(image, family, noise, progress=progress)
        score = fit.profile(fit.kernel_power(kernel))
        if isinstance(_estimator(family), KernelEstimator):
            score += FREE_FORM_MARGIN
        ranked.append(Candidate(family, spec, kernel, score))
    return sorted(ranked, key=lambda c: c.score)


def _as_float(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    image = image / np.iinfo(image.dtype).max if np.issubdtype(image.dtype, np.integer) else image.astype(np.float64)
    if image.ndim not in (2, 3):
        raise InputError(f"expected an H×W or H×W×C image, got shape {image.shape}", "pass a 2-D or 3-D array")
    return image


def _free_form_label(family: str, kernel: np.ndarray) -> str:
    return f"{family} {kernel.shape[0]}x{kernel.shape[1]} (free-form)"


def _fit_family(fit: _SpectrumFit, estimator: BlurEstimator) -> np.ndarray:
    """Parameters of ``estimator``'s family minimising the profiled likelihood."""
    lows = np.array([b[0] for b in estimator.bounds])
    highs = np.array([b[1] for b in estimator.bounds])
    periodic = np.array(estimator.periodic)

    def objective(params: np.ndarray) -> float:
        params = np.where(periodic, np.mod(params, 180.0), np.clip(params, lows, highs))
        return fit.profile(fit.transfer_power(estimator.spec(params)))

    coarse = sorted((objective(np.array(start)), start) for start in estimator.starts)
    best_value, best = math.inf, np.array(coarse[0][1])
    for _, start in coarse[:3]:
        result = optimize.minimize(
            objective,
            np.array(start, dtype=float),
            method="Nelder-Mead",
            options={"xatol": 0.01, "fatol": 1e-7, "initial_simplex": _simplex(start, estimator)},
        )
        if result.fun < best_value:
            best_value, best = result.fun, result.x
    return np.where(periodic, np.mod(best, 180.0), np.clip(best, lows, highs))


def _simplex(start: Sequence[float], estimator: BlurEstimator) -> np.ndarray:
    """A starting simplex a tenth of each parameter's range wide (10° for angles)."""
    start = np.asarray(start, dtype=float)
    steps = [10.0 if p else 0.1 * (hi - lo) for (lo, hi), p in zip(estimator.bounds, estimator.periodic)]
    return np.vstack([start] + [start + np.eye(len(start))[i] * steps[i] for i in range(len(start))])


def _round(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _anisotropic_spec(sx: float, sy: float, angle: float) -> str:
    """``gauss:SX,SY,ANGLE`` with SX the larger σ and ANGLE in [0, 180); ``gauss:S`` when round."""
    if sx < sy:
        sx, sy, angle = sy, sx, angle + 90
    if _round(sx) == _round(sy):
        return f"gauss:{_round(sx)}"
    return f"gauss:{_round(sx)},{_round(sy)},{round(angle) % 180}"


register_estimator(
    BlurEstimator(
        name="gauss",
        spec=lambda p: f"gauss:{_round(p[0])}",
        bounds=[(0.3, 6.0)],
        starts=[(s,) for s in np.arange(0.4, 6.0, 0.4)],
        periodic=[False],
    )
)
register_estimator(
    BlurEstimator(
        name="gauss-aniso",
        spec=lambda p: _anisotropic_spec(*p),
        bounds=[(0.3, 6.0), (0.3, 6.0), (0.0, 180.0)],
        starts=[
            (a, b, t)
            for a, b in itertools.combinations_with_replacement(np.arange(0.5, 5.0, 1.0), 2)
            for t in (0.0, 45.0, 90.0, 135.0)
        ],
        periodic=[False, False, True],
    )
)
register_estimator(
    BlurEstimator(
        name="motion",
        spec=lambda p: f"motion:{_round(p[0])},{_round(p[1] % 180)}",
        bounds=[(1.0, 61.0), (0.0, 180.0)],
        starts=[(n, t) for n in (3.0, 7.0, 13.0, 21.0, 31.0, 45.0) for t in np.arange(0.0, 180.0, 15.0)],
        periodic=[False, True],
    )
)

