"""Restoration heads: what a network body sees and how its output becomes an image.

Every head works on the observation extended past its frame exactly as the classical
restorers do (:func:`restoretk.boundary.extend` as :func:`solver_extension` says), so that
training patches and whole photos meet the same borders. With ``y`` the extended
observation, ``A = S H`` the degradation on the extended grid,
``x_w = A⁺_ε y = P Aᵀ (A P Aᵀ + ε)⁻¹ y`` the Wiener estimate of the ``wiener`` method
(natural-image prior ``P``, ``ε`` from the noise level) and ``u`` the observation on
the high-resolution grid (``y`` itself for deblurring, its bicubic upscale otherwise):

``mpr`` (deblurring) and ``mpr-sr`` (super-resolution)
    ``x̂ = x_w + (I − A⁺_ε A) f_θ(x_w, u)``: the network only adds what the camera
    cannot see, so ``A x̂ = A A⁺_ε y`` (exactly when ε = 0), and it meets the PSF only
    through ``x_w`` and the projection: one model serves many PSFs [1]_.
``mpr-df`` (deblurring)
    ``x̂ = D_w(x̂_mpr)``: the ``mpr`` estimate refined by a dynamic filter, a 5×5
    filter per pixel (the same for every channel, with zero sum, so flat regions keep
    their level) whose taps ``w`` the body predicts beside its residual. A PSF that is
    wrong leaves errors the camera *does* see (ringing, left-over blur), which the
    projection keeps ``mpr`` from touching; the filter may remove them, as the dynamic
    filter network of [1]_ does. ``A x̂ = A A⁺_ε y`` then no longer holds.
``wiener-resid``
    ``x̂ = x_w + f_θ(x_w, u)``: the same without the projection (the ablation).
``srnet``
    ``x̂ = u + f_θ(u)``: a residual network on the bicubic upscale.
``denoiser`` (denoising)
    ``x̂ = y + f_θ(y, σ)``: a residual network told the noise level as a constant
    channel (as FFDNet and DRUNet are), so that one model serves every σ, and the
    prior of the plug-and-play solvers.

The body sees the frame and ``BODY_CONTEXT`` pixels of the extension around it; its
output is zero further out (far from the frame it would only see mirrored data).

References
----------
.. [1] J. López-Tapia, R. Molina, A. K. Katsaggelos et al., "Learning Moore-Penrose
   based residuals for robust non-blind image deconvolution", Digital Signal
   Processing 142, 2023.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Callable, ClassVar, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from restoretk.boundary import extend
from restoretk.errors import RestoreError
from restoretk.learners.bodies import body_options, build_body
from restoretk.learners.inference import run_body
from restoretk.learners.precision import autocast
from restoretk.solvers.wiener import (
    WIENER_STRENGTH,
    degradation_operator,
    natural_image_prior,
    solver_extension,
    wiener_regularisation,
)
from restoretk.methods.registry import Degradation
from restoretk.operators import LinearOperator
from restoretk.registry import Registry
from restoretk.resize import imresize

__all__ = ["HEADS", "Head", "HeadSpec", "Problem", "build_head", "register_head", "BODY_CONTEXT"]

#: High-resolution pixels of the extension that the body sees around the frame.
BODY_CONTEXT = 16


@dataclass(frozen=True)
class HeadSpec:
    """A registered head: its class, task (``deblur`` or ``sr``) and default scale."""

    name: str
    cls: type[Head]
    task: str
    scale: int


#: The heads by name (entry-point group ``restoretk.heads``).
HEADS: Registry[HeadSpec] = Registry("head", group="restoretk.heads")


def register_head(name: str, *, task: str, scale: int = 1) -> Callable[[type[Head]], type[Head]]:
    """Register the decorated :class:`Head` subclass as ``name`` for ``task`` at ``scale``.

    Examples
    --------
    >>> register_head("mpr", task="deblur")
    Traceback (most recent call last):
    ...
    restoretk.errors.DuplicateNameError: head 'mpr' is already registered; choose another name
    """
    HEADS.check_new(name)

    def decorate(cls: type[Head]) -> type[Head]:
        HEADS.register(name, HeadSpec(name, cls, task, scale))
        return cls

    return decorate


@dataclass
class Problem:
    """A batch of observations ready for a head, all on one extended grid.

    Attributes
    ----------
    guide : torch.Tensor
        ``(N, C, H, W)``: ``u``, the observations on the high-resolution grid.
    estimate : torch.Tensor or None
        ``(N, C, H, W)``: ``x_w = A⁺_ε y`` (None for heads that do not use it).
    ranges : list of LinearOperator
        ``A⁺_ε A`` per observation (empty when ``estimate`` is None).
    frame : tuple of slice
        Rows and columns of the frame in the high-resolution grid.
    window : tuple of slice
        Rows and columns the body sees.
    noise : torch.Tensor
        ``(N,)``: the noise standard deviation of each observation.
    """

    guide: torch.Tensor
    estimate: torch.Tensor | None
    ranges: list[LinearOperator]
    frame: tuple[slice, slice]
    window: tuple[slice, slice]
    noise: torch.Tensor

    def to(self, device: torch.device | str) -> Problem:
        """The same problem with its tensors on ``device`` (the operators follow their data)."""
        estimate = None if self.estimate is None else self.estimate.to(device)
        return replace(self, guide=self.guide.to(device), estimate=estimate, noise=self.noise.to(device))


class Head(nn.Module):
    """A body wrapped into a restorer; subclasses define :meth:`body_input` and :meth:`combine`.

    Parameters
    ----------
    body : nn.Module
        The network ``f_θ`` (see :mod:`restoretk.learners.bodies`).
    scale : int
        Upscaling factor (1 for deblurring).
    strength : float
        Multiplies the Wiener regularisation ``ε``.

    Attributes
    ----------
    precision : torch.dtype or None
        Autocast dtype of the body (None: float32); see :meth:`set_precision`.
    """

    #: How many images of C channels the body reads.
    inputs: ClassVar[int] = 2
    #: Whether ``x_w = A⁺_ε y`` is computed.
    uses_inverse: ClassVar[bool] = True
    #: How to build it again (set by :func:`build_head`; saved with the weights).
    architecture: dict[str, Any]

    def __init__(self, body: nn.Module, *, scale: int = 1, strength: float = WIENER_STRENGTH) -> None:
        super().__init__()
        self.body = body
        self.scale = int(scale)
        self.strength = float(strength)
        self.precision: torch.dtype | None = None
        self.channels_last = False

    def set_precision(self, dtype: torch.dtype | None, *, channels_last: bool = True) -> Head:
        """Run the body under autocast to ``dtype`` (None: float32), channels-last if asked.

        Everything outside the body (the pre-solve, the projection, the residual add)
        stays float32. Returns the head.
        """
        self.precision = dtype
        self.channels_last = channels_last
        self.body.to(memory_format=torch.channels_last if channels_last else torch.contiguous_format)
        return self

    # -- what subclasses define ------------------------------------------------------

    def body_input(self, problem: Problem) -> torch.Tensor:
        """The body's input on the whole high-resolution grid: ``(x_w, u)``."""
        return torch.cat([problem.estimate, problem.guide], dim=1)

    def combine(self, problem: Problem, residual: torch.Tensor) -> torch.Tensor:
        """The restored extended image from the body's (zero-extended) output."""
        raise NotImplementedError

    @classmethod
    def body_inputs(cls, channels: int) -> int:
        """Channels of the body's input for images of ``channels`` channels."""
        return cls.inputs * channels

    @classmethod
    def body_outputs(cls, channels: int) -> int:
        """Channels of the body's output for images of ``channels`` channels."""
        return channels

    def adopt(self, trained: Head) -> None:
        """Start from the weights of ``trained`` (fine-tuning); the architectures must match."""
        if trained.architecture != self.architecture:
            raise RestoreError(
                f"the weights hold a {trained.architecture['head']} / {trained.architecture['body']} model "
                "that differs from this one",
                "use the same `head`, `body` and body options as the run that made it",
            )
        self.load_state_dict(trained.state_dict())

    # -- shared machinery ----------------------------------------------------------------

    def regularisation(self, observation: np.ndarray, degradation: Degradation, grid: tuple[int, int]) -> float:
        """``ε`` for ``observation``: the ``wiener`` method's, from the noise and the contrast.

        ``grid`` is the high-resolution grid the operator is built on.
        """
        op = degradation_operator(degradation, grid)
        return wiener_regularisation(observation, op, natural_image_prior(grid), degradation.noise, self.strength)

    def prepare(
        self,
        observations: Sequence[np.ndarray],
        degradations: Sequence[Degradation],
        *,
        boundary: str = "reflect",
        eps: float | None = None,
        device: torch.device | str = "cpu",
        margin: int = 0,
    ) -> Problem:
        """Extend ``(C, h, w)`` observations of one size and compute what the head needs.

        Parameters
        ----------
        observations : sequence of numpy.ndarray
            Float32 observations, all of the same shape.
        degradations : sequence of Degradation
            One per observation; ``scale`` must be the head's.
        boundary : str
            Extension of each observation (see :func:`restoretk.boundary.extend`).
        eps : float, optional
            Regularisation for every observation (default: :meth:`regularisation` of each).
        device : torch.device or str
            Where the tensors go.
        margin : int
            Extend by at least this much (observed pixels), beyond what the PSFs need: a
            share of a batch is prepared on the grid of the whole batch.
        """
        for degradation in degradations:
            if degradation.scale != self.scale:
                raise RestoreError(
                    f"this model upscales by {self.scale}, not {degradation.scale}",
                    f"use scale={self.scale}, or train a model for scale {degradation.scale}",
                )
        plans = [solver_extension(d) for d in degradations]
        margin = max(margin, *(plan.margin for plan in plans))
        extensions = [
            extend(np.asarray(o, dtype=np.float32), margin, boundary, fade=plan.fade)
            for o, plan in zip(observations, plans)
        ]
        first = extensions[0]
        if any(e.padded.shape != first.padded.shape or (e.top, e.left) != (first.top, first.left) for e in extensions):
            raise RestoreError("observations in one batch extend to different grids", "use one size and boundary")
        s = self.scale
        rows, cols = first.padded.shape[-2:]
        grid = (rows * s, cols * s)
        observed = torch.from_numpy(np.stack([e.padded for e in extensions])).to(device)
        if s == 1:
            guide = observed
        else:
            upscaled = [np.moveaxis(imresize(np.moveaxis(e.padded, 0, -1), float(s)), -1, 0) for e in extensions]
            guide = torch.from_numpy(np.stack(upscaled)).to(device)
        frame = (slice(first.top * s, (first.top + first.rows) * s), slice(first.left * s, (first.left + first.cols) * s))
        window = tuple(
            slice(max(part.start - BODY_CONTEXT, 0), min(part.stop + BODY_CONTEXT, size))
            for part, size in zip(frame, grid)
        )
        estimate, ranges = None, []
        if self.uses_inverse:
            prior = natural_image_prior(grid)
            estimates = []
            for observation, degradation, row in zip(observations, degradations, observed):
                op = degradation_operator(degradation, grid)
                level = self.regularisation(observation, degradation, grid) if eps is None else eps
                pinv = op.pinv_operator(level, prior=prior)
                estimates.append(pinv.forward(row))
                ranges.append(pinv @ op)
            estimate = torch.stack(estimates)
        noise = torch.tensor([float(d.noise) for d in degradations], dtype=torch.float32, device=device)
        return Problem(guide, estimate, ranges, frame, window, noise)

    def forward(self, problem: Problem) -> torch.Tensor:
        """The restored frames, ``(N, C, rows·scale, cols·scale)``."""
        rows, cols = problem.window
        z = self.body_input(problem)[..., rows, cols]
        if self.channels_last:
            z = z.contiguous(memory_format=torch.channels_last)
        with autocast(self.precision, z.device):  # the body only: the Fourier maths stays float32
            out = run_body(self.body, z).float().contiguous()
        height, width = problem.guide.shape[-2:]
        residual = F.pad(out, (cols.start, width - cols.stop, rows.start, height - rows.stop))
        return self.combine(problem, residual)[..., problem.frame[0], problem.frame[1]]

    @torch.no_grad()
    def restore(
        self, image: np.ndarray, degradation: Degradation, *, boundary: str = "auto", eps: float | None = None
    ) -> np.ndarray:
        """Restore one ``(C, h, w)`` float32 image in one piece; ``(C, h·scale, w·scale)``."""
        device = next(self.parameters()).device
        problem = self.prepare([image], [degradation], boundary=boundary, eps=eps, device=device)
        return self(problem)[0].cpu().numpy()


