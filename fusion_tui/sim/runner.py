"""Run a whole configuration: Erlang points x iterations, in order, on one or more cores.

Each iteration has its own random stream seeded from (seed, iteration), the same at
every load as in FUSION (whose request seed is the iteration number), so results do not
depend on how many workers run them. Results are consumed in order,
so events, log lines and the early-stop decision are the same with any worker count;
a worker skips iterations of an Erlang point that already stopped.

Work is handed to the pool a few units ahead of what is consumed (not all at once), and
a worker that dies (killed, out of memory) breaks the pool at once: the run ends with
`WorkerDied` instead of waiting for a result that will never come.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import signal
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fusion_tui.sim.config import SimConfig, compiled_fits
from fusion_tui.sim.engine import IterationResult, RoutingTable, simulate_iteration
from fusion_tui.sim.iteration_keys import entry_text, iteration_keys
from fusion_tui.sim.reporting import Progress, Results
from fusion_tui.sim.stats import PointStats

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

Unit = tuple[int, int]  # (erlang index, iteration index)

# `engine = auto` compiles from this many requests in a run: below it, numba's start-up
# (0.3 s from its cache, about 5 s the first time) costs more than it saves.
AUTO_COMPILED_FROM = 2_000_000


class WorkerDied(Exception):
    """A worker process ended without returning its iteration; says which and how."""

    def __init__(self, message: str, by_signal: int | None = None) -> None:
        super().__init__(message)
        self.by_signal = by_signal


class Interrupted(BaseException):
    """SIGTERM or SIGINT arrived; carries the signal number. A BaseException, like
    KeyboardInterrupt, so no `except Exception` on the way can swallow it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@dataclass
class _Job:
    table: RoutingTable
    config: SimConfig
    stopped: Any  # shared byte array, one flag per Erlang point
    parent: int
    compiled: bool = False  # run iterations on the compiled engine (sim/compiled.py)


_JOB: _Job | None = None


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this worker when its parent dies (PR_SET_PDEATHSIG)."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)


def _init_worker(job: _Job) -> None:
    global _JOB
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent()
    _JOB = job


def _work(unit: Unit) -> tuple[int, int, IterationResult | None]:
    job = _JOB
    assert job is not None
    e_idx, iteration = unit
    if job.parent != os.getpid() and os.getppid() != job.parent:
        os._exit(1)  # a worker whose parent is gone
    if job.stopped[e_idx]:
        return e_idx, iteration, None
    cfg = job.config
    erlang = cfg.erlangs[e_idx]
    if job.compiled:
        from fusion_tui.sim import compiled

        result = compiled.simulate_iteration(
            job.table, erlang=erlang, holding_time=cfg.holding_time,
            num_requests=cfg.num_requests, allocation=cfg.allocation,
            seed=f"{cfg.seed}:{iteration}", warmup=cfg.warmup_requests)
    else:
        result = simulate_iteration(
            job.table, erlang=erlang, holding_time=cfg.holding_time,
            num_requests=cfg.num_requests, allocation=cfg.allocation,
            seed=f"{cfg.seed}:{iteration}", warmup=cfg.warmup_requests,
            check=cfg.check_invariants)
    # FUSION's per-iteration keys are made here, in the worker; the counts they come
    # from need not travel back to the parent.
    result.fusion = entry_text(iteration_keys(job.table, result))
    result.per_option, result.on_bw_core, result.routed_paths = {}, [], {}
    result.link_usage, result.link_throughput = [], []
    return e_idx, iteration, result


def uses_compiled(config: SimConfig) -> bool:
    """Which engine runs the iterations (`[builtin_settings] engine`): compiled when asked
    (sim/config.py checked that it can), or with auto when numba is installed, the
    engine implements the run and the run is long enough to repay numba's start-up."""
    if config.engine != "auto":
        return config.engine == "compiled"
    requests = (len(config.erlangs) * config.max_iters
                * (config.num_requests + config.warmup_requests))
    return (requests >= AUTO_COMPILED_FROM
            and compiled_fits(config.allocation, config.max_segments, config.check_invariants)
            and importlib.util.find_spec("numba") is not None)


