"""Datasets: folders of images, and where to find (or fetch) BSDS500."""

from restoretk.data.datasets import (
    BSDS500_SIZES,
    BSDS500_SPLITS,
    DATA_ENV,
    IMAGE_SUFFIXES,
    ImageFolder,
    bsds500,
    candidate_roots,
    download_bsds500,
    find_data_root,
)

__all__ = [
    "BSDS500_SIZES",
    "BSDS500_SPLITS",
    "DATA_ENV",
    "IMAGE_SUFFIXES",
    "ImageFolder",
    "bsds500",
    "candidate_roots",
    "download_bsds500",
    "find_data_root",
]