@register_head("mpr", task="deblur")
@register_head("mpr-sr", task="sr", scale=4)
class MoorePenroseResidual(Head):
    """``x̂ = x_w + (I − A⁺_ε A) f_θ(x_w, u)``: a learned residual in the null space."""

    def combine(self, problem: Problem, residual: torch.Tensor) -> torch.Tensor:
        seen = torch.stack([op.forward(r) for op, r in zip(problem.ranges, residual)])
        return problem.estimate + residual - seen


@register_head("mpr-df", task="deblur")
class DynamicFilterResidual(MoorePenroseResidual):
    """``x̂ = D_w(x_w + (I − A⁺_ε A) r)`` with ``(r, w) = f_θ(x_w, u)``: ``mpr``, then a dynamic filter."""

    #: Side of the per-pixel filters.
    taps: ClassVar[int] = 5

    @classmethod
    def body_outputs(cls, channels: int) -> int:
        return channels + cls.taps**2

    def combine(self, problem: Problem, output: torch.Tensor) -> torch.Tensor:
        channels = problem.guide.shape[1]
        estimate = super().combine(problem, output[:, :channels])
        return dynamic_filter(estimate, output[:, channels:])

    def adopt(self, trained: Head) -> None:
        """Also start from an ``mpr`` model of the same body: the filter starts as the identity.

        The body's extra outputs (the filter taps) are the last channels of its last
        layer, which starts at zero; an ``mpr`` model fills the others.
        """
        same_body = trained.architecture | {"head": self.architecture["head"]} == self.architecture
        if not same_body or trained.architecture["head"] not in ("mpr", self.architecture["head"]):
            super().adopt(trained)  # refuses
        own = self.state_dict()
        for key, value in trained.state_dict().items():
            own[key][: value.shape[0]] = value
        self.load_state_dict(own)


