"""Benchmark scenarios: named, versioned, deterministic degradations of a set of images.

A scenario turns one sharp image into a :class:`Case`: the degraded input every method
receives (the very same array), the ground truth it is scored against, and the true
degradation (PSF, scale, noise level) that non-blind methods are told. Noise and random
PSFs are seeded by the scenario's name and the image's name, so every method and every
run sees identical inputs.

Adding a scenario is one :func:`register_scenario` call at the end of this module.
Bump its ``version`` whenever anything changes its inputs, its ground truth or how it
is scored: per-image results of an earlier version are then never reused.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np

from restoretk import api
from restoretk import psf as psf_module
from restoretk.errors import RestoreError
from restoretk.methods.classical import QUANTISATION_NOISE
from restoretk.methods.registry import Degradation
from restoretk.metrics import MetricProtocol
from restoretk.resize import downscale_kernel, imresize_uint8, modcrop

__all__ = [
    "Case",
    "Scenario",
    "DeblurScenario",
    "ShakeDeblurScenario",
    "BicubicSRScenario",
    "BlurDecimateSRScenario",
    "register_scenario",
    "get_scenario",
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
        The true PSF (float64 kernel), scale and noise standard deviation.
    psf_spec : str or None
        The PSF as a spec string; None for the blur of a bicubic downscale
        (:func:`restoretk.resize.downscale_kernel`, what :func:`restoretk.upscale` assumes
        without a PSF).
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
    return np.floor(np.clip(image, 0.0, 1.0) * 255.0 + 0.5) / 255.0


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
    task : {'deblur', 'upscale'}
        Which registered methods apply.
    protocol : MetricProtocol
        How PSNR/SSIM are measured.
    quantise : bool
        Whether outputs are rounded to 8 bits before scoring (they are always clipped to [0, 1]).
    """

    name: str
    version: str
    task: str = field(init=False, default="deblur")
    protocol: MetricProtocol = field(init=False, default=MetricProtocol())
    quantise: bool = field(init=False, default=False)

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

    def psf_for(self, seed: int) -> str:
        """The PSF spec used on the image of ``seed``."""
        return self.psf

    def case(self, image_name: str, image: np.ndarray) -> Case:
        seed = scenario_seed(self.name, image_name)
        spec = self.psf_for(seed)
        kernel = psf_module.parse(spec)
        if any(image.shape[k] < 2 * kernel.shape[k] - 1 for k in (0, 1)):  # the observation must hold the PSF
            raise RestoreError(
                f"image {image_name!r} ({image.shape[0]}x{image.shape[1]}) is too small for PSF {spec}",
                "use images at least twice the PSF's size",
            )
        degraded = api.degrade(image, kernel, self.noise, boundary=self.formation, seed=seed)
        truth = api.reference_crop(image, kernel) if self.formation == "valid" else image
        degradation = Degradation(kernel, 1, self.noise)
        return Case(self.name, image_name, degraded, np.ascontiguousarray(truth), degradation, spec, seed)

    def definition(self) -> str:
        return f"blur {self.psf}, Gaussian noise σ = {self.noise:g}, {self.formation} formation" + (
            " (scene beyond the frame; truth = the matching centre crop)" if self.formation == "valid" else ""
        )


@dataclass(frozen=True)
class ShakeDeblurScenario(DeblurScenario):
    """One random camera-shake PSF per image, of a random odd size in ``sizes``; seeded per image."""

    psf: str = "shake"
    sizes: tuple[int, int] = (15, 31)

    def psf_for(self, seed: int) -> str:
        rng = np.random.default_rng(seed)
        low, high = self.sizes
        size = int(rng.choice(np.arange(low, high + 1, 2)))
        return f"shake:{int(rng.integers(2**31))},{size}"

    def definition(self) -> str:
        low, high = self.sizes
        return (
            f"one seeded random camera-shake PSF per image (shake:SEED,SIZE, odd SIZE {low}–{high}), "
            f"Gaussian noise σ = {self.noise:g}, {self.formation} formation"
        )


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
        hr = modcrop(np.floor(np.clip(image, 0, 1) * 255 + 0.5), self.scale)  # the uint8 HR image
        lr = imresize_uint8(hr, 1 / self.scale) / 255
        degradation = Degradation(downscale_kernel(self.scale), self.scale, QUANTISATION_NOISE)
        seed = scenario_seed(self.name, image_name)
        truth = (hr / 255).astype(np.float32)
        return Case(self.name, image_name, lr.astype(np.float32), truth, degradation, None, seed)

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
        scene = image[:rows, :cols]
        degraded = api.degrade(scene, kernel, self.noise, scale=s, boundary="valid", seed=seed)
        truth = np.ascontiguousarray(api.reference_crop(scene, kernel))
        return Case(self.name, image_name, degraded, truth, Degradation(kernel, s, self.noise), self.psf, seed)

    def definition(self) -> str:
        noise = f"Gaussian noise σ = {self.noise:g}" if self.noise else "noise-free (float, not quantised)"
        return (
            f"×{self.scale}: A = S{self.scale} H with H = {self.psf}, {noise}, valid formation "
            f"(truth = the centre crop; LR pixel i samples truth pixel {self.scale}·i)"
        )


_SCENARIOS: dict[str, Scenario] = {}


def register_scenario(scenario: Scenario) -> Scenario:
    """Add ``scenario`` to the list that ``restoretk bench`` runs by default."""
    if scenario.name in _SCENARIOS:
        raise ValueError(f"scenario {scenario.name!r} is registered twice")
    _SCENARIOS[scenario.name] = scenario
    return scenario


def list_scenarios() -> list[Scenario]:
    """The registered scenarios, in registration order.

    Examples
    --------
    >>> [s.name for s in list_scenarios()][:2]
    ['deblur-gauss2', 'deblur-gauss2-circular']
    """
    return list(_SCENARIOS.values())


def get_scenario(name: str) -> Scenario:
    """The scenario called ``name``; a one-line error listing the choices otherwise."""
    if name not in _SCENARIOS:
        raise RestoreError(f"unknown scenario {name!r}", f"use one of: {', '.join(_SCENARIOS)} (see --list)")
    return _SCENARIOS[name]


register_scenario(DeblurScenario("deblur-gauss2", "1", psf="gauss:2@25", noise=0.01, formation="valid"))
register_scenario(DeblurScenario("deblur-gauss2-circular", "1", psf="gauss:2@25", noise=0.01, formation="circular"))
register_scenario(DeblurScenario("deblur-gauss2-n3", "1", psf="gauss:2@25", noise=0.03, formation="valid"))
register_scenario(ShakeDeblurScenario("deblur-motion", "1", noise=0.01, formation="valid", sizes=(15, 31)))
register_scenario(BicubicSRScenario("sr4-bicubic", "1", scale=4))
register_scenario(BlurDecimateSRScenario("sr4-gauss", "1", scale=4, psf="gauss:1.6@13", noise=0.0))
register_scenario(BicubicSRScenario("sr2-bicubic", "1", scale=2))
