"""Run lifecycle: ids, run directories, the detached supervisor, the local executor and
the RunManager that ties them to the store. Kept free of heavy imports: the supervisor
process starts from here and must reach its simulator quickly."""
