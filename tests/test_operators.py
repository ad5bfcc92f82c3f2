"""Property tests that every operator runs through: adjointness, Penrose identities, projectors.

Each case in ``OPERATORS`` builds an operator from a hypothesis draw and runs it through
:mod:`restoretk.operators.testing` (the check kit users run their own operators through),
on NumPy and on Torch, in float64 and float32; the other properties (the regularised
inverse, the proximal step, the Wiener prior) are checked here.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from restoretk.errors import RestoreError
from restoretk.operators import Convolution, Decimation, FourierMultiplier, ZeroFill, backend
from restoretk.operators.testing import check_adjoint, check_operator, check_penrose, check_projector
from restoretk.psf import parse


def random_psf(rng: np.random.Generator, size: int) -> np.ndarray:
    psf = rng.random((size, size)) ** 3
    return psf / psf.sum()


def psf_size(rng, factor, rows, cols):
    return int(rng.integers(1, min(8, rows * factor, cols * factor) + 1))


def even_transfer(rng, shape):
    """A real, even transfer: the Fourier symbol of a real symmetric operator."""
    t = rng.random(shape)
    return t + np.roll(t[::-1, ::-1], (1, 1), axis=(0, 1))


def convolution(rng, factor, rows, cols):
    return Convolution(random_psf(rng, psf_size(rng, factor, rows, cols)), (rows * factor, cols * factor))


def decimation(rng, factor, rows, cols):
    return Decimation(factor, (rows * factor, cols * factor))


def super_resolution(rng, factor, rows, cols):
    shape = (rows * factor, cols * factor)
    return Decimation(factor, shape) @ Convolution(random_psf(rng, psf_size(rng, factor, rows, cols)), shape)


def multiplier(rng, factor, rows, cols):
    return FourierMultiplier.from_full(even_transfer(rng, (rows * factor, cols * factor)))


OPERATORS = {
    "convolution": convolution,
    "decimation": decimation,
    "super_resolution": super_resolution,
    "multiplier": multiplier,
}

draws = st.fixed_dictionaries(
    {
        "seed": st.integers(0, 2**16),
        "factor": st.integers(1, 4),
        "rows": st.integers(3, 9),
        "cols": st.integers(3, 9),
    }
)


def build(name, draw):
    rng = np.random.default_rng(draw["seed"])
    op = OPERATORS[name](rng, draw["factor"], draw["rows"], draw["cols"])
    x = rng.standard_normal((2,) + op.in_shape)
    y = rng.standard_normal((2,) + op.out_shape)
    return op, x, y


def close(a, b, atol=1e-6):
    scale = max(1.0, float(np.abs(b).max()))
    np.testing.assert_allclose(a, b, atol=atol * scale, rtol=0)


as_torch = {"numpy": lambda a: a, "torch": lambda a: torch.from_numpy(a)}
as_numpy = lambda a: a.numpy() if isinstance(a, torch.Tensor) else a  # noqa: E731

property_test = pytest.mark.parametrize("name", OPERATORS)
library = pytest.mark.parametrize("lib", ["numpy", "torch"])
few = settings(max_examples=40, deadline=None)


@property_test
@settings(max_examples=25, deadline=None)
@given(draw=draws)
def test_every_operator_passes_the_check_kit(name, draw):
    """Adjointness, the four Penrose identities and the projector, on NumPy and Torch, float64 and float32."""
    op, _, _ = build(name, draw)
    check_operator(op, seed=draw["seed"])


@pytest.mark.parametrize(
    "make",
    [
        lambda: Convolution(parse("gauss:2@25"), (64, 64)),
        lambda: Convolution(parse("motion:15,30"), (48, 64)),
        lambda: Convolution(parse("shake:3,25"), (64, 64)),
        lambda: Decimation(4, (64, 64)) @ Convolution(parse("gauss:1.6"), (64, 64)),
        lambda: Decimation(3, (63, 66)) @ Convolution(parse("disk:3"), (63, 66)),
    ],
    ids=["gauss", "motion", "shake", "sr4", "sr3-disk"],
)
def test_operators_of_real_blurs_pass_the_check_kit(make):
    """Kernels with near-zero transfers: the cut-off, not rounding, sets the error."""
    check_operator(make())


def test_zero_fill_passes_the_adjoint_check():
    check_operator(ZeroFill(3, (4, 5)), inverses=False)


class WrongAdjoint(FourierMultiplier):
    def adjoint(self, y):
        return np.roll(super().adjoint(y), 1, axis=-1)


class WrongPinv(FourierMultiplier):
    def pinv(self, y, eps=0.0, *, prior=None, rtol=1e-3):
        return 2 * super().pinv(y, eps, prior=prior, rtol=rtol)


class WrongProjector(FourierMultiplier):
    def null_project(self, x, eps=0.0, *, rtol=1e-3):
        return 2 * super().null_project(x, eps, rtol=rtol)  # A P = 0 and symmetric, but P P = 2 P


@pytest.mark.parametrize(
    "broken, check, identities",
    [
        (WrongAdjoint, check_adjoint, ["<A x, y> = <x, Aᵀ y>"]),
        (WrongPinv, check_penrose, ["A A⁺ A = A", "A⁺ A A⁺ = A⁺"]),  # 2 A⁺ breaks both, equally
        (WrongProjector, check_projector, ["P_N idempotent"]),
    ],
    ids=["adjoint", "penrose", "projector"],
)
@library
def test_the_check_kit_names_the_identity_that_fails(broken, check, identities, lib):
    rng = np.random.default_rng(0)
    op = broken(Convolution(parse("box:4"), (8, 8)).half, (8, 8))  # with a null space: zeros in its transfer
    x = as_torch[lib](rng.standard_normal((2, 8, 8)).astype(np.float32))
    names = "|".join(map(re.escape, identities))
    with pytest.raises(AssertionError, match=rf"^({names}) fails for {broken.__name__}\(shape=\(8, 8\)\) on {lib} float32: relative error "):
        if check is check_projector:
            check(op, x)
        else:
            check(op, x, x)


@property_test
@few
@given(draw=draws)
def test_regularised_inverse_tends_to_pseudo_inverse(name, draw):
    rng = np.random.default_rng(draw["seed"])
    factor, shape = draw["factor"], (draw["rows"] * draw["factor"], draw["cols"] * draw["factor"])
    well_conditioned = 0.6 * np.pad([[1.0]], 1) + 0.4 * random_psf(rng, 3)  # |H| >= 0.2 everywhere
    op = {
        "convolution": lambda: Convolution(well_conditioned, shape),
        "decimation": lambda: Decimation(factor, shape),
        "super_resolution": lambda: Decimation(factor, shape) @ Convolution(well_conditioned, shape),
        "multiplier": lambda: FourierMultiplier.from_full(0.5 + even_transfer(rng, shape)),
    }[name]()
    y = rng.standard_normal(op.out_shape)
    errors = [np.abs(op.pinv(y, eps) - op.pinv(y)).max() for eps in (1e-2, 1e-4, 1e-6)]
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 1e-4


@pytest.mark.parametrize("name", OPERATORS)
def test_regularised_inverse_is_the_normal_equations_solution(name):
    """(AᵀA + εI) A⁺_ε y = Aᵀ y, checked by applying both sides."""
    op, x, y = build(name, {"seed": 3, "factor": 2, "rows": 6, "cols": 5})
    eps = 0.05
    xe = op.pinv(y, eps)
    close(op.adjoint(op.forward(xe)) + eps * xe, op.adjoint(y))


@property_test
@library
@few
@given(draw=draws, weight=st.floats(1e-3, 10.0))
def test_data_proximal_solves_its_normal_equations(name, lib, draw, weight):
    """x = argmin ‖y − A x‖² + w‖x − z‖² satisfies (AᵀA + w I) x = Aᵀ y + w z."""
    op, z, y = build(name, draw)
    t = as_torch[lib]
    x = as_numpy(op.data_proximal(t(y), t(z), weight))
    close(op.adjoint(op.forward(x)) + weight * x, op.adjoint(y) + weight * z, atol=1e-5)


@pytest.mark.parametrize("name", OPERATORS)
def test_wiener_prior_solves_weighted_normal_equations(name):
    """With a prior P: (AᵀA + ε P⁻¹) x = Aᵀ y."""
    op, x, y = build(name, {"seed": 4, "factor": 2, "rows": 6, "cols": 4})
    rng = np.random.default_rng(0)
    prior_sym = 0.5 + even_transfer(rng, op.in_shape)
    eps = 0.1
    xe = op.pinv(y, eps, prior=prior_sym)
    inverse_prior = FourierMultiplier.from_full(1.0 / prior_sym)
    close(op.adjoint(op.forward(xe)) + eps * inverse_prior(xe), op.adjoint(y))


@pytest.mark.parametrize("name", OPERATORS)
@pytest.mark.parametrize("method", ["forward", "adjoint", "pinv", "null_project"])
def test_torch_float32_agrees_with_numpy(name, method):
    op, x, y = build(name, {"seed": 5, "factor": 2, "rows": 8, "cols": 7})
    arg = y if method in ("adjoint", "pinv") else x
    arg = arg.astype(np.float32)
    got_numpy = getattr(op, method)(arg)
    got_torch = getattr(op, method)(torch.from_numpy(arg))
    assert got_numpy.dtype == np.float32 and got_torch.dtype == torch.float32
    np.testing.assert_allclose(got_torch.numpy(), got_numpy, atol=1e-5)


@pytest.mark.parametrize("name", OPERATORS)
def test_regularised_inverse_in_float32_agrees_with_float64(name):
    # the ε-dependent gain is formed in the data's precision, separately per library
    op, _, y = build(name, {"seed": 6, "factor": 2, "rows": 8, "cols": 7})
    prior = FourierMultiplier.from_full(even_transfer(np.random.default_rng(8), op.in_shape) + 0.5)
    exact = op.pinv(y, 0.03, prior=prior)
    single = y.astype(np.float32)
    for got in (op.pinv(single, 0.03, prior=prior), op.pinv(torch.from_numpy(single), 0.03, prior=prior).numpy()):
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, exact, atol=1e-5 * np.abs(exact).max())
    assert not np.allclose(op.pinv(single, 0.3, prior=prior), exact, atol=1e-3 * np.abs(exact).max())


def test_torch_path_is_differentiable_and_batched():
    op = Decimation(2, (16, 16)) @ Convolution(random_psf(np.random.default_rng(1), 5), (16, 16))
    x = torch.rand(3, 2, 16, 16, dtype=torch.float64, requires_grad=True)
    (op.pinv(op.forward(x)) ** 2).sum().backward()
    assert x.grad is not None and x.grad.shape == x.shape
    assert torch.autograd.gradcheck(lambda v: op.null_project(v), (x[:1, :1].detach().requires_grad_(),))


def test_pinv_threshold_is_relative_to_the_largest_singular_value():
    psf = random_psf(np.random.default_rng(2), 5)
    y = np.random.default_rng(3).standard_normal((12, 12))
    scaled = Convolution(psf, (12, 12))
    small = FourierMultiplier(scaled.half * 1e-6, scaled.in_shape)
    np.testing.assert_allclose(small.pinv(y) * 1e-6, scaled.pinv(y), atol=1e-10)


def test_convolution_pinv_is_one_fourier_multiplier():
    H = Convolution(random_psf(np.random.default_rng(0), 5), (10, 10))
    assert isinstance(H.pinv_operator(0.01), FourierMultiplier)
    assert isinstance(H.range_operator(), FourierMultiplier)


def test_zero_fill_is_decimation_adjoint_and_has_no_closed_form_inverse():
    up = ZeroFill(2, (3, 3))
    assert up.out_shape == (6, 6)
    with pytest.raises(RestoreError, match="no closed-form pseudo-inverse"):
        up.pinv(np.zeros((3, 3)))


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: Convolution(np.ones((9, 9)) / 81, (8, 8)), "larger than the image"),
        (lambda: Decimation(3, (10, 9)), "not a multiple of the scale 3"),
        (lambda: Decimation(0, (10, 9)), "not a positive integer"),
        (lambda: Decimation(2, (8, 8)) @ Convolution(np.ones((3, 3)) / 9, (6, 6)), "cannot compose"),
        (lambda: Convolution(np.ones((3, 3)) / 9, (8, 8)).forward(np.zeros((7, 8))), "expects an input"),
        (lambda: Convolution(np.ones((3, 3)) / 9, (8, 8)).pinv(np.zeros((8, 8)), -1.0), "negative"),
    ],
)
def test_errors_name_the_problem(make, match):
    with pytest.raises(RestoreError, match=match):
        make()


def test_fft_engines_agree(monkeypatch):
    """NumPy arrays go through torch.fft by default; scipy.fft gives the same results."""
    op = Decimation(2, (16, 20)) @ Convolution(random_psf(np.random.default_rng(6), 5), (16, 20))
    x = np.random.default_rng(7).random((3, 16, 20)).astype(np.float32)
    results = {}
    for engine in ("torch", "scipy"):
        monkeypatch.setenv("RESTORETK_FFT", engine)
        results[engine] = op.pinv(op.forward(x), 1e-3)
        assert results[engine].dtype == np.float32
    np.testing.assert_allclose(results["torch"], results["scipy"], atol=1e-5)
    monkeypatch.setenv("RESTORETK_FFT", "fftw")
    with pytest.raises(RestoreError, match="RESTORETK_FFT='fftw'"):
        op.forward(x)


@pytest.mark.parametrize("engine", ["torch", "scipy"])
@pytest.mark.parametrize("shape", [(12, 16), (9, 15)])
def test_inverse_fft_in_place_matches_the_plain_one(monkeypatch, engine, shape):
    monkeypatch.setenv("RESTORETK_FFT", engine)
    x = np.random.default_rng(8).random((2,) + shape)
    spectrum = backend.rfft2(x)
    plain = backend.irfft2(spectrum.copy(), shape)
    np.testing.assert_allclose(backend.irfft2(spectrum.copy(), shape, overwrite=True), plain, atol=1e-12)
    np.testing.assert_allclose(plain, x, atol=1e-12)
    tensor = torch.from_numpy(spectrum)
    np.testing.assert_allclose(backend.irfft2(tensor.clone(), shape, overwrite=True).numpy(), x, atol=1e-12)
