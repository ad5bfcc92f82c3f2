#!/usr/bin/env bash
# Start, or resume where it stopped, one of the shipped models' training runs.
#
#   benchmarks/training/train.sh NAME      NAME: denoiser | denoiser-anneal | mpr-unet | mpr | mpr-robust | mpr-anneal | mpr-df | wiener-resid | mpr-sr | srnet
#
# mpr-unet is round two (issue #11): a U-Net body (±53 px receptive field, 2.3 M
# parameters) on 256-pixel patches, so that a third of each patch's pixels see no
# border, trained on blurs like real ones (--degradations handheld: curved camera
# shake travelled at varying speed, 11-41 px, Gaussians, motion, defocus, noise 0-0.05)
# with PSF errors, in bf16 where the CPU has it, for 200 epochs (many sessions:
# resume it with the same command).
#
# denoiser (issue #12) is the noise-level-conditioned denoiser of 'restoretk denoise' and
# the prior of the plug-and-play solvers: a U-Net on BSDS500 train + test (the last 8
# test photos held out for validation; val holds CBSD68, its test set), σ 0-50/255.
#
# denoiser-anneal goes on from the denoiser run's best weights with a short schedule (10
# epochs, learning rate 2e-4 decaying to 1 %, new draws: seed 1), so that the rate anneals
# within one session while the 200-epoch run goes on across sessions; it ships as the
# denoiser until that run overtakes it.
#
# mpr-robust fine-tunes the best mpr weights so far with mis-specified PSFs
# (--psf-error 0.2: half the patches tell the head a PSF off by up to 20 %).
# mpr-anneal goes on from mpr-robust's best weights with a short schedule (12 epochs,
# learning rate 2e-4 decaying to 1 %, new draws: seed 1), so that the rate anneals within
# one session; it ships as the mpr method. mpr-df is the same run with the mpr-df head
# (mpr plus a dynamic filter; its filter starts as the identity): what the filter is worth.
#
# The run lives in runs/NAME (checkpoint, metrics.csv, convergence.png,
# model.safetensors); the log is appended to runs/NAME.log. One thread per run: on
# a shared 2-core machine two single-threaded runs side by side make more steps per
# hour than one run on both cores (see TRAINING.md). Ship a finished run with
#   cp runs/NAME/model.safetensors restoretk/weights/NAME.safetensors
set -euo pipefail
cd "$(dirname "$0")/../.."
name=${1:?usage: benchmarks/training/train.sh denoiser|denoiser-anneal|mpr-unet|mpr|mpr-robust|mpr-anneal|mpr-df|wiener-resid|mpr-sr|srnet}
deblur=(--task deblur --body resnet --base-filter 32 --num-residuals 8 --patch 128 --lr 5e-4)
sr=(--task sr --body resnet --base-filter 64 --num-residuals 10 -B decimation=4 --patch 96 --lr 5e-4)
common=(--epochs 60 --steps-per-epoch 250 --optimizer adam --loss l1 --clip-grad 1 --scheduler cosine
        --seed 0 --val-images 8 --threads 1)
case $name in
    denoiser) args=(--task denoise --body unet --base-filter 32 --num-residuals 2 -B depth=3 --patch 96 --batch-size 8
                    --lr 5e-4 "${common[@]}" --epochs 200 --precision auto --workers 1) ;;
    denoiser-anneal) args=(--task denoise --body unet --base-filter 32 --num-residuals 2 -B depth=3 --patch 96 --batch-size 8
                           "${common[@]}" --epochs 10 --lr 2e-4 --seed 1 --precision auto --workers 1
                           --init runs/denoiser/best.safetensors) ;;
    mpr-unet) args=(--task deblur --head mpr --body unet --base-filter 32 --num-residuals 1 -B depth=3 --patch 256
                    --batch-size 2 --degradations handheld --psf-error 0.2 --lr 5e-4 "${common[@]}" --epochs 200
                    --precision auto --workers 1) ;;
    mpr | wiener-resid) args=("${deblur[@]}" --head "$name" --batch-size 4 "${common[@]}") ;;
    mpr-robust) args=("${deblur[@]}" --head mpr --batch-size 4 "${common[@]}" --psf-error 0.2 --init runs/mpr/best.safetensors) ;;
    mpr-anneal | mpr-df) args=("${deblur[@]}" --head "${name%-anneal}" --batch-size 4 "${common[@]}" --psf-error 0.2
                               --init runs/mpr-robust/best.safetensors --epochs 12 --lr 2e-4 --seed 1) ;;
    mpr-sr | srnet) args=("${sr[@]}" --head "$name" --batch-size 8 "${common[@]}") ;;
    *) echo "unknown run $name; use denoiser, denoiser-anneal, mpr-unet, mpr, mpr-robust, mpr-anneal, mpr-df, wiener-resid, mpr-sr or srnet" >&2; exit 2 ;;
esac
mkdir -p runs
if [ -f "runs/$name/checkpoint.pt" ]; then args+=(--resume); fi
echo "$(date -Is) restoretk train ${args[*]} --out runs/$name" >> "runs/$name.log"
exec .venv/bin/restoretk train "${args[@]}" --out "runs/$name" >> "runs/$name.log" 2>&1