class SimulationRun:
    """Drives the iterations and reports them."""

    def __init__(self, config: SimConfig, *, workers: int, output_dir: Path,
                 progress: Progress, log: logging.Logger) -> None:
        self.config = config
        self.workers = max(1, workers)
        self.progress = progress
        self.log = log
        self.table = RoutingTable.build(
            config.topology, config.modulation, k_paths=config.k_paths, cores=config.cores,
            c_band=config.c_band, guard_slots=config.guard_slots,
            bandwidths=config.bandwidths, probabilities=config.probabilities,
            num_requests=config.num_requests, fallback=config.fallback_formats,
            max_segments=config.max_segments)
        self.results = Results(output_dir, {
            "simulator": "fusion-tui built-in", "seed": config.seed,
            "warmup_requests": config.warmup_requests, "early_stop": config.stops_early},
            statistics=not config.is_training)
        self.points = [PointStats(e) for e in config.erlangs]
        self.requests_simulated = 0
        self.compiled = uses_compiled(config)


    def _units(self) -> list[Unit]:
        return [(e, i) for e in range(len(self.config.erlangs))
                for i in range(self.config.max_iters)]

    def _sequential(self, job: _Job) -> Iterator[tuple[int, int, IterationResult | None]]:
        global _JOB
        _JOB = job
        for unit in self._units():
            yield _work(unit)

    def execute(self) -> None:
        cfg = self.config
        ctx = None
        if self.workers > 1:  # multiprocessing costs import time a 1-worker run can skip
            import multiprocessing

            ctx = multiprocessing.get_context("fork")
        stopped: Any = ctx.RawArray("b", len(cfg.erlangs)) if ctx else bytearray(len(cfg.erlangs))
        job = _Job(self.table, cfg, stopped, os.getpid(), self.compiled)
        if self.compiled:  # compiled once here, before the workers fork
            from fusion_tui.sim import compiled

            compiled.prepare()
            self.log.info("Engine: compiled (numba)")
        self.progress.emit("start", config={
            "total_erlangs": len(cfg.erlangs), "total_iterations": cfg.max_iters,
            "erlang_start": cfg.erlangs[0], "erlang_stop": cfg.erlangs[-1],
            "network": cfg.network, "workers": self.workers, "seed": cfg.seed,
        })
        pool: ProcessPoolExecutor | None = None
        try:
            if ctx is not None:
                from concurrent.futures import ProcessPoolExecutor

                pool = ProcessPoolExecutor(self.workers, mp_context=ctx,
                                           initializer=_init_worker, initargs=(job,))
                stream = self._pooled(pool)
            else:
                stream = self._sequential(job)
            self._consume(stream, stopped)
        finally:
            if pool is not None:
                _stop_pool(pool)

    def _pooled(self, pool: ProcessPoolExecutor
                ) -> Iterator[tuple[int, int, IterationResult | None]]:
        """Results in order, keeping `2 x workers` units in flight."""
        from concurrent.futures.process import BrokenProcessPool

        units = iter(self._units())
        pending: deque[Future[tuple[int, int, IterationResult | None]]] = deque()
        workers: list[Any] = []
        try:
            for unit in units:
                pending.append(pool.submit(_work, unit))
                workers = workers or _workers(pool)  # all started at the first submit (fork)
                if len(pending) >= 2 * self.workers:
                    break
            while pending:
                result = pending.popleft().result()
                for unit in units:
                    pending.append(pool.submit(_work, unit))
                    break
                yield result
        except BrokenProcessPool:
            raise _dead_worker(workers or _workers(pool)) from None

    def _begin_point(self, e_idx: int) -> float:
        erlang, total = self.config.erlangs[e_idx], len(self.config.erlangs)
        self.log.info("Starting simulation for %s Erlang (load %d/%d)", float(erlang),
                      e_idx + 1, total)
        self.progress.emit("erlang_start", erlang=erlang, erlang_index=e_idx,
                           total_erlangs=total)
        return time.monotonic()

    def _consume(self, stream: Iterator[tuple[int, int, IterationResult | None]],
                 stopped: Any) -> None:
        cfg = self.config
        started = self._begin_point(0)
        current = 0
        for e_idx, iteration, result in stream:
            if stopped[e_idx] or result is None:
                continue
            point = self.points[e_idx]
            point.add(result)
            # What was simulated: the counted arrivals and the uncounted warm-up before them.
            self.requests_simulated += result.requests + cfg.warmup_requests
            self.results.write_point(point)
            self.results.write_summary(self.points)
            erlang = float(point.erlang)
            self.log.info("Iteration %d out of %d completed for Erlang: %s", iteration + 1,
                          cfg.max_iters, erlang)
            self.log.info("Mean of blocking: %s", point.mean)
            self.progress.emit("iteration", erlang=point.erlang, iteration=iteration + 1,
                               total_iterations=cfg.max_iters, metrics={
                                   "blocking_prob": result.blocking,
                                   "mean_blocking": point.mean,
                                   "bit_rate_blocking": result.bit_rate_blocking,
                                   "mean_hops": result.hops_mean,
                               })
            done = iteration + 1 == cfg.max_iters
            if cfg.stops_early and point.reached_fusion_target() and not done:
                self.log.info("Confidence interval of %.2f%% reached. %d, ending for Erlang: %s",
                              point.fusion_ci[1], iteration + 1, erlang)
                done = True
            elif done:
                self.log.info("Maximum iterations (%d) completed for Erlang: %s",
                              cfg.max_iters, erlang)
            if not done:
                continue
            stopped[e_idx] = 1
            ci = point.ci
            self.progress.emit("erlang_complete", erlang=point.erlang, metrics={
                "mean_blocking": point.mean,
                **({"ci_lower": max(0.0, point.mean - ci), "ci_upper": point.mean + ci}
                   if ci is not None else {}),
                "iterations": point.iterations,
            })
            self.log.info("Simulation finished for Erlang: %s finished for simulation "
                          "number: %s.", erlang, cfg.thread_num)
            self.log.info("Completed %s Erlang in %.2f seconds", erlang,
                          time.monotonic() - started)
            current = e_idx + 1
            if current < len(cfg.erlangs):
                started = self._begin_point(current)


def _workers(pool: ProcessPoolExecutor) -> list[Any]:
    return list((getattr(pool, "_processes", None) or {}).values())


def _dead_worker(workers: list[Any]) -> WorkerDied:
    """Which worker died and how, as well as can be told: the pool terminates the others
    once one dies, so a death other than by SIGTERM is the cause."""
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline and any(p.exitcode is None for p in workers):
        time.sleep(0.01)
    dead = sorted((p for p in workers if p.exitcode is not None),
                  key=lambda p: p.exitcode == -signal.SIGTERM)
    if not dead:
        return WorkerDied("a worker process died unexpectedly")
    proc = dead[0]
    if proc.exitcode < 0:
        sig = -proc.exitcode
        return WorkerDied(f"worker process {proc.pid} was killed by {signal.Signals(sig).name}",
                          by_signal=sig)
    return WorkerDied(f"worker process {proc.pid} exited with code {proc.exitcode}")


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """End the workers now, without waiting for anything they were doing."""
    for proc in _workers(pool):
        with contextlib.suppress(OSError, ValueError):
            proc.kill()
    pool.shutdown(wait=False, cancel_futures=True)
