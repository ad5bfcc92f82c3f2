#!/usr/bin/env bash
# Copy a training run's record into benchmarks/training/NAME/: config.json, metrics.csv,
# convergence.png and the log without its progress-bar lines.
#
#   benchmarks/training/collect.sh NAME [--ship [METHOD]]
#
# --ship also installs the run's best weights as restoretk/weights/METHOD.safetensors
# (METHOD defaults to NAME; mpr-robust ships as mpr), with a fresh checksum of their
# tensors (ship.py); re-measure bf16 inference afterwards (bench_inference_precision.py).
set -euo pipefail
cd "$(dirname "$0")/../.."
name=${1:?usage: benchmarks/training/collect.sh NAME [--ship]}
run=runs/$name
record=benchmarks/training/$name
mkdir -p "$record"
cp "$run/config.json" "$run/metrics.csv" "$run/convergence.png" "$record/"
tr '\r' '\n' < "runs/$name.log" | grep -v -E '^\s*$|step/s|s/step|\?step' > "$record/train.log" || true
if [ "${2:-}" = "--ship" ]; then
    method=${3:-$name}
    .venv/bin/python benchmarks/training/ship.py "$run/best.safetensors" "$method"
fi
