"""Benchmark scenarios: named, versioned, deterministic degradations of a set of images.

A scenario turns one sharp image into a :class:`Case`: the degraded input every method
receives (the very same array), the ground truth it is scored against, and the
degradation (PSF, scale, noise level) that non-blind methods are told: the true one, a
mis-specified PSF (:class:`MisspecifiedPSFScenario`), or none, and the runner tells
them the PSF it estimates (a blind scenario, :attr:`Scenario.blind`). Noise and random
PSFs are seeded by the scenario's name and the image's name, so every method and every
run sees identical inputs.

An :class:`EstimationScenario` scores no restorer: its rows are the PSF and noise
estimators themselves, each against the truth it should find.

Adding a scenario is one :func:`register_scenario` call at the end of this module (or,
from another package, in a module of the entry-point group ``restoretk.scenarios``).
Bump its ``version`` whenever anything changes its inputs, its ground truth or how it
is scored: per-image results of an earlier version are then never reused.
"""

from __future__ import annotations

import functools
import time
import zlib
from dataclasses import dataclass, field, replace
from typing import Callable

import cv2
import numpy as np

from restoretk import api, estimation
from restoretk import psf as psf_module
from restoretk.degradation import Degradation, eight_bit_levels, observe
from restoretk.errors import RestoreError
from restoretk.registry import Registry
from restoretk.solvers.wiener import QUANTISATION_NOISE
from restoretk.metrics import MetricProtocol, score
from restoretk.noise import estimate_noise
from restoretk.psf_error import aligned_kernel_error, gaussian_sigmas, perturb_psf
from restoretk.resize import downscale_kernel

__all__ = [
    "Case",
    "Scenario",
    "DeblurScenario",
    "ShakeDeblurScenario",
    "MisspecifiedPSFScenario",
    "WrongSigmaScenario",
    "PerturbedPSFScenario",
    "BlindScenario",
    "RandomGaussScenario",
    "EstimationScenario",
    "Measurement",
    "BicubicSRScenario",
    "BlurDecimateSRScenario",
    "SCENARIOS",
    "register_scenario",
    "get_scenario",
    "TRUE_PSF_ROW",
    "ERROR_RATIO_ROW",
    "ERROR_RATIO_BOUND",
    "list_scenarios",
    "scenario_seed",
    "quantise_8bit",
]


@dataclass(frozen=True)
class Case:
    """One degraded image of a scenario, as every method receives it.

    Attributes
    ----------
    scenario, image : str
        Names of the scenario and of the sharp image.
    degraded : numpy.ndarray
        The input, ``H×W×3`` float32 (not clipped: noise may leave [0, 1]).
    truth : numpy.ndarray
        What a perfect restoration returns, float32 in [0, 1], of the output's shape.
    degradation : Degradation
        What methods are told: the PSF (float64 kernel; the true one unless the scenario
        mis-specifies it; None in a blind scenario), scale and noise standard deviation.
    psf_spec : str or None
        That PSF as a spec string; None where it has none: the blur of a bicubic
        downscale (:func:`restoretk.resize.downscale_kernel`, what
        :func:`restoretk.upscale` assumes without a PSF), a perturbed kernel, or no PSF.
    seed : int
        The seed of this scenario and image (noise, random PSF, stochastic methods).
    """

    scenario: str
    image: str
    degraded: np.ndarray
    truth: np.ndarray
    degradation: Degradation
    psf_spec: str | None
    seed: int


def scenario_seed(scenario: str, image: str) -> int:
    """The seed of one scenario on one image: CRC-32 of ``'SCENARIO/IMAGE'``.

    Stable across runs, processes and Python versions (unlike ``hash``).

    Examples
    --------
    >>> scenario_seed("deblur-gauss2", "3096")
    2292868014
    """
    return zlib.crc32(f"{scenario}/{image}".encode())


def quantise_8bit(image: np.ndarray) -> np.ndarray:
    """Clip to [0, 1] and round to the nearest of 256 levels, as saving a uint8 PNG does.

    Examples
    --------
    >>> quantise_8bit(np.array([-0.1, 0.5, 0.5 / 255, 1.2])) * 255
    array([  0., 128.,   1., 255.])
    """
    return eight_bit_levels(image) / 255.0