def dynamic_filter(image: torch.Tensor, taps: torch.Tensor) -> torch.Tensor:
    """``image + Σ_k w_k · shift_k(image)``: a filter per pixel, shared by the channels.

    Parameters
    ----------
    image : torch.Tensor
        ``(N, C, H, W)``.
    taps : torch.Tensor
        ``(N, K², H, W)``, row-major K×K offsets; their mean over ``k`` is removed, so
        each pixel's filter sums to zero (a constant image is kept) and zero taps give
        ``image`` itself.

    Examples
    --------
    >>> image = torch.arange(16.0).reshape(1, 1, 4, 4)
    >>> bool(torch.equal(dynamic_filter(image, torch.zeros(1, 9, 4, 4)), image))
    True
    """
    side = math.isqrt(taps.shape[1])
    radius = side // 2
    taps = taps - taps.mean(dim=1, keepdim=True)
    rows, cols = image.shape[-2:]
    padded = F.pad(image, (radius,) * 4, mode="replicate")
    out = image
    for k in range(side * side):
        dy, dx = divmod(k, side)
        out = out + taps[:, k : k + 1] * padded[..., dy : dy + rows, dx : dx + cols]
    return out


@register_head("wiener-resid", task="deblur")
class WienerResidual(Head):
    """``x̂ = x_w + f_θ(x_w, u)``: a learned residual on the Wiener estimate, unprojected."""

    def combine(self, problem: Problem, residual: torch.Tensor) -> torch.Tensor:
        return problem.estimate + residual


