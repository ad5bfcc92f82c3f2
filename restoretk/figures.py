"""Figures a person would rather look at than read: comparison grids and convergence plots."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from restoretk.io.atomic import atomic_path

__all__ = ["comparison_figure", "convergence_figure"]


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: str | os.PathLike[str]) -> Path:
    """Save atomically (:func:`restoretk.io.atomic.atomic_path`), then close the figure."""
    path = Path(path)
    try:
        with atomic_path(path) as temporary:
            fig.savefig(temporary, dpi=110, bbox_inches="tight")
    finally:
        _pyplot().close(fig)
    return path


def _show(ax, image: np.ndarray) -> None:
    ax.imshow(np.clip(image, 0, 1), cmap="gray" if image.ndim == 2 else None, vmin=0, vmax=1, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])


def comparison_figure(
    panels: Mapping[str, np.ndarray],
    path: str | os.PathLike[str],
    *,
    crop: tuple[int, int, int] | None = None,
    title: str | None = None,
) -> Path:
    """Side-by-side images with a zoomed crop of each underneath.

    Parameters
    ----------
    panels : mapping of str to numpy.ndarray
        Caption → image (H×W or H×W×3 in [0, 1]); images of other sizes than the
        first are shown as they are (a low-resolution input keeps its size).
    path : path-like
        Output PNG, written atomically.
    crop : (row, col, size), optional
        Zoom window in the coordinates of the *last* panel (typically the ground
        truth); defaults to the most detailed square of a sixth of the image.
    title : str, optional
        Figure title.
    """
    plt = _pyplot()
    names = list(panels)
    reference = np.asarray(panels[names[-1]])
    if crop is None:
        crop = _busiest_square(reference, max(16, min(reference.shape[:2]) // 6))
    row, col, size = crop
    fig, axes = plt.subplots(2, len(names), figsize=(3.2 * len(names), 6.2), squeeze=False)
    for k, name in enumerate(names):
        image = np.asarray(panels[name])
        factor = image.shape[0] / reference.shape[0]
        _show(axes[0, k], image)
        axes[0, k].set_title(name, fontsize=9)
        r, c, s = (int(round(v * factor)) for v in (row, col, size))
        axes[0, k].add_patch(plt.Rectangle((c, r), s, s, fill=False, edgecolor="yellow", linewidth=1))
        _show(axes[1, k], image[r : r + s, c : c + s])
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return _save(fig, path)


def convergence_figure(
    history: Sequence[Mapping[str, float]], path: str | os.PathLike[str], *, title: str | None = None
) -> Path:
    """Loss, PSNR and SSIM per epoch, train and val, from rows like ``{'epoch': 1, 'train_loss': ...}``."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    epochs = [row["epoch"] for row in history]
    for ax, metric in zip(axes, ("loss", "psnr", "ssim")):
        for split in ("train", "val"):
            key = f"{split}_{metric}"
            values = [row.get(key, np.nan) for row in history]
            if not np.all(np.isnan(values)):
                ax.plot(epochs, values, marker="o", markersize=3, label=split)
        ax.set_xlabel("epoch")
        ax.set_title(metric.upper() if metric != "loss" else "loss")
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return _save(fig, path)


def _busiest_square(image: np.ndarray, size: int) -> tuple[int, int, int]:
    """The ``size``-square with the most gradient energy: where a difference shows."""
    grey = image if image.ndim == 2 else image.mean(axis=-1)
    energy = np.abs(np.diff(grey, axis=0))[:, :-1] + np.abs(np.diff(grey, axis=1))[:-1, :]
    integral = np.pad(energy.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    sums = integral[size:, size:] - integral[:-size, size:] - integral[size:, :-size] + integral[:-size, :-size]
    row, col = np.unravel_index(np.argmax(sums), sums.shape)
    return int(row), int(col), size
