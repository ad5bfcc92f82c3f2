"""restoretk from Python: simulate a blurred, noisy photo, restore it, and use the operators.

Run: python examples/python_api.py
"""

import numpy as np
from skimage import data

import restoretk
from restoretk.metrics import psnr
from restoretk.operators import Convolution, Decimation
from restoretk.psf import parse

# A photo that scikit-image ships, blurred past its frame ('valid') with noise σ = 0.01.
scene = data.astronaut().astype(np.float32) / 255
blurred = restoretk.degrade(scene, "gauss:2@25", noise=0.01, boundary="valid", seed=0)
truth = restoretk.reference_crop(scene, "gauss:2@25")

for method in ("wiener", "tikhonov", "richardson-lucy"):
    restored = restoretk.deblur(blurred, "gauss:2@25", method=method)  # noise level estimated
    print(f"{method:<16} {psnr(restored, truth):.2f} dB (blurred: {psnr(np.clip(blurred, 0, 1), truth):.2f} dB)")

# Blind: estimate the PSF from the blurred photo itself, then restore with it.
spec, kernel = restoretk.estimate_psf(blurred, family="gauss")
print(f"estimated {spec} (true gauss:2);", f"{psnr(restoretk.deblur(blurred, kernel), truth):.2f} dB with it")

# The degradation model itself: a typed Degradation, and the observation and truth it forms.
model = restoretk.Degradation.parse("gauss:1.6@13", scale=4, noise=0.005)
low, sharp = restoretk.observe(scene, model, 0, channel_axis=-1)
print(f"observed {low.shape[:2]}, truth {sharp.shape[:2]}, wiener ×4:",
      f"{psnr(restoretk.upscale(low, 4, 'wiener', model.psf, model.noise), sharp):.2f} dB")

# Super-resolution: the model-based inverse of a bicubic ×4 downscale.
small = scene[::4, ::4]
print("upscaled", restoretk.upscale(small, 4, method="wiener", noise=0.002).shape)

# The operators themselves: A = S H, its pseudo-inverse and null-space projector.
shape = (128, 128)
A = Decimation(2, shape) @ Convolution(parse("gauss:1.2"), shape)
x = scene[:128, :128, 0]
y = A.forward(x)
x_dagger = A.pinv(y)  # minimum-norm solution of A x = y
null_part = A.null_project(x)  # what the camera cannot see
print("|A P_N x| =", float(np.abs(A.forward(null_part)).max()), "  |A A⁺ y - y| =", float(np.abs(A.forward(x_dagger) - y).max()))
