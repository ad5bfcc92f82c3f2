"""Fixtures shared by the bench's tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from restoretk.io import write_image


@pytest.fixture(scope="module")
def images(tmp_path_factory) -> Path:
    """Three small 8-bit photos-to-be (64×72, room for a 31×31 shake): shading, edges, texture, seeded."""
    folder = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(7)
    rows, cols = np.mgrid[0:64, 0:72] / 64.0
    for k in range(3):
        shading = 0.3 + 0.4 * np.sin(2 * np.pi * (rows * (k + 1) / 2 + cols / 3))
        squares = ((np.floor(rows * 6) + np.floor(cols * 5 + k)) % 2) * 0.25
        texture = rng.random((64, 72, 3)) * 0.2
        image = np.clip(shading[..., None] * [1.0, 0.8, 0.6] + squares[..., None] + texture, 0, 1)
        write_image(folder / f"img{k}.png", image, bit_depth=8)
    return folder
