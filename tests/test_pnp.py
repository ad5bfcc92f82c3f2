"""Plug-and-play restoration: the schedule, the solver's plumbing, the denoiser registry, the method."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data

import restoretk
from restoretk.errors import RestoreError
from restoretk.methods.registry import Degradation
from restoretk.metrics import psnr
from restoretk.psf import parse
from restoretk.solvers import denoisers, get_denoiser, list_denoisers, plug_and_play, register_denoiser, sigma_schedule
from restoretk.solvers.wiener import degradation_operator


def scene(size=96):
    return (data.camera()[200 : 200 + size, 200 : 200 + size] / 255.0).astype(np.float32)


def test_the_schedule_falls_geometrically_from_sigma_start_to_the_noise():
    sigmas = sigma_schedule(0.02, 6, sigma_start=0.2)
    assert sigmas[0] == pytest.approx(0.2) and sigmas[-1] == pytest.approx(0.02)
    np.testing.assert_allclose(sigmas[1:] / sigmas[:-1], (0.1) ** (1 / 5))
    assert sigma_schedule(0.0, 3)[-1] > 0  # floored at the noise of 8-bit rounding
    with pytest.raises(RestoreError, match="iterations=0 must be at least 1"):
        sigma_schedule(0.01, 0)


def test_with_a_denoiser_that_knows_the_answer_the_solver_finds_it():
    # the plumbing (extension, data step on the extended grid, crop) keeps the frame aligned:
    # a prior that pulls every iterate towards the truth (past the frame: its mirror) wins
    truth = scene()[None]
    degradation = Degradation(parse("gauss:1.5"), 1, 0.01)
    observed = restoretk.degrade(truth[0], "gauss:1.5", noise=0.01, boundary="reflect", seed=1)[None]

    def oracle(image, sigma):
        rows, cols = image.shape[-2:]
        top, left = (rows - truth.shape[-2]) // 2, (cols - truth.shape[-1]) // 2
        out = image.copy()
        out[:, top : top + truth.shape[-2], left : left + truth.shape[-1]] = truth
        return out

    restored = plug_and_play(observed, degradation, oracle, boundary="reflect")
    assert psnr(restored, truth) > 45
    assert psnr(restoretk.deblur(observed[0], "gauss:1.5", noise=0.01), truth[0]) < 35


def test_the_null_space_form_leaves_what_the_camera_sees_to_the_inverse():
    # x̂ = A⁺_α y + (I − A⁺_α A) z: the denoiser's z adds only what A barely sees
    truth = scene(64)
    psf = parse("gauss:1.5")
    observed = restoretk.degrade(truth, psf, noise=0.01, boundary="circular", seed=2)[None].astype(np.float32)
    degradation = Degradation(psf, 1, 0.01)
    op = degradation_operator(degradation, truth.shape)
    lam = 1e-3
    inverse = op.pinv(observed, lam)
    blank = plug_and_play(observed, degradation, lambda x, s: np.zeros_like(x), form="null-space", boundary="circular", lam=lam)
    np.testing.assert_allclose(blank, inverse, atol=1e-5)  # nothing from the prior: the inverse itself
    tv = plug_and_play(observed, degradation, get_denoiser("tv").denoise, form="null-space", boundary="circular", lam=lam)
    added = tv - inverse
    assert np.linalg.norm(added) > 1.0
    assert np.linalg.norm(op.forward(added)) < 0.05 * np.linalg.norm(added)


@pytest.mark.parametrize("form", ["hqs", "null-space"])
def test_pnp_with_a_classical_prior_beats_the_blurred_input_and_works_with_decimation(form):
    truth = scene()
    blurred = restoretk.degrade(truth, "gauss:2", noise=0.02, boundary="valid", seed=3)
    reference = restoretk.reference_crop(truth, "gauss:2")
    restored = restoretk.deblur(blurred, "gauss:2", "pnp", noise=0.02, prior="tv", form=form, iterations=4)
    assert restored.shape == blurred.shape and psnr(restored, reference) > psnr(blurred, reference) + 1
    small = restoretk.degrade(truth, "gauss:1.2", noise=0.01, scale=2, boundary="reflect", seed=4)
    big = restoretk.upscale(small, 2, "pnp", psf="gauss:1.2", noise=0.01, prior="tv", form=form, iterations=4)
    nearest = np.repeat(np.repeat(small, 2, axis=0), 2, axis=1)
    assert big.shape == truth.shape and psnr(big, truth) > psnr(nearest, truth) + 1


def test_denoisers_are_registered_once_and_looked_up_by_name(request):
    request.addfinalizer(lambda: denoisers.DENOISERS.unregister("halve"))
    names = [d.name for d in list_denoisers()]
    assert names[0] == "restoretk" and {"wavelet", "tv"} <= set(names)
    register_denoiser("halve", "for the test")(lambda image, sigma: image / 2)
    assert get_denoiser("halve").denoise(np.ones(3), 0.1).tolist() == [0.5] * 3
    with pytest.raises(RestoreError, match="already registered"):
        register_denoiser("halve", "again")
    with pytest.raises(RestoreError, match="unknown denoiser 'bm4d'; use one of: restoretk, "):
        get_denoiser("bm4d")


@pytest.mark.parametrize(
    "options, match",
    [
        ({"prior": "bm4d"}, "unknown denoiser 'bm4d'"),
        ({"form": "admm"}, "form='admm' of method 'pnp' is not one of hqs, null-space"),
        ({"lam": float("nan")}, "lam=nan of method 'pnp' is not a finite number > 0"),
        ({"iterations": 0}, "iterations=0 of method 'pnp' is not an integer from 1 to 1000"),
        ({"sigma_start": -1.0}, "sigma_start=-1.0 of method 'pnp' is not a finite number > 0"),
    ],
)
def test_bad_pnp_options_are_one_line_errors(options, match):
    with pytest.raises(RestoreError, match=match):
        restoretk.deblur(scene(32), "gauss:1", "pnp", noise=0.01, **options)
