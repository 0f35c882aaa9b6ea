"""The built-in simulator side by side with its peers (issue 23), on XLRON's published
cross-library protocol: NSFNet, 100 slots per link, first fit over the 5 shortest paths,
distance-adaptive modulation, 100 Gb/s requests, one core, at two loads that give
blocking near 6% and near 30%.

    python bench/peers.py [--runs 3] [--requests 200000] [--loads 118,277]

Every simulator gets the same network (the built-in's NSFNet: 14 nodes, 22 links and
their lengths), the same formats (FUSION's DEFAULT set for 100 Gb/s: 64-QAM to 916 km in
2 slots, 16-QAM to 2,375 km in 2, QPSK to 5,540 km in 4; one guard slot), the same
routing (the 5 shortest paths by length), a network that starts empty, one process and one
core (each process is pinned to one CPU: XLA would otherwise spread over all), and the
same Erlang loads, so the same load gives the same blocking up to chance: the blocking
each one measured is printed next to its speed.

The built-in runs as `python -m fusion_tui.sim --workers 1` on its pure engine and, when
numba is installed, on its compiled one. The peers are optional, never dependencies of
fusion-tui: each runs from its own venv, named by an environment variable holding that
venv's Python (README, "Side by side with its peers", says how to install them):

    FUSION_TUI_PEER_XLRON=/work/peers/xlron/bin/python        XLRON on CPU (JAX)
    FUSION_TUI_PEER_FLEXNETSIM=/work/peers/flexnetsim/bin/python   Flex Net Sim (Python)

Printed per simulator and load: requests/s excluding start-up (the simulation loop alone,
by each one's own clock: the built-in's progress events, XLRON's profiler's EXECUTION
line, the time of Flex Net Sim's `run()`), over the whole process (interpreter, imports,
compilation included) and per CPU second of the whole process (less sensitive than wall
time to a machine shared with other work), the blocking, and the rates' ratios to the
built-in's pure engine measured in the same run. Medians of `--runs` runs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from fusion_tui.sim.config import load_config
from fusion_tui.sim.engine import RoutingTable
from fusion_tui.sim.modulation import DEFAULT_TABLE

HERE = Path(__file__).resolve().parent
SLOTS, K_PATHS, GUARD, GBPS, SEED = 100, 5, 1, 100.0, 1

PROTOCOL_INI = f"""\
[general_settings]
erlang_start = {{erlang}}
erlang_stop = {{erlang}}
erlang_step = 1
max_iters = 1
num_requests = {{requests}}
holding_time = 1.0
request_distribution = {{{{"100": 1.0}}}}
guard_slots = {GUARD}
route_method = k_shortest_path
allocation_method = first_fit
pre_calc_mod_selection = True

[topology_settings]
network = NSFNet
cores_per_link = 1

[routing_settings]
k_paths = {K_PATHS}

[spectrum_settings]
c_band = {SLOTS}