@register_head("srnet", task="sr", scale=4)
class UpscaleResidual(Head):
    """``x̂ = u + f_θ(u)``: a residual network on the bicubic upscale."""

    inputs = 1
    uses_inverse = False

    def body_input(self, problem: Problem) -> torch.Tensor:
        return problem.guide

    def combine(self, problem: Problem, residual: torch.Tensor) -> torch.Tensor:
        return problem.guide + residual


@register_head("denoiser", task="denoise")
class NoiseLevelResidual(Head):
    """``x̂ = y + f_θ(y, σ)``: a residual denoiser told the noise level as a constant channel."""

    uses_inverse = False

    @classmethod
    def body_inputs(cls, channels: int) -> int:
        return channels + 1

    def body_input(self, problem: Problem) -> torch.Tensor:
        guide = problem.guide
        level = problem.noise.to(guide.dtype)[:, None, None, None].expand(-1, 1, *guide.shape[-2:])
        return torch.cat([guide, level], dim=1)

    def combine(self, problem: Problem, residual: torch.Tensor) -> torch.Tensor:
        return problem.guide + residual


def build_head(
    name: str,
    body: str,
    body_hyper: dict[str, Any] | None = None,
    *,
    channels: int = 3,
    scale: int | None = None,
    strength: float = WIENER_STRENGTH,
) -> Head:
    """A new head ``name`` around a new body ``body`` with hyper-parameters ``body_hyper``.

    Examples
    --------
    >>> head = build_head("mpr", "resnet", {"base_filter": 8, "num_residuals": 1})
    >>> image = np.random.default_rng(0).random((3, 24, 20), dtype=np.float32)
    >>> head.restore(image, Degradation(np.full((3, 3), 1 / 9), noise=0.01)).shape
    (3, 24, 20)
    """
    spec = HEADS[name]
    hyper = body_options(body, **(body_hyper or {}))
    network = build_body(body, spec.cls.body_inputs(channels), spec.cls.body_outputs(channels), **hyper)
    head = spec.cls(network, scale=spec.scale if scale is None else scale, strength=strength)
    head.architecture = {
        "head": name,
        "task": spec.task,
        "body": body,
        "body_options": hyper,
        "channels": channels,
        "scale": head.scale,
        "strength": head.strength,
    }
    return head
