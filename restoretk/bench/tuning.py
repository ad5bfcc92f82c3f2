"""Choose the peers' parameters on BSDS500 val, so that each peer is measured at its best.

``restoretk bench --tune-peers --limit 20 --out DIR`` runs each deblurring scenario on the
first 20 val images with every value of :data:`~restoretk.bench.peers.BALANCE_GRID`
(``skimage-wiener``) and :data:`~restoretk.bench.peers.ITERATIONS_GRID`
(``skimage-richardson-lucy``), through the bench runner itself, and picks per scenario
the value with the highest mean PSNR. The choice is then frozen by hand, with its date
and figures, in :mod:`restoretk.bench.peers`; the benchmark proper runs on test.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from pathlib import Path

from restoretk.bench.peers import BALANCE_GRID, ITERATIONS_GRID
from restoretk.bench.report import summarise
from restoretk.bench.runner import run_bench
from restoretk.bench.scenarios import Scenario
from restoretk.data import ImageFolder
from restoretk.io.atomic import atomic_write_text

__all__ = ["TUNED", "tune_peers"]

#: Peer → (parameter, grid, the constant of :mod:`restoretk.bench.peers` that holds the choice, its type).
TUNED = {
    "skimage-wiener": ("balance", BALANCE_GRID, "SKIMAGE_WIENER_BALANCE", float),
    "skimage-richardson-lucy": ("iterations", ITERATIONS_GRID, "SKIMAGE_RL_ITERATIONS", int),
}


def tune_peers(
    scenarios: Sequence[Scenario],
    images: ImageFolder,
    dataset: str,
    out: str | Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
) -> tuple[dict[str, dict[str, float]], str]:
    """Sweep the peers' parameters on ``images``; return the best per scenario and a markdown report.

    Returns
    -------
    best : dict
        ``{scenario: {peer: value}}``.
    markdown : str
        Every value's mean PSNR/SSIM per scenario, the chosen values, and the constants to
        paste into :mod:`restoretk.bench.peers`; also written to ``out/peer-tuning.md``.
    """
    scenarios = [s for s in scenarios if s.task == "deblur"]
    methods = [f"{peer}[{parameter}={value!r}]" for peer, (parameter, grid, _, _) in TUNED.items() for value in grid]
    run = run_bench(
        scenarios, images, dataset, out, methods=methods, workers=workers, scheduler=scheduler, figures=False,
        progress=progress,
    )
    rows = summarise(run)
    best: dict[str, dict[str, float]] = {}
    lines = [
        f"# Peer parameters on {dataset}, first {len(images)} images ({datetime.date.today().isoformat()})",
        "",
        "Mean PSNR (dB) / SSIM per value; the best PSNR of each peer is chosen. Made by "
        f"`restoretk bench --tune-peers --limit {len(images)}` (this run: {run.seconds:.0f} s, {run.workers} workers; "
        f"{sum(r.reused for r in rows)} of {sum(r.n_images for r in rows)} results reused from an earlier run).",
    ]
    for scenario in scenarios:
        lines += ["", f"## {scenario.name} (version {scenario.version})", "", f"Protocol: {scenario.scoring()}."]
        identity = next((r for r in rows if r.scenario == scenario.name and r.method == "identity"), None)
        if identity is not None:
            lines.append(f"Identity (the degraded input): {identity.psnr:.2f} dB / {identity.ssim:.4f}.")
        for peer, (parameter, _, _, _) in TUNED.items():
            found = {}
            for r in rows:
                match = re.fullmatch(rf"{re.escape(peer)}\[{parameter}=(.+)\]", r.method)
                if r.scenario == scenario.name and match:
                    found[float(match.group(1))] = r
            if not found:
                continue
            chosen = max(found, key=lambda value: found[value].psnr)
            best.setdefault(scenario.name, {})[peer] = chosen
            lines += ["", f"{peer}, {parameter}:", "", f"| {parameter} | PSNR | SSIM | median s |"]
            lines.append("|---:|---:|---:|---:|")
            for value in sorted(found):
                r = found[value]
                mark = " **chosen**" if value == chosen else ""
                lines.append(f"| {value:g}{mark} | {r.psnr:.2f} | {r.ssim:.4f} | {r.seconds_median:.3f} |")
    lines += ["", "Constants for `restoretk/bench/peers.py`:", "", "```python"]
    for peer, (_, _, constant, cast) in TUNED.items():
        values = ", ".join(f'"{s}": {cast(v[peer])!r}' for s, v in best.items() if peer in v)
        lines.append(f"{constant} = {{{values}}}")
    lines += ["```"]
    markdown = "\n".join(lines) + "\n"
    atomic_write_text(Path(out) / "peer-tuning.md", markdown)
    return best, markdown
