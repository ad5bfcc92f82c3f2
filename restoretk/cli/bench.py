"""``restoretk bench``: the command-line shell over :func:`restoretk.bench.runner.run_bench`.

Only typer is imported here; the runner and its dependencies load when the command runs.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import List, Optional

import typer

from restoretk.cli.shell import user_errors

__all__ = ["bench", "TUNING_IMAGES"]

#: Val images the peers are tuned on unless --limit says otherwise.
TUNING_IMAGES = 20


def bench(
    scenario: List[str] = typer.Option(
        [], "--scenario", "-S", help="Scenario to run (repeatable; default: all, see --list)."
    ),
    method: List[str] = typer.Option(
        [], "--method", "-m", help="Method or peer (repeatable; default: all that apply). The identity always runs."
    ),
    split: Optional[str] = typer.Option(None, "--split", help="BSDS500 split: test (default), val or train."),
    limit: Optional[int] = typer.Option(None, "--limit", "-n", help="Only the first N images (sorted by name)."),
    workers: Optional[int] = typer.Option(
        None, "--workers", "-j", help="Worker processes of a Dask LocalCluster (default: the cores available); "
        "1 runs in this process, without Dask."
    ),
    scheduler: Optional[str] = typer.Option(
        None, "--scheduler", help="Address of a running Dask scheduler (tcp://HOST:8786) whose workers run the "
        "bench instead; they need this restoretk and the images at the same path."
    ),
    data: Optional[Path] = typer.Option(
        None, "--data", help="BSDS500 folder (holding train/ val/ test/) or any folder of images "
        "(default: $RESTORETK_DATA, then the usual places)."
    ),
    out: Optional[Path] = typer.Option(
        None, "--out", "-o", help="Output folder: per_image.csv, summary.csv, summary.md, figures/."
    ),
    figures: bool = typer.Option(True, "--figures/--no-figures", help="Write a comparison figure per scenario."),
    list_: bool = typer.Option(False, "--list", help="List the scenarios with their definitions and exit."),
    tune_peers: bool = typer.Option(
        False, "--tune-peers", help=f"Sweep the peers' parameters on val (first {TUNING_IMAGES} images); print the best."
    ),
) -> None:
    """Benchmark every method and peer on named, seeded scenarios; results are appended as they finish.

    Re-running the same command in the same --out reuses finished per-image results and
    computes only what is missing (an interrupted run continues where it stopped).
    Results made by other code (restoretk, its weights or the numerical libraries
    changed) are moved aside and computed afresh.
    """
    with user_errors():
        from restoretk.bench.scenarios import get_scenario, list_scenarios
        from restoretk.errors import RestoreError

        if list_:
            _print_scenarios(list_scenarios())
            return
        chosen = [get_scenario(name) for name in dict.fromkeys(scenario)] or list_scenarios()
        if out is None:
            raise RestoreError("no output folder given", "add --out DIR (e.g. --out bench-out)")
        if limit is not None and limit < 1:
            raise RestoreError(f"--limit {limit} is not a positive number of images", "use e.g. --limit 20")
        if workers is not None and workers < 1:
            raise RestoreError(f"--workers {workers} is not a positive number", "use e.g. --workers 2")
        if workers is not None and scheduler is not None:
            raise RestoreError(f"--workers {workers} with --scheduler", "drop --workers: the cluster's workers run the bench")
        if tune_peers:
            if split not in (None, "val"):
                raise RestoreError(f"--tune-peers with --split {split}", "peers are tuned on val only; drop --split")
            if method:
                raise RestoreError("--tune-peers sweeps its own methods", "drop --method")
            _tune(chosen, data, limit or TUNING_IMAGES, workers, scheduler, out)
            return
        _run(chosen, method, split, limit, workers, scheduler, data, out, figures, _command_line(
            [("--scenario", s) for s in scenario] + [("--method", m) for m in method]
            + [("--split", split), ("--limit", limit), ("--workers", workers), ("--scheduler", scheduler)]
            + [("--data", data), ("--out", out)],
            figures,
        ))


def _run(scenarios, methods, split, limit, workers, scheduler, data, out, figures, command) -> None:
    from restoretk.bench.report import write_report
    from restoretk.bench.runner import open_images, plan_methods, run_bench

    plan_methods(scenarios, methods or None)  # checks the names before any work
    images, dataset = open_images(data, split, limit)
    typer.echo(f"bench: {len(scenarios)} scenario(s) on {dataset} ({len(images)} images) -> {out}", err=True)
    try:
        run = run_bench(
            scenarios, images, dataset, out, methods=methods or None, workers=workers, scheduler=scheduler, figures=figures
        )
    except KeyboardInterrupt:
        typer.echo(
            f"interrupted: finished results are kept in {out / 'per_image.csv'}; run the same command again to continue",
            err=True,
        )
        raise typer.Exit(130) from None
    _, markdown = write_report(run, command)
    typer.echo(markdown)
    seen = set()
    for failure in run.failures:
        if (failure.scenario, failure.method) not in seen:
            seen.add((failure.scenario, failure.method))
            typer.echo(f"warning: {failure.method} on {failure.scenario}: {failure.reason}", err=True)
    typer.echo(f"wrote {out}/summary.md, summary.csv, per_image.csv in {run.seconds:.0f} s", err=True)


def _tune(scenarios, data, limit, workers, scheduler, out) -> None:
    from restoretk.bench.runner import open_images
    from restoretk.bench.tuning import tune_peers

    images, dataset = open_images(data, "val", limit)
    _, markdown = tune_peers(scenarios, images, dataset, out, workers=workers, scheduler=scheduler)
    typer.echo(markdown)


def _command_line(options: list[tuple[str, object]], figures: bool) -> str:
    """The command as it could be typed again (options in a fixed order), for the report."""
    words = ["restoretk bench"] + [f"{flag} {shlex.quote(str(value))}" for flag, value in options if value is not None]
    return " ".join(words) + ("" if figures else " --no-figures")


def _print_scenarios(scenarios) -> None:
    for s in scenarios:
        typer.echo(f"{s.name} (version {s.version}, {s.task})")
        typer.echo(f"    {s.definition()}")
        typer.echo(f"    scored: {s.scoring()}")
