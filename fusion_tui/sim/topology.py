"""Network topologies: the shipped ones (`data/topologies/*.json`) or a FUSION-format file
(tab-separated `src dst length_km` lines, both directions listed), and k shortest paths
by length (Yen's algorithm)."""

from __future__ import annotations

import functools
import heapq
import itertools
import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from fusion_tui.base.resources import data_dir
from fusion_tui.base.safefile import read_text

TOPOLOGY_LIMIT = 16 << 20


class TopologyError(ValueError):
    """The topology cannot be loaded; the message says why."""


@dataclass(frozen=True)
class Topology:
    name: str
    labels: tuple[str, ...]
    links: tuple[tuple[int, int, float], ...]  # (u, v, length_km), u < v, undirected
    # FUSION's number of each link (its result files' `link_num`), () when unknown: see
    # `fusion_link_numbers`. `fusion_file` is where FUSION keeps a shipped network.
    link_numbers: tuple[int, ...] = ()
    fusion_file: str | None = None

    @property
    def num_nodes(self) -> int:
        return len(self.labels)

    def adjacency(self) -> list[dict[int, float]]:
        adj: list[dict[int, float]] = [{} for _ in self.labels]
        for u, v, length in self.links:
            adj[u][v] = length
            adj[v][u] = length
        return adj

    def link_index(self) -> dict[tuple[int, int], int]:
        index = {}
        for i, (u, v, _) in enumerate(self.links):
            index[(u, v)] = index[(v, u)] = i
        return index


def topologies_dir() -> Path:
    return data_dir() / "topologies"


