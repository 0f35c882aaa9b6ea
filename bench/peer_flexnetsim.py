"""Flex Net Sim's side of bench/peers.py: run by the Python of Flex Net Sim's own venv
(it imports nothing of fusion-tui), on the protocol bench/peers.py writes to a JSON file.

    /path/to/flexnetsim-venv/bin/python bench/peer_flexnetsim.py PROTOCOL.json

Flex Net Sim leaves the allocation algorithm to its user: the one here is written as its
examples write theirs (each link's slots read with `get_slot`, first fit on the paths
in order), with the protocol's routing and formats: the same k shortest paths as the
built-in's (undirected links, one spectrum for both directions), the highest-order format
that reaches, plus the guard slots. Prints one JSON line: the arrivals it simulated
(its own count of connections, less the one arrival it has drawn but not yet reached),
the blocked ones, and the seconds of `run()` alone.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text())
    fns: Any = importlib.import_module("flexnetsim")
    slots = int(spec["slots"])
    with tempfile.TemporaryDirectory() as tmp:
        network = Path(tmp) / "network.json"
        network.write_text(json.dumps({
            "name": "NSFNet", "nodes": [{"id": i} for i in range(spec["nodes"])],
            "links": [{"id": i, "src": u, "dst": v, "length": length, "slots": slots}
                      for i, (u, v, length) in enumerate(spec["links"])]}))
        routes = Path(tmp) / "routes.json"
        routes.write_text(json.dumps({"name": "unused", "routes": []}))  # our allocator routes
        sim = fns.Simulator(str(network), str(routes))
    status = fns.Controller.status
    # (src, dst) -> [(link ids, slots needed with the guard)], paths in order, format chosen.
    paths = {(int(s), int(d)): [(links, need) for links, need in options]
             for key, options in spec["paths"].items()
             for s, d in [key.split("-")]}

    def first_fit(src: int, dst: int, _bit_rate: Any, connection: Any, net: Any,
                  _path: Any) -> tuple[Any, Any]:
        for links, need in paths[(src, dst)]:
            used = [False] * slots
            for link in links:
                fibre = net.get_link(link)
                for s in range(slots):
                    used[s] = used[s] or fibre.get_slot(s)
            run, start = 0, 0
            for s in range(slots):
                if used[s]:
                    run, start = 0, s + 1
                    continue
                run += 1
                if run == need:
                    for link in links:
                        connection.add_link(link, from_slot=start, to_slot=start + need)
                    return status.ALLOCATED, connection
        return status.NOT_ALLOCATED, connection

    sim.set_allocation_algorithm(first_fit)
    sim.goalConnections = int(spec["requests"])
    sim.lambdaS = float(spec["erlang"])  # arrival rate; mean holding time 1
    sim.mu = 1.0
    for name in ("seedArrive", "seedDeparture", "seedBitRate"):
        setattr(sim, name, int(spec["seed"]))
    bitrate = fns.Bitrate(100.0)
    for name, reach, need in spec["formats"]:
        bitrate.add_modulation(name, need, reach)
    sim.bitRates = [bitrate]
    sim.init()
    began = time.perf_counter()
    with contextlib.redirect_stdout(sys.stderr):  # its progress table
        sim.run()
    seconds = time.perf_counter() - began
    requests = sim._Simulator__numberOfConnections - 1
    served = sim._Simulator__allocatedConnections
    print(json.dumps({"simulator": f"Flex Net Sim {version('flexnetsim')}",
                      "requests": requests, "blocked": requests - served,
                      "seconds": seconds}))


if __name__ == "__main__":
    main()