[builtin_settings]
seed = {SEED}
early_stop = False
engine = {{engine}}
"""


@dataclass(frozen=True)
class Measure:
    """One run: requests simulated, blocked, seconds of the loop, of the process (wall
    clock) and of the CPU the process used (user + system, its threads and children)."""

    requests: int
    blocked: int
    loop: float
    process: float
    cpu: float


def run_on_one_core(command: list[str], **kwargs: Any
                    ) -> tuple[subprocess.CompletedProcess[str], float, float]:
    """Run `command` pinned to one core (the protocol's; XLA would spread over all),
    returning it with its wall-clock and CPU seconds."""
    core = min(os.sched_getaffinity(0))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    done = subprocess.run(["taskset", "-c", str(core), *command], check=True,
                          capture_output=True, text=True, **kwargs)
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return done, wall, cpu


def builtin(folder: Path, engine: str, erlang: float, requests: int) -> Measure:
    """The built-in, as a user runs it; the loop's time from its progress events."""
    config = folder / f"builtin-{engine}-{erlang:g}.ini"
    config.write_text(PROTOCOL_INI.format(erlang=erlang, requests=requests, engine=engine))
    progress = folder / f"progress-{time.monotonic_ns()}.jsonl"
    _, process, cpu = run_on_one_core(
        [sys.executable, "-m", "fusion_tui.sim", "--config_path", str(config),
         "--progress_file", str(progress), "--output_dir", str(folder / "out"),
         "--workers", "1"])
    events = [json.loads(line) for line in progress.read_text().splitlines()]
    stamp = {e["type"]: datetime.fromisoformat(e["ts"].replace("Z", "+00:00"))
             for e in events}
    iteration = next(e for e in events if e["type"] == "iteration")
    return Measure(requests, round(iteration["metrics"]["blocking_prob"] * requests),
                   (stamp["iteration"] - stamp["start"]).total_seconds(), process, cpu)


def protocol_spec(erlang: float, requests: int) -> dict[str, object]:
    """The protocol as plain data for a peer's driver: network, paths with their formats."""
    with tempfile.TemporaryDirectory() as tmp:
        ini = Path(tmp) / "c.ini"
        ini.write_text(PROTOCOL_INI.format(erlang=erlang, requests=requests, engine="python"))
        cfg = load_config(ini)
    table = RoutingTable.build(cfg.topology, cfg.modulation, k_paths=K_PATHS, cores=1,
                               c_band=SLOTS, guard_slots=GUARD, bandwidths=cfg.bandwidths,
                               probabilities=cfg.probabilities, num_requests=requests)
    b = table.bandwidths.index(GBPS)
    return {
        "nodes": cfg.topology.num_nodes, "links": [list(link) for link in cfg.topology.links],
        "slots": SLOTS, "guard_slots": GUARD, "erlang": erlang, "requests": requests,
        "seed": SEED,
        "formats": [[name, reach, slots] for name, reach, slots in DEFAULT_TABLE[GBPS]],
        "paths": {f"{s}-{d}": [[list(opt[0][0]), opt[2]] for opt in table.options[p][b]]
                  for p, (s, d) in enumerate(table.pairs)},
    }


def flexnetsim(python: str, folder: Path, erlang: float, requests: int) -> Measure:
    spec = folder / f"flexnetsim-{erlang:g}.json"
    spec.write_text(json.dumps(protocol_spec(erlang, requests)))
    done, process, cpu = run_on_one_core([python, str(HERE / "peer_flexnetsim.py"), str(spec)])
    out = json.loads(done.stdout.strip().splitlines()[-1])
    return Measure(out["requests"], out["blocked"], out["seconds"], process, cpu)


# Lowest order first, as XLRON's own files: it takes the last row whose reach covers a path.
XLRON_MODULATIONS = """\
name,maximum_length,spectral_efficiency,minimum_osnr,inband_xt,excess_kurtosis
QPSK,5540,2,0,0,0
16QAM,2375,4,0,0,0
64QAM,916,6,0,0,0
"""


def xlron_inputs(folder: Path) -> None:
    """XLRON's view of the protocol: the NSFNet above as a networkx node-link file, and
    FUSION's 100 Gb/s formats as its modulation table (spectral efficiency 6, 4, 2 at
    12.5 GHz per slot: 2, 2 and 4 slots, as in FUSION's table)."""
    spec = protocol_spec(1.0, 1)
    links = spec["links"]
    assert isinstance(links, list)
    (folder / "nsfnet_fusion_tui.json").write_text(json.dumps({
        "directed": False, "multigraph": False, "graph": {},
        "nodes": [{"id": i} for i in range(int(str(spec["nodes"])))],
        "links": [{"source": u, "target": v, "distance": length} for u, v, length in links]}))
    (folder / "modulations.csv").write_text(XLRON_MODULATIONS)


def xlron(python: str, folder: Path, erlang: float, requests: int) -> Measure:
    """XLRON's own heuristic evaluation (KSP-FF, paths sorted by length), one env on
    CPU; the loop's time and blocking from its profiler and metrics tables."""
    done, process, cpu = run_on_one_core(
        [python, "-m", "xlron.train.train", "--EVAL_HEURISTIC", "--path_heuristic=ksp_ff",
         "--env_type=rmsa", "--topology_name=nsfnet_fusion_tui",
         f"--topology_directory={folder}", f"--link_resources={SLOTS}", f"--k={K_PATHS}",
         "--path_sort_criteria=distance", f"--guardband={GUARD}", "--slot_size=12.5",
         f"--values_bw={GBPS:g}", f"--modulations_csv_filepath={folder / 'modulations.csv'}",
         "--continuous_operation", f"--TOTAL_TIMESTEPS={requests}",
         f"--STEPS_PER_INCREMENT={requests}", "--NUM_ENVS=1", f"--load={erlang:g}",
         "--mean_service_holding_time=25", f"--SEED={SEED}"],
        cwd=folder, env={**os.environ, "JAX_PLATFORMS": "cpu", "WANDB_MODE": "disabled",
                         "CUDA_VISIBLE_DEVICES": ""})
    text = done.stdout
    loop = re.search(r"^EXECUTION\s+\d+\s+([\d.]+)", text, re.M)
    blocking = re.search(r"^service_blocking_probability\s+([\d.]+)", text, re.M)
    if loop is None or blocking is None:
        raise RuntimeError(f"XLRON's output has no EXECUTION or blocking line:\n{text[-2000:]}")
    return Measure(requests, round(float(blocking.group(1)) * requests),
                   float(loop.group(1)), process, cpu)


Row = tuple[float, float, float, float]


def median(runs: list[Measure]) -> Row:
    """(requests/s of the loop, of the process, per CPU second of the process, blocking),
    medians."""
    return (statistics.median(m.requests / m.loop for m in runs),
            statistics.median(m.requests / m.process for m in runs),
            statistics.median(m.requests / m.cpu for m in runs),
            statistics.median(m.blocked / m.requests for m in runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--loads", default="118,277",
                        help="Erlang loads (default: blocking near 6%% and 30%%)")
    args = parser.parse_args()
    loads = [float(x) for x in args.loads.split(",")]
    try:
        import numba  # noqa: F401
        engines = ["python", "compiled"]
    except ImportError:
        engines = ["python"]
        print("built-in compiled engine: not installed (pip install 'fusion-tui[fast]')")
    peers = {name: os.environ.get(var) for name, var in (
        ("XLRON 1 env, CPU", "FUSION_TUI_PEER_XLRON"),
        ("Flex Net Sim", "FUSION_TUI_PEER_FLEXNETSIM"))}
    for name, python in peers.items():
        if not python:
            print(f"{name}: not measured (no venv given, see the docstring)")
        else:
            package = "xlron" if name.startswith("XLRON") else "flexnetsim"
            found = subprocess.run([python, "-c", "import importlib.metadata as m, sys; "
                                    "print(m.version(sys.argv[1]))", package],
                                   capture_output=True, text=True)
            print(f"{name}: {package} {found.stdout.strip() or found.stderr.strip()[-200:]}, "
                  f"from {python}")
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} (1 and 5 min); "
          f"{args.requests:,} requests per run, median of {args.runs}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        xlron_inputs(folder)
        for erlang in loads:
            rows: dict[str, Row] = {}
            for engine in engines:
                rows[f"built-in ({engine})"] = median(
                    [builtin(folder, engine, erlang, args.requests) for _ in range(args.runs)])
            for name, python in peers.items():
                if not python:
                    continue
                run = xlron if name.startswith("XLRON") else flexnetsim
                rows[name] = median([run(python, folder, erlang, args.requests)
                                     for _ in range(args.runs)])
            base = rows["built-in (python)"]
            print(f"\n{erlang:g} Erlang        {'requests/s: loop':>16} {'process':>9} "
                  f"{'per CPU-s':>10} {'blocking':>9}   ratios to built-in (python)")
            for name, (loop, process, cpu, blocking) in rows.items():
                print(f"{name:<22} {loop:16,.0f} {process:9,.0f} {cpu:10,.0f} {blocking:9.2%}   "
                      f"{loop / base[0]:.3g}x, {process / base[1]:.3g}x, {cpu / base[2]:.3g}x")


if __name__ == "__main__":
    main()
