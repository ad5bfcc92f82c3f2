"""Learned restorers: bodies, heads (the null-space property), pairs, tiling, weights, training and resume.

Everything runs on tiny networks and small synthetic photos, seeded; no test needs
BSDS500 or shipped weights.
"""

from __future__ import annotations

import csv
import dataclasses
import shutil
import subprocess
import sys
import signal

import cv2
import numpy as np
import pytest
import torch
from torch import nn
from typer.testing import CliRunner

import restoretk
from restoretk.degradation import observe
from restoretk.errors import RestoreError
from restoretk.learners import bodies, precision, weights
from restoretk.learners.bodies import body_options, build_body, list_bodies, register_body
from restoretk.learners.degradations import DEGRADATIONS, PairSampler, validation_pairs
from restoretk.learners.heads import HEADS, build_head, dynamic_filter
from restoretk.learners.inference import restore_tiled, run_body
from restoretk.learners.methods import learned_restore
from restoretk.learners.training import TrainConfig, Trainer
from restoretk.learners.weights import load_weights, read_metadata, save_weights, weights_for
from restoretk.methods.classical import wiener
from restoretk.solvers.wiener import degradation_operator, natural_image_prior
from restoretk.methods.registry import Degradation
from restoretk.psf import parse
from restoretk.resize import downscale_kernel

TINY = {"base_filter": 4, "num_residuals": 1}


