"""Fill a store with many ended runs quickly, through the product's own store API
(`SweepStore.add`: runs and their `created` events, all or nothing, a batch per
transaction), for the CLI and store-at-scale benchmarks. Not a benchmark itself.

Each run has ended (COMPLETED most, then FAILED, CANCELLED, TIMEOUT), has its result
cached (as the run list caches it after reading its files once), one tag in ten, and a
folder path under the store's runs folder that is not made (`runs` does not look at
folders; `show` says the folder is unreadable, as for a run whose folder was removed).
"""

from __future__ import annotations

import json
from datetime import timedelta

from fusion_tui.base.ids import new_run_id
from fusion_tui.services import Services
from fusion_tui.store.models import Run, RunTag
from fusion_tui.store.status import RunStatus, utcnow

STATUSES = ([RunStatus.COMPLETED] * 6 + [RunStatus.FAILED] * 2 + [RunStatus.CANCELLED]
            + [RunStatus.TIMEOUT])


def make_run(svc: Services, i: int, owner: str | None, base_seconds: float) -> Run:
    status = STATUSES[i % len(STATUSES)]
    created = utcnow() - timedelta(seconds=base_seconds - i)
    run_id = new_run_id()
    return Run(
        id=run_id, name=f"bench {i}", status=status.value,
        config_json=json.dumps({"general": {"k_paths": str(1 + i % 5), "erlang_start": "300",
                                            "erlang_stop": "900"}}),
        template=("minimal", "default")[i % 2], simulator="builtin", executor="local",
        owner=owner, hostname="bench-host", run_dir=str(svc.settings.runs_dir / run_id),
        created_at=created, started_at=created + timedelta(seconds=1),
        completed_at=created + timedelta(seconds=2 + i % 60),
        exit_code=0 if status == RunStatus.COMPLETED else 1, seed=i,
        current_erlang=900.0, current_erlang_index=2, total_erlangs=3, current_iteration=4,
        total_iterations=4, result_load=900.0, result_blocking=0.001 * (i % 100),
        result_low=0.0005 * (i % 100), result_high=0.002 * (i % 100),
        tags=[RunTag(tag="bench")] if i % 10 == 0 else [])


def fill(svc: Services, count: int, *, owner: str | None, batch: int = 5000,
         start: int = 0) -> list[str]:
    """Add `count` ended runs (ids returned, oldest first), `batch` per transaction."""
    ids: list[str] = []
    for first in range(start, start + count, batch):
        runs = [make_run(svc, i, owner, count + start) for i in
                range(first, min(first + batch, start + count))]
        svc.sweeps.store.add(None, runs)
        ids += [r.id for r in runs]
    return ids
