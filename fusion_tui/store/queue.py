"""The queue's bounds, plain Python so the CLI can check a limit before the store loads."""

MAX_PARALLEL = 1000
