"""The benchmark runner behind ``restoretk bench``: scenarios, contenders, runner, report.

- :mod:`~restoretk.bench.scenarios`: named, versioned, seeded degradations (add one there);
- :mod:`~restoretk.bench.peers`: restoretk's registered methods, peers from other libraries, the identity;
- :mod:`~restoretk.bench.runner`: runs them over a folder of images, appending ``per_image.csv``;
- :mod:`~restoretk.bench.cluster`: where the units run: this process, or Dask workers;
- :mod:`~restoretk.bench.stamp`: what the numbers depend on, hashed, so results are reused only under the same;
- :mod:`~restoretk.bench.report`: ``summary.csv``, ``summary.md`` and figures;
- :mod:`~restoretk.bench.tuning`: the peers' parameters, chosen on val.

Nothing is imported eagerly, so that ``restoretk --help`` stays quick; the names below load
:mod:`~restoretk.bench.scenarios` on first use.

Examples
--------
>>> from restoretk.bench import get_scenario
>>> get_scenario("sr4-bicubic").protocol.describe()
'PSNR/SSIM on Y (BT.601), 4-pixel border shaved, data range 1'
"""

from __future__ import annotations

from typing import Any

__all__ = ["Case", "Scenario", "get_scenario", "list_scenarios", "register_scenario"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from restoretk.bench import scenarios

        return getattr(scenarios, name)
    raise AttributeError(f"module 'restoretk.bench' has no attribute {name!r}")
