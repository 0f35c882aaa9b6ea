"""What a schedule starts each time it comes due, as `new` or `sweep new` would be given
it: a template with overrides, a name and an executor's options, and for a sweep its grid,
seeds, split loads and array limit. Kept as JSON in the schedule's row (`spec_json`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fusion_tui.sweeps.grid import Grid


@dataclass(frozen=True)
class StartSpec:
    template: str
    name: str | None = None
    overrides: tuple[str, ...] = ()
    executor: str | None = None
    executor_options: Mapping[str, str | None] = field(default_factory=dict)
    grid: Grid | None = None  # None: one run; else a sweep of this grid
    array_limit: int | None = None

    @property
    def is_sweep(self) -> bool:
        return self.grid is not None

    def what(self) -> str:
        """What it starts, in a few words: `run of nightly`, `sweep of nightly (6 points)`."""
        if self.grid is None:
            return f"run of {self.template}"
        points = self.grid.size
        return f"sweep of {self.template} ({points} point{'s' if points != 1 else ''}" + \
            (", loads split)" if self.grid.split_loads else ")")

    def to_json(self) -> str:
        data: dict[str, Any] = {
            "template": self.template, "name": self.name, "overrides": list(self.overrides),
            "executor": self.executor,
            "executor_options": {k: v for k, v in self.executor_options.items() if v},
            "sweep": None}
        if self.grid is not None:
            data["sweep"] = {"grid": self.grid.as_json(), "seeds": list(self.grid.seeds),
                             "split_loads": self.grid.split_loads,
                             "array_limit": self.array_limit}
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> StartSpec:
        data = json.loads(text)
        sweep = data.get("sweep")
        grid = None if not sweep else Grid.from_json(sweep["grid"], sweep.get("seeds"),
                                                     bool(sweep.get("split_loads")))
        return cls(template=data["template"], name=data.get("name"),
                   overrides=tuple(data.get("overrides") or ()), executor=data.get("executor"),
                   executor_options=dict(data.get("executor_options") or {}), grid=grid,
                   array_limit=None if not sweep else sweep.get("array_limit"))