@dataclass(frozen=True)
class Scenario:
    """A named, versioned degradation and the protocol its results are measured by.

    Subclasses define :meth:`case` and :meth:`definition`.

    Attributes
    ----------
    name : str
        Short name, e.g. ``deblur-gauss2``.
    version : str
        Changes whenever inputs, ground truth or scoring change.
    task : {'deblur', 'upscale', 'denoise', 'estimate'}
        Which registered methods apply; ``estimate``: none, the scenario measures
        estimators (:class:`EstimationScenario`).
    images : tuple of str or None
        The only images (file stems) the scenario runs on, e.g. the CBSD68 part of BSD100;
        None: every image of the split.
    protocol : MetricProtocol
        How PSNR/SSIM are measured.
    quantise : bool
        Whether outputs are rounded to 8 bits before scoring (they are always clipped to [0, 1]).
    blind : str or None
        For a blind scenario, the PSF family (of :func:`restoretk.estimation.estimate_psf`)
        that the runner estimates once per image and tells every method; None: methods
        are told the case's PSF.
    """

    name: str
    version: str
    task: str = field(init=False, default="deblur")
    protocol: MetricProtocol = field(init=False, default=MetricProtocol())
    quantise: bool = field(init=False, default=False)
    blind: str | None = field(init=False, default=None)
    images: tuple[str, ...] | None = field(init=False, default=None)

    def case(self, image_name: str, image: np.ndarray) -> Case:
        """Degrade ``image`` (``H×W×3`` float32 in [0, 1]) the way this scenario does."""
        raise NotImplementedError

    def definition(self) -> str:
        """One line saying what the scenario does to an image."""
        raise NotImplementedError

    def scoring(self) -> str:
        """One line saying how results are scored: the protocol plus the treatment of outputs."""
        outputs = "outputs clipped to [0, 1] and rounded to 8 bits" if self.quantise else (
            "outputs clipped to [0, 1], not quantised"
        )
        return f"{self.protocol.describe()}; {outputs}"


def _check_formation(formation: str) -> None:
    if formation not in ("valid", "circular"):
        raise ValueError(f"formation {formation!r}: use 'valid' or 'circular'")


