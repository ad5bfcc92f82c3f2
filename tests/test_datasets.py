"""Finding BSDS500 and reading folders of images."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from restoretk.data import (
    BSDS500_SIZES,
    DATA_ENV,
    ImageFolder,
    bsds500,
    find_data_root,
)
from restoretk.errors import InputError


def _bsds_root() -> Path | None:
    env = os.environ.get(DATA_ENV)
    candidates = [Path(env)] if env else []
    candidates.append(Path(__file__).resolve().parents[2] / "shared/data/BSDS500")
    return next((p for p in candidates if (p / "val").is_dir()), None)


BSDS = _bsds_root()


def _write(path: Path, shape=(6, 8, 3), value=0) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), np.full(shape, value, np.uint8))


@pytest.fixture
def nowhere(tmp_path, monkeypatch):
    """A working directory and home without any BSDS500, and no RESTORETK_DATA."""
    monkeypatch.delenv(DATA_ENV, raising=False)
    work = tmp_path / "work" / "repo"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path


@pytest.fixture
def fake_bsds(tmp_path) -> Path:
    root = tmp_path / "BSDS500"
    for split, n in (("train", 3), ("val", 2), ("test", 1)):
        for i in range(n):
            _write(root / split / f"{split}{i}.jpg")
    (root / "README.md").write_text("not an image")
    return root


def test_image_folder_is_sorted_and_ignores_other_files(tmp_path):
    for name in ("b.png", "a.jpg", "c.PNG"):
        _write(tmp_path / name)
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "sub").mkdir()
    folder = ImageFolder(tmp_path)
    assert [p.name for p in folder.paths] == ["a.jpg", "b.png", "c.PNG"]
    assert len(folder) == 3 and folder.names == ["a", "b", "c"]
    first = folder.limit(2)
    assert [p.name for p in first.paths] == ["a.jpg", "b.png"] and len(folder) == 3
    assert len(folder.limit(10)) == 3
    with pytest.raises(InputError, match="0"):
        folder.limit(0)


def test_split_selects_subfolder_and_unknown_split_lists_existing(fake_bsds):
    assert len(ImageFolder(fake_bsds, "train")) == 3
    assert ImageFolder(fake_bsds, split="val").folder == fake_bsds / "val"
    with pytest.raises(InputError, match=r"'valid'.*test, train, val"):
        ImageFolder(fake_bsds, "valid")


def test_missing_or_empty_folder(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        ImageFolder(tmp_path / "absent")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no images in"):
        ImageFolder(tmp_path / "empty")


def test_items_are_float32_rgb(tmp_path):
    _write(tmp_path / "grey.png", shape=(5, 7), value=255)
    bgr = np.zeros((5, 7, 3), np.uint8)
    bgr[..., 2] = 255  # red in OpenCV's BGR order
    cv2.imwrite(str(tmp_path / "red.png"), bgr)
    folder = ImageFolder(tmp_path)
    name, image = folder[0]
    assert name == "grey" and image.shape == (5, 7, 3) and image.dtype == np.float32
    np.testing.assert_allclose(image, 1.0)
    name, image = folder[1]
    assert name == "red"
    np.testing.assert_allclose(image[0, 0], [1.0, 0.0, 0.0])
    assert [n for n, _ in folder] == ["grey", "red"]


def test_data_argument_wins_and_must_be_valid(fake_bsds, nowhere, monkeypatch, tmp_path):
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "elsewhere"))
    assert find_data_root(fake_bsds) == fake_bsds.resolve()
    assert find_data_root(str(fake_bsds)) == fake_bsds.resolve()
    with pytest.raises(InputError, match=r"data=.*train/, val/ or test/"):
        find_data_root(tmp_path / "work")


def test_environment_variable(fake_bsds, nowhere, monkeypatch, tmp_path):
    monkeypatch.setenv(DATA_ENV, str(fake_bsds))
    assert find_data_root() == fake_bsds.resolve()
    assert len(bsds500("train")) == 3
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "absent"))
    with pytest.raises(InputError, match=f"{DATA_ENV}=.*absent"):
        find_data_root()


def test_standard_places(fake_bsds, nowhere):
    shared = nowhere / "work" / "shared" / "data"
    shared.mkdir(parents=True)
    fake_bsds.rename(shared / "BSDS500")
    assert find_data_root() == (shared / "BSDS500").resolve()
    local = Path.cwd() / "data" / "BSDS500"
    _write(local / "val" / "1.png")
    assert find_data_root() == local.resolve()  # ./data comes before ../shared


def test_home_cache(nowhere):
    cache = nowhere / "home" / ".cache" / "restoretk" / "BSDS500"
    _write(cache / "test" / "1.png")
    assert find_data_root() == cache.resolve()


def test_absent_data_says_where_it_looked_and_what_to_do(nowhere):
    with pytest.raises(InputError) as caught:
        find_data_root()
    message = str(caught.value)
    assert "\n" not in message
    for needle in ("data/BSDS500", "shared/data/BSDS500", ".cache/restoretk/BSDS500"):
        assert needle in message
    for needle in ("berkeley.edu", "data='DIR'", f"{DATA_ENV}=DIR", "restoretk fetch-data"):
        assert needle in message


def test_unknown_bsds_split(fake_bsds):
    with pytest.raises(InputError, match="'training'.*train, val, test"):
        bsds500("training", data=fake_bsds)


@pytest.mark.bsds
@pytest.mark.skipif(BSDS is None, reason="BSDS500 not found (../shared/data/BSDS500 or RESTORETK_DATA)")
def test_bsds500_split_sizes():
    assert BSDS is not None
    for split, size in BSDS500_SIZES.items():
        folder = ImageFolder(BSDS, split)
        assert len(folder) == size
        assert all(p.suffix == ".jpg" for p in folder.paths)
    assert len(bsds500("val", data=BSDS)) == 100
