#!/usr/bin/env bash
# Copy a training run's record into benchmarks/training/NAME/: config.json, metrics.csv,
# convergence.png and the log without its progress-bar lines.
#
#   benchmarks/training/collect.sh NAME [--ship]
#
# --ship also installs the run's best weights as restoretk/weights/NAME.safetensors.
set -euo pipefail
cd "$(dirname "$0")/../.."
name=${1:?usage: benchmarks/training/collect.sh NAME [--ship]}
run=runs/$name
record=benchmarks/training/$name
mkdir -p "$record"
cp "$run/config.json" "$run/metrics.csv" "$run/convergence.png" "$record/"
tr '\r' '\n' < "runs/$name.log" | grep -v -E '^\s*$|step/s|s/step|\?step' > "$record/train.log" || true
if [ "${2:-}" = "--ship" ]; then
    mkdir -p restoretk/weights
    cp "$run/best.safetensors" "restoretk/weights/$name.safetensors"
    echo "shipped $run/best.safetensors as restoretk/weights/$name.safetensors"
fi
