"""Network bodies: small image-to-image ``nn.Module``\\ s, registered by name.

A body maps ``(N, in_channels, H, W)`` to ``(N, out_channels, H, W)`` for ``H`` and
``W`` multiples of its :attr:`multiple`; :func:`restoretk.learners.inference.run_body`
pads other sizes. Heads (:mod:`restoretk.learners.heads`) decide what goes in and
what the output means. A new body is one registered class whose constructor takes
``in_channels``, ``out_channels`` and keyword hyper-parameters with defaults::

    @register_body("tiny")
    class Tiny(nn.Module):
        multiple = 1

        def __init__(self, in_channels, out_channels, *, base_filter=16):
            super().__init__()
            self.conv = nn.Conv2d(in_channels, out_channels, 3, padding=1)

        def forward(self, z):
            return self.conv(z)

A package adds its own through the entry-point group ``restoretk.bodies``
(:mod:`restoretk.registry`).

The last layer of each body starts at zero, so a residual head starts as its
classical estimate and training only ever adds to it.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch import nn

from restoretk.errors import RestoreError
from restoretk.registry import Registry

__all__ = ["BODIES", "register_body", "build_body", "body_options", "list_bodies", "ResidualCNN", "UNet"]

#: The body classes by name (entry-point group ``restoretk.bodies``).
BODIES: Registry[type[nn.Module]] = Registry("network body", group="restoretk.bodies")


def register_body(name: str) -> Callable[[type[nn.Module]], type[nn.Module]]:
    """Register the decorated ``nn.Module`` class as body ``name``.

    Examples
    --------
    >>> register_body("resnet")(nn.Identity)
    Traceback (most recent call last):
    ...
    restoretk.errors.DuplicateNameError: network body 'resnet' is already registered; choose another name
    """
    return BODIES.register(name)


def list_bodies() -> list[str]:
    """Registered body names, in registration order.

    Examples
    --------
    >>> list_bodies()
    ['resnet', 'unet']
    """
    return list(BODIES)


def body_options(name: str, **given: Any) -> dict[str, Any]:
    """All hyper-parameters of body ``name``: its defaults updated with ``given``.

    Unknown names or options are one-line errors that list the choices.

    Examples
    --------
    >>> body_options("resnet", base_filter=16)
    {'base_filter': 16, 'num_residuals': 8, 'decimation': 1}
    """
    parameters = inspect.signature(BODIES[name].__init__).parameters.values()
    defaults = {p.name: p.default for p in parameters if p.kind is p.KEYWORD_ONLY}
    unknown = set(given) - set(defaults)
    if unknown:
        raise RestoreError(
            f"body {name!r} has no hyper-parameter {sorted(unknown)[0]!r}",
            f"its hyper-parameters: {', '.join(defaults)}",
        )
    return {**defaults, **given}


def build_body(name: str, in_channels: int, out_channels: int, **options: Any) -> nn.Module:
    """A new body ``name`` with hyper-parameters ``options`` (the rest at their defaults).

    Examples
    --------
    >>> body = build_body("resnet", 6, 3, base_filter=8, num_residuals=2)
    >>> tuple(body(torch.zeros(1, 6, 16, 16)).shape)
    (1, 3, 16, 16)
    """
    return BODIES[name](in_channels, out_channels, **body_options(name, **options))


def _zero_init(conv: nn.Conv2d) -> nn.Conv2d:
    nn.init.zeros_(conv.weight)
    nn.init.zeros_(conv.bias)
    return conv


class ResidualBlock(nn.Module):
    """``h + conv(relu(conv(h)))``: the block of EDSR (no batch normalisation)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return h + self.conv2(F.relu(self.conv1(h)))


@register_body("resnet")
class ResidualCNN(nn.Module):
    """conv → ``num_residuals`` residual blocks → conv, optionally on a decimated grid.

    Parameters
    ----------
    in_channels, out_channels : int
        Channels of the input and of the output.
    base_filter : int
        Feature channels.
    num_residuals : int
        Residual blocks.
    decimation : int
        The blocks work on a grid ``decimation`` times coarser: the input is folded
        into channels (pixel unshuffle) and the output unfolded (pixel shuffle). 4 for
        the ×4 super-resolution heads puts the work on the low-resolution grid.
    """

    def __init__(
        self, in_channels: int, out_channels: int, *, base_filter: int = 32, num_residuals: int = 8, decimation: int = 1
    ) -> None:
        super().__init__()
        if decimation < 1 or base_filter < 1 or num_residuals < 0:
            raise RestoreError(
                f"resnet body needs base_filter >= 1, num_residuals >= 0, decimation >= 1; "
                f"got {base_filter}, {num_residuals}, {decimation}",
                "use e.g. base_filter=32, num_residuals=8",
            )
        self.multiple = decimation
        fold = decimation**2
        self.head = nn.Conv2d(in_channels * fold, base_filter, 3, padding=1)
        self.blocks = nn.Sequential(*(ResidualBlock(base_filter) for _ in range(num_residuals)))
        self.tail = _zero_init(nn.Conv2d(base_filter, out_channels * fold, 3, padding=1))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if self.multiple > 1:
            z = F.pixel_unshuffle(z, self.multiple)
        h = self.head(z)
        out = self.tail(h + self.blocks(h))
        return F.pixel_shuffle(out, self.multiple) if self.multiple > 1 else out


@register_body("unet")
class UNet(nn.Module):
    """A U-Net: ``depth`` halvings with doubling features, skip connections by addition.

    Each scale runs ``num_residuals`` residual blocks on the way down and on the way
    up; the coarse scales see far at little cost (large blurs need a wide view).

    Parameters
    ----------
    in_channels, out_channels : int
        Channels of the input and of the output.
    base_filter : int
        Features at full resolution; scale ``k`` has ``base_filter · 2**k``.
    num_residuals : int
        Residual blocks per scale and direction.
    depth : int
        Number of halvings; sizes must be multiples of ``2**depth``.
    """

    def __init__(
        self, in_channels: int, out_channels: int, *, base_filter: int = 24, num_residuals: int = 1, depth: int = 3
    ) -> None:
        super().__init__()
        if depth < 1 or base_filter < 1 or num_residuals < 0:
            raise RestoreError(
                f"unet body needs base_filter >= 1, num_residuals >= 0, depth >= 1; "
                f"got {base_filter}, {num_residuals}, {depth}",
                "use e.g. base_filter=24, num_residuals=1, depth=3",
            )
        self.multiple = 2**depth
        width = [base_filter * 2**k for k in range(depth + 1)]
        self.head = nn.Conv2d(in_channels, width[0], 3, padding=1)
        stage = lambda c: nn.Sequential(*(ResidualBlock(c) for _ in range(num_residuals)))  # noqa: E731
        self.down = nn.ModuleList(stage(width[k]) for k in range(depth))
        self.shrink = nn.ModuleList(nn.Conv2d(width[k], width[k + 1], 2, stride=2) for k in range(depth))
        self.bottom = stage(width[depth])
        self.grow = nn.ModuleList(nn.ConvTranspose2d(width[k + 1], width[k], 2, stride=2) for k in range(depth))
        self.up = nn.ModuleList(stage(width[k]) for k in range(depth))
        self.tail = _zero_init(nn.Conv2d(width[0], out_channels, 3, padding=1))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.head(z)
        skips = []
        for stage, shrink in zip(self.down, self.shrink):
            h = stage(h)
            skips.append(h)
            h = shrink(F.relu(h))
        h = self.bottom(h)
        for k in reversed(range(len(skips))):
            h = self.up[k](self.grow[k](h) + skips[k])
        return self.tail(F.relu(h))