def _observe(image: np.ndarray, degradation: Degradation, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``H×W×3`` observation and truth of ``image``, noise drawn as :func:`restoretk.degrade` draws it."""
    observed, truth = observe(
        np.moveaxis(image, -1, 0).astype(np.float32), degradation, seed, noise_dtype=np.float64, whole_blocks=False
    )
    return np.moveaxis(observed, 0, -1), np.ascontiguousarray(np.moveaxis(truth, 0, -1))


@dataclass(frozen=True)
class DeblurScenario(Scenario):
    """Blur by a fixed PSF, add seeded white Gaussian noise.

    ``valid`` formation: the scene extends past the frame, the observation is the fully
    covered part and the ground truth the matching centre crop
    (:func:`restoretk.reference_crop`). ``circular``: the scene wraps around.
    """

    psf: str = "gauss:2@25"
    noise: float = 0.01
    formation: str = "valid"

    def __post_init__(self) -> None:
        _check_formation(self.formation)

    def draw_psf(self, rng: np.random.Generator) -> str:
        """A PSF spec drawn from ``rng``: this fixed one (subclasses draw one per image)."""
        return self.psf

    def psf_for(self, seed: int) -> str:
        """The PSF spec used on the image of ``seed``."""
        return self.draw_psf(np.random.default_rng(seed))

    def sample(self, rng: np.random.Generator) -> Degradation:
        """The degradation of an image whose generator is ``rng`` (a :data:`~restoretk.degradation.DegradationSampler`)."""
        return Degradation.parse(self.draw_psf(rng), 1, self.noise, self.formation)

    def case(self, image_name: str, image: np.ndarray) -> Case:
        seed = scenario_seed(self.name, image_name)
        degradation = self.sample(np.random.default_rng(seed))
        kernel = degradation.psf
        if any(image.shape[k] < 2 * kernel.shape[k] - 1 for k in (0, 1)):  # the observation must hold the PSF
            raise RestoreError(
                f"image {image_name!r} ({image.shape[0]}x{image.shape[1]}) is too small for PSF {degradation.spec}",
                "use images at least twice the PSF's size",
            )
        degraded, truth = _observe(image, degradation, seed)
        return Case(self.name, image_name, degraded, truth, degradation, degradation.spec, seed)

    def definition(self) -> str:
        return f"blur {self.psf}, Gaussian noise σ = {self.noise:g}, {self.formation} formation" + (
            " (scene beyond the frame; truth = the matching centre crop)" if self.formation == "valid" else ""
        )


@dataclass(frozen=True)
class ShakeDeblurScenario(DeblurScenario):
    """One random camera-shake PSF per image, of a random odd size in ``sizes``; seeded per image."""

    psf: str = "shake"
    sizes: tuple[int, int] = (15, 31)

    def draw_psf(self, rng: np.random.Generator) -> str:
        low, high = self.sizes
        size = int(rng.choice(np.arange(low, high + 1, 2)))
        return f"shake:{int(rng.integers(2**31))},{size}"

    def definition(self) -> str:
        low, high = self.sizes
        return (
            f"one seeded random camera-shake PSF per image (shake:SEED,SIZE, odd SIZE {low}–{high}), "
            f"Gaussian noise σ = {self.noise:g}, {self.formation} formation"
        )


@dataclass(frozen=True, kw_only=True)
class MisspecifiedPSFScenario(Scenario):
    """The cases of the deblurring scenario ``exact``, but methods are told a wrong PSF.

    Observation and ground truth are ``exact``'s, noise included (seeded by
    ``exact``'s name); the wrong PSF is drawn from this scenario's own seed. Bump the
    version when ``exact``'s changes. Subclasses define :meth:`wrong_psf`.
    """

    exact: DeblurScenario

    def wrong_psf(self, true: Case, rng: np.random.Generator) -> tuple[str | None, np.ndarray]:
        """The PSF told for the case ``true`` of ``exact``: its spec (or None) and kernel."""
        raise NotImplementedError

    def case(self, image_name: str, image: np.ndarray) -> Case:
        true = self.exact.case(image_name, image)
        seed = scenario_seed(self.name, image_name)
        spec, kernel = self.wrong_psf(true, np.random.default_rng(seed))
        told = true.degradation.misspecified(kernel, spec)
        return replace(true, scenario=self.name, degradation=told, psf_spec=spec, seed=seed)


@dataclass(frozen=True, kw_only=True)
class WrongSigmaScenario(MisspecifiedPSFScenario):
    """Methods are told one of the Gaussians ``told``, chosen per image (seeded)."""

    told: tuple[str, ...]

    def wrong_psf(self, true: Case, rng: np.random.Generator) -> tuple[str | None, np.ndarray]:
        spec = self.told[int(rng.integers(len(self.told)))]
        return spec, psf_module.parse(spec)

    def definition(self) -> str:
        told = " or ".join(self.told)
        return f"{self.exact.definition()} (the inputs of {self.exact.name}); methods are told {told} (one per image, seeded)"


@dataclass(frozen=True, kw_only=True)
class PerturbedPSFScenario(MisspecifiedPSFScenario):
    """Methods are told the true PSF perturbed by :func:`restoretk.psf_error.perturb_psf` (seeded per image)."""

    strength: float = 0.2

    def wrong_psf(self, true: Case, rng: np.random.Generator) -> tuple[str | None, np.ndarray]:
        return None, perturb_psf(true.degradation.psf, rng, strength=self.strength)

    def definition(self) -> str:
        return (
            f"{self.exact.definition()} (the inputs of {self.exact.name}); methods are told the true PSF perturbed "
            f"(noise on its support, a stretch of path missing, smoothed; strength {self.strength:g}, seeded per image)"
        )


@dataclass(frozen=True)
class RandomGaussScenario(DeblurScenario):
    """A seeded random Gaussian per image: σ uniform in ``sigmas``; a share ``anisotropic``
    of the images get σ along and across a uniform random angle, each uniform in ``sigmas``.
    """

    psf: str = "gauss"
    sigmas: tuple[float, float] = (1.0, 3.0)
    anisotropic: float = 1 / 3
    support: int = 25

    def draw_psf(self, rng: np.random.Generator) -> str:
        if rng.random() < self.anisotropic:
            along, across = rng.uniform(*self.sigmas, size=2)
            return f"gauss:{along:.2f},{across:.2f},{rng.uniform(0, 180):.0f}@{self.support}"
        return f"gauss:{rng.uniform(*self.sigmas):.2f}@{self.support}"

    def definition(self) -> str:
        low, high = self.sigmas
        return (
            f"one seeded random Gaussian per image, σ uniform in [{low:g}, {high:g}] "
            f"({self.anisotropic:.0%} anisotropic: σ along and across a random angle), support {self.support}, "
            f"Gaussian noise σ = {self.noise:g}, {self.formation} formation"
        )


#: Rows a blind scenario that compares with the truth adds for each method M: M told the
#: true PSF, and Levin et al.'s error ratio (the squared error of M with the estimate over
#: that of M with the true PSF).
TRUE_PSF_ROW = "{method}, true PSF"
ERROR_RATIO_ROW = "{method}, error ratio"

#: The error ratio up to which a blind estimate counts as good (Levin et al. 2009).
ERROR_RATIO_BOUND = 3.0


@dataclass(frozen=True, kw_only=True)
class BlindScenario(Scenario):
    """The cases of the deblurring scenario ``exact``, but methods are not told the PSF.

    The runner estimates it once per image (:attr:`Scenario.blind`, the family given to
    :func:`restoretk.estimation.estimate_psf`) and tells every method the estimate, so
    the gap to ``exact``'s results is what not knowing the PSF costs. With
    ``versus_truth`` every method also runs told the true PSF (row ``M, true PSF``), and
    row ``M, error ratio`` holds Levin et al.'s error ratio in its PSNR column and, in
    its SSIM column, 1 when that ratio is at most :data:`ERROR_RATIO_BOUND` (else 0),
    so that its mean is the share of images estimated well.
    """

    exact: DeblurScenario
    blind: str | None = "gauss-aniso"
    versus_truth: bool = False

    def case(self, image_name: str, image: np.ndarray) -> Case:
        true = self.exact.case(image_name, image)
        return replace(true, scenario=self.name, degradation=true.degradation.misspecified(None), psf_spec=None)

    def true_case(self, image_name: str, image: np.ndarray) -> Case:
        """The case as ``exact`` has it: methods told the true PSF."""
        return replace(self.exact.case(image_name, image), scenario=self.name)

    def rows_of(self, method: str) -> list[str]:
        """The rows that ``method`` gives: itself, then (``versus_truth``) its true-PSF and error-ratio rows."""
        if not self.versus_truth or method == "identity":
            return [method]
        return [method, TRUE_PSF_ROW.format(method=method), ERROR_RATIO_ROW.format(method=method)]

    @staticmethod
    def method_of(row: str) -> str:
        """The method a row name belongs to (the inverse of :meth:`rows_of`)."""
        return row.partition(", ")[0]

    def definition(self) -> str:
        compared = (
            "; each method also told the true PSF, and the error ratio (Levin et al. 2009) = its squared error "
            "with the estimate / with the true PSF" if self.versus_truth else ""
        )
        return (
            f"{self.exact.definition()} (the inputs of {self.exact.name}); blind: every method is told the PSF "
            f"that estimate_psf(family={self.blind!r}) finds, once per image{compared}"
        )

    def scoring(self) -> str:
        if not self.versus_truth:
            return super().scoring()
        return (
            f"{super().scoring()}; rows 'M, error ratio': PSNR column = mean error ratio, SSIM column = share of "
            f"images with an error ratio ≤ {ERROR_RATIO_BOUND:g}"
        )


@dataclass(frozen=True)
class Measurement:
    """One estimator on one degraded image: how far off it is, what it found, and its seconds."""

    error: float
    estimate: float
    seconds: float


_Probe = tuple[DeblurScenario, Callable[[Case], Measurement]]


@dataclass(frozen=True)
class EstimationScenario(Scenario):
    """The estimators alone, each scored against the truth it should find.

    Each *quantity* (a row of the table, in the place of a method) degrades every image
    its own seeded way (a :class:`DeblurScenario` named ``NAME/TRUTH``, so the
    estimators of one truth see the same input) and reports a :class:`Measurement`:

    - ``FAMILY σ=S``: blur ``gauss:S@support``, noise ``noise``;
      :func:`restoretk.estimation.estimate_psf` with ``family``; error ``|σ̂ − S|`` in
      pixels (the mean over both axes of an anisotropic estimate), estimate ``σ̂``;
    - ``gauss σ=2, CASE, noise not told``: the same for ``gauss:2`` under each of
      ``hard_cases`` (more noise, a JPEG of the input), the estimator told no noise
      level, as ``--psf auto --noise auto`` runs it;
    - ``motion on shake``: a camera shake as ``deblur-motion``, estimated as a straight
      motion; error: the PSNR (dB) that a Wiener restoration loses with the estimate
      instead of the true PSF; estimate: the PSNR with the estimate;
    - ``shake on shake``: the same camera shake, estimated free-form (family ``shake``,
      support not told); error: the relative L2 kernel error after the best shift
      (:func:`restoretk.psf_error.aligned_kernel_error`); estimate: the PSNR (dB) a
      Wiener restoration loses with it, as in ``motion on shake``;
    - ``noise σn=N``: blur ``gauss:2@support``, noise N; :func:`restoretk.estimate_noise`
      (what ``--noise auto`` runs); error ``|σ̂n − N|``, estimate ``σ̂n``.
    """

    sigmas: tuple[float, ...] = (1.0, 1.5, 2.0, 2.5, 3.0)
    families: tuple[str, ...] = ("gauss", "gauss-aniso")
    noise: float = 0.01
    support: int = 25
    shake_sizes: tuple[int, int] = (15, 31)
    noise_levels: tuple[float, ...] = (0.005, 0.01, 0.02, 0.05)
    #: (label, noise, JPEG quality or None): the Gaussian estimator told no noise level.
    hard_cases: tuple[tuple[str, float, int | None], ...] = (("σn=0.01", 0.01, None), ("σn=0.05", 0.05, None),
                                                             ("JPEG q75", 0.01, 75))

    def __post_init__(self) -> None:
        object.__setattr__(self, "task", "estimate")

    def quantities(self) -> list[str]:
        """The rows, in table order."""
        return list(self._probes())

    def measure(self, quantity: str, image_name: str, image: np.ndarray) -> Measurement:
        """Degrade ``image`` for ``quantity``, run its estimator, score the estimate."""
        probes = self._probes()
        if quantity not in probes:
            raise RestoreError(f"{self.name} has no quantity {quantity!r}", f"use one of: {', '.join(probes)}")
        source, measure = probes[quantity]
        return measure(source.case(image_name, image))

    def case(self, image_name: str, image: np.ndarray) -> Case:
        raise RestoreError(f"{self.name} measures estimators, it has no single case", "call measure() per quantity")

    def _probes(self) -> dict[str, _Probe]:
        def source(truth: str, psf: str, noise: float) -> DeblurScenario:
            return DeblurScenario(f"{self.name}/{truth}", self.version, psf=psf, noise=noise)

        probes: dict[str, _Probe] = {}
        for family in self.families:
            for sigma in self.sigmas:
                blur = source(f"gauss:{sigma:g}", f"gauss:{sigma:g}@{self.support}", self.noise)
                probes[f"{family} σ={sigma:g}"] = (blur, functools.partial(_sigma_error, family, sigma))
        for label, level, quality in self.hard_cases:
            blur = source(f"gauss:2 {label}", f"gauss:2@{self.support}", level)
            measure = functools.partial(_sigma_error, "gauss", 2.0, told=False, jpeg=quality)
            probes[f"gauss σ=2, {label}, noise not told"] = (blur, measure)
        shake = ShakeDeblurScenario(f"{self.name}/shake", self.version, noise=self.noise, sizes=self.shake_sizes)
        probes["motion on shake"] = (shake, functools.partial(_wiener_loss, self.protocol))
        probes["shake on shake"] = (shake, functools.partial(_kernel_error, self.protocol))
        for level in self.noise_levels:
            noisy = source(f"noise:{level:g}", f"gauss:2@{self.support}", level)
            probes[f"noise σn={level:g}"] = (noisy, functools.partial(_noise_error, level))
        return probes

    def definition(self) -> str:
        low, high = self.shake_sizes
        return (
            f"estimators alone, each on its own seeded degradation: Gaussian blur gauss:S@{self.support} "
            f"(S = {', '.join(f'{s:g}' for s in self.sigmas)}), noise σ = {self.noise:g}, estimated by "
            f"estimate_psf(family = {' | '.join(self.families)}); gauss:2 with the noise not told: "
            f"{', '.join(label for label, _, _ in self.hard_cases)}; a camera shake (odd size {low}–{high}), "
            f"noise σ = {self.noise:g}, estimated as a straight motion (family 'motion') and free-form "
            f"(family 'shake'); noise "
            f"σn = {', '.join(f'{n:g}' for n in self.noise_levels)} on gauss:2@{self.support}, estimated by "
            f"estimate_noise (--noise auto); all valid formation"
        )

    def scoring(self) -> str:
        return (
            "error: |σ̂ − σ| in pixels (mean over both axes for an anisotropic estimate), estimate σ̂; "
            "motion: PSNR lost by Wiener with the estimate instead of the true PSF (dB), estimate = that PSNR "
            f"({self.protocol.describe()}); shake: kernel error ‖k̂ − k‖/‖k‖ at the best shift, estimate = the "
            "PSNR Wiener loses with it (dB); noise: |σ̂n − σn|, estimate σ̂n; means over images"
        )


def _sigma_error(family: str, sigma: float, case: Case, *, told: bool = True, jpeg: int | None = None) -> Measurement:
    image = case.degraded if jpeg is None else _jpeg(case.degraded, jpeg)
    start = time.perf_counter()
    spec, _ = estimation.estimate_psf(image, family=family, noise=case.degradation.noise if told else None)
    seconds = time.perf_counter() - start
    along, across, _ = gaussian_sigmas(spec)
    return Measurement((abs(along - sigma) + abs(across - sigma)) / 2, (along + across) / 2, seconds)


def _jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    """``image`` as a JPEG of ``quality`` would give it back (8 bits, 4:2:0 chroma)."""
    pixels = np.round(np.clip(image, 0, 1) * 255).astype(np.uint8)
    ok, encoded = cv2.imencode(".jpg", pixels[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RestoreError("JPEG encoding failed", "check the OpenCV installation")
    return cv2.imdecode(encoded, cv2.IMREAD_COLOR)[..., ::-1].astype(np.float32) / 255


def _wiener_loss(protocol: MetricProtocol, case: Case) -> Measurement:
    start = time.perf_counter()
    _, kernel = estimation.estimate_psf(case.degraded, family="motion", noise=case.degradation.noise)
    seconds = time.perf_counter() - start
    estimated = _wiener_psnr(protocol, case, kernel)
    return Measurement(_wiener_psnr(protocol, case, case.degradation.psf) - estimated, estimated, seconds)


def _kernel_error(protocol: MetricProtocol, case: Case) -> Measurement:
    start = time.perf_counter()
    _, kernel = estimation.estimate_psf(case.degraded, family="shake", noise=case.degradation.noise)
    seconds = time.perf_counter() - start
    loss = _wiener_psnr(protocol, case, case.degradation.psf) - _wiener_psnr(protocol, case, kernel)
    return Measurement(aligned_kernel_error(kernel, case.degradation.psf), loss, seconds)


def _wiener_psnr(protocol: MetricProtocol, case: Case, psf: np.ndarray) -> float:
    restored = api.deblur(case.degraded, psf, "wiener", case.degradation.noise)
    return score(np.asarray(restored, np.float64), case.truth, protocol)["psnr"]


def _noise_error(level: float, case: Case) -> Measurement:
    start = time.perf_counter()
    estimate = estimate_noise(case.degraded)
    return Measurement(abs(estimate - level), estimate, time.perf_counter() - start)


@dataclass(frozen=True)
class BicubicSRScenario(Scenario):
    """The standard SR protocol: MATLAB uint8 bicubic downscale of the modcropped HR image.

    The low-resolution input is what the published LR sets hold: ``imresize(HR, 1/s)`` on
    uint8, each axis pass rounded (:func:`imresize_uint8`); its only noise is that
    rounding (σ = 1/255/√12, which methods are told). Outputs are rounded to 8 bits before
    scoring, as the published protocol compares uint8 images; Y (BT.601), ``s`` pixels shaved.
    """

    scale: int = 4

    def __post_init__(self) -> None:
        object.__setattr__(self, "task", "upscale")
        object.__setattr__(self, "protocol", MetricProtocol.super_resolution(self.scale))
        object.__setattr__(self, "quantise", True)

    def case(self, image_name: str, image: np.ndarray) -> Case:
        degradation = Degradation(downscale_kernel(self.scale), self.scale, QUANTISATION_NOISE, "imresize")
        seed = scenario_seed(self.name, image_name)
        lr, truth = observe(image.astype(np.float32, copy=False), degradation, seed, channel_axis=-1)
        return Case(self.name, image_name, lr, truth, degradation, None, seed)

    def definition(self) -> str:
        s = self.scale
        return (
            f"×{s}: HR cropped to a multiple of {s}, MATLAB imresize bicubic downscale (antialiased) "
            f"on uint8, each pass rounded; LR = uint8"
        )


@dataclass(frozen=True)
class BlurDecimateSRScenario(Scenario):
    """``y = S_s H x + n``: the decimation model of :mod:`restoretk.operators`, valid formation.

    The HR image is cropped so that its valid blurred part is a multiple of ``s``;
    LR pixel ``i`` samples the blurred scene at HR pixel ``s·i`` of the ground truth
    (the matching centre crop), as :class:`restoretk.operators.Decimation` does.
    """

    scale: int = 4
    psf: str = "gauss:1.6@13"
    noise: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "task", "upscale")
        object.__setattr__(self, "protocol", MetricProtocol.super_resolution(self.scale))

    def case(self, image_name: str, image: np.ndarray) -> Case:
        seed = scenario_seed(self.name, image_name)
        kernel = psf_module.parse(self.psf)
        s = self.scale
        rows, cols = (kernel.shape[k] - 1 + s * ((image.shape[k] - kernel.shape[k] + 1) // s) for k in (0, 1))
        if rows < kernel.shape[0] + s or cols < kernel.shape[1] + s:
            raise RestoreError(f"image {image_name!r} is too small for {self.name}", "use larger images")
        degradation = Degradation(kernel, s, self.noise, "valid", self.psf)
        degraded, truth = _observe(image[:rows, :cols], degradation, seed)
        return Case(self.name, image_name, degraded, truth, degradation, self.psf, seed)

    def definition(self) -> str:
        noise = f"Gaussian noise σ = {self.noise:g}" if self.noise else "noise-free (float, not quantised)"
        return (
            f"×{self.scale}: A = S{self.scale} H with H = {self.psf}, {noise}, valid formation "
            f"(truth = the centre crop; LR pixel i samples truth pixel {self.scale}·i)"
        )


#: The 67 photos of the colour denoising test set CBSD68 that BSDS500 val (BSD100) holds
#: (file stems; ../shared/data/BSDS500/README.md).
CBSD68 = tuple(
    """101085 101087 103070 105025 106024 108005 108070 108082 109053 119082 12084 123074 126007 130026
    134035 14037 143090 145086 147091 148026 148089 157055 159008 160068 16077 163085 167062 167083
    170057 175032 175043 182053 189080 19021 196073 197017 208001 210088 21077 216081 219090 220075
    223061 227092 229036 236037 24077 241004 241048 253027 253055 260058 271035 285079 291000 295087
    296007 296059 299086 300091 302008 304034 304074 306005 3096 33039 351093""".split()
)


@dataclass(frozen=True)
class DenoiseScenario(Scenario):
    """Additive white Gaussian noise of σ = ``sigma`` grey levels (of 255) on CBSD68, the colour denoising protocol.

    The noisy image is not clipped (as in the DnCNN, FFDNet and DRUNet papers); outputs
    are rounded to 8 bits and scored on RGB, no border shaved.
    """

    sigma: float = 25.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "task", "denoise")
        object.__setattr__(self, "quantise", True)
        object.__setattr__(self, "images", CBSD68)

    def case(self, image_name: str, image: np.ndarray) -> Case:
        seed = scenario_seed(self.name, image_name)
        level = self.sigma / 255
        degradation = Degradation(np.ones((1, 1)), 1, level)
        noisy, truth = observe(image, degradation, seed, channel_axis=-1)  # noise drawn pixel by pixel, RGB interleaved
        return Case(self.name, image_name, noisy, np.ascontiguousarray(truth), degradation, None, seed)

    def definition(self) -> str:
        return (
            f"white Gaussian noise σ = {self.sigma:g}/255, not clipped, on the {len(CBSD68)} CBSD68 photos "
            "of BSD100 (run with --split val)"
        )


#: The scenarios by name (entry-point group ``restoretk.scenarios``).
SCENARIOS: Registry[Scenario] = Registry("scenario", group="restoretk.scenarios")


def register_scenario(scenario: Scenario) -> Scenario:
    """Add ``scenario`` to the list that ``restoretk bench`` runs by default.

    Examples
    --------
    >>> register_scenario(get_scenario("deblur-gauss2"))
    Traceback (most recent call last):
    ...
    restoretk.errors.DuplicateNameError: scenario 'deblur-gauss2' is already registered; choose another name
    """
    return SCENARIOS.register(scenario.name, scenario)


def list_scenarios() -> list[Scenario]:
    """The registered scenarios, in registration order.

    Examples
    --------
    >>> [s.name for s in list_scenarios()][:2]
    ['deblur-gauss2', 'deblur-gauss2-circular']
    """
    return list(SCENARIOS.values())


def get_scenario(name: str) -> Scenario:
    """The scenario called ``name``; a one-line error listing the choices otherwise.

    Examples
    --------
    >>> get_scenario("sr4-bicubic").name
    'sr4-bicubic'
    """
    return SCENARIOS[name]


# Registered here, in this order; those built on another refer to it directly (a lookup
# here, during the import, would load the plug-ins before this module is complete).
_gauss2 = register_scenario(DeblurScenario("deblur-gauss2", "1", psf="gauss:2@25", noise=0.01, formation="valid"))
register_scenario(DeblurScenario("deblur-gauss2-circular", "1", psf="gauss:2@25", noise=0.01, formation="circular"))
register_scenario(DeblurScenario("deblur-gauss2-n3", "1", psf="gauss:2@25", noise=0.03, formation="valid"))
_motion = register_scenario(ShakeDeblurScenario("deblur-motion", "1", noise=0.01, formation="valid", sizes=(15, 31)))
register_scenario(BicubicSRScenario("sr4-bicubic", "1", scale=4))
register_scenario(BlurDecimateSRScenario("sr4-gauss", "1", scale=4, psf="gauss:1.6@13", noise=0.0))
register_scenario(BicubicSRScenario("sr2-bicubic", "1", scale=2))
register_scenario(WrongSigmaScenario("deblur-gauss2-psferr", "1", exact=_gauss2, told=("gauss:1.7@25", "gauss:2.3@25")))
register_scenario(PerturbedPSFScenario("deblur-motion-psferr", "1", exact=_motion, strength=0.2))
_random_gauss = register_scenario(
    RandomGaussScenario("deblur-gauss-random", "1", noise=0.01, formation="valid", sigmas=(1.0, 3.0))
)
register_scenario(BlindScenario("deblur-gauss-blind", "1", exact=_random_gauss))
register_scenario(EstimationScenario("psf-estimation", "1"))
register_scenario(BlindScenario("deblur-shake-blind", "1", exact=_motion, blind="shake", versus_truth=True))
for _sigma in (15, 25, 50):
    register_scenario(DenoiseScenario(f"denoise-{_sigma}", "1", sigma=float(_sigma)))