@functools.cache
def shipped_topologies() -> dict[str, Path]:
    """Shipped topology names (lower case) -> file (read once: shipped data does not
    change while we run; a sweep validates a thousand configs against it)."""
    out = {}
    for path in sorted(topologies_dir().glob("*.json")):
        try:
            name = json.loads(path.read_text(encoding="utf-8"))["name"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        out[str(name).lower()] = path
    return out


def _from_links(name: str, labels: list[str], raw: Iterable[tuple[int, int, float]],
                fusion_file: str | None = None) -> Topology:
    seen: dict[tuple[int, int], float] = {}
    for u, v, length in raw:
        if u == v:
            raise TopologyError(f"topology {name!r}: link {u}-{v} is a loop")
        if not length > 0:
            raise TopologyError(f"topology {name!r}: link {u}-{v} has length {length}")
        seen.setdefault((min(u, v), max(u, v)), float(length))
    if not seen:
        raise TopologyError(f"topology {name!r} has no links")
    links = tuple((u, v, length) for (u, v), length in sorted(seen.items()))
    return Topology(name, tuple(labels), links, fusion_file=fusion_file)


def load_shipped(path: Path) -> Topology:
    data = json.loads(path.read_text(encoding="utf-8"))
    nodes = data["nodes"]
    labels = [str(n.get("label", n["id"])) for n in sorted(nodes, key=lambda n: n["id"])]
    links = [(int(u), int(v), float(length)) for u, v, length in data["links"]]
    fusion_file = data.get("fusion_file")
    return _from_links(str(data["name"]), labels, links,
                       str(fusion_file) if fusion_file else None)


def load_fusion_file(path: Path) -> Topology:
    """FUSION's `data/raw/*.txt` format; node names may be any tokens."""
    ids: dict[str, int] = {}
    raw = []
    try:
        text = read_text(path, TOPOLOGY_LIMIT)
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
        raise TopologyError(f"cannot read topology file {str(path)!r}: {reason}") from None
    for number, line in enumerate(text.splitlines(), start=1):
        parts = line.split()
        if not parts or parts[0].startswith("#"):
            continue
        if len(parts) != 3:
            raise TopologyError(f"{path.name} line {number}: expected 'src dst length'")
        try:
            length = float(parts[2])
        except ValueError:
            raise TopologyError(f"{path.name} line {number}: length {parts[2]!r} is not "
                                "a number") from None
        u = ids.setdefault(parts[0], len(ids))
        v = ids.setdefault(parts[1], len(ids))
        raw.append((u, v, length))
    topology = _from_links(path.stem, list(ids), raw)
    return replace(topology, link_numbers=fusion_link_numbers(topology, raw))


def fusion_link_numbers(topology: Topology, raw: list[tuple[int, int, float]]) -> tuple[int, ...]:
    """FUSION's `link_num` of each link, from its file's lines in order (`raw`): FUSION
    numbers the distinct directed lines 1, 2, ...; both directions of a link end up with
    the number of the one it reads last."""
    directed: dict[tuple[int, int], int] = {}
    for u, v, _ in raw:
        directed.setdefault((u, v), len(directed) + 1)
    return tuple(max(directed.get((u, v), 0), directed.get((v, u), 0))
                 for u, v, _ in topology.links)


def with_fusion_numbers(topology: Topology, roots: tuple[Path, ...]) -> Topology:
    """A shipped network with FUSION's link numbers, read from FUSION's own file in a
    FUSION checkout among `roots` (we do not ship FUSION's files); unchanged when none
    has it or its links differ from ours."""
    if topology.link_numbers or not topology.fusion_file:
        return topology
    for root in roots:
        path = root / topology.fusion_file
        try:
            stat = path.stat()
        except OSError:
            continue
        numbers = _numbers_by_label(str(path), stat.st_mtime_ns, stat.st_size)
        found = tuple(numbers.get(frozenset((topology.labels[u], topology.labels[v])), 0)
                      for u, v, _ in topology.links)
        if numbers and len(numbers) == len(found) and all(found):
            return replace(topology, link_numbers=found)
    return topology


@functools.lru_cache(maxsize=16)
def _numbers_by_label(path: str, _mtime_ns: int, _size: int) -> dict[frozenset[str], int]:
    """{link's two node names: FUSION's number} of a FUSION topology file ({} if it
    cannot be read); cached per file version, as a sweep validates many configs."""
    try:
        fusion = load_fusion_file(Path(path))
    except TopologyError:
        return {}
    return {frozenset((fusion.labels[u], fusion.labels[v])): number
            for (u, v, _), number in zip(fusion.links, fusion.link_numbers, strict=True)}


def load_topology(network: str, roots: tuple[Path, ...] = ()) -> Topology:
    """A network by FUSION's name (case-insensitive: NSFNet, USNet, Pan-European, ...),
    or a FUSION-format topology file: an absolute path, or one relative to `roots`."""
    shipped = shipped_topologies()
    path = shipped.get(network.lower())
    if path is not None:
        return load_shipped(path)
    given = Path(network).expanduser()
    for candidate in [given] if given.is_absolute() else [root / given for root in roots]:
        if candidate.exists():
            return load_fusion_file(candidate)
    known = ", ".join(sorted((load_shipped(p).name for p in shipped.values()), key=str.lower))
    raise TopologyError(f"unknown network {network!r} (known: {known}; or a path to a "
                        "FUSION topology file)")


def _dijkstra(adj: list[dict[int, float]], src: int, dst: int, banned_nodes: set[int],
              banned_edges: set[tuple[int, int]]) -> tuple[float, tuple[int, ...]] | None:
    best = {src: 0.0}
    heap: list[tuple[float, tuple[int, ...]]] = [(0.0, (src,))]
    while heap:
        dist, path = heapq.heappop(heap)
        node = path[-1]
        if node == dst:
            return dist, path
        if dist > best.get(node, float("inf")):
            continue
        for nxt, length in sorted(adj[node].items()):
            if nxt in banned_nodes or (node, nxt) in banned_edges or nxt in path:
                continue
            nd = dist + length
            if nd < best.get(nxt, float("inf")):
                best[nxt] = nd
                heapq.heappush(heap, (nd, (*path, nxt)))
    return None


def k_shortest_paths(adj: list[dict[int, float]], src: int, dst: int,
                     k: int) -> list[tuple[float, tuple[int, ...]]]:
    """Up to k loop-free paths from src to dst, shortest first (Yen's algorithm).
    Ties break by hop count, then by node sequence, so results are deterministic."""
    first = _dijkstra(adj, src, dst, set(), set())
    if first is None:
        return []
    found = [first]
    candidates: list[tuple[float, int, tuple[int, ...]]] = []
    seen = {first[1]}
    while len(found) < k:
        last = found[-1][1]
        for i in range(len(last) - 1):
            spur, root = last[i], last[: i + 1]
            banned_edges = set()
            for _, path in found:
                if path[: i + 1] == root:
                    banned_edges.add((path[i], path[i + 1]))
                    banned_edges.add((path[i + 1], path[i]))
            spur_path = _dijkstra(adj, spur, dst, set(root[:-1]), banned_edges)
            if spur_path is None:
                continue
            path = root[:-1] + spur_path[1]
            if path in seen:
                continue
            seen.add(path)
            length = sum(adj[a][b] for a, b in itertools.pairwise(path))
            heapq.heappush(candidates, (length, len(path), path))
        if not candidates:
            break
        length, _, path = heapq.heappop(candidates)
        found.append((length, path))
    return found