def randomised(head: nn.Module, seed: int = 0) -> nn.Module:
    """The head with every weight drawn at random, so the body's output is far from zero."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in head.parameters():
            p.copy_(0.1 * torch.randn(p.shape, generator=generator))
    return head.eval()


def smooth_photo(rng: np.random.Generator, shape=(40, 48), channels=3) -> np.ndarray:
    """A random image with photo-like smoothness, channels first, float32 in [0, 1]."""
    image = cv2.GaussianBlur(rng.random(shape + (channels,)).astype(np.float32), (0, 0), 2)
    image = (image - image.min()) / (image.max() - image.min())
    return np.moveaxis(image.reshape(shape + (channels,)), -1, 0).copy()


# -- bodies ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list_bodies())
def test_every_body_keeps_the_size_and_starts_at_zero(name):
    body = build_body(name, 6, 3, **({"depth": 2} if name == "unet" else {}))
    z = torch.rand(2, 6, 4 * body.multiple, 2 * body.multiple)
    out = body(z)
    assert out.shape == (2, 3) + z.shape[-2:]
    assert torch.count_nonzero(out) == 0  # the residual heads start as their classical estimate
    assert run_body(body, torch.rand(1, 6, 13, 11)).shape == (1, 3, 13, 11)


def test_resnet_decimation_runs_on_the_coarse_grid():
    body = build_body("resnet", 3, 3, base_filter=8, num_residuals=2, decimation=4)
    assert body.multiple == 4 and body.head.in_channels == 3 * 16


def test_a_new_body_is_one_registered_class(request):
    request.addfinalizer(lambda: bodies.BODIES.unregister("tiny"))

    @register_body("tiny")
    class Tiny(nn.Module):
        multiple = 1

        def __init__(self, in_channels, out_channels, *, width=2):
            super().__init__()
            self.conv = nn.Conv2d(in_channels, out_channels, 3, padding=1)

        def forward(self, z):
            return self.conv(z)

    head = build_head("mpr", "tiny", {"width": 3})
    assert head.architecture["body_options"] == {"width": 3}
    assert head.restore(smooth_photo(np.random.default_rng(0)), Degradation(parse("gauss:1"))).shape == (3, 40, 48)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: body_options("resnett"), "unknown network body 'resnett'; use one of: resnet, unet"),
        (lambda: body_options("resnet", depth=3), "has no hyper-parameter 'depth'"),
        (lambda: build_body("resnet", 3, 3, decimation=0), "decimation >= 1"),
        (lambda: build_head("mrp", "resnet"), "unknown head 'mrp'"),
    ],
)
def test_bad_bodies_and_heads_are_one_line_errors(call, match):
    with pytest.raises(RestoreError, match=match):
        call()


# -- heads: the null-space property ----------------------------------------------------------


def ideal_low_pass(shape: tuple[int, int], cutoff: float) -> np.ndarray:
    """A centred kernel whose transfer is exactly 1 below ``cutoff`` cycles/pixel and 0 above.

    Its singular values are 1 or 0, nothing in between: the null space is exact.
    """
    frequency = np.hypot(*np.meshgrid(np.fft.fftfreq(shape[0]), np.fft.fftfreq(shape[1]), indexing="ij"))
    return np.fft.fftshift(np.fft.ifft2((frequency < cutoff).astype(float)).real)


CASES = {
    "mpr": Degradation(ideal_low_pass((32, 40), 0.3), 1, 0.01),
    "mpr-sr": Degradation(downscale_kernel(2), 2, 0.01),
}


@pytest.mark.parametrize("head_name", CASES)
def test_mpr_only_adds_what_the_camera_cannot_see(head_name):
    """``A x̂ = A A⁺_ε y`` for ε = 0, whatever the network outputs; not so for wiener-resid."""
    degradation = CASES[head_name]
    x = smooth_photo(np.random.default_rng(2), (32, 40))
    y, _ = observe(x, dataclasses.replace(degradation, formation="circular"), 1)  # the whole grid is the frame
    op = degradation_operator(degradation, x.shape[-2:])
    head = randomised(build_head(head_name, "resnet", TINY | {"decimation": degradation.scale}, scale=degradation.scale))
    restored = head.restore(y, degradation, boundary="circular", eps=0.0).astype(np.float64)
    estimate = op.pinv(y.astype(np.float64), 0.0, prior=natural_image_prior(op.in_shape))  # x_w = A⁺ y
    seen = op.forward(estimate)
    assert np.abs(restored - estimate).max() > 0.05  # the network did add something
    np.testing.assert_allclose(op.forward(restored), seen, atol=1e-5)
    if head_name == "mpr":
        ablation = randomised(build_head("wiener-resid", "resnet", TINY))
        unprojected = ablation.restore(y, degradation, boundary="circular", eps=0.0).astype(np.float64)
        assert np.abs(op.forward(unprojected) - seen).max() > 1e-2


@pytest.mark.parametrize("head_name", ["mpr", "mpr-df", "wiener-resid", "mpr-sr"])
def test_an_untrained_head_is_the_wiener_method(head_name):
    scale = HEADS[head_name].scale
    degradation = Degradation(downscale_kernel(scale) if scale > 1 else parse("motion:7,30"), scale, 0.01)
    y = smooth_photo(np.random.default_rng(3), (24, 28))
    head = build_head(head_name, "resnet", TINY | {"decimation": scale})
    expected = wiener(y, degradation, boundary="reflect")
    np.testing.assert_allclose(head.restore(y, degradation, boundary="reflect"), expected, atol=1e-5)


def test_the_dynamic_filter_keeps_flat_images_and_filters_per_pixel():
    flat = torch.full((1, 3, 9, 8), 0.4)
    taps = torch.randn(1, 25, 9, 8, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(dynamic_filter(flat, taps), flat)
    image = torch.rand(1, 3, 9, 8, generator=torch.Generator().manual_seed(1))
    taps = torch.zeros(1, 25, 9, 8)
    taps[0, 13, 4, 3] = 1.0  # at one pixel: weight 1 on its right neighbour (mean removed: -1/25 everywhere)
    out = dynamic_filter(image, taps)
    expected = image[0, :, 4, 3] + image[0, :, 4, 4] - image[0, :, 2:7, 1:6].mean(dim=(-1, -2))
    torch.testing.assert_close(out[0, :, 4, 3], expected)
    torch.testing.assert_close(out[0, :, 5, 5], image[0, :, 5, 5])


def test_mpr_df_starts_from_an_mpr_model_exactly_and_then_filters(tmp_path):
    degradation = Degradation(parse("gauss:1.5"), 1, 0.01)
    y = smooth_photo(np.random.default_rng(5), (28, 30))
    mpr = randomised(build_head("mpr", "resnet", TINY))
    refined = build_head("mpr-df", "resnet", TINY)
    refined.adopt(mpr)
    # equal up to float32 rounding: the last convolution has more output channels, and
    # the CPU kernels may sum its taps in another order
    np.testing.assert_allclose(refined.restore(y, degradation), mpr.restore(y, degradation), rtol=0, atol=2e-6)
    assert np.abs(randomised(refined).restore(y, degradation) - mpr.restore(y, degradation)).max() > 1e-3
    with pytest.raises(RestoreError, match="same `head`, `body`"):
        refined.adopt(build_head("wiener-resid", "resnet", TINY))
    with pytest.raises(RestoreError, match="same `head`, `body`"):
        refined.adopt(build_head("mpr", "resnet", TINY | {"num_residuals": 2}))


def test_srnet_starts_as_bicubic():
    y = smooth_photo(np.random.default_rng(4), (12, 10))
    head = build_head("srnet", "resnet", TINY | {"decimation": 4})
    restored = head.restore(y, Degradation(downscale_kernel(4), 4, 0.0))
    bicubic = restoretk.upscale(np.moveaxis(y, 0, -1), 4, "bicubic", clip=False)
    np.testing.assert_allclose(np.moveaxis(restored, 0, -1), bicubic, atol=1e-5)


def test_a_model_refuses_another_scale():
    head = build_head("mpr-sr", "resnet", TINY | {"decimation": 4})
    with pytest.raises(RestoreError, match="upscales by 4, not 2"):
        head.restore(np.zeros((3, 8, 8), np.float32), Degradation(downscale_kernel(2), 2, 0.0))


# -- training pairs --------------------------------------------------------------------------


def test_the_sampler_is_reproducible_from_its_state():
    photos = [np.random.default_rng(k).integers(0, 256, (70, 80, 3), dtype=np.uint8) for k in range(3)]
    sampler = PairSampler(photos, DEGRADATIONS["deblur"], 16, seed=7)
    sampler.batch(3)
    state = sampler.state
    first = sampler.batch(4)
    sampler.state = state
    again = sampler.batch(4)
    for a, b in zip(first, again):
        assert a.label == b.label
        np.testing.assert_array_equal(a.observation, b.observation)
        np.testing.assert_array_equal(a.target, b.target)
    assert len({p.label for p in first}) == 4  # every pair draws its own blur


def test_a_psf_error_tells_some_pairs_a_wrong_psf_reproducibly():
    photos = [np.random.default_rng(k).integers(0, 256, (70, 80, 3), dtype=np.uint8) for k in range(3)]
    deblur = DEGRADATIONS["deblur"]
    exact = PairSampler(photos, deblur, 16, seed=7).batch(12)
    assert all(np.array_equal(p.degradation.psf, parse(p.label)) for p in exact)
    for a, b in zip(exact, PairSampler(photos, deblur, 16, seed=7, psf_error=0.0).batch(12)):  # 0: as before
        assert a.label == b.label and np.array_equal(a.observation, b.observation)
    wrong, again = (PairSampler(photos, deblur, 16, seed=7, psf_error=0.2).batch(12) for _ in range(2))
    told_wrong = [not np.allclose(p.degradation.psf, parse(p.label)) for p in wrong]
    assert 2 <= sum(told_wrong) <= 10
    for p, q in zip(wrong, again):
        assert p.label == q.label and p.degradation.noise == q.degradation.noise
        np.testing.assert_array_equal(p.degradation.psf, q.degradation.psf)
        np.testing.assert_array_equal(p.observation, q.observation)
        assert p.degradation.psf.shape == parse(p.label).shape and p.degradation.psf.min() >= 0
    # the observation is made by the true PSF: the first pair is the exact sampler's first pair
    np.testing.assert_array_equal(wrong[0].observation, exact[0].observation)
    np.testing.assert_array_equal(wrong[0].target, exact[0].target)
    with pytest.raises(RestoreError, match="needs deblurring degradations"):
        PairSampler(photos, DEGRADATIONS["sr"], 16, seed=7, psf_error=0.2)


def test_validation_pairs_are_fixed_by_the_seed():
    photos = [np.random.default_rng(k).integers(0, 256, (60, 70, 3), dtype=np.uint8) for k in range(2)]
    a, b = (validation_pairs(photos, DEGRADATIONS["sr"], seed=3) for _ in range(2))
    assert [p.label for p in a] == [p.label for p in b]
    np.testing.assert_array_equal(a[1].observation, b[1].observation)


def test_patches_larger_than_the_photos_are_an_error():
    sampler = PairSampler([np.zeros((20, 20, 3), np.uint8)], DEGRADATIONS["deblur"], 32, seed=0)
    with pytest.raises(RestoreError, match="smaller than a patch"):
        sampler.batch(1)


# -- tiling ----------------------------------------------------------------------------------


def test_tiles_give_the_whole_image_result_for_a_local_network():
    head = randomised(build_head("srnet", "resnet", TINY | {"decimation": 4}), seed=1)
    y = smooth_photo(np.random.default_rng(6), (45, 38))
    degradation = Degradation(downscale_kernel(4), 4, 0.0)
    whole = head.restore(y, degradation, boundary="reflect")
    tiled = restore_tiled(lambda piece: head.restore(piece, degradation, boundary="reflect"), y, 4, 16, 12)
    np.testing.assert_allclose(tiled, whole, atol=1e-5)


def test_tiled_mpr_matches_one_piece(tmp_path):
    path = save_weights(randomised(build_head("mpr", "resnet", TINY), seed=2), tmp_path / "mpr.safetensors")
    y = smooth_photo(np.random.default_rng(7), (96, 90))
    degradation = Degradation(parse("gauss:1.5"), 1, 0.01)
    whole = learned_restore("mpr", y, degradation, weights=path, device="cpu", tile=128)
    tiled = learned_restore("mpr", y, degradation, weights=path, device="cpu", tile=40)
    assert np.abs(tiled - whole).mean() < 2e-3


# -- weights and methods ---------------------------------------------------------------------


def test_weights_round_trip_with_metadata(tmp_path):
    head = randomised(build_head("mpr", "unet", {"base_filter": 4, "num_residuals": 1, "depth": 2}))
    path = save_weights(head, tmp_path / "m.safetensors", epochs=3, val={"psnr": 30.0})
    loaded = load_weights(path)
    meta = read_metadata(path)
    assert meta["epochs"] == 3 and meta["val"]["psnr"] == 30.0 and meta["restoretk"] == restoretk.__version__
    assert meta["architecture"]["body_options"] == {"base_filter": 4, "num_residuals": 1, "depth": 2}
    y = smooth_photo(np.random.default_rng(8), (20, 24))
    degradation = Degradation(parse("gauss:1"), 1, 0.01)
    np.testing.assert_array_equal(loaded.restore(y, degradation), head.restore(y, degradation))


def test_the_api_runs_a_users_model_by_option(tmp_path):
    path = save_weights(randomised(build_head("mpr", "resnet", TINY)), tmp_path / "mine.safetensors")
    grey = smooth_photo(np.random.default_rng(9), (30, 34), channels=1)[0]
    restored = restoretk.deblur(grey, "gauss:1", "mpr", noise=0.01, weights=str(path), device="cpu")
    assert restored.shape == grey.shape and restored.dtype == np.float32
    with pytest.raises(RestoreError, match="holds a 'mpr' model, not 'wiener-resid'"):
        restoretk.deblur(grey, "gauss:1", "wiener-resid", noise=0.01, weights=str(path))


def test_missing_weights_say_how_to_get_them(tmp_path, monkeypatch):
    monkeypatch.setattr(weights, "shipped_weights", lambda: {})
    with pytest.raises(RestoreError, match="restoretk train --head mpr"):
        weights_for("mpr")
    with pytest.raises(RestoreError, match="not found"):
        read_metadata(tmp_path / "none.safetensors")


# -- training --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    """A BSDS500-like folder: train/, val/ and test/ of small smooth photos."""
    root = tmp_path_factory.mktemp("data")
    rng = np.random.default_rng(10)
    for split, count in (("train", 3), ("val", 2), ("test", 3)):
        (root / split).mkdir()
        for k in range(count):
            image = np.moveaxis(smooth_photo(rng, (56, 60)), 0, -1)
            cv2.imwrite(str(root / split / f"{k}.png"), np.round(image * 255).astype(np.uint8))
    return root


def tiny_run(out, photos, **changes) -> TrainConfig:
    settings = dict(
        out=str(out), body_options=dict(TINY), epochs=2, steps_per_epoch=3, batch_size=2, patch=16,
        data=str(photos), val_images=2, seed=5, threads=1, workers=0, precision="fp32",
    )  # fmt: skip
    return TrainConfig(**(settings | changes))


def read_rows(path):
    with open(path, newline="") as f:
        return [{k: v for k, v in row.items() if k != "seconds"} for row in csv.DictReader(f)]


def test_resume_after_ctrl_c_reproduces_the_uninterrupted_run(tmp_path, photos):
    straight = Trainer(tiny_run(tmp_path / "a", photos))
    assert straight.fit()

    # in a worker process this time: the draws must not depend on where they are made
    interrupted = Trainer(tiny_run(tmp_path / "b", photos, workers=1))
    step, calls = interrupted._train_step, []

    def ctrl_c_on_the_fifth_step(*batch):
        calls.append(1)
        if len(calls) == 5:
            signal.raise_signal(signal.SIGINT)
        return step(*batch)

    interrupted._train_step = ctrl_c_on_the_fifth_step
    assert not interrupted.fit()
    assert (interrupted.epoch, interrupted.step) == (1, 2)

    resumed = Trainer.resume(tmp_path / "b")
    assert resumed.fit()
    # Equal to float32 rounding: CPU convolutions may round differently with buffer alignment.
    straight_rows, resumed_rows = read_rows(tmp_path / "a" / "metrics.csv"), read_rows(tmp_path / "b" / "metrics.csv")
    assert len(straight_rows) == len(resumed_rows) == 2
    for row_a, row_b in zip(straight_rows, resumed_rows):
        assert row_a.keys() == row_b.keys()
        for key in row_a:
            assert float(row_a[key]) == pytest.approx(float(row_b[key]), rel=1e-6), key
    # Weights equal to far less than one Adam step (lr 1e-3): rounding noise, which Adam
    # scales up on the zero-initialised last layer's tiny gradients, stays near 1e-6.
    a, b = (load_weights(tmp_path / run / "model.safetensors").state_dict() for run in "ab")
    worst = max(float((a[k] - b[k]).abs().max()) for k in a)
    assert worst < 1e-4, worst
    assert (tmp_path / "b" / "convergence.png").stat().st_size > 0


def test_the_psf_error_is_kept_in_the_weights_and_by_resume(tmp_path, photos):
    assert Trainer(tiny_run(tmp_path / "run", photos, psf_error=0.2, epochs=1)).fit()
    meta = read_metadata(tmp_path / "run" / "model.safetensors")
    assert meta["training"]["psf_error"] == 0.2 and "told a PSF wrong by up to 0.2" in meta["data"]
    resumed = Trainer.resume(tmp_path / "run", epochs=2)
    assert resumed.config.psf_error == 0.2 and resumed.sampler.psf_error == 0.2


def test_init_starts_from_trained_weights_and_refuses_another_architecture(tmp_path, photos):
    assert Trainer(tiny_run(tmp_path / "first", photos, epochs=1)).fit()
    start = tmp_path / "first" / "model.safetensors"
    tuned = Trainer(tiny_run(tmp_path / "tuned", photos, init=str(start), seed=6))
    trained = load_weights(start).state_dict()
    assert all(torch.equal(tuned.model.state_dict()[k], trained[k]) for k in trained)
    fresh = Trainer(tiny_run(tmp_path / "fresh", photos, seed=6))
    assert not all(torch.equal(fresh.model.state_dict()[k], trained[k]) for k in trained)
    with pytest.raises(RestoreError, match="same `head`, `body`"):
        Trainer(tiny_run(tmp_path / "other", photos, head="wiener-resid", init=str(start)))


def test_fine_tuned_weights_record_the_runs_before_them(tmp_path, photos):
    assert Trainer(tiny_run(tmp_path / "first", photos, epochs=1)).fit()
    first = tmp_path / "first" / "model.safetensors"
    assert Trainer(tiny_run(tmp_path / "second", photos, epochs=2, init=str(first))).fit()
    second = tmp_path / "second" / "model.safetensors"
    assert Trainer(tiny_run(tmp_path / "third", photos, epochs=1, init=str(second))).fit()
    earlier = read_metadata(tmp_path / "third" / "model.safetensors")["earlier"]
    assert [run["epochs"] for run in earlier] == [1, 2]
    assert [run["weights"] for run in earlier] == [str(first), str(second)]
    assert read_metadata(first)["earlier"] == []
    from restoretk.cli import app

    listed = CliRunner().invoke(app, ["models", str(tmp_path / "third" / "model.safetensors")])
    assert f"fine-tuned from {second}, after 2 earlier run(s) of 1 + 2 epochs" in listed.output


def test_runs_of_any_seed_are_validated_on_the_same_pairs(tmp_path, photos):
    one, other = (Trainer(tiny_run(tmp_path / f"run{seed}", photos, seed=seed)) for seed in (5, 6))
    for a, b in zip(one.val_pairs, other.val_pairs):
        assert np.array_equal(a.observation, b.observation) and a.label == b.label
    assert one.sampler.batch(2)[0].observation.tobytes() != other.sampler.batch(2)[0].observation.tobytes()


def test_the_sr_task_trains_a_head_on_the_coarse_grid(tmp_path, photos):
    trainer = Trainer(tiny_run(tmp_path / "sr", photos, task="sr", head="srnet", patch=32, epochs=1, optimizer="sgd"))
    assert trainer.model.body.multiple == 4  # the task's default decimation
    assert trainer.fit()
    meta = read_metadata(tmp_path / "sr" / "model.safetensors")
    assert meta["architecture"]["scale"] == 4 and meta["val"]["images"] == 2 and np.isfinite(meta["val"]["psnr"])


@pytest.mark.parametrize(
    "changes, match",
    [
        ({"head": "mpr-sr"}, "head 'mpr-sr' is for task='sr'"),
        ({"optimizer": "lbfgs"}, "unknown optimizer 'lbfgs'"),
        ({"loss": "l2"}, "unknown loss 'l2'; use one of: mse, l1, smoothl1"),
        ({"task": "inpaint"}, "unknown task 'inpaint'"),
        ({"psf_error": 1.5}, r"PSF error 1.5 is not in \[0, 1\); use e.g. psf_error=0.2"),
    ],
)
def test_bad_training_settings_are_one_line_errors(tmp_path, photos, changes, match):
    with pytest.raises(RestoreError, match=match):
        tiny_run(tmp_path, photos, **changes)


def test_the_commands_train_and_list_models(tmp_path, photos, monkeypatch):
    from restoretk.cli import app

    runner = CliRunner()
    out = tmp_path / "run"
    args = ["train", "--out", str(out), "--data", str(photos), "--epochs", "1", "--steps-per-epoch", "2",
            "--batch-size", "2", "--patch", "16", "--base-filter", "4", "--num-residuals", "1",
            "--val-images", "1", "--threads", "1", "--psf-error", "0.1"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    again = runner.invoke(app, args)
    assert again.exit_code == 2 and "already holds a run" in again.output
    listed = runner.invoke(app, ["models", str(out / "model.safetensors")])
    assert listed.exit_code == 0 and "mpr (deblur, x1), body resnet(base_filter=4" in listed.output
    assert "16px patches, half told a PSF wrong by up to 0.1" in listed.output
    monkeypatch.setattr(weights, "shipped_weights", lambda: {})
    assert "no trained models ship" in runner.invoke(app, ["models"]).output


# -- precision -----------------------------------------------------------------------------


def test_auto_precision_is_bf16_only_where_the_cpu_has_it(monkeypatch):
    monkeypatch.setattr(precision, "cpu_flags", lambda: frozenset({"avx2", "fma"}))
    assert precision.resolve_precision("auto", "cpu") is None
    monkeypatch.setattr(precision, "cpu_flags", lambda: frozenset({"avx2", "avx512_bf16"}))
    assert precision.resolve_precision("auto", "cpu") is torch.bfloat16
    monkeypatch.setattr(precision, "cpu_flags", lambda: frozenset({"amx_bf16"}))
    assert precision.resolve_precision("auto", "cpu") is torch.bfloat16
    assert precision.resolve_precision("fp32", "cpu") is None
    with pytest.raises(RestoreError, match="use one of: auto, bf16, fp16, fp32"):
        precision.resolve_precision("half")


def test_a_cpu_without_bf16_trains_in_float32(tmp_path, photos, monkeypatch):
    monkeypatch.setattr(precision, "cpu_flags", lambda: frozenset())
    trainer = Trainer(tiny_run(tmp_path / "run", photos, precision="auto", epochs=1))
    assert trainer.model.precision is None
    assert trainer.fit()
    assert read_metadata(tmp_path / "run" / "model.safetensors")["hardware"].endswith("float32")


def test_bf16_training_keeps_float32_weights_and_fourier_maths(tmp_path, photos):
    trainer = Trainer(tiny_run(tmp_path / "run", photos, precision="bf16", epochs=1))
    assert trainer.fit()
    assert all(p.dtype == torch.float32 for p in trainer.model.parameters())
    assert all(s.dtype == torch.float32 for group in trainer.optimizer.state.values() for s in group.values()
               if torch.is_tensor(s) and s.is_floating_point())  # fmt: skip
    assert read_metadata(tmp_path / "run" / "model.safetensors")["hardware"].endswith("bfloat16 autocast")
    # the restored image is float32, and close to the float32 body's (bf16 keeps 8 bits of mantissa)
    head = trainer.model
    y = smooth_photo(np.random.default_rng(3), (28, 30))
    degradation = Degradation(parse("gauss:1.5"), 1, 0.01)
    half = head.restore(y, degradation)
    full = head.set_precision(None, channels_last=False).restore(y, degradation)
    assert half.dtype == np.float32 and 0 < np.abs(half - full).max() < 0.02


def test_channels_last_changes_nothing_but_the_memory_order():
    head = randomised(build_head("mpr", "resnet", TINY))
    y = smooth_photo(np.random.default_rng(4), (28, 30))
    degradation = Degradation(parse("gauss:1.5"), 1, 0.01)
    plain = head.restore(y, degradation)
    np.testing.assert_allclose(head.set_precision(None, channels_last=True).restore(y, degradation), plain, atol=1e-5)



# -- denoising and the held-out splits -------------------------------------------------------


def test_a_denoiser_trains_on_train_and_test_and_never_sees_val(tmp_path, photos):
    trainer = Trainer(tiny_run(tmp_path / "run", photos, task="denoise", val_images=1))
    assert trainer.config.head == "denoiser" and trainer.train_count == 3 + 2
    test_photos = sorted((photos / "test").iterdir())
    held_out = cv2.imread(str(test_photos[-1]))[..., ::-1]
    assert np.array_equal(trainer.val_pairs[0].target, np.moveaxis(held_out, -1, 0).astype(np.float32) / 255)
    assert trainer.fit()
    meta = read_metadata(tmp_path / "run" / "model.safetensors")
    assert "the last 1 of test held out" in meta["data"] and meta["val"]["protocol"].startswith("BSDS500 test")
    with pytest.raises(RestoreError, match="would hold out all 3 test photos"):
        Trainer(tiny_run(tmp_path / "other", photos, task="denoise", val_images=3))


def test_the_denoiser_is_told_the_noise_level():
    head = randomised(build_head("denoiser", "resnet", TINY))
    y = smooth_photo(np.random.default_rng(6), (24, 26))
    quiet, loud = (head.restore(y, Degradation(np.ones((1, 1)), 1, sigma)) for sigma in (0.01, 0.2))
    assert quiet.shape == y.shape and np.abs(quiet - loud).max() > 1e-3
    # the body starts at zero: an untrained denoiser returns its input
    np.testing.assert_allclose(build_head("denoiser", "resnet", TINY).restore(y, Degradation(np.ones((1, 1)), 1, 0.1)), y)


# -- several ranks -----------------------------------------------------------------------------


def test_two_gloo_ranks_train_what_one_process_trains_with_the_same_batch(tmp_path, photos):
    one = Trainer(tiny_run(tmp_path / "one", photos, epochs=1))
    assert one.fit()
    arguments = [
        "--out", str(tmp_path / "two"), "--body", "resnet", "--base-filter", "4", "--num-residuals", "1",
        "--epochs", "1", "--steps-per-epoch", "3", "--batch-size", "2", "--patch", "16", "--data", str(photos),
        "--val-images", "2", "--seed", "5", "--threads", "1", "--workers", "0", "--precision", "fp32", "--nproc", "2",
    ]  # fmt: skip
    def train():
        shutil.rmtree(tmp_path / "two", ignore_errors=True)  # a fresh run each try
        return subprocess.run(
            [sys.executable, "-m", "restoretk", "train", *arguments], capture_output=True, text=True, timeout=300
        )

    # In about one full-suite run in three (2 loaded cores, Dask clusters beside it) a rank
    # aborted (SIGABRT) before its first step; it never reproduced alone. Up to three
    # tries tell such a start-up fault from a wrong result, which fails every time.
    for _ in range(3):
        done = train()
        if done.returncode == 0:
            break
    assert done.returncode == 0, done.stderr[-6000:]
    a, b = (load_weights(tmp_path / run / "model.safetensors").state_dict() for run in ("one", "two"))
    worst = max(float((a[k] - b[k]).abs().max()) for k in a)
    assert worst < 1e-4, worst  # float rounding: gradients are summed in another order
    assert "2 ranks (DDP)" in read_metadata(tmp_path / "two" / "model.safetensors")["hardware"]
    rows_one, rows_two = read_rows(tmp_path / "one" / "metrics.csv"), read_rows(tmp_path / "two" / "metrics.csv")
    assert float(rows_one[0]["val_psnr"]) == pytest.approx(float(rows_two[0]["val_psnr"]), abs=1e-3)
    assert float(rows_one[0]["train_loss"]) == pytest.approx(float(rows_two[0]["train_loss"]), rel=1e-4)


def test_nproc_is_not_passed_on_to_the_ranks():
    from restoretk.cli.train import without_nproc

    assert without_nproc(["--nproc", "2", "--epochs", "3", "--nproc=4"]) == ["--epochs", "3"]


def test_a_dead_data_worker_is_a_one_line_error():
    from restoretk.learners.batches import _answered

    def dying():
        yield "batch"
        raise RuntimeError("DataLoader worker (pid(s) 123) exited unexpectedly")

    stream = _answered(dying())
    assert next(stream) == "batch"
    with pytest.raises(RestoreError, match=r"a data worker failed \(DataLoader worker .* exited unexpectedly\); "
                       r"resume \(`resume`\) with workers=0"):
        next(stream)
