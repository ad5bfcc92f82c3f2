"""Every file restoretk writes: through the one atomic writer, with the umask's permissions."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from restoretk.bench.report import write_report
from restoretk.bench.runner import open_images, run_bench
from restoretk.bench.scenarios import get_scenario
from restoretk.cli import app
from restoretk.figures import comparison_figure
from restoretk.io import atomic_open, atomic_path, atomic_write_bytes, atomic_write_text, write_image
from restoretk.learners.heads import build_head
from restoretk.learners.training import TrainConfig, Trainer
from restoretk.learners.weights import save_weights

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")


@pytest.fixture(params=[0o027, 0o002], ids=["umask-027", "umask-002"])
def umask(request):
    previous = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(previous)


def modes(folder: Path) -> dict[str, int]:
    """Permission bits of every file under ``folder``, by relative path."""
    return {p.relative_to(folder).as_posix(): p.stat().st_mode & 0o777 for p in folder.rglob("*") if p.is_file()}


def photo_folders(root: Path) -> Path:
    """A BSDS500-like folder (train/, val/, test/) of small smooth colour photos."""
    rng = np.random.default_rng(3)
    rows, cols = np.mgrid[0:64, 0:72] / 64.0
    for split, count in (("train", 2), ("val", 2), ("test", 3)):
        for k in range(count):
            shading = 0.5 + 0.3 * np.sin(2 * np.pi * (rows * (k + 1) + cols / 2))
            image = np.clip(shading[..., None] * [1.0, 0.8, 0.6] + 0.1 * rng.random((64, 72, 3)), 0, 1)
            (root / split).mkdir(parents=True, exist_ok=True)
            write_image(root / split / f"{k}.png", image)
    return root


def test_everything_written_gets_the_umask_permissions(tmp_path, umask):
    expected = 0o666 & ~umask
    data = photo_folders(tmp_path / "data")

    # an image, a PSF file (as the command line writes it), weights
    (tmp_path / "out").mkdir()
    write_image(tmp_path / "out" / "restored.tif", np.zeros((4, 4)), bit_depth=16)
    assert CliRunner().invoke(app, ["psf", "gauss:2", "-o", str(tmp_path / "out" / "kernel.png")]).exit_code == 0
    head = build_head("srnet", "resnet", {"base_filter": 4, "num_residuals": 1, "decimation": 2})
    save_weights(head, tmp_path / "out" / "model.safetensors")

    # a training run of two steps: config, checkpoint, weights, metrics, convergence figure
    config = TrainConfig(
        out=str(tmp_path / "train"), body_options={"base_filter": 4, "num_residuals": 1}, epochs=1, steps_per_epoch=2,
        batch_size=2, patch=16, data=str(data), val_images=1, seed=1, threads=1, workers=0, precision="fp32",
    )  # fmt: skip
    trainer = Trainer(config)
    assert trainer.fit()
    trainer.save_checkpoint()

    # a tiny bench with its report (tables, stamp, the comparison figure) and a figure
    folder, label = open_images(data / "val", None, None)
    run = run_bench([get_scenario("deblur-gauss2")], folder, label, tmp_path / "bench", methods=["wiener"], workers=1, progress=False)
    write_report(run)
    assert not run.failures, run.failures
    comparison_figure({"a": np.zeros((32, 32)), "b": np.eye(32)}, tmp_path / "out" / "figure.png")

    written = modes(tmp_path)
    for name in ("out/restored.tif", "out/kernel.png", "out/model.safetensors", "out/figure.png", "data/val/0.png",
                 "train/config.json", "train/checkpoint.pt", "train/model.safetensors", "train/metrics.csv",
                 "train/convergence.png", "bench/per_image.csv", "bench/stamp.txt", "bench/summary.csv",
                 "bench/summary.md", "bench/figures/deblur-gauss2.png"):  # fmt: skip
        assert name in written, f"{name} was not written; found {sorted(written)}"
    assert {name: oct(mode) for name, mode in written.items() if mode != expected} == {}
    assert not [name for name in written if "/." in f"/{name}"]  # no temporary file left behind


@pytest.mark.parametrize("writer", ["path", "open", "bytes", "text"])
def test_interrupted_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch, writer):
    target = tmp_path / "table.csv"
    target.write_text("old\n")
    target.chmod(0o640)

    class Interrupted(Exception):
        pass

    def write_then_fail():
        if writer == "path":
            with atomic_path(target) as temporary:
                temporary.write_text("half")
                raise Interrupted
        elif writer == "open":
            with atomic_open(target) as handle:
                handle.write("half")
                raise Interrupted
        elif writer == "bytes":
            atomic_write_bytes(target, b"half")
        else:
            atomic_write_text(target, "half")

    def fail(descriptor):
        raise Interrupted

    with monkeypatch.context() as patch, pytest.raises(Interrupted):
        if writer in ("bytes", "text"):
            patch.setattr(os, "fsync", fail)  # interrupted after the data, before the rename
        write_then_fail()
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["table.csv"]

    with atomic_open(target) as handle:  # a complete write replaces it, keeping its permissions
        handle.write("new\n")
    assert target.read_text() == "new\n" and target.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["table.csv"]


def test_keyboard_interrupt_inside_the_block_removes_the_temporary(tmp_path):
    target = tmp_path / "model.safetensors"
    with pytest.raises(KeyboardInterrupt), atomic_path(target) as temporary:
        temporary.write_bytes(b"partial")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_without_overwrite_an_existing_file_is_left_alone(tmp_path):
    target = atomic_write_text(tmp_path / "stamp.txt", "first\n")
    with pytest.raises(FileExistsError):
        atomic_write_text(target, "second\n", overwrite=False)
    assert target.read_text() == "first\n"
    assert [p.name for p in tmp_path.iterdir()] == ["stamp.txt"]
