"""The bench's report: ``summary.csv``, ``summary.md`` (one table per scenario, with its
protocol) and a comparison figure per scenario, all from the rows of ``per_image.csv``.

Means are taken over the rows as written (PSNR to 1e-4 dB, SSIM to 1e-5), so a summary
made from reused rows is the same as one made from fresh rows. An estimation scenario's
rows (kind ``estimator``) hold the mean error and the mean estimate in place of PSNR and
SSIM; its table in ``summary.md`` says so.
"""

from __future__ import annotations

import datetime
import os
import platform
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from restoretk.bench.peers import IDENTITY, resolve_contender
from restoretk.bench.runner import BenchRun, failures_by_method
from restoretk.bench.scenarios import ERROR_RATIO_ROW, BlindScenario, EstimationScenario, Scenario
from restoretk.io.atomic import atomic_path, atomic_write_text

__all__ = ["SummaryRow", "summarise", "write_report", "SUMMARY_FIELDS"]

SUMMARY_FIELDS = ("scenario", "method", "n_images", "psnr", "ssim", "seconds_median")


@dataclass(frozen=True)
class SummaryRow:
    """Means over the images of one scenario for one contender.

    For an estimator (``kind == 'estimator'``), ``psnr`` is the mean error and ``ssim``
    the mean estimate.
    """

    scenario: str
    method: str
    kind: str
    n_images: int
    psnr: float
    ssim: float
    seconds_median: float
    reused: int


def summarise(run: BenchRun) -> list[SummaryRow]:
    """One row per scenario and contender that produced results, in plan order."""
    values: dict[tuple[str, str], list[tuple[float, float, float]]] = defaultdict(list)
    for row in run.rows:
        values[(row["scenario"], row["method"])].append((float(row["psnr"]), float(row["ssim"]), float(row["seconds"])))
    summary = []
    for scenario in run.scenarios:
        for method in run.plan[scenario.name]:
            found = values.get((scenario.name, method))
            if not found:
                continue
            psnrs, ssims, seconds = (np.array(column) for column in zip(*found))
            summary.append(
                SummaryRow(
                    scenario.name,
                    method,
                    _kind(scenario, method),
                    len(found),
                    float(np.mean(psnrs)),
                    float(np.mean(ssims)),
                    float(np.median(seconds)),
                    run.reused.get((scenario.name, method), 0),
                )
            )
    return summary


def _kind(scenario: Scenario, method: str) -> str:
    if isinstance(scenario, EstimationScenario):
        return "estimator"
    if isinstance(scenario, BlindScenario) and method != BlindScenario.method_of(method):
        return "error ratio" if method == ERROR_RATIO_ROW.format(method=BlindScenario.method_of(method)) else "true PSF"
    return resolve_contender(method, scenario.task).kind


def _summary_csv(rows: list[SummaryRow]) -> str:
    lines = [",".join(SUMMARY_FIELDS)]
    for r in rows:
        values = f"{r.psnr:.6g},{r.ssim:.6g}" if r.kind == "estimator" else f"{r.psnr:.4f},{r.ssim:.4f}"
        lines.append(f"{r.scenario},{r.method},{r.n_images},{values},{r.seconds_median:.4f}")
    return "\n".join(lines) + "\n"


def _machine() -> str:
    system = platform.processor() or platform.system()
    return f"{platform.machine()} {system}, {os.cpu_count()} cores, Python {platform.python_version()}"


