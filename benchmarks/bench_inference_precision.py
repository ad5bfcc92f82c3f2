"""What bf16 inference changes, per shipped model: PSNR and time against float32, same inputs.

For each shipped model, the first N photos of BSDS500 val (selection only: no model
trains on the photos' scores) go through the model's bench scenarios in float32 and in
bf16 autocast (channels-last). The mean PSNR change and the timings are written to
``restoretk/weights/precision.json`` with the checksum of the weights measured, which
``precision="auto"`` reads: bf16 is used for a model only where the change is at most
``BF16_TOLERANCE_DB`` (0.02 dB) on every scenario.

    python benchmarks/bench_inference_precision.py --images 10
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np
import torch

from restoretk.bench.scenarios import get_scenario
from restoretk.data import bsds500
from restoretk.io import atomic_write_text
from restoretk.learners.methods import BF16_TOLERANCE_DB, MEASURED_PRECISION, _model, learned_restore
from restoretk.learners.weights import tensor_checksum
from restoretk.learners.precision import native_bf16
from restoretk.learners.weights import shipped_weights
from restoretk.metrics import score

SCENARIOS = {"deblur": ("deblur-gauss2", "deblur-motion"), "sr": ("sr4-bicubic",), "denoise": ("denoise-25",)}


def measure(name: str, path, images: list[tuple[str, np.ndarray]]) -> dict:
    model = _model(str(path), path.stat().st_mtime, "cpu")
    rows = {}
    for scenario_name in SCENARIOS[model.architecture["task"]]:
        scenario = get_scenario(scenario_name)
        psnrs = {"fp32": [], "bf16": []}
        seconds = {"fp32": [], "bf16": []}
        for image_name, image in images:
            case = scenario.case(image_name, image)
            observed = np.ascontiguousarray(np.moveaxis(case.degraded, -1, 0))
            for precision in psnrs:
                started = time.perf_counter()
                out = learned_restore(name, observed, case.degradation, device="cpu", precision=precision)
                seconds[precision].append(time.perf_counter() - started)
                restored = np.clip(np.moveaxis(out, 0, -1), 0, 1)
                psnrs[precision].append(score(restored, case.truth, scenario.protocol)["psnr"])
        change = float(np.mean(psnrs["bf16"]) - np.mean(psnrs["fp32"]))
        rows[scenario_name] = {
            "fp32_psnr_db": round(float(np.mean(psnrs["fp32"])), 4),
            "bf16_psnr_change_db": round(change, 4),
            "fp32_seconds": round(statistics.median(seconds["fp32"]), 3),
            "bf16_seconds": round(statistics.median(seconds["bf16"]), 3),
        }
        print(f"{name:13s} {scenario_name:14s} fp32 {rows[scenario_name]['fp32_psnr_db']:.3f} dB, bf16 {change:+.4f} dB; "
              f"{rows[scenario_name]['fp32_seconds']:.3f} s -> {rows[scenario_name]['bf16_seconds']:.3f} s")
    worst = max((row["bf16_psnr_change_db"] for row in rows.values()), key=abs)
    return {"checksum": tensor_checksum(model.state_dict()), "images": len(images), "bf16_psnr_change_db": worst, "scenarios": rows}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=10, help="first N photos of BSDS500 val")
    parser.add_argument("--only", action="append", help="only these models (default: every shipped one)")
    args = parser.parse_args()
    if not native_bf16("cpu"):
        raise SystemExit("this CPU has no native bf16 (amx_bf16 / avx512_bf16): nothing to measure here")
    images = list(bsds500("val").limit(args.images))
    results = json.loads(MEASURED_PRECISION.read_text()) if MEASURED_PRECISION.is_file() else {}
    for name, path in shipped_weights().items():
        if not args.only or name in args.only:
            results[name] = measure(name, path, images)
    results["_about"] = (
        f"bf16 autocast against float32 on the first images of BSDS500 val, {torch.__version__}; "
        f"precision='auto' uses bf16 where |bf16_psnr_change_db| <= {BF16_TOLERANCE_DB} "
        "(benchmarks/bench_inference_precision.py)"
    )
    atomic_write_text(MEASURED_PRECISION, json.dumps(dict(sorted(results.items())), indent=2) + "\n")
    print(f"wrote {MEASURED_PRECISION}")
