"""Shipped topologies and the k-shortest-paths search."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from fusion_tui.sim.topology import (
    TopologyError,
    k_shortest_paths,
    load_fusion_file,
    load_topology,
)


@pytest.mark.parametrize("name,nodes,links", [
    ("NSFNet", 14, 22), ("USNet", 24, 43), ("COST239", 11, 26), ("single_link", 2, 1),
    ("Pan-European", 27, 55), ("USbackbone60", 60, 79), ("Spainbackbone30", 30, 56),
    ("geant", 39, 121), ("toy_network", 6, 15), ("metro_net", 8, 16), ("dt_network", 14, 23),
])
def test_shipped_topology_sizes(name: str, nodes: int, links: int) -> None:
    topo = load_topology(name)
    assert (topo.num_nodes, len(topo.links)) == (nodes, links)
    degree = [0] * topo.num_nodes
    for u, v, length in topo.links:
        degree[u] += 1
        degree[v] += 1
        assert length > 0
    assert min(degree) >= 1


def test_usnet_has_fusions_lengths() -> None:
    topo = load_topology("USNet")
    lengths = {(topo.labels[u], topo.labels[v]): length for u, v, length in topo.links}
    assert lengths[("0", "1")] == 800 and lengths[("0", "5")] == 1000


def test_nsfnet_matches_fusion() -> None:
    topo = load_topology("nsfnet")
    lengths = {(u, v): length for u, v, length in topo.links}
    assert lengths[(0, 7)] == 2400 and lengths[(12, 13)] == 100 and lengths[(3, 10)] == 1900


def test_k_shortest_paths_are_distinct_loop_free_and_ordered() -> None:
    adj = load_topology("NSFNet").adjacency()
    paths = k_shortest_paths(adj, 0, 13, 5)
    assert len(paths) == 5
    lengths = [length for length, _ in paths]
    assert lengths == sorted(lengths)
    assert len({p for _, p in paths}) == 5
    for length, path in paths:
        assert path[0] == 0 and path[-1] == 13 and len(set(path)) == len(path)
        assert length == sum(adj[a][b] for a, b in itertools.pairwise(path))
    assert paths[0] == (3500.0, (0, 7, 8, 12, 13))  # 2400 + 700 + 300 + 100
    assert paths[1] == (3700.0, (0, 7, 8, 11, 13))


def test_k_shortest_on_a_small_graph() -> None:
    adj = [{1: 1.0, 2: 5.0}, {0: 1.0, 2: 1.0, 3: 4.0}, {0: 5.0, 1: 1.0, 3: 1.0},
           {1: 4.0, 2: 1.0}]
    assert k_shortest_paths(adj, 0, 3, 4) == [
        (3.0, (0, 1, 2, 3)), (5.0, (0, 1, 3)), (6.0, (0, 2, 3)), (10.0, (0, 2, 1, 3))]


def test_fusion_format_file(tmp_path: Path) -> None:
    path = tmp_path / "net.txt"
    path.write_text("0\t1\t10\n1\t0\t10\n1\t2\t5\n")
    topo = load_fusion_file(path)
    assert (topo.num_nodes, len(topo.links)) == (3, 2)
    path.write_text("0\t1\n")
    with pytest.raises(TopologyError, match="line 1"):
        load_fusion_file(path)


def test_unknown_topology() -> None:
    with pytest.raises(TopologyError, match="unknown network 'Nowhere'"):
        load_topology("Nowhere")