def summary_markdown(run: BenchRun, rows: list[SummaryRow], command: str | None = None) -> str:
    """Markdown: a header saying what ran where, then per scenario its definition, protocol and table."""
    from restoretk import __version__

    failed = failures_by_method(run.failures)
    reused = sum(r.reused for r in rows)
    lines = [
        f"# restoretk bench: {run.dataset}, {len(run.images)} images",
        "",
        *([f"Command: `{command}`  "] if command else []),
        f"restoretk {__version__}; {_machine()}; {run.workers} worker(s); "
        f"{datetime.date.today().isoformat()}; wall time {run.seconds:.0f} s.  ",
        f"Reused {reused} of {sum(r.n_images for r in rows)} per-image results from an earlier run in this folder."
        + (f" Results of other code were moved to `{run.set_aside.name}`." if run.set_aside else ""),
        "",
        "Means over images; `median s` is the median time of one image (one thread per worker).",
    ]
    for scenario in run.scenarios:
        lines += [
            "",
            f"## {scenario.name} (version {scenario.version})",
            "",
            f"{scenario.definition()}.  ",
            f"Protocol: {scenario.scoring()}.",
            "",
            *_table(scenario, [r for r in rows if r.scenario == scenario.name]),
        ]
        notes = []
        counted = {r.method: r.n_images for r in rows if r.scenario == scenario.name}
        for method in run.plan[scenario.name]:
            failures = failed.get((scenario.name, method), [])
            if not failures:
                continue
            if method not in counted:
                notes.append(f"- **{method}: skipped**: {failures[0].reason}")
            else:
                first = failures[0]
                notes.append(f"- {method}: failed on {len(failures)} image(s), e.g. {first.image}: {first.reason}")
        expected = len([n for n in run.images if scenario.images is None or n in scenario.images])
        partial = sorted({r.method for r in rows if r.scenario == scenario.name and r.n_images < expected})
        if partial and not notes:
            notes.append(f"- fewer than {expected} images for: {', '.join(partial)}")
        reused_here = sum(r.reused for r in rows if r.scenario == scenario.name)
        if reused_here:
            notes.append(f"- {reused_here} per-image results reused from an earlier run")
        if notes:
            lines += ["", *notes]
        if scenario.name in run.figure_image and (run.out / "figures" / f"{scenario.name}.png").exists():
            lines += ["", f"Figure: `figures/{scenario.name}.png` (image {run.figure_image[scenario.name]})."]
    return "\n".join(lines) + "\n"


def _table(scenario: Scenario, rows: list[SummaryRow]) -> list[str]:
    """The markdown table of one scenario: PSNR/SSIM per method, or error/estimate per quantity."""
    if isinstance(scenario, EstimationScenario):
        lines = ["| quantity | images | mean error | mean estimate | median s |", "|---|---:|---:|---:|---:|"]
        return lines + [
            f"| {r.method} | {r.n_images} | {r.psnr:.4g} | {r.ssim:.4g} | {r.seconds_median:.3f} |" for r in rows
        ]
    lines = ["| method | kind | images | PSNR (dB) | SSIM | median s |", "|---|---|---:|---:|---:|---:|"]
    return lines + [
        f"| {r.method} | {r.kind} | {r.n_images} | {r.psnr:.2f} | {r.ssim:.4f} | {r.seconds_median:.3f} |" for r in rows
    ]


def write_figures(run: BenchRun) -> list[Path]:
    """A comparison figure per scenario: the degraded input, each contender, the ground truth."""
    from restoretk.figures import comparison_figure

    folder = run.out / "figures"
    written = []
    psnr = {(r["scenario"], r["method"], r["image"]): float(r["psnr"]) for r in run.rows}
    for scenario in run.scenarios:
        panels = run.panels.get(scenario.name)
        image = run.figure_image.get(scenario.name)
        if not panels or len(panels) < 2 or image is None:
            continue
        folder.mkdir(exist_ok=True)
        labelled = {}
        for method in sorted(run.plan[scenario.name], key=lambda m: m != IDENTITY):  # the degraded input first
            if method not in panels:
                continue
            value = psnr.get((scenario.name, method, image))
            caption = f"{method} ({value:.2f} dB)" if value is not None else method
            if method == IDENTITY:
                caption = ("degraded input" if scenario.task == "deblur" else "LR input, nearest") + f" = {caption}"
            labelled[caption] = panels[method]
        labelled["ground truth"] = panels["truth"]
        title = f"{scenario.name} (v{scenario.version}), image {image}: {scenario.definition()}"
        path = comparison_figure(labelled, folder / f"{scenario.name}.png", title=_wrap(title, 110))
        written.append(_to_palette(path))
    return written


def _to_palette(path: Path) -> Path:
    """Re-save a figure with 256 colours (median cut, no dithering): a third of the size, and
    differences between panels stay visible; the numbers are in the CSVs, not in the picture."""
    from PIL import Image

    with Image.open(path) as figure:
        small = figure.convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    with atomic_path(path) as temporary:
        small.save(temporary, optimize=True)
    return path


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width))


def write_report(run: BenchRun, command: str | None = None) -> tuple[list[SummaryRow], str]:
    """Write ``summary.csv``, ``summary.md`` and ``figures/``; returns the rows and the markdown."""
    rows = summarise(run)
    write_figures(run)
    atomic_write_text(run.out / "summary.csv", _summary_csv(rows))
    markdown = summary_markdown(run, rows, command)
    atomic_write_text(run.out / "summary.md", markdown)
    return rows, markdown

